"""The satisfaction survey: answering once and anonymously, and results that never show
a group under SURVEY_MIN_GROUP (5), neither directly nor by subtraction."""

from __future__ import annotations

import datetime as dt
import re
import secrets

import pytest
from sqlalchemy import func, inspect, select

from portal.attendance.models import AttendanceMark, AttendanceStatus, MarkSource
from portal.attendance.schedule import session_days
from portal.core import clock
from portal.db import db
from portal.enrollment.models import Enrollment, EnrollmentStatus
from portal.scheduling.models import SessionStatus, TrainingSession
from portal.surveys import operations as ops
from portal.surveys.models import SurveyReceipt, SurveyResponse
from portal.surveys.queries import pending_surveys
from portal.users.models import Role
from tests.conftest import Auth, csrf_token_from

QUESTIONS = [
    {
        "key": "content",
        "text": "교육 내용에 만족하셨습니까?",
        "text_en": "Satisfied with the content?",
    },
    {
        "key": "instructor",
        "text": "강사의 설명이 이해하기 쉬웠습니까?",
        "text_en": "Clear instructor?",
    },
    {"key": "usefulness", "text": "업무에 활용할 수 있겠습니까?", "text_en": "Useful at work?"},
]
SMALL = "응답이 5명 미만이라 결과를 표시하지 않습니다."
DIFFERENCING = "과정 전체 결과를 표시하지 않습니다"


def answer_path(session_id: int) -> str:
    return f"/my/surveys/{session_id}"


@pytest.fixture
def course(make_course):
    return make_course(title="보고서 작성 실습", survey_questions=QUESTIONS)


@pytest.fixture
def ended(make_session, course):
    """Make a session of the course that ended yesterday."""

    def factory(**fields):
        fields.setdefault("starts_at", clock.utcnow() - dt.timedelta(days=1, hours=4))
        fields.setdefault("course_id", course.id)
        return make_session(**fields)

    return factory


def enrol(
    app,
    session_id: int,
    *users,
    status=EnrollmentStatus.ENROLLED,
    marks: tuple[AttendanceStatus, ...] | None = (AttendanceStatus.PRESENT,),
) -> None:
    """Enrol ``users``; an enrolled person also gets ``marks`` on the session's first days.

    Only people who attended (출석 or 지각 on some day) may answer; ``marks=None`` leaves
    them unmarked.
    """
    with app.app_context():
        now = clock.utcnow()
        session = db.session.get(TrainingSession, session_id)
        days = [d.day for d in session_days(session)]
        for n, user in enumerate(users):
            db.session.add(
                Enrollment(
                    session_id=session_id,
                    user_id=user.id,
                    status=status,
                    queue_key=n,
                    created_at=now,
                    updated_at=now,
                )
            )
            if status is not EnrollmentStatus.ENROLLED or marks is None:
                continue
            for day, mark in zip(days, marks, strict=False):
                db.session.add(
                    AttendanceMark(
                        session_id=session_id,
                        user_id=user.id,
                        day=day,
                        status=mark,
                        source=MarkSource.ROSTER,
                        marked_at=now,
                    )
                )
        db.session.commit()


def responses(app, session_id: int, *scores: int, comments=(), keys=("content",)) -> None:
    """Store one response per score directly, as answers to ``keys`` (for report tests)."""
    with app.app_context():
        for n, score in enumerate(scores):
            db.session.add(
                SurveyResponse(
                    key=secrets.token_hex(16),
                    session_id=session_id,
                    course_id=_course_of(session_id),
                    answers={key: score for key in keys},
                    comment=comments[n] if n < len(comments) else "",
                    answered_on=clock.today_in_seoul(),
                )
            )
        db.session.commit()


def _course_of(session_id: int) -> int:
    return db.session.get(TrainingSession, session_id).course_id


def counts(app) -> tuple[int, int]:
    with app.app_context():
        return (
            db.session.scalar(select(func.count()).select_from(SurveyReceipt)),
            db.session.scalar(select(func.count()).select_from(SurveyResponse)),
        )


