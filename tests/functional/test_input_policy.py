"""The input policy at the edge (docs/input-policy.md), through the HTTP layer.

Each case was a 500 before the policy (the NUL ones on PostgreSQL only, where a text value
cannot hold NUL): now it is a 4xx with a Korean message, and nothing changes in the database.
Run on PostgreSQL too: TEST_DATABASE_URL=postgresql+psycopg://.../test_x.
"""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from sqlalchemy import select
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from portal.assistant.models import AssistantMessage, Draft
from portal.audit.models import AuditEntry
from portal.auth.models import LoginSession
from portal.core import clock, inputs
from portal.db import db
from portal.enrollment.models import Enrollment
from portal.org.models import Department
from portal.scheduling.models import SessionStatus, TrainingSession
from portal.users.models import Role, User
from tests.conftest import Auth

NUL = "a\x00b"
CONTROL_MESSAGE = "제어 문자"
HUGE = "99999999999999999999"


def _text(response) -> str:
    return response.get_data(as_text=True)


def _refused(response, status: int = 400) -> None:
    assert response.status_code == status, _text(response)[:500]
    if response.is_json:
        assert response.get_json()["message"]
    else:
        assert "오류 번호" in _text(response) or "요청" in _text(response)


def _future_day() -> dt.date:
    return dt.date(clock.today_in_seoul().year + 1, 12, 10)


def _session_form(course_id: int, **fields) -> dict[str, str]:
    day = _future_day().isoformat()
    data = {
        "course_id": str(course_id),
        "round_number": "",
        "starts_on": day,
        "starts_time": "09:00",
        "ends_on": day,
        "ends_time": "12:00",
        "place": "세종시청 4층 교육장",
        "online_url": "",
        "instructor_id": "0",
        "capacity": "30",
        "notes": "",
    }
    data.update(fields)
    return data


@pytest.fixture
def admin(as_role) -> User:
    return as_role(Role.ADMIN)


# 1. NUL and other control characters ----------------------------------------------------


def test_a_nul_in_the_anonymous_login_form_is_refused(client, make_user, row_count):
    make_user(Role.STAFF, employee_number="N0001")
    token = Auth(client).csrf("/auth/login")
    audit_before = row_count(AuditEntry)
    response = client.post(
        "/auth/login", data={"login": "N00\x0001", "password": "x", "csrf_token": token}
    )
    _refused(response)
    assert CONTROL_MESSAGE in _text(response)
    assert row_count(LoginSession) == 0
    assert row_count(AuditEntry) == audit_before


@pytest.mark.parametrize(
    "path",
    [
        "/courses/?q=a%00b",
        "/courses/?a%00b=1",
        "/admin/users/?q=a%00b",
        "/admin/audit/?actor=a%00b",
        "/admin/audit/?action=login%00",
        "/admin/audit/export.csv?ip=1%00",
        "/admin/outbox/?kind=a%00b",
        "/practice/new?doctype=a%00b",
        "/manage/sessions/?course=a%1Fb",
        "/courses/?q=a%C2%85b",  # NEL, a C1 control
        "/courses/?q=a%EF%BF%BEb",  # U+FFFE, a noncharacter
    ],
)
def test_control_characters_in_the_query_string_are_refused(client, admin, path):
    response = client.get(path)
    _refused(response)
    assert CONTROL_MESSAGE in _text(response)


