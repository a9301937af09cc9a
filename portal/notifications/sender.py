"""Delivering the outbox: claim due e-mails, hand them to SMTP, record what happened.

This is a worker, not an operation, so it commits itself (``run_once`` is the only
place). A batch is *claimed* in one short transaction: each row gets ``attempts + 1``
and ``next_attempt_at`` moved to the end of a lease, then the claim commits, so no
lock is held while SMTP talks. On PostgreSQL the claim reads with ``FOR UPDATE SKIP
LOCKED``, so parallel workers take different rows; on SQLite the claim transaction
begins IMMEDIATE, which serialises workers. Every message's outcome then commits on
its own: sent, retried later with exponential backoff, or failed after
OUTBOX_MAX_ATTEMPTS.

Delivery is at least once: if a worker dies between sending and committing, the
message becomes due again when its lease ends. Logs carry message ids and counts,
never addresses or text.
"""

from __future__ import annotations

import datetime as dt
import random
import re
import smtplib
import ssl
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any, Protocol

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from portal.audit.operations import record
from portal.core.clock import utcnow
from portal.core.logging import logger
from portal.db import db, set_write_intent
from portal.notifications.models import OutboxMessage, OutboxStatus

# A claimed message belongs to its worker until the lease ends; a worker that dies
# mid-batch leaves its messages to be picked up again after that.
LEASE = dt.timedelta(minutes=15)
# Stop sending a batch this long before its lease ends, so no other worker can have
# claimed the same message while we still send it.
LEASE_MARGIN = dt.timedelta(minutes=2)
BACKOFF_CAP = dt.timedelta(hours=6)
SMTP_TIMEOUT_SECONDS = 30
_ICS_METHOD = re.compile(r"^METHOD:([A-Z-]+)\s*$", re.MULTILINE | re.IGNORECASE)
_ICS_METHODS = frozenset({"REQUEST", "CANCEL", "PUBLISH"})


class MailTransport(Protocol):
    """Something that delivers one e-mail or raises (SMTP in production, a fake in tests)."""

    def send(self, msg: EmailMessage) -> None: ...


