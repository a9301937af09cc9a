"""Session rules (교육 차수): the checks on a session's own fields, creating, changing, cancelling.

Operations validate, change and flush; the request commits once. What a change does to
the people on a session (the row lock, the waitlist, notices, cancelled places) is an
enrolment rule: portal.enrollment.session_operations builds the coordinator's update and
cancel from these pieces, so scheduling never reads enrolments.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select

from portal.audit.operations import record
from portal.catalog.models import Course
from portal.core import inputs
from portal.core.clock import utcnow
from portal.db import db
from portal.scheduling.models import SessionStatus, TrainingSession
from portal.scheduling.queries import INSTRUCTOR_ROLES, next_round_number
from portal.users.models import User

MAX_CAPACITY = 1000
MAX_PLACE = 200
MAX_URL = 500
MAX_NOTES = 2000
MAX_REASON = 500


class SchedulingError(ValueError):
    """A rule refused the change; the message is shown to the coordinator as it is."""


@dataclass(frozen=True)
class SessionInput:
    """What a coordinator enters for a session. Datetimes are timezone-aware (UTC)."""

    course_id: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    capacity: int
    round_number: int | None = None  # None: the next free round of the course
    place: str = ""
    online_url: str = ""
    instructor_id: int | None = None
    enrol_opens_at: dt.datetime | None = None
    enrol_closes_at: dt.datetime | None = None
    cancel_deadline_at: dt.datetime | None = None
    notes: str = ""


# --- validation --------------------------------------------------------------------


def _clean_text(value: str, limit: int, message: str) -> str:
    text = (value or "").strip()
    if len(text) > limit:
        raise SchedulingError(message)
    return text


def _check_url(url: str) -> None:
    # Only web links: the link is shown to staff as a clickable address.
    # Judged on the raw string: urlsplit drops tabs and line breaks before it parses.
    if not inputs.is_web_url(url):
        raise SchedulingError(
            _(
                "온라인 링크는 http:// 또는 https://로 시작하는 주소여야 합니다. 주소를 다시 확인해 주세요."
            )
        )


def _check_course(course_id: int, existing: TrainingSession | None, has_people: bool) -> None:
    course = db.session.get(Course, course_id)
    if course is None:
        raise SchedulingError(_("선택한 교육과정이 없습니다. 목록에서 다시 골라 주세요."))
    keeps_course = existing is not None and existing.course_id == course_id
    if not course.is_active and not keeps_course:
        raise SchedulingError(_("운영하지 않는 교육과정에는 차수를 만들 수 없습니다."))
    if existing is not None and not keeps_course and has_people:
        raise SchedulingError(
            _(
                "신청자가 있는 차수는 교육과정을 바꿀 수 없습니다. 새 교육과정에 차수를 따로 만들어 주세요."
            )
        )


def _check_round(course_id: int, round_number: int, existing: TrainingSession | None) -> None:
    if round_number < 1 or round_number > 9999:
        raise SchedulingError(_("차수는 1에서 9999 사이의 숫자로 입력해 주세요."))
    clash = db.session.scalar(
        select(TrainingSession.id).where(
            TrainingSession.course_id == course_id,
            TrainingSession.round_number == round_number,
            TrainingSession.id != (existing.id if existing else -1),
        )
    )
    if clash:
        raise SchedulingError(
            _(
                "이 교육과정에 이미 %(round)d차가 있습니다. 다른 차수 번호를 입력하거나 비워 두면 다음 번호를 씁니다.",
                round=round_number,
            )
        )


def _check_instructor(instructor_id: int | None, existing: TrainingSession | None) -> None:
    if instructor_id is None or (existing is not None and existing.instructor_id == instructor_id):
        return
    user = db.session.get(User, instructor_id)
    if user is None or not user.is_active or user.role not in INSTRUCTOR_ROLES:
        raise SchedulingError(_("강사는 사용 중인 강사나 교육 담당자 가운데에서 골라 주세요."))


def _check_times(data: SessionInput, existing: TrainingSession | None) -> None:
    moments = (
        data.starts_at,
        data.ends_at,
        data.enrol_opens_at,
        data.enrol_closes_at,
        data.cancel_deadline_at,
    )
    if not all(inputs.datetime_in_range(moment) for moment in moments):
        raise SchedulingError(
            _(
                "%(first)s부터 %(last)s 사이의 날짜를 입력해 주세요.",
                first=inputs.MIN_DATE.isoformat(),
                last=inputs.MAX_DATE.isoformat(),
            )
        )
    if data.ends_at <= data.starts_at:
        raise SchedulingError(_("종료 시각은 시작 시각보다 늦어야 합니다."))
    moved = existing is None or existing.starts_at != data.starts_at
    if moved and data.starts_at <= utcnow():
        raise SchedulingError(_("시작 시각이 이미 지났습니다. 앞으로의 일시를 입력해 주세요."))
    opens, closes = data.enrol_opens_at, data.enrol_closes_at
    if opens and opens >= data.starts_at:
        raise SchedulingError(_("신청 시작 시각은 교육 시작 전이어야 합니다."))
    if closes and closes > data.starts_at:
        raise SchedulingError(_("신청 마감 시각은 교육 시작 시각과 같거나 그보다 빨라야 합니다."))
    if opens and closes and opens >= closes:
        raise SchedulingError(_("신청 시작 시각은 신청 마감 시각보다 빨라야 합니다."))
    if data.cancel_deadline_at and data.cancel_deadline_at > data.starts_at:
        raise SchedulingError(_("취소 마감 시각은 교육 시작 시각과 같거나 그보다 빨라야 합니다."))


def _check_capacity(capacity: int, existing: TrainingSession | None) -> None:
    if capacity < 1 or capacity > MAX_CAPACITY:
        raise SchedulingError(_("정원은 1명에서 %(max)d명 사이로 입력해 주세요.", max=MAX_CAPACITY))
    if existing is not None and capacity < existing.seats_taken:
        raise SchedulingError(
            _(
                "정원을 %(capacity)d명으로 줄일 수 없습니다. 이미 %(taken)d명이 확정되었습니다. 먼저 신청자를 다른 차수로 옮기거나 취소해 주세요.",
                capacity=capacity,
                taken=existing.seats_taken,
            )
        )


def validate_session(
    data: SessionInput, *, existing: TrainingSession | None = None, has_people: bool = False
) -> SessionInput:
    """Check every rule and return the cleaned input (round number filled in).

    has_people: whether anyone holds or waits for a place on the existing session (the
    caller knows; a session with people on it keeps its course).
    """
    for value in (data.starts_at, data.ends_at, data.enrol_opens_at, data.enrol_closes_at):
        assert value is None or value.tzinfo is not None, "SessionInput datetimes are aware"
    if existing is not None and existing.status is not SessionStatus.SCHEDULED:
        raise SchedulingError(_("취소되었거나 종료 처리된 차수는 고칠 수 없습니다."))
    place = _clean_text(
        data.place, MAX_PLACE, _("장소는 %(n)d자까지 입력할 수 있습니다.", n=MAX_PLACE)
    )
    online_url = _clean_text(
        data.online_url, MAX_URL, _("온라인 링크는 %(n)d자까지 입력할 수 있습니다.", n=MAX_URL)
    )
    notes = _clean_text(
        data.notes, MAX_NOTES, _("메모는 %(n)d자까지 입력할 수 있습니다.", n=MAX_NOTES)
    )
    if not place and not online_url:
        raise SchedulingError(_("장소나 온라인 링크 가운데 하나는 입력해 주세요."))
    if online_url:
        _check_url(online_url)
    _check_course(data.course_id, existing, has_people)
    if data.round_number is None:
        keeps_round = existing is not None and existing.course_id == data.course_id
        round_number = existing.round_number if keeps_round else next_round_number(data.course_id)
    else:
        round_number = data.round_number
    _check_round(data.course_id, round_number, existing)
    _check_times(data, existing)
    _check_instructor(data.instructor_id, existing)
    _check_capacity(data.capacity, existing)
    return SessionInput(
        course_id=data.course_id,
        round_number=round_number,
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        capacity=data.capacity,
        place=place,
        online_url=online_url,
        instructor_id=data.instructor_id,
        enrol_opens_at=data.enrol_opens_at,
        enrol_closes_at=data.enrol_closes_at,
        cancel_deadline_at=data.cancel_deadline_at,
        notes=notes,
    )


# --- changes -----------------------------------------------------------------------

# The columns a SessionInput sets, in the order the audit lists them.
FIELDS = (
    "course_id",
    "round_number",
    "starts_at",
    "ends_at",
    "place",
    "online_url",
    "instructor_id",
    "capacity",
    "enrol_opens_at",
    "enrol_closes_at",
    "cancel_deadline_at",
    "notes",
)


def create_session(data: SessionInput) -> TrainingSession:
    """Schedule a new session of a course (audited as session.created)."""
    clean = validate_session(data)
    now = utcnow()
    session = TrainingSession(
        **{name: getattr(clean, name) for name in FIELDS},
        status=SessionStatus.SCHEDULED,
        seats_taken=0,
        created_at=now,
        updated_at=now,
    )
    db.session.add(session)
    db.session.flush()
    record(
        "session.created",
        target_type="training_session",
        target_id=session.id,
        details={
            "course_id": session.course_id,
            "round_number": session.round_number,
            "capacity": session.capacity,
        },
    )
    return session


def apply_session_input(session: TrainingSession, clean: SessionInput) -> list[str]:
    """Write validated input onto the session; the names of the fields that changed.

    Nothing is written (and nothing flushed) when no field changed.
    """
    changed = [name for name in FIELDS if getattr(session, name) != getattr(clean, name)]
    if changed:
        for name in changed:
            setattr(session, name, getattr(clean, name))
        session.updated_at = utcnow()
        db.session.flush()
    return changed


def clean_cancel_reason(reason: str) -> str:
    """The cancellation reason on one line; refused when empty or too long."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise SchedulingError(_("취소 사유를 입력해 주세요. 신청자에게 안내됩니다."))
    if len(reason) > MAX_REASON:
        raise SchedulingError(_("취소 사유는 %(n)d자까지 입력할 수 있습니다.", n=MAX_REASON))
    return reason


def mark_cancelled(session: TrainingSession, reason: str, *, now: dt.datetime) -> None:
    """Mark a scheduled session cancelled, keeping the reason in its notes.

    A session already cancelled or finished is refused with a message for the coordinator.
    """
    if session.status is SessionStatus.CANCELLED:
        raise SchedulingError(_("이미 취소된 차수입니다. 다시 취소할 필요가 없습니다."))
    if session.status is SessionStatus.FINISHED:
        raise SchedulingError(_("종료 처리된 차수는 취소할 수 없습니다."))
    session.status = SessionStatus.CANCELLED
    session.notes = (session.notes + "\n" if session.notes else "") + _(
        "[취소 사유] %(reason)s", reason=reason
    )
    session.updated_at = now
