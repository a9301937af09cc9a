"""Who may call a view. Every view declares it; an undeclared view is refused.

The declaration is stored on the view function as ``access`` so the route × role
matrix test can read it, and ``enforce_declared_access`` refuses any endpoint that
has none, so a new route cannot be reachable by accident.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort, current_app, request
from flask_login import current_user

from portal.extensions import login_manager
from portal.users.models import Role

PUBLIC = "public"
AUTHENTICATED = "authenticated"


def public(view: Callable[..., Any]) -> Callable[..., Any]:
    """Anyone, logged in or not, may call this view."""
    view.access = PUBLIC  # type: ignore[attr-defined]
    return view


def login_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Any active, logged-in user may call this view."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        return view(*args, **kwargs)

    wrapped.access = AUTHENTICATED  # type: ignore[attr-defined]
    return wrapped


def role_required(*roles: Role) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Only users holding one of the roles may call this view; others get 403."""
    allowed = frozenset(roles)

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.role not in allowed:
                abort(403)
            return view(*args, **kwargs)

        wrapped.access = allowed  # type: ignore[attr-defined]
        return wrapped

    return decorator


# No role grants these views by itself: the department-head flag does. The route x role
# matrix therefore expects every role without the flag to be refused (403).
DEPARTMENT_HEADS: frozenset[Role] = frozenset()


def department_head_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Only logged-in department heads (User.is_department_head) may call this view."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if not current_user.is_department_head:
            abort(403)
        return view(*args, **kwargs)

    wrapped.access = DEPARTMENT_HEADS  # type: ignore[attr-defined]
    return wrapped


def enforce_declared_access() -> None:
    """Refuse any endpoint whose view did not declare who may call it."""
    if request.endpoint is None or request.endpoint == "static":
        return
    view = current_app.view_functions.get(request.endpoint)
    if view is None or not hasattr(view, "access"):
        abort(403)
