"""Issuing, reissuing and revoking certificates (수료증), and the bulk export's reading.

Rules:

* A certificate is issued only for a COMPLETED completion, once per session and person:
  ``issue`` is idempotent and returns the existing certificate when there is one.
* ``content`` freezes what the certificate shows (name, department, course, dates, hours,
  issuer, number, issue date). The PDF and the public verification page show exactly it.
* ``reissue`` refreshes the content (a corrected name or department) and keeps the number.
* ``revoke`` withdraws a certificate (the completion was withdrawn); the verification page
  then says it was revoked and when, and shows nothing personal. Issuing again for a
  completion that is COMPLETED once more restores the same certificate and number.

Every change is audited with ids and numbers only (never names), and ``issue`` notifies
the person in the portal and by e-mail. Operations flush; the request commits once.
PDFs are never drawn here: see portal.certificates.pdf, called outside any transaction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from portal.attendance.models import Completion, CompletionStatus
from portal.audit.operations import record
from portal.catalog.models import Course
from portal.certificates import numbering, queries
from portal.certificates.models import Certificate
from portal.core.clock import SEOUL, utcnow
from portal.core.templating import hours_text
from portal.db import db
from portal.notifications.operations import Message, notify
from portal.org.models import Department
from portal.scheduling.models import TrainingSession
from portal.users.models import User

# Attempts at a fresh serial when a concurrent issue took the one we computed.
MAX_ATTEMPTS = 8
REASON_MAX_LENGTH = 500
MY_LEARNING = "/my/learning"


class CertificateError(ValueError):
    """A certificate rule refused the change; the message is shown as it is."""


# --- content ---------------------------------------------------------------------------


def _seoul_date(moment: dt.datetime) -> str:
    return moment.astimezone(SEOUL).date().isoformat()


def build_content(
    completion: Completion,
    number: str,
    issued_at: dt.datetime,
    reissued_at: dt.datetime | None = None,
) -> dict[str, Any]:
    """What the certificate shows, as of now: dates are Seoul calendar dates (ISO)."""
    user = db.session.get(User, completion.user_id)
    session = db.session.get(TrainingSession, completion.session_id)
    course = db.session.get(Course, session.course_id)
    department = (
        db.session.get(Department, user.department_id) if user.department_id is not None else None
    )
    hours = completion.hours_awarded or course.recognised_hours
    content = {
        "number": number,
        "name": user.name,
        "department": department.name if department is not None else "",
        "course_title": course.title,
        "round_number": session.round_number,
        "starts_on": _seoul_date(session.starts_at),
        "ends_on": _seoul_date(session.ends_at),
        "hours": hours_text(hours),
        "issuer": current_app.config["CERTIFICATE_ISSUER"],
        "issued_on": _seoul_date(issued_at),
    }
    if reissued_at is not None:
        content["reissued_on"] = _seoul_date(reissued_at)
    return content


# --- issuing ---------------------------------------------------------------------------


def certificate_of(session_id: int, user_id: int) -> Certificate | None:
    return db.session.scalar(
        select(Certificate).where(
            Certificate.session_id == session_id, Certificate.user_id == user_id
        )
    )


# Any fixed 64-bit key: PostgreSQL's transaction-level advisory lock on it queues issuers.
SERIAL_LOCK_KEY = 0x5EC7_1F1C


def _queue_for_serials() -> None:
    """On PostgreSQL, wait for other transactions issuing certificates to end.

    Without it, N concurrent issues all read the same highest serial and N-1 of them lose
    on the unique index and retry, again and again. The lock is released at commit or
    rollback. SQLite needs nothing: writing transactions already begin IMMEDIATE, one at
    a time. The savepoint-and-retry in ``issue`` stays as the safety net either way.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SERIAL_LOCK_KEY})


def _new_number(issued_at: dt.datetime) -> str:
    prefix = str(current_app.config["CERTIFICATE_NUMBER_PREFIX"]).upper()
    year = issued_at.astimezone(SEOUL).year
    serial = numbering.next_serial(db.session, prefix, year)
    return numbering.format_number(current_app.secret_key, prefix, year, serial)


