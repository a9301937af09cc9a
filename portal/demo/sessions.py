"""Demo sessions (교육 차수) and enrolments for the courses that `flask courses sync` created.

Upcoming sessions fall on weekdays 2–8 weeks ahead in Seoul working hours; a few finished
sessions lie in the past. Enrolments go through the real enrolment rules
(portal.enrollment.operations.enrol, as the demo coordinator), so seat counters, the
waitlist, notifications and the outbox look exactly as they would in use. Two sessions
are set up for the browser test and for trying the waitlist by hand:

- 챗GPT 특강 1차: 30 seats with 29 taken, so the next person gets the last seat and the
  one after joins the waitlist;
- the next round of 공공데이터 이해와 챗GPT 활용방안: full, with 5 people waiting.

Everything is deterministic for a given day (one seeded random generator).
"""

from __future__ import annotations

import datetime as dt
import random
import re
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, insert, select

from portal.attendance import completion
from portal.attendance.models import AttendanceMark, AttendanceStatus, MarkSource
from portal.attendance.schedule import session_days
from portal.audit.operations import record
from portal.catalog.models import Category, Course, Format, Level
from portal.core.clock import SEOUL
from portal.db import db
from portal.enrollment.models import Enrollment, EnrollmentStatus
from portal.enrollment.operations import Actor, enrol
from portal.scheduling.models import SessionStatus, TrainingSession
from portal.scheduling.operations import SessionInput, create_session
from portal.scheduling.queries import next_round_number
from portal.users.models import Role, User

RANDOM_SEED = 2026
COORDINATOR_NUMBER = "D0002"
INSTRUCTOR_NUMBER = "D0003"
DEMO_NUMBERS = ("D0001", "D0002", "D0003", "D0004")
STAFF_NUMBER = "D0004"

# The two sessions the browser test (tests/e2e/test_enrolment_flow.py) relies on.
LAST_SEAT_SLUG = "chatgpt-special-lecture"
LAST_SEAT_CAPACITY = 30
FULL_SLUG = "public-data-chatgpt"
FULL_WAITLIST = 5
# The 활용 course that gets a two-day session (first one present wins).
TWO_DAY_SLUGS = ("hyperscale-ai-report-drafting", "hyperscale-ai-idea-discovery")
# D0004, a new appointee, is also on one upcoming online session (a link in My learning).
STAFF_UPCOMING_SLUG = "hyperscale-ai-platform"

# Upcoming sessions start 2 to 8 weeks from today.
FIRST_DAY = 14
LAST_DAY = 56

# Fixed-date public holidays (lunar ones move every year and are left out).
HOLIDAYS = frozenset({(1, 1), (3, 1), (5, 5), (6, 6), (8, 15), (10, 3), (10, 9), (12, 25)})

MEETING_HOST = "https://meet.sejong.example.kr"  # .example.kr: never a real service
CITY_HALL_HALL = "세종시청 4층 대회의실"
CITY_HALL_ROOM = "세종시청 2층 여민실"
TRAINING_CENTRE = "세종시 인재개발 교육장"
PC_LAB = "세종시청 별관 3층 정보화교육장"


@dataclass(frozen=True)
class PastPlan:
    slug: str
    days_ago: int
    capacity: int
    attended: int
    cancelled: int


# Finished sessions: each becomes round 1 of its course.
PAST_SESSIONS = (
    PastPlan("public-data-chatgpt", days_ago=36, capacity=40, attended=37, cancelled=2),
    PastPlan("new-appointee-genai-essentials", days_ago=22, capacity=30, attended=18, cancelled=1),
    PastPlan("genai-security-privacy", days_ago=10, capacity=50, attended=31, cancelled=3),
)


@dataclass(frozen=True)
class SessionNote:
    """One session the summary points out (printed by `flask demo seed`)."""

    session_id: int
    course_slug: str
    course_title: str
    round_number: int
    starts_at: dt.datetime
    capacity: int
    seats_taken: int
    waitlisted: int


@dataclass(frozen=True)
class SessionsSummary:
    upcoming: int
    finished: int
    enrolled: int
    waitlisted: int
    past_attendances: int
    last_seat: SessionNote | None
    full_with_waitlist: SessionNote | None