def form_data(client, session_id: int, **answers) -> dict:
    token = csrf_token_from(client.get(answer_path(session_id)).get_data(as_text=True))
    data = {"csrf_token": token, "comment": answers.pop("comment", "")}
    data.update({f"q_{key}": value for key, value in answers.items()})
    return data


ALL_FOUR = {"content": "4", "instructor": "5", "usefulness": "3"}


# ---------------------------------------------------------------- answering


def test_an_enrolled_person_answers_once_and_anonymously(app, client, as_role, ended):
    me = as_role(Role.STAFF)
    session = ended()
    enrol(app, session.id, me)

    page = client.get(answer_path(session.id))
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "응답은 익명입니다." in html
    assert html.count("<fieldset") == 3 and html.count("<legend") == 3
    assert 'type="radio"' in html and "매우 그렇다" in html and "전혀 그렇지 않다" in html

    data = form_data(
        client, session.id, comment="  실습 시간이 더 길면 좋겠습니다.\r\n감사합니다. "
    )
    data.update({"q_content": "4", "q_instructor": "5", "q_usefulness": "3"})
    done = client.post(answer_path(session.id), data=data)
    assert done.status_code == 302 and done.headers["Location"].endswith("/my/learning")
    assert counts(app) == (1, 1)
    with app.app_context():
        response = db.session.scalars(select(SurveyResponse)).one()
        assert response.answers == {"content": 4, "instructor": 5, "usefulness": 3}
        assert response.comment == "실습 시간이 더 길면 좋겠습니다.\n감사합니다."
        assert response.answered_on == clock.today_in_seoul()
        assert re.fullmatch(r"[0-9a-f]{32}", response.key)
        receipt = db.session.scalars(select(SurveyReceipt)).one()
        assert (receipt.user_id, receipt.session_id) == (me.id, session.id)

    # The second visit says so kindly; a second submission writes nothing.
    again = client.get(answer_path(session.id)).get_data(as_text=True)
    assert "이미 응답하셨습니다" in again and "<fieldset" not in again
    second = client.post(answer_path(session.id), data=data)
    assert second.status_code == 302
    assert "이미 응답하셨습니다" in client.get(second.headers["Location"]).get_data(as_text=True)
    assert counts(app) == (1, 1)


def test_a_double_submission_racing_past_the_check_writes_one_answer(app, make_user, ended):
    user = make_user()
    session = ended()
    enrol(app, session.id, user)
    with app.test_request_context():
        ops.submit(session.id, user.id, {"content": 4, "instructor": 4, "usefulness": 4}, "")
        real = ops.survey_for

        def stale(session_id, user_id):  # the second tab read the page before the first wrote
            return ops.SurveyTarget(**{**real(session_id, user_id).__dict__, "refusal": None})

        ops.survey_for = stale
        try:
            with pytest.raises(ops.SurveyRefused) as refused:
                ops.submit(
                    session.id, user.id, {"content": 1, "instructor": 1, "usefulness": 1}, ""
                )
        finally:
            ops.survey_for = real
        assert refused.value.reason is ops.Refusal.ANSWERED
        assert db.session.scalar(select(func.count()).select_from(SurveyResponse)) == 1
        assert db.session.scalar(select(func.count()).select_from(SurveyReceipt)) == 1


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("not ended", "교육이 끝난 뒤에 응답할 수 있습니다."),
        ("cancelled", "취소된 차수라 만족도 조사가 없습니다."),
        ("no questions", "이 과정에는 만족도 조사가 없습니다."),
    ],
)
def test_a_survey_that_cannot_be_answered_yet_or_at_all_says_why_and_writes_nothing(
    app, client, as_role, make_course, make_session, ended, change, message
):
    me = as_role(Role.STAFF)
    if change == "not ended":
        session = make_session(course_id=ended().course_id)  # starts in a week
    elif change == "cancelled":
        session = ended(status=SessionStatus.CANCELLED)
    else:
        session = ended(course_id=make_course().id)
    enrol(app, session.id, me)
    page = client.get(answer_path(session.id)).get_data(as_text=True)
    assert message in page and "<fieldset" not in page
    token = csrf_token_from(page)
    posted = client.post(
        answer_path(session.id),
        data={"csrf_token": token, "q_content": "5", "q_instructor": "5", "q_usefulness": "5"},
    )
    assert posted.status_code == 302
    assert message in client.get(posted.headers["Location"]).get_data(as_text=True)
    assert counts(app) == (0, 0)


