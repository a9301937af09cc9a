"""ideas, idea history, consulting slots and outcomes (issue 12)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 20:05:06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import portal.db

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ideas",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("submitter_id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("problem", sa.Text(), nullable=False),
        sa.Column("current_process", sa.Text(), nullable=False),
        sa.Column("data_description", sa.Text(), nullable=False),
        sa.Column(
            "data_grade",
            sa.Enum(
                "public",
                "sensitive",
                "confidential",
                name="ideadatagrade",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("effect_hours_saved", sa.Integer(), nullable=True),
        sa.Column("effect_people_served", sa.Integer(), nullable=True),
        sa.Column("share", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "received",
                "reviewing",
                "consulting",
                "done",
                "on_hold",
                name="ideastatus",
                native_enum=False,
                length=20,
            ),
            server_default="received",
            nullable=False,
        ),
        sa.Column("source_draft_id", sa.Integer(), nullable=True),
        sa.Column("created_at", portal.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", portal.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "effect_hours_saved IS NULL OR effect_hours_saved >= 0",
            name=op.f("ck_ideas_hours_not_negative"),
        ),
        sa.CheckConstraint(
            "effect_people_served IS NULL OR effect_people_served >= 0",
            name=op.f("ck_ideas_people_not_negative"),
        ),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_ideas_department_id_departments"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["source_draft_id"],
            ["assistant_drafts.id"],
            name=op.f("fk_ideas_source_draft_id_assistant_drafts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["submitter_id"],
            ["users.id"],
            name=op.f("fk_ideas_submitter_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ideas")),
    )
    with op.batch_alter_table("ideas", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ideas_department_id"), ["department_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_ideas_source_draft_id"), ["source_draft_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_ideas_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_ideas_submitter_id"), ["submitter_id"], unique=False)

    op.create_table(
        "consulting_slots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("starts_at", portal.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", portal.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("place", sa.String(length=200), server_default="", nullable=False),
        sa.Column("online_url", sa.String(length=500), server_default="", nullable=False),
        sa.Column("consultant_user_id", sa.Integer(), nullable=True),
        sa.Column("consultant_name", sa.String(length=50), server_default="", nullable=False),
        sa.Column("consultant_org", sa.String(length=100), server_default="", nullable=False),
        sa.Column("offered_for_idea_id", sa.Integer(), nullable=True),
        sa.Column("booked_idea_id", sa.Integer(), nullable=True),
        sa.Column("booked_at", portal.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reminded_at", portal.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", portal.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", portal.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "consultant_user_id IS NOT NULL OR consultant_name <> ''",
            name=op.f("ck_consulting_slots_has_consultant"),
        ),
        sa.CheckConstraint(
            "ends_at > starts_at", name=op.f("ck_consulting_slots_ends_after_start")
        ),
        sa.ForeignKeyConstraint(
            ["booked_idea_id"],
            ["ideas.id"],
            name=op.f("fk_consulting_slots_booked_idea_id_ideas"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["consultant_user_id"],
            ["users.id"],
            name=op.f("fk_consulting_slots_consultant_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_consulting_slots_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["offered_for_idea_id"],
            ["ideas.id"],
            name=op.f("fk_consulting_slots_offered_for_idea_id_ideas"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consulting_slots")),
    )
    with op.batch_alter_table("consulting_slots", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_consulting_slots_booked_idea_id"), ["booked_idea_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_consulting_slots_consultant_user_id"),
            ["consultant_user_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_consulting_slots_offered_for_idea_id"),
            ["offered_for_idea_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_consulting_slots_starts_at"), ["starts_at"], unique=False
        )

    op.create_table(
        "idea_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("idea_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "submitted",
                "edited",
                "status",
                "booked",
                "released",
                "outcome",
                name="ideaeventkind",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column(
            "from_status",
            sa.Enum(
                "received",
                "reviewing",
                "consulting",
                "done",
                "on_hold",
                name="ideastatus",
                native_enum=False,
                length=20,
            ),
            nullable=True,
        ),
        sa.Column(
            "to_status",
            sa.Enum(
                "received",
                "reviewing",
                "consulting",
                "done",
                "on_hold",
                name="ideastatus",
                native_enum=False,
                length=20,
            ),
            nullable=True,
        ),
        sa.Column("reason", sa.Text(), server_default="", nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("at", portal.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["users.id"],
            name=op.f("fk_idea_events_actor_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["idea_id"], ["ideas.id"], name=op.f("fk_idea_events_idea_id_ideas"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_idea_events")),
    )
    with op.batch_alter_table("idea_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_idea_events_idea_id"), ["idea_id"], unique=False)

    op.create_table(
        "consulting_outcomes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("idea_id", sa.Integer(), nullable=False),
        sa.Column("slot_id", sa.Integer(), nullable=True),
        sa.Column("advice", sa.Text(), nullable=False),
        sa.Column(
            "next_step",
            sa.Enum(
                "pilot",
                "data_preparation",
                "not_feasible",
                name="nextstep",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("at", portal.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["idea_id"],
            ["ideas.id"],
            name=op.f("fk_consulting_outcomes_idea_id_ideas"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["users.id"],
            name=op.f("fk_consulting_outcomes_recorded_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["slot_id"],
            ["consulting_slots.id"],
            name=op.f("fk_consulting_outcomes_slot_id_consulting_slots"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consulting_outcomes")),
        sa.UniqueConstraint("slot_id", name=op.f("uq_consulting_outcomes_slot_id")),
    )
    with op.batch_alter_table("consulting_outcomes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_consulting_outcomes_idea_id"), ["idea_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("consulting_outcomes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consulting_outcomes_idea_id"))

    op.drop_table("consulting_outcomes")
    with op.batch_alter_table("idea_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_idea_events_idea_id"))

    op.drop_table("idea_events")
    with op.batch_alter_table("consulting_slots", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consulting_slots_starts_at"))
        batch_op.drop_index(batch_op.f("ix_consulting_slots_offered_for_idea_id"))
        batch_op.drop_index(batch_op.f("ix_consulting_slots_consultant_user_id"))
        batch_op.drop_index(batch_op.f("ix_consulting_slots_booked_idea_id"))

    op.drop_table("consulting_slots")
    with op.batch_alter_table("ideas", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ideas_submitter_id"))
        batch_op.drop_index(batch_op.f("ix_ideas_status"))
        batch_op.drop_index(batch_op.f("ix_ideas_source_draft_id"))
        batch_op.drop_index(batch_op.f("ix_ideas_department_id"))

    op.drop_table("ideas")
