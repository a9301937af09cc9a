"""`flask demo seed --scale medium|large`: a whole year of a big organisation, for benchmarks.

Where the default seed (``flask demo seed``, what ``make run`` uses) makes about 300 staff
and a few dozen sessions through the portal's own operations, a scaled seed writes tens or
hundreds of thousands of rows with bulk Core INSERTs (one ``executemany`` per chunk):

========  ======  ========  ==========  ================
scale     staff   sessions  enrolments  sandbox messages
========  ======  ========  ==========  ================
medium    2,000   200       20,000      50,000
large     20,000  2,000     200,000     500,000
========  ======  ========  ==========  ================

medium is exactly a tenth of large, so the benchmarks can compare 1× and 10× data. The
counts are exact totals (the four demo accounts are among the staff). Around them:

* the Sejong department tree of the default seed, plus one 행정복지센터 (a 실·국-level
  department with 과 and 팀) per thousand staff;
* new appointees appointed in the last half year, some of them overdue on the course that is
  mandatory for new appointees, and a department head in every 실·국 and 과;
* sessions across twelve months: finished ones with attendance marks, completions, hours
  ledger lines and anonymous survey answers; upcoming ones with waitlists and pending
  approvals; a few cancelled ones;
* sandbox conversations with token counts and model keys, answer ratings, guard events of
  several kinds, exercise drafts and submissions with minutes_spent / minutes_without_ai;
* outbox mail about the sessions, some of it failed.

Every row keeps the models' invariants: ``seats_taken`` equals the session's ENROLLED rows and
never exceeds its capacity, one enrolment / completion / mark / receipt per person and
session, one rating per message, one submission per draft, unique e-mail addresses and
employee numbers. Primary keys are assigned here (the tables start empty), so related rows
need no read-back; on PostgreSQL the id sequences are moved past them at the end.

Everything runs in the caller's one transaction (``db.command_transaction()``): a failure or
Ctrl-C half-way rolls everything back and leaves the database as empty as it was. Nothing
here commits. Deterministic for a given day (seeded random generators).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

from sqlalchemy import func, insert, select, text

from portal.assistant.guard import detect, masking
from portal.assistant.models import (
    AssistantMessage,
    Conversation,
    DataGrade,
    Draft,
    DraftVersion,
    Exercise,
    GuardDecision,
    GuardEvent,
    MessageDay,
    MessageRating,
    MessageStatus,
    ModelSetting,
    PolicyAcceptance,
    Submission,
    message_day_row,
    message_day_sums,
)
from portal.attendance.models import (
    AttendanceMark,
    AttendanceStatus,
    Completion,
    CompletionStatus,
    HoursEntry,
    HoursEvidence,
    HoursSource,
    HoursStatus,
    MarkSource,
    refresh_hours_years,
)
from portal.audit.operations import record
from portal.auth.passwords import hash_password
from portal.catalog.models import Category, Course, Format
from portal.core.clock import SEOUL, utcnow
from portal.db import db
from portal.demo import seed as base
from portal.demo.names import person_name
from portal.demo.sessions import (
    CITY_HALL_HALL,
    CITY_HALL_ROOM,
    MEETING_HOST,
    PC_LAB,
    TRAINING_CENTRE,
    hours_slot,
    is_working_day,
    seoul_at,
)
from portal.enrollment.models import Enrollment, EnrollmentStatus
from portal.notifications.models import OutboxMessage, OutboxStatus
from portal.org.models import Department, DepartmentKind
from portal.scheduling.models import SessionStatus, TrainingSession
from portal.surveys.models import SurveyReceipt, SurveyResponse
from portal.users.models import Role, User

RANDOM_SEED = 2028
CHUNK = 5_000  # rows per executemany

# Sessions lie between PAST_DAYS ago and FUTURE_DAYS ahead: about 85 % finished.
PAST_DAYS = 330
FUTURE_DAYS = 60
CANCELLED_SHARE = 0.02  # upcoming sessions called off (every enrolment cancelled)
NEW_APPOINTEE_SHARE = 0.06  # appointed in the last NEW_APPOINTEE_DAYS
NEW_APPOINTEE_DAYS = 180
SANDBOX_SHARE = 0.45  # staff who accepted the sandbox policy
MESSAGES_PER_CONVERSATION = 10  # on average; always an even number (question + answer)
DRAFT_SHARE = 0.10  # conversations that belong to an exercise draft
RATED_SHARE = 0.08  # answers rated by their reader
GUARD_SHARE = 0.03  # conversations with guard events
OUTBOX_PER_ENROLMENT = 0.05
FAILED_MAIL_SHARE = 0.04

# Model keys of the sandbox figures: the built-in offline coach and two configured models
# with admin-set prices (won per million tokens). "legacy-model" has no price on purpose:
# the dashboards must show its cost as unknown, not as zero.
MODEL_KEYS = ("offline", "gpt-4o-mini", "sejong-internal-llm", "legacy-model")
MODEL_WEIGHTS = (30, 45, 20, 5)
MODEL_PRICES = {
    "gpt-4o-mini": (Decimal("220.00"), Decimal("880.00"), False),
    "sejong-internal-llm": (Decimal("90.00"), Decimal("90.00"), True),
}

# The 행정복지센터 added per thousand staff (읍·면·동 of Sejong), with their 과 and 팀.
CENTRES = (
    "조치원읍", "연기면", "연동면", "부강면", "금남면", "장군면", "연서면", "전의면",
    "전동면", "소정면", "한솔동", "새롬동", "나성동", "도담동", "어진동", "해밀동",
    "아름동", "종촌동", "고운동", "보람동", "대평동", "소담동", "반곡동", "다정동",
)  # fmt: skip
CENTRE_DIVISIONS = (
    ("행정민원과", ("민원팀", "행정팀")),
    ("맞춤형복지과", ("복지팀", "돌봄팀")),
    ("산업건설과", ("건설팀", "환경팀")),
)

QUESTIONS = (
    "{topic} 보도자료 초안의 개요를 잡아 주세요.",
    "{topic} 관련 민원 답변을 공손한 문체로 다듬어 주세요.",
    "{topic} 계획 보고서의 추진 배경을 세 문장으로 정리해 주세요.",
    "{topic} 안내문을 어르신도 읽기 쉽게 바꿔 주세요.",
    "{topic} 회의 결과를 한 쪽 요약으로 만들어 주세요.",
    "{topic} 자료의 표를 문장으로 풀어 설명해 주세요.",
)
ANSWERS = (
    "□ 추진 배경\n ○ {topic}에 대한 시민 관심 증가\n□ 주요 내용\n ○ 일정·대상·방법\n□ 향후 계획",
    "{topic} 관련 문의에 감사드립니다. 요청하신 사항은 담당 부서에서 검토 후 회신드리겠습니다.",
    "{topic}은(는) 시민 편의를 높이고 행정 효율을 개선하기 위해 추진합니다. 관계 부서와 협의를 마쳤습니다.",
    "{topic} 안내: 신청은 가까운 행정복지센터에서 하실 수 있습니다. 준비물은 신분증입니다.",
)
TOPICS = (
    "공공자전거", "폐기물 배출", "청년 일자리", "어르신 돌봄", "세종 축제", "도시 재생",
    "대중교통 개편", "재난 대비", "스마트 농업", "문화 예술 지원", "탄소 중립", "민원 처리",
)  # fmt: skip
RATING_REASONS = (["well_structured"], ["saved_time"], ["accurate"], [], ["too_long"])
PASTED_SAMPLES = (
    "민원인 연락처 010-3141-5926 으로 회신 요청",
    "담당자 메일 minwon.demo@example.kr 로 자료 송부",
    "신청인 주민등록번호 850315-2345671 확인 후 처리",
    "환급 계좌 110-234-567890 (신한) 로 입금 예정",
)
REFUSED_SAMPLE = "[대외비] 2027년 조직 개편안 초안"
EXTERNAL_PROVIDERS = ("나라배움터", "지방자치인재개발원", "세종시 인재개발원")
FAILED_MAIL_ERRORS = ("SMTP 550: mailbox unavailable", "SMTP timeout after 30 s")
EVIDENCE = b"%PDF-1.4\n% demo evidence (fictional)\n"


@dataclass(frozen=True)
class ScalePlan:
    """Exact totals a scaled seed creates."""

    name: str
    staff: int
    sessions: int
    enrolments: int
    messages: int

    @property
    def conversations(self) -> int:
        return max(1, self.messages // MESSAGES_PER_CONVERSATION)

    @property
    def centres(self) -> int:
        return min(len(CENTRES), self.staff // 1000)

    def fraction(self, denominator: int) -> ScalePlan:
        """This plan divided by ``denominator`` (the tests run 1/100 of large)."""
        return ScalePlan(
            f"{self.name}/{denominator}",
            self.staff // denominator,
            self.sessions // denominator,
            self.enrolments // denominator,
            self.messages // denominator,
        )


LARGE = ScalePlan("large", staff=20_000, sessions=2_000, enrolments=200_000, messages=500_000)
MEDIUM = LARGE.fraction(10)
MEDIUM = ScalePlan("medium", MEDIUM.staff, MEDIUM.sessions, MEDIUM.enrolments, MEDIUM.messages)
SCALES = {"medium": MEDIUM, "large": LARGE}


class Progress(Protocol):
    """Told about each table as it fills (the CLI draws a progress bar per table)."""

    def start(self, table: str, total: int) -> None: ...

    def advance(self, rows: int) -> None: ...

    def finish(self) -> None: ...


class NoProgress:
    def start(self, table: str, total: int) -> None:
        pass

    def advance(self, rows: int) -> None:
        pass

    def finish(self) -> None:
        pass


@dataclass(frozen=True)
class ScaleSummary:
    plan: ScalePlan
    counts: dict[str, int]


class ScaleSeedRefused(base.DemoSeedRefused):
    """Refused before writing anything (not empty, no courses, an impossible plan)."""


# --------------------------------------------------------------------------- helpers


class _Ids:
    """Primary keys handed out here, after whatever the table already holds."""

    def __init__(self) -> None:
        self._next: dict[str, int] = {}

    def take(self, model: type, count: int = 1) -> int:
        table = model.__table__
        if table.name not in self._next:
            highest = db.session.scalar(select(func.max(table.c.id))) or 0
            self._next[table.name] = highest + 1
        first = self._next[table.name]
        self._next[table.name] = first + count
        return first

    def tables(self) -> list[str]:
        return list(self._next)


class _Writer:
    """Bulk INSERTs in chunks, counted per table and reported to the progress display."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.counts: dict[str, int] = {}

    def write(self, model: type, rows: Iterable[dict[str, Any]], total: int) -> int:
        table = model.__table__
        self.progress.start(table.name, total)
        written = 0
        chunk: list[dict[str, Any]] = []
        for row in rows:
            chunk.append(row)
            if len(chunk) >= CHUNK:
                written += self._flush(table, chunk)
                chunk = []
        if chunk:
            written += self._flush(table, chunk)
        self.progress.finish()
        self.counts[table.name] = self.counts.get(table.name, 0) + written
        return written

    def _flush(self, table, chunk: list[dict[str, Any]]) -> int:
        db.session.execute(insert(table), chunk)
        self.progress.advance(len(chunk))
        return len(chunk)


