"""Read-only queries for the sandbox pages and the coordinators' figures (no conversation text)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import and_, case, func, select, true

from portal.assistant.models import (
    Conversation,
    GuardEvent,
    MessageDay,
    ModelSetting,
    PolicyAcceptance,
    Submission,
)
from portal.core import sqljson
from portal.core.clock import SEOUL, utcnow
from portal.core.pagination import Page, paginate
from portal.db import db
from portal.org.models import Department
from portal.users.models import User


def model_prices() -> dict[str, tuple[Decimal | None, Decimal | None]]:
    """The admins' prices (won per million tokens: input, output) by model key."""
    rows = db.session.execute(
        select(
            ModelSetting.key,
            ModelSetting.input_price_per_million,
            ModelSetting.output_price_per_million,
        )
    )
    return {key: (input_price, output_price) for key, input_price, output_price in rows}


def acceptances(page: int, department_id: int | None, version: str) -> Page:
    stmt = (
        select(User, Department.name, PolicyAcceptance.accepted_at)
        .outerjoin(Department, Department.id == User.department_id)
        .outerjoin(
            PolicyAcceptance,
            and_(
                PolicyAcceptance.user_id == User.id,
                PolicyAcceptance.policy_version == version,
            ),
        )
        .where(User.is_active)
        .order_by(PolicyAcceptance.accepted_at.is_(None), PolicyAcceptance.accepted_at.desc())
        .order_by(User.employee_number)
    )
    if department_id:
        stmt = stmt.where(User.department_id == department_id)
    return paginate(stmt, page, per_page=25, scalars=False)


def acceptance_counts(version: str) -> tuple[int, int]:
    accepted = db.session.scalar(
        select(func.count(PolicyAcceptance.id))
        .join(User, User.id == PolicyAcceptance.user_id)
        .where(PolicyAcceptance.policy_version == version, User.is_active)
    )
    total = db.session.scalar(select(func.count(User.id)).where(User.is_active))
    return accepted or 0, total or 0


@dataclass(frozen=True)
class DepartmentUsage:
    department: str
    messages: int
    tokens: int
    estimated_tokens: int
    guard_events: int


def month_start(now: dt.datetime | None = None) -> dt.datetime:
    local = (now or utcnow()).astimezone(SEOUL)
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0).astimezone(dt.UTC)


def usage_by_department(since: dt.datetime) -> list[DepartmentUsage]:
    """Counts and tokens per department since a midnight in Asia/Seoul: figures only, never
    text. Summed from MessageDay (the messages per conversation, day and model), not from
    every message; the department is the conversation's, as when it was created."""
    first_day = since.astimezone(SEOUL)
    if first_day.time() != dt.time(0):
        raise ValueError("usage_by_department counts whole days: since must be a midnight")
    usage = dict(
        (
            row.department_id,
            (row.messages or 0, row.tokens or 0, row.estimated or 0),
        )
        for row in db.session.execute(
            select(
                Conversation.department_id,
                func.sum(MessageDay.sent).label("messages"),
                func.sum(MessageDay.prompt_tokens + MessageDay.completion_tokens).label("tokens"),
                func.sum(MessageDay.estimated_tokens).label("estimated"),
            )
            .join(Conversation, Conversation.id == MessageDay.conversation_id)
            .where(MessageDay.day >= first_day.date())
            .group_by(Conversation.department_id)
            # Rows add up (one may hold a deletion): a department with messages left.
            .having(func.sum(MessageDay.sent + MessageDay.answers) > 0)
        )
    )
    guards = dict(
        db.session.execute(
            select(GuardEvent.department_id, func.count(GuardEvent.id))
            .where(GuardEvent.created_at >= since)
            .group_by(GuardEvent.department_id)
        ).all()
    )
    names = dict(
        db.session.execute(
            select(Department.id, Department.name).where(
                Department.id.in_(set(usage) | set(guards) - {None})
            )
        ).all()
    )
    rows = []
    for dept_id in set(usage) | set(guards):
        messages, tokens, estimated = usage.get(dept_id, (0, 0, 0))
        rows.append(
            DepartmentUsage(
                department=names.get(dept_id, "—"),
                messages=messages,
                tokens=tokens,
                estimated_tokens=estimated,
                guard_events=guards.get(dept_id, 0),
            )
        )
    rows.sort(key=lambda r: (-r.tokens, r.department))
    return rows


def guard_kinds_between(
    start: dt.datetime, end: dt.datetime | None = None, owner_condition=None
) -> list[tuple[str, int]]:
    """(kind, events) of guard events in [start, end), most frequent first, counted in SQL.

    ``owner_condition`` narrows the events (the dashboards pass their department filter).
    """
    kind = sqljson.array_elements(GuardEvent.kinds, "kind")
    stmt = (
        select(kind.c.value, func.count())
        .select_from(GuardEvent)
        .join(kind, true())
        .where(GuardEvent.created_at >= start)
        .group_by(kind.c.value)
        .order_by(func.count().desc(), kind.c.value)
    )
    if end is not None:
        stmt = stmt.where(GuardEvent.created_at < end)
    if owner_condition is not None:
        stmt = stmt.where(owner_condition)
    return [(str(value), int(count)) for value, count in db.session.execute(stmt)]


def guard_kinds(since: dt.datetime) -> dict[str, int]:
    return dict(guard_kinds_between(since))


@dataclass(frozen=True)
class TimeSaved:
    """Submissions and the minutes their authors estimated (after submitting)."""

    submissions: int
    answered: int  # submissions with an estimate of the time without AI
    minutes_without_ai: int
    minutes_spent: int  # of the answered submissions

    @property
    def minutes_saved(self) -> int:
        return self.minutes_without_ai - self.minutes_spent


def time_saved_between(
    start: dt.datetime, end: dt.datetime | None = None, owner_condition=None
) -> TimeSaved:
    """Submissions in [start, end) with the time-without-AI estimates, summed in SQL."""
    stmt = select(
        func.count(Submission.id),
        func.count(Submission.minutes_without_ai),
        func.coalesce(func.sum(Submission.minutes_without_ai), 0),
        func.coalesce(
            func.sum(
                case(
                    (Submission.minutes_without_ai.is_not(None), Submission.minutes_spent),
                    else_=0,
                )
            ),
            0,
        ),
    ).where(Submission.submitted_at >= start)
    if end is not None:
        stmt = stmt.where(Submission.submitted_at < end)
    if owner_condition is not None:
        stmt = stmt.where(owner_condition)
    row = db.session.execute(stmt).one()
    return TimeSaved(int(row[0]), int(row[1]), int(row[2]), int(row[3]))


def time_saved(since: dt.datetime) -> TimeSaved:
    return time_saved_between(since)


def rating_summary(since: dt.datetime) -> tuple[int, float | None]:
    from portal.assistant.models import MessageRating

    row = db.session.execute(
        select(func.count(MessageRating.id), func.avg(MessageRating.score)).where(
            MessageRating.created_at >= since
        )
    ).one()
    return row[0], (float(row[1]) if row[1] is not None else None)
