"""Delivering the outbox: claims, retries with backoff, giving up, and real SMTP on loopback."""

from __future__ import annotations

import datetime as dt
import email
import logging
import os
import random
import re
import smtplib
import socket
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from email import policy

import pytest
from flask import current_app
from sqlalchemy import select, text

from portal.core import clock
from portal.db import db, make_engine, set_write_intent
from portal.migrate import upgrade
from portal.notifications import sender
from portal.notifications.ics import session_invite
from portal.notifications.models import OutboxMessage, OutboxStatus

ADDRESS = "hong.gildong@sejong.example.kr"


class FakeTransport:
    """Records what it is asked to send; `fail` lists errors to raise, one per call."""

    def __init__(self, fail: list[BaseException | None] | None = None, on_send=None):
        self.sent = []
        self.fail = list(fail or [])
        self.on_send = on_send
        self.closed = 0
        self._lock = threading.Lock()

    def send(self, msg) -> None:
        if self.on_send:
            self.on_send(msg)
        error = self.fail.pop(0) if self.fail else None
        if error is not None:
            raise error
        with self._lock:
            self.sent.append(msg)

    def close(self) -> None:
        self.closed += 1


def add_message(**fields) -> OutboxMessage:
    now = clock.utcnow()
    message = OutboxMessage(
        kind=fields.pop("kind", "enrollment.confirmed"),
        to_address=fields.pop("to_address", ADDRESS),
        subject=fields.pop("subject", "수강 신청이 확정되었습니다"),
        body_text=fields.pop("body_text", "교육 신청이 확정되었습니다.\n일시: 2026-03-02 09:00"),
        next_attempt_at=fields.pop("next_attempt_at", now),
        created_at=now,
        **fields,
    )
    db.session.add(message)
    db.session.commit()
    return message


def reload(message_id: int) -> OutboxMessage:
    return db.session.scalar(
        select(OutboxMessage)
        .where(OutboxMessage.id == message_id)
        .execution_options(populate_existing=True)
    )


@pytest.fixture
def settings(app, monkeypatch):
    def change(**values):
        for key, value in values.items():
            monkeypatch.setitem(app.config, key, value)

    return change


def test_a_due_message_is_sent_and_marked_sent(ctx):
    message = add_message()
    transport = FakeTransport()

    report = sender.run_once(transport)

    assert (report.claimed, report.sent, report.retrying, report.failed) == (1, 1, 0, 0)
    stored = reload(message.id)
    assert stored.status is OutboxStatus.SENT
    assert stored.sent_at is not None
    assert stored.attempts == 1
    [mail] = transport.sent
    assert mail["To"] == ADDRESS
    assert mail["From"] == "ai-edu@sejong.example.kr"
    assert mail["Subject"] == "수강 신청이 확정되었습니다"
    assert mail.get_body(("plain",)).get_content().startswith("교육 신청이 확정되었습니다.")
    assert transport.closed == 1


def test_a_message_that_is_not_yet_due_waits(ctx):
    message = add_message(next_attempt_at=clock.utcnow() + dt.timedelta(minutes=5))
    transport = FakeTransport()

    assert sender.run_once(transport).claimed == 0
    assert transport.sent == []
    assert reload(message.id).status is OutboxStatus.PENDING


def test_sent_and_failed_messages_are_never_sent_again(ctx):
    add_message(status=OutboxStatus.SENT)
    add_message(status=OutboxStatus.FAILED)
    transport = FakeTransport()

    assert sender.run_once(transport).claimed == 0
    assert transport.sent == []


def test_a_transport_failure_keeps_the_message_pending_with_backoff_and_a_short_error(ctx):
    message = add_message()
    before = clock.utcnow()

    report = sender.run_once(FakeTransport(fail=[ConnectionRefusedError(111, "refused")]))

    assert (report.sent, report.retrying, report.failed) == (0, 1, 0)
    assert report.service_down
    stored = reload(message.id)
    assert stored.status is OutboxStatus.PENDING
    assert stored.attempts == 1
    assert stored.last_error == "ConnectionRefusedError [Errno 111]"
    # First retry after one minute, less up to 20% jitter.
    wait = stored.next_attempt_at - before
    assert dt.timedelta(seconds=47) <= wait <= dt.timedelta(seconds=61)


def test_a_message_fails_for_good_after_the_maximum_number_of_attempts(ctx, settings):
    settings(OUTBOX_MAX_ATTEMPTS=3)
    message = add_message()
    waits = []
    for attempt in (1, 2, 3):
        before = clock.utcnow()
        sender.run_once(FakeTransport(fail=[smtplib.SMTPServerDisconnected("gone")]))
        stored = reload(message.id)
        assert stored.attempts == attempt
        if attempt < 3:
            assert stored.status is OutboxStatus.PENDING
            waits.append(stored.next_attempt_at - before)
            clock.advance(dt.timedelta(hours=7))

    stored = reload(message.id)
    assert stored.status is OutboxStatus.FAILED
    assert stored.last_error == "SMTPServerDisconnected"
    assert waits[1] > waits[0], "the second wait is about twice the first"
    # A failed message is left alone by later runs.
    clock.advance(dt.timedelta(days=1))
    assert sender.run_once(FakeTransport()).claimed == 0