@pytest.mark.parametrize(
    "status",
    [EnrollmentStatus.WAITLISTED, EnrollmentStatus.CANCELLED, EnrollmentStatus.REQUESTED, None],
)
def test_only_people_enrolled_in_the_session_find_its_survey(
    app, client, as_role, make_user, ended, status
):
    me = as_role(Role.STAFF)
    session = ended()
    enrol(app, session.id, make_user())  # someone else was there
    if status is not None:
        enrol(app, session.id, me, status=status)
    token = Auth(client).csrf("/")
    assert client.get(answer_path(session.id)).status_code == 404
    posted = client.post(
        answer_path(session.id),
        data={"csrf_token": token, "q_content": "5", "q_instructor": "5", "q_usefulness": "5"},
    )
    assert posted.status_code == 404
    assert client.get(answer_path(999_999)).status_code == 404
    assert counts(app) == (0, 0)


@pytest.mark.parametrize(
    ("answers", "fragment"),
    [
        ({"content": "4", "instructor": "5"}, "1~5 가운데 하나를 골라 주세요."),
        ({**ALL_FOUR, "content": "6"}, "올바르지 않은 선택값입니다"),
        ({**ALL_FOUR, "content": "abc"}, "올바르지 않은 선택값입니다"),
        ({**ALL_FOUR, "comment": "가" * 1001}, "1000자 이하로"),
        ({**ALL_FOUR, "comment": "제 연락처는 010-1234-5678입니다"}, "개인정보"),
        ({**ALL_FOUR, "comment": "메일 hong@sejong.example.kr 로 주세요"}, "개인정보"),
    ],
)
def test_bad_answers_are_refused_with_a_message_and_nothing_is_written(
    app, client, as_role, ended, answers, fragment
):
    me = as_role(Role.STAFF)
    session = ended()
    enrol(app, session.id, me)
    answers = dict(answers)
    response = client.post(answer_path(session.id), data=form_data(client, session.id, **answers))
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert fragment in html and 'role="alert"' in html
    assert counts(app) == (0, 0)


def test_a_control_character_in_the_comment_is_refused_by_the_input_policy(
    app, client, as_role, ended
):
    me = as_role(Role.STAFF)
    session = ended()
    enrol(app, session.id, me)
    data = form_data(client, session.id, comment="좋았습니다\x00", **ALL_FOUR)
    assert client.post(answer_path(session.id), data=data).status_code == 400
    assert counts(app) == (0, 0)


def test_the_tables_cannot_link_a_response_to_a_person(app, make_user, ended):
    with app.app_context():
        columns = {c["name"] for c in inspect(db.engine).get_columns("survey_responses")}
        targets = {
            fk["referred_table"] for fk in inspect(db.engine).get_foreign_keys("survey_responses")
        }
    # No user, no receipt, no time of day: only the date (and the stored sum of the scores).
    assert columns == {
        "key",
        "session_id",
        "course_id",
        "answers",
        "answer_total",
        "answer_count",
        "comment",
        "answered_on",
    }
    assert targets == {"training_sessions", "courses"}

    session = ended()
    people = [make_user() for _ in range(3)]
    enrol(app, session.id, *people)
    with app.test_request_context():
        for person in people:
            ops.submit(session.id, person.id, {"content": 3, "instructor": 3, "usefulness": 3}, "")
        keys = db.session.scalars(select(SurveyResponse.key)).all()
        receipts = db.session.scalars(select(SurveyReceipt.id).order_by(SurveyReceipt.id)).all()
    assert len(set(keys)) == 3 and all(re.fullmatch(r"[0-9a-f]{32}", k) for k in keys)
    assert len(receipts) == 3
    # Random keys: no order in them matches the order the answers came in.
    assert not any(k.isdigit() for k in keys)