@dataclass
class _Plan:
    """An upcoming session before it exists."""

    course: Course
    day: dt.date
    capacity: int
    two_day: bool = False
    fill: int = 0  # how many people to enrol (beyond capacity: the waitlist)
    role: str = ""  # "last_seat", "full" or "staff" (D0004 joins it); "" for the rest


def seoul_at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    """A Seoul wall-clock time as a UTC datetime."""
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=SEOUL).astimezone(dt.UTC)


def is_working_day(day: dt.date) -> bool:
    return day.weekday() < 5 and (day.month, day.day) not in HOLIDAYS


def _working_day_on_or_before(day: dt.date) -> dt.date:
    while not is_working_day(day):
        day -= dt.timedelta(days=1)
    return day


_TIMETABLE_ROW = re.compile(
    r"^\|\s*(\d{1,2}):(\d{2})\s*[–-]\s*(\d{1,2}):(\d{2})\s*\|", re.MULTILINE
)

Slot = tuple[tuple[int, int], tuple[int, int]]


def _slot(course: Course, rng: random.Random) -> Slot:
    """Seoul working hours for a session: the course description's timetable, if it has one."""
    rows = _TIMETABLE_ROW.findall(course.description_md or "")
    if rows:
        first, last = rows[0], rows[-1]
        start, end = (int(first[0]), int(first[1])), (int(last[2]), int(last[3]))
        if (9, 0) <= start < end <= (18, 0):
            return start, end
    return hours_slot(course.recognised_hours, rng)


def hours_slot(hours: Decimal, rng: random.Random) -> Slot:
    """Seoul working hours that fit a course's recognised hours."""
    if hours <= 2:
        return rng.choice((((10, 0), (12, 0)), ((14, 0), (16, 0))))
    if hours <= 3:
        return rng.choice((((9, 30), (12, 30)), ((14, 0), (17, 0))))
    if hours <= 4:
        return (13, 0), (17, 0)
    if hours <= 6:
        return (10, 0), (17, 0)
    return (9, 0), (18, 0)


def _place(course: Course, rng: random.Random) -> str:
    if course.format is Format.ONLINE:
        return ""
    if course.category is Category.PRACTICE:
        return PC_LAB
    if course.category is Category.SPECIAL:
        return CITY_HALL_HALL
    return rng.choice((CITY_HALL_HALL, CITY_HALL_ROOM, TRAINING_CENTRE))


def _capacity(course: Course, rng: random.Random) -> int:
    if course.category is Category.PRACTICE and course.format is not Format.ONLINE:
        return rng.choice((20, 24, 30))  # one PC per person in the lab
    if course.format is Format.ONLINE:
        return rng.choice((40, 50, 60))
    if course.category is Category.SPECIAL:
        return 60
    return rng.choice((30, 35, 40))


def _meeting_url(course: Course, round_number: int) -> str:
    return f"{MEETING_HOST}/room/{course.slug}-{round_number}"


# --- finished sessions -------------------------------------------------------------


def _past_session(
    plan: PastPlan,
    course: Course,
    people: list[User],
    instructor_id: int | None,
    rng: random.Random,
    today: dt.date,
) -> TrainingSession:
    """A finished round 1 with its enrolments written directly (enrol() refuses the past)."""
    day = _working_day_on_or_before(today - dt.timedelta(days=plan.days_ago))
    (sh, sm), (eh, em) = _slot(course, rng)
    starts_at, ends_at = seoul_at(day, sh, sm), seoul_at(day, eh, em)
    opens_at = seoul_at(day - dt.timedelta(days=21), 9)
    session = TrainingSession(
        course_id=course.id,
        round_number=1,
        starts_at=starts_at,
        ends_at=ends_at,
        place=_place(course, rng),
        online_url=_meeting_url(course, 1) if course.format is not Format.CLASSROOM else "",
        instructor_id=instructor_id,
        capacity=plan.capacity,
        seats_taken=plan.attended,
        enrol_opens_at=opens_at,
        enrol_closes_at=seoul_at(day - dt.timedelta(days=2), 18),
        cancel_deadline_at=starts_at - dt.timedelta(days=1),
        status=SessionStatus.FINISHED,
        created_at=opens_at - dt.timedelta(days=3),
        updated_at=ends_at,
    )
    db.session.add(session)
    db.session.flush()
    rows = []
    for position, user in enumerate(people, start=1):
        joined_at = opens_at + dt.timedelta(hours=position * 5 + rng.randint(0, 4))
        cancelled = position > plan.attended
        left_at = starts_at - dt.timedelta(days=rng.randint(2, 5)) if cancelled else None
        rows.append(
            Enrollment(
                session_id=session.id,
                user_id=user.id,
                status=EnrollmentStatus.CANCELLED if cancelled else EnrollmentStatus.ENROLLED,
                queue_key=position,
                source="self",
                created_at=joined_at,
                updated_at=left_at or joined_at,
                cancelled_at=left_at,
            )
        )
    db.session.add_all(rows)
    db.session.flush()
    attendees = [user for position, user in enumerate(people, start=1) if position <= plan.attended]
    _mark_attendance(session, attendees, instructor_id)
    return session


