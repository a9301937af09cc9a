"""Attendance marks, check-in windows, completions and the learning-hours ledger."""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Connection,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    case,
    event,
    false,
    func,
    select,
    true,
    update,
)
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

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
        # A year's lines by status (the hours review queue). The dashboards' per-person
        # sums, for which it was added, now read learning_hours_years (HoursYear).
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


class HoursYear(Base):
    """A person's approved learning hours of one year: the ledger's approved lines, summed.

    The department dashboard reads these instead of summing every approved line of the
    year per person (130,000 lines at 20,000 staff, a third of that page's time on
    PostgreSQL). Each row is recomputed from the ledger (``refresh_hours_years``) for the
    people whose lines a transaction wrote: the ORM's writes through ``_follow_ledger``
    below, the completion's bulk writes and the scaled demo by calling it themselves. A
    row stays (at 0) when its lines go; it goes with its account (ON DELETE CASCADE), as
    the lines do.
    """

    __tablename__ = "learning_hours_years"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    approved: Mapped[Decimal] = mapped_column(Numeric(7, 1), server_default="0", default=0)


_REFRESH_CHUNK = 500  # people per statement (bound parameters stay well under limits)


def refresh_hours_years(connection: Connection, user_ids=None) -> None:
    """Recompute ``learning_hours_years`` from the ledger for these people (None: everyone).

    Per chunk of people: on PostgreSQL their account rows are locked first (FOR NO KEY
    UPDATE, in id order), so two transactions refreshing one person run one after the
    other and the second sums the first's committed lines (otherwise two transactions
    adding a person's first lines of a year could each store only their own). Then the
    people's rows go to 0, and every (person, year) with ledger lines gets its approved
    sum (inserted, or updated on conflict).
    """
    if user_ids is None:
        _refresh(connection, None)
        return
    ids = sorted(set(user_ids))
    for start in range(0, len(ids), _REFRESH_CHUNK):
        _refresh(connection, ids[start : start + _REFRESH_CHUNK])


def _refresh(connection: Connection, ids: list[int] | None) -> None:
    reset = update(HoursYear).values(approved=0)
    sums = select(
        HoursEntry.user_id,
        HoursEntry.year,
        func.coalesce(
            func.sum(case((HoursEntry.status == HoursStatus.APPROVED, HoursEntry.hours), else_=0)),
            0,
        ),
    ).group_by(HoursEntry.user_id, HoursEntry.year)
    # SQLite reads "INSERT ... SELECT ... ON CONFLICT" unambiguously only with a WHERE.
    sums = sums.where(true())
    if ids is not None:
        if connection.dialect.name == "postgresql":
            connection.execute(
                select(User.id)
                .where(User.id.in_(ids))
                .order_by(User.id)
                .with_for_update(key_share=True)  # FOR NO KEY UPDATE
            )
        reset = reset.where(HoursYear.user_id.in_(ids))
        sums = sums.where(HoursEntry.user_id.in_(ids))
    connection.execute(reset)
    insert = pg_insert if connection.dialect.name == "postgresql" else sqlite_insert
    stmt = insert(HoursYear).from_select(["user_id", "year", "approved"], sums)
    connection.execute(
        stmt.on_conflict_do_update(
            index_elements=[HoursYear.user_id, HoursYear.year],
            set_={"approved": stmt.excluded.approved},
        )
    )


@event.listens_for(Session, "after_flush")
def _follow_ledger(session: Session, _ctx) -> None:
    """Refresh the yearly sums of the people whose ledger lines this flush wrote."""
    people = {
        obj.user_id
        for group in (session.new, session.dirty, session.deleted)
        for obj in group
        if isinstance(obj, HoursEntry) and obj.user_id is not None
    }
    for obj in session.dirty:  # a line moved to another person: both change
        if isinstance(obj, HoursEntry):
            history = sa_inspect(obj).attrs.user_id.history
            people.update(i for i in history.deleted if i is not None)
    if people:
        refresh_hours_years(session.connection(), people)


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
