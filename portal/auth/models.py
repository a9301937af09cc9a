"""Server-side login sessions, so logout and password changes really end them."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import Base, UTCDateTime, intpk, utc_datetime


class LoginSession(Base):
    __tablename__ = "login_sessions"

    id: Mapped[intpk]
    # SHA-256 of the random token kept in the signed cookie; the token itself is never stored.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[utc_datetime]
    last_seen_at: Mapped[utc_datetime]
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    end_reason: Mapped[str | None] = mapped_column(String(30))


class LoginFailure(Base):
    """Failed-login state of one account as seen from one source, or from all sources.

    One row per (account, source): ``source_key`` is a keyed hash of the client address,
    or ``ALL_SOURCES`` for the account-wide count. ``account_key`` is ``u:<user id>`` for an
    existing account and a keyed hash of the typed identifier otherwise, so unknown
    identifiers are counted and locked exactly like real ones (no account enumeration).
    No raw address or employee number is stored.
    """

    __tablename__ = "login_failures"
    __table_args__ = (
        UniqueConstraint("account_key", "source_key"),
        Index("ix_login_failures_last_failed_at", "last_failed_at"),
    )

    id: Mapped[intpk]
    account_key: Mapped[str] = mapped_column(String(64))
    source_key: Mapped[str] = mapped_column(String(64))
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failed_at: Mapped[utc_datetime]
    locked_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
