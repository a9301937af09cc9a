"""instructor review scores per rubric criterion

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06 17:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # [{"id", "title", "score", "max_score"}, ...]; review_score stays the total out of 100.
    op.add_column("assistant_submissions", sa.Column("review_criteria", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("assistant_submissions") as batch:
        batch.drop_column("review_criteria")
