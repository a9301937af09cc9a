"""Issued certificates. The number is kept for life: a reissue refreshes the PDF only."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.attendance.models import Completion
from portal.db import Base, UTCDateTime, intpk, utc_datetime
from portal.scheduling.models import TrainingSession
from portal.users.models import User


class Certificate(Base):
    __tablename__ = "certificates"
    __table_args__ = (UniqueConstraint("session_id", "user_id"),)

    id: Mapped[intpk]
    number: Mapped[str] = mapped_column(String(40), unique=True)
    completion_id: Mapped[int] = mapped_column(
        ForeignKey("completions.id", ondelete="RESTRICT"), unique=True
    )
    session_id: Mapped[int] = mapped_column(
        ForeignKey("training_sessions.id", ondelete="RESTRICT"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    # What the certificate shows (name, department, course, dates, hours, issuer), frozen at
    # issue and refreshed by a reissue; the verification page shows exactly this.
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    issued_at: Mapped[utc_datetime]
    reissued_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    reissue_count: Mapped[int] = mapped_column(Integer, server_default="0", default=0)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    revoked_reason: Mapped[str] = mapped_column(Text, server_default="", default="")
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    completion: Mapped[Completion] = relationship(lazy="raise")
    session: Mapped[TrainingSession] = relationship(lazy="raise")
    user: Mapped[User] = relationship(foreign_keys=[user_id], lazy="raise")