# ---------------------------------------------------------------- My learning prompt


def test_pending_surveys_lists_recent_ended_enrolled_unanswered_sessions(
    app, make_user, make_course, make_session, ended
):
    me = make_user()
    recent = ended(round_number=1)
    answered = ended(round_number=2)
    waitlisted = ended(round_number=3)
    cancelled = ended(round_number=4, status=SessionStatus.CANCELLED)
    future = make_session(course_id=recent.course_id, round_number=5)
    old = ended(round_number=6, starts_at=clock.utcnow() - dt.timedelta(days=90))
    silent = ended(course_id=make_course().id)  # its course asks nothing
    enrol(app, recent.id, me)
    enrol(app, answered.id, me)
    enrol(app, waitlisted.id, me, status=EnrollmentStatus.WAITLISTED)
    enrol(app, cancelled.id, me)
    enrol(app, future.id, me)
    enrol(app, old.id, me)
    enrol(app, silent.id, me)
    with app.test_request_context():
        ops.submit(answered.id, me.id, {"content": 5, "instructor": 5, "usefulness": 5}, "")
        found = pending_surveys(me.id)
    assert [item.session_id for item in found] == [recent.id]
    assert found[0].course_title == "보고서 작성 실습" and found[0].round_number == 1


def _two_day_session(ended):
    """A session that met 09:00-12:00 KST on two days and ended the day before yesterday."""
    first = clock.today_in_seoul() - dt.timedelta(days=3)
    starts = dt.datetime.combine(first, dt.time(9), clock.SEOUL).astimezone(dt.UTC)
    ends = dt.datetime.combine(first + dt.timedelta(days=1), dt.time(12), clock.SEOUL)
    return ended(starts_at=starts, ends_at=ends.astimezone(dt.UTC))


@pytest.mark.parametrize(
    ("marks", "offered"),
    [
        ((AttendanceStatus.ABSENT, AttendanceStatus.ABSENT), False),
        ((AttendanceStatus.EXCUSED, AttendanceStatus.ABSENT), False),
        (None, False),  # never marked
        ((AttendanceStatus.ABSENT, AttendanceStatus.LATE), True),
        ((AttendanceStatus.PRESENT, AttendanceStatus.ABSENT), True),
    ],
)
def test_only_people_who_attended_are_offered_and_allowed_the_survey(
    app, client, as_role, ended, marks, offered
):
    me = as_role(Role.STAFF)
    session = _two_day_session(ended)
    with app.app_context():
        assert len(session_days(db.session.get(TrainingSession, session.id))) == 2
    enrol(app, session.id, me, marks=marks)
    with app.test_request_context():
        listed = [item.session_id for item in pending_surveys(me.id)]
    assert listed == ([session.id] if offered else [])
    my_learning = client.get("/my/learning").get_data(as_text=True)
    assert (answer_path(session.id) in my_learning) is offered

    page = client.get(answer_path(session.id))
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert ("<fieldset" in html) is offered
    assert ("교육에 출석한 분만 응답할 수 있습니다" in html) is not offered
    # A hand-made POST is refused the same way and writes nothing.
    data = {"csrf_token": csrf_token_from(html), "comment": ""}
    data.update({f"q_{key}": value for key, value in ALL_FOUR.items()})
    client.post(answer_path(session.id), data=data)
    assert counts(app) == ((1, 1) if offered else (0, 0))
    if not offered:
        with app.test_request_context(), pytest.raises(ops.SurveyRefused) as refused:
            ops.submit(session.id, me.id, {"content": 5, "instructor": 5, "usefulness": 5}, "")
        assert refused.value.reason is ops.Refusal.NOT_ATTENDED


