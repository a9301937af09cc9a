"""MessageDay, the messages summed per conversation, day and model, stays equal to the
messages: through sending and streaming, ORM changes and deletions, the retention purge and
the bulk demo seed. The sandbox dashboard reads it instead of every message."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import pytest
from sqlalchemy import select

from portal.assistant.manage.queries import month_start, usage_by_department
from portal.assistant.models import AssistantMessage, Conversation, MessageDay
from portal.assistant.workspace import conversations
from portal.core import clock
from portal.core.clock import SEOUL, today_in_seoul
from portal.dashboards.filters import Filters
from portal.dashboards.queries import sandbox
from portal.db import db
from portal.demo import scale
from portal.org.models import Department
from portal.users.models import Role, User
from tests.conftest import Auth, fake_model_enabled
from tests.fakes.openai_server import FakeOpenAI


@pytest.fixture
def fake_model(app):
    with FakeOpenAI() as fake, fake_model_enabled(app, fake, timeout=2):
        yield fake


def from_messages() -> dict[tuple, tuple[int, int, int, int, int, int]]:
    """What MessageDay must hold, counted here message by message (in Python, on purpose)."""
    owners = dict(db.session.execute(select(Conversation.id, Conversation.user_id)).all())
    models = dict(db.session.execute(select(Conversation.id, Conversation.model_key)).all())
    sums: dict[tuple, list[int]] = defaultdict(lambda: [0] * 6)
    for m in db.session.scalars(select(AssistantMessage)):
        model = m.model_key
        if not model:  # a question (no tokens) shares its conversation's row; others ""
            question = m.role == "user" and not m.prompt_tokens and not m.completion_tokens
            model = models[m.conversation_id] if question else ""
        key = (m.created_at.astimezone(SEOUL).date(), m.conversation_id, model)
        row = sums[key]
        row[0] = owners[m.conversation_id]
        row[1] += m.role == "user"
        row[2] += m.role == "assistant"
        row[3] += m.prompt_tokens
        row[4] += m.completion_tokens
        row[5] += m.prompt_tokens + m.completion_tokens if m.usage_estimated else 0
    return {k: tuple(v) for k, v in sums.items()}


def from_days() -> dict[tuple, tuple[int, int, int, int, int, int]]:
    return {
        (d.day, d.conversation_id, d.model_key): (
            d.user_id,
            d.sent,
            d.answers,
            d.prompt_tokens,
            d.completion_tokens,
            d.estimated_tokens,
        )
        for d in db.session.scalars(select(MessageDay))
        if d.sent or d.answers or d.prompt_tokens or d.completion_tokens
    }


def figures_by_department() -> dict[str, tuple[int, int, int]]:
    """The coordinators' monthly figures, counted here message by message."""
    since = month_start()
    departments = dict(
        db.session.execute(select(Conversation.id, Conversation.department_id)).all()
    )
    sums: dict[int | None, list[int]] = defaultdict(lambda: [0, 0, 0])
    for m in db.session.scalars(
        select(AssistantMessage).where(AssistantMessage.created_at >= since)
    ):
        row = sums[departments[m.conversation_id]]
        row[0] += m.role == "user"
        row[1] += m.prompt_tokens + m.completion_tokens
        row[2] += m.prompt_tokens + m.completion_tokens if m.usage_estimated else 0
    names = dict(db.session.execute(select(Department.id, Department.name)).all())
    return {names.get(k, "—"): tuple(v) for k, v in sums.items()}


def figures_shown() -> dict[str, tuple[int, int, int]]:
    return {
        u.department: (u.messages, u.tokens, u.estimated_tokens)
        for u in usage_by_department(month_start())
        if u.messages or u.tokens
    }


def sent_this_year() -> int:
    return sandbox(Filters(today_in_seoul().year)).messages


def test_sending_streaming_changing_and_purging_keep_the_sums_equal(
    app, client, as_role, make_workspace, fake_model
):
    user = as_role(Role.STAFF)
    draft = make_workspace(user, model_key="fake-llm")
    headers = {"X-CSRFToken": Auth(client).csrf("/practice/")}
    sent = client.post(
        f"/practice/w/{draft.id}/messages", json={"text": "보도자료 초안"}, headers=headers
    )
    assert sent.status_code == 200
    streamed = client.post(sent.get_json()["stream_url"], headers=headers)
    assert "event: done" in streamed.get_data(as_text=True)
    with app.app_context():
        days = from_days()
        assert days == from_messages()
        # The answer's tokens, recorded when its stream ended, are in the sums.
        assert sum(v[3] + v[4] for v in days.values()) > 0
        # The question and its answer share the conversation's row of the day.
        assert [(k[2], v[1], v[2]) for k, v in days.items()] == [("fake-llm", 1, 1)]
        assert sent_this_year() == 1

        # A second question through the operation, an ORM change of an answer's tokens and
        # usage, and a deleted message: each flush adds its difference.
        conversation = conversations.conversation_for(draft)
        question, answer = conversations.post_message(
            db.session.get(User, user.id), conversation, "한 번 더"
        )
        db.session.commit()
        answer.prompt_tokens, answer.completion_tokens = 700, 300
        answer.usage_estimated = True
        db.session.commit()
        assert from_days() == from_messages()
        db.session.delete(question)
        db.session.commit()
        assert from_days() == from_messages()
        assert figures_shown() == figures_by_department()
        assert sum(v[0] for v in figures_shown().values()) == 1
        assert sent_this_year() == 1

    # Ninety-one days later the idle workspace is purged: its sums go with its messages,
    # so the dashboard counts what it counted message by message (nothing).
    clock.advance(dt.timedelta(days=91))
    result = app.test_cli_runner().invoke(args=["retention", "purge"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.scalars(select(AssistantMessage)).all() == []
        assert db.session.scalars(select(MessageDay)).all() == []


def test_the_bulk_demo_writes_the_sums_of_its_messages(app):
    assert app.test_cli_runner().invoke(args=["courses", "sync"]).exit_code == 0
    with app.app_context(), db.command_transaction():
        scale.seed_at_scale(
            scale.LARGE.fraction(100), today=today_in_seoul(), policy_version="2026-11"
        )
    with app.app_context():
        days = from_days()
        assert days and days == from_messages()
        assert figures_shown() == figures_by_department()
        assert sum(v[1] + v[2] for v in days.values()) == scale.LARGE.fraction(100).messages


def test_a_question_deleted_after_a_model_switch_still_leaves_exact_figures(
    app, as_role, make_workspace
):
    user = as_role(Role.STAFF)
    draft = make_workspace(user)
    with app.app_context():
        conversation = conversations.conversation_for(draft)
        owner = db.session.get(User, user.id)
        first, _answer = conversations.post_message(owner, conversation, "첫 질문")
        db.session.commit()
        report = sandbox(Filters(today_in_seoul().year))
        assert (report.active_users, report.messages) == (1, 1)

        # The question was counted in the offline coach's row; after a switch its deletion
        # is recorded in the other model's row. The rows add up to the truth.
        conversation.model_key = "other-model"  # as switch_model does, without its checks
        db.session.commit()
        db.session.delete(first)
        db.session.commit()
        report = sandbox(Filters(today_in_seoul().year))
        assert (report.active_users, report.messages) == (0, 0)
        assert [(m.model_key, m.messages) for m in report.models] == [("offline", 1)]
        assert sum(d.sent for d in db.session.scalars(select(MessageDay))) == 0
