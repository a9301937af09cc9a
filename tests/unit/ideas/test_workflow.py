"""The idea workflow, the guard on idea text, booking rules, outcomes, reminders, figures."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from portal.assistant.models import DocType
from portal.audit.models import AuditEntry
from portal.core import clock
from portal.db import db
from portal.ideas import operations as ops
from portal.ideas import queries
from portal.ideas.models import (
    ConsultingSlot,
    Idea,
    IdeaDataGrade,
    IdeaEvent,
    IdeaEventKind,
    IdeaStatus,
    NextStep,
)
from portal.notifications.models import Notification, OutboxMessage
from portal.users.models import Role, User
from tests.fixtures.ideas import build_idea, build_slot

S = IdeaStatus

ALLOWED = {
    (S.RECEIVED, S.REVIEWING),
    (S.RECEIVED, S.ON_HOLD),
    (S.REVIEWING, S.CONSULTING),
    (S.REVIEWING, S.DONE),
    (S.REVIEWING, S.ON_HOLD),
    (S.CONSULTING, S.REVIEWING),
    (S.CONSULTING, S.DONE),
    (S.CONSULTING, S.ON_HOLD),
    (S.ON_HOLD, S.REVIEWING),
}
EVERY_PAIR = [(a, b) for a in S for b in S]


def _user(user) -> User:
    return db.session.get(User, user.id)


def _input(**fields) -> ops.IdeaInput:
    values = {
        "title": "회의록 요약 서비스",
        "problem": "회의록 정리에 주 3시간이 듭니다.",
        "current_process": "녹음을 듣고 손으로 정리합니다.",
        "data_description": "내부 회의 녹음",
        "data_grade": IdeaDataGrade.SENSITIVE,
        "effect_hours_saved": 150,
        "effect_people_served": 40,
        "share": False,
        "department_id": None,
    }
    values.update(fields)
    return ops.IdeaInput(**values)


def _idea(owner, **fields) -> Idea:
    idea = build_idea(owner.id, **fields)
    db.session.add(idea)
    db.session.flush()
    return idea


@pytest.mark.parametrize(("seen", "to"), EVERY_PAIR, ids=[f"{a}->{b}" for a, b in EVERY_PAIR])
def test_each_transition_is_allowed_or_refused_as_the_table_says(ctx, make_user, seen, to):
    owner, coordinator = make_user(), make_user(Role.COORDINATOR)
    idea = _idea(owner, status=seen)
    if (seen, to) in ALLOWED:
        changed = ops.change_status(idea.id, seen, to, "검토 결과", _user(coordinator))
        assert changed.status is to
        event = db.session.scalar(
            select(IdeaEvent).where(
                IdeaEvent.idea_id == idea.id, IdeaEvent.kind == IdeaEventKind.STATUS
            )
        )
        assert (event.from_status, event.to_status, event.reason) == (seen, to, "검토 결과")
        audit = db.session.scalar(
            select(AuditEntry).where(
                AuditEntry.action == "idea.status_changed", AuditEntry.target_id == str(idea.id)
            )
        )
        assert audit.details == {"from": seen.value, "to": to.value}
        note = db.session.scalar(select(Notification).where(Notification.user_id == owner.id))
        assert note.kind == "idea.status_changed" and note.link == f"/ideas/{idea.id}"
    else:
        with pytest.raises(ops.IdeaError):
            ops.change_status(idea.id, seen, to, "검토 결과", _user(coordinator))
        assert db.session.get(Idea, idea.id, populate_existing=True).status is seen
        assert not db.session.scalar(select(Notification).where(Notification.user_id == owner.id))


def test_a_transition_needs_a_reason(ctx, make_user):
    owner, coordinator = make_user(), make_user(Role.COORDINATOR)
    idea = _idea(owner)
    with pytest.raises(ops.IdeaError, match="사유"):
        ops.change_status(idea.id, S.RECEIVED, S.REVIEWING, "   ", _user(coordinator))


def test_a_stale_page_cannot_change_the_status(ctx, make_user):
    owner, coordinator = make_user(), make_user(Role.COORDINATOR)
    idea = _idea(owner, status=S.REVIEWING)
    # The page was loaded while the idea was 접수; someone has moved it to 검토 중 since.
    with pytest.raises(ops.IdeaError, match="다른 담당자"):
        ops.change_status(idea.id, S.RECEIVED, S.ON_HOLD, "보류", _user(coordinator))
    assert db.session.get(Idea, idea.id, populate_existing=True).status is S.REVIEWING


def test_submitting_records_history_and_audit(ctx, make_user):
    owner = make_user()
    idea = ops.submit_idea(_user(owner), _input())
    assert idea.status is S.RECEIVED
    kinds = [
        e.kind for e in db.session.scalars(select(IdeaEvent).where(IdeaEvent.idea_id == idea.id))
    ]
    assert kinds == [IdeaEventKind.SUBMITTED]
    assert db.session.scalar(select(AuditEntry.id).where(AuditEntry.action == "idea.submitted"))


@pytest.mark.parametrize("field", ["title", "problem", "current_process", "data_description"])
def test_the_guard_refuses_personal_data_in_any_text_field_on_submit(ctx, make_user, field):
    owner = make_user()
    with pytest.raises(ops.IdeaError, match="개인정보"):
        ops.submit_idea(_user(owner), _input(**{field: "담당 주무관 010-2345-6789 로 연락"}))
    assert db.session.scalar(select(Idea.id).where(Idea.submitter_id == owner.id)) is None


def test_the_guard_runs_on_edit_too_and_changes_nothing(ctx, make_user):
    owner = make_user()
    idea = ops.submit_idea(_user(owner), _input())
    with pytest.raises(ops.IdeaError, match="개인정보"):
        ops.edit_idea(idea, _user(owner), _input(problem="주민번호 900101-1234568 확인"))
    assert db.session.get(Idea, idea.id).problem == "회의록 정리에 주 3시간이 듭니다."


def test_a_done_idea_cannot_be_edited(ctx, make_user):
    owner = make_user()
    idea = _idea(owner, status=S.DONE)
    with pytest.raises(ops.IdeaError):
        ops.edit_idea(idea, _user(owner), _input())


def test_someone_elses_or_another_types_draft_cannot_seed_an_idea(ctx, make_user, make_workspace):
    owner, other = make_user(), make_user()
    draft = make_workspace(owner, exercise=False)  # a 기획보고서, not 아이디어 발굴
    with pytest.raises(ops.IdeaError):
        ops.submit_idea(_user(owner), _input(), source_draft_id=draft.id)
    doc_type = db.session.get(DocType, draft.doc_type_id)
    doc_type.slug = ops.IDEA_DOC_TYPE
    db.session.flush()
    assert ops.source_draft(_user(other), draft.id) is None
    idea = ops.submit_idea(_user(owner), _input(), source_draft_id=draft.id)
    assert idea.source_draft_id == draft.id


def test_prefill_takes_the_sections_of_an_idea_discovery_draft(ctx, make_user, make_workspace):
    from portal.assistant.models import Draft

    structure = {
        "structure": [
            {"title": "문제 정의", "keywords": ["문제"]},
            {"title": "추천안", "keywords": []},
            {"title": "확인할 점", "keywords": []},
        ]
    }
    draft = Draft(
        title="민원 분류 AI",
        body="□ 문제 정의\n○ 민원 분류에 하루 2시간\n□ 추천안\n○ 자동 분류 시범\n□ 확인할 점\n○ 공공데이터 확인",
    )
    values = ops.prefill_from_draft(draft, structure)
    assert values["title"] == "민원 분류 AI"
    assert "하루 2시간" in values["problem"] and "자동 분류 시범" in values["problem"]
    assert values["data_description"] == "○ 공공데이터 확인"


def _consulting_idea(owner):
    return _idea(owner, status=S.CONSULTING)


def test_booking_takes_a_free_slot_and_notifies_with_an_ics(ctx, make_user):
    owner = make_user()
    consultant = make_user(Role.INSTRUCTOR)
    idea = _consulting_idea(owner)
    slot = build_slot(consultant_user_id=consultant.id, consultant_name="", consultant_org="")
    db.session.add(slot)
    db.session.flush()
    booked = ops.book(idea.id, slot.id, _user(owner))
    assert booked.booked_idea_id == idea.id
    mails = {
        m.user_id: m
        for m in db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == "idea.slot_booked")
        )
    }
    assert "BEGIN:VCALENDAR" in mails[owner.id].ics
    assert consultant.id in mails
    # The consultant now sees the (private) idea; another instructor does not.
    assert queries.visible_idea(idea.id, _user(consultant)) is not None
    assert queries.visible_idea(idea.id, _user(make_user(Role.INSTRUCTOR))) is None


def test_booking_rules(ctx, make_user):
    owner, other = make_user(), make_user()
    idea = _consulting_idea(owner)
    other_idea = _consulting_idea(other)
    past = build_slot(starts_at=clock.utcnow() - dt.timedelta(hours=1))
    reserved = build_slot(offered_for_idea_id=other_idea.id)
    free, second = build_slot(), build_slot()
    db.session.add_all([past, reserved, free, second])
    db.session.flush()
    me = _user(owner)
    for slot in (past, reserved):
        with pytest.raises(ops.IdeaError):
            ops.book(idea.id, slot.id, me)
    with pytest.raises(ops.IdeaError):  # not their idea
        ops.book(other_idea.id, free.id, me)
    ops.book(idea.id, free.id, me)
    with pytest.raises(ops.IdeaError, match="하나만"):
        ops.book(idea.id, second.id, me)
    with pytest.raises(ops.IdeaError):  # already taken
        ops.book(other_idea.id, free.id, _user(other))
    received = _idea(owner)
    with pytest.raises(ops.IdeaError, match="컨설팅 배정"):
        ops.book(received.id, second.id, me)


def test_leaving_consulting_releases_the_upcoming_booking(ctx, make_user):
    owner, coordinator = make_user(), make_user(Role.COORDINATOR)
    idea = _consulting_idea(owner)
    slot = build_slot()
    db.session.add(slot)
    db.session.flush()
    ops.book(idea.id, slot.id, _user(owner))
    ops.change_status(idea.id, S.CONSULTING, S.ON_HOLD, "예산 확보 뒤 재개", _user(coordinator))
    assert db.session.get(ConsultingSlot, slot.id, populate_existing=True).booked_idea_id is None
    kinds = [
        e.kind for e in db.session.scalars(select(IdeaEvent).where(IdeaEvent.idea_id == idea.id))
    ]
    assert IdeaEventKind.RELEASED in kinds


@pytest.mark.parametrize("to", [S.REVIEWING, S.ON_HOLD])
def test_a_released_booking_is_told_to_the_portal_consultant(ctx, make_user, to):
    owner, coordinator = make_user(), make_user(Role.COORDINATOR)
    consultant = make_user(Role.INSTRUCTOR)
    idea = _consulting_idea(owner)
    slot = build_slot(consultant_user_id=consultant.id, consultant_name="", consultant_org="")
    db.session.add(slot)
    db.session.flush()
    ops.book(idea.id, slot.id, _user(owner))
    ops.change_status(idea.id, S.CONSULTING, to, "범위를 다시 검토합니다", _user(coordinator))
    assert db.session.get(ConsultingSlot, slot.id, populate_existing=True).booked_idea_id is None
    told = db.session.scalars(
        select(Notification).where(
            Notification.user_id == consultant.id,
            Notification.kind == "idea.booking_cancelled",
        )
    ).all()
    assert len(told) == 1 and told[0].link == f"/ideas/{idea.id}"
    mail = db.session.scalar(
        select(OutboxMessage).where(
            OutboxMessage.user_id == consultant.id,
            OutboxMessage.kind == "idea.booking_cancelled",
        )
    )
    assert mail is not None


def test_finishing_an_idea_keeps_its_booking_and_tells_no_consultant(ctx, make_user):
    owner, coordinator = make_user(), make_user(Role.COORDINATOR)
    consultant = make_user(Role.INSTRUCTOR)
    idea = _consulting_idea(owner)
    slot = build_slot(consultant_user_id=consultant.id, consultant_name="", consultant_org="")
    db.session.add(slot)
    db.session.flush()
    ops.book(idea.id, slot.id, _user(owner))
    ops.change_status(idea.id, S.CONSULTING, S.DONE, "바로 시범 운영합니다", _user(coordinator))
    assert db.session.get(ConsultingSlot, slot.id, populate_existing=True).booked_idea_id == idea.id
    assert not db.session.scalar(
        select(Notification).where(
            Notification.user_id == consultant.id,
            Notification.kind == "idea.booking_cancelled",
        )
    )


def test_an_outside_experts_released_booking_notifies_only_the_submitter(ctx, make_user):
    owner, coordinator = make_user(), make_user(Role.COORDINATOR)
    idea = _consulting_idea(owner)
    slot = build_slot()  # an outside expert: no portal account to notify
    db.session.add(slot)
    db.session.flush()
    ops.book(idea.id, slot.id, _user(owner))
    ops.change_status(idea.id, S.CONSULTING, S.ON_HOLD, "보류", _user(coordinator))
    kinds = {n.kind for n in db.session.scalars(select(Notification))}
    assert "idea.booking_cancelled" not in kinds


def test_outcome_by_the_consultant_finishes_the_idea_and_counts_for_pilot_hours(ctx, make_user):
    owner = make_user()
    consultant, stranger = make_user(Role.INSTRUCTOR), make_user(Role.INSTRUCTOR)
    idea = _idea(owner, status=S.CONSULTING, effect_hours_saved=300)
    slot = build_slot(
        starts_at=clock.utcnow() - dt.timedelta(hours=2),
        consultant_user_id=consultant.id,
        booked_idea_id=idea.id,
    )
    db.session.add(slot)
    db.session.flush()
    before = queries.pilot_hours_saved()
    with pytest.raises(ops.IdeaError):
        ops.record_outcome(idea.id, slot.id, _user(stranger), "조언", NextStep.PILOT)
    with pytest.raises(ops.IdeaError):
        ops.record_outcome(idea.id, slot.id, _user(consultant), "  ", NextStep.PILOT)
    ops.record_outcome(idea.id, slot.id, _user(consultant), "작은 부서에서 시범", NextStep.PILOT)
    assert db.session.get(Idea, idea.id, populate_existing=True).status is S.DONE
    assert queries.pilot_hours_saved() == before + 300
    with pytest.raises(ops.IdeaError, match="이미"):
        ops.record_outcome(idea.id, slot.id, _user(consultant), "또", NextStep.NOT_FEASIBLE)
    kinds = [
        e.kind for e in db.session.scalars(select(IdeaEvent).where(IdeaEvent.idea_id == idea.id))
    ]
    assert kinds[-2:] == [IdeaEventKind.OUTCOME, IdeaEventKind.STATUS]


def test_an_outcome_cannot_be_recorded_before_the_meeting(ctx, make_user):
    owner, coordinator = make_user(), make_user(Role.COORDINATOR)
    idea = _consulting_idea(owner)
    slot = build_slot(booked_idea_id=idea.id)
    db.session.add(slot)
    db.session.flush()
    with pytest.raises(ops.IdeaError, match="시작한 뒤"):
        ops.record_outcome(idea.id, slot.id, _user(coordinator), "조언", NextStep.PILOT)


def test_reminders_go_once_the_day_before(ctx, make_user):
    owner = make_user()
    idea = _consulting_idea(owner)
    tomorrow = build_slot(starts_at=clock.utcnow() + dt.timedelta(hours=20), booked_idea_id=idea.id)
    later = build_slot(starts_at=clock.utcnow() + dt.timedelta(days=3), booked_idea_id=idea.id)
    db.session.add_all([tomorrow, later])
    db.session.flush()
    assert ops.send_reminders() == 1
    assert ops.send_reminders() == 0
    mail = db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "idea.reminder"))
    assert mail.user_id == owner.id and "BEGIN:VCALENDAR" in mail.ics


def test_offering_a_slot_checks_the_consultant_and_the_time(ctx, make_user):
    coordinator = _user(make_user(Role.COORDINATOR))
    staff = make_user()
    start = clock.utcnow() + dt.timedelta(days=2)

    def data(**fields):
        values = {
            "starts_at": start,
            "ends_at": start + dt.timedelta(hours=1),
            "place": "회의실",
            "online_url": "",
            "consultant_user_id": None,
            "consultant_name": "이자문",
            "consultant_org": "NIA",
            "offered_for_idea_id": None,
        }
        values.update(fields)
        return ops.SlotInput(**values)

    for bad in (
        data(ends_at=start),
        data(starts_at=clock.utcnow() - dt.timedelta(hours=1)),
        data(place=""),
        data(consultant_org=""),
        data(consultant_user_id=staff.id),
        data(online_url="javascript:alert(1)"),
    ):
        with pytest.raises(ops.IdeaError):
            ops.offer_slot(coordinator, bad)
    slot = ops.offer_slot(coordinator, data())
    assert slot.consultant_name == "이자문"
    ops.withdraw_slot(slot.id, coordinator)
    assert db.session.scalar(select(ConsultingSlot.id).where(ConsultingSlot.id == slot.id)) is None


def test_figures_by_status_and_department(ctx, make_user, department):
    owner = make_user()
    _idea(owner, department_id=department.id)
    _idea(owner, department_id=department.id)
    _idea(owner, department_id=department.id, status=S.REVIEWING)
    rows = {
        (r.department, r.status): r.count
        for r in queries.ideas_by_status_and_department()
        if r.department_id == department.id
    }
    assert rows == {(department.name, S.RECEIVED): 2, (department.name, S.REVIEWING): 1}


def test_the_reminder_command_reminds_tomorrows_bookings(app, make_user):
    owner = make_user()
    with app.app_context():
        idea = _consulting_idea(owner)
        slot = build_slot(starts_at=clock.utcnow() + dt.timedelta(hours=10), booked_idea_id=idea.id)
        db.session.add(slot)
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["ideas", "remind"])
    assert result.exit_code == 0, result.output
    assert "Reminded 1 consulting booking(s)." in result.output
    again = app.test_cli_runner().invoke(args=["ideas", "remind"])
    assert "Reminded 0" in again.output


def test_the_submitter_cancels_an_upcoming_booking_and_the_slot_is_free_again(ctx, make_user):
    owner, other = make_user(), make_user()
    consultant = make_user(Role.INSTRUCTOR)
    idea = _consulting_idea(owner)
    slot = build_slot(consultant_user_id=consultant.id, consultant_name="", consultant_org="")
    started = build_slot(starts_at=clock.utcnow() - dt.timedelta(minutes=5), booked_idea_id=idea.id)
    db.session.add(slot)
    db.session.flush()
    ops.book(idea.id, slot.id, _user(owner))
    db.session.add(started)
    db.session.flush()
    with pytest.raises(ops.IdeaError):
        ops.cancel_booking(idea.id, slot.id, _user(other))
    with pytest.raises(ops.IdeaError):
        ops.cancel_booking(idea.id, started.id, _user(owner))
    ops.cancel_booking(idea.id, slot.id, _user(owner))
    assert db.session.get(ConsultingSlot, slot.id, populate_existing=True).booked_idea_id is None
    note = db.session.scalar(
        select(Notification).where(Notification.kind == "idea.booking_cancelled")
    )
    assert note.user_id == consultant.id
    other_idea = _consulting_idea(other)
    assert ops.book(other_idea.id, slot.id, _user(other)).booked_idea_id == other_idea.id
