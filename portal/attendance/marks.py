"""Attendance marked on the roster: per session day, each enrolled person's status.

The workflow the roster page is built for is "mark everyone present, then the
exceptions": :func:`mark_all_present` gives a 출석 mark to every enrolled person who has
**no mark yet** that day (it never overwrites a mark someone else made, a person's own QR
check-in or an exception already set), and :func:`mark` then sets one person's status.

Rules (DESIGN.md §3.D):

* Only ENROLLED people of a scheduled (or finished) session are marked, and only on a
  day the session meets (``portal.attendance.schedule``); a cancelled session and a
  future day are refused.
* Each mark is its own row (session, user, day), written by its own statement, so two
  people marking one roster at the same time never lose each other's marks. A form
  that carries the version it was based on (``expected_version``; 0 for "no mark yet")
  is refused with a clear message when the row changed meanwhile, instead of silently
  overwriting the other person's mark. The write itself is a compare-and-swap
  (``UPDATE … WHERE version = …``, ``INSERT … ON CONFLICT DO NOTHING``), so the check
  holds on PostgreSQL under READ COMMITTED as well as on SQLite.
* During the day a mark is audited lightly (``attendance.marked``: who, whom, before,
  after). Once the day has ended a change needs a reason and is audited as
  ``attendance.changed`` with before, after and the reason.
* Who may mark is decided by :func:`may_mark` (the session's own instructor, and
  coordinators and admins); the views answer 404 for anyone else.

Operations flush; the request commits once.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import joinedload

from portal.attendance import completion
from portal.attendance.models import AttendanceMark, AttendanceStatus, MarkSource
from portal.attendance.schedule import SessionDay, day_of, session_days
from portal.attendance.signin_sheet import SheetPerson, SignInSheet
from portal.audit.operations import record, record_many
from portal.core.clock import SEOUL, today_in_seoul, utcnow
from portal.db import db
from portal.enrollment.models import Enrollment, EnrollmentStatus
from portal.scheduling.models import SessionStatus, TrainingSession
from portal.users.models import Role, User

REASON_MAX = 200

STATUS_LABELS = {
    AttendanceStatus.PRESENT: _l("출석"),
    AttendanceStatus.LATE: _l("지각"),
    AttendanceStatus.EXCUSED: _l("공결"),
    AttendanceStatus.ABSENT: _l("결석"),
}

# Roles that may mark any session's roster; instructors only their own sessions.
MARKING_ROLES = (Role.COORDINATOR, Role.ADMIN)


class AttendanceError(Exception):
    """A rule refused the mark; the message is shown to the person as it is."""


class VersionConflict(AttendanceError):
    """The mark changed since the form was shown; nothing was written."""


# --- who and when ------------------------------------------------------------------------


def may_mark(user: User, session: TrainingSession) -> bool:
    """The session's own instructor, or a coordinator or admin."""
    return session.instructor_id == user.id or user.role in MARKING_ROLES


def day_is_over(session_day: SessionDay) -> bool:
    return utcnow() >= session_day.ends_at


def session_is_over(session: TrainingSession) -> bool:
    return utcnow() >= session.ends_at


def default_day(session: TrainingSession) -> SessionDay:
    """Today's meeting if there is one, else the last day that has begun, else the first."""
    days = session_days(session)
    today = today_in_seoul()
    begun = [d for d in days if d.day <= today]
    return begun[-1] if begun else days[0]


def parse_day(raw: str | None) -> dt.date | None:
    """A YYYY-MM-DD day from a query string or form, else None."""
    if not raw or len(raw) != 10:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        return None


# --- reading ------------------------------------------------------------------------------


@dataclass(frozen=True)
class RosterRow:
    enrollment: Enrollment
    mark: AttendanceMark | None

    @property
    def user(self) -> User:
        return self.enrollment.user

    @property
    def status(self) -> AttendanceStatus | None:
        return self.mark.status if self.mark else None

    @property
    def version(self) -> int:
        return self.mark.version if self.mark else 0


