"""The practice sandbox: document types, exercises, conversations, drafts and their records.

Privacy: conversation text (``AssistantMessage.content``) is read only by its owner's
views. Coordinators see figures (counts, tokens, guard-event kinds) and, once a trainee
submits an exercise, the submitted draft; never the conversation.
"""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    event,
    false,
    func,
    select,
    true,
)
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from portal.catalog.models import Course
from portal.core.clock import SEOUL
from portal.db import Base, UTCDateTime, intpk, str_enum, utc_datetime


class DataGrade(enum.StrEnum):
    """N2SF-style grade a conversation declares before its first message."""

    PUBLIC = "public"  # 공개
    SENSITIVE = "sensitive"  # 민감: internal (self-hosted) models only
    SECRET = "secret"  # noqa: S105  (기밀: refused; a data grade, not a password)


class DocType(Base):
    """A kind of government document, synchronised from courses/_doctypes/<slug>.yml."""

    __tablename__ = "assistant_doc_types"

    id: Mapped[intpk]
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    # system_prompt, description, structure, checklist, rules: see courses/README.md.
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    sort_order: Mapped[int] = mapped_column(Integer, server_default="0", default=0)
    is_active: Mapped[bool] = mapped_column(Boolean, server_default=true(), default=True)
    source_hash: Mapped[str] = mapped_column(String(64))
    synced_at: Mapped[utc_datetime]


class Exercise(Base):
    """A 실습 과제 of a course, synchronised from courses/<course>/exercises/<slug>.yml."""

    __tablename__ = "assistant_exercises"

    id: Mapped[intpk]
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    course_id: Mapped[int] = mapped_column(
        ForeignKey("courses.id", ondelete="RESTRICT"), index=True
    )
    doc_type_id: Mapped[int] = mapped_column(
        ForeignKey("assistant_doc_types.id", ondelete="RESTRICT"), index=True
    )
    version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200))
    # scenario, source_material, rubric, model_answer, estimated_minutes.
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    sort_order: Mapped[int] = mapped_column(Integer, server_default="0", default=0)
    is_active: Mapped[bool] = mapped_column(Boolean, server_default=true(), default=True)
    source_hash: Mapped[str] = mapped_column(String(64))
    synced_at: Mapped[utc_datetime]

    course: Mapped[Course] = relationship(lazy="raise")
    doc_type: Mapped[DocType] = relationship(lazy="raise")


class ModelSetting(Base):
    """An admin's choice about a model named in the configuration (never its endpoint or key)."""

    __tablename__ = "assistant_model_settings"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    is_enabled: Mapped[bool] = mapped_column(Boolean, server_default=false(), default=False)
    is_internal: Mapped[bool] = mapped_column(Boolean, server_default=false(), default=False)
    # Admin-set prices in won per million tokens, for the dashboards' estimated cost.
    # None means "no price set": the cost is shown as unknown, never as zero.
    input_price_per_million: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    output_price_per_million: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    updated_at: Mapped[utc_datetime]


class AssistantLimits(Base):
    """The admin-set limits; a single row (id 1)."""

    __tablename__ = "assistant_limits"

    id: Mapped[intpk]
    daily_messages: Mapped[int] = mapped_column(Integer)
    daily_tokens: Mapped[int] = mapped_column(BigInteger)
    department_monthly_tokens: Mapped[int] = mapped_column(BigInteger)
    max_input_chars: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[utc_datetime]


class UsageCounter(Base):
    """Messages and tokens used per (scope, subject, period).

    Every worker increments these rows with one conditional UPDATE, so a quota holds
    across processes and machines: ``user_day`` rows count a user's day (Asia/Seoul),
    ``dept_month`` rows a department's month.
    """

    __tablename__ = "assistant_usage_counters"
    __table_args__ = (UniqueConstraint("scope", "subject_id", "period"),)

    id: Mapped[intpk]
    scope: Mapped[str] = mapped_column(String(12))
    subject_id: Mapped[int] = mapped_column(Integer)
    period: Mapped[str] = mapped_column(String(10))  # 2026-11-27 or 2026-11
    messages: Mapped[int] = mapped_column(Integer, server_default="0", default=0)
    tokens: Mapped[int] = mapped_column(BigInteger, server_default="0", default=0)


class PolicyAcceptance(Base):
    __tablename__ = "assistant_policy_acceptances"
    __table_args__ = (UniqueConstraint("user_id", "policy_version"),)

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    policy_version: Mapped[str] = mapped_column(String(20))
    accepted_at: Mapped[utc_datetime]


