"""The landing page: one per role, each showing only what the portal really does today."""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, url_for
from flask_login import current_user

from portal.auth.access import login_required, public
from portal.core import inputs
from portal.home import overview, queries
from portal.learning.queries import upcoming
from portal.users.models import Role

bp = Blueprint("home", __name__)


@bp.route("/")
@public
def index():
    # The user object itself, not the proxy: each read through current_user is a lookup.
    user = current_user._get_current_object()
    if not user.is_authenticated:
        return redirect(url_for("auth.login"))
    cfg = current_app.config
    me = queries.user_with_department(user.id)
    context = {
        "me": me,
        "days_since_appointment": queries.days_since_appointment(me),
        "new_appointee_days": cfg["NEW_APPOINTEE_DAYS"],
    }
    context["mandatory"] = queries.mandatory_due(me)
    context["upcoming"] = upcoming(me.id, limit=3)
    role = user.role
    if role in (Role.COORDINATOR, Role.ADMIN):
        context["figures"] = queries.org_figures(cfg["NEW_APPOINTEE_DAYS"])
        context["overview"] = overview.overview(me, inputs.query_page("overdue_page"))
        context["is_department_head"] = me.is_department_head
    if role is Role.ADMIN:
        context["recent_audit"] = queries.recent_audit()
    return render_template(f"home/{role.value}.html", **context)


@bp.route("/me")
@login_required
def profile():
    me = queries.user_with_department(current_user.id)
    return render_template("home/profile.html", me=me)
