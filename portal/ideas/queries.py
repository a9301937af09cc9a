"""Reading ideas: who may see which, the lists, the history, slots and the figures.

Visibility (every page goes through :func:`visible_idea`): the submitter, coordinators and
admins see every idea; a consultant (a portal user) sees the ideas booked on a slot they
hold; everyone else sees only ideas whose submitters agreed to share them. A private idea
is therefore "not found" (404) for other staff on every URL.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, exists, func, or_, select
from sqlalchemy.orm import aliased

from portal.core.clock import utcnow
from portal.core.pagination import Page, paginate
from portal.db import db
from portal.ideas.models import (
    ConsultingOutcome,
    ConsultingSlot,
    Idea,
    IdeaEvent,
    IdeaStatus,
    NextStep,
)
from portal.org.models import Department
from portal.org.operations import department_paths
from portal.users.models import Role, User

PER_PAGE = 20
COORDINATING = (Role.COORDINATOR, Role.ADMIN)


@dataclass(frozen=True)
class IdeaRow:
    idea: Idea
    department: str
    submitter: str


def _holds_slot(user_id: int):
    return exists().where(
        ConsultingSlot.booked_idea_id == Idea.id, ConsultingSlot.consultant_user_id == user_id
    )


def visibility(user: User):
    """The WHERE clause of the ideas ``user`` may read."""
    if user.role in COORDINATING:
        return Idea.id.is_not(None)
    return or_(Idea.submitter_id == user.id, Idea.share.is_(True), _holds_slot(user.id))


def visible_idea(idea_id: int, user: User) -> Idea | None:
    return db.session.scalar(select(Idea).where(Idea.id == idea_id, visibility(user)))


def own_idea(idea_id: int, user: User) -> Idea | None:
    return db.session.scalar(select(Idea).where(Idea.id == idea_id, Idea.submitter_id == user.id))


def is_consultant_of(idea_id: int, user_id: int) -> bool:
    return bool(
        db.session.scalar(
            select(ConsultingSlot.id)
            .where(
                ConsultingSlot.booked_idea_id == idea_id,
                ConsultingSlot.consultant_user_id == user_id,
            )
            .limit(1)
        )
    )


def _listing() -> Select:
    submitter = aliased(User)
    return (
        select(
            Idea,
            func.coalesce(Department.name, "").label("department"),
            submitter.name.label("submitter"),
        )
        .join(submitter, submitter.id == Idea.submitter_id)
        .outerjoin(Department, Department.id == Idea.department_id)
    )


def _with_paths(rows) -> list[IdeaRow]:
    """IdeaRows whose department reads as its full path ("실·국 > 과"), from one query."""
    rows = list(rows)
    paths = department_paths(row[0].department_id for row in rows)
    return [
        IdeaRow(row[0], paths.get(row[0].department_id, row.department), row.submitter)
        for row in rows
    ]


def _rows(page: Page) -> Page:
    return Page(
        items=_with_paths(page.items),
        number=page.number,
        per_page=page.per_page,
        total=page.total,
    )


def my_ideas(user_id: int, page: int) -> Page:
    stmt = _listing().where(Idea.submitter_id == user_id).order_by(Idea.updated_at.desc(), Idea.id)
    return _rows(paginate(stmt, page, PER_PAGE, scalars=False))


def consulting_ideas(user_id: int) -> list[IdeaRow]:
    """Ideas booked on slots the user holds as consultant."""
    stmt = _listing().where(_holds_slot(user_id)).order_by(Idea.updated_at.desc()).limit(50)
    return _with_paths(db.session.execute(stmt))


def _filtered(stmt: Select, department_id: int | None, status: IdeaStatus | None) -> Select:
    if department_id:
        stmt = stmt.where(Idea.department_id == department_id)
    if status is not None:
        stmt = stmt.where(Idea.status == status)
    return stmt


def board(department_id: int | None, status: IdeaStatus | None, page: int) -> Page:
    """Shared ideas only, newest first."""
    stmt = _filtered(_listing().where(Idea.share.is_(True)), department_id, status)
    stmt = stmt.order_by(Idea.created_at.desc(), Idea.id.desc())
    return _rows(paginate(stmt, page, PER_PAGE, scalars=False))


def triage(department_id: int | None, status: IdeaStatus | None, page: int) -> Page:
    """Every idea for coordinators, oldest waiting first."""
    stmt = _filtered(_listing(), department_id, status).order_by(Idea.updated_at, Idea.id)
    return _rows(paginate(stmt, page, PER_PAGE, scalars=False))


def department_name(department_id: int | None) -> str:
    """The department's full path ("실·국 > 과"), or "" when there is none."""
    return department_paths([department_id]).get(department_id, "") if department_id else ""


