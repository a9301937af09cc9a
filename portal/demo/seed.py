"""A realistic demo organisation: Sejong-style departments, about 300 staff, four demo logins.

Everything is invented and deterministic (one seeded random generator), e-mail addresses
use the reserved example.kr domain, and only the four demo accounts can log in.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import select

from portal.audit.operations import record
from portal.auth.passwords import hash_password
from portal.core.clock import utcnow
from portal.db import db
from portal.demo.names import person_name
from portal.org.models import Department, DepartmentKind
from portal.users.models import Role, User

RANDOM_SEED = 2026
TOTAL_USERS = 300  # demo accounts included
NEW_APPOINTEES = 25  # demo staff account included
NEW_APPOINTEE_WINDOW_DAYS = 90
EMAIL_DOMAIN = "sejong.example.kr"  # .example.kr is reserved (RFC 2606 style): never a real mailbox
DEMO_PASSWORD = "Demo!2026portal"  # noqa: S105 - published on purpose: demo accounts only
EARLIEST_APPOINTMENT = dt.date(1995, 1, 1)
GENERALIST = "지방행정"


class DemoSeedRefused(RuntimeError):
    """The database is not empty; the message says why (shown as it is)."""


@dataclass(frozen=True)
class DivisionPlan:
    name: str
    teams: tuple[str, ...]
    series: str = ""  # the specialist grade series common in this division, if any


# 실·국·본부 → 과·담당관 → 팀, modelled on Sejong City's organisation chart.
ORGANISATION: tuple[tuple[str, tuple[DivisionPlan, ...]], ...] = (
    (
        "기획조정실",
        (
            DivisionPlan("기획예산과", ("기획팀", "예산팀", "재정분석팀")),
            DivisionPlan("디지털정책과", ("디지털정책팀", "정보화팀", "데이터혁신팀"), "지방전산"),
            DivisionPlan("법무담당관", ("법무팀", "규제개혁팀")),
        ),
    ),
    (
        "행정안전국",
        (
            DivisionPlan("행정지원과", ("총무팀", "인사팀", "교육훈련팀")),
            DivisionPlan("자치분권과", ("자치행정팀", "분권협력팀")),
            DivisionPlan("안전정책과", ("안전총괄팀", "재난대응팀", "민방위팀"), "지방방재안전"),
        ),
    ),
    (
        "경제산업국",
        (
            DivisionPlan("경제정책과", ("경제정책팀", "일자리팀")),
            DivisionPlan("기업지원과", ("기업유치팀", "창업지원팀", "소상공인팀")),
            DivisionPlan("농업정책과", ("농업정책팀", "로컬푸드팀"), "지방농업"),
        ),
    ),
    (
        "보건복지국",
        (
            DivisionPlan("복지정책과", ("복지기획팀", "기초생활보장팀"), "지방사회복지"),
            DivisionPlan("노인장애인과", ("노인복지팀", "장애인복지팀"), "지방사회복지"),
            DivisionPlan("보건정책과", ("보건정책팀", "감염병관리팀", "건강증진팀"), "지방보건"),
        ),
    ),
    (
        "문화체육관광국",
        (
            DivisionPlan("문화예술과", ("문화정책팀", "예술진흥팀")),
            DivisionPlan("관광진흥과", ("관광정책팀", "관광마케팅팀")),
            DivisionPlan("체육진흥과", ("체육정책팀", "생활체육팀")),
        ),
    ),
    (
        "환경녹지국",
        (
            DivisionPlan("환경정책과", ("환경정책팀", "기후변화대응팀", "대기환경팀"), "지방환경"),
            DivisionPlan("자원순환과", ("자원순환팀", "폐기물관리팀"), "지방환경"),
            DivisionPlan("산림공원과", ("산림팀", "공원관리팀"), "지방녹지"),
        ),
    ),
    (
        "도시성장본부",
        (
            DivisionPlan("도시정책과", ("도시계획팀", "도시재생팀"), "지방시설"),
            DivisionPlan("건축과", ("건축행정팀", "주택팀", "건축안전팀"), "지방시설"),
            DivisionPlan("교통과", ("교통정책팀", "대중교통팀"), "지방시설"),
        ),
    ),
)


@dataclass(frozen=True)
class DemoAccount:
    employee_number: str
    role: Role
    name: str
    email_local: str
    grade: str
    division: str
    team: str | None  # None: the account sits in the 과 itself
    appointed_on: dt.date | None  # None: a new appointee, appointed 30 days ago


DEMO_ACCOUNTS: tuple[DemoAccount, ...] = (
    DemoAccount(
        "D0001", Role.ADMIN, "정하람", "demo.admin", "지방전산6급", "디지털정책과", "정보화팀",
        dt.date(2011, 7, 1),
    ),
    DemoAccount(
        "D0002", Role.COORDINATOR, "윤서아", "demo.coordinator", "지방행정6급", "디지털정책과",
        None, dt.date(2014, 1, 2),
    ),
    DemoAccount(
        "D0003", Role.INSTRUCTOR, "강도현", "demo.instructor", "지방전산7급", "디지털정책과",
        "데이터혁신팀", dt.date(2018, 9, 3),
    ),
    DemoAccount(
        "D0004", Role.STAFF, "임새봄", "demo.staff", "지방행정9급", "행정지원과", "총무팀", None,
    ),
)  # fmt: skip

# Service years by grade level, as (fewest, most).
_SERVICE_YEARS = {4: (22, 31), 5: (16, 27), 6: (8, 20), 7: (1, 14), 8: (1, 9), 9: (0.4, 4)}
# Ordinary team members, weighted toward grades 7–9.
MEMBER_LEVELS = (6, 7, 8, 9)
MEMBER_WEIGHTS = (18, 34, 24, 24)


@dataclass
class Org:
    bureaus: list[Department] = field(default_factory=list)
    divisions: list[tuple[Department, DivisionPlan]] = field(default_factory=list)
    teams: list[tuple[Department, DivisionPlan]] = field(default_factory=list)
    by_name: dict[str, Department] = field(default_factory=dict)


@dataclass(frozen=True)
class SeedSummary:
    bureaus: int
    divisions: int
    teams: int
    users: int
    new_appointees: int
    demo_accounts: tuple[DemoAccount, ...]


def department_codes() -> list[str]:
    """Every code the seed creates: SJ-100 (실·국), SJ-110 (과), SJ-110-01 (팀)."""
    codes = []
    for b, (_bureau, divisions) in enumerate(ORGANISATION, start=1):
        codes.append(f"SJ-{b}00")
        for d, plan in enumerate(divisions, start=1):
            codes.append(f"SJ-{b}{d}0")
            codes.extend(f"SJ-{b}{d}0-{t:02d}" for t in range(1, len(plan.teams) + 1))
    return codes


def refuse_if_populated() -> None:
    """Raise DemoSeedRefused unless the database has no users and none of the seed's codes."""
    if db.session.scalar(select(User.id).limit(1)) is not None:
        raise DemoSeedRefused("이미 사용자가 있어 데모 데이터를 만들지 않았습니다.")
    clash = db.session.scalar(
        select(Department.code).where(Department.code.in_(department_codes())).limit(1)
    )
    if clash is not None:
        raise DemoSeedRefused(
            f"부서 코드 {clash}이(가) 이미 있어 데모 데이터를 만들지 않았습니다. 빈 데이터베이스에서 실행해 주세요."
        )