def test_invalid_utf8_in_the_query_string_is_harmless(client, admin):
    # Werkzeug decodes with replacement characters (U+FFFD), which every database stores.
    assert client.get("/courses/?q=%FF%FEab").status_code == 200
    assert client.get("/admin/users/?q=%C3%28").status_code == 200
    token = Auth(client).csrf("/admin/users/new")
    response = client.post(
        "/admin/users/new",
        data=f"csrf_token={token}&name=%FF%FE".encode(),
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code < 500


@pytest.fixture
def course_and_session(make_course, make_session):
    course = make_course()
    return course, make_session(course_id=course.id)


def _form_cases(course_id: int, session_id: int) -> list[tuple[str, dict[str, str], type]]:
    return [
        (
            "/admin/departments/new",
            {"code": "Z9001", "name": NUL, "kind": "division", "parent_id": "0"},
            Department,
        ),
        (
            "/admin/users/new",
            {
                "employee_number": "Z9001",
                "name": NUL,
                "email": "z9001@sejong.example.kr",
                "department_id": "0",
                "role": "staff",
                "locale": "ko",
            },
            User,
        ),
        ("/manage/sessions/new", _session_form(course_id, place=NUL), TrainingSession),
        ("/manage/sessions/new", _session_form(course_id, notes="줄\x0b바꿈"), TrainingSession),
        (f"/manage/sessions/{session_id}/roster/add", {"employee_number": NUL}, Enrollment),
        (
            "/manage/bulk",
            {"session_id": str(session_id), "mode": "numbers", "employee_numbers": "A1\x00\nA2"},
            Enrollment,
        ),
        ("/practice/manage/reviews/1", {"score": "3", "comment": NUL}, AuditEntry),
        ("/practice/new", {"title": NUL, "doc_type": "x", "grade": "public"}, Draft),
        ("/admin/users/new", {NUL: "1"}, User),
    ]


def test_control_characters_in_forms_are_refused_and_change_nothing(
    client, auth, admin, course_and_session, row_count
):
    course, session = course_and_session
    for path, data, model in _form_cases(course.id, session.id):
        before = row_count(model)
        response = client.post(path, data={"csrf_token": auth.csrf("/"), **data})
        _refused(response)
        assert CONTROL_MESSAGE in _text(response), path
        assert row_count(model) == before, path


def test_cancel_reason_with_a_nul_leaves_the_session_scheduled(
    app, client, auth, admin, course_and_session
):
    _course, session = course_and_session
    response = client.post(
        f"/manage/sessions/{session.id}/cancel",
        data={"csrf_token": auth.csrf("/"), "reason": "취소\x00사유"},
    )
    _refused(response)
    with app.app_context():
        assert db.session.get(TrainingSession, session.id).status is SessionStatus.SCHEDULED


@pytest.mark.parametrize("name", ["roster\x00.csv", "roster\t.csv", "ro\x1bster.csv"])
def test_upload_file_names_with_control_characters_are_refused(client, auth, admin, name):
    response = client.post(
        "/admin/import/",
        data={"csrf_token": auth.csrf("/"), "roster_file": (io.BytesIO(b"a,b\n"), name)},
        content_type="multipart/form-data",
    )
    _refused(response)


def test_line_breaks_and_tabs_are_kept_in_multi_line_fields_only(
    app, client, auth, admin, make_course, row_count
):
    course = make_course()
    multi = client.post(
        "/manage/sessions/new",
        data={"csrf_token": auth.csrf("/"), **_session_form(course.id, notes="첫 줄\r\n\t둘째 줄")},
    )
    assert multi.status_code == 302, _text(multi)[:300]
    with app.app_context():
        notes = db.session.scalar(
            select(TrainingSession.notes).where(TrainingSession.course_id == course.id)
        )
    assert "\n" in notes and "\t" in notes

    before = row_count(TrainingSession)
    single = client.post(
        "/manage/sessions/new",
        data={"csrf_token": auth.csrf("/"), **_session_form(course.id, place="4층\r\n교육장")},
    )
    assert single.status_code == 422
    assert "한 줄로 입력해 주세요" in _text(single)
    assert row_count(TrainingSession) == before


# 2. Links judged on the raw string --------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://meet.example.org/a\r\nb",
        "https://meet.example.org/a\tb",
        "https://meet.example.org/a b",
        "https://[::1/x",
        "javascript:alert(1)",
    ],
)
def test_a_session_link_with_whitespace_or_controls_is_refused(
    client, auth, admin, make_course, row_count, url
):
    course = make_course()
    before = row_count(TrainingSession)
    response = client.post(
        "/manage/sessions/new",
        data={"csrf_token": auth.csrf("/"), **_session_form(course.id, place="", online_url=url)},
    )
    assert response.status_code == 422, _text(response)[:300]
    page = _text(response)
    assert "한 줄로 입력해 주세요" in page or "온라인 링크는 http://" in page
    assert row_count(TrainingSession) == before


def test_the_operation_refuses_a_link_with_a_line_break_even_without_the_form(app, make_course):
    from portal.scheduling import operations

    course = make_course()
    starts = clock.utcnow() + dt.timedelta(days=30)
    data = operations.SessionInput(
        course_id=course.id,
        round_number=None,
        starts_at=starts,
        ends_at=starts + dt.timedelta(hours=2),
        capacity=10,
        online_url="https://meet.example.org/a\r\nb",
    )
    with app.app_context(), pytest.raises(operations.SchedulingError):
        operations.validate_session(data)


# 3. Dates ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fields",
    [
        {"starts_on": "0001-01-01"},
        {"starts_on": "9999-12-31", "ends_on": "9999-12-31"},
        {"ends_on": "9999-12-31"},
        {"enrol_opens_on": "0001-01-01", "enrol_opens_time": "09:00"},
        {"cancel_deadline_on": "0001-01-01", "cancel_deadline_time": "00:00"},
    ],
)
def test_session_dates_outside_the_range_are_a_form_error(
    client, auth, admin, make_course, row_count, fields
):
    course = make_course()
    before = row_count(TrainingSession)
    response = client.post(
        "/manage/sessions/new",
        data={"csrf_token": auth.csrf("/"), **_session_form(course.id, **fields)},
    )
    assert response.status_code == 422
    assert "2000-01-01부터 2100-12-31 사이의 날짜" in _text(response)
    assert row_count(TrainingSession) == before


