"""`flask outbox send`, the admin outbox and each person's in-app notifications."""

from __future__ import annotations

import datetime as dt

import pytest
from flask import render_template
from flask_login import login_user
from icalendar import Calendar

from portal.core import clock
from portal.db import db
from portal.enrollment import operations as ops
from portal.notifications import sender
from portal.notifications.models import Notification, OutboxMessage, OutboxStatus
from portal.users.models import Role, User

ADDRESS = "hong.gildong@sejong.example.kr"


class FakeTransport:
    def __init__(self, fail=None):
        self.sent = []
        self.fail = list(fail or [])

    def send(self, msg) -> None:
        if self.fail:
            raise self.fail.pop(0)
        self.sent.append(msg)


@pytest.fixture
def transport(monkeypatch):
    fake = FakeTransport()
    monkeypatch.setattr(sender, "transport_from_config", lambda _config: fake)
    return fake


@pytest.fixture
def outbox_cli(app):
    runner = app.test_cli_runner()

    def invoke(*args: str):
        return runner.invoke(args=["outbox", "send", *args])

    return invoke


def add_message(app, **fields) -> OutboxMessage:
    with app.app_context():
        now = clock.utcnow()
        message = OutboxMessage(
            kind=fields.pop("kind", "enrollment.confirmed"),
            to_address=fields.pop("to_address", ADDRESS),
            subject=fields.pop("subject", "수강 신청이 확정되었습니다"),
            body_text=fields.pop("body_text", "교육 신청이 확정되었습니다.\n장소: 4층 교육장"),
            next_attempt_at=now,
            created_at=now,
            **fields,
        )
        db.session.add(message)
        db.session.commit()
        return message


def stored(app, message_id: int) -> OutboxMessage:
    with app.app_context():
        return db.session.get(OutboxMessage, message_id)


def add_notification(app, user: User, **fields) -> Notification:
    with app.app_context():
        note = Notification(
            user_id=user.id,
            kind=fields.pop("kind", "enrollment.promoted"),
            title=fields.pop("title", "대기에서 수강 확정으로 바뀌었습니다"),
            body=fields.pop("body", "취소로 자리가 나서 수강이 확정되었습니다."),
            link=fields.pop("link", "/my/learning"),
            created_at=fields.pop("created_at", clock.utcnow()),
            **fields,
        )
        db.session.add(note)
        db.session.commit()
        return note


# --- flask outbox send -----------------------------------------------------------------


def test_outbox_send_delivers_due_mail_and_reports_each_batch(app, outbox_cli, transport):
    message = add_message(app)

    result = outbox_cli()

    assert result.exit_code == 0, result.output
    assert "Batch 1: claimed 1, sent 1, will retry 0, failed 0." in result.output
    assert "Done: sent 1" in result.output
    assert ADDRESS not in result.output
    assert stored(app, message.id).status is OutboxStatus.SENT
    assert [m["To"] for m in transport.sent] == [ADDRESS]


def test_outbox_send_with_nothing_due_says_so(outbox_cli, transport):
    result = outbox_cli()
    assert result.exit_code == 0
    assert "No e-mail is due." in result.output


def test_outbox_send_respects_the_limit(app, outbox_cli, transport):
    for _ in range(3):
        add_message(app)
    result = outbox_cli("--limit", "2")
    assert result.exit_code == 0
    assert "Done: sent 2" in result.output
    assert len(transport.sent) == 2


def test_an_smtp_outage_keeps_mail_pending_and_exits_non_zero(
    app, outbox_cli, transport, monkeypatch
):
    transport.fail = [ConnectionRefusedError(111, "refused")]
    message = add_message(app)

    result = outbox_cli()

    assert result.exit_code == 1
    assert "stay pending" in result.output
    after = stored(app, message.id)
    assert after.status is OutboxStatus.PENDING
    assert after.last_error == "ConnectionRefusedError [Errno 111]"


def test_without_smtp_nothing_is_sent_and_mail_stays_visible_to_admins(
    app, outbox_cli, client, as_role
):
    assert not app.config["SMTP_HOST"]
    message = add_message(app, subject="SMTP 없이 보관되는 메일")

    result = outbox_cli()

    assert result.exit_code == 0
    assert "SMTP is not configured" in result.output
    assert "wait in the outbox" in result.output
    after = stored(app, message.id)
    assert after.status is OutboxStatus.PENDING and after.attempts == 0

    as_role(Role.ADMIN)
    page = client.get("/admin/outbox/?status=pending").get_data(as_text=True)
    assert "SMTP 없이 보관되는 메일" in page
    assert "메일 서버(SMTP)가 설정되지 않아" in page
    assert "ho***@sejong.example.kr" in page
    assert ADDRESS not in page, "the list masks addresses"