def test_backoff_doubles_from_one_minute_and_is_capped_at_six_hours():
    rng = random.Random(7)
    for attempts, minutes in [(1, 1), (2, 2), (3, 4), (4, 8), (8, 128), (9, 256), (10, 360)]:
        wait = sender.backoff(attempts, rng)
        assert minutes * 0.8 * 60 <= wait.total_seconds() <= minutes * 60, attempts
    assert sender.backoff(50, rng) <= dt.timedelta(hours=6)


def test_backoff_jitter_spreads_retries_out():
    rng = random.Random(1)
    assert len({sender.backoff(3, rng) for _ in range(20)}) > 1


def test_an_unreachable_server_stops_the_batch_and_puts_the_rest_back_untried(ctx):
    first, second, third = add_message(), add_message(), add_message()
    transport = FakeTransport(fail=[ConnectionRefusedError(111, "refused")] * 3)

    report = sender.run_once(transport)

    assert report.service_down
    assert (report.claimed, report.retrying, report.released) == (3, 1, 2)
    tried = reload(first.id)
    assert tried.attempts == 1
    for untried in (reload(second.id), reload(third.id)):
        assert untried.status is OutboxStatus.PENDING
        assert untried.attempts == 0, "an untried message does not use up an attempt"
        assert untried.next_attempt_at == tried.next_attempt_at
    assert len(transport.fail) == 2, "the other two were never tried"


def test_a_refused_recipient_fails_at_once_without_holding_up_the_others(ctx):
    refused = add_message(to_address="nobody@sejong.example.kr")
    fine = add_message()
    error = smtplib.SMTPRecipientsRefused(
        {"nobody@sejong.example.kr": (550, b"5.1.1 <nobody@sejong.example.kr>: unknown")}
    )

    report = sender.run_once(FakeTransport(fail=[error, None]))

    assert (report.sent, report.failed) == (1, 1)
    stored = reload(refused.id)
    assert stored.status is OutboxStatus.FAILED
    assert stored.last_error == "SMTPRecipientsRefused 550"
    assert "@" not in stored.last_error
    assert reload(fine.id).status is OutboxStatus.SENT


def test_a_temporary_refusal_is_retried(ctx):
    message = add_message()
    error = smtplib.SMTPRecipientsRefused({ADDRESS: (450, b"mailbox busy")})

    report = sender.run_once(FakeTransport(fail=[error]))

    assert report.retrying == 1 and not report.service_down
    assert reload(message.id).status is OutboxStatus.PENDING


def test_a_message_that_cannot_be_built_is_retried_not_fatal(ctx):
    message = add_message()
    fine = add_message()

    report = sender.run_once(FakeTransport(fail=[ValueError("bad header"), None]))

    assert (report.sent, report.retrying) == (1, 1)
    assert reload(message.id).last_error == "ValueError"
    assert reload(fine.id).status is OutboxStatus.SENT


def test_batches_follow_the_batch_size_and_limit_caps_the_total(ctx, settings):
    settings(OUTBOX_BATCH_SIZE=2)
    for _ in range(5):
        add_message()
    batches = []

    report = sender.run_once(FakeTransport(), limit=3, on_batch=lambda n, r: batches.append(r))

    assert report.sent == 3
    assert [b.claimed for b in batches] == [2, 1]
    report = sender.run_once(FakeTransport())
    assert report.sent == 2


def test_a_batch_stops_before_its_lease_runs_out(ctx):
    first, second = add_message(), add_message()

    def slow(_msg):
        clock.advance(sender.LEASE - sender.LEASE_MARGIN)

    report = sender.run_once(FakeTransport(on_send=slow), limit=2)

    assert report.sent == 1 and report.released == 1
    assert reload(first.id).status is OutboxStatus.SENT
    untried = reload(second.id)
    assert untried.status is OutboxStatus.PENDING
    assert untried.attempts == 0
    assert untried.next_attempt_at <= clock.utcnow()


def test_the_ics_is_attached_as_text_calendar_with_its_method(ctx, make_session):
    session = make_session()
    add_message(ics=session_invite(session, "챗GPT 업무 활용"))
    add_message(ics=session_invite(session, "챗GPT 업무 활용", cancelled=True))
    transport = FakeTransport()

    sender.run_once(transport)

    methods = []
    for mail in transport.sent:
        [attachment] = list(mail.iter_attachments())
        assert attachment.get_content_type() == "text/calendar"
        assert attachment.get_filename() == "invite.ics"
        assert "BEGIN:VEVENT" in attachment.get_content()
        methods.append(attachment.get_param("method"))
    assert methods == ["PUBLISH", "CANCEL"]


