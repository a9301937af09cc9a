"""Each answer rating records whose it is (issue 11)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 03:30:00

The sandbox dashboard, filtered by department or course, found whose each rating was by
reading through the year's messages and conversations (a scan of every message at 20,000
staff). The rating now carries its conversation owner's id, filled here for the ratings
that exist and by the application for new ones.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("assistant_message_ratings") as batch:
        batch.add_column(sa.Column("user_id", sa.Integer(), nullable=True))
    op.execute(
        "UPDATE assistant_message_ratings SET user_id = ("
        " SELECT assistant_conversations.user_id"
        " FROM assistant_messages JOIN assistant_conversations"
        " ON assistant_conversations.id = assistant_messages.conversation_id"
        " WHERE assistant_messages.id = assistant_message_ratings.message_id)"
    )
    with op.batch_alter_table("assistant_message_ratings") as batch:
        batch.alter_column("user_id", existing_type=sa.Integer(), nullable=False)
        batch.create_foreign_key(
            "fk_assistant_message_ratings_user_id_users",
            "users",
            ["user_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch.create_index("ix_assistant_message_ratings_user_id", ["user_id"])


def downgrade() -> None:
    with op.batch_alter_table("assistant_message_ratings") as batch:
        batch.drop_index("ix_assistant_message_ratings_user_id")
        batch.drop_constraint("fk_assistant_message_ratings_user_id_users", type_="foreignkey")
        batch.drop_column("user_id")