@pytest.mark.parametrize(
    "query",
    [
        "from_on=0001-01-01",
        "to_on=9999-12-31",
        "from_on=0001-01-01&to_on=9999-12-31",
        "from_on=2100-12-31&to_on=2100-12-31",
    ],
)
def test_session_list_dates_outside_the_range_are_ignored(client, admin, query):
    assert client.get(f"/manage/sessions/?{query}").status_code == 200


def test_audit_dates_use_the_same_range(client, admin):
    page = client.get("/admin/audit/?date_from=1999-12-31&date_to=9999-12-31")
    assert page.status_code == 200
    assert "2000년부터 2100년" in _text(page)


def test_a_user_appointed_in_year_one_is_a_form_error(client, auth, admin, row_count, department):
    before = row_count(User)
    response = client.post(
        "/admin/users/new",
        data={
            "csrf_token": auth.csrf("/"),
            "employee_number": "Z9002",
            "name": "김세종",
            "email": "z9002@sejong.example.kr",
            "department_id": str(department.id),
            "grade": "행정7급",
            "appointed_on": "0001-01-01",
            "role": "staff",
            "locale": "ko",
        },
    )
    assert response.status_code == 422
    assert "2000-01-01부터 2100-12-31 사이의 날짜" in _text(response)
    assert row_count(User) == before


# 4. Integers ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        f"/practice/manage/acceptances?department={HUGE}",
        "/practice/manage/acceptances?department=2147483648",
        "/practice/manage/acceptances?department=-1",
        f"/practice/?page={HUGE}",
        f"/courses/?page={HUGE}",
        f"/manage/sessions/?page={HUGE}",
        f"/manage/sessions/new?course_id={HUGE}",
        "/manage/sessions/new?course_id=2147483648",
        f"/manage/bulk?session_id={HUGE}",
        f"/admin/users/?department={HUGE}&page={HUGE}",
        f"/admin/audit/?page={HUGE}&target_id={HUGE}",
        f"/admin/outbox/?page={HUGE}",
        f"/notifications/?page={HUGE}",
        f"/my/learning?page={HUGE}",
        "/courses/?page=%EF%BC%91",  # a full-width digit one
    ],
)
def test_large_query_string_integers_are_ignored(client, admin, path):
    assert client.get(path).status_code == 200, path


@pytest.mark.parametrize("value", [HUGE, "2147483648", "-2147483649"])
def test_large_integers_in_forms_are_a_form_error(
    client, auth, admin, course_and_session, row_count, value
):
    course, session = course_and_session
    before = row_count(TrainingSession)
    response = client.post(
        "/manage/sessions/new",
        data={"csrf_token": auth.csrf("/"), **_session_form(course.id, capacity=value)},
    )
    assert response.status_code == 422
    assert row_count(TrainingSession) == before
    bulk = client.post(
        "/manage/bulk",
        data={
            "csrf_token": auth.csrf("/"),
            "session_id": value,
            "mode": "numbers",
            "employee_numbers": "A1",
            "department_id": value,
            "course_id": value,
        },
    )
    assert bulk.status_code in (200, 422), _text(bulk)[:300]


# 5. JSON bodies ----------------------------------------------------------------------------


def _json_post(client, url: str, body: str | bytes):
    token = Auth(client).csrf("/practice/")
    return client.post(
        url,
        data=body,
        content_type="application/json",
        headers={"X-CSRFToken": token, "Accept": "application/json"},
    )


@pytest.mark.parametrize("endpoint", ["guard", "mask", "messages", "draft"])
def test_deeply_nested_json_is_refused_before_parsing(
    app, client, as_role, make_workspace, row_count, endpoint
):
    user = as_role(Role.STAFF)
    draft = make_workspace(user)
    url = f"/practice/w/{draft.id}/{endpoint}"
    before = row_count(AssistantMessage)
    for body in ("[" * 10_000, '{"text": ' + "[" * 10_000 + "]" * 10_000 + "}"):
        response = _json_post(client, url, body)
        _refused(response)
        assert "구조가 너무 깊습니다" in response.get_json()["message"]
    assert row_count(AssistantMessage) == before


def test_brackets_inside_json_strings_do_not_count_as_nesting(client, as_role, make_workspace):
    user = as_role(Role.STAFF)
    draft = make_workspace(user)
    body = json.dumps({"text": "[" * 1_000 + '"{' * 100 + "\\"})
    assert _json_post(client, f"/practice/w/{draft.id}/guard", body).status_code == 200