def test_a_confirmed_enrolment_mails_an_ics_through_the_outbox(
    app, make_user, make_session, outbox_cli, transport
):
    staff = make_user(Role.STAFF)
    session = make_session()
    with app.app_context():
        ops.enrol(session.id, db.session.get(User, staff.id), ops.Actor(staff.id))
        db.session.commit()

    assert outbox_cli().exit_code == 0

    [mail] = [m for m in transport.sent if m["To"] == staff.email]
    [attachment] = list(mail.iter_attachments())
    assert attachment.get_content_type() == "text/calendar"
    assert attachment.get_param("method") == "PUBLISH"
    assert attachment.get_filename() == "invite.ics"
    event = Calendar.from_ical(attachment.get_content()).walk("VEVENT")[0]
    assert str(event["organizer"]) == "mailto:" + app.config["MAIL_FROM"]
    assert "attendee" not in event


# --- admin outbox ------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.STAFF, Role.INSTRUCTOR, Role.COORDINATOR])
def test_only_admins_see_the_outbox(app, client, as_role, role):
    message = add_message(app)
    as_role(role)
    assert client.get("/admin/outbox/").status_code == 403
    assert client.get(f"/admin/outbox/{message.id}").status_code == 403


def test_the_outbox_filters_by_status_and_kind(app, client, as_role):
    add_message(app, subject="보낸 확정 메일", status=OutboxStatus.SENT, sent_at=clock.utcnow())
    add_message(
        app, subject="실패한 취소 메일", kind="session.cancelled", status=OutboxStatus.FAILED
    )
    add_message(app, subject="대기 중인 변경 메일", kind="session.changed")
    as_role(Role.ADMIN)

    failed = client.get("/admin/outbox/?status=failed").get_data(as_text=True)
    assert "실패한 취소 메일" in failed
    assert "보낸 확정 메일" not in failed and "대기 중인 변경 메일" not in failed

    changed = client.get("/admin/outbox/?kind=session.changed").get_data(as_text=True)
    assert "대기 중인 변경 메일" in changed
    assert "실패한 취소 메일" not in changed

    assert client.get("/admin/outbox/?status=bogus&page=999").status_code == 200


def test_the_outbox_detail_shows_the_full_mail_and_is_audited(
    app, client, as_role, make_session, audit_entries
):
    from portal.notifications.ics import session_invite

    session = make_session()
    with app.app_context():
        ics = session_invite(session, "챗GPT 업무 활용")
    message = add_message(app, ics=ics)
    admin = as_role(Role.ADMIN)

    page = client.get(f"/admin/outbox/{message.id}")

    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert ADDRESS in html
    assert "장소: 4층 교육장" in html
    assert "invite.ics (일정 등록)" in html
    [entry] = audit_entries("outbox.viewed", target_id=message.id)
    assert entry.actor_id == admin.id
    assert entry.target_type == "outbox_message"
    assert ADDRESS not in str(entry.details)


def test_an_unknown_outbox_message_is_not_found(client, as_role):
    as_role(Role.ADMIN)
    assert client.get("/admin/outbox/999999").status_code == 404


def test_an_admin_can_put_a_failed_mail_back_in_the_queue(
    app, client, as_role, auth, audit_entries
):
    message = add_message(
        app, status=OutboxStatus.FAILED, attempts=8, last_error="SMTPDataError 554"
    )
    as_role(Role.ADMIN)
    token = auth.csrf(f"/admin/outbox/{message.id}")

    response = client.post(f"/admin/outbox/{message.id}/retry", data={"csrf_token": token})

    assert response.status_code == 303
    after = stored(app, message.id)
    assert after.status is OutboxStatus.PENDING
    assert after.attempts == 0
    assert after.next_attempt_at <= clock.utcnow()
    [entry] = audit_entries("outbox.retried")
    assert entry.details == {"kind": "enrollment.confirmed", "previous_attempts": 8}


def test_retrying_a_mail_that_has_not_failed_changes_nothing(app, client, as_role, auth):
    message = add_message(app, status=OutboxStatus.SENT, attempts=1, sent_at=clock.utcnow())
    as_role(Role.ADMIN)
    token = auth.csrf("/admin/outbox/")

    response = client.post(
        f"/admin/outbox/{message.id}/retry", data={"csrf_token": token}, follow_redirects=True
    )

    assert "실패한 메일만 다시 보낼 수 있습니다." in response.get_data(as_text=True)
    assert stored(app, message.id).status is OutboxStatus.SENT


def test_retry_needs_a_csrf_token(app, client, as_role):
    message = add_message(app, status=OutboxStatus.FAILED)
    as_role(Role.ADMIN)
    assert client.post(f"/admin/outbox/{message.id}/retry").status_code == 400
    assert stored(app, message.id).status is OutboxStatus.FAILED


# --- in-app notifications -----------------------------------------------------------------


