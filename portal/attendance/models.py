"""Attendance marks, check-in windows, completions and the learning-hours ledger."""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.catalog.models import Course
from portal.db import Base, UTCDateTime, intpk, str_enum, utc_datetime
from portal.scheduling.models import TrainingSession
from portal.users.models import User


class AttendanceStatus(enum.StrEnum):
    PRESENT = "present"  # 출석
    LATE = "late"  # 지각
    EXCUSED = "excused"  # 공결
    ABSENT = "absent"  # 결석


class MarkSource(enum.StrEnum):
    ROSTER = "roster"  # marked by an instructor or coordinator on the roster page
    CHECKIN = "checkin"  # the person's own QR or numeric-code check-in


class AttendanceMark(Base):
    """One person's attendance on one day of a session; each mark is its own row."""

    __tablename__ = "attendance_marks"
    __table_args__ = (UniqueConstraint("session_id", "user_id", "day"),)

    id: Mapped[intpk]
    session_id: Mapped[int] = mapped_column(
        ForeignKey("training_sessions.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    day: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[AttendanceStatus] = mapped_column(str_enum(AttendanceStatus))
    source: Mapped[MarkSource] = mapped_column(str_enum(MarkSource))
    # When the person checked in themselves (None for marks made on the roster).
    checked_in_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    marked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    marked_at: Mapped[utc_datetime]
    # Bumped on every change, for a version check when two people edit one mark.
    version: Mapped[int] = mapped_column(Integer, server_default="1", default=1)

    session: Mapped[TrainingSession] = relationship(lazy="raise")
    user: Mapped[User] = relationship(foreign_keys=[user_id], lazy="raise")


class CheckinWindow(Base):
    """An instructor opened QR self check-in for one day of a session."""

    __tablename__ = "checkin_windows"
    __table_args__ = (UniqueConstraint("session_id", "day"),)

    id: Mapped[intpk]
    session_id: Mapped[int] = mapped_column(
        ForeignKey("training_sessions.id", ondelete="CASCADE"), index=True
    )
    day: Mapped[dt.date] = mapped_column(Date)
    # Per-window secret the rotating codes are derived from; never shown or logged.
    secret: Mapped[str] = mapped_column(String(64))
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    opened_at: Mapped[utc_datetime]
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    session: Mapped[TrainingSession] = relationship(lazy="raise")


class CompletionStatus(enum.StrEnum):
    COMPLETED = "completed"  # 수료
    PENDING = "pending"  # attendance met, a required exercise or survey still open (진행 중)
    NOT_COMPLETED = "not_completed"  # 미수료


class Completion(Base):
    """The outcome of one enrolled person in one finished session."""

    __tablename__ = "completions"
    __table_args__ = (
        UniqueConstraint("session_id", "user_id"),
        Index("ix_completions_user_course", "user_id", "course_id"),
        # "Did this person complete a session of the year?" (the dashboards), index only.
        Index("ix_completions_user_status_session", "user_id", "status", "session_id"),
    )

    id: Mapped[intpk]
    session_id: Mapped[int] = mapped_column(
        ForeignKey("training_sessions.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # Denormalised from the session, so "has completed course X" is one indexed lookup.
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="RESTRICT"))
    status: Mapped[CompletionStatus] = mapped_column(str_enum(CompletionStatus))
    attended_hours: Mapped[Decimal] = mapped_column(Numeric(6, 2))
    scheduled_hours: Mapped[Decimal] = mapped_column(Numeric(6, 2))
    exercise_met: Mapped[bool] = mapped_column(Boolean, server_default=false(), default=False)
    survey_met: Mapped[bool] = mapped_column(Boolean, server_default=false(), default=False)
    # The course's recognised hours at the moment of completion (0 until completed).
    hours_awarded: Mapped[Decimal] = mapped_column(Numeric(5, 1), server_default="0", default=0)
    completed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    evaluated_at: Mapped[utc_datetime]

    session: Mapped[TrainingSession] = relationship(lazy="raise")
    user: Mapped[User] = relationship(lazy="raise")
    course: Mapped[Course] = relationship(lazy="raise")


class HoursSource(enum.StrEnum):
    PORTAL = "portal"  # a completion in this portal
    EXTERNAL = "external"  # outside training the person reported (나라배움터, 지방행정연수원…)


class HoursStatus(enum.StrEnum):
    PENDING = "pending"  # 승인 대기
    APPROVED = "approved"  # 인정
    DECLINED = "declined"  # 반려


class HoursEntry(Base):
    """One line of a person's learning-hours ledger (상시학습) for a calendar year."""

    __tablename__ = "learning_hours"
    __table_args__ = (
        Index("ix_learning_hours_user_year", "user_id", "year"),
        # Each person's approved hours of a year, summed from the index (the dashboards).
        Index("ix_learning_hours_year_status_user", "year", "status", "user_id", "hours"),
        CheckConstraint("hours > 0", name="hours_positive"),
    )

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    year: Mapped[int] = mapped_column(Integer)
    source: Mapped[HoursSource] = mapped_column(str_enum(HoursSource))
    status: Mapped[HoursStatus] = mapped_column(str_enum(HoursStatus), index=True)
    hours: Mapped[Decimal] = mapped_column(Numeric(5, 1))
    title: Mapped[str] = mapped_column(String(200))
    provider: Mapped[str] = mapped_column(String(100), server_default="", default="")
    completed_on: Mapped[dt.date] = mapped_column(Date)
    # Set for portal entries: one ledger line per completion.
    completion_id: Mapped[int | None] = mapped_column(
        ForeignKey("completions.id", ondelete="CASCADE"), unique=True
    )
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    decision_reason: Mapped[str] = mapped_column(Text, server_default="", default="")
    created_at: Mapped[utc_datetime]

    user: Mapped[User] = relationship(foreign_keys=[user_id], lazy="raise")


class HoursEvidence(Base):
    """The evidence file of an outside-learning entry, kept apart so lists never load it."""

    __tablename__ = "learning_hours_evidence"

    id: Mapped[intpk]
    entry_id: Mapped[int] = mapped_column(
        ForeignKey("learning_hours.id", ondelete="CASCADE"), unique=True
    )
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(50))  # from the file's content, not its name
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_at: Mapped[utc_datetime]
