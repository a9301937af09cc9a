"""Login, lockout and server-side sessions. Operations flush; the request commits."""

from __future__ import annotations

import datetime as dt
import enum
import functools
import hashlib
import secrets
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import Select, bindparam, case, delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import joinedload

from portal.audit.operations import record
from portal.auth.models import LoginFailure, LoginSession
from portal.auth.passwords import hash_password, needs_rehash, verify_password
from portal.core.clock import utcnow
from portal.core.net import pseudonym
from portal.db import db
from portal.users.models import User


class LoginOutcome(enum.StrEnum):
    OK = "ok"
    BAD_CREDENTIALS = "bad_credentials"
    LOCKED = "locked"
    INACTIVE = "inactive"


class LockScope(enum.StrEnum):
    SOURCE = "source"  # this account, from this client address only
    ACCOUNT = "account"  # this account, from everywhere


@dataclass(frozen=True)
class LoginResult:
    outcome: LoginOutcome
    user: User | None = None
    locked_until: dt.datetime | None = None
    lock_scope: LockScope | None = None


# The account-wide row of an account in login_failures (per-source rows hold a hashed address).
ALL_SOURCES = "*"
# A failure older than this no longer counts towards the next one (and its row may go).
FAILURE_MEMORY = dt.timedelta(hours=24)


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


def user_account_key(user_id: int) -> str:
    return f"u:{user_id}"


def _unknown_account_key(login: str) -> str:
    # Case-folded, so "e123" and "E123" share one counter like the e-mail look-up does.
    return "l:" + pseudonym(login.strip().lower(), "login-identifier")


@dataclass(frozen=True)
class PasswordCheck:
    user_id: int | None
    matched: bool
    account_key: str = ""


def check_password(login: str, password: str) -> PasswordCheck:
    """Find the account and verify the password, reading only.

    argon2id is the slow step (tens of milliseconds by design). Doing it before any
    write lock lets a burst of logins verify on every core at once; the short
    bookkeeping that follows (record_attempt) is what serialises.

    An unknown account, or one imported without a password yet, is verified against a
    dummy hash (verify_password does that for a missing hash), so every attempt costs the
    same argon2 time and answers the same way whether or not the account exists.
    """
    user = find_user_by_login(login)
    ok = verify_password(user.password_hash if user else None, password)
    if user is None:
        return PasswordCheck(None, False, _unknown_account_key(login))
    return PasswordCheck(user.id, ok, user_account_key(user.id))


def record_attempt(check: PasswordCheck, password: str, *, source: str) -> LoginResult:
    """Apply the lock rules and counters, and audit the attempt.

    Failures are counted per (account, source): ``LOGIN_MAX_FAILURES`` consecutive
    failures from one client address lock the account for that address only, for
    ``LOGIN_LOCK_MINUTES``. Someone guessing from one place cannot lock the real user
    out. Failures are also counted per account across all sources; at the much higher
    ``LOGIN_ACCOUNT_MAX_FAILURES`` the account is locked for everyone for the same time,
    which stops a guesser spread over many addresses. A success clears both counts for
    the account and that source. Unknown identifiers go through exactly the same rules
    (keyed by a hash of the identifier), so the answers never reveal who has an account.
    """
    cfg = current_app.config
    now = utcnow()
    source_key = pseudonym(source, "login-source")
    user = None
    if check.user_id is not None:
        # Lock the row while counting, so parallel attempts on one account are serialised.
        user = db.session.get(User, check.user_id, with_for_update=True, populate_existing=True)
    target = {"target_type": "user", "target_id": user.id} if user else {}
    unknown = {} if user else {"unknown_account": True}

    lock = _current_lock(check.account_key, source_key, now)
    if lock is not None:
        until, scope = lock
        record(
            "login.refused_locked",
            actor_id=user.id if user else None,
            details={"scope": scope.value, **unknown},
            **target,
        )
        return LoginResult(LoginOutcome.LOCKED, user, until, scope)

    if not check.matched or user is None:
        from_source = _count_failure(check.account_key, source_key, now)
        overall = _count_failure(check.account_key, ALL_SOURCES, now)
        details: dict[str, object] = {
            "consecutive_failures": from_source,
            "account_failures": overall,
            **unknown,
        }
        result = LoginResult(LoginOutcome.BAD_CREDENTIALS)
        if overall >= cfg["LOGIN_ACCOUNT_MAX_FAILURES"]:
            until = _lock(check.account_key, ALL_SOURCES, now)
            details["locked"] = LockScope.ACCOUNT.value
            result = LoginResult(LoginOutcome.LOCKED, user, until, LockScope.ACCOUNT)
        elif from_source >= cfg["LOGIN_MAX_FAILURES"]:
            until = _lock(check.account_key, source_key, now)
            details["locked"] = LockScope.SOURCE.value
            result = LoginResult(LoginOutcome.LOCKED, user, until, LockScope.SOURCE)
        record("login.failed", details=details, **target)
        return result

    if not user.is_active:
        record("login.refused_inactive", target_type="user", target_id=user.id, actor_id=user.id)
        return LoginResult(LoginOutcome.INACTIVE, user)

    # A success ends the run of failures from this source and across the account. Locks
    # held by other sources stay: the guesser elsewhere does not get a fresh start.
    db.session.execute(
        delete(LoginFailure).where(
            LoginFailure.account_key == check.account_key,
            LoginFailure.source_key.in_((source_key, ALL_SOURCES)),
        )
    )
    # The columns of the old account-wide lock; login_failures holds the state now.
    user.failed_login_count = 0
    user.locked_until = None
    user.last_login_at = now
    if user.password_hash and needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    record("login.succeeded", target_type="user", target_id=user.id, actor_id=user.id)
    return LoginResult(LoginOutcome.OK, user)