def _split(total: int, parts: int, rng: random.Random, spread: float) -> list[int]:
    """``parts`` sizes around total/parts (± spread of it) that add up to exactly ``total``."""
    if parts <= 0:
        return []
    mean = total / parts
    sizes = [max(0.0, mean * (1 + rng.uniform(-spread, spread))) for _ in range(parts)]
    scale = total / sum(sizes) if sum(sizes) else 0
    rounded = [int(s * scale) for s in sizes]
    for i in range(total - sum(rounded)):
        rounded[i % parts] += 1
    return rounded


# --------------------------------------------------------------------------- people


@dataclass
class _Staff:
    ids: list[int]
    department: dict[int, int]  # user id -> department id
    appointed: dict[int, dt.date]
    email: dict[int, str]
    instructors: list[int]
    coordinator_id: int


def _centres(org: base.Org, count: int) -> list[tuple[Department, base.DivisionPlan]]:
    """Extra 행정복지센터 (실·국 level) with their 과 and 팀; returns the new teams."""
    teams: list[tuple[Department, base.DivisionPlan]] = []
    for c in range(count):
        bureau = Department(
            code=f"SJ-C{c + 1:02d}", name=f"{CENTRES[c]} 행정복지센터", kind=DepartmentKind.BUREAU
        )
        db.session.add(bureau)
        db.session.flush()
        org.bureaus.append(bureau)
        for d, (division_name, team_names) in enumerate(CENTRE_DIVISIONS, start=1):
            plan = base.DivisionPlan(division_name, team_names)
            division = Department(
                code=f"SJ-C{c + 1:02d}{d}",
                name=f"{CENTRES[c]} {division_name}",
                kind=DepartmentKind.DIVISION,
                parent_id=bureau.id,
            )
            db.session.add(division)
            db.session.flush()
            org.divisions.append((division, plan))
            for t, team_name in enumerate(team_names, start=1):
                team = Department(
                    code=f"SJ-C{c + 1:02d}{d}-{t:02d}",
                    name=team_name,
                    kind=DepartmentKind.TEAM,
                    parent_id=division.id,
                )
                db.session.add(team)
                teams.append((team, plan))
    db.session.flush()
    org.teams.extend(teams)
    return teams


