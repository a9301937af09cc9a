"""Department rules in portal.org.operations, called directly."""

from __future__ import annotations

import itertools

import pytest

from portal.core import clock
from portal.db import db
from portal.org.models import Department, DepartmentKind
from portal.org.operations import (
    DepartmentError,
    DepartmentInput,
    create_department,
    department_choices,
    department_tree,
    kind_label,
    update_department,
)
from portal.org.queries import subtree_ids
from portal.users.models import User

BUREAU, DIVISION, TEAM = DepartmentKind.BUREAU, DepartmentKind.DIVISION, DepartmentKind.TEAM
_codes = itertools.count(1)


def make(kind: DepartmentKind, parent: Department | None = None, **fields) -> Department:
    n = next(_codes)
    return create_department(
        DepartmentInput(
            code=fields.pop("code", f"U-{n:04d}"),
            name=fields.pop("name", f"부서{n}"),
            kind=kind,
            parent_id=parent.id if parent else None,
            **fields,
        )
    )


def edit(dept: Department, **changes) -> list[str]:
    values = {
        "code": dept.code,
        "name": dept.name,
        "kind": dept.kind,
        "parent_id": dept.parent_id,
        "is_active": dept.is_active,
    }
    values.update(changes)
    return update_department(dept, DepartmentInput(**values))


def add_user(department: Department, *, is_active: bool = True) -> User:
    n = next(_codes)
    user = User(
        employee_number=f"OPS{n:05d}",
        name=f"사용자{n}",
        email=f"ops{n}@sejong.example.kr",
        department_id=department.id,
        is_active=is_active,
        created_at=clock.utcnow(),
    )
    db.session.add(user)
    db.session.flush()
    return user


@pytest.fixture
def org(ctx):
    """기획조정실 > 디지털정책과 > 데이터팀, plus an empty 복지국."""
    bureau = make(BUREAU, name="기획조정실")
    division = make(DIVISION, bureau, name="디지털정책과")
    team = make(TEAM, division, name="데이터팀")
    other = make(BUREAU, name="복지국")
    return bureau, division, team, other


# --- creating ---------------------------------------------------------------------------------


def test_create_flushes_and_audits_without_committing(ctx, monkeypatch, audit_entries):
    monkeypatch.setattr(db.session, "commit", lambda: pytest.fail("operations never commit"))
    dept = make(BUREAU, code=" NEW-01 ", name="  미래   전략실 ")
    assert dept.id is not None
    assert (dept.code, dept.name) == ("NEW-01", "미래 전략실")
    [entry] = audit_entries("department.created")
    assert entry.target_type == "department" and entry.target_id == str(dept.id)
    assert entry.details == {"code": "NEW-01", "kind": "bureau", "parent_id": None}


@pytest.mark.parametrize("code", ["ab", "A" * 21, "코드123", "AB_12", "AB 12"])
def test_codes_must_be_3_to_20_letters_digits_or_hyphens(ctx, code):
    with pytest.raises(DepartmentError, match="3~20자"):
        make(BUREAU, code=code)


def test_codes_are_unique_whatever_the_case(ctx):
    make(BUREAU, code="PLAN-1")
    with pytest.raises(DepartmentError, match="이미 다른 부서가 쓰는 코드입니다"):
        make(BUREAU, code="plan-1")


def test_a_name_is_required(ctx):
    with pytest.raises(DepartmentError, match="부서명은"):
        make(BUREAU, name="   ")


def test_division_and_team_need_a_parent_of_the_level_above(org):
    bureau, division, _team, _other = org
    with pytest.raises(DepartmentError, match="골라야 합니다"):
        make(DIVISION)
    with pytest.raises(DepartmentError, match="‘팀’ 단위는 ‘과’ 단위"):
        make(TEAM, bureau)
    with pytest.raises(DepartmentError, match="‘과’ 단위는 ‘실·국’ 단위"):
        make(DIVISION, division)
    with pytest.raises(DepartmentError, match="최상위 부서"):
        make(BUREAU, bureau)


def test_an_unknown_parent_is_refused(ctx):
    with pytest.raises(DepartmentError, match="상위 부서가 없습니다"):
        create_department(
            DepartmentInput(code="ORPHAN", name="고아과", kind=DIVISION, parent_id=987654)
        )


def test_nothing_new_goes_under_an_inactive_parent(ctx):
    closed = make(BUREAU, is_active=False)
    with pytest.raises(DepartmentError, match="비활성 상태"):
        make(DIVISION, closed)


# --- editing ----------------------------------------------------------------------------------


def test_update_records_the_changed_field_names_only(org, audit_entries):
    _bureau, division, _team, other = org
    assert edit(division, name="디지털혁신과", parent_id=other.id) == ["name", "parent_id"]
    [entry] = audit_entries("department.updated")
    assert entry.details["fields"] == ["name", "parent_id"]
    assert "디지털혁신과" not in str(entry.details)


def test_an_unchanged_department_is_not_audited(org, audit_entries):
    _bureau, division, _team, _other = org
    assert edit(division) == []
    assert audit_entries("department.updated") == []