@pytest.mark.parametrize("endpoint", ["guard", "mask", "messages", "draft"])
def test_control_characters_in_json_strings_are_refused(
    client, as_role, make_workspace, row_count, endpoint
):
    user = as_role(Role.STAFF)
    draft = make_workspace(user)
    url = f"/practice/w/{draft.id}/{endpoint}"
    before = row_count(AssistantMessage)
    for payload in (
        {"text": NUL},
        {"text": "ok", "a\x00": 1},
        {"segments": [{"text": "가\x00", "ai": False}], "revision": 1},
        {"text": "\ud800"},  # a lone surrogate, only possible through a JSON escape
    ):
        response = _json_post(client, url, json.dumps(payload))
        _refused(response)
        assert CONTROL_MESSAGE in response.get_json()["message"]
    assert row_count(AssistantMessage) == before


def test_line_breaks_in_a_chat_message_are_fine(client, as_role, make_workspace):
    user = as_role(Role.STAFF)
    draft = make_workspace(user)
    body = json.dumps({"text": "첫 줄\r\n\t둘째 줄"})
    assert _json_post(client, f"/practice/w/{draft.id}/guard", body).status_code == 200


def test_a_json_body_over_the_size_cap_is_413(client, as_role, make_workspace):
    user = as_role(Role.STAFF)
    draft = make_workspace(user)
    body = json.dumps({"text": "a" * (inputs.JSON_MAX_BYTES + 10)})
    response = _json_post(client, f"/practice/w/{draft.id}/guard", body)
    assert response.status_code == 413


# 6. Bodies without a Content-Length ------------------------------------------------------


def _unsized(path: str, body: bytes, content_type: str, **headers) -> Request:
    """A request as gunicorn hands over a chunked upload: no Content-Length, input terminated."""
    environ = EnvironBuilder(
        path=path, method="POST", data=body, content_type=content_type, headers=headers
    ).get_environ()
    environ.pop("CONTENT_LENGTH", None)
    environ["HTTP_TRANSFER_ENCODING"] = "chunked"
    environ["wsgi.input_terminated"] = True
    return Request(environ)


def test_a_chunked_body_past_the_limit_is_413_not_cut(app, client, row_count):
    limit = app.config["MAX_CONTENT_LENGTH"]
    body = b"login=" + b"a" * limit + b"&password=x"
    response = client.open(_unsized("/auth/login", body, "application/x-www-form-urlencoded"))
    assert response.status_code == 413
    assert row_count(LoginSession) == 0


def test_a_chunked_json_body_past_the_limit_is_413(app, client, as_role, make_workspace):
    user = as_role(Role.STAFF)
    draft = make_workspace(user)
    token = Auth(client).csrf("/practice/")
    body = json.dumps({"text": "a" * app.config["MAX_CONTENT_LENGTH"]}).encode()
    response = client.open(
        _unsized(
            f"/practice/w/{draft.id}/guard", body, "application/json", **{"X-CSRFToken": token}
        )
    )
    assert response.status_code == 413


def test_a_small_chunked_body_is_read_whole(client, as_role, make_workspace):
    user = as_role(Role.STAFF)
    draft = make_workspace(user)
    token = Auth(client).csrf("/practice/")
    body = json.dumps({"text": "홍길동 010-1234-5678 연락처"}).encode()
    response = client.open(
        _unsized(
            f"/practice/w/{draft.id}/guard", body, "application/json", **{"X-CSRFToken": token}
        )
    )
    assert response.status_code == 200, _text(response)[:300]
    assert response.get_json() is not None


@pytest.mark.parametrize("body", ['{"segments": [], "revision": 1e999}', '{"revision": NaN}'])
def test_non_finite_json_numbers_are_refused(client, as_role, make_workspace, body):
    # int(1e999) is an OverflowError: the view's (TypeError, ValueError) would not catch it.
    user = as_role(Role.STAFF)
    draft = make_workspace(user)
    response = _json_post(client, f"/practice/w/{draft.id}/draft", body)
    _refused(response)


@pytest.mark.parametrize("path", ["/courses/a%00b", "/calendar/a%00b.ics", "/courses/%C2%9F"])
def test_control_characters_in_the_path_are_refused(client, path):
    _refused(client.get(path))


def test_a_line_break_in_a_next_path_is_not_a_500(client):
    # A Location header cannot hold a line break: Werkzeug raised ValueError (a 500).
    token = Auth(client).csrf("/auth/login")
    response = client.post(
        "/locale", data={"csrf_token": token, "locale": "en", "next": "/a\r\nSet-Cookie: x=1"}
    )
    assert response.status_code == 302
    assert (
        "\n" not in response.headers["Location"]
        and "Set-Cookie" not in response.headers["Location"]
    )


def test_the_refusal_speaks_english_to_english_users(client):
    token = Auth(client).csrf("/auth/login")
    client.post("/locale", data={"csrf_token": token, "locale": "en", "next": "/auth/login"})
    response = client.get("/courses/?q=a%00b")
    assert response.status_code == 400
    assert "cannot be used (control characters)" in _text(response)