def test_the_my_learning_partial_links_each_pending_survey(app, make_user, ended):
    from flask import render_template

    me = make_user()
    session = ended(round_number=7)
    enrol(app, session.id, me)
    with app.test_request_context():
        html = render_template(
            "surveys/_my_learning_prompt.html", pending_surveys=pending_surveys(me.id)
        )
        assert render_template("surveys/_my_learning_prompt.html", pending_surveys=[]).strip() == ""
    assert "만족도 조사에 답해 주세요" in html
    assert f'href="{answer_path(session.id)}"' in html and "7차" in html


# ---------------------------------------------------------------- results


def results_path(session_id: int) -> str:
    return f"/manage/surveys/sessions/{session_id}"


def test_a_session_with_four_responses_shows_no_numbers_and_five_shows_them(
    app, client, as_role, ended
):
    as_role(Role.COORDINATOR)
    session = ended()
    responses(app, session.id, 5, 4, 4, 2, comments=["강의 자료가 좋았습니다"])
    html = client.get(results_path(session.id)).get_data(as_text=True)
    assert SMALL in html
    assert "강의 자료가 좋았습니다" not in html and "평균" not in html and "4명" not in html

    responses(app, session.id, 5)
    html = client.get(results_path(session.id)).get_data(as_text=True)
    assert SMALL not in html
    assert "강의 자료가 좋았습니다" in html
    assert "5명" in html and "4.0" in html  # (5+4+4+2+5)/5
    assert "2명 (40%)" in html  # two people answered 4


def test_a_question_answered_by_fewer_than_five_is_hidden_within_a_shown_session(
    app, client, as_role, ended
):
    as_role(Role.COORDINATOR)
    session = ended()
    responses(app, session.id, 4, 4, 4, 4, keys=("content",))
    responses(app, session.id, 2, 2, keys=("content", "usefulness"))  # asked later
    html = client.get(results_path(session.id)).get_data(as_text=True)
    assert "6명" in html and "3.3" in html  # content: (4*4+2*2)/6
    assert "2.0" not in html and "표시 안 함" in html


def course_html(client, slug: str) -> str:
    return client.get(f"/manage/surveys/courses/{slug}").get_data(as_text=True)


def test_the_course_total_is_withheld_when_one_small_session_could_be_subtracted(
    app, client, as_role, course, ended
):
    as_role(Role.COORDINATOR)
    big, small = ended(round_number=1), ended(round_number=2)
    responses(app, big.id, 5, 5, 5, 5, 5)
    responses(app, small.id, 1, 1, 1, 1, comments=["아쉬웠습니다"])
    html = course_html(client, course.slug)
    assert DIFFERENCING in html
    assert "아쉬웠습니다" not in html and "9명" not in html and "3.2" not in html
    assert "5.0" in html  # the big session itself is shown
    # The small session's own page shows nothing either.
    assert SMALL in client.get(results_path(small.id)).get_data(as_text=True)


def test_the_course_total_shows_when_the_hidden_sessions_together_reach_five(
    app, client, as_role, course, ended
):
    as_role(Role.COORDINATOR)
    big, small, other = ended(round_number=1), ended(round_number=2), ended(round_number=3)
    responses(app, big.id, 5, 5, 5, 5, 5)
    responses(app, small.id, 1, 1, 1, comments=["아쉬웠습니다"])
    responses(app, other.id, 3, 3)
    html = course_html(client, course.slug)
    assert DIFFERENCING not in html
    assert "10명" in html and "3.4" in html  # (25+3+6)/10
    assert "아쉬웠습니다" in html


