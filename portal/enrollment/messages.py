"""The words of enrolment notifications. Each runs under the recipient's locale."""

from __future__ import annotations

from flask_babel import gettext as _

from portal.core.templating import seoul_datetime
from portal.notifications.ics import session_invite
from portal.notifications.operations import Message
from portal.scheduling.models import TrainingSession

MY_LEARNING = "/my/learning"


def _when_where(session: TrainingSession) -> str:
    place = session.place or session.online_url or _("장소 추후 안내")
    return _(
        "일시: %(start)s ~ %(end)s (한국 시간)\n장소: %(place)s",
        start=seoul_datetime(session.starts_at),
        end=seoul_datetime(session.ends_at),
        place=place,
    )


def _title(session: TrainingSession) -> str:
    return _("[%(round)d차] %(course)s", round=session.round_number, course=session.course.title)


def confirmed(session: TrainingSession) -> Message:
    return Message(
        kind="enrollment.confirmed",
        title=_("수강 신청이 확정되었습니다: %(title)s", title=_title(session)),
        body=_("교육 신청이 확정되었습니다.") + "\n" + _when_where(session),
        link=MY_LEARNING,
        session_id=session.id,
        ics=session_invite(session, session.course.title),
    )


def waitlisted(session: TrainingSession, position: int | None) -> Message:
    return Message(
        kind="enrollment.waitlisted",
        title=_("대기자로 등록되었습니다: %(title)s", title=_title(session)),
        body=_(
            "정원이 차서 대기 %(n)d번으로 등록되었습니다. 자리가 나면 순서대로 자동 확정되고 알려 드립니다.",
            n=position or 0,
        )
        + "\n"
        + _when_where(session),
        link=MY_LEARNING,
        session_id=session.id,
    )


def promoted(session: TrainingSession) -> Message:
    return Message(
        kind="enrollment.promoted",
        title=_("대기에서 수강 확정으로 바뀌었습니다: %(title)s", title=_title(session)),
        body=_("취소로 자리가 나서 수강이 확정되었습니다. 참석이 어려우면 취소해 주세요.")
        + "\n"
        + _when_where(session),
        link=MY_LEARNING,
        session_id=session.id,
        ics=session_invite(session, session.course.title),
    )


def declined(session: TrainingSession) -> Message:
    return Message(
        kind="enrollment.declined",
        title=_("수강 신청이 반려되었습니다: %(title)s", title=_title(session)),
        body=_(
            "부서장이 수강 신청을 반려했습니다. 궁금한 점은 부서장이나 교육 담당자에게 문의해 주세요."
        ),
        link=MY_LEARNING,
        session_id=session.id,
    )


def removed(session: TrainingSession) -> Message:
    return Message(
        kind="enrollment.removed",
        title=_("수강 신청이 취소되었습니다: %(title)s", title=_title(session)),
        body=_("교육 담당자가 신청을 취소했습니다. 궁금한 점은 교육 담당자에게 문의해 주세요.")
        + "\n"
        + _when_where(session),
        link=MY_LEARNING,
        session_id=session.id,
        ics=session_invite(session, session.course.title, cancelled=True),
    )


def session_changed(session: TrainingSession, *, holds_seat: bool) -> Message:
    return Message(
        kind="session.changed",
        title=_("교육 일정이 바뀌었습니다: %(title)s", title=_title(session)),
        body=_("신청한 교육의 일정이나 장소가 바뀌었습니다. 바뀐 내용을 확인해 주세요.")
        + "\n"
        + _when_where(session),
        link=MY_LEARNING,
        session_id=session.id,
        ics=session_invite(session, session.course.title, include_link=holds_seat),
    )


def session_cancelled(session: TrainingSession, reason: str) -> Message:
    return Message(
        kind="session.cancelled",
        title=_("교육이 취소되었습니다: %(title)s", title=_title(session)),
        body=_("신청한 교육 차수가 취소되었습니다.")
        + (("\n" + _("사유: %(reason)s", reason=reason)) if reason else "")
        + "\n"
        + _when_where(session),
        link=MY_LEARNING,
        session_id=session.id,
        ics=session_invite(session, session.course.title, cancelled=True),
    )