def _people(
    plan: ScalePlan, org: base.Org, ids: _Ids, writer: _Writer, today: dt.date, now: dt.datetime
) -> _Staff:
    rng = random.Random(f"{RANDOM_SEED}-people")
    password_hash = hash_password(base.DEMO_PASSWORD)
    demo = base.demo_users(org, password_hash, today, now)
    db.session.add_all(demo)
    db.session.flush()
    people = base.People(rng, today, now)
    for user in demo:
        people.emails.add(user.email)
    count = plan.staff - len(demo)
    if count < len(org.bureaus) + len(org.divisions):
        raise ScaleSeedRefused(
            f"직원 {plan.staff}명으로는 부서마다 한 명씩 둘 수 없습니다 (부서 {len(org.bureaus) + len(org.divisions)}개)."
        )
    first = ids.take(User, count)
    staff = _Staff(
        ids=[],
        department={},
        appointed={},
        email={},
        instructors=[u.id for u in demo if u.role is Role.INSTRUCTOR],
        coordinator_id=next(u.id for u in demo if u.role is Role.COORDINATOR),
    )
    for user in demo:
        staff.department[user.id] = user.department_id
        staff.appointed[user.id] = user.appointed_on
        staff.email[user.id] = user.email
    # Heads first: one per 실·국 and 과; then everyone else placed in the teams.
    heads = [(b, 4, None) for b in org.bureaus] + [
        (d, rng.choice((4, 5)), p) for d, p in org.divisions
    ]
    new_appointees = round(count * NEW_APPOINTEE_SHARE)
    instructors = max(1, count // 500)
    coordinators = max(1, count // 2000)

    def rows() -> Iterator[dict[str, Any]]:
        for n in range(count):
            user_id = first + n
            head = n < len(heads)
            if head:
                department, level, division_plan = heads[n]
                appointed_on = people._appointed_on(level)
            else:
                department, division_plan = rng.choice(org.teams)
                if n < len(heads) + new_appointees:
                    level = rng.choices((7, 8, 9), weights=(2, 1, 7))[0]
                    appointed_on = today - dt.timedelta(days=rng.randint(3, NEW_APPOINTEE_DAYS))
                else:
                    level = rng.choices(base.MEMBER_LEVELS, weights=base.MEMBER_WEIGHTS)[0]
                    appointed_on = people._appointed_on(level)
            name, sur_roman, given_roman = person_name(rng)
            email = people._email(sur_roman, given_roman)
            role = Role.STAFF
            if not head and n >= count - instructors:
                role = Role.INSTRUCTOR
            elif not head and n >= count - instructors - coordinators:
                role = Role.COORDINATOR
            staff.ids.append(user_id)
            staff.department[user_id] = department.id
            staff.appointed[user_id] = appointed_on
            staff.email[user_id] = email
            if role is Role.INSTRUCTOR:
                staff.instructors.append(user_id)
            yield {
                "id": user_id,
                "employee_number": people._employee_number(appointed_on.year),
                "name": name,
                "email": email,
                "department_id": department.id,
                "grade": people._grade(level, division_plan),
                "appointed_on": appointed_on,
                "role": role,
                "locale": "ko",
                "is_active": True,
                "is_department_head": head,
                "password_hash": None,
                "failed_login_count": 0,
                "created_at": now,
            }

    writer.write(User, rows(), count)
    writer.counts["users"] += len(demo)
    return staff


# --------------------------------------------------------------------------- sessions


@dataclass
class _Session:
    id: int
    course: Course
    starts_at: dt.datetime
    ends_at: dt.datetime
    capacity: int
    status: SessionStatus
    people: list[int]  # enrolment order
    statuses: list[EnrollmentStatus]

    @property
    def finished(self) -> bool:
        return self.status is SessionStatus.FINISHED

    def enrolled(self) -> list[int]:
        return [
            u
            for u, s in zip(self.people, self.statuses, strict=True)
            if s is EnrollmentStatus.ENROLLED
        ]


def _session_days(today: dt.date, rng: random.Random, count: int) -> list[dt.date]:
    """Working days for ``count`` sessions, sorted: finished and upcoming in proportion to
    the two windows, and at least one of each."""
    past, future = [], []
    for offset in range(-PAST_DAYS, FUTURE_DAYS + 1):
        day = today + dt.timedelta(days=offset)
        if offset and is_working_day(day):
            (past if offset < 0 else future).append(day)
    upcoming = min(count - 1, max(1, round(count * FUTURE_DAYS / (PAST_DAYS + FUTURE_DAYS))))
    return sorted(
        [rng.choice(past) for _ in range(count - upcoming)]
        + [rng.choice(future) for _ in range(upcoming)]
    )


def _place(course: Course, rng: random.Random) -> str:
    if course.format is Format.ONLINE:
        return ""
    if course.category is Category.PRACTICE:
        return PC_LAB
    if course.category is Category.SPECIAL:
        return CITY_HALL_HALL
    return rng.choice((CITY_HALL_HALL, CITY_HALL_ROOM, TRAINING_CENTRE))


def _statuses(
    size: int, capacity: int, finished: bool, approval: bool, cancelled: bool, rng: random.Random
) -> list[EnrollmentStatus]:
    """Statuses in enrolment order: confirmed up to capacity, then the waitlist; cancellations
    and (for courses needing approval) requests and declines mixed in."""
    out: list[EnrollmentStatus] = []
    enrolled = 0
    for _ in range(size):
        draw = rng.random()
        if cancelled or draw < 0.08:
            out.append(EnrollmentStatus.CANCELLED)
        elif approval and draw < 0.12:
            out.append(EnrollmentStatus.DECLINED)
        elif approval and not finished and draw < 0.20:
            out.append(EnrollmentStatus.REQUESTED)
        elif enrolled < capacity:
            out.append(EnrollmentStatus.ENROLLED)
            enrolled += 1
        else:
            # A finished session's waitlist was let go when it began.
            out.append(EnrollmentStatus.CANCELLED if finished else EnrollmentStatus.WAITLISTED)
    return out


def _sessions(
    plan: ScalePlan,
    courses: list[Course],
    staff: _Staff,
    ids: _Ids,
    writer: _Writer,
    today: dt.date,
    now: dt.datetime,
) -> list[_Session]:
    rng = random.Random(f"{RANDOM_SEED}-sessions")
    days = _session_days(today, rng, plan.sessions)
    sizes = _split(plan.enrolments, plan.sessions, rng, 0.4)
    pool = staff.ids
    if sizes and max(sizes) > len(pool):
        raise ScaleSeedRefused(
            f"차수당 신청 {max(sizes)}건은 직원 {len(pool)}명보다 많습니다. 규모를 다시 정해 주세요."
        )
    first = ids.take(TrainingSession, plan.sessions)
    mandatory = [c for c in courses if c.is_mandatory_for_new]
    since = today - dt.timedelta(days=NEW_APPOINTEE_DAYS)
    newcomers = [u for u in pool if staff.appointed[u] >= since]
    # Six in ten new appointees take the mandatory course; the others never enrol in it,
    # so those appointed more than its deadline ago are overdue, the rest due soon.
    compliant = rng.sample(newcomers, round(len(newcomers) * 0.6))
    missing = set(newcomers) - set(compliant)
    others = [u for u in pool if u not in missing]
    sessions: list[_Session] = []
    # Every course in turn (a fresh order each cycle), so each has rounds across the year;
    # the last finished session is the mandatory course's, so recent appointees took it.
    order = []
    while len(order) < len(days):
        cycle = list(courses)
        rng.shuffle(cycle)
        order.extend(cycle)
    last_finished = max((n for n, day in enumerate(days) if day < today), default=None)
    if mandatory and last_finished is not None:
        swap = (
            order.index(mandatory[0], last_finished)
            if mandatory[0] in order[last_finished:]
            else None
        )
        if swap is not None:
            order[swap] = order[last_finished]
        order[last_finished] = mandatory[0]
    for n, (day, size) in enumerate(zip(days, sizes, strict=True)):
        course = order[n]
        (sh, sm), (eh, em) = hours_slot(course.recognised_hours, rng)
        finished = day < today
        cancelled = not finished and rng.random() < CANCELLED_SHARE
        status = (
            SessionStatus.FINISHED
            if finished
            else SessionStatus.CANCELLED
            if cancelled
            else SessionStatus.SCHEDULED
        )
        # Capacity a little below demand for a third of the upcoming sessions (a waitlist).
        demand = round(size * 0.85)
        capacity = max(10, demand - rng.randint(1, 15) if rng.random() < 0.35 else demand + 10)
        if course in mandatory:
            # New appointees appointed before the session, then anyone.
            eligible = [u for u in compliant if staff.appointed[u] < day]
            fresh = rng.sample(eligible, min(len(eligible), size // 2))
            taken = set(fresh)
            rest = [u for u in rng.sample(others, min(len(others), size * 2)) if u not in taken]
            people = (fresh + rest)[:size]
            if len(people) < size:  # a tiny organisation: fill up from everyone
                chosen = set(people)
                people += rng.sample([u for u in pool if u not in chosen], size - len(people))
        else:
            people = rng.sample(pool, size)
        sessions.append(
            _Session(
                id=first + n,
                course=course,
                starts_at=seoul_at(day, sh, sm),
                ends_at=seoul_at(day, eh, em),
                capacity=capacity,
                status=status,
                people=people,
                statuses=_statuses(
                    size, capacity, finished, course.requires_approval, cancelled, rng
                ),
            )
        )
    # Round numbers follow the dates within each course (the days are sorted).
    seen: dict[int, int] = {}
    instructors = staff.instructors

    def rows() -> Iterator[dict[str, Any]]:
        for s in sessions:
            seen[s.course.id] = seen.get(s.course.id, 0) + 1
            round_number = seen[s.course.id]
            day = s.starts_at.date()
            opens = seoul_at(day - dt.timedelta(days=28), 9)
            online = s.course.format is not Format.CLASSROOM
            yield {
                "id": s.id,
                "course_id": s.course.id,
                "round_number": round_number,
                "starts_at": s.starts_at,
                "ends_at": s.ends_at,
                "place": _place(s.course, rng),
                "online_url": f"{MEETING_HOST}/room/{s.course.slug}-{round_number}"
                if online
                else "",
                "instructor_id": None
                if s.course.category is Category.SPECIAL
                else instructors[s.id % len(instructors)],
                "capacity": s.capacity,
                "seats_taken": len(s.enrolled()),
                "enrol_opens_at": opens,
                "enrol_closes_at": seoul_at(day - dt.timedelta(days=2), 18),
                "cancel_deadline_at": s.starts_at - dt.timedelta(days=1),
                "status": s.status,
                "notes": "",
                "created_at": opens - dt.timedelta(days=3),
                "updated_at": min(now, s.ends_at),
            }

    writer.write(TrainingSession, rows(), len(sessions))
    return sessions


def _enrolments(
    sessions: list[_Session], ids: _Ids, writer: _Writer, total: int, coordinator_id: int
) -> None:
    rng = random.Random(f"{RANDOM_SEED}-enrolments")
    first = ids.take(Enrollment, total)

    def rows() -> Iterator[dict[str, Any]]:
        n = first
        for s in sessions:
            opens = s.starts_at - dt.timedelta(days=28)
            for position, (user_id, status) in enumerate(
                zip(s.people, s.statuses, strict=True), start=1
            ):
                joined = opens + dt.timedelta(minutes=position * 7 + rng.randint(0, 6))
                left = None
                if status is EnrollmentStatus.CANCELLED:
                    left = joined + dt.timedelta(days=rng.randint(1, 20))
                decided = status in (EnrollmentStatus.DECLINED,) or (
                    status is EnrollmentStatus.ENROLLED and s.course.requires_approval
                )
                yield {
                    "id": n,
                    "session_id": s.id,
                    "user_id": user_id,
                    "status": status,
                    "queue_key": position,
                    "source": "bulk" if position % 9 == 0 else "self",
                    "created_at": joined,
                    "updated_at": left or joined,
                    "cancelled_at": left,
                    "decided_by_id": coordinator_id if decided else None,
                }
                n += 1

    writer.write(Enrollment, rows(), total)


def _day_status(rng: random.Random) -> AttendanceStatus:
    draw = rng.random()
    if draw < 0.82:
        return AttendanceStatus.PRESENT
    if draw < 0.90:
        return AttendanceStatus.LATE
    if draw < 0.94:
        return AttendanceStatus.EXCUSED
    return AttendanceStatus.ABSENT


@dataclass
class _Finished:
    session: _Session
    marks: list[tuple[int, AttendanceStatus]]


def _attendance(
    sessions: list[_Session], ids: _Ids, writer: _Writer, marker_ids: list[int]
) -> list[_Finished]:
    rng = random.Random(f"{RANDOM_SEED}-attendance")
    finished = [
        _Finished(s, [(u, _day_status(rng)) for u in s.enrolled()]) for s in sessions if s.finished
    ]
    total = sum(len(f.marks) for f in finished)
    first = ids.take(AttendanceMark, total)

    def rows() -> Iterator[dict[str, Any]]:
        n = first
        for f in finished:
            s = f.session
            for user_id, status in f.marks:
                checked_in = None
                if status is AttendanceStatus.PRESENT and rng.random() < 0.5:
                    checked_in = s.starts_at - dt.timedelta(minutes=rng.randint(1, 15))
                elif status is AttendanceStatus.LATE and rng.random() < 0.7:
                    checked_in = s.starts_at + dt.timedelta(minutes=rng.randint(11, 50))
                yield {
                    "id": n,
                    "session_id": s.id,
                    "user_id": user_id,
                    "day": s.starts_at.astimezone(SEOUL).date(),
                    "status": status,
                    "source": MarkSource.CHECKIN if checked_in else MarkSource.ROSTER,
                    "checked_in_at": checked_in,
                    "marked_by_id": None if checked_in else marker_ids[s.id % len(marker_ids)],
                    "marked_at": checked_in or s.ends_at,
                    "version": 1,
                }
                n += 1

    writer.write(AttendanceMark, rows(), total)
    return finished


def _completions(
    finished: list[_Finished], ids: _Ids, writer: _Writer, today: dt.date, now: dt.datetime
) -> None:
    """Completions, the hours ledger, survey receipts and anonymous responses."""
    rng = random.Random(f"{RANDOM_SEED}-completions")
    completions: list[dict[str, Any]] = []
    receipts: list[tuple[_Session, int]] = []
    first = ids.take(Completion, sum(len(f.marks) for f in finished))
    n = first
    for f in finished:
        s = f.session
        course = s.course
        scheduled = Decimal((s.ends_at - s.starts_at).total_seconds() / 3600).quantize(
            Decimal("0.01")
        )
        recent = (today - s.starts_at.date()).days <= 21
        for user_id, status in f.marks:
            attended = status is not AttendanceStatus.ABSENT
            answered = attended and rng.random() < 0.6
            exercise_met = not course.requires_exercise or rng.random() < 0.8
            survey_met = not course.requires_survey or answered
            if not attended:
                outcome = CompletionStatus.NOT_COMPLETED
            elif exercise_met and survey_met:
                outcome = CompletionStatus.COMPLETED
            else:
                outcome = CompletionStatus.PENDING if recent else CompletionStatus.NOT_COMPLETED
            if answered:
                receipts.append((s, user_id))
            hours = scheduled
            if status is AttendanceStatus.LATE:
                hours = max(Decimal("0.00"), scheduled - Decimal("0.50"))
            elif status is AttendanceStatus.ABSENT:
                hours = Decimal("0.00")
            done = outcome is CompletionStatus.COMPLETED
            completions.append(
                {
                    "id": n,
                    "session_id": s.id,
                    "user_id": user_id,
                    "course_id": course.id,
                    "status": outcome,
                    "attended_hours": hours,
                    "scheduled_hours": scheduled,
                    "exercise_met": exercise_met,
                    "survey_met": survey_met,
                    "hours_awarded": course.recognised_hours if done else Decimal("0"),
                    "completed_at": s.ends_at + dt.timedelta(hours=1) if done else None,
                    "evaluated_at": s.ends_at + dt.timedelta(hours=1),
                }
            )
            n += 1
    writer.write(Completion, iter(completions), len(completions))

    ledger = [
        c for c in completions if c["status"] is CompletionStatus.COMPLETED and c["hours_awarded"]
    ]
    titles = {f.session.course.id: f.session.course.title[:200] for f in finished}
    first_entry = ids.take(HoursEntry, len(ledger))

    def ledger_rows() -> Iterator[dict[str, Any]]:
        for k, c in enumerate(ledger):
            ended_on = c["completed_at"].astimezone(SEOUL).date()
            yield {
                "id": first_entry + k,
                "user_id": c["user_id"],
                "year": ended_on.year,
                "source": HoursSource.PORTAL,
                "status": HoursStatus.APPROVED,
                "hours": c["hours_awarded"],
                "title": titles[c["course_id"]],
                "provider": "",
                "completed_on": ended_on,
                "completion_id": c["id"],
                "decided_by_id": None,
                "decided_at": c["completed_at"],
                "decision_reason": "",
                "created_at": c["completed_at"],
            }

    writer.write(HoursEntry, ledger_rows(), len(ledger))

    first_receipt = ids.take(SurveyReceipt, len(receipts))
    writer.write(
        SurveyReceipt,
        (
            {
                "id": first_receipt + k,
                "session_id": s.id,
                "user_id": user_id,
                "answered_at": s.ends_at + dt.timedelta(minutes=rng.randint(5, 600)),
            }
            for k, (s, user_id) in enumerate(receipts)
        ),
        len(receipts),
    )
    # Responses are not in receipt order (their keys are random), as in real use.
    shuffled = [s for s, _ in receipts]
    rng.shuffle(shuffled)

    def responses() -> Iterator[dict[str, Any]]:
        for s in shuffled:
            keys = [q.get("key") for q in (s.course.survey_questions or []) if q.get("key")]
            answers = {
                key: rng.choices((1, 2, 3, 4, 5), weights=(2, 4, 14, 40, 40))[0]
                for key in keys or ["overall"]
            }
            yield {
                "key": f"{rng.getrandbits(128):032x}",
                "session_id": s.id,
                "course_id": s.course.id,
                "answers": answers,
                "comment": rng.choice(("", "", "", "실습 시간이 더 있으면 좋겠습니다.")),
                "answered_on": s.ends_at.astimezone(SEOUL).date(),
            }

    writer.write(SurveyResponse, responses(), len(shuffled))


def _external_hours(
    staff: _Staff, ids: _Ids, writer: _Writer, today: dt.date, now: dt.datetime, reviewer: int
) -> None:
    """Outside learning some people reported (with a small evidence file each)."""
    rng = random.Random(f"{RANDOM_SEED}-external")
    people = rng.sample(staff.ids, len(staff.ids) // 10)
    first = ids.take(HoursEntry, len(people))
    entries = []
    for k, user_id in enumerate(people):
        status = rng.choices(
            (HoursStatus.APPROVED, HoursStatus.PENDING, HoursStatus.DECLINED), weights=(7, 2, 1)
        )[0]
        completed_on = today - dt.timedelta(days=rng.randint(5, 300))
        decided = status is not HoursStatus.PENDING
        entries.append(
            {
                "id": first + k,
                "user_id": user_id,
                "year": completed_on.year,
                "source": HoursSource.EXTERNAL,
                "status": status,
                "hours": Decimal(rng.choice(("2.0", "3.0", "4.0", "8.0", "12.0"))),
                "title": rng.choice(("데이터 기반 행정 입문", "정보보안 기본", "공문서 작성법")),
                "provider": rng.choice(EXTERNAL_PROVIDERS),
                "completed_on": completed_on,
                "completion_id": None,
                "decided_by_id": reviewer if decided else None,
                "decided_at": now - dt.timedelta(days=rng.randint(0, 3)) if decided else None,
                "decision_reason": "증빙의 교육 시간이 신청과 다릅니다."
                if status is HoursStatus.DECLINED
                else "",
                "created_at": now - dt.timedelta(days=rng.randint(4, 10)),
            }
        )
    writer.write(HoursEntry, iter(entries), len(entries))
    first_file = ids.take(HoursEvidence, len(entries))
    digest = hashlib.sha256(EVIDENCE).hexdigest()
    writer.write(
        HoursEvidence,
        (
            {
                "id": first_file + k,
                "entry_id": e["id"],
                "filename": "수료증.pdf",
                "content_type": "application/pdf",
                "size": len(EVIDENCE),
                "sha256": digest,
                "data": EVIDENCE,
                "uploaded_at": e["created_at"],
            }
            for k, e in enumerate(entries)
        ),
        len(entries),
    )


def _outbox(
    sessions: list[_Session], staff: _Staff, ids: _Ids, writer: _Writer, total_enrolments: int
) -> None:
    rng = random.Random(f"{RANDOM_SEED}-outbox")
    total = round(total_enrolments * OUTBOX_PER_ENROLMENT)
    picks: list[tuple[_Session, int, EnrollmentStatus]] = []
    flat = [(s, u, st) for s in sessions for u, st in zip(s.people, s.statuses, strict=True)]
    picks = rng.sample(flat, min(total, len(flat)))
    first = ids.take(OutboxMessage, len(picks))
    kinds = {
        EnrollmentStatus.ENROLLED: ("enrollment.confirmed", "[세종 AI 교육] 신청이 확정되었습니다"),
        EnrollmentStatus.WAITLISTED: ("enrollment.waitlisted", "[세종 AI 교육] 대기자로 등록되었습니다"),
        EnrollmentStatus.CANCELLED: ("enrollment.removed", "[세종 AI 교육] 신청이 취소되었습니다"),
        EnrollmentStatus.DECLINED: ("enrollment.declined", "[세종 AI 교육] 신청이 반려되었습니다"),
        EnrollmentStatus.REQUESTED: ("enrollment.waitlisted", "[세종 AI 교육] 승인 대기 중입니다"),
    }  # fmt: skip

    def rows() -> Iterator[dict[str, Any]]:
        for k, (s, user_id, status) in enumerate(picks):
            kind, subject = kinds[status]
            created = s.starts_at - dt.timedelta(days=rng.randint(3, 27))
            draw = rng.random()
            if draw < FAILED_MAIL_SHARE:
                state, attempts, error = OutboxStatus.FAILED, 5, rng.choice(FAILED_MAIL_ERRORS)
            elif draw < FAILED_MAIL_SHARE + 0.03 and not s.finished:
                state, attempts, error = OutboxStatus.PENDING, rng.randint(0, 2), None
            else:
                state, attempts, error = OutboxStatus.SENT, 1, None
            yield {
                "id": first + k,
                "user_id": user_id,
                "kind": kind,
                "session_id": s.id,
                "to_address": staff.email[user_id],
                "subject": f"{subject}: {s.course.title}"[:300],
                "body_text": f"{s.course.title} 교육 안내입니다. 자세한 내용은 포털에서 확인해 주세요.",
                "ics": None,
                "status": state,
                "attempts": attempts,
                "next_attempt_at": created + dt.timedelta(minutes=attempts * 10),
                "last_error": error,
                "created_at": created,
                "sent_at": created + dt.timedelta(seconds=30)
                if state is OutboxStatus.SENT
                else None,
            }

    writer.write(OutboxMessage, rows(), len(picks))


# --------------------------------------------------------------------------- sandbox


def _sandbox(
    plan: ScalePlan,
    staff: _Staff,
    ids: _Ids,
    writer: _Writer,
    today: dt.date,
    now: dt.datetime,
    policy_version: str,
) -> None:
    rng = random.Random(f"{RANDOM_SEED}-sandbox")
    users = rng.sample(staff.ids, max(1, round(len(staff.ids) * SANDBOX_SHARE)))
    accepted = {u: now - dt.timedelta(days=rng.randint(30, 360)) for u in users}
    first = ids.take(PolicyAcceptance, len(users))
    writer.write(
        PolicyAcceptance,
        (
            {"id": first + k, "user_id": u, "policy_version": policy_version, "accepted_at": at}
            for k, (u, at) in enumerate(accepted.items())
        ),
        len(users),
    )
    for key, (price_in, price_out, internal) in MODEL_PRICES.items():
        if db.session.get(ModelSetting, key) is None:
            db.session.add(
                ModelSetting(
                    key=key,
                    is_enabled=True,
                    is_internal=internal,
                    input_price_per_million=price_in,
                    output_price_per_million=price_out,
                    updated_at=now,
                )
            )
    db.session.flush()

    exercises = list(
        db.session.scalars(select(Exercise).where(Exercise.is_active).order_by(Exercise.id))
    )
    conversations = plan.conversations
    # Message counts per conversation: even, at least 2, adding up to plan.messages.
    pairs = _split(plan.messages // 2, conversations, rng, 0.8)
    pairs = [max(1, p) for p in pairs]
    while sum(pairs) > plan.messages // 2:
        i = max(range(len(pairs)), key=pairs.__getitem__)
        pairs[i] -= 1
    odd = plan.messages - 2 * sum(pairs)  # a trailing question still waiting for its answer

    drafts = round(conversations * DRAFT_SHARE) if exercises else 0
    first_conversation = ids.take(Conversation, conversations)
    first_draft = ids.take(Draft, drafts) if drafts else 0
    first_message = ids.take(AssistantMessage, plan.messages)
    start_of_window = now - dt.timedelta(days=360)

    convs: list[dict[str, Any]] = []
    for k in range(conversations):
        user_id = users[k % len(users)] if k < len(users) else rng.choice(users)
        began = max(accepted[user_id], start_of_window) + dt.timedelta(
            minutes=rng.randint(0, 60 * 24 * 20)
        )
        began = min(began, now - dt.timedelta(days=1))
        grade = rng.choices((DataGrade.PUBLIC, DataGrade.SENSITIVE), weights=(9, 1))[0]
        model = rng.choices(MODEL_KEYS, weights=MODEL_WEIGHTS)[0]
        if grade is DataGrade.SENSITIVE and model not in ("offline", "sejong-internal-llm"):
            model = "sejong-internal-llm"
        convs.append(
            {
                "id": first_conversation + k,
                "user_id": user_id,
                "department_id": staff.department[user_id],
                "draft_id": first_draft + k if k < drafts else None,
                "data_grade": grade,
                "model_key": model,
                "created_at": began,
                "last_activity_at": began,  # set below, from its last message
                "_pairs": pairs[k] + (1 if k < odd else 0),
                "_trailing": k < odd,
            }
        )

    # Drafts and submissions, for the first conversations (written before the conversations
    # because a conversation points at its draft).
    if drafts:
        _drafts(convs[:drafts], exercises, ids, writer, rng, staff)

    # Each conversation's message times are drawn first, so its row can carry its last
    # activity; then the conversations, then their messages (user question, assistant
    # answer, ...; the answer carries the model, its tokens and sometimes a rating).
    _conversation_times(convs, rng, now)
    writer.write(
        Conversation,
        ({k: v for k, v in c.items() if not k.startswith("_")} for c in convs),
        len(convs),
    )
    ratings: list[dict[str, Any]] = []
    days: dict[tuple, list[int]] = {}
    writer.write(
        AssistantMessage,
        _summed(
            _messages(convs, first_message, ratings, random.Random(f"{RANDOM_SEED}-messages")),
            {c["id"]: c["model_key"] for c in convs},
            days,
        ),
        plan.messages,
    )
    # The dashboards read the messages' sums per conversation, day and model (MessageDay),
    # which the ORM keeps for messages it writes; these were written in bulk.
    owner = {c["id"]: c["user_id"] for c in convs}
    writer.write(
        MessageDay,
        (message_day_row(key, sums, owner[key[0]]) for key, sums in days.items()),
        len(days),
    )
    first_rating = ids.take(MessageRating, len(ratings))
    for k, r in enumerate(ratings):
        r["id"] = first_rating + k
    writer.write(MessageRating, iter(ratings), len(ratings))
    _guard_events(convs, ids, writer, random.Random(f"{RANDOM_SEED}-guard"))


def _summed(
    messages: Iterator[dict[str, Any]], models: dict[int, str], days: dict[tuple, list[int]]
) -> Iterator[dict[str, Any]]:
    """The messages unchanged, each one added to its MessageDay sums on the way."""
    for message in messages:
        found = message_day_sums(message, models[message["conversation_id"]])
        if found is not None:
            key, sums = found
            total = days.setdefault(key, [0] * len(sums))
            for i, value in enumerate(sums):
                total[i] += value
        yield message


def _conversation_times(convs: list[dict[str, Any]], rng: random.Random, now: dt.datetime) -> None:
    """(asked, answered) per question of each conversation, and its last activity."""
    for c in convs:
        at = c["created_at"]
        times = []
        for _ in range(c["_pairs"]):
            answered = at + dt.timedelta(seconds=rng.randint(2, 40))
            times.append((at, answered))
            at = answered + dt.timedelta(minutes=rng.randint(1, 20))
        c["_times"] = times
        last = times[-1][0] if c["_trailing"] else times[-1][1]
        c["last_activity_at"] = min(last, now)


def _messages(
    convs: list[dict[str, Any]], first: int, ratings: list[dict[str, Any]], rng: random.Random
) -> Iterator[dict[str, Any]]:
    n = first
    for c in convs:
        topic = rng.choice(TOPICS)
        last = len(c["_times"]) - 1
        for p, (asked, answered) in enumerate(c["_times"]):
            yield {
                "id": n,
                "conversation_id": c["id"],
                "role": "user",
                "content": rng.choice(QUESTIONS).format(topic=topic),
                "status": MessageStatus.COMPLETE,
                "error_code": None,
                "model_key": None,
                "prompt_tokens": 0,
                "completion_tokens": 0,
                "usage_estimated": False,
                "created_at": asked,
                "finished_at": None,
            }
            n += 1
            if c["_trailing"] and p == last:
                break  # an odd total: the last question waits for its answer
            draw = rng.random()
            status = MessageStatus.COMPLETE
            if draw < 0.01:
                status = MessageStatus.FAILED
            elif draw < 0.03:
                status = MessageStatus.INTERRUPTED
            complete = status is MessageStatus.COMPLETE
            yield {
                "id": n,
                "conversation_id": c["id"],
                "role": "assistant",
                "content": rng.choice(ANSWERS).format(topic=topic),
                "status": status,
                "error_code": "backend" if status is MessageStatus.FAILED else None,
                "model_key": c["model_key"],
                "prompt_tokens": rng.randint(300, 2500) + p * 400,
                "completion_tokens": rng.randint(150, 900) if complete else 40,
                "usage_estimated": c["model_key"] == "offline",
                "created_at": asked,
                "finished_at": answered,
            }
            if complete and rng.random() < RATED_SHARE:
                ratings.append(
                    {
                        "message_id": n,
                        "user_id": c["user_id"],
                        "score": rng.choices((1, 2, 3, 4, 5), weights=(3, 5, 15, 40, 37))[0],
                        "reasons": rng.choice(RATING_REASONS),
                        "created_at": answered + dt.timedelta(minutes=1),
                    }
                )
            n += 1


def _drafts(
    convs: list[dict[str, Any]],
    exercises: list[Exercise],
    ids: _Ids,
    writer: _Writer,
    rng: random.Random,
    staff: _Staff,
) -> None:
    from portal.assistant.coach import replies
    from portal.assistant.content.context import doc_type_dict, exercise_dict
    from portal.assistant.models import DocType

    doc_types = {d.id: d for d in db.session.scalars(select(DocType))}
    prepared = {}
    for exercise in exercises:
        doc_type = doc_types[exercise.doc_type_id]
        dt_data, ex_data = doc_type_dict(doc_type), exercise_dict(exercise)
        topic = exercise.title.split(":")[0].strip()
        outline = replies.outline(dt_data, topic)
        segments = [
            {"text": outline + "\n", "ai": True},
            {"text": "○ 관련 부서 협의 완료\n", "ai": False},
        ]
        body = "".join(s["text"] for s in segments)
        prepared[exercise.id] = (
            exercise,
            doc_type,
            segments,
            body,
            replies.rubric_feedback(dt_data, ex_data, body),
        )
    drafts, versions, submissions = [], [], []
    first_version = ids.take(DraftVersion, len(convs))
    submitting = [c for c in convs if rng.random() < 0.7]
    first_submission = ids.take(Submission, len(submitting))
    submitted_ids = {c["id"] for c in submitting}
    s = 0
    for k, c in enumerate(convs):
        exercise, doc_type, segments, body, rubric = prepared[exercises[k % len(exercises)].id]
        started = c["created_at"]
        updated = started + dt.timedelta(minutes=rng.randint(15, 60))
        submitted = updated + dt.timedelta(minutes=5) if c["id"] in submitted_ids else None
        drafts.append(
            {
                "id": c["draft_id"],
                "user_id": c["user_id"],
                "doc_type_id": doc_type.id,
                "doc_type_version": doc_type.version,
                "exercise_id": exercise.id,
                "exercise_version": exercise.version,
                "title": exercise.title,
                "segments": segments,
                "body": body,
                "revision": 2,
                "created_at": started,
                "updated_at": updated,
                "submitted_at": submitted,
                "verified_at": None,
            }
        )
        versions.append(
            {
                "id": first_version + k,
                "draft_id": c["draft_id"],
                "number": 1,
                "reason": "insert",
                "segments": segments,
                "body": body,
                "created_at": updated,
            }
        )
        if submitted is None:
            continue
        spent = rng.randint(15, 60)
        reviewed = rng.random() < 0.5
        score = rng.randint(60, 98)
        instructor = staff.instructors[k % len(staff.instructors)]
        submissions.append(
            {
                "id": first_submission + s,
                "draft_id": c["draft_id"],
                "exercise_id": exercise.id,
                "exercise_version": exercise.version,
                "user_id": c["user_id"],
                "body": body,
                "ai_share_percent": rng.randint(30, 90),
                "submitted_at": submitted,
                "minutes_without_ai": spent + rng.randint(15, 120) if rng.random() < 0.8 else None,
                "minutes_spent": spent,
                "rubric_status": "computed",
                "rubric_result": rubric,
                "rubric_model_key": "offline",
                "review_score": score if reviewed else None,
                "review_criteria": None,
                "review_comment": "구성이 잘 갖춰졌습니다." if reviewed else None,
                "review_passed": score >= 75 if reviewed else None,
                "reviewer_id": instructor if reviewed else None,
                "reviewed_at": submitted + dt.timedelta(days=1) if reviewed else None,
            }
        )
        s += 1
    writer.write(Draft, iter(drafts), len(drafts))
    writer.write(DraftVersion, iter(versions), len(versions))
    writer.write(Submission, iter(submissions), len(submissions))


def _guard_events(
    convs: list[dict[str, Any]], ids: _Ids, writer: _Writer, rng: random.Random
) -> None:
    samples = []
    for sample in PASTED_SAMPLES:
        findings = [f for f in detect.scan(sample) if f.is_personal]
        if findings:
            kinds = sorted({f.kind for f in findings})
            samples.append((kinds, masking.masked_excerpt(sample, findings)))
    marker = [f for f in detect.scan(REFUSED_SAMPLE)]
    refused = (
        sorted({f.kind for f in marker}) or ["marker"],
        masking.masked_excerpt(REFUSED_SAMPLE, marker),
    )
    events = []
    for c in convs:
        if rng.random() >= GUARD_SHARE:
            continue
        at = c["created_at"] + dt.timedelta(minutes=1)
        if rng.random() < 0.2:
            kinds, excerpt = refused
            decisions = [GuardDecision.REFUSED]
        else:
            kinds, excerpt = rng.choice(samples)
            decisions = [GuardDecision.BLOCKED, GuardDecision.MASKED]
        for decision in decisions:
            events.append(
                {
                    "user_id": c["user_id"],
                    "department_id": c["department_id"],
                    "conversation_id": c["id"],
                    "decision": decision,
                    "kinds": kinds,
                    "masked_excerpt": excerpt,
                    "created_at": at,
                }
            )
    first = ids.take(GuardEvent, len(events))
    for k, e in enumerate(events):
        e["id"] = first + k
    writer.write(GuardEvent, iter(events), len(events))


# --------------------------------------------------------------------------- the whole


def refuse_unless_ready(plan: ScalePlan) -> list[Course]:
    """Raise ScaleSeedRefused unless the database is empty and has courses; the courses."""
    base.refuse_if_populated()
    courses = list(
        db.session.scalars(
            select(Course)
            .where(Course.is_active.is_(True))
            .order_by(Course.sort_order, Course.slug)
        )
    )
    if not courses:
        raise ScaleSeedRefused(
            "교육과정이 없어 대규모 데모 데이터를 만들지 않았습니다. 먼저 `flask courses sync`를 실행해 주세요."
        )
    if plan.sessions < 1 or plan.staff < 100:
        raise ScaleSeedRefused(f"규모 {plan.name}은(는) 너무 작습니다 (직원 100명 이상).")
    return courses


def _advance_sequences(tables: list[str]) -> None:
    """PostgreSQL: move each id sequence past the ids assigned here."""
    if db.is_sqlite:
        return
    for name in tables:
        db.session.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "  # noqa: S608 - model table names
                f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {name}), false)"
            )
        )


def seed_at_scale(
    plan: ScalePlan, *, today: dt.date, policy_version: str, progress: Progress | None = None
) -> ScaleSummary:
    """Create the whole scaled demo in the current transaction (flushed, never committed)."""
    progress = progress or NoProgress()
    courses = refuse_unless_ready(plan)
    now = utcnow()
    ids = _Ids()
    writer = _Writer(progress)
    org = base.create_departments()
    _centres(org, plan.centres)
    staff = _people(plan, org, ids, writer, today, now)
    sessions = _sessions(plan, courses, staff, ids, writer, today, now)
    _enrolments(sessions, ids, writer, plan.enrolments, staff.coordinator_id)
    finished = _attendance(sessions, ids, writer, staff.instructors)
    _completions(finished, ids, writer, today, now)
    _external_hours(staff, ids, writer, today, now, staff.coordinator_id)
    # The ledger was written in bulk: its yearly sums, from it, in one pass.
    refresh_hours_years(db.session.connection())
    _outbox(sessions, staff, ids, writer, plan.enrolments)
    _sandbox(plan, staff, ids, writer, today, now, policy_version)
    _advance_sequences(ids.tables())
    counts = dict(writer.counts)
    counts["departments"] = db.session.scalar(select(func.count(Department.id))) or 0
    record(
        "demo.seeded",
        details={"scale": plan.name} | {k: counts[k] for k in sorted(counts)},
    )
    return ScaleSummary(plan=plan, counts=counts)
