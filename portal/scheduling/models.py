"""Training sessions (교육 차수). Never call this class Session."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.catalog.models import Course
from portal.db import Base, UTCDateTime, intpk, str_enum, utc_datetime
from portal.users.models import User


class SessionStatus(enum.StrEnum):
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"
    FINISHED = "finished"


class TrainingSession(Base):
    __tablename__ = "training_sessions"
    __table_args__ = (
        UniqueConstraint("course_id", "round_number"),
        # The capacity invariant, enforced by the database as a last line of defence.
        CheckConstraint(
            "seats_taken >= 0 AND seats_taken <= capacity", name="seats_within_capacity"
        ),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
    )

    id: Mapped[intpk]
    course_id: Mapped[int] = mapped_column(
        ForeignKey("courses.id", ondelete="RESTRICT"), index=True
    )
    round_number: Mapped[int] = mapped_column(Integer)
    starts_at: Mapped[utc_datetime] = mapped_column(index=True)
    ends_at: Mapped[utc_datetime]
    place: Mapped[str] = mapped_column(String(200), server_default="", default="")
    online_url: Mapped[str] = mapped_column(String(500), server_default="", default="")
    instructor_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    capacity: Mapped[int] = mapped_column(Integer)
    # Enrolled count, changed only by conditional UPDATEs (see enrollment.operations).
    seats_taken: Mapped[int] = mapped_column(Integer, server_default="0", default=0)
    enrol_opens_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    enrol_closes_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    cancel_deadline_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    status: Mapped[SessionStatus] = mapped_column(
        str_enum(SessionStatus),
        server_default=SessionStatus.SCHEDULED.value,
        default=SessionStatus.SCHEDULED,
    )
    notes: Mapped[str] = mapped_column(Text, server_default="", default="")
    created_at: Mapped[utc_datetime]
    updated_at: Mapped[utc_datetime]

    course: Mapped[Course] = relationship(lazy="raise")
    instructor: Mapped[User | None] = relationship(lazy="raise")

    @property
    def seats_left(self) -> int:
        return max(0, self.capacity - self.seats_taken)

    def __repr__(self) -> str:
        return f"<TrainingSession {self.id} course={self.course_id} round={self.round_number}>"
