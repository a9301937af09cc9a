"""Outbox mail linked to its session; admin-set model prices (issue 11)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 23:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("session_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_outbox_messages_session_id"), ["session_id"])
        batch_op.create_foreign_key(
            batch_op.f("fk_outbox_messages_session_id_training_sessions"),
            "training_sessions",
            ["session_id"],
            ["id"],
            ondelete="SET NULL",
        )
    with op.batch_alter_table("assistant_model_settings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("input_price_per_million", sa.Numeric(12, 2), nullable=True))
        batch_op.add_column(sa.Column("output_price_per_million", sa.Numeric(12, 2), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("assistant_model_settings", schema=None) as batch_op:
        batch_op.drop_column("output_price_per_million")
        batch_op.drop_column("input_price_per_million")
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_outbox_messages_session_id_training_sessions"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_outbox_messages_session_id"))
        batch_op.drop_column("session_id")
