"""The idea pages: submitting (from a draft too), the guard, private ideas by every URL,
triage forms, slots, booking with an .ics, outcomes, the board and the overview."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from portal.assistant.models import DocType
from portal.core import clock
from portal.db import db
from portal.ideas.models import ConsultingSlot, Idea, IdeaStatus
from portal.users.models import Role
from tests.conftest import Auth, csrf_token_from
from tests.fixtures.ideas import build_idea, build_slot


def _client_for(app, user):
    client = app.test_client()
    assert Auth(client).login(user).status_code == 302
    return client


def _add(app, *rows):
    with app.app_context():
        db.session.add_all(rows)
        db.session.commit()
        return [row.id for row in rows]


def _form(client, path: str) -> str:
    return csrf_token_from(client.get(path).get_data(as_text=True))


FORM = {
    "title": "민원 답변 초안 도우미",
    "problem": "비슷한 민원 답변을 매번 새로 씁니다.",
    "current_process": "과거 답변을 찾아 고칩니다.",
    "data_description": "공개된 답변 사례",
    "data_grade": "public",
    "effect_hours_saved": "200",
    "effect_people_served": "",
    "department_id": "0",
}


def test_staff_submit_an_idea_and_see_it_in_my_ideas(app, client, as_role, department):
    me = as_role(Role.STAFF, department_id=department.id)
    page = client.get("/ideas/new")
    assert page.status_code == 200
    data = FORM | {"csrf_token": csrf_token_from(page.get_data(as_text=True))}
    data["department_id"] = str(department.id)
    response = client.post("/ideas/new", data=data)
    assert response.status_code == 302
    with app.app_context():
        idea = db.session.scalar(select(Idea).where(Idea.submitter_id == me.id))
        assert idea.status is IdeaStatus.RECEIVED and idea.department_id == department.id
        assert idea.effect_hours_saved == 200 and idea.share is False
    mine = client.get("/ideas/").get_data(as_text=True)
    assert "민원 답변 초안 도우미" in mine and "접수" in mine


def test_personal_data_is_refused_with_the_field_named_and_nothing_saved(app, client, as_role):
    me = as_role(Role.STAFF)
    token = _form(client, "/ideas/new")
    data = FORM | {"csrf_token": token, "current_process": "담당자 010-2345-6789에게 전화"}
    response = client.post("/ideas/new", data=data)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "개인정보" in html and "지금 일하는 방식" in html
    with app.app_context():
        assert db.session.scalar(select(Idea.id).where(Idea.submitter_id == me.id)) is None


def test_a_confidential_idea_reminds_that_the_sandbox_must_not_receive_it(client, as_role):
    as_role(Role.STAFF)
    token = _form(client, "/ideas/new")
    response = client.post(
        "/ideas/new", data=FORM | {"csrf_token": token, "data_grade": "confidential"}
    )
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "AI 실습 공간" in page and "기밀" in page


def test_an_idea_discovery_draft_prefills_the_form_for_its_owner_only(
    app, client, as_role, make_user, make_workspace
):
    me = as_role(Role.STAFF)
    draft = make_workspace(me, exercise=False)
    with app.app_context():
        doc_type = db.session.get(DocType, draft.doc_type_id)
        doc_type.slug = "idea-discovery"
        db.session.commit()
    # The workspace offers the button for this document type.
    workspace = client.get(f"/practice/w/{draft.id}").get_data(as_text=True)
    assert f"/ideas/new?draft={draft.id}" in workspace and "아이디어로 제출" in workspace
    page = client.get(f"/ideas/new?draft={draft.id}")
    assert page.status_code == 200 and "연습 문서" in page.get_data(as_text=True)
    data = FORM | {"csrf_token": csrf_token_from(page.get_data(as_text=True))}
    assert client.post(f"/ideas/new?draft={draft.id}", data=data).status_code == 302
    with app.app_context():
        idea = db.session.scalar(select(Idea).where(Idea.submitter_id == me.id))
        assert idea.source_draft_id == draft.id
    other = _client_for(app, make_user())
    assert other.get(f"/ideas/new?draft={draft.id}").status_code == 404


def test_a_draft_of_another_type_gives_404(app, client, as_role, make_workspace):
    me = as_role(Role.STAFF)
    draft = make_workspace(me, exercise=False)
    assert client.get(f"/ideas/new?draft={draft.id}").status_code == 404
    assert "아이디어로 제출" not in client.get(f"/practice/w/{draft.id}").get_data(as_text=True)


def test_private_ideas_are_not_visible_to_other_staff_by_any_url(app, make_user):
    owner, stranger, instructor = make_user(), make_user(), make_user(Role.INSTRUCTOR)
    with app.app_context():
        idea = build_idea(owner.id, status=IdeaStatus.CONSULTING, title="비공개 아이디어")
        db.session.add(idea)
        db.session.flush()
        slot = build_slot(
            starts_at=clock.utcnow() - dt.timedelta(hours=2),
            booked_idea_id=idea.id,
            booked_at=clock.utcnow(),
        )
        free = build_slot()
        db.session.add_all([slot, free])
        db.session.commit()
        idea_id, slot_id, free_id = idea.id, slot.id, free.id
    gets = [
        f"/ideas/{idea_id}",
        f"/ideas/{idea_id}/edit",
        f"/ideas/{idea_id}/slots/{slot_id}/consulting.ics",
        f"/ideas/{idea_id}/slots/{slot_id}/outcome",
    ]
    for user in (stranger, instructor):
        client = _client_for(app, user)
        for path in gets:
            assert client.get(path).status_code == 404, path
        token = _form(client, "/ideas/")
        booked = client.post(f"/ideas/{idea_id}/slots/{free_id}/book", data={"csrf_token": token})
        assert booked.status_code == 404
        for listing in ("/ideas/board", "/ideas/"):
            assert "비공개 아이디어" not in client.get(listing).get_data(as_text=True)
    owner_client = _client_for(app, owner)
    for path in gets[:3]:
        assert owner_client.get(path).status_code == 200, path


def test_shared_ideas_are_on_the_board_and_readable_without_history(app, make_user, department):
    owner, reader = make_user(), make_user()
    _add(
        app,
        build_idea(owner.id, share=True, title="공유한 아이디어", department_id=department.id),
        build_idea(owner.id, share=False, title="숨긴 아이디어", department_id=department.id),
    )
    client = _client_for(app, reader)
    board = client.get(f"/ideas/board?department={department.id}&status=received")
    html = board.get_data(as_text=True)
    assert "공유한 아이디어" in html and "숨긴 아이디어" not in html
    with app.app_context():
        shared_id = db.session.scalar(select(Idea.id).where(Idea.title == "공유한 아이디어"))
    detail = client.get(f"/ideas/{shared_id}").get_data(as_text=True)
    assert "공유한 아이디어" in detail and "진행 기록" not in detail
    assert client.get(f"/ideas/{shared_id}/edit").status_code == 404
    assert client.get("/ideas/board?status=nonsense&department=x&page=-3").status_code == 200


def test_the_board_and_the_idea_show_the_departments_full_path(app, make_user, department):
    from portal.org.models import Department

    owner, reader = make_user(), make_user()
    with app.app_context():
        division = db.session.get(Department, department.id)
        path = f"{db.session.get(Department, division.parent_id).name} &gt; {division.name}"
    (idea_id,) = _add(
        app, build_idea(owner.id, share=True, title="경로 아이디어", department_id=department.id)
    )
    client = _client_for(app, reader)
    board = client.get("/ideas/board").get_data(as_text=True)
    # In the table and in the department filter.
    assert board.count(path) >= 2, board
    assert path in client.get(f"/ideas/{idea_id}").get_data(as_text=True)


def test_coordinator_triages_with_a_reason_and_a_refused_step_changes_nothing(app, make_user):
    owner, coordinator = make_user(), make_user(Role.COORDINATOR)
    (idea_id,) = _add(app, build_idea(owner.id))
    client = _client_for(app, coordinator)
    page = client.get(f"/ideas/{idea_id}").get_data(as_text=True)
    assert "상태 바꾸기" in page
    token = csrf_token_from(page)
    path = f"/ideas/manage/{idea_id}/status"
    no_reason = client.post(
        path, data={"csrf_token": token, "seen": "received", "to_status": "reviewing", "reason": ""}
    )
    assert no_reason.status_code == 302
    skip = client.post(
        path,
        data={"csrf_token": token, "seen": "received", "to_status": "done", "reason": "바로 완료"},
    )
    assert skip.status_code == 302
    with app.app_context():
        assert db.session.get(Idea, idea_id).status is IdeaStatus.RECEIVED
    ok = client.post(
        path,
        data={
            "csrf_token": token,
            "seen": "received",
            "to_status": "reviewing",
            "reason": "검토 시작",
        },
    )
    assert ok.status_code == 302
    with app.app_context():
        assert db.session.get(Idea, idea_id).status is IdeaStatus.REVIEWING
    detail = client.get(f"/ideas/{idea_id}").get_data(as_text=True)
    assert "검토 시작" in detail
    triage = client.get("/ideas/manage/?status=reviewing").get_data(as_text=True)
    assert f"/ideas/{idea_id}" in triage


def test_slots_booking_ics_and_outcome_end_to_end(app, make_user):
    owner, coordinator = make_user(), make_user(Role.COORDINATOR)
    consultant = make_user(Role.INSTRUCTOR, name="박강사")
    (idea_id,) = _add(app, build_idea(owner.id, status=IdeaStatus.CONSULTING))
    coord = _client_for(app, coordinator)
    page = coord.get(f"/ideas/manage/slots?idea={idea_id}")
    assert page.status_code == 200
    day = (clock.today_in_seoul() + dt.timedelta(days=5)).isoformat()
    created = coord.post(
        "/ideas/manage/slots",
        data={
            "csrf_token": csrf_token_from(page.get_data(as_text=True)),
            "day": day,
            "starts_time": "14:00",
            "ends_time": "15:00",
            "place": "세종시청 3층",
            "online_url": "",
            "consultant_user_id": str(consultant.id),
            "consultant_name": "",
            "consultant_org": "",
            "offered_for_idea_id": str(idea_id),
        },
    )
    assert created.status_code == 302
    with app.app_context():
        slot = db.session.scalar(
            select(ConsultingSlot).where(ConsultingSlot.offered_for_idea_id == idea_id)
        )
        slot_id = slot.id
    staff = _client_for(app, owner)
    detail = staff.get(f"/ideas/{idea_id}").get_data(as_text=True)
    assert "이 시간 예약" in detail and "박강사" in detail
    booked = staff.post(
        f"/ideas/{idea_id}/slots/{slot_id}/book", data={"csrf_token": csrf_token_from(detail)}
    )
    assert booked.status_code == 302
    ics = staff.get(f"/ideas/{idea_id}/slots/{slot_id}/consulting.ics")
    assert ics.status_code == 200 and ics.mimetype == "text/calendar"
    assert b"BEGIN:VEVENT" in ics.data
    # The consultant sees the private idea now, and can record the outcome once it started.
    expert = _client_for(app, consultant)
    assert expert.get(f"/ideas/{idea_id}").status_code == 200
    with app.app_context():
        s = db.session.get(ConsultingSlot, slot_id)
        s.starts_at = clock.utcnow() - dt.timedelta(hours=1)
        s.ends_at = clock.utcnow()
        db.session.commit()
    form = expert.get(f"/ideas/{idea_id}/slots/{slot_id}/outcome")
    assert form.status_code == 200
    recorded = expert.post(
        f"/ideas/{idea_id}/slots/{slot_id}/outcome",
        data={
            "csrf_token": csrf_token_from(form.get_data(as_text=True)),
            "advice": "작은 부서에서 석 달 시범 운영",
            "next_step": "pilot",
        },
    )
    assert recorded.status_code == 302
    with app.app_context():
        assert db.session.get(Idea, idea_id).status is IdeaStatus.DONE
    overview = coord.get("/ideas/manage/overview").get_data(as_text=True)
    assert "120시간" in overview


@pytest.mark.parametrize("role", [Role.STAFF, Role.INSTRUCTOR])
def test_coordinator_pages_are_refused_to_others(client, as_role, role):
    as_role(role)
    for path in ("/ideas/manage/", "/ideas/manage/slots", "/ideas/manage/overview"):
        assert client.get(path).status_code == 403


def test_the_submitter_cancels_a_booking_from_the_idea_page(app, make_user):
    owner, stranger = make_user(), make_user()
    (idea_id,) = _add(app, build_idea(owner.id, status=IdeaStatus.CONSULTING))
    (slot_id,) = _add(app, build_slot(booked_idea_id=idea_id, booked_at=clock.utcnow()))
    other = _client_for(app, stranger)
    refused = other.post(
        f"/ideas/{idea_id}/slots/{slot_id}/cancel", data={"csrf_token": _form(other, "/ideas/")}
    )
    assert refused.status_code == 404
    client = _client_for(app, owner)
    page = client.get(f"/ideas/{idea_id}").get_data(as_text=True)
    assert "예약 취소" in page
    done = client.post(
        f"/ideas/{idea_id}/slots/{slot_id}/cancel", data={"csrf_token": csrf_token_from(page)}
    )
    assert done.status_code == 302
    with app.app_context():
        assert db.session.get(ConsultingSlot, slot_id).booked_idea_id is None
    assert "이 시간 예약" in client.get(f"/ideas/{idea_id}").get_data(as_text=True)
