"""The sandbox's daily sums indexed by person (issue 11)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 03:20:00

The dashboards ask, person by person on SQLite, whether someone practised in the sandbox
during a period; the daily sums were keyed by day and conversation only. The index also
serves deleting an account, whose rows go with it (ON DELETE CASCADE).
"""

from __future__ import annotations

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_assistant_message_days_user_day",
        "assistant_message_days",
        ["user_id", "day", "sent"],
    )


def downgrade() -> None:
    op.drop_index("ix_assistant_message_days_user_day", table_name="assistant_message_days")
