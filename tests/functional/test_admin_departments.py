"""The admin screens for departments: the tree, creating and editing under the tree rules."""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy import select

from portal.db import db
from portal.org.models import Department, DepartmentKind
from portal.users.models import Role

_codes = itertools.count(1)


def _make(app, kind: DepartmentKind, parent: Department | None = None, **fields) -> Department:
    with app.app_context():
        n = next(_codes)
        dept = Department(
            code=fields.pop("code", f"X{kind.value[:2].upper()}{n:04d}"),
            name=fields.pop("name", f"{kind.value}-{n}"),
            kind=kind,
            parent_id=parent.id if parent else None,
            **fields,
        )
        db.session.add(dept)
        db.session.commit()
        return dept


def _dept(app, dept_id: int) -> Department:
    with app.app_context():
        return db.session.get(Department, dept_id)


def _edit(client, auth, dept: Department, **changes):
    url = f"/admin/departments/{dept.id}/edit"
    data = {
        "csrf_token": auth.csrf(url),
        "code": dept.code,
        "name": dept.name,
        "kind": dept.kind.value,
        "parent_id": str(dept.parent_id or 0),
        "is_active": "y" if dept.is_active else "",
    }
    data.update(changes)
    if not data["is_active"]:
        del data["is_active"]
    return client.post(url, data=data)


def _create(client, auth, **fields):
    data = {"csrf_token": auth.csrf("/admin/departments/new"), "parent_id": "0"}
    data.update(fields)
    return client.post("/admin/departments/new", data=data)


@pytest.fixture
def bureau(app):
    return _make(app, DepartmentKind.BUREAU, name="기획조정실")


@pytest.fixture
def division(app, bureau):
    return _make(app, DepartmentKind.DIVISION, bureau, name="디지털정책과")


# --- access -----------------------------------------------------------------------------------

ROUTES = [
    ("get", "/admin/departments/"),
    ("get", "/admin/departments/new"),
    ("post", "/admin/departments/new"),
    ("get", "/admin/departments/{id}/edit"),
    ("post", "/admin/departments/{id}/edit"),
]


@pytest.mark.parametrize("role", [Role.STAFF, Role.INSTRUCTOR, Role.COORDINATOR])
@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_only_admins_reach_the_department_screens(
    client, as_role, auth, bureau, role, method, path
):
    as_role(role)
    url = path.format(id=bureau.id)
    if method == "get":
        response = client.get(url)
    else:
        response = client.post(
            url,
            data={"csrf_token": auth.csrf("/"), "code": "HACK-1", "name": "x", "kind": "bureau"},
        )
    assert response.status_code == 403
    assert _dept(client.application, bureau.id).name == "기획조정실"


def test_unknown_department_is_404(client, as_role, auth):
    as_role(Role.ADMIN)
    assert client.get("/admin/departments/999999/edit").status_code == 404
    response = client.post("/admin/departments/999999/edit", data={"csrf_token": auth.csrf("/")})
    assert response.status_code == 404


# --- the tree ---------------------------------------------------------------------------------


def test_tree_nests_bureau_division_team_with_member_counts(
    client, as_role, make_user, bureau, division
):
    as_role(Role.ADMIN)
    team = _make(client.application, DepartmentKind.TEAM, division, name="데이터팀")
    make_user(department_id=division.id)
    make_user(department_id=team.id)
    make_user(department_id=team.id)
    make_user(department_id=team.id, is_active=False)
    html = client.get("/admin/departments/").get_data(as_text=True)
    assert html.index("기획조정실") < html.index("디지털정책과") < html.index("데이터팀")
    assert "직속 1명 · 전체 3명" in html  # the division: 1 of its own, 2 in its team
    assert "직속 0명 · 전체 3명" in html  # the bureau
    assert "2명" in html  # the team; the inactive member is not counted
    assert f"/admin/departments/{team.id}/edit" in html


def test_inactive_departments_are_shown_marked(client, as_role, bureau):
    as_role(Role.ADMIN)
    _make(client.application, DepartmentKind.DIVISION, bureau, name="폐지된과", is_active=False)
    html = client.get("/admin/departments/").get_data(as_text=True)
    assert "폐지된과" in html
    assert "portal-dept-inactive" in html
    assert "비활성" in html


