"""The practice sandbox: users, messages, tokens, cost, guard events, ratings, time saved."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import and_, case, func, or_, select, true

from portal.assistant.backends.specs import OFFLINE
from portal.assistant.manage.queries import TimeSaved, guard_kinds_between, time_saved_between
from portal.assistant.models import (
    Conversation,
    GuardEvent,
    MessageDay,
    MessageRating,
    ModelSetting,
    Submission,
)
from portal.dashboards.filters import Filters
from portal.dashboards.queries.common import (
    MILLION,
    ZERO,
    accounts_in,
    enrolled_people,
    in_year,
    subtree,
)
from portal.db import db
from portal.users.models import User


def _sandbox_people(f: Filters, name: str):
    """Whose sandbox use counts (a select of user ids, None for everyone): the department
    subtree (any account), and with a course filter only people with a confirmed place in
    a session of that course in the period."""
    if f.course_id is not None:
        people = enrolled_people(f)
        if f.department_id is not None:
            people = people.where(accounts_in(people.selected_columns[0], f.department_id, name))
        return people
    if f.department_id is not None:
        return select(User.id).where(User.department_id.in_(subtree(f.department_id, name)))
    return None


def _owned_by(column, f: Filters, name: str = "dept_tree"):
    people = _sandbox_people(f, name)
    return true() if people is None else column.in_(people)


@dataclass(frozen=True)
class ModelUsage:
    """Tokens of one model in the year; ``cost`` None when the model has no price set."""

    model_key: str
    messages: int  # answers (assistant messages) by this model
    prompt_tokens: int
    completion_tokens: int
    estimated_tokens: int  # included in the two above, counted by estimate
    input_price: Decimal | None  # won per million tokens
    output_price: Decimal | None

    @property
    def is_free(self) -> bool:
        """The built-in offline coach: no model runs, nothing is paid."""
        return self.model_key == OFFLINE.key

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    @property
    def cost(self) -> Decimal | None:
        if self.is_free:
            return ZERO
        if self.input_price is None or self.output_price is None:
            return None
        return (
            Decimal(self.prompt_tokens) * self.input_price / MILLION
            + Decimal(self.completion_tokens) * self.output_price / MILLION
        ).quantize(Decimal(1))


@dataclass(frozen=True)
class SandboxReport:
    """The practice sandbox in the year.

    * ``active_users``: people who sent at least one message;
    * ``messages``: messages people sent (not the answers);
    * tokens per model, and the estimated cost from the admin-set prices; a model used
      without a price makes the total unknown (``cost`` None), never zero (the built-in
      offline coach is free);
    * ``guard_events`` and ``guard_kinds``: guard decisions and the kinds of finding in
      them (one event may hold several kinds);
    * ``ratings``: answers rated 1 to 5 (index 0 is score 1);
    * ``time_saved``: from the estimates given after submitting an exercise.
    """

    active_users: int
    messages: int
    models: list[ModelUsage]
    guard_events: int
    guard_kinds: list[tuple[str, int]]
    ratings: tuple[int, int, int, int, int]
    time_saved: TimeSaved

    @property
    def prompt_tokens(self) -> int:
        return sum(m.prompt_tokens for m in self.models)

    @property
    def completion_tokens(self) -> int:
        return sum(m.completion_tokens for m in self.models)

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    @property
    def estimated_tokens(self) -> int:
        return sum(m.estimated_tokens for m in self.models)

    @property
    def priced_cost(self) -> Decimal:
        return sum((m.cost for m in self.models if m.cost is not None), ZERO)

    @property
    def unpriced_models(self) -> list[str]:
        return [m.model_key for m in self.models if m.cost is None]

    @property
    def cost(self) -> Decimal | None:
        return None if self.unpriced_models else self.priced_cost

    @property
    def rated(self) -> int:
        return sum(self.ratings)

    @property
    def rating_mean(self) -> float | None:
        if not self.rated:
            return None
        return round(sum((i + 1) * n for i, n in enumerate(self.ratings)) / self.rated, 2)


def sandbox(f: Filters) -> SandboxReport:
    """The sandbox figures for the filters: five statements.

    Messages and tokens are summed from ``MessageDay`` (per conversation, day and model),
    which holds the same sums as the messages themselves in a few rows per conversation,
    instead of from every message of the year.
    """
    days = and_(
        MessageDay.day >= f.first_day,  # the period's bounds are midnights in Asia/Seoul
        MessageDay.day <= f.last_day,
        _owned_by(MessageDay.user_id, f),
    )
    counts = db.session.execute(
        select(
            select(func.count())
            .select_from(
                # Rows add up (one may hold a deletion): whoever's sum is above zero.
                select(MessageDay.user_id)
                .where(days)
                .group_by(MessageDay.user_id)
                .having(func.sum(MessageDay.sent) > 0)
                .subquery("senders")
            )
            .scalar_subquery(),
            select(func.count(GuardEvent.id))
            .where(
                in_year(GuardEvent.created_at, f),
                _owned_by(GuardEvent.user_id, f, "guard_dept_tree"),
            )
            .scalar_subquery(),
        )
    ).one()
    # A message without a model of its own counts for its conversation's. The days are
    # summed per model first; only a day of such messages with answers or tokens (none
    # the application writes: its questions only add to the messages sent) keeps its
    # conversation, to take that conversation's model.
    needs_conversation = and_(
        MessageDay.model_key == "",
        or_(
            MessageDay.answers != 0,
            MessageDay.prompt_tokens != 0,
            MessageDay.completion_tokens != 0,
        ),
    )
    conversation_id = case((needs_conversation, MessageDay.conversation_id)).label("conv")
    by_model = (
        select(
            MessageDay.model_key,
            conversation_id,
            func.sum(MessageDay.sent).label("sent"),
            func.sum(MessageDay.answers).label("answers"),
            func.sum(MessageDay.prompt_tokens).label("prompt"),
            func.sum(MessageDay.completion_tokens).label("completion"),
            func.sum(MessageDay.estimated_tokens).label("estimated"),
        )
        .where(days)
        .group_by(MessageDay.model_key, conversation_id)
        .subquery("by_model")
    )
    model_key = func.coalesce(func.nullif(by_model.c.model_key, ""), Conversation.model_key, "")
    usage = (
        select(
            model_key.label("model_key"),
            func.coalesce(func.sum(by_model.c.sent), 0).label("sent"),
            func.coalesce(func.sum(by_model.c.answers), 0).label("answers"),
            func.coalesce(func.sum(by_model.c.prompt), 0).label("prompt"),
            func.coalesce(func.sum(by_model.c.completion), 0).label("completion"),
            func.coalesce(func.sum(by_model.c.estimated), 0).label("estimated"),
        )
        .outerjoin(Conversation, Conversation.id == by_model.c.conv)
        .group_by(model_key)
        .subquery("model_usage")
    )
    rows = db.session.execute(
        select(usage, ModelSetting.input_price_per_million, ModelSetting.output_price_per_million)
        .outerjoin(ModelSetting, ModelSetting.key == usage.c.model_key)
        .order_by(usage.c.model_key)
    ).all()
    sent_messages = sum(int(row.sent) for row in rows)
    models = [
        ModelUsage(
            str(row.model_key),
            int(row.answers),
            int(row.prompt),
            int(row.completion),
            int(row.estimated),
            row.input_price_per_million,
            row.output_price_per_million,
        )
        for row in rows
        if row.answers or row.prompt or row.completion
    ]
    kinds = guard_kinds_between(f.starts_at, f.ends_at, _owned_by(GuardEvent.user_id, f))
    rated_stmt = (
        select(MessageRating.score, func.count(MessageRating.id))
        .where(in_year(MessageRating.created_at, f), _owned_by(MessageRating.user_id, f))
        .group_by(MessageRating.score)
    )
    rated = dict(db.session.execute(rated_stmt).all())
    ratings = tuple(int(rated.get(score, 0)) for score in range(1, 6))
    saved = time_saved_between(f.starts_at, f.ends_at, _owned_by(Submission.user_id, f))
    return SandboxReport(
        active_users=int(counts[0] or 0),
        messages=sent_messages,
        models=models,
        guard_events=int(counts[1] or 0),
        guard_kinds=kinds,
        ratings=ratings,  # type: ignore[arg-type]
        time_saved=saved,
    )