@pytest.mark.parametrize(
    ("ics", "method"),
    [
        ("BEGIN:VCALENDAR\r\nMETHOD:PUBLISH\r\nEND:VCALENDAR\r\n", "PUBLISH"),
        ("BEGIN:VCALENDAR\r\nMETHOD:CANCEL\r\nEND:VCALENDAR\r\n", "CANCEL"),
        # Rows queued before invitations became PUBLISH keep the method they declare.
        ("BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nEND:VCALENDAR\r\n", "REQUEST"),
        ("BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", "PUBLISH"),
        ("BEGIN:VCALENDAR\r\nMETHOD:COUNTER\r\nEND:VCALENDAR\r\n", "PUBLISH"),
    ],
)
def test_the_attachment_method_follows_the_calendar(ics, method):
    assert sender.ics_method(ics) == method


def test_a_message_without_ics_has_no_attachment(ctx):
    add_message()
    transport = FakeTransport()
    sender.run_once(transport)
    assert list(transport.sent[0].iter_attachments()) == []


def test_the_log_names_message_ids_and_counts_never_addresses(ctx, caplog):
    portal_log = logging.getLogger("portal")
    portal_log.addHandler(caplog.handler)
    try:
        with caplog.at_level(logging.INFO, logger="portal"):
            sent = add_message()
            failing = add_message()
            sender.run_once(FakeTransport(fail=[None, smtplib.SMTPDataError(554, b"no")]))
    finally:
        portal_log.removeHandler(caplog.handler)
    logged = " ".join(f"{r.getMessage()} {getattr(r, 'fields', {})}" for r in caplog.records)
    assert "@" not in logged
    assert "hong" not in logged
    batch = next(r for r in caplog.records if r.getMessage() == "outbox batch")
    assert batch.fields["sent_ids"] == [sent.id]
    failure = next(r for r in caplog.records if r.getMessage() == "outbox message not sent")
    assert failure.fields["message_id"] == failing.id


def test_smtp_settings_make_a_transport_and_no_host_makes_none():
    assert sender.transport_from_config({"SMTP_HOST": None}) is None
    transport = sender.transport_from_config(
        {
            "SMTP_HOST": "mail.sejong.example.kr",
            "SMTP_PORT": 2525,
            "SMTP_USERNAME": "portal",
            "SMTP_PASSWORD": "secret",
            "SMTP_USE_TLS": True,
        }
    )
    assert (transport.host, transport.port, transport.username, transport.use_tls) == (
        "mail.sejong.example.kr",
        2525,
        "portal",
        True,
    )


# --- a real SMTP conversation on loopback ---------------------------------------------


class SmtpSink:
    """A minimal SMTP server on 127.0.0.1 that accepts every message and keeps its bytes.

    It does not offer STARTTLS, so a client that insists on it is refused.
    """

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.server.settimeout(10)
        self.port = self.server.getsockname()[1]
        self.messages: list[bytes] = []
        self.recipients: list[str] = []
        self.commands: list[str] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        try:
            conn, _addr = self.server.accept()
        except OSError:
            return
        conn.settimeout(10)
        with conn, conn.makefile("rb") as rfile:

            def reply(*lines: str) -> None:
                conn.sendall("".join(line + "\r\n" for line in lines).encode("ascii"))

            reply("220 sink.test ESMTP ready")
            while True:
                raw = rfile.readline()
                if not raw:
                    return
                command = raw.decode("ascii", "replace").strip()
                verb = command.split(" ", 1)[0].upper()
                self.commands.append(verb)
                if verb == "EHLO":
                    reply("250-sink.test", "250 SIZE 10485760")
                elif verb == "RCPT":
                    self.recipients.append(
                        re.sub(r"^RCPT TO:<(.*)>.*$", r"\1", command, flags=re.I)
                    )
                    reply("250 OK")
                elif verb == "DATA":
                    reply("354 End data with <CR><LF>.<CR><LF>")
                    lines = []
                    while (line := rfile.readline()) not in (b".\r\n", b""):
                        lines.append(line[1:] if line.startswith(b"..") else line)
                    self.messages.append(b"".join(lines))
                    reply("250 OK queued")
                elif verb == "QUIT":
                    reply("221 Bye")
                    return
                else:  # HELO, MAIL, RSET, NOOP
                    reply("250 OK")

    def close(self) -> None:
        self.server.close()
        self.thread.join(timeout=10)