class SmtpTransport:
    """SMTP with optional STARTTLS and login; one connection is reused until close()."""

    def __init__(
        self,
        host: str,
        port: int = 587,
        *,
        username: str | None = None,
        password: str | None = None,
        use_tls: bool = True,
        timeout: float = SMTP_TIMEOUT_SECONDS,
    ) -> None:
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.use_tls = use_tls
        self.timeout = timeout
        self._smtp: smtplib.SMTP | None = None

    def send(self, msg: EmailMessage) -> None:
        try:
            if self._smtp is None:
                self._smtp = self._connect()
            self._smtp.send_message(msg)
        except BaseException:
            # The connection's state is unknown after an error: start afresh next time.
            self.close()
            raise

    def _connect(self) -> smtplib.SMTP:
        smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        try:
            smtp.ehlo()
            if self.use_tls:
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if self.username:
                smtp.login(self.username, self.password or "")
        except BaseException:
            smtp.close()
            raise
        return smtp

    def close(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()


def transport_from_config(config: Mapping[str, Any]) -> SmtpTransport | None:
    """The SMTP transport the settings describe, or None when SMTP_HOST is not set."""
    if not config.get("SMTP_HOST"):
        return None
    return SmtpTransport(
        config["SMTP_HOST"],
        int(config["SMTP_PORT"]),
        username=config.get("SMTP_USERNAME") or None,
        password=config.get("SMTP_PASSWORD") or None,
        use_tls=bool(config["SMTP_USE_TLS"]),
    )


def ics_method(ics: str) -> str:
    """The iTIP method (PUBLISH or CANCEL) the calendar declares; PUBLISH when unsure.

    REQUEST is still recognised for messages queued before invitations became PUBLISH.
    """
    match = _ICS_METHOD.search(ics)
    method = match.group(1).upper() if match else "PUBLISH"
    return method if method in _ICS_METHODS else "PUBLISH"


def _one_line(text: str) -> str:
    return " ".join(text.split())


def build_email(message: OutboxMessage, mail_from: str) -> EmailMessage:
    """The e-mail for an outbox row: text body, plus invite.ics when the row has one."""
    msg = EmailMessage()
    msg["From"] = mail_from
    msg["To"] = message.to_address
    msg["Subject"] = _one_line(message.subject)
    msg["Date"] = format_datetime(utcnow())
    domain = mail_from.rpartition("@")[2] or "localhost"
    msg["Message-ID"] = make_msgid(idstring=f"outbox-{message.id}", domain=domain)
    # Base64 for Hangul: 8-bit bodies need the server's 8BITMIME, which smtplib does not ask for.
    msg.set_content(message.body_text, cte=_transfer_encoding(message.body_text))
    if message.ics:
        msg.add_attachment(
            message.ics,
            subtype="calendar",
            filename="invite.ics",
            params={"method": ics_method(message.ics)},
            cte=_transfer_encoding(message.ics),
        )
    return msg


def _transfer_encoding(text: str) -> str | None:
    return None if text.isascii() else "base64"


def backoff(attempts: int, rng: random.Random | None = None) -> dt.timedelta:
    """Wait after the n-th failed attempt: 1, 2, 4, … minutes, at most 6 h, less up to 20%.

    The jitter spreads retries out, so messages that failed together do not all
    hit the server again at the same second.
    """
    base = min(BACKOFF_CAP.total_seconds(), 60.0 * 2 ** min(max(attempts, 1) - 1, 20))
    jitter = (rng or random).random() * 0.2
    return dt.timedelta(seconds=base * (1 - jitter))


# Errors about this one message; any other OSError (smtplib's errors are OSErrors too)
# means the server is unreachable or refuses us, so the rest of the batch waits.
_MESSAGE_ERRORS = (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError)


def _is_service_failure(exc: BaseException) -> bool:
    return isinstance(exc, OSError) and not isinstance(exc, _MESSAGE_ERRORS)


def _is_permanent(exc: BaseException) -> bool:
    """A 5xx refusal of the recipient: retrying would only be refused again."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused) and exc.recipients:
        return all(500 <= code < 600 for code, _reply in exc.recipients.values())
    return False


def error_text(exc: BaseException) -> str:
    """A short description for last_error: the error class and code, never the server's
    reply text, which can quote the recipient's address."""
    text = type(exc).__name__
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = sorted({code for code, _reply in exc.recipients.values()})
        if codes:
            text += " " + ",".join(str(code) for code in codes)
    elif isinstance(getattr(exc, "smtp_code", None), int):
        text += f" {exc.smtp_code}"  # type: ignore[attr-defined]
    elif isinstance(exc, OSError) and exc.errno:
        text += f" [Errno {exc.errno}]"
    return text[:300]


@dataclass
class SendReport:
    """What one batch (or a whole pass, summed) did."""

    claimed: int = 0
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    released: int = 0  # claimed but not tried: the server was down or the lease ran short
    service_down: bool = False
    sent_ids: list[int] = field(default_factory=list)

    def add(self, other: SendReport) -> None:
        self.claimed += other.claimed
        self.sent += other.sent
        self.retrying += other.retrying
        self.failed += other.failed
        self.released += other.released
        self.service_down = self.service_down or other.service_down
        self.sent_ids.extend(other.sent_ids)


def _claim(size: int) -> tuple[list[OutboxMessage], dt.datetime]:
    """Take up to `size` due messages for this worker and commit the claim."""
    set_write_intent(True)
    now = utcnow()
    lease_until = now + LEASE
    stmt = (
        select(OutboxMessage)
        .where(
            OutboxMessage.status == OutboxStatus.PENDING,
            OutboxMessage.next_attempt_at <= now,
        )
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(size)
        # A long-running worker's session may hold old copies of these rows.
        .execution_options(populate_existing=True)
    )
    if not db.is_sqlite:
        # Rows another worker is claiming right now are skipped, not waited for.
        stmt = stmt.with_for_update(skip_locked=True)
    try:
        messages = list(db.session.scalars(stmt))
        for message in messages:
            message.attempts += 1
            message.next_attempt_at = lease_until
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return messages, lease_until


def _release(messages: Sequence[OutboxMessage], due_at: dt.datetime) -> None:
    """Hand back claimed messages that were not tried; their attempt does not count."""
    for message in messages:
        message.attempts = max(0, message.attempts - 1)
        message.next_attempt_at = due_at


def _deliver(
    messages: Sequence[OutboxMessage],
    lease_until: dt.datetime,
    transport: MailTransport,
    *,
    mail_from: str,
    max_attempts: int,
    rng: random.Random | None,
) -> SendReport:
    report = SendReport(claimed=len(messages))
    for index, message in enumerate(messages):
        if utcnow() >= lease_until - LEASE_MARGIN:
            rest = messages[index:]
            _release(rest, utcnow())
            db.session.commit()
            report.released += len(rest)
            break
        try:
            transport.send(build_email(message, mail_from))
        except Exception as exc:  # noqa: BLE001 - any failure is recorded and retried
            now = utcnow()
            message.last_error = error_text(exc)
            if _is_permanent(exc) or message.attempts >= max_attempts:
                message.status = OutboxStatus.FAILED
                report.failed += 1
            else:
                message.next_attempt_at = now + backoff(message.attempts, rng)
                report.retrying += 1
            logger.warning(
                "outbox message not sent",
                extra={
                    "fields": {
                        "message_id": message.id,
                        "attempt": message.attempts,
                        "error": message.last_error,
                        "status": message.status.value,
                    }
                },
            )
            if _is_service_failure(exc):
                # Trying the rest now would fail the same way; they wait as long as this one.
                rest = messages[index + 1 :]
                _release(rest, message.next_attempt_at)
                report.released += len(rest)
                report.service_down = True
                db.session.commit()
                break
        else:
            message.status = OutboxStatus.SENT
            message.sent_at = utcnow()
            message.last_error = None
            report.sent += 1
            report.sent_ids.append(message.id)
        db.session.commit()
    return report


def run_once(
    transport: MailTransport,
    *,
    limit: int | None = None,
    on_batch: Callable[[int, SendReport], None] | None = None,
    rng: random.Random | None = None,
) -> SendReport:
    """Send due e-mails batch by batch until none are due (or `limit` were claimed).

    Commits: each claim, then each message's outcome (see the module docstring).
    Stops early when the SMTP server is unreachable; nothing is lost, the messages
    stay pending.
    """
    config = current_app.config
    batch_size = max(1, int(config["OUTBOX_BATCH_SIZE"]))
    total = SendReport()
    number = 0
    try:
        while limit is None or total.claimed < limit:
            size = batch_size if limit is None else min(batch_size, limit - total.claimed)
            messages, lease_until = _claim(size)
            if not messages:
                break
            number += 1
            try:
                report = _deliver(
                    messages,
                    lease_until,
                    transport,
                    mail_from=config["MAIL_FROM"],
                    max_attempts=max(1, int(config["OUTBOX_MAX_ATTEMPTS"])),
                    rng=rng,
                )
            except BaseException:
                db.session.rollback()
                raise
            total.add(report)
            logger.info(
                "outbox batch",
                extra={
                    "fields": {
                        "batch": number,
                        "claimed": report.claimed,
                        "sent": report.sent,
                        "retrying": report.retrying,
                        "failed": report.failed,
                        "released": report.released,
                        "sent_ids": report.sent_ids,
                    }
                },
            )
            if on_batch is not None:
                on_batch(number, report)
            if report.service_down:
                break
    finally:
        close = getattr(transport, "close", None)
        if callable(close):
            close()
    return total


class OutboxError(Exception):
    """The outbox message cannot be changed that way; the message says why, in Korean."""


def requeue(message: OutboxMessage) -> None:
    """Give a failed e-mail a fresh round of attempts, due now (audited; flushes only)."""
    if message.status is not OutboxStatus.FAILED:
        raise OutboxError(_("실패한 메일만 다시 보낼 수 있습니다."))
    previous = message.attempts
    message.status = OutboxStatus.PENDING
    message.attempts = 0
    message.next_attempt_at = utcnow()
    record(
        "outbox.retried",
        target_type="outbox_message",
        target_id=message.id,
        details={"kind": message.kind, "previous_attempts": previous},
    )
    db.session.flush()