def _issued_message(certificate: Certificate) -> Message:
    content = certificate.content
    return Message(
        kind="certificate.issued",
        title=_("수료증이 발급되었습니다: %(course)s", course=content["course_title"]),
        body=_(
            "%(course)s %(round)d차 과정을 수료하여 수료증(번호 %(number)s)이 발급되었습니다. "
            "나의 학습에서 PDF로 내려받을 수 있습니다.",
            course=content["course_title"],
            round=content["round_number"],
            number=certificate.number,
        ),
        link=MY_LEARNING,
        session_id=certificate.session_id,
    )


def _notify_issued(certificate: Certificate) -> None:
    notify(db.session.get(User, certificate.user_id), lambda: _issued_message(certificate))


def issue(
    completion: Completion, *, actor_id: int | None = None, notify_learner: bool = True
) -> Certificate:
    """The certificate of a COMPLETED completion, issued now unless it already exists.

    ``notify_learner`` False skips the "certificate issued" notice (demo data about
    long-past sessions).

    Race-safe on SQLite and PostgreSQL: the insert runs in a savepoint, and a unique
    violation (another request took this serial, or issued this very certificate) sends
    the loop round again to look for the certificate and compute a fresh serial.
    """
    if completion.status is not CompletionStatus.COMPLETED:
        raise CertificateError(_("수료하지 않은 교육에는 수료증을 발급할 수 없습니다."))
    _queue_for_serials()
    for _attempt in range(MAX_ATTEMPTS):
        existing = certificate_of(completion.session_id, completion.user_id)
        if existing is not None:
            if existing.revoked_at is not None:
                return _restore(existing, completion, actor_id)
            return existing
        now = utcnow()
        number = _new_number(now)
        certificate = Certificate(
            number=number,
            completion_id=completion.id,
            session_id=completion.session_id,
            user_id=completion.user_id,
            content=build_content(completion, number, now),
            issued_at=now,
            reissue_count=0,
            revoked_reason="",
        )
        try:
            with db.session.begin_nested():
                db.session.add(certificate)
                db.session.flush()
        except IntegrityError:
            continue
        record(
            "certificate.issued",
            target_type="certificate",
            target_id=certificate.id,
            actor_id=actor_id,
            details={"number": number, "session_id": completion.session_id},
        )
        if notify_learner:
            _notify_issued(certificate)
        return certificate
    raise CertificateError(_("수료증 번호를 정하지 못했습니다. 잠시 뒤 다시 시도해 주세요."))


def _restore(certificate: Certificate, completion: Completion, actor_id: int | None) -> Certificate:
    now = utcnow()
    certificate.revoked_at = None
    certificate.revoked_reason = ""
    certificate.revoked_by_id = None
    certificate.completion_id = completion.id
    certificate.reissued_at = now
    certificate.reissue_count += 1
    certificate.content = build_content(completion, certificate.number, certificate.issued_at, now)
    db.session.flush()
    record(
        "certificate.restored",
        target_type="certificate",
        target_id=certificate.id,
        actor_id=actor_id,
        details={"number": certificate.number, "session_id": certificate.session_id},
    )
    return certificate


@dataclass(frozen=True)
class IssueSummary:
    issued: int
    existing: int


def issue_for_session(session_id: int, *, actor_id: int | None = None) -> IssueSummary:
    """Issue every missing certificate of a session's COMPLETED completions."""
    completions = db.session.scalars(
        select(Completion)
        .where(
            Completion.session_id == session_id,
            Completion.status == CompletionStatus.COMPLETED,
        )
        .order_by(Completion.id)
    ).all()
    had = {
        user_id: revoked is None
        for user_id, revoked in db.session.execute(
            select(Certificate.user_id, Certificate.revoked_at).where(
                Certificate.session_id == session_id
            )
        )
    }
    issued = existing = 0
    for completion in completions:
        if had.get(completion.user_id):
            existing += 1
            continue
        issue(completion, actor_id=actor_id)
        issued += 1
    return IssueSummary(issued=issued, existing=existing)


