"""Flask-Login wiring: the cookie holds a random token; the database decides if it is valid."""

from __future__ import annotations

import time

from flask import Flask, current_app, flash, g, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from portal.auth import operations
from portal.core.clock import utcnow
from portal.db import db, set_write_intent
from portal.extensions import login_manager
from portal.users.models import User

_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = None  # the server-side session record does this job
    # Flask-Login hashes the address and browser of every request for its session
    # protection, even when that is off, and stores the hash in the cookie at login. With
    # protection off it is never compared, so nothing is computed and the cookie holds
    # nothing derived from the address.
    login_manager._session_identifier_generator = _no_identifier
    login_manager.login_message = None
    login_manager.user_loader(_load_user)
    login_manager.unauthorized_handler(_unauthorized)
    app.before_request(_plan_session_touch)
    app.context_processor(_session_timing)


def _no_identifier() -> str:
    return ""


def _session_timing() -> dict[str, int | None]:
    """Seconds until the login session ends, for the idle-timeout warning of every page."""
    # Reading current_user loads the login session (g.login_session) if nothing did yet.
    login_session = g.get("login_session") if current_user.is_authenticated else None
    if login_session is None:
        return {"session_seconds_left": None}
    left = operations.session_expires_at(login_session) - utcnow()
    return {"session_seconds_left": max(0, int(left.total_seconds()))}


def _plan_session_touch() -> None:
    # Decide before the first query whether this request will write the session's
    # last-seen time, so a read-only request on SQLite can begin a deferred transaction.
    g.session_touch_due = False
    if "sid" not in session:
        return
    touched = session.get("touched", 0)
    if time.time() - touched >= current_app.config["SESSION_TOUCH_SECONDS"]:
        g.session_touch_due = True
        if request.method in _SAFE_METHODS:
            set_write_intent(True)


def _load_user(user_id: str) -> User | None:
    token = session.get("sid")
    if not token or not user_id.isdigit():
        return None
    check = operations.check_session(int(user_id), token, touch=g.get("session_touch_due", False))
    if check.login_session is None:
        session.clear()
        g.session_expired_reason = check.expired_reason
        _explain_expiry(check.expired_reason)
        return None
    user = check.user if check.user is not None else db.session.get(User, int(user_id))
    if user is None or not user.is_active:
        operations.end_session(token, "deactivated")
        session.clear()
        return None
    if g.get("session_touch_due"):
        session["touched"] = int(time.time())
    g.login_session = check.login_session
    return user


def _explain_expiry(reason: str | None) -> None:
    if reason == "idle_timeout":
        flash(
            _(
                "%(n)d분 동안 활동이 없어 안전을 위해 로그아웃되었습니다. 다시 로그인해 주세요.",
                n=current_app.config["SESSION_IDLE_MINUTES"],
            ),
            "info",
        )
    elif reason == "absolute_timeout":
        flash(
            _("로그인한 지 오래되어 안전을 위해 로그아웃되었습니다. 다시 로그인해 주세요."), "info"
        )
    elif reason in {"password_changed", "deactivated"}:
        flash(
            _("비밀번호가 바뀌었거나 계정 상태가 바뀌어 로그아웃되었습니다. 다시 로그인해 주세요."),
            "info",
        )
    else:
        flash(_("로그인이 필요한 페이지입니다."), "info")


def _unauthorized():
    if g.get("session_expired_reason") is None:
        flash(_("로그인이 필요한 페이지입니다."), "info")
    next_path = request.full_path if request.method == "GET" else None
    return redirect(url_for("auth.login", next=next_path if next_path else None))


def log_in(user: User) -> None:
    """Start a fresh session: the old cookie contents are dropped and a new token is issued."""
    locale = session.get("locale")
    session.clear()
    token = operations.start_session(user)
    session["sid"] = token
    session["touched"] = int(time.time())
    if locale:
        session["locale"] = locale
    session.permanent = False
    login_user(user)


def log_out(reason: str = "logout") -> None:
    """End the session on the server, then clear the cookie."""
    token = session.get("sid")
    if token:
        operations.end_session(token, reason)
    logout_user()
    locale = session.get("locale")
    session.clear()
    if locale:
        session["locale"] = locale
