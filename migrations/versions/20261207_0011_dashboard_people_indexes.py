"""Covering indexes for the adoption and departments dashboards' per-person figures (issue 11)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 00:30:00

"Did this person complete a session of the year?" is read from the index alone, as is
already the case for enrolments, and each person's approved hours of a year are summed from
the index in person order instead of from the table. Measured at the large demo scale
(20,000 staff, 130,000 hours entries, 150,000 completions): the departments dashboard's
per-department statement went from about 200 to about 110 ms of CPU on SQLite, and its
per-person completion look-ups became index-only scans on PostgreSQL. On PostgreSQL the
adoption funnel's "practised" and "submitted" look-ups read a person's conversations and
submissions from an index too (about 38 to 18 ms of CPU for "submitted").
"""

from __future__ import annotations

from alembic import op

revision = "0011"
down_revision = "0010"
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
    op.create_index(
        "ix_assistant_conversations_user_id_id", "assistant_conversations", ["user_id", "id"]
    )
    op.create_index(
        "ix_assistant_submissions_user_submitted",
        "assistant_submissions",
        ["user_id", "submitted_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_assistant_submissions_user_submitted", table_name="assistant_submissions")
    op.drop_index("ix_assistant_conversations_user_id_id", table_name="assistant_conversations")
    op.drop_index("ix_learning_hours_year_status_user", table_name="learning_hours")
    op.drop_index("ix_completions_user_status_session", table_name="completions")
