"""Reading the catalogue: the course list with its filters, and one course with its sessions.

Every page costs a fixed number of statements whatever the number of courses, sessions
or enrolments: the list is a COUNT, one page of courses and one aggregate over their
upcoming sessions; a course page is the course, its sessions, the viewer's own
enrolments and the recommended next courses.
"""

from __future__ import annotations

import datetime as dt
import functools
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, fields

from flask_babel import gettext as _
from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Select,
    and_,
    bindparam,
    case,
    exists,
    func,
    or_,
    select,
)
from sqlalchemy.orm import aliased, selectinload

from portal.catalog import synonyms
from portal.catalog.models import Category, Course, Format, Level, course_prerequisites
from portal.core.clock import SEOUL, utcnow
from portal.core.pagination import Page, paginate
from portal.db import UTCDateTime, db
from portal.enrollment.models import Enrollment, EnrollmentStatus
from portal.enrollment.queries import waitlist_position_expr
from portal.scheduling.models import SessionStatus, TrainingSession
from portal.users.models import User

PER_PAGE = 20
QUERY_MAX_LENGTH = 100
# More words than this are a pasted paragraph, not a search.
_MAX_TERMS = 5
NEXT_LEVEL = {Level.BASIC: Level.APPLIED, Level.APPLIED: Level.ADVANCED}
RECOMMENDED_LIMIT = 4


# --- filters -------------------------------------------------------------------------


@dataclass(frozen=True)
class CatalogFilters:
    """What a member of staff looks for; empty values mean "any"."""

    q: str = ""
    category: Category | None = None
    level: Level | None = None
    format: Format | None = None
    mandatory: bool = False
    open_seats: bool = False

    def as_args(self) -> dict[str, str]:
        """The filters as query-string arguments, for the pagination links."""
        args: dict[str, str] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is True:
                args[f.name] = "1"
            elif value:
                args[f.name] = str(value)
        return args

    @property
    def terms(self) -> list[str]:
        return self.q.split()[:_MAX_TERMS]

    @property
    def is_filtered(self) -> bool:
        return bool(self.as_args())


def _enum_arg(enum_cls, raw: str, label: str, errors: list[str]):
    raw = raw.strip()
    if not raw:
        return None
    try:
        return enum_cls(raw)
    except ValueError:
        errors.append(_("%(label)s 조건을 알아볼 수 없어 빼고 찾았습니다.", label=label))
        return None


def parse_filters(args: Mapping[str, str]) -> tuple[CatalogFilters, list[str]]:
    """Filters from the query string, and Korean messages for anything that was ignored."""
    errors: list[str] = []
    # Hangul typed on some systems arrives decomposed (NFD); stored titles are composed.
    q = unicodedata.normalize("NFC", (args.get("q") or "").strip())
    q = " ".join(q.split())
    if len(q) > QUERY_MAX_LENGTH:
        errors.append(_("검색어가 너무 깁니다. %(n)d자 이내로 입력해 주세요.", n=QUERY_MAX_LENGTH))
        q = ""
    return CatalogFilters(
        q=q,
        category=_enum_arg(Category, args.get("category") or "", _("분야"), errors),
        level=_enum_arg(Level, args.get("level") or "", _("수준"), errors),
        format=_enum_arg(Format, args.get("format") or "", _("방식"), errors),
        mandatory=(args.get("mandatory") or "") in ("1", "on", "true"),
        open_seats=(args.get("open_seats") or "") in ("1", "on", "true"),
    ), errors


def _like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


_SEARCHED = (Course.title, Course.title_en, Course.summary, Course.audience)


def _is_short_latin(text: str) -> bool:
    return len(text) <= 3 and text.isascii()


def _term_matches(term: str) -> ColumnElement[bool]:
    # ILIKE on PostgreSQL, lower(...) LIKE lower(...) on SQLite: a substring, so a part of a
    # Korean compound word ("보고서" in "기획보고서") matches too. A word with synonyms
    # (courses/_synonyms.yml) matches any of them: "챗지피티" finds "챗GPT". A short Latin
    # synonym ("AI", "GPT") is not looked for in the English title, where it would match
    # inside words ("training" holds "ai").
    conditions = []
    for index, text in enumerate(synonyms.current().expand(term)):
        pattern = _like_pattern(text)
        columns = _SEARCHED
        if index > 0 and _is_short_latin(text):
            columns = tuple(column for column in _SEARCHED if column is not Course.title_en)
        conditions.extend(column.ilike(pattern, escape="\\") for column in columns)
    return or_(*conditions)


