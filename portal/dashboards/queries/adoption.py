"""The adoption funnel: staff, enrolled, completed, practised, submitted."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from portal.dashboards.filters import Filters
from portal.dashboards.queries.common import (
    flag,
    has_completed,
    has_enrolled,
    has_practised,
    has_submitted,
    in_staff,
    percent,
)
from portal.db import db
from portal.users.models import User


@dataclass(frozen=True)
class FunnelStage:
    key: str
    people: int
    percent_of_staff: float | None


@dataclass(frozen=True)
class Funnel:
    """The adoption funnel. Every stage counts distinct people among the staff in scope.

    * ``staff``: active accounts in the department subtree;
    * ``enrolled``: of them, people with a confirmed place (확정) in a session of the year;
    * ``completed``: of them, people who completed (수료) a session of the year;
    * ``practised``: of them, people who sent at least one message to the practice
      sandbox during the year (the sandbox is not tied to a course, so the course filter
      does not narrow this stage);
    * ``submitted``: of them, people who submitted a practice exercise during the year (an
      exercise of the filtered course).

    Each stage is a subset of the staff, not of the stage before: someone may practise in
    the sandbox without enrolling, so a later stage can be larger than an earlier one.
    """

    staff: int
    enrolled: int
    completed: int
    practised: int
    submitted: int

    @property
    def stages(self) -> list[FunnelStage]:
        return [
            FunnelStage(key, value, percent(value, self.staff))
            for key, value in (
                ("staff", self.staff),
                ("enrolled", self.enrolled),
                ("completed", self.completed),
                ("practised", self.practised),
                ("submitted", self.submitted),
            )
        ]


def adoption(f: Filters) -> Funnel:
    """The adoption funnel for the filters, in one statement."""
    row = db.session.execute(
        select(
            func.count(User.id),
            flag(has_enrolled(f)),
            flag(has_completed(f)),
            flag(has_practised(f)),
            flag(has_submitted(f)),
        ).where(in_staff(f))
    ).one()
    return Funnel(*(int(value or 0) for value in row))