def create_departments() -> Org:
    org = Org()
    for b, (bureau_name, _divisions) in enumerate(ORGANISATION, start=1):
        org.bureaus.append(
            Department(code=f"SJ-{b}00", name=bureau_name, kind=DepartmentKind.BUREAU)
        )
    db.session.add_all(org.bureaus)
    db.session.flush()
    for b, (bureau, (_name, divisions)) in enumerate(
        zip(org.bureaus, ORGANISATION, strict=True), start=1
    ):
        for d, plan in enumerate(divisions, start=1):
            division = Department(
                code=f"SJ-{b}{d}0",
                name=plan.name,
                kind=DepartmentKind.DIVISION,
                parent_id=bureau.id,
            )
            org.divisions.append((division, plan))
    db.session.add_all(d for d, _ in org.divisions)
    db.session.flush()
    for division, plan in org.divisions:
        for t, team_name in enumerate(plan.teams, start=1):
            team = Department(
                code=f"{division.code}-{t:02d}",
                name=team_name,
                kind=DepartmentKind.TEAM,
                parent_id=division.id,
            )
            org.teams.append((team, plan))
    db.session.add_all(t for t, _ in org.teams)
    db.session.flush()
    for dept in [*org.bureaus, *(d for d, _ in org.divisions)]:
        org.by_name[dept.name] = dept
    return org