def test_a_department_may_keep_its_own_code(org):
    _bureau, division, _team, _other = org
    assert edit(division, code=division.code.lower()) == ["code"]


def test_a_department_cannot_be_its_own_parent(org):
    bureau, *_ = org
    with pytest.raises(DepartmentError, match="자기 자신이나 자기 하위 부서"):
        edit(bureau, kind=DIVISION, parent_id=bureau.id)


def test_a_department_cannot_move_below_its_own_descendant(org):
    bureau, _division, team, _other = org
    with pytest.raises(DepartmentError, match="자기 자신이나 자기 하위 부서"):
        edit(bureau, kind=TEAM, parent_id=team.id)
    assert bureau.parent_id is None and bureau.kind is BUREAU


def test_the_level_cannot_change_while_children_depend_on_it(org):
    bureau, division, _team, other = org
    elsewhere = make(DIVISION, other)
    with pytest.raises(DepartmentError, match="하위 부서가 있어"):
        edit(division, kind=TEAM, parent_id=elsewhere.id)
    with pytest.raises(DepartmentError, match="하위 부서가 있어"):
        edit(bureau, kind=DIVISION, parent_id=other.id)


def test_a_childless_department_can_change_level(org):
    _bureau, division, _team, other = org
    lonely = make(DIVISION, other)
    assert edit(lonely, kind=TEAM, parent_id=division.id) == ["kind", "parent_id"]


def test_deactivation_is_refused_while_active_users_remain(org):
    _bureau, _division, team, _other = org
    add_user(team)
    add_user(team, is_active=False)
    with pytest.raises(DepartmentError, match="사용 중인 사용자가 1명 있어"):
        edit(team, is_active=False)
    assert team.is_active


def test_deactivation_is_refused_while_active_children_remain(org):
    bureau, division, team, _other = org
    with pytest.raises(DepartmentError, match="하위 부서가 1개 있어"):
        edit(division, is_active=False)
    edit(team, is_active=False)
    edit(division, is_active=False)
    assert not division.is_active
    assert bureau.is_active


def test_reactivation_needs_an_active_parent(org):
    bureau, division, team, _other = org
    edit(team, is_active=False)
    edit(division, is_active=False)
    with pytest.raises(DepartmentError, match="상위 부서가 비활성 상태"):
        edit(team, is_active=True)
    edit(division, is_active=True)
    assert edit(team, is_active=True) == ["is_active"]
    assert bureau.is_active


# --- reading ----------------------------------------------------------------------------------


def test_choices_are_path_labels_in_tree_order_from_one_query(org, count_statements):
    bureau, division, team, other = org
    with count_statements() as statements:
        choices = department_choices()
    assert len(statements) == 1
    assert choices == [
        (bureau.id, "기획조정실"),
        (division.id, "기획조정실 > 디지털정책과"),
        (team.id, "기획조정실 > 디지털정책과 > 데이터팀"),
        (other.id, "복지국"),
    ]


def test_choices_leave_out_inactive_departments_unless_asked(org):
    _bureau, _division, team, _other = org
    edit(team, is_active=False)
    assert team.id not in dict(department_choices())
    assert dict(department_choices(include_ids=[team.id]))[team.id].endswith("(비활성)")
    assert dict(department_choices(active_only=False))[team.id].endswith("(비활성)")


def test_choices_can_be_limited_to_levels(org):
    bureau, division, _team, other = org
    ids = [dept_id for dept_id, _label in department_choices(kinds=(BUREAU, DIVISION))]
    assert ids == [bureau.id, division.id, other.id]


def _subtree(root_id: int) -> set[int]:
    return set(db.session.scalars(subtree_ids(root_id)))


def test_subtree_holds_the_department_and_everything_below(org):
    bureau, division, team, other = org
    assert _subtree(bureau.id) == {bureau.id, division.id, team.id}
    assert _subtree(team.id) == {team.id}
    assert other.id not in _subtree(bureau.id)


def test_subtree_walk_ends_even_on_a_loop_in_stored_data(org):
    bureau, division, team, _other = org
    # Impossible through the rules; written directly to prove the query still ends.
    bureau.parent_id = team.id
    db.session.flush()
    assert _subtree(division.id) == {bureau.id, division.id, team.id}


def test_tree_nests_levels_and_counts_active_members_in_two_queries(org, count_statements):
    bureau, division, team, other = org
    add_user(division)
    add_user(team)
    add_user(team)
    add_user(team, is_active=False)
    with count_statements() as statements:
        roots = department_tree()
    assert len(statements) == 2
    assert [node.department.id for node in roots] == [bureau.id, other.id]
    [division_node] = roots[0].children
    [team_node] = division_node.children
    assert division_node.department.id == division.id and team_node.department.id == team.id
    assert (team_node.members, division_node.members, roots[0].members) == (2, 1, 0)
    assert (division_node.total_members, roots[0].total_members) == (3, 3)
    assert roots[1].total_members == 0


def test_level_labels_are_korean(ctx):
    assert [kind_label(kind) for kind in (BUREAU, DIVISION, TEAM)] == ["실·국", "과", "팀"]
