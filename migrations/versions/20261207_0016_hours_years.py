"""Each person's approved learning hours per year, summed (issue 11)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 03:45:00

The department dashboard summed every approved ledger line of the year per person
(130,000 lines at 20,000 staff); it now reads learning_hours_years, one row per person
and year, kept equal to the ledger by the application
(portal.attendance.models.refresh_hours_years) and filled here from the ledger.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "learning_hours_years",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("approved", sa.Numeric(precision=7, scale=1), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_learning_hours_years_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "year", name=op.f("pk_learning_hours_years")),
    )
    op.execute(
        "INSERT INTO learning_hours_years (user_id, year, approved)"
        " SELECT user_id, year,"
        " COALESCE(SUM(CASE WHEN status = 'approved' THEN hours ELSE 0 END), 0)"
        " FROM learning_hours GROUP BY user_id, year"
    )


def downgrade() -> None:
    op.drop_table("learning_hours_years")