@dataclass(frozen=True)
class AttendanceRoster:
    """One session day's roster: everyone enrolled, with their mark (if any)."""

    session: TrainingSession
    day: SessionDay
    days: list[SessionDay]
    rows: list[RosterRow]
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def is_over(self) -> bool:
        return day_is_over(self.day)

    @property
    def is_future(self) -> bool:
        return self.day.day > today_in_seoul()

    @property
    def is_cancelled(self) -> bool:
        return self.session.status is SessionStatus.CANCELLED

    @property
    def can_mark(self) -> bool:
        return not self.is_cancelled and not self.is_future

    def row_for(self, user_id: int) -> RosterRow | None:
        return next((r for r in self.rows if r.enrollment.user_id == user_id), None)


def _counts(rows: list[RosterRow]) -> dict[str, int]:
    tally = Counter(r.status.value if r.status else "unmarked" for r in rows)
    return {key: tally.get(key, 0) for key in [*(s.value for s in AttendanceStatus), "unmarked"]}


def load_session(session_id: int) -> TrainingSession | None:
    return db.session.scalars(
        select(TrainingSession)
        .options(joinedload(TrainingSession.course))
        .where(TrainingSession.id == session_id)
    ).one_or_none()


def load_roster(session: TrainingSession, day: SessionDay, *, only_user: int | None = None):
    """The day's roster in two queries, whatever its size (names sorted)."""
    enrolled = select(Enrollment).where(
        Enrollment.session_id == session.id, Enrollment.status == EnrollmentStatus.ENROLLED
    )
    marks = select(AttendanceMark).where(
        AttendanceMark.session_id == session.id, AttendanceMark.day == day.day
    )
    if only_user is not None:
        enrolled = enrolled.where(Enrollment.user_id == only_user)
        marks = marks.where(AttendanceMark.user_id == only_user)
    enrollments = db.session.scalars(
        enrolled.options(joinedload(Enrollment.user).joinedload(User.department))
    ).all()
    by_user = {
        m.user_id: m for m in db.session.scalars(marks.execution_options(populate_existing=True))
    }
    rows = sorted(
        (RosterRow(e, by_user.get(e.user_id)) for e in enrollments),
        key=lambda r: (r.user.name, r.user.employee_number),
    )
    return AttendanceRoster(session, day, session_days(session), rows, _counts(rows))


def view_roster(session: TrainingSession, day: SessionDay) -> AttendanceRoster:
    """Load the day's roster and audit that it was seen (personal data, DESIGN.md §3.A)."""
    roster = load_roster(session, day)
    record(
        "roster.viewed",
        target_type="training_session",
        target_id=session.id,
        details={"entries": len(roster.rows), "attendance_day": day.day.isoformat()},
    )
    return roster


# --- writing ------------------------------------------------------------------------------


def _check_markable(session: TrainingSession, day: dt.date) -> SessionDay:
    if session.status is SessionStatus.CANCELLED:
        raise AttendanceError(_("취소된 교육 차수라 출석을 표시할 수 없습니다."))
    session_day = day_of(session, day)
    if session_day is None:
        raise AttendanceError(
            _("%(day)s에는 이 차수의 교육이 없습니다. 교육일을 골라 주세요.", day=day.isoformat())
        )
    if day > today_in_seoul():
        raise AttendanceError(
            _(
                "%(day)s 교육일이 아직 오지 않았습니다. 출석은 교육 당일부터 표시할 수 있습니다.",
                day=day.isoformat(),
            )
        )
    return session_day


def _clean_reason(session_day: SessionDay, reason: str | None) -> str | None:
    """The reason a change after the day needs; None during the day."""
    if not day_is_over(session_day):
        return None
    reason = (reason or "").strip()
    if not reason:
        raise AttendanceError(
            _(
                "교육일이 끝난 뒤에는 변경 사유를 적어야 출석을 바꿀 수 있습니다. 사유를 입력해 주세요."
            )
        )
    if len(reason) > REASON_MAX:
        raise AttendanceError(_("변경 사유는 %(n)d자까지 쓸 수 있습니다.", n=REASON_MAX))
    return reason


def _insert_ignoring_conflicts(rows: list[dict]):
    """INSERT … ON CONFLICT DO NOTHING RETURNING user_id, on SQLite and PostgreSQL."""
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    return (
        dialect.insert(AttendanceMark)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["session_id", "user_id", "day"])
        .returning(AttendanceMark.user_id)
    )


def _conflict(name: str) -> VersionConflict:
    return VersionConflict(
        _(
            "%(name)s 님의 출석은 그사이 다른 사람이 바꿨습니다. 덮어쓰지 않았습니다. 화면에 보이는 지금 상태를 확인한 뒤 다시 표시해 주세요.",
            name=name,
        )
    )


