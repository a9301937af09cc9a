"""attendance completion hours certificates surveys

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 20:00:57
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import portal.db

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "attendance_marks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "present",
                "late",
                "excused",
                "absent",
                name="attendancestatus",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column(
            "source",
            sa.Enum("roster", "checkin", name="marksource", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("checked_in_at", portal.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("marked_by_id", sa.Integer(), nullable=True),
        sa.Column("marked_at", portal.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.ForeignKeyConstraint(
            ["marked_by_id"],
            ["users.id"],
            name=op.f("fk_attendance_marks_marked_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["training_sessions.id"],
            name=op.f("fk_attendance_marks_session_id_training_sessions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_attendance_marks_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attendance_marks")),
        sa.UniqueConstraint(
            "session_id", "user_id", "day", name=op.f("uq_attendance_marks_session_id_user_id_day")
        ),
    )
    with op.batch_alter_table("attendance_marks", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_attendance_marks_session_id"), ["session_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_attendance_marks_user_id"), ["user_id"], unique=False)

    op.create_table(
        "checkin_windows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("secret", sa.String(length=64), nullable=False),
        sa.Column("opened_by_id", sa.Integer(), nullable=True),
        sa.Column("opened_at", portal.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("closed_at", portal.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["opened_by_id"],
            ["users.id"],
            name=op.f("fk_checkin_windows_opened_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["training_sessions.id"],
            name=op.f("fk_checkin_windows_session_id_training_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checkin_windows")),
        sa.UniqueConstraint("session_id", "day", name=op.f("uq_checkin_windows_session_id_day")),
    )
    with op.batch_alter_table("checkin_windows", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_checkin_windows_session_id"), ["session_id"], unique=False
        )

    op.create_table(
        "completions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "completed",
                "pending",
                "not_completed",
                name="completionstatus",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("attended_hours", sa.Numeric(precision=6, scale=2), nullable=False),
        sa.Column("scheduled_hours", sa.Numeric(precision=6, scale=2), nullable=False),
        sa.Column("exercise_met", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("survey_met", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column(
            "hours_awarded", sa.Numeric(precision=5, scale=1), server_default="0", nullable=False
        ),
        sa.Column("completed_at", portal.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("evaluated_at", portal.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["courses.id"],
            name=op.f("fk_completions_course_id_courses"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["training_sessions.id"],
            name=op.f("fk_completions_session_id_training_sessions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_completions_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_completions")),
        sa.UniqueConstraint(
            "session_id", "user_id", name=op.f("uq_completions_session_id_user_id")
        ),
    )
    with op.batch_alter_table("completions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_completions_session_id"), ["session_id"], unique=False)
        batch_op.create_index("ix_completions_user_course", ["user_id", "course_id"], unique=False)

    op.create_table(
        "survey_receipts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("answered_at", portal.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["training_sessions.id"],
            name=op.f("fk_survey_receipts_session_id_training_sessions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_survey_receipts_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_receipts")),
        sa.UniqueConstraint(
            "session_id", "user_id", name=op.f("uq_survey_receipts_session_id_user_id")
        ),
    )
    with op.batch_alter_table("survey_receipts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_survey_receipts_session_id"), ["session_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_survey_receipts_user_id"), ["user_id"], unique=False)

    op.create_table(
        "survey_responses",
        sa.Column("key", sa.String(length=32), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("comment", sa.Text(), server_default="", nullable=False),
        sa.Column("answered_on", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["courses.id"],
            name=op.f("fk_survey_responses_course_id_courses"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["training_sessions.id"],
            name=op.f("fk_survey_responses_session_id_training_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_survey_responses")),
    )
    with op.batch_alter_table("survey_responses", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_survey_responses_course_id"), ["course_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_survey_responses_session_id"), ["session_id"], unique=False
        )

    op.create_table(
        "certificates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.Column("completion_id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("issued_at", portal.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("reissued_at", portal.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reissue_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("revoked_at", portal.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_reason", sa.Text(), server_default="", nullable=False),
        sa.Column("revoked_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["completion_id"],
            ["completions.id"],
            name=op.f("fk_certificates_completion_id_completions"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["revoked_by_id"],
            ["users.id"],
            name=op.f("fk_certificates_revoked_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["training_sessions.id"],
            name=op.f("fk_certificates_session_id_training_sessions"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_certificates_user_id_users"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certificates")),
        sa.UniqueConstraint("completion_id", name=op.f("uq_certificates_completion_id")),
        sa.UniqueConstraint("number", name=op.f("uq_certificates_number")),
        sa.UniqueConstraint(
            "session_id", "user_id", name=op.f("uq_certificates_session_id_user_id")
        ),
    )
    with op.batch_alter_table("certificates", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_certificates_session_id"), ["session_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_certificates_user_id"), ["user_id"], unique=False)

    op.create_table(
        "learning_hours",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column(
            "source",
            sa.Enum("portal", "external", name="hourssource", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "pending", "approved", "declined", name="hoursstatus", native_enum=False, length=20
            ),
            nullable=False,
        ),
        sa.Column("hours", sa.Numeric(precision=5, scale=1), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("provider", sa.String(length=100), server_default="", nullable=False),
        sa.Column("completed_on", sa.Date(), nullable=False),
        sa.Column("completion_id", sa.Integer(), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", portal.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decision_reason", sa.Text(), server_default="", nullable=False),
        sa.Column("created_at", portal.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("hours > 0", name=op.f("ck_learning_hours_hours_positive")),
        sa.ForeignKeyConstraint(
            ["completion_id"],
            ["completions.id"],
            name=op.f("fk_learning_hours_completion_id_completions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["users.id"],
            name=op.f("fk_learning_hours_decided_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_learning_hours_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_learning_hours")),
        sa.UniqueConstraint("completion_id", name=op.f("uq_learning_hours_completion_id")),
    )
    with op.batch_alter_table("learning_hours", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_learning_hours_status"), ["status"], unique=False)
        batch_op.create_index("ix_learning_hours_user_year", ["user_id", "year"], unique=False)

    op.create_table(
        "learning_hours_evidence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=50), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_at", portal.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["learning_hours.id"],
            name=op.f("fk_learning_hours_evidence_entry_id_learning_hours"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_learning_hours_evidence")),
        sa.UniqueConstraint("entry_id", name=op.f("uq_learning_hours_evidence_entry_id")),
    )
    with op.batch_alter_table("courses", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("survey_questions", sa.JSON(), server_default=sa.text("'[]'"), nullable=False)
        )
        batch_op.add_column(
            sa.Column("requires_survey", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("courses", schema=None) as batch_op:
        batch_op.drop_column("requires_survey")
        batch_op.drop_column("survey_questions")

    op.drop_table("learning_hours_evidence")
    with op.batch_alter_table("learning_hours", schema=None) as batch_op:
        batch_op.drop_index("ix_learning_hours_user_year")
        batch_op.drop_index(batch_op.f("ix_learning_hours_status"))

    op.drop_table("learning_hours")
    with op.batch_alter_table("certificates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_certificates_user_id"))
        batch_op.drop_index(batch_op.f("ix_certificates_session_id"))

    op.drop_table("certificates")
    with op.batch_alter_table("survey_responses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_survey_responses_session_id"))
        batch_op.drop_index(batch_op.f("ix_survey_responses_course_id"))

    op.drop_table("survey_responses")
    with op.batch_alter_table("survey_receipts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_survey_receipts_user_id"))
        batch_op.drop_index(batch_op.f("ix_survey_receipts_session_id"))

    op.drop_table("survey_receipts")
    with op.batch_alter_table("completions", schema=None) as batch_op:
        batch_op.drop_index("ix_completions_user_course")
        batch_op.drop_index(batch_op.f("ix_completions_session_id"))

    op.drop_table("completions")
    with op.batch_alter_table("checkin_windows", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_checkin_windows_session_id"))

    op.drop_table("checkin_windows")
    with op.batch_alter_table("attendance_marks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_attendance_marks_user_id"))
        batch_op.drop_index(batch_op.f("ix_attendance_marks_session_id"))

    op.drop_table("attendance_marks")
