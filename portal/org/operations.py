"""Department rules: creating, renaming, moving and (de)activating, each audited.

Operations validate, change and flush; the request or CLI command commits.
Messages are Korean first (gettext msgids) because they reach the screen as they are.
Reads for the admin screens (the tree with head counts, the select options) live
here too, each a fixed number of queries whatever the size of the organisation.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import func, select

from portal.audit.operations import record
from portal.db import db
from portal.org.models import ALLOWED_PARENT, Department, DepartmentKind
from portal.users.models import User

DEPARTMENT_CODE = re.compile(r"^[A-Za-z0-9-]{3,20}$")
PATH_SEPARATOR = " > "


class DepartmentError(ValueError):
    """A rule was broken; the message is shown to the user as it is."""


@dataclass(frozen=True)
class DepartmentInput:
    code: str
    name: str
    kind: DepartmentKind
    parent_id: int | None = None
    is_active: bool = True


@dataclass
class DepartmentNode:
    """One department in the tree, with active members directly in it and in its subtree."""

    department: Department
    members: int
    children: list[DepartmentNode] = field(default_factory=list)

    @property
    def total_members(self) -> int:
        return self.members + sum(child.total_members for child in self.children)


def kind_label(kind: DepartmentKind) -> str:
    """The Korean name of a level of the tree."""
    return {
        DepartmentKind.BUREAU: _("실·국"),
        DepartmentKind.DIVISION: _("과"),
        DepartmentKind.TEAM: _("팀"),
    }[kind]


def _parent_map() -> dict[int, int | None]:
    return dict(db.session.execute(select(Department.id, Department.parent_id)).all())


def _is_ancestor_or_self(candidate_id: int, start_id: int, parents: dict[int, int | None]) -> bool:
    """Whether candidate_id is start_id or one of its ancestors (guards against stored loops)."""
    seen: set[int] = set()
    current: int | None = start_id
    while current is not None and current not in seen:
        if current == candidate_id:
            return True
        seen.add(current)
        current = parents.get(current)
    return False


def _check_parent(clean: DepartmentInput, existing: Department | None) -> None:
    if clean.parent_id is None:
        wanted = ALLOWED_PARENT[clean.kind]
        if wanted is not None:
            raise DepartmentError(
                _(
                    "‘%(kind)s’ 단위는 상위 부서(‘%(parent)s’ 단위)를 골라야 합니다.",
                    kind=kind_label(clean.kind),
                    parent=kind_label(wanted),
                )
            )
        return
    parent = db.session.get(Department, clean.parent_id)
    if parent is None:
        raise DepartmentError(_("선택한 상위 부서가 없습니다."))
    # A cycle is reported before the level rule: it is the more basic mistake.
    if existing is not None and _is_ancestor_or_self(existing.id, parent.id, _parent_map()):
        raise DepartmentError(
            _(
                "부서를 자기 자신이나 자기 하위 부서 아래로 옮길 수 없습니다. 상위 부서를 다시 골라 주세요."
            )
        )
    wanted = ALLOWED_PARENT[clean.kind]
    if wanted is None:
        raise DepartmentError(_("실·국은 최상위 부서이므로 상위 부서를 고를 수 없습니다."))
    if parent.kind != wanted:
        raise DepartmentError(
            _(
                "‘%(kind)s’ 단위는 ‘%(parent)s’ 단위 부서 아래에만 둘 수 있습니다.",
                kind=kind_label(clean.kind),
                parent=kind_label(wanted),
            )
        )
    if clean.is_active and not parent.is_active:
        raise DepartmentError(
            _(
                "상위 부서가 비활성 상태입니다. 상위 부서를 먼저 활성화하거나 다른 부서를 골라 주세요."
            )
        )


def _check_children(department: Department, clean: DepartmentInput) -> None:
    """Changing the level or deactivating must not strand what hangs below."""
    children = db.session.execute(
        select(Department.kind, Department.is_active).where(Department.parent_id == department.id)
    ).all()
    if clean.kind != department.kind and any(
        ALLOWED_PARENT[kind] != clean.kind for kind, _active in children
    ):
        raise DepartmentError(
            _(
                "하위 부서가 있어 부서 단위를 바꿀 수 없습니다. 하위 부서를 먼저 다른 부서 아래로 옮겨 주세요."
            )
        )
    if clean.is_active or not department.is_active:
        return
    active_children = sum(1 for _kind, active in children if active)
    if active_children:
        raise DepartmentError(
            _(
                "사용 중인 하위 부서가 %(n)d개 있어 비활성화할 수 없습니다. 하위 부서를 먼저 비활성화하거나 다른 부서 아래로 옮겨 주세요.",
                n=active_children,
            )
        )
    active_users = db.session.scalar(
        select(func.count(User.id)).where(User.department_id == department.id, User.is_active)
    )
    if active_users:
        raise DepartmentError(
            _(
                "이 부서에 사용 중인 사용자가 %(n)d명 있어 비활성화할 수 없습니다. 사용자를 다른 부서로 옮기거나 사용 중지한 뒤 다시 시도해 주세요.",
                n=active_users,
            )
        )


def validate_department(
    data: DepartmentInput, *, existing: Department | None = None
) -> DepartmentInput:
    """Check every field, uniqueness and the tree rules; return the cleaned input."""
    code = data.code.strip()
    if not DEPARTMENT_CODE.match(code):
        raise DepartmentError(_("부서 코드는 영문·숫자·하이픈 3~20자여야 합니다."))
    name = " ".join(data.name.split())
    if not name or len(name) > 100:
        raise DepartmentError(_("부서명은 1~100자로 입력해 주세요."))
    try:
        kind = DepartmentKind(data.kind)
    except ValueError:
        raise DepartmentError(_("부서 단위는 실·국, 과, 팀 가운데 하나여야 합니다.")) from None
    clean = DepartmentInput(
        code=code, name=name, kind=kind, parent_id=data.parent_id, is_active=data.is_active
    )
    own_id = existing.id if existing else -1
    clash = db.session.scalar(
        select(Department.id).where(
            func.lower(Department.code) == code.lower(), Department.id != own_id
        )
    )
    if clash:
        raise DepartmentError(_("이미 다른 부서가 쓰는 코드입니다: %(value)s", value=code))
    _check_parent(clean, existing)
    if existing is not None:
        _check_children(existing, clean)
    return clean


def create_department(data: DepartmentInput) -> Department:
    """Add a department to the tree (audited with its code and level)."""
    clean = validate_department(data)
    department = Department(
        code=clean.code,
        name=clean.name,
        kind=clean.kind,
        parent_id=clean.parent_id,
        is_active=clean.is_active,
    )
    db.session.add(department)
    db.session.flush()
    record(
        "department.created",
        target_type="department",
        target_id=department.id,
        details={"code": clean.code, "kind": clean.kind.value, "parent_id": clean.parent_id},
    )
    return department


_TRACKED_FIELDS = ("code", "name", "kind", "parent_id", "is_active")


def update_department(department: Department, data: DepartmentInput) -> list[str]:
    """Rename, recode, move or (de)activate; audited with the names of the changed fields."""
    clean = validate_department(data, existing=department)
    changed = []
    for name in _TRACKED_FIELDS:
        new = getattr(clean, name)
        if getattr(department, name) != new:
            setattr(department, name, new)
            changed.append(name)
    if changed:
        db.session.flush()
        record(
            "department.updated",
            target_type="department",
            target_id=department.id,
            details={"fields": changed, "code": department.code},
        )
    return changed


def _path_labels(departments: Iterable[Department]) -> dict[int, str]:
    by_id = {d.id: d for d in departments}
    labels: dict[int, str] = {}

    def label(dept_id: int, depth: int = 0) -> str:
        if dept_id in labels:
            return labels[dept_id]
        dept = by_id[dept_id]
        # depth bounds the walk even if stored data ever held a loop.
        if dept.parent_id is None or dept.parent_id not in by_id or depth > len(by_id):
            text = dept.name
        else:
            text = label(dept.parent_id, depth + 1) + PATH_SEPARATOR + dept.name
        labels[dept_id] = text
        return text

    for dept_id in by_id:
        label(dept_id)
    return labels


def department_paths(department_ids: Iterable[int | None]) -> dict[int, str]:
    """{id: "실·국 > 과"} (the full path, as in department_choices) for the given ids.

    One query for the whole (small) tree whatever the number of ids; unknown ids and None
    are left out.
    """
    wanted = {i for i in department_ids if i}
    if not wanted:
        return {}
    labels = _path_labels(db.session.scalars(select(Department)))
    return {i: labels[i] for i in wanted if i in labels}


def department_choices(
    *,
    kinds: Collection[DepartmentKind] | None = None,
    include_ids: Collection[int] = (),
    active_only: bool = True,
) -> list[tuple[int, str]]:
    """[(id, "실·국 > 과")] in tree order, from one query.

    Only active departments unless active_only is False; include_ids are added even
    when inactive (a record's current department must stay selectable). Inactive
    entries are marked in their label.
    """
    departments = list(db.session.scalars(select(Department)))
    labels = _path_labels(departments)
    chosen = []
    for dept in departments:
        if kinds is not None and dept.kind not in kinds and dept.id not in include_ids:
            continue
        if active_only and not dept.is_active and dept.id not in include_ids:
            continue
        text = labels[dept.id]
        if not dept.is_active:
            text = _("%(label)s (비활성)", label=text)
        chosen.append((dept.id, labels[dept.id], text))
    chosen.sort(key=lambda item: (item[1].split(PATH_SEPARATOR), item[0]))
    return [(dept_id, text) for dept_id, _path, text in chosen]


def department_tree() -> list[DepartmentNode]:
    """The whole tree with active head counts: one query for departments, one aggregate."""
    departments = list(db.session.scalars(select(Department).order_by(Department.name)))
    counts = dict(
        db.session.execute(
            select(User.department_id, func.count(User.id))
            .where(User.is_active, User.department_id.is_not(None))
            .group_by(User.department_id)
        ).all()
    )
    nodes = {d.id: DepartmentNode(department=d, members=counts.get(d.id, 0)) for d in departments}
    parents = {d.id: d.parent_id for d in departments}
    roots = []
    for dept in departments:
        node = nodes[dept.id]
        parent_id = dept.parent_id
        # A stored loop (impossible through these rules) would otherwise hide its members.
        if parent_id is None or _is_ancestor_or_self(dept.id, parent_id, parents):
            roots.append(node)
        else:
            nodes[parent_id].children.append(node)
    return roots
