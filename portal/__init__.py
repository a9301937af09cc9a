"""The portal's application factory."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from flask import Flask, current_app, has_request_context, session
from flask_login import current_user
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from portal.config import load_config
from portal.core.inputs import MAX_DB_INT
from portal.paths import ROOT


def create_app(overrides: dict[str, Any] | None = None, instance_path: str | None = None) -> Flask:
    """Build the app: defaults → instance/config.py → PORTAL_* environment → overrides."""
    app = Flask(
        __name__,
        instance_path=instance_path or str(ROOT / "instance"),
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
    )
    config = load_config(Path(app.instance_path), overrides)
    app.config.update(config)
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=dt.timedelta(hours=config["SESSION_ABSOLUTE_HOURS"]),
        # The largest upload any form takes (a roster file, an hours evidence file), plus room
        # for the other fields; each form checks its own limit with a clear message.
        MAX_CONTENT_LENGTH=max(
            config["ROSTER_IMPORT_MAX_BYTES"], config["HOURS_EVIDENCE_MAX_BYTES"]
        )
        + 64 * 1024,
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the login session
        BABEL_DEFAULT_LOCALE=config["DEFAULT_LOCALE"],
        BABEL_DEFAULT_TIMEZONE="Asia/Seoul",
        BABEL_TRANSLATION_DIRECTORIES=str(Path(__file__).parent / "translations"),
        RATELIMIT_STORAGE_URI=config["RATELIMIT_STORAGE_URI"],
        RATELIMIT_HEADERS_ENABLED=False,
        # Redis down: the same limits are kept in this process's memory (logged as a
        # warning) until Redis answers again, instead of failing every limited request.
        RATELIMIT_IN_MEMORY_FALLBACK_ENABLED=True,
    )
    if config["ENV"] == "production":
        # __Host- cookies must be Secure, path=/ and host-only: they cannot be set by a subdomain.
        app.config.update(
            SESSION_COOKIE_NAME="__Host-portal_session",
            SESSION_COOKIE_SECURE=True,
            PREFERRED_URL_SCHEME="https",
        )
    else:
        app.config["SESSION_COOKIE_NAME"] = "portal_session"
    if config["TRUSTED_PROXY_COUNT"]:
        n = config["TRUSTED_PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore[method-assign]

    _init_extensions(app)
    # Ids are 32-bit integers in the database; a longer number in a URL is simply not found
    # (404) instead of overflowing the driver (a 500 on SQLite, an error on PostgreSQL).
    app.url_map.converters["int"] = DatabaseIntConverter
    _register_blueprints(app)
    from portal.monitoring import metrics

    metrics.init_app(app)
    _register_cli(app)
    return app


class DatabaseIntConverter(IntegerConverter):
    def __init__(self, url_map, fixed_digits=0, min=None, max=MAX_DB_INT, signed=False):  # noqa: A002
        super().__init__(url_map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def _select_locale() -> str:
    from portal.core.views import LOCALES

    if not has_request_context():
        # CLI commands and mail built outside a request use the portal's default language.
        return current_app.config["DEFAULT_LOCALE"]
    chosen = session.get("locale")
    if chosen in LOCALES:
        return chosen
    if current_user and current_user.is_authenticated and current_user.locale in LOCALES:
        return current_user.locale
    return current_app.config["DEFAULT_LOCALE"]


def _init_extensions(app: Flask) -> None:
    from portal.auth import sessions
    from portal.auth.access import enforce_declared_access
    from portal.core import cookies, errors, headers, inputs, logging, templating
    from portal.db import db
    from portal.extensions import babel, check_limits_only_where_declared, csrf, limiter

    logging.init_app(app)
    cookies.init_app(app)
    # The input policy runs before CSRF and every other hook that reads the request.
    inputs.init_app(app)
    db.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    check_limits_only_where_declared(app)
    babel.init_app(app, locale_selector=_select_locale)
    sessions.init_app(app)
    app.before_request(enforce_declared_access)
    headers.init_app(app)
    errors.init_app(app)
    templating.init_app(app)
    from portal.assistant.backends import registry

    registry.init_app(app)


def _register_blueprints(app: Flask) -> None:
    # The sandbox's view modules register their routes on the blueprints of blueprint.py.
    from portal.assistant.blueprint import bp as assistant_bp
    from portal.assistant.blueprint import manage_bp as practice_manage_bp
    from portal.assistant.manage import views as _practice_manage_views  # noqa: F401
    from portal.assistant.review import views as _practice_review_views  # noqa: F401
    from portal.assistant.workspace import views as _practice_workspace_views  # noqa: F401
    from portal.attendance.checkin_views import bp as checkin_bp
    from portal.attendance.completion_views import bp as completion_bp
    from portal.attendance.hours_views import bp as hours_bp
    from portal.attendance.roster_views import bp as attendance_bp
    from portal.audit.views import bp as audit_bp
    from portal.auth.views import bp as auth_bp
    from portal.catalog.views import bp as catalog_bp
    from portal.certificates.views import bp as certificates_bp
    from portal.core.views import bp as core_bp
    from portal.dashboards.views import bp as dashboards_bp
    from portal.enrollment.roster_views import bp as roster_bp
    from portal.enrollment.session_views import bp as scheduling_bp
    from portal.enrollment.teaching_views import bp as teaching_bp
    from portal.enrollment.views import bp as enrollment_bp
    from portal.home.views import bp as home_bp
    from portal.ideas.views import bp as ideas_bp
    from portal.learning.views import bp as learning_bp
    from portal.notifications.views import bp as notifications_bp
    from portal.org.views import bp as org_bp
    from portal.reminders.views import bp as mandatory_bp
    from portal.reports.views import bp as reports_bp
    from portal.surveys.views import bp as surveys_bp
    from portal.users.admin_views import bp as users_bp
    from portal.users.import_views import bp as import_bp

    for bp in (
        core_bp,
        auth_bp,
        home_bp,
        catalog_bp,
        enrollment_bp,
        learning_bp,
        scheduling_bp,
        roster_bp,
        teaching_bp,
        checkin_bp,
        notifications_bp,
        users_bp,
        org_bp,
        import_bp,
        audit_bp,
        assistant_bp,
        practice_manage_bp,
        surveys_bp,
        attendance_bp,
        completion_bp,
        hours_bp,
        certificates_bp,
        ideas_bp,
        mandatory_bp,
        reports_bp,
        dashboards_bp,
    ):
        app.register_blueprint(bp)


def _register_cli(app: Flask) -> None:
    from portal.cli import register

    register(app)