@dataclass(frozen=True)
class MarkResult:
    mark: AttendanceMark
    before: AttendanceStatus | None
    changed: bool
    after_day: bool


def mark(
    session_id: int,
    day: dt.date,
    user_id: int,
    status: AttendanceStatus,
    actor_id: int,
    reason: str | None = None,
    expected_version: int | None = None,
) -> MarkResult:
    """Set one person's status on one day; refused with a Korean message when not allowed.

    ``expected_version`` is the version the form showed (0 when there was no mark); when
    the row has changed since, nothing is written and :class:`VersionConflict` is raised.
    """
    session = db.session.get(TrainingSession, session_id)
    if session is None:
        raise AttendanceError(_("교육 차수를 찾을 수 없습니다."))
    session_day = _check_markable(session, day)
    enrollment = db.session.scalar(
        select(Enrollment)
        .options(joinedload(Enrollment.user))
        .where(Enrollment.session_id == session_id, Enrollment.user_id == user_id)
    )
    if enrollment is None or enrollment.status is not EnrollmentStatus.ENROLLED:
        raise AttendanceError(
            _("이 차수에 수강 확정된 사람만 출석을 표시할 수 있습니다. 명단을 새로 고쳐 주세요.")
        )
    name = enrollment.user.name
    clean_reason = _clean_reason(session_day, reason)
    now = utcnow()
    current = _current_mark(session_id, user_id, day)
    if expected_version is not None and (current.version if current else 0) != expected_version:
        raise _conflict(name)
    before = current.status if current else None

    if current is None:
        inserted = db.session.execute(
            _insert_ignoring_conflicts(
                [
                    {
                        "session_id": session_id,
                        "user_id": user_id,
                        "day": day,
                        "status": status,
                        "source": MarkSource.ROSTER,
                        "marked_by_id": actor_id,
                        "marked_at": now,
                        "version": 1,
                    }
                ]
            )
        ).all()
        if not inserted:
            # Someone else's mark for this person landed between our read and our write.
            raise _conflict(name)
    elif current.status is status and current.source is MarkSource.ROSTER:
        # Nothing to change (a double click, or the same choice made twice): no write.
        return MarkResult(current, before, False, day_is_over(session_day))
    else:
        swapped = db.session.execute(
            update(AttendanceMark)
            .where(AttendanceMark.id == current.id, AttendanceMark.version == current.version)
            .values(
                status=status,
                source=MarkSource.ROSTER,
                marked_by_id=actor_id,
                marked_at=now,
                version=AttendanceMark.version + 1,
            )
            .execution_options(synchronize_session=False)
        )
        if swapped.rowcount != 1:
            raise _conflict(name)
    saved = _current_mark(session_id, user_id, day)
    after_day = day_is_over(session_day)
    _audit_mark(session, day, user_id, before, status, actor_id, clean_reason)
    if after_day and session_is_over(session):
        _refresh_completion(session_id, [user_id])
    return MarkResult(saved, before, True, after_day)


def _current_mark(session_id: int, user_id: int, day: dt.date) -> AttendanceMark | None:
    return db.session.scalar(
        select(AttendanceMark)
        .where(
            AttendanceMark.session_id == session_id,
            AttendanceMark.user_id == user_id,
            AttendanceMark.day == day,
        )
        .execution_options(populate_existing=True)
    )


def _audit_mark(session, day, user_id, before, after, actor_id, reason) -> None:
    details = {
        "session_id": session.id,
        "user_id": user_id,
        "day": day.isoformat(),
        "before": before.value if before else None,
        "after": after.value,
    }
    if reason is None:
        record(
            "attendance.marked",
            target_type="training_session",
            target_id=session.id,
            actor_id=actor_id,
            details=details,
        )
    else:
        record(
            "attendance.changed",
            target_type="training_session",
            target_id=session.id,
            actor_id=actor_id,
            details=details | {"reason": reason},
        )


