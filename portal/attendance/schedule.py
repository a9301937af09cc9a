"""The days of a training session and their scheduled hours.

A session stores one start and one end. A session that spans several days meets every
calendar day (Asia/Seoul) from the start date to the end date, each day from the start's
time of day to the end's time of day: 09:00 Monday to 18:00 Wednesday is three days of
09:00–18:00. Attendance is marked per such day, and completion compares the attended
share of these hours with the configured minimum.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from portal.core.clock import SEOUL
from portal.scheduling.models import TrainingSession

# A session longer than this many days is a data error, not a course; never loop past it.
MAX_SESSION_DAYS = 60


@dataclass(frozen=True)
class SessionDay:
    day: dt.date  # the calendar day in Asia/Seoul
    starts_at: dt.datetime  # UTC
    ends_at: dt.datetime  # UTC

    @property
    def hours(self) -> Decimal:
        seconds = (self.ends_at - self.starts_at).total_seconds()
        return (Decimal(int(seconds)) / Decimal(3600)).quantize(Decimal("0.01"))


def session_days(session: TrainingSession) -> list[SessionDay]:
    """Every meeting day of the session, in order."""
    start = session.starts_at.astimezone(SEOUL)
    end = session.ends_at.astimezone(SEOUL)
    if start.date() == end.date():
        return [SessionDay(start.date(), session.starts_at, session.ends_at)]
    daily_start, daily_end = start.timetz(), end.timetz()
    if (daily_end.hour, daily_end.minute) <= (daily_start.hour, daily_start.minute):
        # An overnight or odd schedule: treat it as one continuous block on the first day.
        return [SessionDay(start.date(), session.starts_at, session.ends_at)]
    days = []
    current = start.date()
    while current <= end.date() and len(days) < MAX_SESSION_DAYS:
        begins = dt.datetime.combine(current, daily_start.replace(tzinfo=None), SEOUL)
        finishes = dt.datetime.combine(current, daily_end.replace(tzinfo=None), SEOUL)
        days.append(SessionDay(current, begins.astimezone(dt.UTC), finishes.astimezone(dt.UTC)))
        current += dt.timedelta(days=1)
    return days


def day_of(session: TrainingSession, day: dt.date) -> SessionDay | None:
    """The session's meeting on that calendar day, or None when it does not meet then."""
    for candidate in session_days(session):
        if candidate.day == day:
            return candidate
    return None


def scheduled_hours(session: TrainingSession) -> Decimal:
    return sum((d.hours for d in session_days(session)), Decimal(0))