def submitter_name(idea: Idea) -> str:
    return db.session.scalar(select(User.name).where(User.id == idea.submitter_id)) or ""


@dataclass(frozen=True)
class HistoryRow:
    event: IdeaEvent
    actor: str


def history(idea_id: int) -> list[HistoryRow]:
    stmt = (
        select(IdeaEvent, func.coalesce(User.name, "").label("actor"))
        .outerjoin(User, User.id == IdeaEvent.actor_id)
        .where(IdeaEvent.idea_id == idea_id)
        .order_by(IdeaEvent.at, IdeaEvent.id)
    )
    return [HistoryRow(row[0], row.actor) for row in db.session.execute(stmt)]


@dataclass(frozen=True)
class SlotRow:
    slot: ConsultingSlot
    consultant: str
    idea_title: str
    outcome: ConsultingOutcome | None


def _consultant_label(slot: ConsultingSlot, user_name: str | None) -> str:
    if slot.consultant_user_id:
        return user_name or ""
    return f"{slot.consultant_name} ({slot.consultant_org})"


def _slot_rows(stmt: Select) -> list[SlotRow]:
    consultant = aliased(User)
    booked = aliased(Idea)
    stmt = (
        stmt.add_columns(
            consultant.name.label("consultant"),
            booked.title.label("idea_title"),
            ConsultingOutcome,
        )
        .outerjoin(consultant, consultant.id == ConsultingSlot.consultant_user_id)
        .outerjoin(booked, booked.id == ConsultingSlot.booked_idea_id)
        .outerjoin(ConsultingOutcome, ConsultingOutcome.slot_id == ConsultingSlot.id)
    )
    return [
        SlotRow(row[0], _consultant_label(row[0], row.consultant), row.idea_title or "", row[3])
        for row in db.session.execute(stmt)
    ]


def bookable_slots(idea: Idea) -> list[SlotRow]:
    """Free, future slots offered to this idea or to any idea."""
    if idea.status is not IdeaStatus.CONSULTING:
        return []
    return _slot_rows(
        select(ConsultingSlot)
        .where(
            ConsultingSlot.booked_idea_id.is_(None),
            ConsultingSlot.starts_at > utcnow(),
            or_(
                ConsultingSlot.offered_for_idea_id.is_(None),
                ConsultingSlot.offered_for_idea_id == idea.id,
            ),
        )
        .order_by(ConsultingSlot.starts_at, ConsultingSlot.id)
        .limit(50)
    )


def booked_slots(idea_id: int) -> list[SlotRow]:
    return _slot_rows(
        select(ConsultingSlot)
        .where(ConsultingSlot.booked_idea_id == idea_id)
        .order_by(ConsultingSlot.starts_at)
    )


def booked_slot(idea_id: int, slot_id: int) -> ConsultingSlot | None:
    return db.session.scalar(
        select(ConsultingSlot).where(
            ConsultingSlot.id == slot_id, ConsultingSlot.booked_idea_id == idea_id
        )
    )


