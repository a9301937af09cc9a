"""The coordinator's roster pages and bulk enrolment, through the browser's eyes."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from portal.audit.models import AuditEntry
from portal.core import clock
from portal.db import db
from portal.enrollment import operations as enrolment
from portal.enrollment.models import Enrollment, EnrollmentStatus
from portal.notifications.models import OutboxMessage
from portal.scheduling.models import TrainingSession
from portal.users.models import Role, User

BULK = "/manage/bulk"


def roster_path(session_id: int) -> str:
    return f"/manage/sessions/{session_id}/roster"


def _enrol(app, session_id: int, *users: User) -> list[int]:
    with app.app_context():
        ids = [
            enrolment.enrol(
                session_id, db.session.get(User, u.id), enrolment.Actor(u.id), confirm_overlap=True
            ).enrollment.id
            for u in users
        ]
        db.session.commit()
        return ids


def _statuses(app, session_id: int) -> dict[int, EnrollmentStatus]:
    with app.app_context():
        rows = db.session.execute(
            select(Enrollment.user_id, Enrollment.status).where(Enrollment.session_id == session_id)
        )
        return {user_id: status for user_id, status in rows}


def _waitlist(app, session_id: int) -> list[int]:
    with app.app_context():
        return [e.user_id for e in enrolment.session_waitlist(session_id)]


def _seats(app, session_id: int) -> tuple[int, int]:
    with app.app_context():
        session = db.session.get(TrainingSession, session_id)
        return session.seats_taken, session.capacity


@pytest.fixture
def coordinator(as_role):
    return as_role(Role.COORDINATOR)


def _post(client, auth, path: str, data: dict | None = None, page: str | None = None):
    token = auth.csrf(page or "/")
    return client.post(path, data={"csrf_token": token, **(data or {})})


def _flashes(client) -> str:
    return client.get("/").get_data(as_text=True)


# --- the roster page -------------------------------------------------------------------


def test_the_roster_lists_each_group_without_contact_details_and_is_audited(
    app, client, coordinator, make_user, make_session, department, audit_entries
):
    session = make_session(capacity=1)
    first = make_user(name="김확정", department_id=department.id, grade="행정6급")
    second = make_user(name="이대기")
    third = make_user(name="박대기")
    gone = make_user(name="최취소")
    _enrol(app, session.id, first, second, third)
    [gone_id] = _enrol(app, session.id, gone)
    with app.app_context():
        enrolment.cancel(gone_id, enrolment.Actor(gone.id))
        db.session.commit()

    page = client.get(roster_path(session.id))

    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for heading in ("사번", "성명", "부서", "직급", "상태", "신청일"):
        assert f">{heading}<" in html
    assert first.employee_number in html and department.name in html and "행정6급" in html
    assert html.index("이대기") < html.index("박대기")  # waitlist in order
    assert "대기 2번" in html
    assert "최취소" in html
    assert "@" not in re.sub(r"<head>.*?</head>", "", html, flags=re.S).replace(
        coordinator.email, ""
    )
    for user in (first, second, third):
        assert user.email not in html
    [entry] = audit_entries("roster.viewed")
    assert (entry.actor_id, entry.target_id, entry.details["entries"]) == (
        coordinator.id,
        str(session.id),
        4,
    )


def test_the_roster_of_an_unknown_session_is_404(client, coordinator):
    assert client.get(roster_path(999999)).status_code == 404


def test_the_session_page_links_to_its_roster(client, coordinator, make_session):
    session = make_session()
    detail = client.get(f"/manage/sessions/{session.id}").get_data(as_text=True)
    assert roster_path(session.id) in detail


def _seed_roster(app, make_user, session_id: int, people: int) -> None:
    users = [make_user() for _ in range(people)]
    _enrol(app, session_id, *users)


def test_the_roster_issues_the_same_number_of_statements_for_1x_and_10x_people(
    app, client, coordinator, make_user, make_session, make_course, count_statements
):
    course = make_course()
    small = make_session(course_id=course.id, capacity=2)
    large = make_session(course_id=course.id, capacity=20)
    make_session(course_id=course.id)  # a move target
    _seed_roster(app, make_user, small.id, 4)
    _seed_roster(app, make_user, large.id, 40)
    client.get(roster_path(small.id))  # warm up: the session touch, caches

    counts = []
    for session in (small, large):
        with count_statements() as statements:
            assert client.get(roster_path(session.id)).status_code == 200
        counts.append(len(statements))
    assert counts[0] == counts[1], counts


# --- access and CSRF -------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.STAFF, Role.INSTRUCTOR])
def test_staff_and_instructors_are_refused_every_roster_tool_and_change_nothing(
    app, client, auth, as_role, make_user, make_session, role, audit_entries
):
    session = make_session(capacity=1)
    holder, waiting = make_user(), make_user()
    enrolled_id, waiting_id = _enrol(app, session.id, holder, waiting)
    as_role(role)
    base = roster_path(session.id)
    assert client.get(base).status_code == 403
    assert client.get(BULK).status_code == 403
    for path, data in [
        (f"{base}/add", {"employee_number": make_user().employee_number}),
        (f"{base}/{enrolled_id}/remove", {}),
        (f"{base}/{waiting_id}/promote", {}),
        (f"{base}/{waiting_id}/move-up", {}),
        (f"{base}/{enrolled_id}/move", {"target_session_id": str(make_session().id)}),
        (BULK, {"session_id": str(session.id), "mode": "numbers", "step": "confirm"}),
    ]:
        assert _post(client, auth, path, data).status_code == 403, path
    assert _statuses(app, session.id) == {
        holder.id: EnrollmentStatus.ENROLLED,
        waiting.id: EnrollmentStatus.WAITLISTED,
    }
    assert audit_entries("roster.viewed") == []


def test_an_admin_may_use_the_roster_too(client, as_role, make_session):
    as_role(Role.ADMIN)
    session = make_session()
    assert client.get(roster_path(session.id)).status_code == 200
    assert client.get(BULK).status_code == 200


def test_a_post_without_a_csrf_token_changes_nothing(
    app, client, coordinator, make_user, make_session
):
    session = make_session(capacity=1)
    holder, waiting = make_user(), make_user()
    enrolled_id, _ = _enrol(app, session.id, holder, waiting)
    newcomer = make_user()
    base = roster_path(session.id)
    for path, data in [
        (f"{base}/add", {"employee_number": newcomer.employee_number}),
        (f"{base}/{enrolled_id}/remove", {}),
        (
            BULK,
            {
                "session_id": str(session.id),
                "mode": "numbers",
                "employee_numbers": newcomer.employee_number,
                "step": "confirm",
            },
        ),
    ]:
        assert client.post(path, data=data).status_code == 400, path
    assert _statuses(app, session.id) == {
        holder.id: EnrollmentStatus.ENROLLED,
        waiting.id: EnrollmentStatus.WAITLISTED,
    }


def test_an_enrolment_of_another_session_is_404_through_this_roster(
    app, client, auth, coordinator, make_user, make_session, row_count
):
    here, there = make_session(), make_session()
    [elsewhere] = _enrol(app, there.id, make_user())
    response = _post(client, auth, f"{roster_path(here.id)}/{elsewhere}/remove")
    assert response.status_code == 404
    assert row_count(Enrollment) == 1


# --- actions ---------------------------------------------------------------------------


def test_a_coordinator_adds_someone_by_employee_number(
    app, client, auth, coordinator, make_user, make_session, audit_entries
):
    session = make_session(enrol_closes_at=clock.utcnow() - dt.timedelta(hours=1))
    staff = make_user(employee_number="S7001")
    response = _post(client, auth, f"{roster_path(session.id)}/add", {"employee_number": "S7001"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(roster_path(session.id))
    assert _statuses(app, session.id) == {staff.id: EnrollmentStatus.ENROLLED}
    assert "수강이 확정되었고" in _flashes(client)
    [entry] = audit_entries("enrollment.added_for_user")
    assert entry.actor_id == coordinator.id and entry.details["override"] is True


def test_an_unknown_employee_number_is_explained(
    app, client, auth, coordinator, make_session, row_count
):
    session = make_session()
    _post(client, auth, f"{roster_path(session.id)}/add", {"employee_number": "ZZ404"})
    assert "사번 &#39;ZZ404&#39;인 직원을 찾을 수 없습니다" in _flashes(client)
    assert row_count(Enrollment) == 0


def test_an_empty_employee_number_or_move_target_is_explained(
    app, client, auth, coordinator, make_user, make_session, row_count
):
    session = make_session()
    [enrollment_id] = _enrol(app, session.id, make_user())
    base = roster_path(session.id)
    assert _post(client, auth, f"{base}/add", {"employee_number": " "}).status_code == 302
    assert "추가할 직원의 사번을 입력해 주세요" in _flashes(client)
    assert _post(client, auth, f"{base}/{enrollment_id}/move").status_code == 302
    assert "옮길 차수를 골라 주세요" in _flashes(client)
    assert row_count(Enrollment) == 1


def test_removing_someone_promotes_the_waitlist_head(
    app, client, auth, coordinator, make_user, make_session, audit_entries
):
    session = make_session(capacity=1)
    holder, head = make_user(), make_user()
    enrolled_id, _ = _enrol(app, session.id, holder, head)
    response = _post(client, auth, f"{roster_path(session.id)}/{enrolled_id}/remove")
    assert response.status_code == 302
    assert _statuses(app, session.id) == {
        holder.id: EnrollmentStatus.CANCELLED,
        head.id: EnrollmentStatus.ENROLLED,
    }
    assert "대기 1번이던 분에게" in _flashes(client)
    assert audit_entries("enrollment.cancelled_for_user")[-1].actor_id == coordinator.id
    page = client.get(roster_path(session.id)).get_data(as_text=True)
    assert "data-confirm" in page


def test_promoting_into_a_full_session_is_refused_with_an_explanation(
    app, client, auth, coordinator, make_user, make_session
):
    session = make_session(capacity=1)
    holder, waiting = make_user(), make_user()
    _, waiting_id = _enrol(app, session.id, holder, waiting)
    response = _post(client, auth, f"{roster_path(session.id)}/{waiting_id}/promote")
    assert response.status_code == 302
    flashes = _flashes(client)
    assert "빈 자리가 없어 확정할 수 없습니다" in flashes and "정원을 늘려" in flashes
    assert _statuses(app, session.id)[waiting.id] is EnrollmentStatus.WAITLISTED
    assert _seats(app, session.id) == (1, 1)


def test_promoting_into_a_free_seat_confirms_the_person(
    app, client, auth, coordinator, make_user, make_session, audit_entries
):
    session = make_session(capacity=1)
    holder, head, chosen = make_user(), make_user(), make_user()
    _, _, chosen_id = _enrol(app, session.id, holder, head, chosen)
    with app.app_context():
        db.session.get(TrainingSession, session.id).capacity = 2  # a seat nobody took yet
        db.session.commit()
    _post(client, auth, f"{roster_path(session.id)}/{chosen_id}/promote")
    statuses = _statuses(app, session.id)
    assert (statuses[chosen.id], statuses[head.id]) == (
        EnrollmentStatus.ENROLLED,
        EnrollmentStatus.WAITLISTED,
    )
    assert _seats(app, session.id) == (2, 2)
    assert audit_entries("enrollment.promoted")[-1].details["manual"] is True


def test_moving_down_and_up_reorders_the_waitlist(
    app, client, auth, coordinator, make_user, make_session, audit_entries
):
    session = make_session(capacity=1)
    people = [make_user() for _ in range(4)]
    _, first_id, _, third_id = _enrol(app, session.id, *people)
    base = roster_path(session.id)
    page = client.get(base).get_data(as_text=True)
    assert f"{base}/{first_id}/move-down" in page
    assert f"{base}/{first_id}/move-up" not in page  # already at the front
    assert f"{base}/{third_id}/move-top" in page
    _post(client, auth, f"{base}/{first_id}/move-down")
    assert _waitlist(app, session.id) == [people[2].id, people[1].id, people[3].id]
    _post(client, auth, f"{base}/{third_id}/move-up")
    assert _waitlist(app, session.id) == [people[2].id, people[3].id, people[1].id]
    assert "대기 순서를 2번으로 옮겼습니다" in _flashes(client)
    assert len(audit_entries("enrollment.reordered")) == 2


def test_moving_someone_to_another_session_keeps_both_within_capacity(
    app, client, auth, coordinator, make_user, make_course, make_session, audit_entries
):
    course = make_course()
    here = make_session(course_id=course.id, capacity=1)
    there = make_session(course_id=course.id, capacity=1)
    make_session()  # another course: not offered
    mover, head, occupant = make_user(), make_user(), make_user()
    moving_id, _ = _enrol(app, here.id, mover, head)
    _enrol(app, there.id, occupant)

    page = client.get(roster_path(here.id)).get_data(as_text=True)
    assert f'<option value="{there.id}">' in page

    response = _post(
        client,
        auth,
        f"{roster_path(here.id)}/{moving_id}/move",
        {"target_session_id": str(there.id)},
    )
    assert response.status_code == 302
    assert _statuses(app, here.id) == {
        mover.id: EnrollmentStatus.CANCELLED,
        head.id: EnrollmentStatus.ENROLLED,
    }
    assert _statuses(app, there.id)[mover.id] is EnrollmentStatus.WAITLISTED
    assert _seats(app, here.id) == (1, 1)
    assert _seats(app, there.id) == (1, 1)
    with app.app_context():
        assert enrolment.seats_consistent(here.id) and enrolment.seats_consistent(there.id)
    assert "대기 1번이 되었습니다" in _flashes(client)
    [entry] = audit_entries("enrollment.moved")
    assert (entry.details["from_session_id"], entry.details["to_session_id"]) == (here.id, there.id)


def test_moving_to_a_session_of_another_course_is_refused(
    app, client, auth, coordinator, make_user, make_session
):
    here, other = make_session(), make_session()
    mover = make_user()
    [moving_id] = _enrol(app, here.id, mover)
    _post(
        client,
        auth,
        f"{roster_path(here.id)}/{moving_id}/move",
        {"target_session_id": str(other.id)},
    )
    assert "같은 교육과정의 다른 차수로만" in _flashes(client)
    assert _statuses(app, here.id) == {mover.id: EnrollmentStatus.ENROLLED}
    assert _statuses(app, other.id) == {}


# --- bulk enrolment --------------------------------------------------------------------


def _bulk(client, auth, **data):
    return client.post(BULK, data={"csrf_token": auth.csrf(BULK), **data})


def _hidden_fields(html: str) -> dict[str, str]:
    """The confirmation form's fields, as the browser would send them back."""
    form = html[html.index('value="confirm"') - 3000 : html.index('value="confirm"')]
    form = form[form.rindex("<form") :]
    return dict(re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)"', form))


