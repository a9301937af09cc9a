"""`flask demo seed`: a demo organisation in an empty database, and nowhere else."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from portal.audit.models import AuditEntry
from portal.catalog.models import Course, Level
from portal.core.clock import SEOUL, today_in_seoul, utcnow
from portal.db import db
from portal.demo.seed import seed_demo
from portal.demo.sessions import seed_sessions
from portal.enrollment.models import Enrollment, EnrollmentStatus
from portal.enrollment.operations import seats_consistent, session_waitlist, waitlist_position
from portal.learning.queries import my_learning
from portal.notifications.models import OutboxMessage
from portal.org.models import ALLOWED_PARENT, Department, DepartmentKind
from portal.scheduling.models import SessionStatus, TrainingSession
from portal.users.models import Role, User


def seed(app):
    return app.test_cli_runner().invoke(args=["demo", "seed"])


def counts(app) -> tuple[int, int, int]:
    with app.app_context():
        return (
            db.session.scalar(select(func.count(User.id))),
            db.session.scalar(select(func.count(Department.id))),
            db.session.scalar(select(func.count(AuditEntry.id))),
        )


def test_seed_creates_about_300_staff_and_prints_the_demo_logins(app):
    result = seed(app)
    assert result.exit_code == 0, result.output
    assert "D0001" in result.output and "Demo!2026portal" in result.output
    with app.app_context():
        users = db.session.scalars(select(User)).all()
    assert 280 <= len(users) <= 320
    assert len({u.employee_number for u in users}) == len(users)
    assert len({u.email for u in users}) == len(users)
    assert all(u.email.endswith("@sejong.example.kr") for u in users)
    assert all(u.department_id is not None and u.grade and u.appointed_on for u in users)


def test_the_four_demo_accounts_have_their_roles_and_one_shared_password_hash(app):
    assert seed(app).exit_code == 0
    with app.app_context():
        demo = {
            u.employee_number: u
            for u in db.session.scalars(
                select(User).where(User.employee_number.in_(["D0001", "D0002", "D0003", "D0004"]))
            )
        }
        coordinator_department = db.session.get(Department, demo["D0002"].department_id)
        can_log_in = db.session.scalar(
            select(func.count(User.id)).where(User.password_hash.is_not(None))
        )
    assert {n: u.role for n, u in demo.items()} == {
        "D0001": Role.ADMIN,
        "D0002": Role.COORDINATOR,
        "D0003": Role.INSTRUCTOR,
        "D0004": Role.STAFF,
    }
    assert coordinator_department.name == "디지털정책과"
    assert len({u.password_hash for u in demo.values()}) == 1  # hashed once
    assert can_log_in == 4  # ordinary staff have no password


def test_departments_form_a_valid_sejong_style_tree(app):
    assert seed(app).exit_code == 0
    with app.app_context():
        departments = db.session.scalars(select(Department)).all()
    by_id = {d.id: d for d in departments}
    for d in departments:
        parent = by_id.get(d.parent_id)
        assert (parent.kind if parent else None) == ALLOWED_PARENT[d.kind], d
        assert re.fullmatch(r"SJ-\d{3}(-\d{2})?", d.code), d.code
    kinds = [d.kind for d in departments]
    assert kinds.count(DepartmentKind.BUREAU) == 7
    assert 18 <= kinds.count(DepartmentKind.DIVISION) <= 22
    names = {d.name for d in departments}
    assert {"기획조정실", "디지털정책과", "법무담당관", "도시성장본부", "안전정책과"} <= names
    for division in (d for d in departments if d.kind is DepartmentKind.DIVISION):
        teams = [d for d in departments if d.parent_id == division.id]
        assert 2 <= len(teams) <= 3, division


def test_grades_lean_toward_grades_7_to_9_and_about_25_are_new_appointees(app):
    assert seed(app).exit_code == 0
    since = today_in_seoul() - dt.timedelta(days=90)
    with app.app_context():
        users = db.session.scalars(select(User)).all()
    junior = [u for u in users if re.search(r"[789]급$", u.grade)]
    assert len(junior) > len(users) / 2
    new = [u for u in users if u.appointed_on >= since]
    assert 20 <= len(new) <= 30
    assert min(u.appointed_on for u in users) >= dt.date(1995, 1, 1)
    assert max(u.appointed_on for u in users) <= today_in_seoul()


def test_seed_records_one_audit_entry_with_counts(app):
    assert seed(app).exit_code == 0
    with app.app_context():
        entries = db.session.scalars(select(AuditEntry)).all()
    assert [e.action for e in entries] == ["demo.seeded"]
    assert entries[0].details["users"] == counts(app)[0]


def test_seed_is_deterministic(app):
    runs = []
    with app.app_context():
        for _ in range(2):
            attempt = db.session.begin_nested()
            seed_demo(today=dt.date(2026, 3, 2))
            runs.append(
                db.session.execute(
                    select(User.employee_number, User.name, User.email, User.grade).order_by(
                        User.id
                    )
                ).all()
            )
            attempt.rollback()
    assert len(runs[0]) == 300
    assert runs[0] == runs[1]


def test_a_second_run_refuses_and_changes_nothing(app):
    assert seed(app).exit_code == 0
    before = counts(app)
    result = seed(app)
    assert result.exit_code == 1
    assert "이미 사용자가 있어 데모 데이터를 만들지 않았습니다" in result.output
    assert counts(app) == before


def test_seed_refuses_when_any_user_exists(app, make_user):
    make_user(Role.ADMIN)
    before = counts(app)
    result = seed(app)
    assert result.exit_code == 1
    assert counts(app) == before


def test_a_demo_account_can_log_in(app, auth):
    assert seed(app).exit_code == 0
    response = auth.login("D0004", "Demo!2026portal")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/")


def test_ordinary_demo_staff_cannot_log_in(app, auth):
    assert seed(app).exit_code == 0
    with app.app_context():
        someone = db.session.scalar(
            select(User.employee_number).where(User.password_hash.is_(None)).limit(1)
        )
    assert auth.login(someone, "Demo!2026portal").status_code == 200


# --- sessions and enrolments for the synced courses ---------------------------------


def sync_courses(app):
    result = app.test_cli_runner().invoke(args=["courses", "sync"])
    assert result.exit_code == 0, result.output


def seeded_sessions(app) -> list[TrainingSession]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(TrainingSession)
                .options(joinedload(TrainingSession.course))
                .order_by(TrainingSession.id)
            )
        )


def waitlist_of(app, session_id: int) -> list[int | None]:
    with app.app_context():
        return [waitlist_position(e) for e in session_waitlist(session_id)]


def test_seeding_after_a_courses_sync_creates_sessions_for_every_active_course(app):
    sync_courses(app)
    result = seed(app)
    assert result.exit_code == 0, result.output
    assert "교육 차수를 만들었습니다" in result.output
    now = utcnow()
    today = today_in_seoul()
    sessions = seeded_sessions(app)
    upcoming = [s for s in sessions if s.status is SessionStatus.SCHEDULED]
    finished = [s for s in sessions if s.status is SessionStatus.FINISHED]
    with app.app_context():
        active = set(db.session.scalars(select(Course.slug).where(Course.is_active.is_(True))))
        assert all(seats_consistent(s.id) for s in sessions)
        instructor = db.session.scalar(select(User.id).where(User.employee_number == "D0003"))
    per_course = Counter(s.course.slug for s in upcoming)
    assert set(per_course) == active
    assert all(1 <= n <= 3 for n in per_course.values()), per_course
    assert 2 <= len(finished) <= 3
    assert all(s.ends_at < now for s in finished)
    for s in upcoming:
        start, end = s.starts_at.astimezone(SEOUL), s.ends_at.astimezone(SEOUL)
        assert 14 <= (start.date() - today).days <= 56, s
        assert start.weekday() < 5 and end.weekday() < 5, s
        assert start.hour >= 9 and (end.hour, end.minute) <= (18, 0), s
        assert 20 <= s.capacity <= 60, s
        assert s.enrol_opens_at < now < s.enrol_closes_at <= s.starts_at, s
        assert s.cancel_deadline_at == s.starts_at - dt.timedelta(days=1), s
        assert s.place or s.online_url, s
        assert s.instructor_id in (instructor, None), s
    online = [s for s in upcoming if s.online_url and not s.place]
    assert online and all(
        s.online_url.startswith("https://meet.sejong.example.kr/") for s in online
    )
    assert {"세종시청 4층 대회의실", "세종시 인재개발 교육장"} <= {s.place for s in sessions}
    two_day = [
        s
        for s in upcoming
        if s.starts_at.astimezone(SEOUL).date() != s.ends_at.astimezone(SEOUL).date()
    ]
    assert len(two_day) == 1 and two_day[0].course.level is Level.APPLIED
    # Round numbers follow the dates within each course.
    for slug in active:
        rounds = sorted((s for s in sessions if s.course.slug == slug), key=lambda s: s.starts_at)
        assert [s.round_number for s in rounds] == list(range(1, len(rounds) + 1)), slug


def test_the_chatgpt_special_lecture_round_1_is_one_seat_short_of_full(app):
    sync_courses(app)
    result = seed(app)
    assert result.exit_code == 0, result.output
    lecture = next(
        s
        for s in seeded_sessions(app)
        if s.course.slug == "chatgpt-special-lecture" and s.round_number == 1
    )
    assert lecture.course.title == "챗GPT 특강"
    assert lecture.status is SessionStatus.SCHEDULED
    assert (lecture.capacity, lecture.seats_taken) == (30, 29)
    assert waitlist_of(app, lecture.id) == []
    assert "한 자리 남은 차수: 챗GPT 특강 1차" in result.output
    # The two people of the browser test are not on it yet.
    with app.app_context():
        on_it = set(
            db.session.scalars(
                select(User.employee_number)
                .join(Enrollment, Enrollment.user_id == User.id)
                .where(Enrollment.session_id == lecture.id)
            )
        )
    assert not on_it & {"D0001", "D0002", "D0003", "D0004"}


def test_exactly_one_session_is_full_with_a_waitlist_of_five(app):
    sync_courses(app)
    result = seed(app)
    assert result.exit_code == 0, result.output
    upcoming = [s for s in seeded_sessions(app) if s.status is SessionStatus.SCHEDULED]
    waitlists = {s.id: waitlist_of(app, s.id) for s in upcoming}
    full = [s for s in upcoming if waitlists[s.id]]
    assert len(full) == 1
    assert full[0].seats_taken == full[0].capacity
    assert waitlists[full[0].id] == [1, 2, 3, 4, 5]
    assert "대기 5명" in result.output
    one_short = [s for s in upcoming if s.capacity - s.seats_taken == 1]
    assert [s.course.slug for s in one_short] == ["chatgpt-special-lecture"]


def test_seeded_enrolments_notify_people_through_the_outbox(app):
    sync_courses(app)
    assert seed(app).exit_code == 0
    with app.app_context():
        enrolled = db.session.scalar(
            select(func.count(Enrollment.id))
            .join(TrainingSession, TrainingSession.id == Enrollment.session_id)
            .where(
                TrainingSession.status == SessionStatus.SCHEDULED,
                Enrollment.status == EnrollmentStatus.ENROLLED,
            )
        )
        mails = dict(
            db.session.execute(
                select(OutboxMessage.kind, func.count(OutboxMessage.id)).group_by(
                    OutboxMessage.kind
                )
            ).all()
        )
        staff_learning = my_learning(
            db.session.scalar(select(User.id).where(User.employee_number == "D0004"))
        )
    assert 200 <= enrolled <= 600
    assert mails == {"enrollment.confirmed": enrolled, "enrollment.waitlisted": 5}
    # The demo staff member has something upcoming and something in the past.
    assert staff_learning.upcoming and staff_learning.history.total >= 1


def test_seeding_with_no_courses_still_works_and_says_sessions_were_skipped(app):
    result = seed(app)
    assert result.exit_code == 0, result.output
    assert "교육과정이 없어 교육 차수와 신청 내역은 만들지 않았습니다" in result.output
    assert seeded_sessions(app) == []
    assert counts(app)[0] == 300


def test_session_seeding_is_deterministic(app):
    sync_courses(app)
    runs = []
    with app.app_context():
        for _ in range(2):
            attempt = db.session.begin_nested()
            seed_demo(today=today_in_seoul())
            seed_sessions(today=today_in_seoul())
            runs.append(
                db.session.execute(
                    select(
                        TrainingSession.course_id,
                        TrainingSession.round_number,
                        TrainingSession.starts_at,
                        TrainingSession.place,
                        TrainingSession.capacity,
                        TrainingSession.seats_taken,
                    ).order_by(TrainingSession.id)
                ).all()
                + db.session.execute(
                    # Sessions by course and round, not id: PostgreSQL sequences don't roll back.
                    select(
                        TrainingSession.course_id,
                        TrainingSession.round_number,
                        User.employee_number,
                        Enrollment.status,
                    )
                    .join(User, User.id == Enrollment.user_id)
                    .join(TrainingSession, TrainingSession.id == Enrollment.session_id)
                    .order_by(Enrollment.id)
                ).all()
            )
            attempt.rollback()
    assert len(runs[0]) > 300
    assert runs[0] == runs[1]


def test_finished_sessions_have_attendance_and_completions_from_the_real_rule(app):
    from portal.attendance.models import AttendanceMark, Completion, CompletionStatus, HoursEntry

    sync_courses(app)
    result = seed(app)
    assert result.exit_code == 0, result.output
    assert "지난 교육의 수료를 판정했습니다" in result.output
    with app.app_context():
        finished = db.session.scalars(
            select(TrainingSession.id).where(TrainingSession.status == SessionStatus.FINISHED)
        ).all()
        attendees = db.session.scalar(
            select(func.count(Enrollment.id)).where(
                Enrollment.session_id.in_(finished),
                Enrollment.status == EnrollmentStatus.ENROLLED,
            )
        )
        marked = db.session.scalar(
            select(func.count()).select_from(
                select(AttendanceMark.session_id, AttendanceMark.user_id)
                .where(AttendanceMark.session_id.in_(finished))
                .distinct()
                .subquery()
            )
        )
        outcomes = dict(
            db.session.execute(
                select(Completion.status, func.count(Completion.id)).group_by(Completion.status)
            ).all()
        )
        ledger = db.session.scalar(select(func.count(HoursEntry.id)))
        staff_id = db.session.scalar(select(User.id).where(User.employee_number == "D0004"))
        staff_history = my_learning(staff_id).history.items
    assert finished and attendees == marked == sum(outcomes.values())
    done = outcomes.get(CompletionStatus.COMPLETED, 0)
    # Most complete, some do not: a realistic mix for the dashboards.
    assert 0.6 * attendees <= done < attendees
    assert outcomes.get(CompletionStatus.NOT_COMPLETED, 0) > 0
    assert ledger == done
    assert any(row.progress == "completed" for row in staff_history)


# --- AI service ideas and consulting (issue 12) --------------------------------------


def test_seed_creates_ai_service_ideas_along_the_whole_workflow(app):
    from portal.ideas import queries as idea_queries
    from portal.ideas.models import (
        ConsultingOutcome,
        ConsultingSlot,
        Idea,
        IdeaEvent,
        IdeaEventKind,
        IdeaStatus,
        NextStep,
    )
    from portal.notifications.models import Notification
    from portal.org.operations import department_paths

    result = seed(app)  # no courses: the ideas need only the people
    assert result.exit_code == 0, result.output
    assert "AI 서비스 아이디어를 만들었습니다: 6건" in result.output
    now = utcnow()
    with app.app_context():
        ideas = db.session.scalars(select(Idea).order_by(Idea.id)).all()
        users = {u.id: u for u in db.session.scalars(select(User))}
        paths = department_paths(i.department_id for i in ideas)
        events = db.session.scalars(select(IdeaEvent).order_by(IdeaEvent.at, IdeaEvent.id)).all()
        slots = db.session.scalars(select(ConsultingSlot)).all()
        outcomes = db.session.scalars(select(ConsultingOutcome)).all()
        pilot_hours = idea_queries.pilot_hours_saved()
        board_titles = [row.idea.title for row in idea_queries.board(None, None, 1).items]
        idea_mail = db.session.scalar(
            select(func.count(OutboxMessage.id)).where(OutboxMessage.kind.like("idea.%"))
        )
        idea_notes = db.session.scalar(
            select(func.count(Notification.id)).where(Notification.kind.like("idea.%"))
        )
        audit = db.session.scalars(select(AuditEntry.action)).all()

    titles = {i.title for i in ideas}
    assert {"기획보고서 초안 작성 도우미", "초거대 AI 행정 플랫폼 활용 아이디어 발굴"} <= titles
    assert any("번역" in t for t in titles)
    # Several departments, shown as "실·국 > 과"; ordinary staff, not the demo accounts.
    assert len({i.department_id for i in ideas}) == len(ideas)
    assert all(" > " in paths[i.department_id] for i in ideas)
    assert all(not users[i.submitter_id].employee_number.startswith("D000") for i in ideas)
    assert {i.status for i in ideas} == set(IdeaStatus)
    private = [i for i in ideas if not i.share]
    assert len(private) == 1 and private[0].title not in board_titles
    assert sorted(board_titles) == sorted(i.title for i in ideas if i.share)

    # 컨설팅 배정: an upcoming time with an outside expert, booked for that idea.
    (consulting,) = [i for i in ideas if i.status is IdeaStatus.CONSULTING]
    (upcoming,) = [s for s in slots if s.starts_at > now]
    assert upcoming.booked_idea_id == consulting.id and upcoming.booked_at is not None
    assert upcoming.consultant_user_id is None
    assert upcoming.consultant_name and upcoming.consultant_org
    start = upcoming.starts_at.astimezone(SEOUL)
    assert start.weekday() < 5 and start.hour == 14
    # 완료: the demo instructor's consultation recommended a pilot; its hours count.
    (done,) = [i for i in ideas if i.status is IdeaStatus.DONE]
    (outcome,) = outcomes
    assert (outcome.idea_id, outcome.next_step) == (done.id, NextStep.PILOT)
    held = next(s for s in slots if s.id == outcome.slot_id)
    assert held.ends_at < now and users[held.consultant_user_id].employee_number == "D0003"
    assert done.effect_hours_saved and pilot_hours == done.effect_hours_saved
    # No open time is left for D0004 to book by accident.
    assert all(s.booked_idea_id for s in slots)

    # Each history starts with 접수, follows the workflow, ends at the idea's status.
    from portal.ideas.operations import TRANSITIONS

    for idea in ideas:
        mine = [e for e in events if e.idea_id == idea.id]
        assert mine[0].kind is IdeaEventKind.SUBMITTED, idea.title
        status = IdeaStatus.RECEIVED
        for e in (e for e in mine if e.kind is IdeaEventKind.STATUS):
            assert e.from_status is status and e.to_status in TRANSITIONS[status], idea.title
            assert e.reason
            status = e.to_status
        assert status is idea.status, idea.title
        assert all(e.at <= now for e in mine) and idea.updated_at == mine[-1].at
    # Demo data: nobody is notified and nothing is audited but the seed itself.
    assert idea_mail == idea_notes == 0
    assert audit == ["demo.seeded"]


def test_the_seeded_ideas_read_well_on_the_pages(app, auth):
    assert seed(app).exit_code == 0
    assert auth.login("D0002", "Demo!2026portal").status_code == 302
    client = auth.client
    triage = client.get("/ideas/manage/").get_data(as_text=True)
    # The private idea too: coordinators see every idea.
    assert "복지 상담 기록 요약" in triage and "기획예산과" in triage
    overview = client.get("/ideas/manage/overview")
    assert overview.status_code == 200 and "1,200" in overview.get_data(as_text=True)
    slots = client.get("/ideas/manage/slots").get_data(as_text=True)
    assert "서민준" in slots and "한국지능정보사회진흥원" in slots
    assert "강도현" in client.get("/ideas/manage/slots?period=past").get_data(as_text=True)
    auth.logout()
    # D0004 sees the shared ideas on the board, with their departments' full paths, and has
    # no idea of their own yet.
    assert auth.login("D0004", "Demo!2026portal").status_code == 302
    board = client.get("/ideas/board").get_data(as_text=True)
    assert "기획조정실 &gt; 기획예산과" in board and "외국어 관광·민원 안내문 번역 서비스" in board
    assert "복지 상담 기록 요약" not in board
    assert "기획보고서 초안 작성 도우미" not in client.get("/ideas/").get_data(as_text=True)
