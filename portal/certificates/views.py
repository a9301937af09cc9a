"""Certificate pages: the holder's download, a session's list and ZIP, and public verification.

* Staff download their own certificate; anyone else's id answers 404.
* Coordinators and admins see a session's certificates, download them all as a ZIP,
  issue the missing ones, reissue and revoke. The session's own instructor sees the list
  and downloads the ZIP (read-only); another instructor's session answers 404. Seeing the
  list and the ZIP are audited (personal data), like the roster.
* ``/verify`` and ``/verify/<number>`` need no login, show only what the certificate
  shows, are rate-limited per client (numbers cannot be probed) and are not indexed.

PDFs are drawn only after the request's transaction is committed (``db.transaction``
then ``db.ensure_idle``): never inside an open write transaction.
"""

from __future__ import annotations

from urllib.parse import quote

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from portal.auth.access import login_required, public, role_required
from portal.catalog.models import Course
from portal.certificates import numbering, pdf, queries
from portal.certificates import operations as ops
from portal.certificates.forms import ConfirmForm, RevokeForm
from portal.certificates.models import Certificate
from portal.db import db, set_write_intent
from portal.extensions import limiter
from portal.scheduling.models import TrainingSession
from portal.users.models import Role

bp = Blueprint("certificates", __name__)

# Public look-ups per client address. A person checking a certificate needs a handful;
# guessing a number's four check characters needs about a million tries.
VERIFY_RATE_LIMIT = "20 per minute;200 per day"
MANAGERS = (Role.COORDINATOR, Role.ADMIN)
READERS = (Role.INSTRUCTOR, Role.COORDINATOR, Role.ADMIN)
PDF_MIMETYPE = "application/pdf"
ZIP_MIMETYPE = "application/zip"
INVALID = 422
AUDITED_GETS = frozenset({"certificates.session_list", "certificates.session_zip"})


@bp.before_request
def _audited_views_write() -> None:
    # Seeing a session's certificates is audited, so on SQLite those GETs begin IMMEDIATE.
    if request.endpoint in AUDITED_GETS:
        set_write_intent(True)


def verification_url(number: str) -> str:
    return url_for("certificates.verify_number", number=number, _external=True)


def _attachment(body: bytes, mimetype: str, filename: str, fallback: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}"
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _session_for_reader(session_id: int) -> TrainingSession:
    """The session, if the caller manages certificates or teaches it; else 404."""
    session = db.session.get(TrainingSession, session_id)
    if session is None:
        abort(404)
    if current_user.role not in MANAGERS and session.instructor_id != current_user.id:
        abort(404)
    return session


def _certificate_or_404(certificate_id: int) -> Certificate:
    return db.session.get(Certificate, certificate_id) or abort(404)


# --- the holder --------------------------------------------------------------------------


@bp.route("/my/certificates/<int:certificate_id>.pdf")
@login_required
def download(certificate_id: int):
    certificate = queries.own_certificate(current_user.id, certificate_id) or abort(404)
    document = pdf.Document(dict(certificate.content), verification_url(certificate.number))
    # Nothing was written: end the read before drawing, so no transaction stays open.
    db.end_read_phase()
    db.ensure_idle()
    body = pdf.render(document)
    return _attachment(
        body,
        PDF_MIMETYPE,
        pdf.certificate_filename(document.content),
        f"certificate-{certificate.number}.pdf",
    )


# --- coordinators, admins and the session's instructor ---------------------------------


@bp.route("/manage/sessions/<int:session_id>/certificates")
@role_required(*READERS)
def session_list(session_id: int):
    session = _session_for_reader(session_id)
    found = ops.view_session_certificates(session_id, actor_id=current_user.id)
    course = db.session.get(Course, session.course_id)
    return render_template(
        "certificates/session.html",
        session=session,
        course=course,
        found=found,
        can_manage=current_user.role in MANAGERS,
        confirm_form=ConfirmForm(),
        revoke_form=RevokeForm(),
    )


