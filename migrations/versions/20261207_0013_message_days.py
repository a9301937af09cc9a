"""The sandbox's messages summed per conversation, day (Asia/Seoul) and model (issue 11)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 00:20:00

The sandbox dashboard summed every message of the year (500,000 at the large demo scale,
about 1 s); it now reads assistant_message_days, kept equal to the messages by the
application (portal.assistant.models.MessageDay) and filled here from the messages that
exist. The rows go with their conversation (ON DELETE CASCADE), as the messages do.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "assistant_message_days",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("model_key", sa.String(length=80), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("sent", sa.Integer(), server_default="0", nullable=False),
        sa.Column("answers", sa.Integer(), server_default="0", nullable=False),
        sa.Column("prompt_tokens", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("completion_tokens", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("estimated_tokens", sa.BigInteger(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["assistant_conversations.id"],
            name=op.f("fk_assistant_message_days_conversation_id_assistant_conversations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_assistant_message_days_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "day", "conversation_id", "model_key", name=op.f("pk_assistant_message_days")
        ),
        sqlite_with_rowid=False,
    )
    op.create_index(
        op.f("ix_assistant_message_days_conversation_id"),
        "assistant_message_days",
        ["conversation_id"],
    )
    # The existing messages, summed the way the application adds them. Korea keeps no
    # daylight saving time: a message's day in Asia/Seoul is its UTC time plus nine hours.
    if op.get_bind().dialect.name == "postgresql":
        day = "(m.created_at AT TIME ZONE 'Asia/Seoul')::date"
    else:
        day = "date(m.created_at, '+9 hours')"
    # A question (no model, no tokens) is kept in its conversation's row of the day; any
    # other message without a model under "" (portal.assistant.models.message_day_sums).
    model = (
        "COALESCE(m.model_key, CASE WHEN m.role = 'user' AND m.prompt_tokens = 0 "
        "AND m.completion_tokens = 0 THEN c.model_key ELSE '' END)"
    )
    op.execute(
        "INSERT INTO assistant_message_days (day, conversation_id, model_key, user_id, sent, "  # noqa: S608 - fixed text
        "answers, prompt_tokens, completion_tokens, estimated_tokens) "
        f"SELECT {day}, m.conversation_id, {model}, c.user_id, "
        "SUM(CASE WHEN m.role = 'user' THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN m.role = 'assistant' THEN 1 ELSE 0 END), "
        "SUM(m.prompt_tokens), SUM(m.completion_tokens), "
        "SUM(CASE WHEN m.usage_estimated THEN m.prompt_tokens + m.completion_tokens ELSE 0 END) "
        "FROM assistant_messages m "
        "JOIN assistant_conversations c ON c.id = m.conversation_id "
        f"GROUP BY {day}, m.conversation_id, {model}, c.user_id"
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_assistant_message_days_conversation_id"), table_name="assistant_message_days"
    )
    op.drop_table("assistant_message_days")
