"""Flask extensions, created unbound and attached in create_app."""

from __future__ import annotations

from flask import Flask, current_app, request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

from portal.core.net import client_key

csrf = CSRFProtect()
babel = Babel()
login_manager = LoginManager()
# Storage comes from RATELIMIT_STORAGE_URI (memory:// by default, Redis in production).
# Keys are keyed hashes of the client address: Redis never holds a raw IP.
# No default or application-wide limits: every limit is declared on its view.
limiter = Limiter(key_func=client_key, default_limits=[], headers_enabled=False)

# The attribute Flask-Limiter sets on a view it wraps (functools.wraps carries it up
# through any decorator applied after the limit).
_LIMITER_MARK = "__wrapper-limiter-instance"
_LIMITED_KEY = "portal_rate_limited_endpoints"


def rate_limited_endpoints(app: Flask) -> frozenset[str]:
    """The endpoints whose view carries a limit of the portal's limiter."""
    # Found at the first request: Flask accepts no new view after it.
    found = app.extensions.get(_LIMITED_KEY)
    if found is None:
        found = app.extensions[_LIMITED_KEY] = frozenset(
            endpoint
            for endpoint, view in app.view_functions.items()
            # A weak proxy of the limiter, which compares equal to the limiter itself.
            if getattr(view, _LIMITER_MARK, None) == limiter
        )
    return found


def check_limits_only_where_declared(app: Flask) -> None:
    """Run Flask-Limiter's per-request check only for views that declare a limit.

    Flask-Limiter checks every request before its view, for default and application-wide
    limits, which the portal does not set; a view's own limits are checked again by its
    decorator when the view runs. That check of nothing cost a few percent of every page,
    so its hook is replaced by one that calls it for the views with limits only (the same
    work as before for them). Call after ``limiter.init_app(app)``.
    """
    hooks = app.before_request_funcs.setdefault(None, [])
    # ValueError here means Flask-Limiter no longer hooks in this way: look again.
    position = hooks.index(limiter._check_request_limit)
    check = hooks[position]

    def check_declared_limits() -> None:
        if request.endpoint in rate_limited_endpoints(current_app):
            check()

    hooks[position] = check_declared_limits
