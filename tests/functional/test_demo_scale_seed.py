"""`flask demo seed --scale`: the bulk demo's counts and invariants, at 1/100 of large."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from sqlalchemy import func, select

from portal.assistant.models import (
    AssistantMessage,
    Conversation,
    GuardEvent,
    MessageRating,
    Submission,
)
from portal.attendance.models import (
    AttendanceMark,
    Completion,
    CompletionStatus,
    HoursEntry,
    HoursSource,
)
from portal.audit.models import AuditEntry
from portal.auth.passwords import verify_password
from portal.catalog.models import Course
from portal.core.clock import SEOUL, today_in_seoul
from portal.db import db
from portal.demo import scale
from portal.demo.seed import DemoSeedRefused
from portal.enrollment.models import Enrollment, EnrollmentStatus
from portal.notifications.models import OutboxMessage, OutboxStatus
from portal.org.models import ALLOWED_PARENT, Department, DepartmentKind
from portal.scheduling.models import SessionStatus, TrainingSession
from portal.surveys.models import SurveyReceipt, SurveyResponse
from portal.users.models import Role, User

TINY = scale.LARGE.fraction(100)  # 200 staff, 20 sessions, 2,000 enrolments, 5,000 messages


def sync_courses(app) -> None:
    result = app.test_cli_runner().invoke(args=["courses", "sync"])
    assert result.exit_code == 0, result.output


def seed_tiny(app) -> scale.ScaleSummary:
    sync_courses(app)
    with app.app_context(), db.command_transaction():
        return scale.seed_at_scale(TINY, today=today_in_seoul(), policy_version="2026-11")


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def test_medium_is_exactly_a_tenth_of_large():
    large, medium = scale.SCALES["large"], scale.SCALES["medium"]
    assert (large.staff, large.sessions, large.enrolments, large.messages) == (
        20_000,
        2_000,
        200_000,
        500_000,
    )
    assert (medium.staff * 10, medium.sessions * 10, medium.enrolments * 10) == (
        large.staff,
        large.sessions,
        large.enrolments,
    )
    assert medium.messages * 10 == large.messages


def test_a_tiny_scale_has_the_exact_counts_and_keeps_every_invariant(app, hours_years_match_ledger):
    summary = seed_tiny(app)
    today = today_in_seoul()
    with app.app_context():
        # The exact totals of the plan (demo accounts included among the staff).
        assert count(User) == TINY.staff == 200
        assert count(TrainingSession) == TINY.sessions == 20
        assert count(Enrollment) == TINY.enrolments == 2_000
        assert count(AssistantMessage) == TINY.messages == 5_000
        assert count(Conversation) == TINY.conversations
        assert summary.counts["enrollments"] == 2_000

        # seats_taken is the number of confirmed enrolments, within capacity.
        confirmed = dict(
            db.session.execute(
                select(Enrollment.session_id, func.count())
                .where(Enrollment.status == EnrollmentStatus.ENROLLED)
                .group_by(Enrollment.session_id)
            ).all()
        )
        sessions = db.session.scalars(select(TrainingSession)).all()
        for s in sessions:
            assert s.seats_taken == confirmed.get(s.id, 0), s
            assert s.seats_taken <= s.capacity
            assert s.ends_at > s.starts_at
        statuses = Counter(s.status for s in sessions)
        assert statuses[SessionStatus.FINISHED] > 0 and statuses[SessionStatus.SCHEDULED] > 0
        for s in sessions:
            finished = s.starts_at.astimezone(SEOUL).date() < today
            assert (s.status is SessionStatus.FINISHED) == finished
        # Round numbers run 1, 2, 3 ... in date order within each course.
        by_course: dict[int, list[TrainingSession]] = {}
        for s in sorted(sessions, key=lambda s: (s.starts_at, s.id)):
            by_course.setdefault(s.course_id, []).append(s)
        for rounds in by_course.values():
            assert [s.round_number for s in rounds] == list(range(1, len(rounds) + 1))

        # Waitlists only on upcoming sessions, and only once the session is full.
        waiting = db.session.execute(
            select(Enrollment.session_id)
            .where(Enrollment.status == EnrollmentStatus.WAITLISTED)
            .distinct()
        ).scalars()
        by_id = {s.id: s for s in sessions}
        for session_id in waiting:
            s = by_id[session_id]
            assert s.status is SessionStatus.SCHEDULED and s.seats_taken == s.capacity

        # Finished sessions: one mark and one completion per confirmed person; the ledger
        # has one portal line per completion that earned hours.
        finished_confirmed = sum(
            confirmed.get(s.id, 0) for s in sessions if s.status is SessionStatus.FINISHED
        )
        assert count(AttendanceMark) == count(Completion) == finished_confirmed > 0
        completed = db.session.scalar(
            select(func.count()).where(Completion.status == CompletionStatus.COMPLETED)
        )
        portal_lines = db.session.scalar(
            select(func.count()).where(HoursEntry.source == HoursSource.PORTAL)
        )
        assert portal_lines == completed > 0
    # the ledger was written in bulk; its yearly sums were computed from it
    hours_years_match_ledger()
    with app.app_context():
        assert count(SurveyReceipt) == count(SurveyResponse) > 0

        # The department tree: the Sejong tree and sub-departments, parents of the right kind.
        departments = db.session.scalars(select(Department)).all()
        kinds = {d.id: d.kind for d in departments}
        for d in departments:
            assert (kinds.get(d.parent_id) if d.parent_id else None) == ALLOWED_PARENT[d.kind]
        assert Counter(kinds.values())[DepartmentKind.TEAM] > 40

        # New appointees: some overdue on the course mandatory for them, some who completed it.
        mandatory = db.session.scalar(select(Course).where(Course.is_mandatory_for_new))
        done = set(
            db.session.scalars(
                select(Completion.user_id).where(
                    Completion.course_id == mandatory.id,
                    Completion.status == CompletionStatus.COMPLETED,
                )
            )
        )
        overdue_since = today - dt.timedelta(days=mandatory.mandatory_within_days)
        newcomers = db.session.scalars(
            select(User).where(User.appointed_on >= today - dt.timedelta(days=180))
        ).all()
        overdue = [u for u in newcomers if u.appointed_on < overdue_since and u.id not in done]
        assert overdue and any(u.id in done for u in newcomers)
        assert db.session.scalar(select(func.count()).where(User.is_department_head)) > 0

        # The sandbox: ratings on answers only, guard decisions of several kinds, submissions
        # with both minute figures, conversations' last activity after their start.
        rated_roles = set(
            db.session.scalars(
                select(AssistantMessage.role).join(
                    MessageRating, MessageRating.message_id == AssistantMessage.id
                )
            )
        )
        assert rated_roles == {"assistant"}
        decisions = set(db.session.scalars(select(GuardEvent.decision)))
        assert len(decisions) >= 2
        assert db.session.scalar(
            select(func.count()).where(
                Submission.minutes_spent.is_not(None), Submission.minutes_without_ai.is_not(None)
            )
        )
        assert not db.session.scalar(
            select(func.count()).where(Conversation.last_activity_at < Conversation.created_at)
        )
        tokens = db.session.scalar(
            select(func.sum(AssistantMessage.prompt_tokens + AssistantMessage.completion_tokens))
        )
        assert tokens > 0
        models = set(db.session.scalars(select(Conversation.model_key).distinct()))
        assert len(models) >= 2

        # Mail: mostly sent, some failed.
        mail = Counter(db.session.scalars(select(OutboxMessage.status)))
        assert mail[OutboxStatus.SENT] > 0 and mail[OutboxStatus.FAILED] > 0

        # The demo logins still work and the seed is audited once with its scale.
        coordinator = db.session.scalar(select(User).where(User.employee_number == "D0002"))
        assert coordinator.role is Role.COORDINATOR
        assert verify_password(coordinator.password_hash, "Demo!2026portal")
        entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "demo.seeded"))
        assert [e.details["scale"] for e in entries] == [TINY.name]


def test_the_demo_coordinator_logs_in_and_opens_the_pages_on_scaled_data(app, auth, make_user):
    seed_tiny(app)
    # The ids were assigned by the seed: new rows still get fresh ones (PostgreSQL sequences).
    newcomer = make_user(Role.STAFF)
    assert newcomer.id > TINY.staff
    response = auth.login("D0002", "Demo!2026portal")
    assert response.status_code == 302
    for path in ("/", "/manage/mandatory/", "/manage/exports"):
        assert auth.client.get(path).status_code == 200, path


def test_a_scaled_seed_refuses_a_database_with_users_and_changes_nothing(app, make_user):
    make_user(Role.ADMIN)
    with app.app_context():
        before = (count(User), count(Department))
    result = app.test_cli_runner().invoke(args=["demo", "seed", "--scale", "medium"])
    assert result.exit_code == 1
    assert "이미 사용자가 있어 데모 데이터를 만들지 않았습니다" in result.output
    with app.app_context():
        assert (count(User), count(Department)) == before


def test_a_second_scaled_seed_refuses(app):
    seed_tiny(app)
    with app.app_context():
        with pytest.raises(DemoSeedRefused), db.command_transaction():
            scale.seed_at_scale(TINY, today=today_in_seoul(), policy_version="2026-11")
        assert count(User) == TINY.staff


def test_a_scaled_seed_without_courses_refuses_in_korean(app):
    result = app.test_cli_runner().invoke(args=["demo", "seed", "--scale", "medium"])
    assert result.exit_code == 1
    assert "flask courses sync" in result.output and "교육과정이 없어" in result.output
    with app.app_context():
        assert count(User) == 0


def test_a_failure_half_way_leaves_nothing_behind(app, monkeypatch):
    sync_courses(app)

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(scale, "_sandbox", broken)  # after users, sessions and enrolments
    with app.app_context():
        with pytest.raises(RuntimeError, match="disk full"), db.command_transaction():
            scale.seed_at_scale(TINY, today=today_in_seoul(), policy_version="2026-11")
        assert (count(User), count(Department), count(TrainingSession), count(Enrollment)) == (
            0,
            0,
            0,
            0,
        )


def test_the_command_shows_progress_per_table_and_the_counts(app, monkeypatch):
    sync_courses(app)
    monkeypatch.setitem(scale.SCALES, "medium", TINY)  # the command's path, at a tiny scale
    result = app.test_cli_runner().invoke(args=["demo", "seed", "--scale", "medium"])
    assert result.exit_code == 0, result.output
    assert "AI 메시지 (assistant_messages) 5,000건:" in result.output  # the per-table line
    assert "수강 신청 (enrollments): 2,000" in result.output  # the summary
    assert "D0002 교육 담당자" in result.output
    with app.app_context():
        assert count(User) == TINY.staff