def test_the_bulk_page_offers_upcoming_sessions_and_preselects_one(
    client, coordinator, make_session
):
    session = make_session()
    page = client.get(f"{BULK}?session_id={session.id}").get_data(as_text=True)
    assert f'<option selected value="{session.id}">' in page
    assert "이 과정을 아직 수료하지 않은 사람만" in page


def test_a_bulk_preview_by_department_writes_nothing(
    app, client, auth, coordinator, make_user, make_session, department, row_count
):
    session = make_session(capacity=2)
    people = [make_user(department_id=department.id) for _ in range(3)]
    before = (row_count(Enrollment), row_count(OutboxMessage), row_count(AuditEntry))

    response = _bulk(
        client,
        auth,
        session_id=str(session.id),
        mode="department",
        department_id=str(department.id),
        step="preview",
    )

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "아직 아무것도 바뀌지 않았습니다" in html
    assert html.count('success">확정 예정</span>') == 2
    assert html.count('warning">대기 예정</span>') == 1
    for person in people:
        assert person.employee_number in html
    assert (row_count(Enrollment), row_count(OutboxMessage), row_count(AuditEntry)) == before


def test_confirming_a_bulk_enrolment_shows_a_result_for_each_person(
    app, client, auth, coordinator, make_user, make_session, department, audit_entries
):
    session = make_session(capacity=1)
    first = make_user(department_id=department.id, employee_number="D0001")
    second = make_user(department_id=department.id, employee_number="D0002")
    preview = _bulk(
        client,
        auth,
        session_id=str(session.id),
        mode="department",
        department_id=str(department.id),
        step="preview",
    ).get_data(as_text=True)
    fields = _hidden_fields(preview)
    assert fields["mode"] == "department" and fields["digest"]

    result = client.post(BULK, data={**fields, "step": "confirm"})

    assert result.status_code == 200
    html = result.get_data(as_text=True)
    assert "사람별 결과" in html and "대기 1번" in html
    assert _statuses(app, session.id) == {
        first.id: EnrollmentStatus.ENROLLED,
        second.id: EnrollmentStatus.WAITLISTED,
    }
    [batch] = audit_entries("enrollment.bulk")
    assert batch.details["counts"] == {"enrolled": 1, "waitlisted": 1}
    assert len(audit_entries("enrollment.added_for_user")) == 2