def _day_status(rng: random.Random) -> AttendanceStatus:
    """One person's attendance on one day: mostly present, a few late, excused or absent."""
    draw = rng.random()
    if draw < 0.82:
        return AttendanceStatus.PRESENT
    if draw < 0.90:
        return AttendanceStatus.LATE
    if draw < 0.94:
        return AttendanceStatus.EXCUSED
    return AttendanceStatus.ABSENT


def _mark_attendance(
    session: TrainingSession, attendees: list[User], marker_id: int | None
) -> None:
    """Attendance for every day of a finished session, in one INSERT: about half checked in
    themselves by QR, the rest marked on the roster at the end of the day.

    Uses its own random generator, so the rest of the demo stays as it was.
    """
    rng = random.Random(f"{RANDOM_SEED}-attendance-{session.course_id}")
    rows = []
    for user in attendees:
        for day in session_days(session):
            # The demo staff member, D0004, attended in full (My learning shows a 수료).
            status = AttendanceStatus.PRESENT if user.employee_number == STAFF_NUMBER else None
            status = status or _day_status(rng)
            checked_in_at = None
            if status is AttendanceStatus.PRESENT and rng.random() < 0.5:
                checked_in_at = day.starts_at - dt.timedelta(minutes=rng.randint(1, 15))
            elif status is AttendanceStatus.LATE and rng.random() < 0.7:
                checked_in_at = day.starts_at + dt.timedelta(minutes=rng.randint(11, 50))
            rows.append(
                {
                    "session_id": session.id,
                    "user_id": user.id,
                    "day": day.day,
                    "status": status,
                    "source": MarkSource.CHECKIN if checked_in_at else MarkSource.ROSTER,
                    "checked_in_at": checked_in_at,
                    "marked_by_id": None if checked_in_at else marker_id,
                    "marked_at": checked_in_at or day.ends_at,
                    "version": 1,
                }
            )
    if rows:
        db.session.execute(insert(AttendanceMark), rows)


def judge_past_sessions() -> Counter[str]:
    """Completion (수료) for the finished demo sessions, through the real rule.

    Run after the practice seed, so passed exercise reviews count. Nobody is notified:
    these sessions ended weeks ago.
    """
    tally: Counter[str] = Counter()
    session_ids = db.session.scalars(
        select(TrainingSession.id)
        .where(TrainingSession.status == SessionStatus.FINISHED)
        .order_by(TrainingSession.id)
    ).all()
    for session_id in session_ids:
        for change in completion.refresh(session_id, notify_learners=False):
            tally[change.after.value] += 1
    return tally


# --- upcoming sessions -------------------------------------------------------------


def _free_days(today: dt.date, reserved: set[dt.date]) -> list[dt.date]:
    """Working days 2 to 8 weeks ahead that no session has taken yet."""
    return [
        day
        for offset in range(FIRST_DAY, LAST_DAY + 1)
        if is_working_day(day := today + dt.timedelta(days=offset)) and day not in reserved
    ]


def _fit(counts: dict[str, int], room: int) -> None:
    """Drop extra rounds (never a course's only one) until the sessions fit the free days."""
    while sum(counts.values()) > room:
        slug = max(counts, key=lambda s: counts[s])
        if counts[slug] <= 1:
            return
        counts[slug] -= 1


def _two_day_start(today: dt.date, rng: random.Random) -> dt.date | None:
    # A Tuesday or Wednesday in weeks 4–6, so both days are working days.
    candidates = [
        day
        for offset in range(28, 42)
        if (day := today + dt.timedelta(days=offset)).weekday() in (1, 2)
        and is_working_day(day)
        and is_working_day(day + dt.timedelta(days=1))
    ]
    return rng.choice(candidates) if candidates else None