# --- reissue and revoke ----------------------------------------------------------------


def reissue(certificate: Certificate, *, actor_id: int | None = None) -> Certificate:
    """Refresh what the certificate shows from today's records; the number stays."""
    if certificate.revoked_at is not None:
        raise CertificateError(_("취소된 수료증은 재발급할 수 없습니다."))
    completion = db.session.get(Completion, certificate.completion_id)
    if completion is None or completion.status is not CompletionStatus.COMPLETED:
        raise CertificateError(_("수료 상태가 아니어서 재발급할 수 없습니다."))
    now = utcnow()
    before = dict(certificate.content)
    certificate.content = build_content(completion, certificate.number, certificate.issued_at, now)
    certificate.reissued_at = now
    certificate.reissue_count += 1
    db.session.flush()
    changed = sorted(
        key
        for key in certificate.content
        if key not in ("reissued_on",) and before.get(key) != certificate.content.get(key)
    )
    record(
        "certificate.reissued",
        target_type="certificate",
        target_id=certificate.id,
        actor_id=actor_id,
        details={
            "number": certificate.number,
            "reissue_count": certificate.reissue_count,
            "changed": changed,
        },
    )
    return certificate


def revoke(certificate: Certificate, reason: str, *, actor_id: int | None = None) -> Certificate:
    """Withdraw a certificate; the reason is kept on the row, never on the public page."""
    reason = (reason or "").strip()
    if not reason:
        raise CertificateError(_("취소 사유를 입력해 주세요."))
    if len(reason) > REASON_MAX_LENGTH:
        raise CertificateError(_("취소 사유는 %(n)d자 이내로 입력해 주세요.", n=REASON_MAX_LENGTH))
    if certificate.revoked_at is not None:
        raise CertificateError(_("이미 취소된 수료증입니다."))
    certificate.revoked_at = utcnow()
    certificate.revoked_reason = reason
    certificate.revoked_by_id = actor_id
    db.session.flush()
    record(
        "certificate.revoked",
        target_type="certificate",
        target_id=certificate.id,
        actor_id=actor_id,
        details={"number": certificate.number, "session_id": certificate.session_id},
    )
    return certificate


def revoke_for_completion(completion: Completion, reason: str, *, actor_id: int | None = None):
    """Revoke the certificate of a withdrawn completion, if it has a valid one."""
    certificate = certificate_of(completion.session_id, completion.user_id)
    if certificate is None or certificate.revoked_at is not None:
        return None
    return revoke(certificate, reason, actor_id=actor_id)


# --- reading a session's certificates -------------------------------------------------


def view_session_certificates(
    session_id: int, *, actor_id: int | None = None
) -> queries.SessionCertificates:
    """A session's certificates and completed people still without one; seeing it is audited."""
    found = queries.session_certificates(session_id)
    record(
        "certificate.list_viewed",
        target_type="training_session",
        target_id=session_id,
        actor_id=actor_id,
        details={"count": len(found.certificates)},
    )
    return found


# --- exporting -------------------------------------------------------------------------


@dataclass(frozen=True)
class CertificateDocument:
    """What a PDF needs, detached from the database session."""

    id: int
    number: str
    content: dict[str, Any]


def export_session(session_id: int, *, actor_id: int | None = None) -> list[CertificateDocument]:
    """The valid certificates of a session for the bulk ZIP; the export is audited."""
    rows = db.session.scalars(
        select(Certificate)
        .where(Certificate.session_id == session_id, Certificate.revoked_at.is_(None))
        .order_by(Certificate.number)
    ).all()
    record(
        "certificate.exported",
        target_type="training_session",
        target_id=session_id,
        actor_id=actor_id,
        details={"count": len(rows), "format": "zip"},
    )
    return [CertificateDocument(row.id, row.number, dict(row.content)) for row in rows]