class Draft(Base):
    """The document being written, kept as segments so AI-inserted text stays marked.

    ``segments`` is a list of ``{"text": str, "ai": bool}``; ``body`` is their joined text.
    """

    __tablename__ = "assistant_drafts"

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    doc_type_id: Mapped[int] = mapped_column(
        ForeignKey("assistant_doc_types.id", ondelete="RESTRICT")
    )
    doc_type_version: Mapped[int] = mapped_column(Integer)
    exercise_id: Mapped[int | None] = mapped_column(
        ForeignKey("assistant_exercises.id", ondelete="RESTRICT"), index=True
    )
    exercise_version: Mapped[int | None] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    segments: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    body: Mapped[str] = mapped_column(Text, server_default="", default="")
    revision: Mapped[int] = mapped_column(Integer, server_default="1", default=1)
    created_at: Mapped[utc_datetime]
    updated_at: Mapped[utc_datetime] = mapped_column(index=True)
    submitted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    verified_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    doc_type: Mapped[DocType] = relationship(lazy="raise")
    exercise: Mapped[Exercise | None] = relationship(lazy="raise")


class DraftVersion(Base):
    __tablename__ = "assistant_draft_versions"
    __table_args__ = (UniqueConstraint("draft_id", "number"),)

    id: Mapped[intpk]
    draft_id: Mapped[int] = mapped_column(
        ForeignKey("assistant_drafts.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(20))  # autosave, insert, restore, submit
    segments: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[utc_datetime]


class Conversation(Base):
    __tablename__ = "assistant_conversations"
    __table_args__ = (
        # "Did this person send a message this year?" (the dashboards): the person's
        # conversations read from the index alone on PostgreSQL.
        Index("ix_assistant_conversations_user_id_id", "user_id", "id"),
    )

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # The department at creation: budgets and figures are per department.
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("departments.id", ondelete="SET NULL"), index=True
    )
    draft_id: Mapped[int | None] = mapped_column(
        ForeignKey("assistant_drafts.id", ondelete="SET NULL"), unique=True
    )
    data_grade: Mapped[DataGrade] = mapped_column(str_enum(DataGrade))
    model_key: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[utc_datetime]
    last_activity_at: Mapped[utc_datetime] = mapped_column(index=True)

    draft: Mapped[Draft | None] = relationship(lazy="raise")


class MessageStatus(enum.StrEnum):
    COMPLETE = "complete"
    PENDING = "pending"  # stored, stream not started
    STREAMING = "streaming"
    FAILED = "failed"  # the backend failed; partial text kept
    INTERRUPTED = "interrupted"  # the browser went away; partial text kept


class AssistantMessage(Base):
    __tablename__ = "assistant_messages"
    __table_args__ = (
        # "Did this person send a message this year?" (the dashboards' adoption funnel),
        # answered from the index alone.
        Index(
            "ix_assistant_messages_conversation_role_created",
            "conversation_id",
            "role",
            "created_at",
        ),
    )

    id: Mapped[intpk]
    # active_history: a change knows the value it replaces, so MessageDay follows it.
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("assistant_conversations.id", ondelete="CASCADE"),
        index=True,
        active_history=True,
    )
    role: Mapped[str] = mapped_column(String(10), active_history=True)  # user or assistant
    content: Mapped[str] = mapped_column(Text, server_default="", default="")
    status: Mapped[MessageStatus] = mapped_column(
        str_enum(MessageStatus), server_default=MessageStatus.COMPLETE.value
    )
    error_code: Mapped[str | None] = mapped_column(String(20))
    model_key: Mapped[str | None] = mapped_column(String(80), active_history=True)
    prompt_tokens: Mapped[int] = mapped_column(
        Integer, server_default="0", default=0, active_history=True
    )
    completion_tokens: Mapped[int] = mapped_column(
        Integer, server_default="0", default=0, active_history=True
    )
    usage_estimated: Mapped[bool] = mapped_column(
        Boolean, server_default=false(), default=False, active_history=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), active_history=True)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class MessageDay(Base):
    """The messages of one conversation on one day (Asia/Seoul) by one model, summed.

    The dashboards' sandbox figures read these rows (a few per conversation) instead of
    every message of the year. They hold the same sums as the messages themselves: the
    ORM's writes of messages (new, changed, deleted) are added in the same flush
    (``_follow_messages`` below); the scaled demo, which inserts messages in bulk, writes
    its own sums; and the rows go with their conversation (the retention purge, an
    account's deletion), so a purged message is no longer counted, exactly as when the
    messages were counted one by one.

    ``model_key`` is the message's own model. A question (no model, no tokens) only adds
    to ``sent`` and is kept in its conversation's row of the day; any other message
    without a model has "", which readers take as the conversation's model, as they did
    message by message. ``user_id`` is the conversation's owner (it never changes), for
    the filters. A row's sums may be zero after deletions: readers add rows up.
    """

    __tablename__ = "assistant_message_days"
    __table_args__ = (
        # Who practised in a period (the dashboards, per person), and an account's deletion.
        Index("ix_assistant_message_days_user_day", "user_id", "day", "sent"),
        # SQLite: the rows stored in key order, so a period is one range read.
        {"sqlite_with_rowid": False},
    )

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("assistant_conversations.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    )
    model_key: Mapped[str] = mapped_column(String(80), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    sent: Mapped[int] = mapped_column(Integer, server_default="0", default=0)  # role user
    answers: Mapped[int] = mapped_column(Integer, server_default="0", default=0)  # assistant
    prompt_tokens: Mapped[int] = mapped_column(BigInteger, server_default="0", default=0)
    completion_tokens: Mapped[int] = mapped_column(BigInteger, server_default="0", default=0)
    # prompt + completion of the messages whose usage was estimated
    estimated_tokens: Mapped[int] = mapped_column(BigInteger, server_default="0", default=0)


class MessageRating(Base):
    __tablename__ = "assistant_message_ratings"
    __table_args__ = (CheckConstraint("score BETWEEN 1 AND 5", name="score_range"),)

    id: Mapped[intpk]
    message_id: Mapped[int] = mapped_column(
        ForeignKey("assistant_messages.id", ondelete="CASCADE"), unique=True
    )
    # The rated answer's conversation owner (who rated it), copied on insert
    # (``_rating_owner``) so the dashboards filter ratings by person without reading
    # through the year's messages.
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    score: Mapped[int] = mapped_column(Integer)
    reasons: Mapped[list[str]] = mapped_column(JSON)
    created_at: Mapped[utc_datetime]


class GuardDecision(enum.StrEnum):
    BLOCKED = "blocked"  # a send attempt held back because of findings
    MASKED = "masked"  # the user masked the findings
    REFUSED = "refused"  # the data grade or a classification marker refuses the send


class GuardEvent(Base):
    """One guard decision. Holds only a masked excerpt, never the personal data itself."""

    __tablename__ = "assistant_guard_events"

    id: Mapped[intpk]
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("departments.id", ondelete="SET NULL"), index=True
    )
    conversation_id: Mapped[int | None] = mapped_column(
        ForeignKey("assistant_conversations.id", ondelete="SET NULL"), index=True
    )
    decision: Mapped[GuardDecision] = mapped_column(str_enum(GuardDecision))
    kinds: Mapped[list[str]] = mapped_column(JSON)
    masked_excerpt: Mapped[str] = mapped_column(Text)
    created_at: Mapped[utc_datetime] = mapped_column(server_default=func.now(), index=True)


class Submission(Base):
    """A submitted exercise draft: a frozen copy, its rubric feedback and instructor review."""

    __tablename__ = "assistant_submissions"
    __table_args__ = (
        # "Did this person submit an exercise this year?" (the dashboards), index only.
        Index("ix_assistant_submissions_user_submitted", "user_id", "submitted_at"),
    )

    id: Mapped[intpk]
    # One submission per draft: a double click cannot submit twice.
    draft_id: Mapped[int] = mapped_column(
        ForeignKey("assistant_drafts.id", ondelete="RESTRICT"), unique=True
    )
    exercise_id: Mapped[int] = mapped_column(
        ForeignKey("assistant_exercises.id", ondelete="RESTRICT"), index=True
    )
    exercise_version: Mapped[int] = mapped_column(Integer)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    body: Mapped[str] = mapped_column(Text)
    ai_share_percent: Mapped[int] = mapped_column(Integer, server_default="0", default=0)
    submitted_at: Mapped[utc_datetime] = mapped_column(index=True)
    minutes_without_ai: Mapped[int | None] = mapped_column(Integer)
    minutes_spent: Mapped[int | None] = mapped_column(Integer)
    # pending, scored, failed (the model's answer was invalid twice), computed (offline coach)
    rubric_status: Mapped[str] = mapped_column(String(12), server_default="pending")
    rubric_result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    rubric_model_key: Mapped[str | None] = mapped_column(String(80))
    review_score: Mapped[int | None] = mapped_column(Integer)  # the total, out of 100
    # The instructor's score per rubric criterion: [{"id", "title", "score", "max_score"}].
    review_criteria: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    review_comment: Mapped[str | None] = mapped_column(Text)
    review_passed: Mapped[bool | None] = mapped_column(Boolean)
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    draft: Mapped[Draft] = relationship(lazy="raise")
    exercise: Mapped[Exercise] = relationship(lazy="raise")


# MessageDay follows the messages ------------------------------------------------------

MESSAGE_DAY_SUMS = ("sent", "answers", "prompt_tokens", "completion_tokens", "estimated_tokens")


def message_day_sums(
    values: dict[str, Any], conversation_model: str
) -> tuple[tuple, tuple[int, ...]] | None:
    """A message's MessageDay key (conversation, day, model) and what it adds there (in
    the order of ``MESSAGE_DAY_SUMS``), from its column values and its conversation's model.

    A question (a person's message, no model of its own, no tokens) adds only to the
    messages sent, whatever model it is counted under: it shares its conversation's row.
    Any other message without a model has the model "", which readers take as "the
    conversation's (current) model", as they did message by message.
    """
    created = values["created_at"]
    if values["conversation_id"] is None or created is None:
        return None
    if created.tzinfo is None:
        created = created.replace(tzinfo=dt.UTC)
    prompt = int(values["prompt_tokens"] or 0)
    completion = int(values["completion_tokens"] or 0)
    model = values["model_key"]
    if not model:
        question = values["role"] == "user" and not prompt and not completion
        model = conversation_model if question else ""
    key = (values["conversation_id"], created.astimezone(SEOUL).date(), model)
    return key, (
        int(values["role"] == "user"),
        int(values["role"] == "assistant"),
        prompt,
        completion,
        prompt + completion if values["usage_estimated"] else 0,
    )


def message_day_row(key: tuple, sums: list[int] | tuple[int, ...], user_id: int) -> dict[str, Any]:
    """The MessageDay row (as column values) of a key and its sums."""
    conversation_id, day, model_key = key
    return {
        "day": day,
        "conversation_id": conversation_id,
        "model_key": model_key,
        "user_id": user_id,
    } | dict(zip(MESSAGE_DAY_SUMS, sums, strict=True))


_FOLLOWED = (
    "conversation_id",
    "created_at",
    "model_key",
    "role",
    "prompt_tokens",
    "completion_tokens",
    "usage_estimated",
)


def _message_values(message: AssistantMessage, *, before: bool) -> dict[str, Any]:
    """The followed columns as they are (or, with ``before``, as they were before the flush)."""
    state = sa_inspect(message)
    values = {}
    for name in _FOLLOWED:
        history = state.attrs[name].history
        if before and history.deleted:
            values[name] = history.deleted[0]
        elif not before and history.added:
            values[name] = history.added[0]
        else:
            values[name] = state.attrs[name].value
    return values


@event.listens_for(MessageRating, "before_insert")
def _rating_owner(_mapper, connection, rating: MessageRating) -> None:
    """A new rating belongs to the owner of the rated answer's conversation."""
    if rating.user_id is None:
        rating.user_id = connection.scalar(
            select(Conversation.user_id)
            .join(AssistantMessage, AssistantMessage.conversation_id == Conversation.id)
            .where(AssistantMessage.id == rating.message_id)
        )


@event.listens_for(Session, "after_flush")
def _follow_messages(session: Session, _ctx) -> None:
    """Add what this flush wrote to ``assistant_messages`` to ``assistant_message_days``,
    in the same transaction (two statements, and only when messages changed)."""
    touched: list[tuple[dict[str, Any], int]] = []
    for obj in session.new:
        if isinstance(obj, AssistantMessage):
            touched.append((_message_values(obj, before=False), 1))
    for obj in session.dirty:
        if isinstance(obj, AssistantMessage) and session.is_modified(obj):
            touched.append((_message_values(obj, before=True), -1))
            touched.append((_message_values(obj, before=False), 1))
    for obj in session.deleted:
        if isinstance(obj, AssistantMessage):
            touched.append((_message_values(obj, before=True), -1))
    if not touched:
        return
    connection = session.connection()
    owners = {
        row.id: (row.user_id, row.model_key)
        for row in connection.execute(
            select(Conversation.id, Conversation.user_id, Conversation.model_key).where(
                Conversation.id.in_({values["conversation_id"] for values, _sign in touched})
            )
        )
    }
    changes: dict[tuple, list[int]] = {}
    for values, sign in touched:
        owner = owners.get(values["conversation_id"])
        if owner is None:  # a conversation deleted in this flush took its rows along
            continue
        found = message_day_sums(values, owner[1])
        if found is None:
            continue
        key, sums = found
        total = changes.setdefault(key, [0] * len(MESSAGE_DAY_SUMS))
        for i, value in enumerate(sums):
            total[i] += sign * value
    rows = [
        message_day_row(key, sums, owners[key[0]][0]) for key, sums in changes.items() if any(sums)
    ]
    if not rows:
        return
    table = MessageDay.__table__
    insert = pg_insert if connection.dialect.name == "postgresql" else sqlite_insert
    stmt = insert(table).values(rows)
    connection.execute(
        stmt.on_conflict_do_update(
            index_elements=["day", "conversation_id", "model_key"],
            set_={name: table.c[name] + stmt.excluded[name] for name in MESSAGE_DAY_SUMS},
        )
    )
