"""Covering indexes for the departments dashboard's per-person figures (issue 11)

Revision ID: 0011b
Revises: 0010a
Create Date: 2026-12-07 00:30:00

"Did this person complete a session of the year?" is read from the index alone, as is
already the case for enrolments, and each person's approved hours of a year are summed from
the index in person order instead of from the table. Measured at the large demo scale
(20,000 staff, 130,000 hours entries, 150,000 completions): the departments dashboard's
per-department statement went from about 200 to about 110 ms of CPU on SQLite, and its
per-person completion look-ups became index-only scans on PostgreSQL.

(The dashboard index migration's file is named 0010 but its revision id is "0010a".)
"""

from __future__ import annotations

from alembic import op

revision = "0011b"
down_revision = "0010a"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_completions_user_status_session", "completions", ["user_id", "status", "session_id"]
    )
    op.create_index(
        "ix_learning_hours_year_status_user",
        "learning_hours",
        ["year", "status", "user_id", "hours"],
    )


def downgrade() -> None:
    op.drop_index("ix_learning_hours_year_status_user", table_name="learning_hours")
    op.drop_index("ix_completions_user_status_session", table_name="completions")
