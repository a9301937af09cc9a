"""login failures per account and source

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 17:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import portal.db

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "login_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_key", sa.String(length=64), nullable=False),
        sa.Column("source_key", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failed_at", portal.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("locked_until", portal.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_failures")),
        sa.UniqueConstraint(
            "account_key", "source_key", name=op.f("uq_login_failures_account_key_source_key")
        ),
    )
    op.create_index(
        "ix_login_failures_last_failed_at", "login_failures", ["last_failed_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_login_failures_last_failed_at", table_name="login_failures")
    op.drop_table("login_failures")