def slot_list(page: int, *, past: bool) -> Page:
    now = utcnow()
    stmt = select(ConsultingSlot)
    if past:
        stmt = stmt.where(ConsultingSlot.ends_at <= now).order_by(ConsultingSlot.starts_at.desc())
    else:
        stmt = stmt.where(ConsultingSlot.ends_at > now).order_by(ConsultingSlot.starts_at)
    ids = paginate(stmt.with_only_columns(ConsultingSlot.id), page, PER_PAGE)
    rows = {
        r.slot.id: r
        for r in _slot_rows(select(ConsultingSlot).where(ConsultingSlot.id.in_(ids.items)))
    }
    return Page(
        items=[rows[i] for i in ids.items if i in rows],
        number=ids.number,
        per_page=ids.per_page,
        total=ids.total,
    )


def outcomes(idea_id: int) -> list[ConsultingOutcome]:
    return list(
        db.session.scalars(
            select(ConsultingOutcome)
            .where(ConsultingOutcome.idea_id == idea_id)
            .order_by(ConsultingOutcome.at)
        )
    )


def consulting_choices() -> list[tuple[int, str]]:
    """Ideas in 컨설팅 배정, for offering a slot to one of them."""
    stmt = (
        select(Idea.id, Idea.title)
        .where(Idea.status == IdeaStatus.CONSULTING)
        .order_by(Idea.updated_at.desc())
        .limit(200)
    )
    return [(row.id, row.title) for row in db.session.execute(stmt)]


def consultant_choices() -> list[tuple[int, str]]:
    stmt = (
        select(User.id, User.name, Department.name.label("department"))
        .outerjoin(Department, Department.id == User.department_id)
        .where(User.is_active, User.role.in_((Role.INSTRUCTOR, Role.COORDINATOR, Role.ADMIN)))
        .order_by(User.name, User.id)
    )
    return [
        (row.id, f"{row.name} ({row.department})" if row.department else row.name)
        for row in db.session.execute(stmt)
    ]


# --- figures for the dashboards -----------------------------------------------------


@dataclass(frozen=True)
class StatusCount:
    department_id: int | None
    department: str
    status: IdeaStatus
    count: int


def ideas_by_status_and_department() -> list[StatusCount]:
    """How many ideas each department has in each status (one GROUP BY)."""
    stmt = (
        select(
            Idea.department_id,
            func.coalesce(Department.name, "").label("department"),
            Idea.status,
            func.count(Idea.id).label("n"),
        )
        .outerjoin(Department, Department.id == Idea.department_id)
        .group_by(Idea.department_id, Department.name, Idea.status)
        .order_by(Department.name, Idea.status)
    )
    return [
        StatusCount(row.department_id, row.department, row.status, row.n)
        for row in db.session.execute(stmt)
    ]


def pilot_hours_saved() -> int:
    """Estimated hours saved a year by ideas whose consulting outcome was a pilot."""
    reached_pilot = exists().where(
        ConsultingOutcome.idea_id == Idea.id, ConsultingOutcome.next_step == NextStep.PILOT
    )
    total = db.session.scalar(
        select(func.coalesce(func.sum(Idea.effect_hours_saved), 0)).where(reached_pilot)
    )
    return int(total or 0)


def pilot_count() -> int:
    reached_pilot = exists().where(
        ConsultingOutcome.idea_id == Idea.id, ConsultingOutcome.next_step == NextStep.PILOT
    )
    return int(db.session.scalar(select(func.count(Idea.id)).where(reached_pilot)) or 0)


def department_filter_choices(*, shared_only: bool) -> list[tuple[int, str]]:
    """Departments that have at least one (shared) idea."""
    has_idea = exists().where(Idea.department_id == Department.id)
    if shared_only:
        has_idea = has_idea.where(Idea.share.is_(True))
    ids = list(db.session.scalars(select(Department.id).where(has_idea)))
    paths = department_paths(ids)
    return sorted(paths.items(), key=lambda item: (item[1], item[0]))
