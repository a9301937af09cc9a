"""Health probes and the language switch."""

from __future__ import annotations

from flask import Blueprint, jsonify, redirect, request, session, url_for
from flask_login import current_user
from sqlalchemy import text

from portal.auth.access import public
from portal.core.net import local_path
from portal.db import db

bp = Blueprint("core", __name__)

LOCALES = ("ko", "en")


@bp.route("/healthz")
@public
def healthz():
    """The process is alive; touches nothing else."""
    return jsonify(status="ok")


@bp.route("/readyz")
@public
def readyz():
    """The database answers."""
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any failure means not ready
        db.session.rollback()
        return jsonify(status="unavailable", database="unreachable"), 503
    return jsonify(status="ok", database="ok")


@bp.route("/locale", methods=["POST"])
@public
def set_locale():
    locale = request.form.get("locale", "")
    if locale in LOCALES:
        session["locale"] = locale
        if current_user.is_authenticated:
            current_user.locale = locale
    return redirect(local_path(request.form.get("next")) or url_for("home.index"))


@bp.route("/login", strict_slashes=False)
@public
def login_shortcut():
    """/login and /login/ are what people type; the login page lives at /auth/login."""
    target = local_path(request.args.get("next"))
    if current_user.is_authenticated:
        return redirect(target or url_for("home.index"))
    return redirect(url_for("auth.login", next=target) if target else url_for("auth.login"))