def _current_lock(
    account_key: str, source_key: str, now: dt.datetime
) -> tuple[dt.datetime, LockScope] | None:
    rows = db.session.execute(
        select(LoginFailure.source_key, LoginFailure.locked_until).where(
            LoginFailure.account_key == account_key,
            LoginFailure.source_key.in_((source_key, ALL_SOURCES)),
            LoginFailure.locked_until > now,
        )
    ).all()
    if not rows:
        return None
    # The account-wide lock wins: it is the one no other address gets around.
    key, until = max(rows, key=lambda row: (row[0] == ALL_SOURCES, row[1]))
    return until, LockScope.ACCOUNT if key == ALL_SOURCES else LockScope.SOURCE


def _count_failure(account_key: str, source_key: str, now: dt.datetime) -> int:
    """Add one failure to a row, atomically (an upsert), and return the new count."""
    insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    table = LoginFailure.__table__
    stmt = (
        insert(LoginFailure)
        .values(account_key=account_key, source_key=source_key, failures=1, last_failed_at=now)
        .on_conflict_do_update(
            index_elements=["account_key", "source_key"],
            set_={
                "failures": case(
                    (table.c.last_failed_at < now - FAILURE_MEMORY, 1),
                    else_=table.c.failures + 1,
                ),
                "last_failed_at": now,
            },
        )
        .returning(table.c.failures)
    )
    return db.session.execute(stmt).scalar_one()


def _lock(account_key: str, source_key: str, now: dt.datetime) -> dt.datetime:
    until = now + dt.timedelta(minutes=current_app.config["LOGIN_LOCK_MINUTES"])
    db.session.execute(
        update(LoginFailure)
        .where(LoginFailure.account_key == account_key, LoginFailure.source_key == source_key)
        .values(locked_until=until, failures=0)
    )
    # Locks are rare; tidy rows that can no longer matter while we are writing anyway.
    # SKIP LOCKED (PostgreSQL; SQLite has one writer): never wait on, or deadlock with, a
    # parallel login that is counting on one of those rows.
    stale = (
        select(LoginFailure.id)
        .where(
            LoginFailure.last_failed_at < now - FAILURE_MEMORY,
            or_(LoginFailure.locked_until.is_(None), LoginFailure.locked_until <= now),
        )
        .limit(500)
        .with_for_update(skip_locked=True)
    )
    db.session.execute(delete(LoginFailure).where(LoginFailure.id.in_(stale.scalar_subquery())))
    return until


@dataclass(frozen=True)
class LoginLockStatus:
    """What an administrator sees: is the account locked, for how many addresses, until when."""

    account_locked: bool
    sources_locked: int
    until: dt.datetime | None

    @property
    def locked(self) -> bool:
        return self.account_locked or self.sources_locked > 0


def login_lock_status(user_id: int) -> LoginLockStatus:
    rows = db.session.execute(
        select(LoginFailure.source_key, LoginFailure.locked_until).where(
            LoginFailure.account_key == user_account_key(user_id),
            LoginFailure.locked_until > utcnow(),
        )
    ).all()
    return LoginLockStatus(
        account_locked=any(key == ALL_SOURCES for key, _ in rows),
        sources_locked=sum(1 for key, _ in rows if key != ALL_SOURCES),
        until=max((until for _, until in rows), default=None),
    )


def clear_login_failures(user_id: int) -> int:
    """Unlock an account for every source (an administrator's unlock or password reset)."""
    result = db.session.execute(
        delete(LoginFailure).where(LoginFailure.account_key == user_account_key(user_id))
    )
    return result.rowcount


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