def test_a_course_under_five_in_all_shows_nothing_and_a_single_session_course_shows_itself(
    app, client, as_role, course, ended
):
    as_role(Role.COORDINATOR)
    first = ended(round_number=1)
    responses(app, first.id, 4, 4, 4, 4)
    html = course_html(client, course.slug)
    assert SMALL in html and "4.0" not in html
    overview = client.get("/manage/surveys/").get_data(as_text=True)
    assert "보고서 작성 실습" in overview and "5명 미만" in overview and "4명" not in overview

    responses(app, first.id, 4)
    html = course_html(client, course.slug)
    assert SMALL not in html and DIFFERENCING not in html and "4.0" in html


def test_a_question_total_is_withheld_when_its_hidden_answers_are_few(
    app, client, as_role, course, ended
):
    as_role(Role.COORDINATOR)
    a, b = ended(round_number=1), ended(round_number=2)
    responses(app, a.id, 5, 5, 5, 5, 5, keys=("content", "usefulness"))
    # b: 5 people answered content, only 2 of them usefulness (added later).
    responses(app, b.id, 3, 3, 3, keys=("content",))
    responses(app, b.id, 1, 1, keys=("content", "usefulness"))
    html = course_html(client, course.slug)
    assert DIFFERENCING not in html
    assert "10명" in html  # the total is shown
    # usefulness: total 7 answers, 2 of them hidden in b -> subtracting a would reveal them.
    assert "3.9" not in html  # (25+2)/7
    assert "3.6" in html  # content: (25+9+2)/10


def test_instructors_see_their_own_sessions_only_and_staff_nothing(
    app, client, as_role, make_user, ended
):
    me = as_role(Role.INSTRUCTOR)
    mine = ended(round_number=1, instructor_id=me.id)
    theirs = ended(round_number=2, instructor_id=make_user(Role.INSTRUCTOR).id)
    responses(app, mine.id, 4, 4, 4, 4, 4)
    responses(app, theirs.id, 2, 2, 2, 2, 2)
    own = client.get(f"/teaching/sessions/{mine.id}/survey")
    assert own.status_code == 200 and "4.0" in own.get_data(as_text=True)
    assert client.get(f"/teaching/sessions/{theirs.id}/survey").status_code == 404
    assert client.get(f"/teaching/sessions/{999_999}/survey").status_code == 404
    assert client.get(results_path(mine.id)).status_code == 403
    assert client.get("/manage/surveys/").status_code == 403

    staff = app.test_client()
    assert Auth(staff).login(make_user(Role.STAFF)).status_code == 302
    assert staff.get(f"/teaching/sessions/{mine.id}/survey").status_code == 403
    assert staff.get(results_path(mine.id)).status_code == 403


def test_unknown_courses_and_sessions_are_not_found(client, as_role):
    as_role(Role.ADMIN)
    assert client.get("/manage/surveys/courses/no-such-course").status_code == 404
    assert client.get(results_path(999_999)).status_code == 404
    assert client.get("/manage/surveys/").status_code == 200


def test_the_minimum_group_follows_the_setting(app, client, as_role, ended):
    as_role(Role.COORDINATOR)
    session = ended()
    responses(app, session.id, 3, 3, 3)
    app.config["SURVEY_MIN_GROUP"] = 3
    try:
        html = client.get(results_path(session.id)).get_data(as_text=True)
    finally:
        app.config["SURVEY_MIN_GROUP"] = 5
    assert "3.0" in html and "3명" in html


def test_a_response_stores_the_sum_and_count_of_its_scores(app, make_user, ended):
    session = ended()
    person = make_user()
    enrol(app, session.id, person)
    with app.test_request_context():
        ops.submit(session.id, person.id, {"content": 5, "instructor": 4, "usefulness": 2}, "")
        stored = db.session.execute(
            select(SurveyResponse.answer_total, SurveyResponse.answer_count)
        ).one()
    assert tuple(stored) == (11, 3)


def test_only_whole_scores_from_1_to_5_count_in_the_stored_sum(app, ended):
    from portal.surveys.models import scores

    assert scores({"a": 5, "b": True, "c": 4.0, "d": "3", "e": 0, "f": 6, "g": 1}) == [5, 1]
    assert scores(None) == [] and scores([1, 2]) == []
