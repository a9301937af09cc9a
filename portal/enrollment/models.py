"""Enrolments: enrolled, waitlisted (first come, first served), cancelled; optional approval."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import BigInteger, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import Base, UTCDateTime, intpk, str_enum, utc_datetime
from portal.scheduling.models import TrainingSession
from portal.users.models import User


class EnrollmentStatus(enum.StrEnum):
    REQUESTED = "requested"  # waiting for the department head's approval
    ENROLLED = "enrolled"
    WAITLISTED = "waitlisted"
    CANCELLED = "cancelled"
    DECLINED = "declined"


# An enrolment that holds, or waits for, a place in its session.
ACTIVE = (EnrollmentStatus.ENROLLED, EnrollmentStatus.WAITLISTED, EnrollmentStatus.REQUESTED)


class Enrollment(Base):
    __tablename__ = "enrollments"
    __table_args__ = (
        # A double-submitted form cannot create a second row.
        UniqueConstraint("session_id", "user_id"),
        Index("ix_enrollments_waitlist", "session_id", "status", "queue_key"),
        # The dashboards count places per session and per person without reading rows.
        Index("ix_enrollments_session_status_user", "session_id", "status", "user_id"),
        Index("ix_enrollments_user_status_session", "user_id", "status", "session_id"),
    )

    id: Mapped[intpk]
    session_id: Mapped[int] = mapped_column(ForeignKey("training_sessions.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    status: Mapped[EnrollmentStatus] = mapped_column(str_enum(EnrollmentStatus))
    # Waitlist order: smaller comes first. Taken from a clock-based sequence at joining;
    # coordinators reorder by swapping keys.
    queue_key: Mapped[int] = mapped_column(BigInteger)
    source: Mapped[str] = mapped_column(String(20), server_default="self", default="self")
    created_at: Mapped[utc_datetime]
    updated_at: Mapped[utc_datetime]
    cancelled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    session: Mapped[TrainingSession] = relationship(lazy="raise")
    user: Mapped[User] = relationship(foreign_keys=[user_id], lazy="raise")
