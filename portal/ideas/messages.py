"""The words of idea notifications. Each runs under the recipient's locale."""

from __future__ import annotations

from flask_babel import gettext as _

from portal.core.templating import seoul_datetime
from portal.db import db
from portal.ideas.ics import consultant_label, slot_invite
from portal.ideas.labels import NEXT_STEP_LABELS, STATUS_LABELS
from portal.ideas.models import ConsultingSlot, Idea, IdeaStatus, NextStep
from portal.notifications.operations import Message
from portal.users.models import User


def _link(idea: Idea) -> str:
    return f"/ideas/{idea.id}"


def _status_label(status: IdeaStatus) -> str:
    return str(STATUS_LABELS[status])


def _consultant(slot: ConsultingSlot) -> str:
    name = None
    if slot.consultant_user_id:
        user = db.session.get(User, slot.consultant_user_id)
        name = user.name if user else ""
    return consultant_label(slot, name)


def _when(slot: ConsultingSlot) -> str:
    return _(
        "일시: %(start)s ~ %(end)s (한국 시간)\n장소: %(place)s\n컨설턴트: %(who)s",
        start=seoul_datetime(slot.starts_at),
        end=seoul_datetime(slot.ends_at, "HH:mm"),
        place=slot.place or slot.online_url,
        who=_consultant(slot),
    )


def _invite(slot: ConsultingSlot, idea: Idea) -> str:
    name = None
    if slot.consultant_user_id:
        user = db.session.get(User, slot.consultant_user_id)
        name = user.name if user else ""
    return slot_invite(slot, idea, consultant_name=name)


def status_changed(idea: Idea, to: IdeaStatus, reason: str) -> Message:
    return Message(
        kind="idea.status_changed",
        title=_(
            "AI 아이디어 상태가 '%(status)s'(으)로 바뀌었습니다: %(title)s",
            status=_status_label(to),
            title=idea.title,
        ),
        body=_("사유: %(reason)s", reason=reason),
        link=_link(idea),
    )


def slot_offered(idea: Idea, slot: ConsultingSlot) -> Message:
    return Message(
        kind="idea.slot_offered",
        title=_("AI 아이디어 컨설팅 시간이 마련되었습니다: %(title)s", title=idea.title),
        body=_("아이디어 페이지에서 컨설팅 시간을 예약해 주세요.") + "\n" + _when(slot),
        link=_link(idea),
    )


def booked(idea: Idea, slot: ConsultingSlot) -> Message:
    return Message(
        kind="idea.slot_booked",
        title=_("컨설팅 예약이 확정되었습니다: %(title)s", title=idea.title),
        body=_("AI 서비스 아이디어 컨설팅이 예약되었습니다.") + "\n" + _when(slot),
        link=_link(idea),
        ics=_invite(slot, idea),
    )


def booked_for_consultant(idea: Idea, slot: ConsultingSlot) -> Message:
    return Message(
        kind="idea.slot_booked",
        title=_("맡은 컨설팅 시간이 예약되었습니다: %(title)s", title=idea.title),
        body=_("아이디어 내용을 미리 읽어 주세요. 컨설팅 뒤에는 결과를 기록해 주세요.")
        + "\n"
        + _when(slot),
        link=_link(idea),
        ics=_invite(slot, idea),
    )


def booking_cancelled(idea: Idea, slot: ConsultingSlot) -> Message:
    return Message(
        kind="idea.booking_cancelled",
        title=_("맡은 컨설팅 예약이 취소되었습니다: %(title)s", title=idea.title),
        body=_when(slot),
        link=_link(idea),
    )


def reminder(idea: Idea, slot: ConsultingSlot) -> Message:
    return Message(
        kind="idea.reminder",
        title=_("내일 AI 아이디어 컨설팅이 있습니다: %(title)s", title=idea.title),
        body=_when(slot),
        link=_link(idea),
        ics=_invite(slot, idea),
    )


def outcome_recorded(idea: Idea, next_step: NextStep) -> Message:
    return Message(
        kind="idea.outcome",
        title=_("컨설팅 결과가 기록되었습니다: %(title)s", title=idea.title),
        body=_("다음 단계: %(step)s", step=str(NEXT_STEP_LABELS[next_step])),
        link=_link(idea),
    )
