"""My learning, one session's .ics, and the private iCal feed with its regenerable token."""

from __future__ import annotations

import re

from flask import Blueprint, Response, abort, current_app, render_template, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user

from portal.attendance.hours_queries import year_summary
from portal.auth.access import login_required, public
from portal.catalog.urls import course_url
from portal.certificates.queries import certificates_for
from portal.core import inputs
from portal.core.clock import today_in_seoul
from portal.db import db
from portal.enrollment.models import EnrollmentStatus
from portal.learning import operations, queries
from portal.notifications.ics import calendar_for, session_invite
from portal.surveys import queries as survey_queries
from portal.users.models import User

bp = Blueprint("learning", __name__)

# secrets.token_urlsafe(32) gives 43 URL-safe characters; anything else cannot be a token.
_TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{20,100}")
ICS_MIMETYPE = "text/calendar"


def _page_number() -> int:
    return inputs.query_page()


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response


@bp.route("/my/learning")
@login_required
def my_learning():
    data = queries.my_learning(current_user.id, _page_number())
    return render_template(
        "learning/my_learning.html",
        data=data,
        in_class_today=queries.in_class_today(data),
        pending_surveys=survey_queries.pending_surveys(current_user.id),
        certificates=certificates_for(
            current_user.id, [row.session.id for row in data.history.items]
        ),
        hours_summary=year_summary(current_user.id, today_in_seoul().year),
        hours_year=today_in_seoul().year,
        course_url=course_url,
        has_feed=current_user.ical_token_hash is not None,
        has_catalog="catalog.index" in current_app.view_functions,
        min_percent=current_app.config["COMPLETION_MIN_ATTENDANCE_PERCENT"],
        late_percent=current_app.config["COMPLETION_LATE_CREDIT_PERCENT"],
    )


@bp.route("/my/sessions/<int:session_id>.ics")
@login_required
def session_ics(session_id: int):
    enrollment = queries.active_enrollment(current_user.id, session_id) or abort(404)
    body = session_invite(
        enrollment.session,
        enrollment.session.course.title,
        include_link=enrollment.status is EnrollmentStatus.ENROLLED,
    )
    response = Response(body, mimetype=ICS_MIMETYPE)
    response.headers["Content-Disposition"] = f'attachment; filename="session-{session_id}.ics"'
    return response


@bp.route("/my/calendar")
@login_required
def calendar_settings():
    return render_template(
        "learning/calendar.html", has_feed=current_user.ical_token_hash is not None, feed_url=None
    )


@bp.route("/my/calendar/regenerate", methods=["POST"])
@login_required
def regenerate_calendar():
    token = operations.regenerate_ical_token(db.session.get(User, current_user.id))
    # Shown once, in this response only: the token is not kept anywhere it could be read back.
    feed_url = url_for("learning.ical_feed", token=token, _external=True)
    return _no_store(
        Response(render_template("learning/calendar.html", has_feed=True, feed_url=feed_url))
    )


@bp.route("/calendar/<token>.ics")
@public
def ical_feed(token: str):
    # The token is the credential, for this feed only: nobody is logged in by it.
    if not _TOKEN_SHAPE.fullmatch(token):
        abort(404)
    owner = queries.user_by_feed_token(token) or abort(404)
    with force_locale(owner.locale or "ko"):
        waiting = _("[대기]")
        entries = [
            (
                session,
                f"{waiting} {title}" if status is EnrollmentStatus.WAITLISTED else title,
                status is EnrollmentStatus.ENROLLED,
            )
            for session, title, status in queries.feed_entries(owner.id)
        ]
        body = calendar_for(entries, name=_("AI 교육 일정"))
    return _no_store(Response(body, mimetype=ICS_MIMETYPE))