def _upcoming(now: dt.datetime) -> ColumnElement[bool]:
    return and_(
        TrainingSession.status == SessionStatus.SCHEDULED,
        TrainingSession.starts_at > now,
    )


def _has_open_seats(now: dt.datetime) -> ColumnElement[bool]:
    return exists(
        select(TrainingSession.id).where(
            TrainingSession.course_id == Course.id,
            _upcoming(now),
            TrainingSession.seats_taken < TrainingSession.capacity,
        )
    )


def catalog_statement(filters: CatalogFilters, now: dt.datetime | BindParameter) -> Select:
    """Active courses matching the filters, in catalogue order."""
    stmt = select(Course).where(Course.is_active)
    for term in filters.terms:
        stmt = stmt.where(_term_matches(term))
    if filters.category:
        stmt = stmt.where(Course.category == filters.category)
    if filters.level:
        stmt = stmt.where(Course.level == filters.level)
    if filters.format:
        stmt = stmt.where(Course.format == filters.format)
    if filters.mandatory:
        stmt = stmt.where(Course.is_mandatory_for_new)
    if filters.open_seats:
        stmt = stmt.where(_has_open_seats(now))
    return stmt.order_by(Course.sort_order, Course.title, Course.id)


# --- the list ------------------------------------------------------------------------


@dataclass(frozen=True)
class NextSession:
    """A course's next upcoming session, and how many upcoming sessions it has in all."""

    session_id: int
    starts_at: dt.datetime
    seats_left: int
    upcoming_count: int
    open_seats_total: int


@dataclass(frozen=True)
class CourseCard:
    course: Course
    next_session: NextSession | None


@functools.lru_cache(maxsize=512)
def _listing_statement(filters: CatalogFilters) -> Select:
    # A listing without search words (the catalogue as first opened, or filtered by the
    # menus), built once per combination with the time as a parameter. Search words are
    # not cached: their synonyms come from courses/ and may change while the portal runs.
    return catalog_statement(filters, bindparam("now", type_=UTCDateTime()))


@functools.cache
def _next_sessions_statement() -> Select:
    # Built once: the window functions cost more to build than to run on every catalogue page.
    return _next_sessions_select(
        bindparam("course_ids", expanding=True), bindparam("now", type_=UTCDateTime())
    )


def next_sessions(course_ids: list[int], now: dt.datetime) -> dict[int, NextSession]:
    """The next upcoming session of each course, in one statement for all of them."""
    rows = db.session.execute(_next_sessions_statement(), {"course_ids": course_ids, "now": now})
    return {
        row.course_id: NextSession(
            session_id=row.session_id,
            starts_at=row.starts_at,
            seats_left=max(0, row.seats_left),
            upcoming_count=row.upcoming_count,
            open_seats_total=int(row.open_seats_total or 0),
        )
        for row in rows
    }


def _next_sessions_select(course_ids, now) -> Select:
    seats_left = TrainingSession.capacity - TrainingSession.seats_taken
    ranked = (
        select(
            TrainingSession.id.label("session_id"),
            TrainingSession.course_id,
            TrainingSession.starts_at,
            seats_left.label("seats_left"),
            func.row_number()
            .over(
                partition_by=TrainingSession.course_id,
                order_by=(TrainingSession.starts_at, TrainingSession.id),
            )
            .label("rank"),
            func.count().over(partition_by=TrainingSession.course_id).label("upcoming_count"),
            func.sum(case((seats_left > 0, seats_left), else_=0))
            .over(partition_by=TrainingSession.course_id)
            .label("open_seats_total"),
        )
        .where(TrainingSession.course_id.in_(course_ids), _upcoming(now))
        .subquery()
    )
    return select(ranked).where(ranked.c.rank == 1)


def catalog_page(filters: CatalogFilters, page: int) -> Page:
    """One page of course cards: a COUNT, the courses and one aggregate for their sessions."""
    now = utcnow()
    if filters.terms:
        courses = paginate(catalog_statement(filters, now), page, per_page=PER_PAGE)
    else:
        courses = paginate(
            _listing_statement(filters), page, per_page=PER_PAGE, params={"now": now}
        )
    upcoming = next_sessions([c.id for c in courses.items], now)
    return Page(
        items=[CourseCard(course=c, next_session=upcoming.get(c.id)) for c in courses.items],
        number=courses.number,
        per_page=courses.per_page,
        total=courses.total,
    )


# --- one course ----------------------------------------------------------------------