@bp.route("/manage/sessions/<int:session_id>/certificates.zip")
@role_required(*READERS)
def session_zip(session_id: int):
    session = _session_for_reader(session_id)
    course_title = db.session.scalar(select(Course.title).where(Course.id == session.course_id))
    round_number = session.round_number
    # Read and audit in one short transaction, then draw with none open.
    with db.transaction():
        documents = ops.export_session(session_id, actor_id=current_user.id)
    db.ensure_idle()
    body = pdf.render_zip([pdf.Document(d.content, verification_url(d.number)) for d in documents])
    name = f"수료증_{pdf.safe_filename_part(course_title)}_{round_number}차.zip"
    return _attachment(body, ZIP_MIMETYPE, name, f"certificates-session-{session_id}.zip")


@bp.route("/manage/sessions/<int:session_id>/certificates/issue", methods=["POST"])
@role_required(*MANAGERS)
def issue_missing(session_id: int):
    _session_for_reader(session_id)
    if not ConfirmForm().validate():
        abort(400)
    summary = ops.issue_for_session(session_id, actor_id=current_user.id)
    if summary.issued:
        flash(
            _("수료증 %(n)d건을 발급했습니다. 본인에게 알림이 갑니다.", n=summary.issued), "success"
        )
    else:
        flash(_("새로 발급할 수료증이 없습니다. 바뀐 것은 없습니다."), "info")
    return redirect(url_for(".session_list", session_id=session_id))


@bp.route("/manage/certificates/<int:certificate_id>/reissue", methods=["POST"])
@role_required(*MANAGERS)
def reissue(certificate_id: int):
    certificate = _certificate_or_404(certificate_id)
    back = redirect(url_for(".session_list", session_id=certificate.session_id))
    if not ConfirmForm().validate():
        abort(400)
    try:
        ops.reissue(certificate, actor_id=current_user.id)
    except ops.CertificateError as err:
        flash(str(err), "error")
        return back
    flash(
        _(
            "수료증 %(number)s을(를) 재발급했습니다. 번호는 그대로입니다.",
            number=certificate.number,
        ),
        "success",
    )
    return back


@bp.route("/manage/certificates/<int:certificate_id>/revoke", methods=["POST"])
@role_required(*MANAGERS)
def revoke(certificate_id: int):
    certificate = _certificate_or_404(certificate_id)
    back = redirect(url_for(".session_list", session_id=certificate.session_id))
    form = RevokeForm()
    if not form.validate():
        flash(" ".join(map(str, form.reason.errors)) or _("입력을 확인해 주세요."), "error")
        return back
    try:
        ops.revoke(certificate, form.reason.data, actor_id=current_user.id)
    except ops.CertificateError as err:
        flash(str(err), "error")
        return back
    flash(_("수료증 %(number)s을(를) 취소했습니다.", number=certificate.number), "success")
    return back


# --- public verification -----------------------------------------------------------------


def _public(html: str, status: int = 200) -> Response:
    response = Response(html, status=status, mimetype="text/html")
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/verify")
@limiter.limit(VERIFY_RATE_LIMIT)
@public
def verify():
    raw = request.args.get("number")
    if raw is None:
        return _public(render_template("certificates/verify.html", state="form", typed=""))
    number = numbering.normalise(raw)
    if number is None:
        return _public(
            render_template("certificates/verify.html", state="malformed", typed=raw[:80]), 400
        )
    return redirect(url_for(".verify_number", number=number))


@bp.route("/verify/<string:number>")
@limiter.limit(VERIFY_RATE_LIMIT)
@public
def verify_number(number: str):
    normalised = numbering.normalise(number)
    if normalised is None:
        return _public(
            render_template("certificates/verify.html", state="malformed", typed=number[:80]),
            400,
        )
    if normalised != number:
        return redirect(url_for(".verify_number", number=normalised))
    certificate = queries.by_number(normalised)
    if certificate is None:
        return _public(
            render_template("certificates/verify.html", state="unknown", typed=normalised), 404
        )
    state = "revoked" if certificate.revoked_at is not None else "valid"
    return _public(
        render_template(
            "certificates/verify.html",
            state=state,
            typed=normalised,
            number=certificate.number,
            content=certificate.content if state == "valid" else None,
            revoked_at=certificate.revoked_at,
        )
    )
