"""AI service ideas: submit, edit, triage, consulting slots, booking and outcomes (issue 12).

Operations flush, audit and notify; they never commit (portal/db.py does). Each raises
:class:`IdeaError` with a Korean message when a rule refuses, and then changes nothing.

The workflow. A coordinator moves an idea along, always with a reason; each change is
kept in the idea's history (IdeaEvent), audited (``idea.status_changed``) and notified to
the submitter:

=================  ==========================================  =============================
From               Allowed to                                  Refused (examples)
=================  ==========================================  =============================
접수 received      검토 중, 보류                                컨설팅 배정, 완료 (not reviewed)
검토 중 reviewing  컨설팅 배정, 완료, 보류                      접수 (no way back to 접수)
컨설팅 배정        검토 중, 완료, 보류                          접수
보류 on_hold       검토 중 (resume)                             컨설팅 배정, 완료, 접수
완료 done          — (final; the history stays)                 everything
=================  ==========================================  =============================

* The same status again is refused, and a change races safely: the status is changed with
  ``UPDATE ... WHERE status = <the status the coordinator saw>``, so of two coordinators
  acting on the same page one wins and the other is told the idea has changed.
* Recording a consulting outcome on an idea in 컨설팅 배정 moves it to 완료 by itself (the
  reason is "컨설팅 결과 기록"); an outcome on an idea already moved on changes no status.
* Leaving 컨설팅 배정 for 검토 중 or 보류 lets go of the idea's upcoming booking, so the
  slot is free for another idea (recorded as ``released`` in the history); a portal
  consultant who held that time is notified, as when the submitter cancels.

Consulting slots. Only an idea in 컨설팅 배정 can book, only a slot that has not started,
that is offered to it or to any idea, and only one upcoming slot per idea. A slot is taken
with ``UPDATE consulting_slots SET booked_idea_id = :idea WHERE id = :slot AND
booked_idea_id IS NULL ...``: row count 1 means booked, 0 means someone was first, so a
burst of bookings on one slot books exactly one (as seats do in portal.enrollment).

The personal-data guard runs on every text field on submit and on edit, as the sandbox's
export does: personal data is refused with the field named. 기밀 (confidential) data is a
grade the idea may declare, but the sandbox must never receive it; the pages say so.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, delete, or_, select, update

from portal.assistant.guard import detect
from portal.assistant.models import Draft
from portal.audit.operations import record
from portal.core.clock import utcnow
from portal.core.inputs import is_web_url
from portal.db import db
from portal.ideas import messages
from portal.ideas.labels import STATUS_LABELS
from portal.ideas.models import (
    ConsultingOutcome,
    ConsultingSlot,
    Idea,
    IdeaDataGrade,
    IdeaEvent,
    IdeaEventKind,
    IdeaStatus,
    NextStep,
)
from portal.notifications.operations import notify
from portal.users.models import Role, User

IDEA_DOC_TYPE = "idea-discovery"
MAX_TITLE = 200
MAX_TEXT = 5000
MAX_REASON = 1000
MAX_HOURS = 1_000_000
MAX_PEOPLE = 10_000_000
MAX_PLACE = 200
MAX_URL = 500

TRANSITIONS: dict[IdeaStatus, frozenset[IdeaStatus]] = {
    IdeaStatus.RECEIVED: frozenset({IdeaStatus.REVIEWING, IdeaStatus.ON_HOLD}),
    IdeaStatus.REVIEWING: frozenset({IdeaStatus.CONSULTING, IdeaStatus.DONE, IdeaStatus.ON_HOLD}),
    IdeaStatus.CONSULTING: frozenset({IdeaStatus.REVIEWING, IdeaStatus.DONE, IdeaStatus.ON_HOLD}),
    IdeaStatus.ON_HOLD: frozenset({IdeaStatus.REVIEWING}),
    IdeaStatus.DONE: frozenset(),
}

COORDINATING = frozenset({Role.COORDINATOR, Role.ADMIN})
CONSULTANT_ROLES = frozenset({Role.INSTRUCTOR, Role.COORDINATOR, Role.ADMIN})


class IdeaError(ValueError):
    """A rule refused the change; the message is shown as it is."""


def is_coordinator(user: User) -> bool:
    return user.role in COORDINATING


def allowed_transitions(status: IdeaStatus) -> list[IdeaStatus]:
    """Where a coordinator may move an idea from ``status``, in workflow order."""
    return [s for s in IdeaStatus if s in TRANSITIONS[status]]


# --- submit and edit ----------------------------------------------------------------


@dataclass(frozen=True)
class IdeaInput:
    title: str
    problem: str
    current_process: str
    data_description: str
    data_grade: IdeaDataGrade
    effect_hours_saved: int | None
    effect_people_served: int | None
    share: bool
    department_id: int | None


FIELD_LABELS = {
    "title": _l("제목"),
    "problem": _l("해결하려는 문제"),
    "current_process": _l("지금 일하는 방식"),
    "data_description": _l("쓸 데이터"),
}


def personal_data_fields(data: IdeaInput) -> list[str]:
    """Labels of the text fields in which the guard finds personal data."""
    return [
        str(label)
        for name, label in FIELD_LABELS.items()
        if detect.personal_findings(detect.scan(getattr(data, name)))
    ]


def _check(data: IdeaInput) -> None:
    if not data.title.strip() or not data.problem.strip():
        raise IdeaError(_("제목과 해결하려는 문제를 입력해 주세요."))
    for value in (data.effect_hours_saved, data.effect_people_served):
        if value is not None and value < 0:
            raise IdeaError(_("기대효과는 0 이상의 수로 입력해 주세요."))
    fields = personal_data_fields(data)
    if fields:
        raise IdeaError(
            _(
                "개인정보로 보이는 내용이 있습니다(%(fields)s). 지우거나 가린 뒤 다시 제출해 주세요.",
                fields=", ".join(fields),
            )
        )


def _event(idea: Idea, kind: IdeaEventKind, actor_id: int | None, **fields) -> IdeaEvent:
    event = IdeaEvent(idea_id=idea.id, kind=kind, actor_id=actor_id, at=utcnow(), **fields)
    db.session.add(event)
    return event


def source_draft(user: User, draft_id: int) -> Draft | None:
    """The user's own 아이디어 발굴 draft, or None (someone else's or another type)."""
    from portal.assistant.models import DocType

    return db.session.scalar(
        select(Draft)
        .join(DocType, DocType.id == Draft.doc_type_id)
        .where(Draft.id == draft_id, Draft.user_id == user.id, DocType.slug == IDEA_DOC_TYPE)
    )


def submit_idea(user: User, data: IdeaInput, *, source_draft_id: int | None = None) -> Idea:
    """A new idea in 접수, from the form (pre-filled from a draft when source_draft_id)."""
    _check(data)
    if source_draft_id is not None and source_draft(user, source_draft_id) is None:
        raise IdeaError(_("아이디어 발굴 초안을 찾을 수 없습니다."))
    now = utcnow()
    idea = Idea(
        submitter_id=user.id,
        source_draft_id=source_draft_id,
        status=IdeaStatus.RECEIVED,
        created_at=now,
        updated_at=now,
        **_columns(data),
    )
    db.session.add(idea)
    db.session.flush()
    _event(idea, IdeaEventKind.SUBMITTED, user.id, to_status=IdeaStatus.RECEIVED)
    record("idea.submitted", target_type="idea", target_id=idea.id, actor_id=user.id)
    db.session.flush()
    return idea


def _columns(data: IdeaInput) -> dict:
    return {
        "title": data.title.strip(),
        "problem": data.problem.strip(),
        "current_process": data.current_process.strip(),
        "data_description": data.data_description.strip(),
        "data_grade": data.data_grade,
        "effect_hours_saved": data.effect_hours_saved,
        "effect_people_served": data.effect_people_served,
        "share": data.share,
        "department_id": data.department_id,
    }


def may_edit(idea: Idea, user: User) -> bool:
    return idea.submitter_id == user.id and idea.status is not IdeaStatus.DONE


def edit_idea(idea: Idea, user: User, data: IdeaInput) -> Idea:
    """The submitter changes their idea, until it is 완료."""
    if not may_edit(idea, user):
        raise IdeaError(_("완료된 아이디어는 고칠 수 없습니다."))
    _check(data)
    for name, value in _columns(data).items():
        setattr(idea, name, value)
    idea.updated_at = utcnow()
    _event(idea, IdeaEventKind.EDITED, user.id)
    db.session.flush()
    return idea


# --- triage -------------------------------------------------------------------------


def change_status(idea_id: int, seen: IdeaStatus, to: IdeaStatus, reason: str, actor: User) -> Idea:
    """Move an idea along the workflow (table above); ``seen`` is the status on the page."""
    reason = reason.strip()
    if not reason:
        raise IdeaError(_("상태를 바꾸는 사유를 입력해 주세요."))
    if len(reason) > MAX_REASON:
        raise IdeaError(_("사유는 %(n)d자 안으로 써 주세요.", n=MAX_REASON))
    if to not in TRANSITIONS[seen]:
        raise IdeaError(
            _(
                "'%(from)s'에서 '%(to)s'(으)로는 바꿀 수 없습니다.",
                **{"from": STATUS_LABELS[seen], "to": STATUS_LABELS[to]},
            )
        )
    now = utcnow()
    result = db.session.execute(
        update(Idea)
        .where(Idea.id == idea_id, Idea.status == seen)
        .values(status=to, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise IdeaError(
            _("그사이 다른 담당자가 상태를 바꿨습니다. 페이지를 새로 고쳐 확인해 주세요.")
        )
    idea = db.session.get(Idea, idea_id, populate_existing=True)
    _event(idea, IdeaEventKind.STATUS, actor.id, from_status=seen, to_status=to, reason=reason)
    released: list[ConsultingSlot] = []
    if seen is IdeaStatus.CONSULTING and to is not IdeaStatus.DONE:
        released = _release_upcoming(idea, actor)
    record(
        "idea.status_changed",
        target_type="idea",
        target_id=idea.id,
        actor_id=actor.id,
        details={"from": seen.value, "to": to.value},
    )
    db.session.flush()
    submitter = db.session.get(User, idea.submitter_id)
    notify(submitter, lambda: messages.status_changed(idea, to, reason))
    for slot in released:
        _notify_consultant_of_release(idea, slot)
    return idea


def _release_upcoming(idea: Idea, actor: User) -> list[ConsultingSlot]:
    """Let go of the idea's upcoming bookings; returns the slots that were let go."""
    now = utcnow()
    upcoming = list(
        db.session.scalars(
            select(ConsultingSlot).where(
                ConsultingSlot.booked_idea_id == idea.id, ConsultingSlot.starts_at > now
            )
        )
    )
    if not upcoming:
        return []
    db.session.execute(
        update(ConsultingSlot)
        .where(
            ConsultingSlot.id.in_([slot.id for slot in upcoming]),
            ConsultingSlot.booked_idea_id == idea.id,
        )
        .values(booked_idea_id=None, booked_at=None, reminded_at=None, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    _event(idea, IdeaEventKind.RELEASED, actor.id)
    return upcoming


def _notify_consultant_of_release(idea: Idea, slot: ConsultingSlot) -> None:
    """A portal consultant whose booked time was let go hears of it (an outside expert is
    told by the coordinator, who made the change)."""
    if not slot.consultant_user_id:
        return
    consultant = db.session.get(User, slot.consultant_user_id)
    if consultant is not None and consultant.is_active:
        notify(consultant, lambda: messages.booking_cancelled(idea, slot))


# --- consulting slots ----------------------------------------------------------------


@dataclass(frozen=True)
class SlotInput:
    starts_at: dt.datetime
    ends_at: dt.datetime
    place: str
    online_url: str
    consultant_user_id: int | None
    consultant_name: str
    consultant_org: str
    offered_for_idea_id: int | None


def offer_slot(actor: User, data: SlotInput) -> ConsultingSlot:
    """A coordinator offers a consulting time, with an instructor or an outside expert."""
    if data.ends_at <= data.starts_at:
        raise IdeaError(_("끝나는 시각은 시작 시각보다 늦어야 합니다."))
    if data.starts_at <= utcnow():
        raise IdeaError(_("이미 지난 시각에는 컨설팅 시간을 열 수 없습니다."))
    if not (data.place.strip() or data.online_url.strip()):
        raise IdeaError(_("장소나 온라인 링크 가운데 하나는 꼭 입력해 주세요."))
    if data.online_url.strip() and not is_web_url(data.online_url.strip()):
        raise IdeaError(_("온라인 링크는 http:// 또는 https://로 시작하는 주소로 입력해 주세요."))
    if data.consultant_user_id:
        consultant = db.session.get(User, data.consultant_user_id)
        if (
            consultant is None
            or not consultant.is_active
            or consultant.role not in CONSULTANT_ROLES
        ):
            raise IdeaError(_("컨설턴트로 고른 사람을 찾을 수 없습니다."))
        name, org = "", ""
    else:
        name, org = data.consultant_name.strip(), data.consultant_org.strip()
        if not name or not org:
            raise IdeaError(_("외부 전문가는 이름과 소속을 모두 입력해 주세요."))
    if data.offered_for_idea_id:
        idea = db.session.get(Idea, data.offered_for_idea_id)
        if idea is None or idea.status is not IdeaStatus.CONSULTING:
            raise IdeaError(_("'컨설팅 배정' 상태의 아이디어에만 컨설팅 시간을 줄 수 있습니다."))
    now = utcnow()
    slot = ConsultingSlot(
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        place=data.place.strip(),
        online_url=data.online_url.strip(),
        consultant_user_id=data.consultant_user_id or None,
        consultant_name=name,
        consultant_org=org,
        offered_for_idea_id=data.offered_for_idea_id or None,
        created_by_id=actor.id,
        created_at=now,
        updated_at=now,
    )
    db.session.add(slot)
    db.session.flush()
    record("idea.slot_offered", target_type="consulting_slot", target_id=slot.id, actor_id=actor.id)
    if slot.offered_for_idea_id:
        idea = db.session.get(Idea, slot.offered_for_idea_id)
        submitter = db.session.get(User, idea.submitter_id)
        notify(submitter, lambda: messages.slot_offered(idea, slot))
    return slot


def withdraw_slot(slot_id: int, actor: User) -> None:
    """Remove a slot nobody has booked (a booked one stays; its idea owns the time)."""
    removed = db.session.execute(
        delete(ConsultingSlot)
        .where(ConsultingSlot.id == slot_id, ConsultingSlot.booked_idea_id.is_(None))
        .execution_options(synchronize_session=False)
    ).rowcount
    if removed != 1:
        raise IdeaError(_("이미 예약된 컨설팅 시간은 지울 수 없습니다."))
    record(
        "idea.slot_withdrawn", target_type="consulting_slot", target_id=slot_id, actor_id=actor.id
    )


def _lock_idea(idea_id: int) -> Idea | None:
    return db.session.scalars(
        select(Idea)
        .where(Idea.id == idea_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one_or_none()


def upcoming_booking(idea_id: int) -> ConsultingSlot | None:
    return db.session.scalar(
        select(ConsultingSlot)
        .where(ConsultingSlot.booked_idea_id == idea_id, ConsultingSlot.ends_at > utcnow())
        .order_by(ConsultingSlot.starts_at)
        .limit(1)
    )


def book(idea_id: int, slot_id: int, user: User) -> ConsultingSlot:
    """The submitter books a slot for their idea; exactly one booking wins a slot."""
    idea = _lock_idea(idea_id)
    if idea is None or idea.submitter_id != user.id:
        raise IdeaError(_("아이디어를 찾을 수 없습니다."))
    if idea.status is not IdeaStatus.CONSULTING:
        raise IdeaError(_("'컨설팅 배정' 상태인 아이디어만 컨설팅 시간을 예약할 수 있습니다."))
    if upcoming_booking(idea.id) is not None:
        raise IdeaError(_("이미 예약한 컨설팅 시간이 있습니다. 한 번에 하나만 예약할 수 있습니다."))
    now = utcnow()
    taken = db.session.execute(
        update(ConsultingSlot)
        .where(
            ConsultingSlot.id == slot_id,
            ConsultingSlot.booked_idea_id.is_(None),
            ConsultingSlot.starts_at > now,
            or_(
                ConsultingSlot.offered_for_idea_id.is_(None),
                ConsultingSlot.offered_for_idea_id == idea.id,
            ),
        )
        .values(booked_idea_id=idea.id, booked_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if taken != 1:
        raise IdeaError(
            _(
                "그 컨설팅 시간은 방금 다른 아이디어가 예약했거나 예약할 수 없습니다. 다른 시간을 골라 주세요."
            )
        )
    slot = db.session.get(ConsultingSlot, slot_id, populate_existing=True)
    _event(idea, IdeaEventKind.BOOKED, user.id)
    record("idea.slot_booked", target_type="consulting_slot", target_id=slot.id, actor_id=user.id)
    db.session.flush()
    notify(user, lambda: messages.booked(idea, slot))
    if slot.consultant_user_id:
        consultant = db.session.get(User, slot.consultant_user_id)
        if consultant is not None and consultant.is_active:
            notify(consultant, lambda: messages.booked_for_consultant(idea, slot))
    return slot


def cancel_booking(idea_id: int, slot_id: int, user: User) -> None:
    """The submitter lets go of an upcoming booking; the slot is free again for any idea."""
    idea = _lock_idea(idea_id)
    if idea is None or idea.submitter_id != user.id:
        raise IdeaError(_("아이디어를 찾을 수 없습니다."))
    slot = db.session.get(ConsultingSlot, slot_id)
    released = db.session.execute(
        update(ConsultingSlot)
        .where(
            ConsultingSlot.id == slot_id,
            ConsultingSlot.booked_idea_id == idea.id,
            ConsultingSlot.starts_at > utcnow(),
        )
        .values(booked_idea_id=None, booked_at=None, reminded_at=None, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    if released != 1 or slot is None:
        raise IdeaError(_("이미 시작했거나 예약하지 않은 컨설팅 시간은 취소할 수 없습니다."))
    _event(idea, IdeaEventKind.RELEASED, user.id)
    record(
        "idea.booking_cancelled", target_type="consulting_slot", target_id=slot_id, actor_id=user.id
    )
    db.session.flush()
    _notify_consultant_of_release(idea, slot)


# --- outcome ------------------------------------------------------------------------


def may_record_outcome(slot: ConsultingSlot, user: User) -> bool:
    return is_coordinator(user) or (
        slot.consultant_user_id is not None and slot.consultant_user_id == user.id
    )


def record_outcome(
    idea_id: int, slot_id: int, actor: User, advice: str, next_step: NextStep
) -> ConsultingOutcome:
    """The consultant (or a coordinator) records the advice and the next step of a meeting."""
    slot = db.session.get(ConsultingSlot, slot_id)
    if slot is None or slot.booked_idea_id != idea_id or not may_record_outcome(slot, actor):
        raise IdeaError(_("컨설팅 시간을 찾을 수 없습니다."))
    advice = advice.strip()
    if not advice:
        raise IdeaError(_("컨설팅에서 조언한 내용을 입력해 주세요."))
    if slot.starts_at > utcnow():
        raise IdeaError(_("컨설팅이 시작한 뒤에 결과를 기록할 수 있습니다."))
    if db.session.scalar(select(ConsultingOutcome.id).where(ConsultingOutcome.slot_id == slot.id)):
        raise IdeaError(_("이 컨설팅의 결과는 이미 기록되었습니다."))
    if detect.personal_findings(detect.scan(advice)):
        raise IdeaError(
            _("개인정보로 보이는 내용이 있습니다. 지우거나 가린 뒤 다시 기록해 주세요.")
        )
    idea = _lock_idea(idea_id)
    outcome = ConsultingOutcome(
        idea_id=idea.id,
        slot_id=slot.id,
        advice=advice,
        next_step=next_step,
        recorded_by_id=actor.id,
        at=utcnow(),
    )
    db.session.add(outcome)
    _event(idea, IdeaEventKind.OUTCOME, actor.id, reason=next_step.value)
    record(
        "idea.outcome_recorded",
        target_type="idea",
        target_id=idea.id,
        actor_id=actor.id,
        details={"slot_id": slot.id, "next_step": next_step.value},
    )
    db.session.flush()
    if idea.status is IdeaStatus.CONSULTING:
        change_status(idea.id, IdeaStatus.CONSULTING, IdeaStatus.DONE, _("컨설팅 결과 기록"), actor)
    else:
        submitter = db.session.get(User, idea.submitter_id)
        notify(submitter, lambda: messages.outcome_recorded(idea, next_step))
    return outcome


# --- reminders ----------------------------------------------------------------------


def send_reminders(now: dt.datetime | None = None, *, ahead: dt.timedelta | None = None) -> int:
    """Remind the submitter (and a portal consultant) of bookings starting within a day.

    Each booking is reminded once (``reminded_at``, set with a conditional UPDATE, so two
    runs at once remind once). Returns how many bookings were reminded.
    """
    now = now or utcnow()
    until = now + (ahead or dt.timedelta(days=1))
    due = list(
        db.session.scalars(
            select(ConsultingSlot).where(
                ConsultingSlot.booked_idea_id.is_not(None),
                ConsultingSlot.reminded_at.is_(None),
                and_(ConsultingSlot.starts_at > now, ConsultingSlot.starts_at <= until),
            )
        )
    )
    count = 0
    for slot in due:
        claimed = db.session.execute(
            update(ConsultingSlot)
            .where(ConsultingSlot.id == slot.id, ConsultingSlot.reminded_at.is_(None))
            .values(reminded_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
        if claimed != 1:
            continue
        idea = db.session.get(Idea, slot.booked_idea_id)
        submitter = db.session.get(User, idea.submitter_id)
        notify(submitter, lambda idea=idea, slot=slot: messages.reminder(idea, slot))
        if slot.consultant_user_id:
            consultant = db.session.get(User, slot.consultant_user_id)
            if consultant is not None and consultant.is_active:
                notify(consultant, lambda idea=idea, slot=slot: messages.reminder(idea, slot))
        count += 1
    return count


# --- starting from a draft ----------------------------------------------------------

_SECTION_MARK = re.compile(r"^[\s□■○●#*\-\d.)]*")


def _sections(body: str, doc_type_data: dict) -> dict[str, str]:
    """The draft's text under each structure heading of the doc type, by heading title."""
    titles = {
        keyword: section["title"]
        for section in doc_type_data.get("structure", [])
        for keyword in [section["title"], *section.get("keywords", [])]
    }
    found: dict[str, list[str]] = {}
    current: str | None = None
    for line in body.splitlines():
        bare = _SECTION_MARK.sub("", line).strip().rstrip(":")
        if bare in titles and len(bare) <= 20:
            current = titles[bare]
            found.setdefault(current, [])
            continue
        if current is not None:
            found[current].append(line)
    # The editor may leave empty lines between paragraphs; the form gets none.
    return {
        title: "\n".join(line for line in lines if line.strip()).strip()
        for title, lines in found.items()
    }


def prefill_from_draft(draft: Draft, doc_type_data: dict) -> dict[str, str]:
    """Form values from an 아이디어 발굴 draft: its sections, else its whole text."""
    sections = _sections(draft.body or "", doc_type_data)
    problem = sections.get("문제 정의", "")
    if sections.get("추천안"):
        problem = (problem + "\n" + sections["추천안"]).strip()
    if not problem:
        problem = (draft.body or "").strip()
    return {
        "title": draft.title[:MAX_TITLE],
        "problem": problem[:MAX_TEXT],
        "data_description": sections.get("확인할 점", "")[:MAX_TEXT],
    }
