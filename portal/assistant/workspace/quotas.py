"""Sandbox limits: per-user daily messages and tokens, per-department monthly tokens.

Counters live in the database, not in process memory, and a message is reserved with
one conditional ``UPDATE ... WHERE messages < limit``. The row lock (PostgreSQL) or the
write lock (SQLite) makes that check-and-increment atomic, so a quota holds however
many workers or machines serve the portal. Tokens are only known after an answer, so
they are added afterwards; a user who still had tokens left when they asked may end
one answer over the line, and is stopped at the next message.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from portal.assistant.models import AssistantLimits, UsageCounter
from portal.core.clock import SEOUL, utcnow
from portal.core.templating import thousands
from portal.db import db

USER_DAY = "user_day"
DEPT_MONTH = "dept_month"
WARN_RATIO = 0.8

DEFAULT_LIMITS = {
    "daily_messages": 40,
    "daily_tokens": 60_000,
    "department_monthly_tokens": 2_000_000,
    "max_input_chars": 4_000,
}
LIMIT_RANGES = {
    "daily_messages": (1, 10_000),
    "daily_tokens": (1_000, 100_000_000),
    "department_monthly_tokens": (10_000, 10_000_000_000),
    "max_input_chars": (100, 100_000),
}


class QuotaExceeded(Exception):
    """A limit stops this message; ``message`` says which, in Korean."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(code)
        self.code = code
        self.message = message


def current_limits() -> AssistantLimits:
    """The admin-set limits, or the defaults (unsaved) when an admin never changed them."""
    limits = db.session.get(AssistantLimits, 1)
    if limits is None:
        limits = AssistantLimits(id=1, updated_at=utcnow(), **DEFAULT_LIMITS)
    return limits


def periods(now: dt.datetime | None = None) -> tuple[str, str]:
    """The Seoul day and month a message counts against."""
    local = (now or utcnow()).astimezone(SEOUL)
    return local.strftime("%Y-%m-%d"), local.strftime("%Y-%m")


@dataclass(frozen=True)
class QuotaStatus:
    messages_used: int
    messages_limit: int
    tokens_used: int
    tokens_limit: int
    department_tokens_used: int
    department_tokens_limit: int
    max_input_chars: int

    @staticmethod
    def _ratio(used: int, limit: int) -> float:
        return used / limit if limit else 1.0

    @property
    def highest_ratio(self) -> float:
        ratios = [
            self._ratio(self.messages_used, self.messages_limit),
            self._ratio(self.tokens_used, self.tokens_limit),
        ]
        if self.department_tokens_limit:
            ratios.append(self._ratio(self.department_tokens_used, self.department_tokens_limit))
        return max(ratios)

    @property
    def warning(self) -> bool:
        return WARN_RATIO <= self.highest_ratio < 1.0

    @property
    def exhausted(self) -> bool:
        return self.highest_ratio >= 1.0

    def stop_reason(self) -> QuotaExceeded | None:
        if self.messages_used >= self.messages_limit:
            return QuotaExceeded(
                "daily_messages",
                _(
                    "오늘 보낼 수 있는 메시지 %(limit)d건을 모두 썼습니다. 내일 다시 이용하세요.",
                    limit=self.messages_limit,
                ),
            )
        if self.tokens_used >= self.tokens_limit:
            return QuotaExceeded(
                "daily_tokens",
                _(
                    "오늘 쓸 수 있는 토큰 %(limit)s개를 모두 썼습니다. 내일 다시 이용하세요.",
                    limit=thousands(self.tokens_limit),
                ),
            )
        if self.department_tokens_used >= self.department_tokens_limit:
            return QuotaExceeded(
                "department_budget",
                _("부서의 이번 달 토큰 예산을 모두 썼습니다. 교육 담당자에게 문의하세요."),
            )
        return None