def test_tree_page_issues_the_same_number_of_statements_for_any_size(
    client, as_role, make_user, count_statements
):
    as_role(Role.ADMIN)
    bureau = _make(client.application, DepartmentKind.BUREAU)
    client.get("/admin/departments/")
    with count_statements() as few:
        assert client.get("/admin/departments/").status_code == 200
    for _ in range(5):
        div = _make(client.application, DepartmentKind.DIVISION, bureau)
        _make(client.application, DepartmentKind.TEAM, div)
        make_user(department_id=div.id)
    with count_statements() as many:
        assert client.get("/admin/departments/").status_code == 200
    assert 3 <= len(few) == len(many)


# --- create -----------------------------------------------------------------------------------


def test_admin_creates_a_bureau_and_it_is_audited(client, as_role, auth, audit_entries):
    as_role(Role.ADMIN)
    response = _create(client, auth, code="NEW-B1", name="미래전략실", kind="bureau")
    assert response.status_code == 302
    with client.application.app_context():
        dept = db.session.scalar(select(Department).where(Department.code == "NEW-B1"))
        assert dept.kind is DepartmentKind.BUREAU and dept.parent_id is None
    [entry] = audit_entries("department.created")
    assert entry.target_id == str(dept.id)
    assert entry.details["code"] == "NEW-B1"
    assert "부서를 만들었습니다" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_admin_creates_a_division_under_a_bureau(client, as_role, auth, bureau):
    as_role(Role.ADMIN)
    page = client.get("/admin/departments/new").get_data(as_text=True)
    assert "기획조정실" in page
    response = _create(
        client, auth, code="NEW-D1", name="스마트도시과", kind="division", parent_id=str(bureau.id)
    )
    assert response.status_code == 302
    with client.application.app_context():
        dept = db.session.scalar(select(Department).where(Department.code == "NEW-D1"))
        assert dept.parent_id == bureau.id


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"kind": "division"}, "상위 부서(‘실·국’ 단위)를 골라야 합니다"),
        (
            {"kind": "team", "parent": "bureau"},
            "‘팀’ 단위는 ‘과’ 단위 부서 아래에만 둘 수 있습니다",
        ),
        ({"kind": "bureau", "parent": "bureau"}, "상위 부서를 고를 수 없습니다"),
        ({"kind": "bureau", "code": "ab"}, "영문·숫자·하이픈 3~20자"),
        ({"kind": "bureau", "code": "한글코드"}, "영문·숫자·하이픈 3~20자"),
    ],
)
def test_tree_rules_refuse_bad_departments_and_create_nothing(
    client, as_role, auth, bureau, fields, message, audit_entries, row_count
):
    as_role(Role.ADMIN)
    before = row_count(Department)
    data = {"code": "BAD-1", "name": "잘못된부서", "kind": fields["kind"]}
    if "code" in fields:
        data["code"] = fields["code"]
    if fields.get("parent") == "bureau":
        data["parent_id"] = str(bureau.id)
    response = _create(client, auth, **data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert row_count(Department) == before
    assert audit_entries("department.created") == []


def test_duplicate_code_is_refused_in_korean(client, as_role, auth, bureau):
    as_role(Role.ADMIN)
    response = _create(client, auth, code=bureau.code.lower(), name="다른실", kind="bureau")
    assert response.status_code == 422
    assert "이미 다른 부서가 쓰는 코드입니다" in response.get_data(as_text=True)


def test_nothing_goes_under_an_inactive_parent(client, as_role, auth, row_count):
    as_role(Role.ADMIN)
    closed = _make(client.application, DepartmentKind.BUREAU, is_active=False)
    before = row_count(Department)
    response = _create(
        client, auth, code="NEW-D9", name="새과", kind="division", parent_id=str(closed.id)
    )
    assert response.status_code == 422  # inactive parents are not even offered
    assert row_count(Department) == before


def test_a_post_without_csrf_token_creates_nothing(client, as_role, row_count):
    as_role(Role.ADMIN)
    before = row_count(Department)
    response = client.post(
        "/admin/departments/new", data={"code": "NOCSRF", "name": "토큰없음", "kind": "bureau"}
    )
    assert response.status_code == 400
    assert row_count(Department) == before


# --- edit -------------------------------------------------------------------------------------


def test_edit_form_shows_the_department(client, as_role, division):
    as_role(Role.ADMIN)
    html = client.get(f"/admin/departments/{division.id}/edit").get_data(as_text=True)
    assert division.code in html
    assert "디지털정책과" in html
    assert f'<option selected value="{division.parent_id}">' in html


def test_admin_renames_and_recodes_a_department_and_it_is_audited(
    client, as_role, auth, division, audit_entries
):
    as_role(Role.ADMIN)
    response = _edit(client, auth, division, name="디지털혁신과", code="DIGI-01")
    assert response.status_code == 302
    changed = _dept(client.application, division.id)
    assert (changed.name, changed.code) == ("디지털혁신과", "DIGI-01")
    [entry] = audit_entries("department.updated")
    assert sorted(entry.details["fields"]) == ["code", "name"]
    assert "디지털혁신과" not in str(entry.details)


def test_admin_moves_a_division_to_another_bureau(client, as_role, auth, division):
    as_role(Role.ADMIN)
    other = _make(client.application, DepartmentKind.BUREAU, name="복지국")
    assert _edit(client, auth, division, parent_id=str(other.id)).status_code == 302
    assert _dept(client.application, division.id).parent_id == other.id


def test_a_department_cannot_become_its_own_ancestor(client, as_role, auth, bureau, division):
    as_role(Role.ADMIN)
    # The bureau turned into a team under its own division would close a loop.
    response = _edit(client, auth, bureau, kind="team", parent_id=str(division.id))
    assert response.status_code == 422
    assert "자기 하위 부서 아래로 옮길 수 없습니다" in response.get_data(as_text=True)
    unchanged = _dept(client.application, bureau.id)
    assert unchanged.parent_id is None and unchanged.kind is DepartmentKind.BUREAU


def test_a_department_cannot_be_its_own_parent(client, as_role, auth, bureau):
    as_role(Role.ADMIN)
    response = _edit(client, auth, bureau, kind="division", parent_id=str(bureau.id))
    assert response.status_code == 422
    assert "자기 자신이나" in response.get_data(as_text=True)


def test_changing_the_level_of_a_department_with_children_is_refused(
    client, as_role, auth, bureau, division
):
    as_role(Role.ADMIN)
    other = _make(client.application, DepartmentKind.BUREAU)
    response = _edit(client, auth, bureau, kind="division", parent_id=str(other.id))
    assert response.status_code == 422
    assert "하위 부서가 있어 부서 단위를 바꿀 수 없습니다" in response.get_data(as_text=True)


def test_an_empty_department_can_be_deactivated_and_reactivated(
    client, as_role, auth, division, audit_entries
):
    as_role(Role.ADMIN)
    assert _edit(client, auth, division, is_active="").status_code == 302
    assert not _dept(client.application, division.id).is_active
    assert (
        _edit(client, auth, _dept(client.application, division.id), is_active="y").status_code
        == 302
    )
    assert _dept(client.application, division.id).is_active
    assert len(audit_entries("department.updated")) == 2


def test_a_department_with_active_users_cannot_be_deactivated(
    client, as_role, auth, make_user, division
):
    as_role(Role.ADMIN)
    make_user(department_id=division.id)
    make_user(department_id=division.id)
    response = _edit(client, auth, division, is_active="")
    assert response.status_code == 422
    assert "사용 중인 사용자가 2명 있어 비활성화할 수 없습니다" in response.get_data(as_text=True)
    assert _dept(client.application, division.id).is_active


def test_a_department_with_only_inactive_users_can_be_deactivated(
    client, as_role, auth, make_user, division
):
    as_role(Role.ADMIN)
    make_user(department_id=division.id, is_active=False)
    assert _edit(client, auth, division, is_active="").status_code == 302


def test_a_department_with_active_children_cannot_be_deactivated(
    client, as_role, auth, bureau, division
):
    as_role(Role.ADMIN)
    response = _edit(client, auth, bureau, is_active="")
    assert response.status_code == 422
    assert "사용 중인 하위 부서가 1개 있어" in response.get_data(as_text=True)
    assert _dept(client.application, bureau.id).is_active


def test_an_edit_without_csrf_token_changes_nothing(client, as_role, division):
    as_role(Role.ADMIN)
    response = client.post(
        f"/admin/departments/{division.id}/edit",
        data={"code": division.code, "name": "몰래바꿈", "kind": "division"},
    )
    assert response.status_code == 400
    assert _dept(client.application, division.id).name == "디지털정책과"
