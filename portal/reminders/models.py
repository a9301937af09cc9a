"""The reminder log: one row per reminder ever sent, so no reminder goes out twice."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import Base, intpk, utc_datetime


class ReminderLog(Base):
    """``(kind, subject_key)`` is unique: inserting it claims the reminder.

    The insert and the outbox mail are written in the same transaction, so either both
    are committed or neither; a second run (or one overlapping this one) finds the row
    and sends nothing.
    """

    __tablename__ = "reminder_log"
    __table_args__ = (UniqueConstraint("kind", "subject_key"),)

    id: Mapped[intpk]
    kind: Mapped[str] = mapped_column(String(40))
    # e.g. "session:12:user:34" or "course:5:user:34:stage:14"
    subject_key: Mapped[str] = mapped_column(String(120))
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    sent_at: Mapped[utc_datetime]