def test_the_confirmation_recomputes_the_people_and_ignores_a_tampered_list(
    app, client, auth, coordinator, make_user, make_session, department
):
    session = make_session()
    insider = make_user(department_id=department.id)
    outsider = make_user()
    preview = _bulk(
        client,
        auth,
        session_id=str(session.id),
        mode="department",
        department_id=str(department.id),
        step="preview",
    ).get_data(as_text=True)
    fields = _hidden_fields(preview)
    # A pasted list smuggled into a department selection is not used.
    fields["employee_numbers"] = outsider.employee_number
    client.post(BULK, data={**fields, "step": "confirm"})
    assert _statuses(app, session.id) == {insider.id: EnrollmentStatus.ENROLLED}


def test_a_changed_selection_is_shown_again_before_anything_is_written(
    app, client, auth, coordinator, make_user, make_session, department, row_count
):
    session = make_session()
    make_user(department_id=department.id)
    preview = _bulk(
        client,
        auth,
        session_id=str(session.id),
        mode="department",
        department_id=str(department.id),
        step="preview",
    ).get_data(as_text=True)
    fields = _hidden_fields(preview)
    make_user(department_id=department.id)
    response = client.post(BULK, data={**fields, "step": "confirm"})
    assert response.status_code == 200
    assert "미리 보기 이후 대상자가 바뀌었습니다" in response.get_data(as_text=True)
    assert row_count(Enrollment) == 0


