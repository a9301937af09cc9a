"""Certificates (수료증): issuing, numbering, reissue and revoke, the PDF and its QR code,
the session ZIP, who may download what, and the public verification page."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from decimal import Decimal

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from portal.attendance.models import Completion, CompletionStatus
from portal.certificates import numbering, pdf, queries
from portal.certificates import operations as ops
from portal.certificates.models import Certificate
from portal.core import clock
from portal.db import db
from portal.notifications.models import Notification
from portal.users.models import Role, User
from tests.conftest import Auth, csrf_token_from

NUMBER = re.compile(r"^SJ-AI-(\d{4})-(\d{6})-([0-9A-Z]{4})$")


def _client_for(app, user: User):
    client = app.test_client()
    assert Auth(client).login(user).status_code == 302
    return client


def _completion(app, user: User, session, status=CompletionStatus.COMPLETED) -> int:
    with app.app_context():
        now = clock.utcnow()
        completion = Completion(
            session_id=session.id,
            user_id=user.id,
            course_id=session.course_id,
            status=status,
            attended_hours=Decimal("3.00"),
            scheduled_hours=Decimal("3.00"),
            exercise_met=True,
            survey_met=True,
            hours_awarded=Decimal("3.0") if status is CompletionStatus.COMPLETED else Decimal(0),
            completed_at=now if status is CompletionStatus.COMPLETED else None,
            evaluated_at=now,
        )
        db.session.add(completion)
        db.session.commit()
        return completion.id


def _issue(app, completion_id: int) -> Certificate:
    with app.app_context():
        certificate = ops.issue(db.session.get(Completion, completion_id))
        db.session.commit()
        return certificate


def _certificate(app, certificate_id: int) -> Certificate:
    with app.app_context():
        return db.session.get(Certificate, certificate_id)


@pytest.fixture
def finished(app, make_user, make_course, make_session, department):
    """A session that ran in the past (over two Seoul days) and a staff member who completed it."""
    course = make_course(title="챗GPT 보고서 작성 실습", recognised_hours=Decimal("3.0"))
    # 2026-11-01 23:30 UTC is 2 Nov 08:30 in Seoul; it ends on 3 Nov in Seoul.
    session = make_session(
        course_id=course.id,
        starts_at=dt.datetime(2026, 11, 1, 23, 30, tzinfo=dt.UTC),
        ends_at=dt.datetime(2026, 11, 3, 8, 0, tzinfo=dt.UTC),
    )
    staff = make_user(Role.STAFF, name="김수료", department_id=department.id)
    return {"session": session, "course": course, "staff": staff, "department": department}


# --- numbering ---------------------------------------------------------------------------


def test_numbers_have_a_keyed_check_and_normalise_what_people_type():
    number = numbering.format_number("secret-a", "SJ-AI", 2026, 123)
    assert NUMBER.match(number)
    assert number.startswith("SJ-AI-2026-000123-")
    # The check depends on the key, so a serial alone does not give the number.
    assert numbering.check_code("secret-a", "SJ-AI", 2026, 123) != numbering.check_code(
        "secret-b", "SJ-AI", 2026, 123
    )
    assert numbering.check_code("secret-a", "SJ-AI", 2026, 123) != numbering.check_code(
        "secret-a", "SJ-AI", 2026, 124
    )
    assert numbering.normalise(f"  {number.lower()} ") == number
    assert numbering.normalise(number.replace("-", "–", 1)) == number
    for bad in ("", "abc", "SJ-AI-2026-123-ABCD", "SJ-AI-2026-000123-ABCDE", "x" * 500, "../etc"):
        assert numbering.normalise(bad) is None


# --- issuing -----------------------------------------------------------------------------


def test_issue_freezes_the_content_and_is_idempotent(app, finished, row_count, audit_entries):
    staff, session = finished["staff"], finished["session"]
    completion_id = _completion(app, staff, session)

    first = _issue(app, completion_id)
    again = _issue(app, completion_id)

    assert again.id == first.id
    assert row_count(Certificate, Certificate.user_id == staff.id) == 1
    match = NUMBER.match(first.number)
    assert match and match.group(1) == str(clock.today_in_seoul().year)
    content = first.content
    assert content["number"] == first.number
    assert content["name"] == "김수료"
    assert content["department"] == finished["department"].name
    assert content["course_title"] == "챗GPT 보고서 작성 실습"
    assert content["round_number"] == session.round_number
    assert (content["starts_on"], content["ends_on"]) == ("2026-11-02", "2026-11-03")
    assert content["hours"] == "3"  # whole hours without ".0", as on every page
    assert content["issuer"] == app.config["CERTIFICATE_ISSUER"]
    assert content["issued_on"] == clock.today_in_seoul().isoformat()
    [entry] = audit_entries("certificate.issued", target_id=first.id)
    assert entry.details["number"] == first.number
    assert staff.name not in str(entry.details)
    with app.app_context():
        kinds = db.session.scalars(
            select(Notification.kind).where(Notification.user_id == staff.id)
        ).all()
    assert kinds.count("certificate.issued") == 1


def test_serials_count_up_within_the_year(app, finished, make_user):
    session = finished["session"]
    numbers = []
    for _ in range(3):
        person = make_user(Role.STAFF)
        numbers.append(_issue(app, _completion(app, person, session)).number)
    serials = [int(NUMBER.match(n).group(2)) for n in numbers]
    assert serials == [serials[0], serials[0] + 1, serials[0] + 2]


def test_a_taken_serial_is_retried_instead_of_failing(app, finished, make_user, monkeypatch):
    """Two requests computing the same serial: the unique number index makes one retry."""
    session = finished["session"]
    taken = _issue(app, _completion(app, make_user(Role.STAFF), session))
    serial = int(NUMBER.match(taken.number).group(2))
    real = numbering.next_serial
    calls = []

    def stale_first(db_session, prefix, year):
        calls.append(1)
        return serial if len(calls) == 1 else real(db_session, prefix, year)

    monkeypatch.setattr(numbering, "next_serial", stale_first)
    fresh = _issue(app, _completion(app, finished["staff"], session))
    assert len(calls) == 2
    assert int(NUMBER.match(fresh.number).group(2)) == serial + 1


def test_only_a_completed_completion_gets_a_certificate(app, finished, row_count):
    completion_id = _completion(
        app, finished["staff"], finished["session"], status=CompletionStatus.NOT_COMPLETED
    )
    with app.app_context(), pytest.raises(ops.CertificateError):
        ops.issue(db.session.get(Completion, completion_id))
    assert row_count(Certificate, Certificate.user_id == finished["staff"].id) == 0


def test_reissue_keeps_the_number_and_refreshes_the_content(app, finished, audit_entries):
    staff = finished["staff"]
    certificate = _issue(app, _completion(app, staff, finished["session"]))
    with app.app_context():
        db.session.get(User, staff.id).name = "김수정"
        db.session.commit()
    clock.advance(dt.timedelta(days=2))
    with app.app_context():
        again = ops.reissue(db.session.get(Certificate, certificate.id))
        db.session.commit()
    assert again.number == certificate.number
    assert again.reissue_count == 1
    assert again.content["name"] == "김수정"
    assert again.content["issued_on"] == certificate.content["issued_on"]
    assert again.content["reissued_on"] == clock.today_in_seoul().isoformat()
    [entry] = audit_entries("certificate.reissued", target_id=certificate.id)
    assert entry.details["changed"] == ["name"]


def test_revoke_then_issue_again_restores_the_same_number(app, finished, audit_entries):
    completion_id = _completion(app, finished["staff"], finished["session"])
    certificate = _issue(app, completion_id)
    with app.app_context():
        with pytest.raises(ops.CertificateError):
            ops.revoke(db.session.get(Certificate, certificate.id), "   ")
        ops.revoke(db.session.get(Certificate, certificate.id), "출석 기록 정정")
        db.session.commit()
        with pytest.raises(ops.CertificateError):
            ops.reissue(db.session.get(Certificate, certificate.id))
    assert _certificate(app, certificate.id).revoked_reason == "출석 기록 정정"
    assert audit_entries("certificate.revoked", target_id=certificate.id)
    restored = _issue(app, completion_id)
    assert restored.id == certificate.id
    assert restored.number == certificate.number
    assert restored.revoked_at is None


def test_certificates_for_maps_sessions_of_one_person(app, finished, make_user, make_session):
    staff = finished["staff"]
    certificate = _issue(app, _completion(app, staff, finished["session"]))
    other_session = make_session()
    _issue(app, _completion(app, make_user(Role.STAFF), other_session))
    with app.app_context():
        found = queries.certificates_for(staff.id, [finished["session"].id, other_session.id])
        assert queries.certificates_for(staff.id, []) == {}
    assert {k: v.id for k, v in found.items()} == {finished["session"].id: certificate.id}


# --- the PDF -----------------------------------------------------------------------------


def _text_of(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 1
    return reader.pages[0].extract_text()


def test_the_pdf_carries_the_korean_text_and_a_qr_of_the_verification_url(
    app, finished, monkeypatch
):
    staff = finished["staff"]
    certificate = _issue(app, _completion(app, staff, finished["session"]))
    encoded = []
    real_make = pdf.segno.make

    def spy(content, **kwargs):
        encoded.append(content)
        return real_make(content, **kwargs)

    monkeypatch.setattr(pdf.segno, "make", spy)
    client = _client_for(app, staff)
    response = client.get(f"/my/certificates/{certificate.id}.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert "filename*=UTF-8''" in response.headers["Content-Disposition"]
    text = _text_of(response.data)
    for expected in (
        "수 료 증",
        "김수료",
        "챗GPT 보고서 작성 실습",
        certificate.number,
        "세종특별자치시장",
    ):
        assert expected in text
    assert "2026. 11. 2. ~ 2026. 11. 3." in text
    url = f"http://localhost/verify/{certificate.number}"
    assert encoded == [url]
    assert url in text  # printed beside the code as well
    # The QR code is also a link to that very URL, so the address can be read from the PDF.
    annotations = [a.get_object() for a in PdfReader(io.BytesIO(response.data)).pages[0]["/Annots"]]
    uris = [str(a["/A"]["/URI"]) for a in annotations if a.get("/Subtype") == "/Link"]
    assert uris == encoded
    # The QR code is a real code of that URL (segno encodes; the matrix is not empty).
    assert sum(map(sum, pdf.qr_code(url).matrix)) > 100


def test_no_one_else_downloads_my_certificate(app, finished, make_user):
    staff = finished["staff"]
    certificate = _issue(app, _completion(app, staff, finished["session"]))
    for role in (Role.STAFF, Role.COORDINATOR, Role.ADMIN):
        other = _client_for(app, make_user(role))
        assert other.get(f"/my/certificates/{certificate.id}.pdf").status_code == 404
    with app.app_context():
        ops.revoke(db.session.get(Certificate, certificate.id), "수료 취소")
        db.session.commit()
    mine = _client_for(app, staff)
    assert mine.get(f"/my/certificates/{certificate.id}.pdf").status_code == 404


# --- the session's list and ZIP ------------------------------------------------------------


def _session_with_certificates(app, make_user, make_session, instructor=None, n=3):
    fields = {"instructor_id": instructor.id} if instructor else {}
    session = make_session(**fields)
    people = [make_user(Role.STAFF, name=f"이수료{i}") for i in range(n)]
    certificates = [_issue(app, _completion(app, p, session)) for p in people]
    return session, people, certificates


def test_the_zip_holds_one_pdf_per_valid_certificate_with_korean_names(
    app, make_user, make_session, audit_entries
):
    session, people, certificates = _session_with_certificates(app, make_user, make_session)
    with app.app_context():
        ops.revoke(db.session.get(Certificate, certificates[2].id), "중복 발급")
        db.session.commit()
    coordinator = _client_for(app, make_user(Role.COORDINATOR))
    response = coordinator.get(f"/manage/sessions/{session.id}/certificates.zip")
    assert response.status_code == 200
    assert response.mimetype == "application/zip"
    assert "filename*=UTF-8''" in response.headers["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    names = sorted(archive.namelist())
    assert names == sorted(
        f"수료증_{p.name}_{c.number}.pdf" for p, c in zip(people[:2], certificates[:2], strict=True)
    )
    for name in names:
        text = _text_of(archive.read(name))
        assert name.split("_")[1] in text
    [entry] = audit_entries("certificate.exported", target_id=session.id)
    assert entry.details == {"count": 2, "format": "zip"}


def test_who_sees_a_sessions_certificates(app, make_user, make_session):
    teacher = make_user(Role.INSTRUCTOR)
    session, _people, certificates = _session_with_certificates(
        app, make_user, make_session, instructor=teacher, n=1
    )
    list_path = f"/manage/sessions/{session.id}/certificates"
    zip_path = list_path + ".zip"

    own = _client_for(app, teacher)
    page = own.get(list_path)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert certificates[0].number in html
    assert "/revoke" not in html and "/reissue" not in html  # read-only for the instructor
    assert own.get(zip_path).status_code == 200
    # ...but the instructor cannot change anything.
    token = csrf_token_from(html)
    assert (
        own.post(
            f"/manage/certificates/{certificates[0].id}/revoke",
            data={"csrf_token": token, "reason": "x"},
        ).status_code
        == 403
    )

    stranger = _client_for(app, make_user(Role.INSTRUCTOR))
    assert stranger.get(list_path).status_code == 404
    assert stranger.get(zip_path).status_code == 404
    staff = _client_for(app, make_user(Role.STAFF))
    assert staff.get(list_path).status_code == 403
    coordinator = _client_for(app, make_user(Role.COORDINATOR))
    manage = coordinator.get(list_path).get_data(as_text=True)
    assert "/revoke" in manage and "/reissue" in manage


def test_coordinators_issue_reissue_and_revoke_with_forms(
    app, make_user, make_session, audit_entries
):
    session = make_session()
    person = make_user(Role.STAFF, name="박발급")
    _completion(app, person, session)
    coordinator = _client_for(app, make_user(Role.COORDINATOR))
    list_path = f"/manage/sessions/{session.id}/certificates"
    html = coordinator.get(list_path).get_data(as_text=True)
    assert "박발급" in html
    token = csrf_token_from(html)

    # Without the CSRF token nothing happens.
    assert coordinator.post(list_path + "/issue").status_code == 400
    assert coordinator.post(list_path + "/issue", data={"csrf_token": token}).status_code == 302
    with app.app_context():
        certificate = queries.certificates_for(person.id, [session.id])[session.id]
    assert audit_entries("certificate.list_viewed", target_id=session.id)

    response = coordinator.post(
        f"/manage/certificates/{certificate.id}/reissue", data={"csrf_token": token}
    )
    assert response.status_code == 302
    assert _certificate(app, certificate.id).reissue_count == 1

    # An empty reason is refused and changes nothing.
    coordinator.post(
        f"/manage/certificates/{certificate.id}/revoke", data={"csrf_token": token, "reason": " "}
    )
    assert _certificate(app, certificate.id).revoked_at is None
    coordinator.post(
        f"/manage/certificates/{certificate.id}/revoke",
        data={"csrf_token": token, "reason": "수료 요건 재검토"},
    )
    revoked = _certificate(app, certificate.id)
    assert revoked.revoked_at is not None and revoked.number == certificate.number
    assert audit_entries("certificate.revoked", target_id=certificate.id)
    # Revoking twice says so and changes nothing.
    page = coordinator.post(
        f"/manage/certificates/{certificate.id}/revoke",
        data={"csrf_token": token, "reason": "또"},
        follow_redirects=True,
    )
    assert "이미 취소된 수료증입니다." in page.get_data(as_text=True)


# --- public verification ---------------------------------------------------------------------


def test_verification_of_a_real_an_unknown_a_revoked_and_a_malformed_number(
    app, client, finished, make_user
):
    certificate = _issue(app, _completion(app, finished["staff"], finished["session"]))

    found = client.get(f"/verify/{certificate.number}")
    assert found.status_code == 200
    assert found.headers["X-Robots-Tag"] == "noindex, nofollow"
    html = found.get_data(as_text=True)
    assert '<meta name="robots" content="noindex, nofollow">' in html
    for expected in (
        "유효한 수료증입니다.",
        "김수료",
        "챗GPT 보고서 작성 실습",
        certificate.number,
    ):
        assert expected in html
    # Nothing beyond the certificate: no employee number or e-mail.
    assert finished["staff"].employee_number not in html
    assert finished["staff"].email not in html

    typed = client.get(f"/verify?number={certificate.number.lower()}")
    assert typed.status_code == 302
    assert typed.headers["Location"].endswith(f"/verify/{certificate.number}")

    head, _sep, check = certificate.number.rpartition("-")
    wrong_check = "0000" if check != "0000" else "1111"
    unknown = client.get(f"/verify/{head}-{wrong_check}")
    assert unknown.status_code == 404
    assert "발급 기록이 없는 번호입니다." in unknown.get_data(as_text=True)

    for bad in ("nonsense", "SJ-AI-2026-1-ABCD", "%00", "x" * 300):
        response = client.get(f"/verify/{bad}")
        assert response.status_code in (400, 404), bad
    malformed = client.get("/verify?number=%EC%95%88%EB%85%95")
    assert malformed.status_code == 400
    assert "수료증 번호 형식이 아닙니다." in malformed.get_data(as_text=True)

    with app.app_context():
        ops.revoke(db.session.get(Certificate, certificate.id), "수료 취소")
        db.session.commit()
    revoked = client.get(f"/verify/{certificate.number}")
    assert revoked.status_code == 200
    html = revoked.get_data(as_text=True)
    assert "취소된 수료증입니다." in html
    assert "김수료" not in html and "챗GPT 보고서 작성 실습" not in html
    assert "수료 취소" not in html  # the reason stays internal


def test_verification_is_rate_limited(client):
    statuses = [client.get("/verify/SJ-AI-2026-000001-0000").status_code for _ in range(21)]
    assert statuses[:20] == [404] * 20
    assert statuses[20] == 429


def test_revoke_for_completion_and_the_my_learning_cell(app, finished):
    from flask import render_template

    staff, session = finished["staff"], finished["session"]
    completion_id = _completion(app, staff, session)
    certificate = _issue(app, completion_id)

    def cell() -> str:
        with app.test_request_context():
            found = queries.certificates_for(staff.id, [session.id])
            return render_template(
                "certificates/_my_learning_cell.html",
                certificate=found.get(session.id),
                label_id="row-1",
            )

    html = cell()
    assert f'href="/my/certificates/{certificate.id}.pdf"' in html
    assert certificate.number in html and 'aria-describedby="row-1"' in html
    with app.app_context():
        completion = db.session.get(Completion, completion_id)
        assert ops.revoke_for_completion(completion, "출석 정정") is not None
        assert ops.revoke_for_completion(completion, "출석 정정") is None  # already revoked
        db.session.commit()
    html = cell()
    assert "수료증 취소됨" in html and ".pdf" not in html
    with app.test_request_context():
        empty = render_template("certificates/_my_learning_cell.html", certificate=None)
    assert "수료증 없음" in empty