@dataclass(frozen=True)
class SessionRow:
    """An upcoming session as the course page shows it, with the viewer's own place in it."""

    session: TrainingSession
    instructor_name: str | None
    waitlist_length: int
    mine: Enrollment | None
    position: int | None
    opens_later: bool = False

    @property
    def seats_left(self) -> int:
        return self.session.seats_left

    @property
    def days(self) -> int:
        """Calendar days the session covers in Korea (1 for a same-day session)."""
        first = self.session.starts_at.astimezone(SEOUL).date()
        # A session ending at midnight belongs to the day before.
        last = (self.session.ends_at - dt.timedelta(microseconds=1)).astimezone(SEOUL).date()
        return (last - first).days + 1

    @property
    def online_link(self) -> str | None:
        """The online link, only when it is a web address (never a javascript: URL)."""
        url = self.session.online_url.strip()
        return url if url.lower().startswith(("https://", "http://")) else None

    @property
    def is_mine_active(self) -> bool:
        return self.mine is not None and self.mine.status in (
            EnrollmentStatus.ENROLLED,
            EnrollmentStatus.WAITLISTED,
            EnrollmentStatus.REQUESTED,
        )


@dataclass(frozen=True)
class CoursePage:
    course: Course
    sessions: list[SessionRow]
    recommended: list[Course]


def active_course(slug: str) -> Course | None:
    """The course with its prerequisites loaded, or None when unknown or withdrawn."""
    return db.session.scalars(
        select(Course)
        .options(selectinload(Course.prerequisites))
        .where(Course.slug == slug, Course.is_active)
    ).one_or_none()


def upcoming_sessions(course_id: int, user_id: int, now: dt.datetime) -> list[SessionRow]:
    """Scheduled sessions still to start, with instructor, waitlist and the user's enrolment."""
    waitlisted = aliased(Enrollment)
    waitlist_length = (
        select(func.count(waitlisted.id))
        .where(
            waitlisted.session_id == TrainingSession.id,
            waitlisted.status == EnrollmentStatus.WAITLISTED,
        )
        .correlate(TrainingSession)
        .scalar_subquery()
    )
    rows = db.session.execute(
        select(TrainingSession, User.name, waitlist_length)
        .outerjoin(User, User.id == TrainingSession.instructor_id)
        .where(TrainingSession.course_id == course_id, _upcoming(now))
        .order_by(TrainingSession.starts_at, TrainingSession.round_number)
    ).all()
    own = _own_enrolments(course_id, user_id, now)
    result = []
    for session, instructor_name, length in rows:
        mine, position = own.get(session.id, (None, None))
        result.append(
            SessionRow(
                session=session,
                instructor_name=instructor_name,
                waitlist_length=length or 0,
                mine=mine,
                position=position,
                opens_later=session.enrol_opens_at is not None and session.enrol_opens_at > now,
            )
        )
    return result


def _own_enrolments(
    course_id: int, user_id: int, now: dt.datetime
) -> dict[int, tuple[Enrollment, int | None]]:
    """The user's enrolments in the course's upcoming sessions, with waitlist positions."""
    rows = db.session.execute(
        select(Enrollment, waitlist_position_expr())
        .join(TrainingSession, TrainingSession.id == Enrollment.session_id)
        .where(
            Enrollment.user_id == user_id,
            TrainingSession.course_id == course_id,
            _upcoming(now),
        )
    ).all()
    return {enrollment.session_id: (enrollment, place) for enrollment, place in rows}


def recommended_next(course: Course) -> list[Course]:
    """Courses that build on this one; failing those, the next level in the same category."""
    follows = (
        select(course_prerequisites.c.course_id)
        .where(course_prerequisites.c.prerequisite_id == course.id)
        .scalar_subquery()
    )
    is_follow_up = Course.id.in_(follows)
    candidates = [is_follow_up]
    next_level = NEXT_LEVEL.get(course.level)
    if next_level is not None:
        candidates.append(and_(Course.category == course.category, Course.level == next_level))
    rows = db.session.execute(
        select(Course, is_follow_up.label("is_follow_up"))
        .where(Course.is_active, Course.id != course.id, or_(*candidates))
        .order_by(is_follow_up.desc(), Course.sort_order, Course.title, Course.id)
        .limit(RECOMMENDED_LIMIT + 1)
    ).all()
    follow_ups = [c for c, is_follow in rows if is_follow]
    if follow_ups:
        return follow_ups[:RECOMMENDED_LIMIT]
    return [c for c, _is_follow in rows[:1]]


def course_page(slug: str, user_id: int) -> CoursePage | None:
    """Everything the course page shows, or None when there is no such active course."""
    course = active_course(slug)
    if course is None:
        return None
    now = utcnow()
    return CoursePage(
        course=course,
        sessions=upcoming_sessions(course.id, user_id, now),
        recommended=recommended_next(course),
    )