def mark_all_present(
    session_id: int, day: dt.date, actor_id: int, reason: str | None = None
) -> list[int]:
    """Mark 출석 for every enrolled person who has no mark yet that day; returns their ids.

    Existing marks (exceptions already set, QR check-ins, another marker's work) are left
    alone, so the button is safe to press twice or while someone else marks the roster.
    One INSERT for the whole class; after the day has ended a reason is needed and each
    new mark is audited as a change.
    """
    session = db.session.get(TrainingSession, session_id)
    if session is None:
        raise AttendanceError(_("교육 차수를 찾을 수 없습니다."))
    session_day = _check_markable(session, day)
    clean_reason = _clean_reason(session_day, reason)
    marked = select(AttendanceMark.user_id).where(
        AttendanceMark.session_id == session_id, AttendanceMark.day == day
    )
    unmarked = db.session.scalars(
        select(Enrollment.user_id).where(
            Enrollment.session_id == session_id,
            Enrollment.status == EnrollmentStatus.ENROLLED,
            Enrollment.user_id.not_in(marked),
        )
    ).all()
    if not unmarked:
        return []
    now = utcnow()
    rows = [
        {
            "session_id": session_id,
            "user_id": user_id,
            "day": day,
            "status": AttendanceStatus.PRESENT,
            "source": MarkSource.ROSTER,
            "marked_by_id": actor_id,
            "marked_at": now,
            "version": 1,
        }
        for user_id in unmarked
    ]
    # A mark someone else wrote meanwhile wins: its row is skipped, not overwritten.
    written = sorted(db.session.execute(_insert_ignoring_conflicts(rows)).scalars().all())
    if clean_reason is None:
        record(
            "attendance.marked_all",
            target_type="training_session",
            target_id=session_id,
            actor_id=actor_id,
            details={"day": day.isoformat(), "count": len(written), "user_ids": written},
        )
    else:
        record_many(
            (
                {
                    "action": "attendance.changed",
                    "target_type": "training_session",
                    "target_id": session_id,
                    "details": {
                        "session_id": session_id,
                        "user_id": user_id,
                        "day": day.isoformat(),
                        "before": None,
                        "after": AttendanceStatus.PRESENT.value,
                        "reason": clean_reason,
                        "all_present": True,
                    },
                }
                for user_id in written
            ),
            actor_id=actor_id,
        )
        if written and session_is_over(session):
            _refresh_completion(session_id, written)
    return written


def _refresh_completion(session_id: int, user_ids: list[int]) -> None:
    """A mark changed after the session ended: the completion of these people is re-evaluated."""
    completion.refresh(session_id, user_ids)


def local_day_label(session_day: SessionDay) -> str:
    """'2026-12-07 09:00–18:00' (Asia/Seoul) for the day picker and the sign-in sheet."""
    start = session_day.starts_at.astimezone(SEOUL)
    end = session_day.ends_at.astimezone(SEOUL)
    return f"{session_day.day.isoformat()} {start:%H:%M}–{end:%H:%M}"


def export_sheet(session: TrainingSession, day: SessionDay) -> SignInSheet:
    """The sign-in sheet's contents as plain values; the export is audited (personal data)."""
    roster = load_roster(session, day)
    record(
        "roster.exported",
        target_type="training_session",
        target_id=session.id,
        details={"format": "signin_pdf", "day": day.day.isoformat(), "entries": len(roster.rows)},
    )
    instructor = (
        db.session.scalar(select(User.name).where(User.id == session.instructor_id))
        if session.instructor_id
        else None
    )
    start = day.starts_at.astimezone(SEOUL)
    end = day.ends_at.astimezone(SEOUL)
    return SignInSheet(
        course=session.course.title,
        round_label=_("%(n)d차", n=session.round_number),
        day_label=day.day.isoformat(),
        time_label=f"{start:%H:%M}–{end:%H:%M}",
        place=session.place or session.online_url or "",
        instructor=instructor or "",
        people=[
            SheetPerson(
                name=r.user.name,
                department=r.user.department.name if r.user.department else "—",
                employee_number=r.user.employee_number,
            )
            for r in roster.rows
        ],
        labels={
            "title": _("출석부"),
            "course": _("교육과정"),
            "date": _("교육일"),
            "time": _("시간"),
            "place": _("장소"),
            "instructor": _("강사"),
            "count": _("수강 확정"),
            "no": _("번호"),
            "name": _("성명"),
            "department": _("부서"),
            "number": _("사번"),
            "sign": _("서명"),
            "empty": _("수강 확정된 사람이 없습니다."),
        },
    )