def test_a_pasted_list_reports_unknown_numbers(
    app, client, auth, coordinator, make_user, make_session, row_count
):
    session = make_session()
    make_user(employee_number="E0001")
    make_user(employee_number="E0002", is_active=False)
    html = _bulk(
        client,
        auth,
        session_id=str(session.id),
        mode="numbers",
        employee_numbers="E0001\nNOBODY1, E0002",
        step="preview",
    ).get_data(as_text=True)
    assert "NOBODY1" in html and 'danger">없는 사번</span>' in html
    assert 'danger">사용 중지된 계정</span>' in html
    fields = _hidden_fields(html)
    result = client.post(BULK, data={**fields, "step": "confirm"}).get_data(as_text=True)
    assert 'danger">없는 사번</span>' in result
    assert row_count(Enrollment) == 1


def test_bulk_by_rule_picks_new_appointees_without_an_enrolment_in_the_course(
    app, client, auth, coordinator, make_user, make_course, make_session
):
    course = make_course(title="신규 임용자 AI 필수 교육")
    session = make_session(course_id=course.id)
    other_round = make_session(course_id=course.id)
    today = clock.today_in_seoul()
    newcomer = make_user(appointed_on=today - dt.timedelta(days=20))
    already_in = make_user(appointed_on=today - dt.timedelta(days=20))
    veteran = make_user(appointed_on=today - dt.timedelta(days=400))
    _enrol(app, other_round.id, already_in)

    html = _bulk(
        client,
        auth,
        session_id=str(session.id),
        mode="rule",
        appointed_within_days="90",
        course_id="0",
        step="preview",
    ).get_data(as_text=True)

    assert newcomer.employee_number in html
    assert already_in.employee_number not in html
    assert veteran.employee_number not in html
    assert "과정을 아직 수료하지 않은 사람" in html
    assert "미수료인 사람은 다시 포함됩니다" in html


