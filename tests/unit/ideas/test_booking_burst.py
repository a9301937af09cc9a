"""A consulting slot is never double-booked, under real concurrency (SQLite and PostgreSQL).

These tests commit for real, so they run against a database of their own, as the seat
bursts do (tests/unit/enrollment/test_bursts.py).
"""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from portal.db import db, set_write_intent
from portal.ideas import operations as ops
from portal.ideas.models import ConsultingSlot, IdeaEvent, IdeaEventKind, IdeaStatus
from portal.users.models import User
from tests.conftest import scratch_database
from tests.fixtures.ideas import build_idea, build_slot


@pytest.fixture(scope="module")
def burst_url(tmp_path_factory):
    yield from scratch_database(tmp_path_factory, "ideaburst")


@pytest.fixture(scope="module")
def burst_app(burst_url, tmp_path_factory):
    from portal import create_app

    application = create_app(
        {
            "ENV": "testing",
            "SECRET_KEY": "i" * 40,
            "DATABASE_URL": burst_url,
            "LOG_LEVEL": "WARNING",
        },
        instance_path=str(tmp_path_factory.mktemp("idea-burst-instance")),
    )
    yield application
    application.extensions["portal_db"]["engine"].dispose()


def _people(n: int, created_at) -> list[User]:
    tag = uuid.uuid4().hex[:6]
    return [
        User(
            employee_number=f"I{tag}{k:04d}",
            name=f"아이디어{k}",
            email=f"idea.{tag}.{k}@sejong.example.kr",
            created_at=created_at,
        )
        for k in range(n)
    ]


def _in_threads(app, jobs):
    barrier = threading.Barrier(len(jobs))
    refused: list[str] = []
    errors: list[BaseException] = []

    def run(job):
        barrier.wait()
        with app.app_context():
            set_write_intent(True)
            try:
                outcome = job()
                db.session.commit()
                return outcome
            except ops.IdeaError as refusal:
                db.session.rollback()
                refused.append(str(refusal))
                return None
            except BaseException as exc:  # noqa: BLE001 - every other error is a failure
                db.session.rollback()
                errors.append(exc)
                return None

    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        results = list(pool.map(run, jobs))
    return results, refused, errors


def test_a_burst_of_bookings_on_one_slot_books_exactly_one(burst_app):
    with burst_app.app_context():
        set_write_intent(True)
        slot = build_slot()
        people = _people(40, slot.created_at)
        db.session.add_all([slot, *people])
        db.session.flush()
        ideas = [build_idea(p.id, status=IdeaStatus.CONSULTING) for p in people]
        db.session.add_all(ideas)
        db.session.commit()
        slot_id = slot.id
        pairs = [(i.id, p.id) for i, p in zip(ideas, people, strict=True)]

    def attempt(idea_id, user_id):
        def job():
            return ops.book(idea_id, slot_id, db.session.get(User, user_id)).booked_idea_id

        return job

    results, refused, errors = _in_threads(burst_app, [attempt(i, u) for i, u in pairs])
    assert errors == []
    winners = [r for r in results if r is not None]
    assert len(winners) == 1
    assert len(refused) == 39
    with burst_app.app_context():
        assert db.session.get(ConsultingSlot, slot_id).booked_idea_id == winners[0]
        booked_events = db.session.scalar(
            select(func.count(IdeaEvent.id)).where(
                IdeaEvent.kind == IdeaEventKind.BOOKED,
                IdeaEvent.idea_id.in_([i for i, _u in pairs]),
            )
        )
        assert booked_events == 1


def test_one_idea_clicking_several_slots_at_once_books_only_one(burst_app):
    with burst_app.app_context():
        set_write_intent(True)
        slots = [build_slot() for _ in range(6)]
        (person,) = _people(1, slots[0].created_at)
        db.session.add_all([*slots, person])
        db.session.flush()
        idea = build_idea(person.id, status=IdeaStatus.CONSULTING)
        db.session.add(idea)
        db.session.commit()
        idea_id, user_id, slot_ids = idea.id, person.id, [s.id for s in slots]

    def attempt(slot_id):
        def job():
            return ops.book(idea_id, slot_id, db.session.get(User, user_id)).id

        return job

    results, refused, errors = _in_threads(burst_app, [attempt(s) for s in slot_ids])
    assert errors == []
    assert len([r for r in results if r is not None]) == 1
    assert len(refused) == 5
    with burst_app.app_context():
        held = db.session.scalar(
            select(func.count(ConsultingSlot.id)).where(ConsultingSlot.booked_idea_id == idea_id)
        )
        assert held == 1
