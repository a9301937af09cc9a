"""Indexes for the dashboards' counts at 20,000 staff and 500,000 messages (issue 11)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 23:40:00

Measured on SQLite with 20,000 staff, 200,000 enrolments and 500,000 messages: the adoption
funnel went from about 800 ms to about 200-280 ms of CPU, the sessions dashboard from about
600 ms to about 300 ms, as the per-person and per-session look-ups read the index alone.
"""

from __future__ import annotations

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_enrollments_session_status_user", "enrollments", ["session_id", "status", "user_id"]
    )
    op.create_index(
        "ix_enrollments_user_status_session", "enrollments", ["user_id", "status", "session_id"]
    )
    op.create_index(
        "ix_assistant_messages_conversation_role_created",
        "assistant_messages",
        ["conversation_id", "role", "created_at"],
    )


def downgrade() -> None:
    op.drop_index(
        "ix_assistant_messages_conversation_role_created", table_name="assistant_messages"
    )
    op.drop_index("ix_enrollments_user_status_session", table_name="enrollments")
    op.drop_index("ix_enrollments_session_status_user", table_name="enrollments")