@pytest.fixture
def sink():
    server = SmtpSink()
    yield server
    server.close()


def test_a_real_smtp_server_on_loopback_receives_the_message_with_its_ics(
    ctx, sink, settings, make_session
):
    settings(SMTP_HOST="127.0.0.1", SMTP_PORT=sink.port, SMTP_USE_TLS=False)
    message = add_message(ics=session_invite(make_session(), "챗GPT 업무 활용"))

    report = sender.run_once(sender.transport_from_config(current_app.config))
    sink.thread.join(timeout=10)

    assert report.sent == 1
    assert reload(message.id).status is OutboxStatus.SENT
    assert sink.recipients == [ADDRESS]
    assert sink.commands[-1] == "QUIT"
    received = email.message_from_bytes(sink.messages[0], policy=policy.default)
    assert received["Subject"] == "수강 신청이 확정되었습니다"
    assert received["To"] == ADDRESS
    assert "교육 신청이 확정되었습니다." in received.get_body(("plain",)).get_content()
    [attachment] = list(received.iter_attachments())
    assert attachment.get_content_type() == "text/calendar"
    assert attachment.get_param("method") == "PUBLISH"
    assert "챗GPT 업무 활용" in attachment.get_content()


def test_a_server_without_starttls_is_refused_when_tls_is_required(ctx, sink, settings):
    settings(SMTP_HOST="127.0.0.1", SMTP_PORT=sink.port, SMTP_USE_TLS=True)
    message = add_message()

    report = sender.run_once(sender.transport_from_config(current_app.config))

    assert report.service_down and report.sent == 0
    stored = reload(message.id)
    assert stored.status is OutboxStatus.PENDING
    assert stored.last_error == "SMTPNotSupportedError"
    assert sink.messages == []


def test_a_closed_port_leaves_the_message_pending(ctx, settings):
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]
    settings(SMTP_HOST="127.0.0.1", SMTP_PORT=port, SMTP_USE_TLS=False)
    message = add_message()

    report = sender.run_once(sender.transport_from_config(current_app.config))

    assert report.service_down
    stored = reload(message.id)
    assert stored.status is OutboxStatus.PENDING
    assert stored.last_error.startswith("ConnectionRefusedError")


# --- parallel workers ------------------------------------------------------------------
# These commit for real, so they use a database of their own: a fresh SQLite file, or a
# scratch PostgreSQL database next to TEST_DATABASE_URL's (where SKIP LOCKED is exercised).


@pytest.fixture(scope="module")
def worker_url(tmp_path_factory):
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        url = f"sqlite:///{tmp_path_factory.mktemp('outbox') / 'outbox.db'}"
        upgrade("head", url=url)
        yield url
        return
    name = f"portal_outbox_{uuid.uuid4().hex[:8]}"
    server = base.rsplit("/", 1)[0]
    admin = make_engine(server + "/postgres")
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = f"{server}/{name}"
    upgrade("head", url=url)
    yield url
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="module")
def worker_app(worker_url, tmp_path_factory):
    from portal import create_app

    application = create_app(
        {
            "ENV": "testing",
            "SECRET_KEY": "w" * 40,
            "DATABASE_URL": worker_url,
            "LOG_LEVEL": "WARNING",
            "OUTBOX_BATCH_SIZE": 5,
        },
        instance_path=str(tmp_path_factory.mktemp("outbox-instance")),
    )
    yield application
    application.extensions["portal_db"]["engine"].dispose()


_OUTBOX_ID = re.compile(r"\.outbox-(\d+)@")


def test_parallel_workers_never_send_the_same_message_twice(worker_app):
    with worker_app.app_context():
        set_write_intent(True)
        ids = [add_message(subject=f"동시 발송 {n}").id for n in range(60)]
    wanted = set(ids)

    def slow(_msg):
        time.sleep(0.002)  # long enough for the other worker to try the same rows

    transport = FakeTransport(on_send=slow)
    barrier = threading.Barrier(3)

    def worker(_n):
        barrier.wait()
        with worker_app.app_context():
            return sender.run_once(transport)

    with ThreadPoolExecutor(max_workers=3) as pool:
        reports = list(pool.map(worker, range(3)))

    sent = [int(_OUTBOX_ID.search(mail["Message-ID"]).group(1)) for mail in transport.sent]
    sent = [i for i in sent if i in wanted]
    assert Counter(sent).most_common(1)[0][1] == 1, "a message was sent twice"
    assert set(sent) == wanted
    assert sum(r.sent for r in reports) == len(wanted)
    with worker_app.app_context():
        rows = db.session.execute(
            select(OutboxMessage.status, OutboxMessage.attempts).where(OutboxMessage.id.in_(ids))
        ).all()
    assert Counter(rows) == {(OutboxStatus.SENT, 1): len(ids)}