def _plan_upcoming(courses: list[Course], today: dt.date, rng: random.Random) -> list[_Plan]:
    """1–3 sessions per course, each on its own weekday, so nobody's enrolments overlap."""
    counts = {
        c.slug: 2 if c.slug in (LAST_SEAT_SLUG, FULL_SLUG) else rng.randint(1, 3) for c in courses
    }
    applied = {c.slug for c in courses if c.level is Level.APPLIED}
    two_day_slug = next((s for s in TWO_DAY_SLUGS if s in applied), None)
    reserved: set[dt.date] = set()
    two_day_on = None
    if two_day_slug is not None:
        two_day_on = _two_day_start(today, rng)
    if two_day_slug is not None and two_day_on is not None:
        reserved = {two_day_on, two_day_on + dt.timedelta(days=1)}
        counts[two_day_slug] = max(0, counts[two_day_slug] - 1)
    free = _free_days(today, reserved)
    _fit(counts, len(free))
    days = rng.sample(free, min(sum(counts.values()), len(free)))
    plans: list[_Plan] = []
    for course in courses:
        mine, days = days[: counts[course.slug]], days[counts[course.slug] :]
        plans.extend(_Plan(course, day, _capacity(course, rng)) for day in mine)
        if course.slug == two_day_slug and two_day_on is not None:
            plans.append(_Plan(course, two_day_on, _capacity(course, rng), two_day=True))
    # Round numbers follow the dates within each course.
    plans.sort(key=lambda p: (p.course.sort_order, p.course.slug, p.day))
    seen: set[str] = set()
    for plan in plans:
        first = plan.course.slug not in seen
        seen.add(plan.course.slug)
        if first and plan.course.slug == LAST_SEAT_SLUG:
            plan.capacity, plan.fill, plan.role = (
                LAST_SEAT_CAPACITY,
                LAST_SEAT_CAPACITY - 1,
                "last_seat",
            )
        elif first and plan.course.slug == FULL_SLUG:
            plan.fill, plan.role = plan.capacity + FULL_WAITLIST, "full"
        else:
            plan.fill = round(plan.capacity * rng.uniform(0.35, 0.85))
        if first and plan.course.slug == STAFF_UPCOMING_SLUG:
            plan.role = "staff"
    return plans


def _create_upcoming(
    plan: _Plan, instructor_id: int, rng: random.Random, today: dt.date
) -> TrainingSession:
    """An upcoming session through the scheduling rules (audited as session.created)."""
    course = plan.course
    (sh, sm), (eh, em) = _slot(course, rng)
    notes = ""
    if plan.two_day:
        notes = f"2일 과정입니다. 이틀 모두 {sh:02d}:{sm:02d}–{eh:02d}:{em:02d}에 진행합니다."
    teacher: int | None = instructor_id
    if course.category is Category.SPECIAL:
        teacher = None  # an invited outside speaker, who has no portal account
        notes = "외부 전문가를 초청하는 특강입니다. 강사는 확정되면 안내합니다."
    end_day = plan.day + dt.timedelta(days=1 if plan.two_day else 0)
    starts_at = seoul_at(plan.day, sh, sm)
    opens_on = today - dt.timedelta(days=rng.randint(3, 10))
    online = course.format is not Format.CLASSROOM
    return create_session(
        SessionInput(
            course_id=course.id,
            starts_at=starts_at,
            ends_at=seoul_at(end_day, eh, em),
            capacity=plan.capacity,
            place=_place(course, rng),
            # The meeting room is named after the round.
            online_url=_meeting_url(course, next_round_number(course.id)) if online else "",
            instructor_id=teacher,
            enrol_opens_at=seoul_at(opens_on, 9),
            enrol_closes_at=seoul_at(plan.day - dt.timedelta(days=2), 18),
            cancel_deadline_at=starts_at - dt.timedelta(days=1),
            notes=notes,
        )
    )


def _note(session: TrainingSession, course: Course) -> SessionNote:
    waitlisted = db.session.scalar(
        select(func.count(Enrollment.id)).where(
            Enrollment.session_id == session.id,
            Enrollment.status == EnrollmentStatus.WAITLISTED,
        )
    )
    return SessionNote(
        session_id=session.id,
        course_slug=course.slug,
        course_title=course.title,
        round_number=session.round_number,
        starts_at=session.starts_at,
        capacity=session.capacity,
        seats_taken=session.seats_taken,
        waitlisted=waitlisted or 0,
    )