def test_a_bulk_form_without_a_choice_explains_what_is_missing(
    app, client, auth, coordinator, make_session
):
    session = make_session()
    response = _bulk(client, auth, session_id=str(session.id), mode="numbers", step="preview")
    assert response.status_code == 422
    assert "사번을 한 줄에 하나씩" in response.get_data(as_text=True)
    response = _bulk(client, auth, session_id="0", mode="department", step="preview")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "신청시킬 교육 차수를 골라 주세요" in html and "부서를 골라 주세요" in html


def test_bulk_enrolment_reports_an_overlap_but_goes_ahead(
    app, client, auth, coordinator, make_user, make_session
):
    starts = clock.utcnow() + dt.timedelta(days=12)
    session = make_session(starts_at=starts)
    clash = make_session(starts_at=starts)
    busy = make_user(employee_number="F0001")
    _enrol(app, clash.id, busy)
    preview = _bulk(
        client,
        auth,
        session_id=str(session.id),
        mode="numbers",
        employee_numbers="F0001",
        step="preview",
    ).get_data(as_text=True)
    assert "일정 겹침 주의" in preview
    result = client.post(BULK, data={**_hidden_fields(preview), "step": "confirm"})
    assert "일정 겹침 주의" in result.get_data(as_text=True)
    assert _statuses(app, session.id) == {busy.id: EnrollmentStatus.ENROLLED}


