"""The admin screens for user accounts: list, search, create, edit, (de)activate, reset password."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from portal.auth.passwords import verify_password
from portal.db import db
from portal.org.models import Department, DepartmentKind
from portal.users.models import Role, User

NEW_PASSWORD = "Fresh!horse-battery-77"


def _user(app, user_id: int) -> User | None:
    with app.app_context():
        return db.session.get(User, user_id)


def _form(department_id: int | None = None, **fields) -> dict[str, str]:
    data = {
        "employee_number": "S20260001",
        "name": "김세종",
        "email": "kim.sejong@sejong.example.kr",
        "department_id": str(department_id or 0),
        "grade": "행정7급",
        "appointed_on": "2026-01-02",
        "role": "staff",
        "locale": "ko",
    }
    data.update(fields)
    return data


# --- access -----------------------------------------------------------------------------------

ROUTES = [
    ("get", "/admin/users/"),
    ("get", "/admin/users/new"),
    ("post", "/admin/users/new"),
    ("get", "/admin/users/{id}/edit"),
    ("post", "/admin/users/{id}/edit"),
    ("post", "/admin/users/{id}/active"),
    ("post", "/admin/users/{id}/password"),
    ("post", "/admin/users/{id}/unlock"),
]


@pytest.mark.parametrize("role", [Role.STAFF, Role.INSTRUCTOR, Role.COORDINATOR])
@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_only_admins_reach_the_user_screens(client, as_role, auth, role, method, path):
    me = as_role(role)
    url = path.format(id=me.id)
    if method == "get":
        response = client.get(url)
    else:
        response = client.post(url, data={"csrf_token": auth.csrf("/"), "active": "0"})
    assert response.status_code == 403
    assert _user(client.application, me.id).is_active


def test_anonymous_visitors_are_sent_to_login(client):
    response = client.get("/admin/users/")
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]


# --- list, search, filters, pagination ------------------------------------------------------


def test_list_masks_emails_and_links_to_edit(client, as_role, make_user):
    as_role(Role.ADMIN)
    other = make_user(email="hong.gildong@sejong.example.kr", name="홍길동")
    html = client.get("/admin/users/").get_data(as_text=True)
    assert "ho***@sejong.example.kr" in html
    assert "hong.gildong@" not in html
    assert f"/admin/users/{other.id}/edit" in html
    assert "/admin/users/new" in html


def test_search_finds_a_user_by_part_of_a_korean_name(client, as_role, make_user):
    as_role(Role.ADMIN, name="관리자")
    make_user(name="세종대왕", employee_number="K-1001")
    make_user(name="장영실", employee_number="K-1002")
    html = client.get("/admin/users/", query_string={"q": "대왕"}).get_data(as_text=True)
    assert "세종대왕" in html
    assert "장영실" not in html


def test_search_matches_employee_number_and_email_case_insensitively(client, as_role, make_user):
    as_role(Role.ADMIN)
    make_user(name="이순신", employee_number="EMP-7731", email="yi.sunsin@sejong.example.kr")
    make_user(name="강감찬", employee_number="EMP-8842", email="kang@sejong.example.kr")
    by_number = client.get("/admin/users/", query_string={"q": "emp-77"}).get_data(as_text=True)
    assert "이순신" in by_number and "강감찬" not in by_number
    by_email = client.get("/admin/users/", query_string={"q": "SUNSIN"}).get_data(as_text=True)
    assert "이순신" in by_email and "강감찬" not in by_email


def test_search_treats_percent_and_underscore_literally(client, as_role, make_user):
    as_role(Role.ADMIN)
    make_user(name="퍼센트없음")
    html = client.get("/admin/users/", query_string={"q": "%"}).get_data(as_text=True)
    assert "퍼센트없음" not in html
    assert "조건에 맞는 사용자가 없습니다" in html


def test_filters_by_role_and_by_active_state(client, as_role, make_user):
    as_role(Role.ADMIN, name="관리자")
    make_user(Role.COORDINATOR, name="담당자가")
    make_user(Role.STAFF, name="직원나", is_active=False)
    html = client.get("/admin/users/", query_string={"role": "coordinator"}).get_data(as_text=True)
    assert "담당자가" in html and "직원나" not in html
    html = client.get("/admin/users/", query_string={"status": "inactive"}).get_data(as_text=True)
    assert "직원나" in html and "담당자가" not in html
    html = client.get("/admin/users/", query_string={"status": "active"}).get_data(as_text=True)
    assert "담당자가" in html and "직원나" not in html


def test_department_filter_includes_the_departments_below(client, as_role, make_user, department):
    as_role(Role.ADMIN)
    make_user(name="과소속", department_id=department.id)
    make_user(name="무소속")
    html = client.get(
        "/admin/users/", query_string={"department": str(department.parent_id)}
    ).get_data(as_text=True)
    assert "과소속" in html and "무소속" not in html


def test_a_tampered_filter_value_is_ignored(client, as_role, make_user):
    as_role(Role.ADMIN)
    make_user(name="누구나")
    response = client.get("/admin/users/", query_string={"role": "emperor", "department": "x"})
    assert response.status_code == 200
    assert "누구나" in response.get_data(as_text=True)


def test_pagination_shows_25_users_a_page(client, as_role, make_user):
    as_role(Role.ADMIN, name="가관리자")
    for n in range(30):
        make_user(name=f"나직원{n:02d}")
    first = client.get("/admin/users/").get_data(as_text=True)
    assert first.count("/edit") == 25
    assert "전체 31건 중 1–25건" in first
    second = client.get("/admin/users/", query_string={"page": 2}).get_data(as_text=True)
    assert second.count("/edit") == 6
    assert "나직원29" in second and "나직원29" not in first


def test_pagination_links_keep_the_search(client, as_role, make_user):
    as_role(Role.ADMIN)
    for n in range(27):
        make_user(name=f"검색대상{n:02d}")
    html = client.get("/admin/users/", query_string={"q": "검색대상"}).get_data(as_text=True)
    assert "page=2" in html
    assert "q=%EA%B2%80%EC%83%89%EB%8C%80%EC%83%81" in html


def test_list_page_issues_the_same_number_of_statements_for_3_and_30_users(
    client, as_role, make_user, department, count_statements
):
    as_role(Role.ADMIN)
    for _ in range(2):
        make_user(department_id=department.id)
    client.get("/admin/users/")  # warm up: the login session's first touch writes once
    with count_statements() as few:
        assert client.get("/admin/users/").status_code == 200
    for _ in range(27):
        make_user(department_id=department.id)
    with count_statements() as many:
        assert client.get("/admin/users/").status_code == 200
    assert len(few) == len(many)
    assert 3 <= len(many) <= 12, many


# --- create -----------------------------------------------------------------------------------


def test_create_form_lists_active_departments_by_path(client, as_role, department):
    as_role(Role.ADMIN)
    with client.application.app_context():
        bureau = db.session.get(Department, department.parent_id)
        gone = Department(code="OLD-1", name="폐지된과", kind=DepartmentKind.DIVISION)
        gone.parent_id = bureau.id
        gone.is_active = False
        db.session.add(gone)
        db.session.commit()
        expected = f"{bureau.name} &gt; {department.name}"
    html = client.get("/admin/users/new").get_data(as_text=True)
    assert expected in html
    assert "폐지된과" not in html


def test_admin_creates_a_user(client, as_role, auth, department, audit_entries, row_count):
    as_role(Role.ADMIN)
    before = row_count(User)
    data = _form(department.id, csrf_token=auth.csrf("/admin/users/new"), password=NEW_PASSWORD)
    response = client.post("/admin/users/new", data=data)
    assert response.status_code == 302
    with client.application.app_context():
        user = db.session.scalar(select(User).where(User.employee_number == "S20260001"))
        assert user.department_id == department.id
        assert user.appointed_on.isoformat() == "2026-01-02"
        assert verify_password(user.password_hash, NEW_PASSWORD)
    assert row_count(User) == before + 1
    assert response.headers["Location"].endswith(f"/admin/users/{user.id}/edit")
    assert "사용자를 등록했습니다" in client.get(response.headers["Location"]).get_data(
        as_text=True
    )
    assert [e.target_id for e in audit_entries("user.created")] == [str(user.id)]


def test_a_user_created_without_password_cannot_log_in_yet(client, as_role, auth):
    as_role(Role.ADMIN)
    client.post("/admin/users/new", data=_form(csrf_token=auth.csrf("/admin/users/new")))
    with client.application.app_context():
        user = db.session.scalar(select(User).where(User.employee_number == "S20260001"))
        assert user.password_hash is None
        assert user.department_id is None


def test_duplicate_employee_number_shows_a_korean_error_and_creates_nothing(
    client, as_role, auth, make_user, audit_entries, row_count
):
    as_role(Role.ADMIN)
    make_user(employee_number="S20260001")
    before = row_count(User)
    response = client.post(
        "/admin/users/new",
        data=_form(csrf_token=auth.csrf("/admin/users/new"), email="other@sejong.example.kr"),
    )
    assert response.status_code == 422
    assert "이미 다른 사용자가 쓰는 사번입니다" in response.get_data(as_text=True)
    assert row_count(User) == before
    assert audit_entries("user.created") == []


def test_a_weak_initial_password_is_refused_and_nothing_is_saved(client, as_role, auth, row_count):
    as_role(Role.ADMIN)
    before = row_count(User)
    response = client.post(
        "/admin/users/new",
        data=_form(csrf_token=auth.csrf("/admin/users/new"), password="short"),
    )
    assert response.status_code == 422
    assert "비밀번호는" in response.get_data(as_text=True)
    assert row_count(User) == before


def test_missing_fields_are_reported_in_korean(client, as_role, auth):
    as_role(Role.ADMIN)
    response = client.post(
        "/admin/users/new",
        data=_form(csrf_token=auth.csrf("/admin/users/new"), name="", email="not-an-email"),
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "성명을 입력해 주세요" in html


def test_a_post_without_csrf_token_changes_nothing(client, as_role, row_count):
    as_role(Role.ADMIN)
    before = row_count(User)
    response = client.post("/admin/users/new", data=_form())
    assert response.status_code == 400
    assert row_count(User) == before


# --- edit -------------------------------------------------------------------------------------


def test_edit_page_shows_the_account(client, as_role, make_user):
    as_role(Role.ADMIN)
    other = make_user(email="visible@sejong.example.kr")
    html = client.get(f"/admin/users/{other.id}/edit").get_data(as_text=True)
    assert other.employee_number in html
    assert "visible@sejong.example.kr" in html
    assert 'data-confirm="' in html


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/admin/users/999999/edit"),
        ("post", "/admin/users/999999/edit"),
        ("post", "/admin/users/999999/active"),
        ("post", "/admin/users/999999/password"),
    ],
)
def test_unknown_user_is_404(client, as_role, auth, method, path):
    as_role(Role.ADMIN)
    if method == "get":
        assert client.get(path).status_code == 404
    else:
        token = auth.csrf("/")
        assert client.post(path, data={"csrf_token": token, "active": "1"}).status_code == 404


def test_admin_edits_a_user_and_the_change_is_audited_by_field_name(
    client, as_role, auth, make_user, department, audit_entries
):
    as_role(Role.ADMIN)
    other = make_user()
    url = f"/admin/users/{other.id}/edit"
    data = _form(
        department.id,
        csrf_token=auth.csrf(url),
        employee_number=other.employee_number,
        name="새이름",
        email=other.email,
    )
    response = client.post(url, data=data)
    assert response.status_code == 302
    changed = _user(client.application, other.id)
    assert changed.name == "새이름"
    assert changed.department_id == department.id
    [entry] = audit_entries("user.updated")
    assert "name" in entry.details["fields"]
    assert "새이름" not in str(entry.details)


def test_role_change_is_audited(client, as_role, auth, make_user, audit_entries):
    as_role(Role.ADMIN)
    other = make_user(Role.STAFF)
    url = f"/admin/users/{other.id}/edit"
    data = _form(
        csrf_token=auth.csrf(url),
        employee_number=other.employee_number,
        name=other.name,
        email=other.email,
        grade=other.grade,
        appointed_on=other.appointed_on.isoformat(),
        role="coordinator",
    )
    response = client.post(url, data=data)
    assert response.status_code == 302
    assert _user(client.application, other.id).role is Role.COORDINATOR
    [entry] = audit_entries("user.role_changed")
    assert entry.target_id == str(other.id)
    assert entry.details == {"from": "staff", "to": "coordinator"}


def test_an_admin_cannot_remove_their_own_admin_role(client, as_role, auth):
    me = as_role(Role.ADMIN)
    url = f"/admin/users/{me.id}/edit"
    data = _form(
        csrf_token=auth.csrf(url),
        employee_number=me.employee_number,
        name=me.name,
        email=me.email,
        role="staff",
    )
    response = client.post(url, data=data)
    assert response.status_code == 422
    assert "시스템 관리자 역할은 해제할 수 없습니다" in response.get_data(as_text=True)
    assert _user(client.application, me.id).role is Role.ADMIN


def test_taking_another_users_email_is_refused(client, as_role, auth, make_user):
    as_role(Role.ADMIN)
    first = make_user(email="first@sejong.example.kr")
    second = make_user()
    url = f"/admin/users/{second.id}/edit"
    data = _form(
        csrf_token=auth.csrf(url),
        employee_number=second.employee_number,
        name=second.name,
        email=first.email,
    )
    response = client.post(url, data=data)
    assert response.status_code == 422
    assert "이미 다른 사용자가 쓰는 이메일입니다" in response.get_data(as_text=True)
    assert _user(client.application, second.id).email == second.email


# --- activate / deactivate --------------------------------------------------------------------


def test_admin_deactivates_and_reactivates_a_user(client, as_role, auth, make_user, audit_entries):
    as_role(Role.ADMIN)
    other = make_user()
    url = f"/admin/users/{other.id}/active"
    response = client.post(url, data={"csrf_token": auth.csrf("/"), "active": "0"})
    assert response.status_code == 302
    assert not _user(client.application, other.id).is_active
    assert "사용 중지" in client.get(response.headers["Location"]).get_data(as_text=True)
    client.post(url, data={"csrf_token": auth.csrf("/"), "active": "1"})
    assert _user(client.application, other.id).is_active
    assert len(audit_entries("user.deactivated")) == 1
    assert len(audit_entries("user.activated")) == 1


def test_an_admin_cannot_deactivate_themself(client, as_role, auth):
    me = as_role(Role.ADMIN)
    response = client.post(
        f"/admin/users/{me.id}/active",
        data={"csrf_token": auth.csrf("/"), "active": "0"},
        follow_redirects=True,
    )
    assert "자기 자신의 계정은 사용 중지할 수 없습니다" in response.get_data(as_text=True)
    assert _user(client.application, me.id).is_active


def test_a_deactivation_without_csrf_token_changes_nothing(client, as_role, make_user):
    as_role(Role.ADMIN)
    other = make_user()
    response = client.post(f"/admin/users/{other.id}/active", data={"active": "0"})
    assert response.status_code == 400
    assert _user(client.application, other.id).is_active


def test_a_bad_active_value_is_refused(client, as_role, auth, make_user):
    as_role(Role.ADMIN)
    other = make_user()
    response = client.post(
        f"/admin/users/{other.id}/active", data={"csrf_token": auth.csrf("/"), "active": "maybe"}
    )
    assert response.status_code == 400
    assert _user(client.application, other.id).is_active


# --- password reset ---------------------------------------------------------------------------


def test_admin_sets_a_new_password(client, as_role, auth, make_user, audit_entries):
    as_role(Role.ADMIN)
    other = make_user()
    response = client.post(
        f"/admin/users/{other.id}/password",
        data={"csrf_token": auth.csrf("/"), "new_password": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert verify_password(_user(client.application, other.id).password_hash, NEW_PASSWORD)
    assert len(audit_entries("user.password_reset")) == 1


def test_a_weak_reset_password_is_shown_as_an_error(client, as_role, auth, make_user):
    as_role(Role.ADMIN)
    other = make_user()
    old_hash = other.password_hash
    response = client.post(
        f"/admin/users/{other.id}/password",
        data={"csrf_token": auth.csrf("/"), "new_password": other.employee_number + "aaaa"},
    )
    assert response.status_code == 422
    assert "비밀번호는" in response.get_data(as_text=True)
    assert _user(client.application, other.id).password_hash == old_hash


def test_an_empty_reset_password_is_shown_as_an_error(client, as_role, auth, make_user):
    as_role(Role.ADMIN)
    other = make_user()
    response = client.post(
        f"/admin/users/{other.id}/password", data={"csrf_token": auth.csrf("/"), "new_password": ""}
    )
    assert response.status_code == 422
    assert "새 비밀번호를 입력해 주세요" in response.get_data(as_text=True)


def test_an_admin_resets_their_own_password_elsewhere(client, as_role, auth, audit_entries):
    me = as_role(Role.ADMIN)
    response = client.post(
        f"/admin/users/{me.id}/password",
        data={"csrf_token": auth.csrf("/"), "new_password": NEW_PASSWORD},
    )
    assert response.status_code == 422
    assert "비밀번호 변경" in response.get_data(as_text=True)
    assert audit_entries("user.password_reset") == []


# --- department heads -------------------------------------------------------------------------


def _same_fields(other: User, url: str, auth, **fields) -> dict[str, str]:
    """The edit form as the page would post it back unchanged, plus ``fields``."""
    return _form(
        other.department_id,
        csrf_token=auth.csrf(url),
        employee_number=other.employee_number,
        name=other.name,
        email=other.email,
        grade=other.grade,
        appointed_on=other.appointed_on.isoformat(),
        **fields,
    )


def test_admin_makes_a_user_department_head_then_unsets_it_each_audited(
    client, as_role, auth, make_user, department, audit_entries
):
    as_role(Role.ADMIN)
    other = make_user(department_id=department.id)
    url = f"/admin/users/{other.id}/edit"

    response = client.post(url, data=_same_fields(other, url, auth, is_department_head="y"))
    assert response.status_code == 302
    assert _user(client.application, other.id).is_department_head is True
    assert "사용자 정보를 저장했습니다" in client.get(url).get_data(as_text=True)
    listing = client.get("/admin/users/").get_data(as_text=True)
    assert "부서장</span>" in listing

    response = client.post(url, data=_same_fields(other, url, auth))  # checkbox left unticked
    assert response.status_code == 302
    assert _user(client.application, other.id).is_department_head is False

    entries = audit_entries("user.department_head_changed")
    assert [(e.target_type, e.target_id, e.details) for e in entries] == [
        ("user", str(other.id), {"is_department_head": True}),
        ("user", str(other.id), {"is_department_head": False}),
    ]
    assert audit_entries("user.updated") == []  # no other field changed


def test_a_new_department_head_can_open_the_approvals_page(
    client, as_role, auth, make_user, department
):
    as_role(Role.ADMIN)
    other = make_user(department_id=department.id)
    url = f"/admin/users/{other.id}/edit"
    client.post(url, data=_same_fields(other, url, auth, is_department_head="y"))
    auth.logout()
    auth.login(other)
    assert client.get("/approvals/").status_code == 200


def test_the_edit_form_shows_the_flag_and_what_it_does(client, as_role, make_user, department):
    as_role(Role.ADMIN)
    head = make_user(department_id=department.id, is_department_head=True)
    html = client.get(f"/admin/users/{head.id}/edit").get_data(as_text=True)
    assert 'name="is_department_head"' in html
    assert re.search(r'<input[^>]*checked[^>]*name="is_department_head"', html) or re.search(
        r'<input[^>]*name="is_department_head"[^>]*checked', html
    )
    assert "수강 신청을 승인하거나 반려합니다" in html
    assert 'aria-describedby="is_department_head-hint"' in html


def test_saving_without_touching_the_flag_records_no_change(
    client, as_role, auth, make_user, department, audit_entries
):
    as_role(Role.ADMIN)
    head = make_user(department_id=department.id, is_department_head=True)
    url = f"/admin/users/{head.id}/edit"
    response = client.post(url, data=_same_fields(head, url, auth, is_department_head="y"))
    assert response.status_code == 302
    assert "바뀐 내용이 없습니다" in client.get(url).get_data(as_text=True)
    assert audit_entries("user.department_head_changed") == []


def test_admin_creates_a_department_head(client, as_role, auth, department, audit_entries):
    as_role(Role.ADMIN)
    data = _form(department.id, csrf_token=auth.csrf("/admin/users/new"), is_department_head="y")
    assert client.post("/admin/users/new", data=data).status_code == 302
    with client.application.app_context():
        user = db.session.scalar(select(User).where(User.employee_number == "S20260001"))
        assert user.is_department_head is True
    [entry] = audit_entries("user.department_head_changed")
    assert (entry.target_id, entry.details) == (str(user.id), {"is_department_head": True})


@pytest.mark.parametrize("path", ["/admin/users/new", "/admin/users/{id}/edit"])
def test_a_department_head_needs_a_department(
    client, as_role, auth, make_user, audit_entries, row_count, path
):
    as_role(Role.ADMIN)
    other = make_user()
    url = path.format(id=other.id)
    before = row_count(User)
    data = (
        _same_fields(other, url, auth, is_department_head="y")
        if "{id}" in path
        else _form(csrf_token=auth.csrf(url), is_department_head="y")
    )
    response = client.post(url, data=data)
    assert response.status_code == 422
    assert "부서장으로 지정하려면 소속 부서를 골라 주세요." in response.get_data(as_text=True)
    assert row_count(User) == before
    assert _user(client.application, other.id).is_department_head is False
    assert audit_entries("user.department_head_changed") == []


def test_setting_the_flag_without_csrf_token_changes_nothing(
    client, as_role, auth, make_user, department, audit_entries
):
    as_role(Role.ADMIN)
    other = make_user(department_id=department.id)
    url = f"/admin/users/{other.id}/edit"
    data = _same_fields(other, url, auth, is_department_head="y")
    del data["csrf_token"]
    assert client.post(url, data=data).status_code == 400
    assert _user(client.application, other.id).is_department_head is False
    assert audit_entries("user.department_head_changed") == []


@pytest.mark.parametrize("role", [Role.STAFF, Role.INSTRUCTOR, Role.COORDINATOR])
def test_only_admins_can_make_someone_department_head(
    client, as_role, auth, make_user, department, audit_entries, role
):
    # Even a department head (who approves requests) cannot hand the flag on.
    me = as_role(role, department_id=department.id, is_department_head=True)
    other = make_user(department_id=department.id)
    for target in (other, me):
        url = f"/admin/users/{target.id}/edit"
        data = _same_fields(target, "/", auth, is_department_head="y")  # a valid token
        assert client.post(url, data=data).status_code == 403
    assert _user(client.application, other.id).is_department_head is False
    assert audit_entries("user.department_head_changed") == []
