"""The admin outbox and each person's in-app notifications."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    has_request_context,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

from portal.audit.operations import record
from portal.auth.access import login_required, role_required
from portal.core import inputs
from portal.db import db
from portal.notifications import queries, sender
from portal.notifications.labels import KIND_LABELS, STATUS_LABELS
from portal.notifications.models import OutboxMessage
from portal.users.models import Role

bp = Blueprint("notifications", __name__)


def internal_link(link: str | None) -> str | None:
    """The link if it points inside the portal ("/my/learning"), else None.

    "//host" and "/\\host" start with "/" too, but browsers take them to another site.
    """
    if link and link.startswith("/") and not link.startswith(("//", "/\\")):
        return link
    return None


@bp.app_context_processor
def _unread_notifications() -> dict[str, int | None]:
    """`unread_notifications` for the header badge: one COUNT per request, when logged in."""
    if not has_request_context() or not current_user.is_authenticated:
        return {"unread_notifications": None}
    if "unread_notifications" not in g:
        try:
            g.unread_notifications = queries.unread_count(current_user.id)
        except SQLAlchemyError:
            # An error page after a failed transaction must still render; it just has no badge.
            g.unread_notifications = None
    return {"unread_notifications": g.unread_notifications}


# --- admin outbox ---------------------------------------------------------------


@bp.route("/admin/outbox/")
@role_required(Role.ADMIN)
def outbox():
    filters = queries.OutboxFilters.parse(request.args)
    page = queries.outbox_page(filters, inputs.query_page())
    return render_template(
        "notifications/outbox.html",
        page=page,
        filters=filters,
        args=filters.as_args(),
        kinds=queries.outbox_kinds(),
        counts=queries.outbox_counts(),
        status_labels=STATUS_LABELS,
        kind_labels=KIND_LABELS,
        smtp_configured=bool(current_app.config["SMTP_HOST"]),
    )


def _get_message(message_id: int) -> OutboxMessage:
    return db.session.get(OutboxMessage, message_id) or abort(404)


@bp.route("/admin/outbox/<int:message_id>")
@role_required(Role.ADMIN)
def outbox_message(message_id: int):
    message = _get_message(message_id)
    # The page shows the address and the text in full: personal data, so the view is audited.
    record("outbox.viewed", target_type="outbox_message", target_id=message.id)
    return render_template(
        "notifications/outbox_message.html",
        message=message,
        ics_method=sender.ics_method(message.ics) if message.ics else None,
        status_labels=STATUS_LABELS,
        kind_labels=KIND_LABELS,
        smtp_configured=bool(current_app.config["SMTP_HOST"]),
    )


@bp.route("/admin/outbox/<int:message_id>/retry", methods=["POST"])
@role_required(Role.ADMIN)
def retry(message_id: int):
    message = _get_message(message_id)
    try:
        sender.requeue(message)
    except sender.OutboxError as err:
        flash(str(err), "error")
    else:
        flash(_("메일을 다시 발송 대기로 돌렸습니다. 다음 발송 때 보냅니다."), "success")
    return redirect(url_for(".outbox_message", message_id=message.id), code=303)


# --- in-app notifications ---------------------------------------------------------


@bp.route("/notifications/")
@login_required
def inbox():
    page = queries.inbox_page(current_user.id, inputs.query_page())
    return render_template(
        "notifications/inbox.html",
        page=page,
        internal_link=internal_link,
        kind_labels=KIND_LABELS,
    )


def _back_to_inbox():
    page = inputs.form_page()
    return redirect(url_for(".inbox", page=page if page > 1 else None), code=303)


@bp.route("/notifications/<int:notification_id>/read", methods=["POST"])
@login_required
def mark_read(notification_id: int):
    notification = queries.own_notification(current_user.id, notification_id)
    if notification is None:
        abort(404)  # not 403: whether someone else's id exists is nobody's business
    queries.mark_read(notification)
    return _back_to_inbox()


@bp.route("/notifications/read-all", methods=["POST"])
@login_required
def mark_all_read():
    count = queries.mark_all_read(current_user.id)
    if count:
        flash(_("알림 %(n)d건을 모두 읽음으로 표시했습니다.", n=count), "success")
    else:
        flash(_("읽지 않은 알림이 없습니다."), "info")
    return _back_to_inbox()