# --- the whole thing ---------------------------------------------------------------


def demo_users() -> dict[str, User]:
    return {
        u.employee_number: u
        for u in db.session.scalars(select(User).where(User.employee_number.in_(DEMO_NUMBERS)))
    }


def ordinary_staff() -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .where(
                User.role == Role.STAFF,
                User.is_active.is_(True),
                User.employee_number.not_in(DEMO_NUMBERS),
            )
            .order_by(User.id)
        )
    )


def _newcomers_first(
    staff: list[User], count: int, appointed_before: dt.date, skip: set[int], rng: random.Random
) -> list[User]:
    """For a course mandatory for new appointees: those appointed in the last 90 days first."""
    since = appointed_before - dt.timedelta(days=90)
    fresh = [
        u
        for u in staff
        if u.id not in skip and u.appointed_on and since <= u.appointed_on < appointed_before
    ]
    chosen = rng.sample(fresh, min(count, len(fresh)))
    picked = {u.id for u in chosen} | skip
    others = [u for u in staff if u.id not in picked]
    return chosen + rng.sample(others, count - len(chosen))


def seed_sessions(*, today: dt.date) -> SessionsSummary | None:
    """Create demo sessions and enrolments for the active courses; None when there are none.

    Runs in the caller's transaction after seed_demo() (flushed, not committed).
    """
    courses = list(
        db.session.scalars(
            select(Course)
            .where(Course.is_active.is_(True))
            .order_by(Course.sort_order, Course.slug)
        )
    )
    if not courses:
        return None
    rng = random.Random(RANDOM_SEED)
    demo = demo_users()
    instructor_id = demo[INSTRUCTOR_NUMBER].id
    # The demo coordinator enrols people as a bulk enrolment would (audited override).
    coordinator = Actor(demo[COORDINATOR_NUMBER].id, is_coordinator=True, override=True)
    staff = ordinary_staff()
    by_slug = {c.slug: c for c in courses}
    done_mandatory: set[int] = set()

    finished = past_attendances = 0
    for past in PAST_SESSIONS:
        course = by_slug.get(past.slug)
        if course is None:
            continue
        size = past.attended + past.cancelled
        if course.is_mandatory_for_new:
            day = today - dt.timedelta(days=past.days_ago)
            people = _newcomers_first(staff, size - 1, day, set(), rng)
            # The demo staff member, appointed 30 days ago, took this one.
            people.insert(rng.randint(0, past.attended - 1), demo[STAFF_NUMBER])
            done_mandatory = {u.id for u in people}
        else:
            people = rng.sample(staff, size)
        teacher = None if course.category is Category.SPECIAL else instructor_id
        _past_session(past, course, people, teacher, rng, today)
        finished += 1
        past_attendances += past.attended

    plans = _plan_upcoming(courses, today, rng)
    notes: dict[str, SessionNote] = {}
    enrolled = waitlisted = 0
    for plan in plans:
        session = _create_upcoming(plan, instructor_id, rng, today)
        if plan.course.is_mandatory_for_new:
            people = _newcomers_first(staff, plan.fill, today, done_mandatory, rng)
            done_mandatory |= {u.id for u in people}
        else:
            people = rng.sample(staff, min(plan.fill, len(staff)))
        if plan.role == "staff":
            people.append(demo[STAFF_NUMBER])
        for user in people:
            result = enrol(session.id, user, coordinator, confirm_overlap=True, source="bulk")
            if result.outcome is EnrollmentStatus.ENROLLED:
                enrolled += 1
            elif result.outcome is EnrollmentStatus.WAITLISTED:
                waitlisted += 1
        if plan.role in ("last_seat", "full"):
            notes[plan.role] = _note(session, plan.course)

    summary = SessionsSummary(
        upcoming=len(plans),
        finished=finished,
        enrolled=enrolled,
        waitlisted=waitlisted,
        past_attendances=past_attendances,
        last_seat=notes.get("last_seat"),
        full_with_waitlist=notes.get("full"),
    )
    record(
        "demo.sessions_seeded",
        details={
            "upcoming": summary.upcoming,
            "finished": summary.finished,
            "enrolled": summary.enrolled,
            "waitlisted": summary.waitlisted,
            "past_attendances": summary.past_attendances,
        },
    )
    return summary
