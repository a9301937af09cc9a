"""Login, lockout and server-side sessions. Operations flush; the request commits."""

from __future__ import annotations

import datetime as dt
import enum
import functools
import hashlib
import secrets
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import Select, bindparam, func, or_, select, update
from sqlalchemy.orm import joinedload

from portal.audit.operations import record
from portal.auth.models import LoginSession
from portal.auth.passwords import hash_password, needs_rehash, verify_password
from portal.core.clock import utcnow
from portal.db import db
from portal.users.models import User


class LoginOutcome(enum.StrEnum):
    OK = "ok"
    BAD_CREDENTIALS = "bad_credentials"
    LOCKED = "locked"
    INACTIVE = "inactive"


@dataclass(frozen=True)
class LoginResult:
    outcome: LoginOutcome
    user: User | None = None
    locked_until: dt.datetime | None = None


def find_user_by_login(login: str) -> User | None:
    """The account named by an employee number or an e-mail address."""
    login = login.strip()
    if not login:
        return None
    return db.session.scalar(
        select(User).where(
            or_(User.employee_number == login, func.lower(User.email) == login.lower())
        )
    )


@dataclass(frozen=True)
class PasswordCheck:
    user_id: int | None
    matched: bool


def check_password(login: str, password: str) -> PasswordCheck:
    """Find the account and verify the password, reading only.

    argon2id is the slow step (tens of milliseconds by design). Doing it before any
    write lock lets a burst of logins verify on every core at once; the short
    bookkeeping that follows (record_attempt) is what serialises.
    """
    user = find_user_by_login(login)
    ok = verify_password(user.password_hash if user else None, password)
    return PasswordCheck(user.id if user else None, ok and user is not None)


def record_attempt(check: PasswordCheck, password: str) -> LoginResult:
    """Apply the lock rules and counters under the account's row lock, and audit the attempt."""
    cfg = current_app.config
    now = utcnow()
    if check.user_id is None:
        record("login.failed", details={"unknown_account": True})
        return LoginResult(LoginOutcome.BAD_CREDENTIALS)
    # Lock the row while counting failures, so parallel attempts cannot lose a count.
    user = db.session.get(User, check.user_id, with_for_update=True, populate_existing=True)
    if user is None:
        return LoginResult(LoginOutcome.BAD_CREDENTIALS)
    if user.locked_until and user.locked_until > now:
        record("login.refused_locked", target_type="user", target_id=user.id, actor_id=user.id)
        return LoginResult(LoginOutcome.LOCKED, user, user.locked_until)

    if not check.matched:
        user.failed_login_count += 1
        details = {"consecutive_failures": user.failed_login_count}
        if user.failed_login_count >= cfg["LOGIN_MAX_FAILURES"]:
            user.locked_until = now + dt.timedelta(minutes=cfg["LOGIN_LOCK_MINUTES"])
            user.failed_login_count = 0
            details["locked"] = True
        record("login.failed", target_type="user", target_id=user.id, details=details)
        if user.locked_until and user.locked_until > now:
            return LoginResult(LoginOutcome.LOCKED, user, user.locked_until)
        return LoginResult(LoginOutcome.BAD_CREDENTIALS)

    if not user.is_active:
        record("login.refused_inactive", target_type="user", target_id=user.id, actor_id=user.id)
        return LoginResult(LoginOutcome.INACTIVE, user)

    user.failed_login_count = 0
    user.locked_until = None
    user.last_login_at = now
    if user.password_hash and needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    record("login.succeeded", target_type="user", target_id=user.id, actor_id=user.id)
    return LoginResult(LoginOutcome.OK, user)


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(user: User) -> str:
    """Open a new server-side session and return the token for the cookie."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    db.session.add(
        LoginSession(
            token_hash=_hash_token(token), user_id=user.id, created_at=now, last_seen_at=now
        )
    )
    db.session.flush()
    return token


@dataclass(frozen=True)
class SessionCheck:
    login_session: LoginSession | None
    expired_reason: str | None = None
    user: User | None = None  # the session's owner, loaded with it (when the check passed)


@functools.cache
def _session_with_owner() -> Select[tuple[LoginSession, User]]:
    # The owner (and their department) comes in the same statement, so the user loader and
    # the home page need no further query for them. Built once: it runs on every request.
    return (
        select(LoginSession, User)
        .outerjoin(User, User.id == LoginSession.user_id)
        .options(joinedload(User.department))
        .where(LoginSession.token_hash == bindparam("token_hash"))
    )


def check_session(user_id: int, token: str, *, touch: bool) -> SessionCheck:
    """Validate a session token against idle and absolute limits; optionally mark activity."""
    cfg = current_app.config
    row = db.session.execute(_session_with_owner(), {"token_hash": _hash_token(token)}).first()
    login_session = row[0] if row is not None else None
    if login_session is None or login_session.user_id != user_id:
        return SessionCheck(None, "unknown")
    if login_session.ended_at is not None:
        return SessionCheck(None, login_session.end_reason or "ended")
    now = utcnow()
    if now - login_session.created_at > dt.timedelta(hours=cfg["SESSION_ABSOLUTE_HOURS"]):
        _end(login_session, "absolute_timeout", now)
        return SessionCheck(None, "absolute_timeout")
    if now - login_session.last_seen_at > dt.timedelta(minutes=cfg["SESSION_IDLE_MINUTES"]):
        _end(login_session, "idle_timeout", now)
        return SessionCheck(None, "idle_timeout")
    if touch:
        login_session.last_seen_at = now
    return SessionCheck(login_session, user=row[1])


def session_expires_at(login_session: LoginSession) -> dt.datetime:
    """When the session ends if the user does nothing (the earlier of idle and absolute)."""
    cfg = current_app.config
    idle_end = login_session.last_seen_at + dt.timedelta(minutes=cfg["SESSION_IDLE_MINUTES"])
    absolute_end = login_session.created_at + dt.timedelta(hours=cfg["SESSION_ABSOLUTE_HOURS"])
    return min(idle_end, absolute_end)


def _end(login_session: LoginSession, reason: str, now: dt.datetime) -> None:
    login_session.ended_at = now
    login_session.end_reason = reason
    db.session.flush()


def end_session(token: str, reason: str = "logout") -> None:
    """End one session on the server, so a copied cookie stops working."""
    db.session.execute(
        update(LoginSession)
        .where(LoginSession.token_hash == _hash_token(token), LoginSession.ended_at.is_(None))
        .values(ended_at=utcnow(), end_reason=reason)
    )


def end_other_sessions(user_id: int, keep_token: str | None, reason: str) -> int:
    """End every open session of a user except the one with keep_token."""
    stmt = update(LoginSession).where(
        LoginSession.user_id == user_id, LoginSession.ended_at.is_(None)
    )
    if keep_token is not None:
        stmt = stmt.where(LoginSession.token_hash != _hash_token(keep_token))
    result = db.session.execute(stmt.values(ended_at=utcnow(), end_reason=reason))
    return result.rowcount


def change_password(user: User, new_password: str, *, keep_token: str | None) -> int:
    """Set a new password and end every other session of that user."""
    user.password_hash = hash_password(new_password)
    user.password_changed_at = utcnow()
    ended = end_other_sessions(user.id, keep_token, "password_changed")
    record(
        "password.changed", target_type="user", target_id=user.id, details={"sessions_ended": ended}
    )
    return ended