def test_the_inbox_shows_only_my_own_notifications_newest_first(app, client, as_role, make_user):
    me = as_role(Role.STAFF)
    other = make_user(Role.STAFF)
    add_notification(
        app, me, title="첫 번째 알림", created_at=clock.utcnow() - dt.timedelta(hours=1)
    )
    add_notification(app, me, title="두 번째 알림")
    add_notification(app, other, title="남의 알림")

    html = client.get("/notifications/").get_data(as_text=True)

    assert "남의 알림" not in html
    assert html.index("두 번째 알림") < html.index("첫 번째 알림")
    assert html.count("새 알림") == 2
    assert "모두 읽음으로 표시 (2건)" in html


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get("/notifications/")
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]


def test_marking_my_notification_read_removes_its_highlight(app, client, as_role, auth):
    me = as_role(Role.STAFF)
    note = add_notification(app, me)
    token = auth.csrf("/notifications/")

    response = client.post(f"/notifications/{note.id}/read", data={"csrf_token": token})

    assert response.status_code == 303
    with app.app_context():
        assert db.session.get(Notification, note.id).read_at is not None
    html = client.get("/notifications/").get_data(as_text=True)
    assert "새 알림" not in html


def test_marking_someone_elses_notification_is_not_found_and_changes_nothing(
    app, client, as_role, auth, make_user
):
    as_role(Role.STAFF)
    theirs = add_notification(app, make_user(Role.STAFF))
    token = auth.csrf("/notifications/")

    response = client.post(f"/notifications/{theirs.id}/read", data={"csrf_token": token})

    assert response.status_code == 404
    with app.app_context():
        assert db.session.get(Notification, theirs.id).read_at is None


def test_mark_all_read_touches_only_my_notifications(app, client, as_role, auth, make_user):
    me = as_role(Role.STAFF)
    other = make_user(Role.STAFF)
    mine = [add_notification(app, me) for _ in range(3)]
    theirs = add_notification(app, other)
    token = auth.csrf("/notifications/")

    response = client.post(
        "/notifications/read-all", data={"csrf_token": token}, follow_redirects=True
    )

    assert "알림 3건을 모두 읽음으로 표시했습니다." in response.get_data(as_text=True)
    with app.app_context():
        assert all(db.session.get(Notification, n.id).read_at for n in mine)
        assert db.session.get(Notification, theirs.id).read_at is None


def test_only_links_inside_the_portal_are_shown_as_links(app, client, as_role):
    me = as_role(Role.STAFF)
    add_notification(app, me, title="내부 링크", link="/my/learning")
    add_notification(app, me, title="외부 링크", link="https://evil.example/phish")
    add_notification(app, me, title="프로토콜 상대 링크", link="//evil.example/phish")

    html = client.get("/notifications/").get_data(as_text=True)

    assert 'href="/my/learning"' in html
    assert "evil.example" not in html


def test_the_badge_counts_my_unread_notifications(app, make_user):
    me = make_user(Role.STAFF)
    add_notification(app, me)
    add_notification(app, me)
    add_notification(app, me, read_at=clock.utcnow())
    add_notification(app, make_user(Role.STAFF))

    with app.test_request_context("/"):
        login_user(me)
        html = render_template("_partials/_notification_badge.html")

    assert "알림 (2)" in html
    assert 'href="/notifications/"' in html
    assert 'aria-label="알림 (2) - 읽지 않은 알림 2건"' in html


def test_the_badge_is_absent_when_logged_out(app):
    with app.test_request_context("/"):
        assert render_template("_partials/_notification_badge.html").strip() == ""


def test_the_badge_costs_one_count_query_per_request(app, make_user, count_statements):
    me = make_user(Role.STAFF)

    with app.test_request_context("/"):
        login_user(me)
        with count_statements() as statements:
            render_template("_partials/_notification_badge.html")
            render_template("_partials/_notification_badge.html")

    assert len([s for s in statements if "notifications" in s]) == 1


def test_loop_mode_sends_pass_after_pass_until_interrupted(app, outbox_cli, transport, monkeypatch):
    from portal.notifications import cli

    passes = []
    real_run_once = sender.run_once

    def run_once(*args, **kwargs):
        passes.append(1)
        if len(passes) == 3:
            raise KeyboardInterrupt
        add_message(app)
        return real_run_once(*args, **kwargs)

    class NoWait:
        def wait(self, _seconds):
            return False

        def set(self):
            pass

    monkeypatch.setattr(sender, "run_once", run_once)
    monkeypatch.setattr(cli.threading, "Event", NoWait)

    result = outbox_cli("--loop", "--interval", "5")

    assert result.exit_code == 0, result.output
    assert len(passes) == 3
    assert len(transport.sent) == 2
    assert "Interrupted" in result.output