def _counter(scope: str, subject_id: int | None, period: str) -> tuple[int, int]:
    if subject_id is None:
        return 0, 0
    row = db.session.execute(
        select(UsageCounter.messages, UsageCounter.tokens).where(
            UsageCounter.scope == scope,
            UsageCounter.subject_id == subject_id,
            UsageCounter.period == period,
        )
    ).first()
    return (row.messages, row.tokens) if row else (0, 0)


def status_for(user_id: int, department_id: int | None) -> QuotaStatus:
    limits = current_limits()
    day, month = periods()
    messages, tokens = _counter(USER_DAY, user_id, day)
    _, dept_tokens = _counter(DEPT_MONTH, department_id, month)
    return QuotaStatus(
        messages_used=messages,
        messages_limit=limits.daily_messages,
        tokens_used=tokens,
        tokens_limit=limits.daily_tokens,
        department_tokens_used=dept_tokens,
        # Someone with no department has no department budget to spend.
        department_tokens_limit=limits.department_monthly_tokens if department_id else 0,
        max_input_chars=limits.max_input_chars,
    )


def _ensure_row(scope: str, subject_id: int, period: str) -> None:
    insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    db.session.execute(
        insert(UsageCounter)
        .values(scope=scope, subject_id=subject_id, period=period, messages=0, tokens=0)
        .on_conflict_do_nothing(index_elements=["scope", "subject_id", "period"])
    )


def check_input_length(text: str) -> None:
    limit = current_limits().max_input_chars
    if len(text) > limit:
        raise QuotaExceeded(
            "input_too_long",
            _(
                "입력이 너무 깁니다: %(length)s자입니다. %(limit)s자 이하로 줄여 주세요.",
                length=thousands(len(text)),
                limit=thousands(limit),
            ),
        )


def reserve_message(user_id: int, department_id: int | None) -> QuotaStatus:
    """Count one message against the user's day, atomically, or raise QuotaExceeded."""
    limits = current_limits()
    day, month = periods()
    if department_id is not None:
        _, dept_tokens = _counter(DEPT_MONTH, department_id, month)
        if dept_tokens >= limits.department_monthly_tokens:
            raise status_for(user_id, department_id).stop_reason() or QuotaExceeded(
                "department_budget", ""
            )
    _ensure_row(USER_DAY, user_id, day)
    result = db.session.execute(
        update(UsageCounter)
        .where(
            UsageCounter.scope == USER_DAY,
            UsageCounter.subject_id == user_id,
            UsageCounter.period == day,
            UsageCounter.messages < limits.daily_messages,
            UsageCounter.tokens < limits.daily_tokens,
        )
        .values(messages=UsageCounter.messages + 1)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        status = status_for(user_id, department_id)
        raise status.stop_reason() or QuotaExceeded("daily_messages", "")
    return status_for(user_id, department_id)


def release_message(user_id: int, day: str) -> None:
    """Give a reserved message back (the model never answered)."""
    db.session.execute(
        update(UsageCounter)
        .where(
            UsageCounter.scope == USER_DAY,
            UsageCounter.subject_id == user_id,
            UsageCounter.period == day,
            UsageCounter.messages > 0,
        )
        .values(messages=UsageCounter.messages - 1)
        .execution_options(synchronize_session=False)
    )


def add_tokens(user_id: int, department_id: int | None, tokens: int, day: str, month: str) -> None:
    """Add an answer's tokens to the user's day and the department's month."""
    if tokens <= 0:
        return
    targets = [(USER_DAY, user_id, day)]
    if department_id is not None:
        targets.append((DEPT_MONTH, department_id, month))
    for scope, subject_id, period in targets:
        _ensure_row(scope, subject_id, period)
        db.session.execute(
            update(UsageCounter)
            .where(
                UsageCounter.scope == scope,
                UsageCounter.subject_id == subject_id,
                UsageCounter.period == period,
            )
            .values(tokens=UsageCounter.tokens + tokens)
            .execution_options(synchronize_session=False)
        )