# --- requests waiting for approval -------------------------------------------------------


def _request(app, session_id: int, user: User) -> int:
    with app.app_context():
        result = enrolment.enrol(
            session_id,
            db.session.get(User, user.id),
            enrolment.Actor(user.id),
            confirm_overlap=True,
        )
        db.session.commit()
        assert result.enrollment.status is EnrollmentStatus.REQUESTED
        return result.enrollment.id


def test_a_coordinator_approves_a_request_nobody_else_can_decide(
    app, client, auth, coordinator, make_user, make_course, make_session, department
):
    # The head of the top department asks: there is no head above to decide it.
    session = make_session(course_id=make_course(requires_approval=True).id, capacity=5)
    head = make_user(department_id=department.id, is_department_head=True)
    request_id = _request(app, session.id, head)
    page = client.get(roster_path(session.id)).get_data(as_text=True)
    assert f"{roster_path(session.id)}/{request_id}/approve" in page

    response = _post(client, auth, f"{roster_path(session.id)}/{request_id}/approve")

    assert response.status_code == 302
    assert _statuses(app, session.id)[head.id] is EnrollmentStatus.ENROLLED
    assert _seats(app, session.id) == (1, 5)
    assert "승인했습니다. 수강이 확정되었습니다." in _flashes(client)
    with app.app_context():
        entry = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "enrollment.approved")
        ).one()
        assert entry.target_id == str(request_id)
        mail = db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.user_id == head.id)
        ).all()
        assert [m.kind for m in mail] == ["enrollment.confirmed"]
        assert mail[0].session_id == session.id


def test_a_coordinator_declines_a_request_and_a_second_decision_is_refused(
    app, client, auth, coordinator, make_user, make_course, make_session, department
):
    session = make_session(course_id=make_course(requires_approval=True).id)
    requester = make_user(department_id=department.id)
    request_id = _request(app, session.id, requester)

    _post(client, auth, f"{roster_path(session.id)}/{request_id}/decline")
    assert _statuses(app, session.id)[requester.id] is EnrollmentStatus.DECLINED

    _post(client, auth, f"{roster_path(session.id)}/{request_id}/approve")
    assert _statuses(app, session.id)[requester.id] is EnrollmentStatus.DECLINED
    assert "이미 처리된 신청입니다." in _flashes(client)
    assert _seats(app, session.id)[0] == 0


def test_a_request_of_another_session_cannot_be_decided_through_this_roster(
    app, client, auth, coordinator, make_user, make_course, make_session, department
):
    course = make_course(requires_approval=True)
    session = make_session(course_id=course.id)
    other = make_session(course_id=course.id)
    requester = make_user(department_id=department.id)
    request_id = _request(app, session.id, requester)

    response = _post(client, auth, f"{roster_path(other.id)}/{request_id}/approve")

    assert response.status_code == 404
    assert _statuses(app, session.id)[requester.id] is EnrollmentStatus.REQUESTED