class People:
    """Draws names, e-mail addresses, employee numbers, grades and appointment dates."""

    def __init__(self, rng: random.Random, today: dt.date, now: dt.datetime):
        self.rng = rng
        self.today = today
        self.now = now
        self.emails: set[str] = set()
        self.next_number: dict[int, int] = {}

    def _employee_number(self, year: int) -> str:
        # Year of appointment + a sequence, e.g. 20150123; sparse like a real register.
        n = self.next_number.get(year, self.rng.randint(10, 60)) + self.rng.randint(1, 9)
        self.next_number[year] = n
        return f"{year}{n:04d}"

    def _email(self, sur_roman: str, given_roman: str) -> str:
        while True:
            address = f"{sur_roman}.{given_roman}.{self.rng.randint(100, 999)}@{EMAIL_DOMAIN}"
            if address not in self.emails:
                self.emails.add(address)
                return address

    def _grade(self, level: int, plan: DivisionPlan | None) -> str:
        specialist_share = 0.45 if level >= 6 else 0.2
        if plan and plan.series and self.rng.random() < specialist_share:
            return f"{plan.series}{level}급"
        return f"{GENERALIST}{level}급"

    def _appointed_on(self, level: int) -> dt.date:
        fewest, most = _SERVICE_YEARS[level]
        days = self.rng.randint(int(fewest * 365), int(most * 365))
        latest = self.today - dt.timedelta(days=NEW_APPOINTEE_WINDOW_DAYS + 30)
        return max(EARLIEST_APPOINTMENT, min(latest, self.today - dt.timedelta(days=days)))

    def person(
        self,
        department: Department,
        level: int,
        plan: DivisionPlan | None,
        *,
        appointed_on: dt.date | None = None,
    ) -> User:
        """An ordinary staff member: no password, so no login until HR import sets one."""
        name, sur_roman, given_roman = person_name(self.rng)
        appointed_on = appointed_on or self._appointed_on(level)
        return User(
            employee_number=self._employee_number(appointed_on.year),
            name=name,
            email=self._email(sur_roman, given_roman),
            department_id=department.id,
            grade=self._grade(level, plan),
            appointed_on=appointed_on,
            role=Role.STAFF,
            locale="ko",
            is_active=True,
            password_hash=None,
            created_at=self.now,
        )


def demo_users(org: Org, password_hash: str, today: dt.date, now: dt.datetime) -> list[User]:
    teams = {(plan.name, team.name): team for team, plan in org.teams}
    users = []
    for account in DEMO_ACCOUNTS:
        department = (
            teams[(account.division, account.team)]
            if account.team
            else org.by_name[account.division]
        )
        users.append(
            User(
                employee_number=account.employee_number,
                name=account.name,
                email=f"{account.email_local}@{EMAIL_DOMAIN}",
                department_id=department.id,
                grade=account.grade,
                appointed_on=account.appointed_on or today - dt.timedelta(days=30),
                role=account.role,
                locale="ko",
                is_active=True,
                password_hash=password_hash,
                password_changed_at=now,
                created_at=now,
            )
        )
    return users


def _staff(org: Org, people: People, count: int, new_appointees: int) -> list[User]:
    rng = people.rng
    staff = []
    for bureau in org.bureaus:
        staff.append(people.person(bureau, 4, None))
    for division, plan in org.divisions:
        staff.append(people.person(division, rng.choices((4, 5), weights=(8, 2))[0], plan))
    for team, plan in org.teams:
        staff.append(people.person(team, rng.choices((5, 6), weights=(7, 3))[0], plan))
    for _ in range(new_appointees):
        team, plan = rng.choice(org.teams)
        days_ago = rng.randint(3, NEW_APPOINTEE_WINDOW_DAYS - 5)
        level = rng.choices((7, 8, 9), weights=(2, 1, 7))[0]
        staff.append(
            people.person(
                team, level, plan, appointed_on=people.today - dt.timedelta(days=days_ago)
            )
        )
    members = count - len(staff)
    # Every team gets two members; the rest go where the random draw puts them.
    placements = [t for t in org.teams for _ in range(2)]
    placements += rng.choices(org.teams, k=members - len(placements))
    for team, plan in placements:
        level = rng.choices(MEMBER_LEVELS, weights=MEMBER_WEIGHTS)[0]
        staff.append(people.person(team, level, plan))
    return staff


def seed_demo(*, today: dt.date, progress: Callable[[int], None] | None = None) -> SeedSummary:
    """Create the demo organisation and staff in the current transaction (flushed, not committed)."""
    refuse_if_populated()
    rng = random.Random(RANDOM_SEED)
    now = utcnow()
    org = create_departments()
    # One argon2id hash shared by the four demo accounts: hashing is deliberately slow.
    password_hash = hash_password(DEMO_PASSWORD)
    demo = demo_users(org, password_hash, today, now)
    people = People(rng, today, now)
    users = demo + _staff(
        org,
        people,
        count=TOTAL_USERS - len(demo),
        new_appointees=NEW_APPOINTEES - sum(a.appointed_on is None for a in DEMO_ACCOUNTS),
    )
    batch = 50
    for start in range(0, len(users), batch):
        chunk = users[start : start + batch]
        db.session.add_all(chunk)
        db.session.flush()
        if progress:
            progress(len(chunk))
    since = today - dt.timedelta(days=NEW_APPOINTEE_WINDOW_DAYS)
    summary = SeedSummary(
        bureaus=len(org.bureaus),
        divisions=len(org.divisions),
        teams=len(org.teams),
        users=len(users),
        new_appointees=sum(1 for u in users if u.appointed_on and u.appointed_on >= since),
        demo_accounts=DEMO_ACCOUNTS,
    )
    record(
        "demo.seeded",
        details={
            "bureaus": summary.bureaus,
            "divisions": summary.divisions,
            "teams": summary.teams,
            "users": summary.users,
            "new_appointees": summary.new_appointees,
            "demo_accounts": len(DEMO_ACCOUNTS),
        },
    )
    return summary
