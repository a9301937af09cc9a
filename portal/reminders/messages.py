"""The words of reminder mail. Each runs under the recipient's locale."""

from __future__ import annotations

import datetime as dt

from flask_babel import gettext as _

from portal.catalog.models import Course
from portal.core.templating import seoul_date, seoul_datetime
from portal.notifications.ics import session_invite
from portal.notifications.operations import Message
from portal.scheduling.models import TrainingSession
from portal.users.models import User

MY_LEARNING = "/my/learning"
CATALOG = "/courses"
MANDATORY_PAGE = "/manage/mandatory"


def session_tomorrow(session: TrainingSession) -> Message:
    place = session.place or session.online_url or _("장소 추후 안내")
    return Message(
        kind="reminder.session",
        title=_(
            "내일 교육이 있습니다: [%(round)d차] %(course)s",
            round=session.round_number,
            course=session.course.title,
        ),
        body=_(
            "일시: %(start)s ~ %(end)s (한국 시간)\n장소: %(place)s",
            start=seoul_datetime(session.starts_at),
            end=seoul_datetime(session.ends_at),
            place=place,
        ),
        link=MY_LEARNING,
        ics=session_invite(session, session.course.title),
        session_id=session.id,
    )


def mandatory_due_soon(course: Course, due_on: dt.date, days_left: int) -> Message:
    return Message(
        kind="reminder.mandatory_due",
        title=_(
            "신규자 필수교육 기한이 %(n)d일 남았습니다: %(course)s",
            n=days_left,
            course=course.title,
        ),
        body=_(
            "%(course)s 과정은 %(due)s까지 이수해야 합니다. 아직 신청하지 않았으니 교육과정에서 차수를 골라 신청해 주세요.",
            course=course.title,
            due=seoul_date(due_on),
        ),
        link=CATALOG,
    )


def mandatory_overdue(course: Course, due_on: dt.date, head_told: bool) -> Message:
    body = _(
        "%(course)s 과정의 이수 기한(%(due)s)이 지났습니다. 가장 빠른 차수에 신청해 주세요.",
        course=course.title,
        due=seoul_date(due_on),
    )
    if head_told:
        body += " " + _("부서장에게도 알렸습니다.")
    return Message(
        kind="reminder.mandatory_overdue",
        title=_("신규자 필수교육 기한이 지났습니다: %(course)s", course=course.title),
        body=body,
        link=CATALOG,
    )


def mandatory_escalation(person: User, course: Course, due_on: dt.date) -> Message:
    return Message(
        kind="reminder.mandatory_escalation",
        title=_(
            "소속 직원의 신규자 필수교육 기한이 지났습니다: %(name)s (%(course)s)",
            name=person.name,
            course=course.title,
        ),
        body=_(
            "%(name)s(사번 %(number)s) 님이 %(course)s 과정을 이수 기한(%(due)s)까지 신청하지 않았습니다. 교육 신청을 안내해 주세요.",
            name=person.name,
            number=person.employee_number,
            course=course.title,
            due=seoul_date(due_on),
        ),
        link="",
    )
