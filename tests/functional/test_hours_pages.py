"""The learning-hours ledger (상시학습): the yearly sums, outside learning with evidence
checked by content, its review by coordinators, and who may see what."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from decimal import Decimal
from urllib.parse import quote

import pytest
from PIL import Image
from sqlalchemy import select

from portal.attendance import hours as hours_ops
from portal.attendance.hours_queries import YearSummary, year_summary
from portal.attendance.models import (
    HoursEntry,
    HoursEvidence,
    HoursSource,
    HoursStatus,
    HoursYear,
)
from portal.core import clock
from portal.db import db
from portal.notifications.models import Notification, OutboxMessage
from portal.users.models import Role, User
from tests.conftest import Auth

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _image(fmt: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 6), (20, 110, 240)).save(buffer, fmt)
    return buffer.getvalue()


def _client_for(app, user: User):
    client = app.test_client()
    assert Auth(client).login(user).status_code == 302
    return client


def _add(
    app,
    user_id: int,
    *,
    year: int,
    source=HoursSource.EXTERNAL,
    status=HoursStatus.APPROVED,
    hours: str = "1.0",
    evidence: bytes | None = None,
    title: str = "외부 교육",
) -> int:
    with app.app_context():
        entry = HoursEntry(
            user_id=user_id,
            year=year,
            source=source,
            status=status,
            hours=Decimal(hours),
            title=title,
            provider="나라배움터" if source is HoursSource.EXTERNAL else "",
            completed_on=dt.date(year, 6, 1),
            created_at=clock.utcnow(),
        )
        db.session.add(entry)
        db.session.flush()
        if evidence is not None:
            db.session.add(
                HoursEvidence(
                    entry_id=entry.id,
                    filename="evidence.pdf",
                    content_type="application/pdf",
                    size=len(evidence),
                    sha256=hashlib.sha256(evidence).hexdigest(),
                    data=evidence,
                    uploaded_at=clock.utcnow(),
                )
            )
        db.session.commit()
        return entry.id


def _submit(client, content: bytes, filename: str, **fields):
    token = Auth(client).csrf("/hours/new")
    data = {
        "csrf_token": token,
        "title": fields.get("title", "나라배움터 공공데이터 분석 기초"),
        "provider": fields.get("provider", "narabaeumteo"),
        "provider_other": fields.get("provider_other", ""),
        "completed_on": fields.get("completed_on", clock.today_in_seoul().isoformat()),
        "hours": fields.get("hours", "7.5"),
        "evidence": (io.BytesIO(content), filename),
    }
    return client.post("/hours/new", data=data, content_type="multipart/form-data")


def _counts(app) -> tuple[int, int]:
    with app.app_context():
        return (
            len(db.session.scalars(select(HoursEntry.id)).all()),
            len(db.session.scalars(select(HoursEvidence.id)).all()),
        )


def _move_clock_to(moment: dt.datetime) -> None:
    clock.advance(moment - clock.utcnow())


# --- sums ---------------------------------------------------------------------------------


def test_the_year_sums_portal_and_outside_lines_by_status(app, make_user):
    me = make_user(Role.STAFF)
    other = make_user(Role.STAFF)
    _add(app, me.id, year=2026, source=HoursSource.PORTAL, hours="10.0")
    _add(app, me.id, year=2026, source=HoursSource.PORTAL, hours="2.5")
    _add(app, me.id, year=2026, hours="5.5")
    _add(app, me.id, year=2026, status=HoursStatus.PENDING, hours="3.0")
    _add(app, me.id, year=2026, status=HoursStatus.PENDING, hours="1.5")
    _add(app, me.id, year=2026, status=HoursStatus.DECLINED, hours="8.0")
    _add(app, me.id, year=2025, source=HoursSource.PORTAL, hours="20.0")
    _add(app, me.id, year=2027, status=HoursStatus.PENDING, hours="4.0")
    _add(app, other.id, year=2026, source=HoursSource.PORTAL, hours="40.0")
    with app.app_context():
        assert year_summary(me.id, 2026) == YearSummary(
            approved=Decimal("18.0"), pending=Decimal("4.5"), target=80, percent=22
        )
        assert year_summary(me.id, 2025) == YearSummary(Decimal("20.0"), Decimal("0.0"), 80, 25)
        assert year_summary(me.id, 2027) == YearSummary(Decimal("0.0"), Decimal("4.0"), 80, 0)
        assert year_summary(me.id, 2024) == YearSummary(Decimal("0.0"), Decimal("0.0"), 80, 0)
        full = year_summary(other.id, 2026)
        assert full.percent == 50 and full.remaining == Decimal("40.0") and not full.met


def test_the_target_comes_from_the_setting_and_the_bar_stops_at_it(app, make_user):
    me = make_user(Role.STAFF)
    _add(app, me.id, year=2026, source=HoursSource.PORTAL, hours="90.0")
    with app.app_context():
        summary = year_summary(me.id, 2026)
        assert summary.percent == 112 and summary.met and summary.bar_value == Decimal("80")
        app.config["ANNUAL_LEARNING_HOURS_TARGET"] = 100
        try:
            assert year_summary(me.id, 2026).percent == 90
        finally:
            app.config["ANNUAL_LEARNING_HOURS_TARGET"] = 80


def test_the_ledger_year_is_the_seoul_calendar_year():
    # 31 Dec 23:30 KST is 14:30 UTC the same day: still that year. 00:30 KST is the next.
    assert hours_ops.seoul_year(dt.datetime(2026, 12, 31, 14, 30, tzinfo=dt.UTC)) == 2026
    assert hours_ops.seoul_year(dt.datetime(2026, 12, 31, 15, 30, tzinfo=dt.UTC)) == 2027


def test_outside_learning_on_31_december_at_23_30_kst_counts_for_that_year(app, client, as_role):
    # Moved before logging in, so the login session does not time out on the way.
    _move_clock_to(dt.datetime(2026, 12, 31, 14, 30, tzinfo=dt.UTC))  # 23:30 in Seoul
    me = as_role(Role.STAFF)
    response = _submit(client, PDF, "certificate.pdf", completed_on="2026-12-31", hours="2")
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        entry = db.session.scalar(select(HoursEntry).where(HoursEntry.user_id == me.id))
        assert entry.year == 2026 and entry.completed_on == dt.date(2026, 12, 31)
        assert year_summary(me.id, 2026).pending == Decimal("2.0")
    page = client.get("/hours/").get_data(as_text=True)
    assert 'value="2026" selected' in page and "승인 대기 2시간" in page

    clock.advance(dt.timedelta(hours=1))  # 00:30 on 1 January in Seoul
    assert Auth(client).login(me).status_code == 302  # the idle login session has ended
    page = client.get("/hours/").get_data(as_text=True)
    assert 'value="2027" selected' in page and "승인 대기 2시간" not in page
    # The new year's day is not in the future any more; the old one is still allowed.
    assert _submit(client, PDF, "a.pdf", completed_on="2027-01-01").status_code == 302


def test_the_page_shows_the_year_the_progress_and_the_lines(app, client, as_role):
    me = as_role(Role.STAFF)
    year = clock.today_in_seoul().year
    _add(app, me.id, year=year, source=HoursSource.PORTAL, hours="12.0", title="챗GPT 특강")
    _add(app, me.id, year=year, status=HoursStatus.DECLINED, hours="3.0", title="반려된 교육")
    _add(app, me.id, year=year - 1, hours="9.0", title="작년 교육")
    html = client.get("/hours/").get_data(as_text=True)
    assert "챗GPT 특강" in html and "반려된 교육" in html and "작년 교육" not in html
    assert f'<progress id="hours-progress-{year}-bar" max="80" value="12.0"' in html
    assert "인정 12시간 / 목표 80시간 (15%)" in html
    assert "portal-stack-table" in html
    last = client.get(f"/hours/?year={year - 1}").get_data(as_text=True)
    assert "작년 교육" in last and "챗GPT 특강" not in last
    # A year that is not offered falls back to this year instead of failing.
    assert client.get("/hours/?year=99999").status_code == 200
    assert client.get("/hours/?year=abc").status_code == 200


def test_a_long_ledger_is_paginated(app, client, as_role):
    me = as_role(Role.STAFF)
    year = clock.today_in_seoul().year
    for n in range(23):
        _add(app, me.id, year=year, source=HoursSource.PORTAL, title=f"교육 {n:02d}")
    first = client.get("/hours/").get_data(as_text=True)
    assert "전체 23건" in first and "krds-pagination" in first
    second = client.get(f"/hours/?year={year}&page=2").get_data(as_text=True)
    assert second.count('role="row"') == 1 + 3


# --- adding outside learning ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "filename", "detected"),
    [
        (PDF, "수료증.pdf", "application/pdf"),
        (_image("PNG"), "photo.png", "image/png"),
        (_image("JPEG"), "photo.jpeg", "image/jpeg"),
        # The name does not decide: a real PNG with a .pdf name is stored as a PNG.
        (_image("PNG"), "scan.pdf", "image/png"),
    ],
)
def test_evidence_is_stored_with_its_detected_type_and_checksum(
    app, client, as_role, audit_entries, content, filename, detected
):
    me = as_role(Role.STAFF)
    response = _submit(client, content, filename, provider="other", provider_other="국가인재원")
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        entry = db.session.scalar(select(HoursEntry).where(HoursEntry.user_id == me.id))
        evidence = db.session.scalar(
            select(HoursEvidence).where(HoursEvidence.entry_id == entry.id)
        )
        assert (entry.source, entry.status, entry.hours) == (
            HoursSource.EXTERNAL,
            HoursStatus.PENDING,
            Decimal("7.5"),
        )
        assert entry.provider == "국가인재원"
        assert evidence.content_type == detected and evidence.size == len(content)
        assert evidence.sha256 == hashlib.sha256(content).hexdigest()
        assert evidence.filename.endswith("." + hours_ops.EXTENSIONS[detected])
    assert [e.target_id for e in audit_entries("hours.submitted")] == [str(entry.id)]
    download = client.get(f"/hours/{entry.id}/evidence")
    assert download.data == content and download.mimetype == detected
    stem = filename.rsplit(".", 1)[0]
    assert f"filename*=UTF-8''{quote(stem)}." in download.headers["Content-Disposition"]
    assert audit_entries("hours.evidence_viewed") == []  # the owner's own look is not audited


@pytest.mark.parametrize(
    ("content", "filename"),
    [
        (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 200, "certificate.pdf"),  # a program
        (b"this is not a picture\n", "photo.png"),
        (b"\x89PNG\r\n\x1a\n" + b"not really a png" * 10, "photo.png"),
        (b"\xff\xd8\xff\xe0" + b"garbage" * 20, "photo.jpg"),
        (b"%PDF-1.4 but never finished", "cut.pdf"),
        (b"<html><script>alert(1)</script></html>", "page.pdf"),
    ],
)
def test_a_file_that_is_not_really_pdf_png_or_jpeg_is_refused_with_nothing_stored(
    app, client, as_role, audit_entries, content, filename
):
    as_role(Role.STAFF)
    response = _submit(client, content, filename)
    assert response.status_code == 422
    assert "PDF, PNG, JPEG만 올릴 수 있습니다" in response.get_data(as_text=True)
    assert _counts(app) == (0, 0)
    assert audit_entries("hours.submitted") == []


def test_a_file_over_the_evidence_limit_is_refused_by_the_form(app, client, as_role):
    as_role(Role.STAFF)
    app.config["HOURS_EVIDENCE_MAX_BYTES"] = 1024
    try:
        response = _submit(client, PDF + b"%" * 2000 + b"\n%%EOF\n", "big.pdf")
    finally:
        app.config["HOURS_EVIDENCE_MAX_BYTES"] = 5 * 1024 * 1024
    assert response.status_code == 422
    assert "증빙 파일이 너무 큽니다. 0.0 MB 이하로" in response.get_data(as_text=True)
    assert _counts(app) == (0, 0)


def test_a_body_past_max_content_length_gets_a_clear_page_and_stores_nothing(app, client, as_role):
    as_role(Role.STAFF)
    assert app.config["MAX_CONTENT_LENGTH"] >= app.config["HOURS_EVIDENCE_MAX_BYTES"]
    token = Auth(client).csrf("/hours/new")
    huge = b"%PDF-1.4\n" + b"0" * app.config["MAX_CONTENT_LENGTH"] + b"\n%%EOF\n"
    # The body is built here, in memory, as a browser would send it.
    boundary = "hoursboundary"
    fields = {
        "csrf_token": token,
        "title": "큰 파일",
        "provider": "sejong",
        "hours": "2",
        "completed_on": clock.today_in_seoul().isoformat(),
    }
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
        for k, v in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="evidence"; filename="huge.pdf"'
        "\r\nContent-Type: application/pdf\r\n\r\n".encode()
        + huge
        + b"\r\n"
    )
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    response = client.post(
        "/hours/new", data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )
    assert response.status_code == 413
    html = response.get_data(as_text=True)
    assert (
        "증빙 파일이 너무 큽니다. 5.0 MB 이하로" in html and "아무것도 저장되지 않았습니다" in html
    )
    assert _counts(app) == (0, 0)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"hours": "0"}, "0.5시간부터 200시간 사이로"),
        ({"hours": "-3"}, "소수점 한 자리까지 입력해 주세요. 예"),
        ({"hours": "1.25"}, "소수점 한 자리까지 입력해 주세요. 예"),
        ({"hours": "NaN"}, "소수점 한 자리까지 입력해 주세요. 예"),
        ({"hours": "1e3"}, "소수점 한 자리까지 입력해 주세요. 예"),
        ({"hours": "201"}, "0.5시간부터 200시간 사이로"),
        ({"completed_on": "2099-01-01"}, "수료일은 오늘 이후일 수 없습니다."),
        ({"completed_on": "2001-01-01"}, "이후에 마친 교육만 등록할 수 있습니다."),
        ({"completed_on": "not-a-date"}, "올바르지 않은 날짜 값입니다."),
        ({"provider": "other"}, "기타를 골랐다면 교육기관 이름을 입력해 주세요."),
        ({"provider": "hacker"}, "목록에서 교육기관을 골라 주세요."),
        ({"title": ""}, "교육명을 입력해 주세요."),
        ({"title": "   "}, "교육명을 입력해 주세요."),
    ],
)
def test_bad_fields_are_refused_with_a_korean_message(app, client, as_role, fields, message):
    as_role(Role.STAFF)
    response = _submit(client, PDF, "a.pdf", **fields)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert _counts(app) == (0, 0)


def test_a_missing_file_is_refused(app, client, as_role):
    as_role(Role.STAFF)
    token = Auth(client).csrf("/hours/new")
    response = client.post(
        "/hours/new",
        data={
            "csrf_token": token,
            "title": "교육",
            "provider": "sejong",
            "completed_on": clock.today_in_seoul().isoformat(),
            "hours": "2",
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "증빙 파일을 골라 주세요" in response.get_data(as_text=True)
    assert _counts(app) == (0, 0)


def test_the_uploaded_name_is_cleaned_before_it_is_kept():
    assert hours_ops.safe_filename("../../etc/passwd.pdf", "application/pdf") == "passwd.pdf"
    assert hours_ops.safe_filename("C:\\temp\\수료증 (1).exe", "image/png") == "수료증 (1).png"
    assert hours_ops.safe_filename('"><script>.jpg', "image/jpeg") == "script.jpg"
    assert hours_ops.safe_filename("", "application/pdf") == "evidence.pdf"


# --- withdrawing --------------------------------------------------------------------------


def test_the_owner_withdraws_a_pending_entry_and_its_evidence_goes_too(
    app, client, as_role, audit_entries, hours_years_match_ledger
):
    me = as_role(Role.STAFF)
    year = clock.today_in_seoul().year
    entry_id = _add(app, me.id, year=year, status=HoursStatus.PENDING, evidence=PDF)
    html = client.get("/hours/").get_data(as_text=True)
    assert f'action="/hours/{entry_id}/withdraw"' in html and "data-confirm" in html
    response = client.post(
        f"/hours/{entry_id}/withdraw", data={"csrf_token": Auth(client).csrf("/hours/")}
    )
    assert response.status_code == 302
    assert _counts(app) == (0, 0)
    assert [e.target_id for e in audit_entries("hours.withdrawn")] == [str(entry_id)]
    hours_years_match_ledger()


def test_a_decided_entry_cannot_be_withdrawn(app, client, as_role):
    me = as_role(Role.STAFF)
    entry_id = _add(app, me.id, year=2026, status=HoursStatus.APPROVED, evidence=PDF)
    response = client.post(
        f"/hours/{entry_id}/withdraw", data={"csrf_token": Auth(client).csrf("/hours/")}
    )
    assert response.status_code == 302
    assert "승인 대기 중인 외부 학습만 철회할 수 있습니다" in client.get("/hours/").get_data(
        as_text=True
    )
    assert _counts(app) == (1, 1)


# --- access --------------------------------------------------------------------------------


def test_staff_cannot_reach_another_persons_entry_or_evidence(app, client, as_role, make_user):
    me = as_role(Role.STAFF)
    other = make_user(Role.STAFF)
    theirs = _add(
        app, other.id, year=2026, status=HoursStatus.PENDING, evidence=PDF, title="남의 교육"
    )
    mine = _add(app, me.id, year=2026, status=HoursStatus.PENDING, evidence=PDF)
    assert client.get(f"/hours/{theirs}/evidence").status_code == 404
    assert client.get("/hours/999999/evidence").status_code == 404
    token = Auth(client).csrf("/hours/")
    assert client.post(f"/hours/{theirs}/withdraw", data={"csrf_token": token}).status_code == 404
    assert "남의 교육" not in client.get("/hours/?year=2026").get_data(as_text=True)
    assert client.get("/hours/review").status_code == 403
    assert client.get(f"/hours/review/{theirs}").status_code == 403
    response = client.post(
        f"/hours/review/{theirs}/decide", data={"csrf_token": token, "decision": "approve"}
    )
    assert response.status_code == 403
    assert _counts(app) == (2, 2)
    # Their own evidence they may download: the stored bytes, never sniffed by the browser.
    own = client.get(f"/hours/{mine}/evidence")
    assert own.status_code == 200 and own.data == PDF
    assert own.mimetype == "application/pdf"
    assert own.headers["X-Content-Type-Options"] == "nosniff"
    assert own.headers["Content-Disposition"].startswith("attachment;")


def test_an_instructor_cannot_review(app, make_user):
    owner = make_user(Role.STAFF)
    entry_id = _add(app, owner.id, year=2026, status=HoursStatus.PENDING, evidence=PDF)
    client = _client_for(app, make_user(Role.INSTRUCTOR))
    assert client.get("/hours/review").status_code == 403
    assert client.get(f"/hours/{entry_id}/evidence").status_code == 404


# --- review --------------------------------------------------------------------------------


def _decide(client, entry_id: int, decision: str, reason: str = ""):
    token = Auth(client).csrf(f"/hours/review/{entry_id}")
    return client.post(
        f"/hours/review/{entry_id}/decide",
        data={"csrf_token": token, "decision": decision, "reason": reason},
    )


def test_a_coordinator_approves_with_audit_and_notification(
    app, client, as_role, make_user, audit_entries, hours_years_match_ledger
):
    reviewer = as_role(Role.COORDINATOR)
    owner = make_user(Role.STAFF)
    year = clock.today_in_seoul().year
    entry_id = _add(app, owner.id, year=year, status=HoursStatus.PENDING, hours="6.0", evidence=PDF)
    queue = client.get("/hours/review").get_data(as_text=True)
    assert f"/hours/review/{entry_id}" in queue and owner.employee_number in queue
    response = _decide(client, entry_id, "approve", "수료증 확인")
    assert response.status_code == 302
    with app.app_context():
        entry = db.session.get(HoursEntry, entry_id)
        assert entry.status is HoursStatus.APPROVED and entry.decided_by_id == reviewer.id
        assert entry.decision_reason == "수료증 확인" and entry.decided_at is not None
        assert year_summary(owner.id, year).approved == Decimal("6.0")
        # the dashboards' yearly sum moved with the decision
        assert db.session.get(HoursYear, (owner.id, year)).approved == Decimal("6.0")
    hours_years_match_ledger()
    with app.app_context():
        note = db.session.scalar(select(Notification).where(Notification.user_id == owner.id))
        assert note.kind == "hours.approved" and note.link == "/hours/"
        assert db.session.scalar(select(OutboxMessage).where(OutboxMessage.user_id == owner.id))
    (entry_audit,) = audit_entries("hours.approved")
    assert entry_audit.target_id == str(entry_id) and entry_audit.actor_id == reviewer.id
    assert entry_audit.details["hours"] == "6.0" and entry_audit.details["reason"] == "수료증 확인"
    # Deciding twice is refused; nothing changes.
    again = _decide(client, entry_id, "decline", "다시")
    assert again.status_code == 422 and "이미 처리된 신청입니다" in again.get_data(as_text=True)
    assert len(audit_entries("hours.approved")) == 1 and not audit_entries("hours.declined")


def test_declining_needs_a_reason_and_then_notifies_with_it(
    app, client, as_role, make_user, audit_entries, hours_years_match_ledger
):
    as_role(Role.ADMIN)
    owner = make_user(Role.STAFF)
    entry_id = _add(app, owner.id, year=2026, status=HoursStatus.PENDING, evidence=PDF)
    refused = _decide(client, entry_id, "decline", "   ")
    assert refused.status_code == 422
    assert "반려할 때는 사유를 입력해 주세요" in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(HoursEntry, entry_id).status is HoursStatus.PENDING
        assert not db.session.scalars(
            select(Notification).where(Notification.user_id == owner.id)
        ).all()
    assert audit_entries("hours.declined") == []

    assert _decide(client, entry_id, "decline", "수료증의 이름이 다릅니다").status_code == 302
    with app.app_context():
        assert db.session.get(HoursEntry, entry_id).status is HoursStatus.DECLINED
        note = db.session.scalar(select(Notification).where(Notification.user_id == owner.id))
        assert note.kind == "hours.declined" and "수료증의 이름이 다릅니다" in note.body
    (entry_audit,) = audit_entries("hours.declined")
    assert entry_audit.details["reason"] == "수료증의 이름이 다릅니다"
    hours_years_match_ledger()
    # The owner sees the decision and its reason on their ledger.
    owner_page = _client_for(app, owner).get("/hours/?year=2026").get_data(as_text=True)
    assert "수료증의 이름이 다릅니다" in owner_page and "반려" in owner_page


def test_a_coordinator_does_not_decide_their_own_entry(app, client, as_role):
    me = as_role(Role.COORDINATOR)
    entry_id = _add(app, me.id, year=2026, status=HoursStatus.PENDING, evidence=PDF)
    assert "다른 교육 담당자가 처리해야" in client.get(f"/hours/review/{entry_id}").get_data(
        as_text=True
    )
    assert _decide(client, entry_id, "approve").status_code == 422


def test_a_reviewer_opening_evidence_is_audited(app, client, as_role, make_user, audit_entries):
    as_role(Role.COORDINATOR)
    owner = make_user(Role.STAFF)
    entry_id = _add(app, owner.id, year=2026, status=HoursStatus.PENDING, evidence=PDF)
    response = client.get(f"/hours/{entry_id}/evidence")
    assert response.status_code == 200 and response.data == PDF
    (viewed,) = audit_entries("hours.evidence_viewed")
    assert viewed.target_id == str(entry_id) and viewed.details == {"user_id": owner.id}


def test_portal_lines_are_not_in_the_review_queue(app, client, as_role, make_user):
    as_role(Role.COORDINATOR)
    owner = make_user(Role.STAFF)
    portal_id = _add(app, owner.id, year=2026, source=HoursSource.PORTAL, title="포털 수료")
    assert client.get(f"/hours/review/{portal_id}").status_code == 404
    assert "포털 수료" not in client.get("/hours/review?status=all").get_data(as_text=True)
    token = Auth(client).csrf("/hours/review")
    response = client.post(
        f"/hours/review/{portal_id}/decide",
        data={"csrf_token": token, "decision": "decline", "reason": "x"},
    )
    assert response.status_code == 404


def test_the_queue_filters_by_status_department_and_year(
    app, client, as_role, make_user, department
):
    as_role(Role.COORDINATOR)
    inside = make_user(Role.STAFF, department_id=department.id, name="부서안직원")
    outside = make_user(Role.STAFF, name="부서밖직원")
    this_year = clock.today_in_seoul().year
    _add(app, inside.id, year=this_year, status=HoursStatus.PENDING, title="올해 대기")
    _add(app, outside.id, year=this_year, status=HoursStatus.PENDING, title="남 부서 대기")
    _add(app, inside.id, year=this_year - 1, status=HoursStatus.PENDING, title="작년 대기")
    _add(app, inside.id, year=this_year, status=HoursStatus.APPROVED, title="인정된 것")

    default = client.get("/hours/review").get_data(as_text=True)
    assert "올해 대기" in default and "작년 대기" in default and "인정된 것" not in default
    by_dept = client.get(f"/hours/review?department={department.id}").get_data(as_text=True)
    assert "올해 대기" in by_dept and "남 부서 대기" not in by_dept
    by_year = client.get(f"/hours/review?year={this_year - 1}").get_data(as_text=True)
    assert "작년 대기" in by_year and "올해 대기" not in by_year
    approved = client.get("/hours/review?status=approved").get_data(as_text=True)
    assert "인정된 것" in approved and "올해 대기" not in approved
    everything = client.get("/hours/review?status=all").get_data(as_text=True)
    assert all(t in everything for t in ("올해 대기", "남 부서 대기", "작년 대기", "인정된 것"))
    # Tampered filters are ignored, never an error.
    for query in ("status=bogus", "department=999999", "year=1", "year=x", "page=-1"):
        assert client.get(f"/hours/review?{query}").status_code == 200
