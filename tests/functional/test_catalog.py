"""The course catalogue and course pages, as staff use them."""

from __future__ import annotations

import datetime as dt
import itertools
import re

import pytest
from sqlalchemy import insert

from portal.catalog import queries
from portal.catalog.models import Category, Course, Format, Level, course_prerequisites
from portal.core import clock
from portal.db import db
from portal.enrollment.models import Enrollment, EnrollmentStatus
from portal.scheduling.models import SessionStatus, TrainingSession
from portal.users.models import Role
from tests.conftest import build_course, build_session

_keys = itertools.count(1)


def _titles(html: str) -> list[str]:
    return re.findall(r'class="catalog-card-title"><a href="[^"]+">([^<]+)</a>', html)


def _enrol(session_id: int, user_id: int, status: EnrollmentStatus) -> None:
    now = clock.utcnow()
    db.session.add(
        Enrollment(
            session_id=session_id,
            user_id=user_id,
            status=status,
            queue_key=next(_keys),
            created_at=now,
            updated_at=now,
        )
    )


def test_anonymous_visitors_are_sent_to_the_login_page(client, make_course):
    course = make_course()
    for path in ("/courses/", f"/courses/{course.slug}"):
        response = client.get(path)
        assert response.status_code == 302
        assert "/auth/login" in response.headers["Location"]


# --- search and filters ----------------------------------------------------------------


@pytest.fixture
def shelf(make_course):
    """Four courses with different titles, levels, formats and categories."""
    return {
        "report": make_course(
            title="기획보고서 작성 실습",
            title_en="Drafting planning reports",
            summary="초거대 AI로 보고서 초안을 씁니다",
            category=Category.PRACTICE,
            level=Level.APPLIED,
            format=Format.CLASSROOM,
        ),
        "translate": make_course(
            title="외국어 공문 번역 실습",
            title_en="Translating official letters",
            summary="자매도시 공문을 AI로 옮깁니다",
            category=Category.PRACTICE,
            level=Level.APPLIED,
            format=Format.ONLINE,
        ),
        "data": make_course(
            title="공공데이터 이해와 챗GPT 활용방안",
            summary="공공데이터 포털과 챗GPT",
            audience="데이터 담당 주무관",
            category=Category.DATA,
            level=Level.BASIC,
            format=Format.BLENDED,
        ),
        "new": make_course(
            title="신규 임용자 생성형 AI 첫걸음",
            summary="AI 사용 원칙과 보안",
            category=Category.LITERACY,
            level=Level.BASIC,
            format=Format.ONLINE,
            is_mandatory_for_new=True,
            mandatory_within_days=90,
        ),
    }


def _search(client, **args) -> list[str]:
    response = client.get("/courses/", query_string=args)
    assert response.status_code == 200
    return _titles(response.get_data(as_text=True))


def test_search_finds_a_course_by_part_of_a_korean_word(client, as_role, shelf):
    as_role(Role.STAFF)
    assert _search(client, q="보고서") == ["기획보고서 작성 실습"]
    assert _search(client, q="번역") == ["외국어 공문 번역 실습"]


def test_search_looks_in_english_titles_summaries_and_audiences_ignoring_case(
    client, as_role, shelf
):
    as_role(Role.STAFF)
    assert _search(client, q="TRANSLAT") == ["외국어 공문 번역 실습"]
    assert _search(client, q="자매도시") == ["외국어 공문 번역 실습"]
    assert _search(client, q="주무관") == ["공공데이터 이해와 챗GPT 활용방안"]


def test_search_finds_courses_by_synonyms_from_courses_synonyms_yml(client, as_role, shelf):
    """Issue 11: "챗지피티", "지피티" and "인공지능" found nothing although "챗GPT" did."""
    as_role(Role.STAFF)
    assert _search(client, q="챗GPT") == ["공공데이터 이해와 챗GPT 활용방안"]
    assert _search(client, q="챗지피티") == ["공공데이터 이해와 챗GPT 활용방안"]
    assert _search(client, q="지피티") == ["공공데이터 이해와 챗GPT 활용방안"]
    assert sorted(_search(client, q="인공지능")) == sorted(
        ["기획보고서 작성 실습", "외국어 공문 번역 실습", "신규 임용자 생성형 AI 첫걸음"]
    )
    # A synonym joins the other words of a search, which must all match.
    assert _search(client, q="인공지능 번역") == ["외국어 공문 번역 실습"]


def test_every_word_of_a_search_must_match(client, as_role, shelf):
    as_role(Role.STAFF)
    assert _search(client, q="실습 번역") == ["외국어 공문 번역 실습"]
    assert _search(client, q="실습 천문학") == []


def test_like_wildcards_in_a_search_are_taken_literally(client, as_role, shelf, make_course):
    as_role(Role.STAFF)
    make_course(title="할인율 100% 계산 실습")
    assert _search(client, q="%") == ["할인율 100% 계산 실습"]
    assert _search(client, q="_") == []


def test_each_filter_narrows_the_list(client, as_role, shelf):
    as_role(Role.STAFF)
    assert _search(client, category="data") == ["공공데이터 이해와 챗GPT 활용방안"]
    assert sorted(_search(client, level="applied")) == sorted(
        ["기획보고서 작성 실습", "외국어 공문 번역 실습"]
    )
    assert sorted(_search(client, format="online")) == sorted(
        ["외국어 공문 번역 실습", "신규 임용자 생성형 AI 첫걸음"]
    )
    assert _search(client, mandatory="1") == ["신규 임용자 생성형 AI 첫걸음"]
    assert _search(client, level="basic", format="online") == ["신규 임용자 생성형 AI 첫걸음"]


def test_an_unknown_filter_value_is_ignored_with_a_message(client, as_role, shelf):
    as_role(Role.STAFF)
    response = client.get("/courses/?level=expert&q=" + "가" * 101)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "수준 조건을 알아볼 수 없어" in html
    assert "검색어가 너무 깁니다" in html
    assert len(_titles(html)) == 4


def test_open_seats_filter_skips_full_past_and_cancelled_sessions(
    client, as_role, make_course, make_session
):
    as_role(Role.STAFF)
    past = clock.utcnow() - dt.timedelta(days=3)
    full = make_course(title="가 정원 찬 과정")
    make_session(course_id=full.id, capacity=2, seats_taken=2)
    old = make_course(title="나 지난 과정")
    make_session(course_id=old.id, starts_at=past)
    cancelled = make_course(title="다 취소된 과정")
    make_session(course_id=cancelled.id, status=SessionStatus.CANCELLED)
    open_ = make_course(title="라 자리 있는 과정")
    make_session(course_id=open_.id, capacity=2, seats_taken=2)
    make_session(course_id=open_.id, capacity=5, seats_taken=4)
    make_course(title="마 차수 없는 과정")

    assert _search(client, open_seats="1") == ["라 자리 있는 과정"]
    assert len(_search(client)) == 5


def test_inactive_courses_are_not_listed(client, as_role, make_course):
    as_role(Role.STAFF)
    make_course(title="운영 중인 과정")
    make_course(title="폐지된 과정", is_active=False)
    assert _search(client) == ["운영 중인 과정"]


def test_courses_are_sorted_by_sort_order_then_title(client, as_role, make_course):
    as_role(Role.STAFF)
    make_course(title="다 과정", sort_order=1)
    make_course(title="가 과정", sort_order=2)
    make_course(title="나 과정", sort_order=1)
    assert _search(client) == ["나 과정", "다 과정", "가 과정"]


def test_the_list_shows_twenty_courses_a_page(client, as_role, make_course):
    as_role(Role.STAFF)
    for n in range(25):
        make_course(title=f"과정 {n:02d}", category=Category.SPECIAL)
    first = _search(client, category="special")
    second = client.get("/courses/?category=special&page=2").get_data(as_text=True)
    assert len(first) == 20
    assert _titles(second) == [f"과정 {n:02d}" for n in range(20, 25)]
    assert "category=special" in second  # pagination keeps the filters


def test_a_card_shows_badges_hours_and_the_next_session_in_seoul_time(
    client, as_role, make_course, make_session
):
    as_role(Role.STAFF)
    course = make_course(
        title="챗GPT 특강",
        level=Level.BASIC,
        format=Format.CLASSROOM,
        is_mandatory_for_new=True,
        recognised_hours=2,
    )
    # 2030-05-13 01:00 UTC is 10:00 on Monday the 13th in Seoul.
    make_session(
        course_id=course.id,
        starts_at=dt.datetime(2030, 5, 13, 1, 0, tzinfo=dt.UTC),
        capacity=30,
        seats_taken=12,
    )
    make_session(course_id=course.id, starts_at=dt.datetime(2030, 6, 3, 1, 0, tzinfo=dt.UTC))
    html = client.get("/courses/").get_data(as_text=True)
    assert "2030-05-13 (월) 10:00" in html
    assert "잔여 18석" in html
    assert "외 1개 차수" in html
    assert "2시간" in html
    for badge in ("기초", "집합", "신규 임용자 필수"):
        assert badge in html


# --- the course page -------------------------------------------------------------------


def test_the_course_page_lists_upcoming_sessions_in_seoul_time_with_seats_left(
    app, client, as_role, make_user, make_course, make_session
):
    me = as_role(Role.STAFF)
    instructor = make_user(Role.INSTRUCTOR, name="김강사")
    course = make_course(
        title="초거대 AI 실습",
        audience="보고서를 자주 쓰는 주무관",
        description_md="## 배우는 내용\n\n- 보고서 초안",
    )
    single = make_session(
        course_id=course.id,
        round_number=1,
        starts_at=dt.datetime(2030, 5, 13, 5, 0, tzinfo=dt.UTC),
        ends_at=dt.datetime(2030, 5, 13, 8, 0, tzinfo=dt.UTC),
        capacity=2,
        seats_taken=2,
        instructor_id=instructor.id,
    )
    make_session(
        course_id=course.id,
        round_number=2,
        starts_at=dt.datetime(2030, 6, 2, 0, 0, tzinfo=dt.UTC),
        ends_at=dt.datetime(2030, 6, 4, 9, 0, tzinfo=dt.UTC),
        place="",
        online_url="https://meet.example.kr/ai",
        capacity=25,
        seats_taken=5,
    )
    make_session(course_id=course.id, round_number=3, starts_at=clock.utcnow() - dt.timedelta(1))
    make_session(course_id=course.id, round_number=4, status=SessionStatus.CANCELLED)
    with app.app_context():
        other = make_user(Role.STAFF)
        _enrol(single.id, other.id, EnrollmentStatus.WAITLISTED)
        _enrol(single.id, me.id, EnrollmentStatus.WAITLISTED)
        db.session.commit()

    html = client.get(f"/courses/{course.slug}").get_data(as_text=True)

    assert "1차" in html and "2차" in html
    assert "3차" not in html and "4차" not in html
    assert "2030-05-13 (월) 14:00" in html and "17:00" in html
    assert "2030-06-02 (일) 09:00" in html and "06-04 (화) 18:00" in html and "3일간" in html
    assert "김강사" in html
    assert "마감" in html and "20석" in html
    assert "2명" in html  # the waitlist of the first session
    assert "보고서를 자주 쓰는 주무관" in html
    assert "<h2>배우는 내용</h2>" in html or "배우는 내용</h2>" in html
    # The online link is for people who hold a seat.
    assert "meet.example.kr" not in html
    with app.test_request_context():
        page = queries.course_page(course.slug, me.id)
    assert [(r.session.round_number, r.position) for r in page.sessions] == [(1, 2), (2, None)]
    assert page.sessions[0].mine.status is EnrollmentStatus.WAITLISTED
    assert page.sessions[1].days == 3


def test_the_course_page_states_the_mandatory_rule_approval_and_prerequisites(
    app, client, as_role, make_course
):
    as_role(Role.STAFF)
    basics = make_course(title="생성형 AI 기초")
    retired = make_course(title="옛 과정", is_active=False)
    course = make_course(
        title="신규 임용자 과정",
        is_mandatory_for_new=True,
        mandatory_within_days=60,
        requires_approval=True,
    )
    with app.app_context():
        db.session.execute(
            insert(course_prerequisites),
            [
                {"course_id": course.id, "prerequisite_id": basics.id},
                {"course_id": course.id, "prerequisite_id": retired.id},
            ],
        )
        db.session.commit()
    html = client.get(f"/courses/{course.slug}").get_data(as_text=True)
    assert "임용 후 60일 이내 이수" in html
    assert "부서장 승인" in html
    assert f'href="/courses/{basics.slug}"' in html
    assert "옛 과정" in html and f'href="/courses/{retired.slug}"' not in html
    assert "예정된 교육 차수가 없습니다" in html


def _link(app, course: Course, prerequisite: Course) -> None:
    with app.app_context():
        db.session.execute(
            insert(course_prerequisites).values(
                course_id=course.id, prerequisite_id=prerequisite.id
            )
        )
        db.session.commit()


def _recommended(html: str) -> list[str]:
    section = html.split('id="catalog-recommended-title"', 1)
    return _titles(section[1]) if len(section) == 2 else []


def test_recommended_next_are_the_courses_that_build_on_this_one(app, client, as_role, make_course):
    as_role(Role.STAFF)
    basics = make_course(title="AI 기초", category=Category.PRACTICE, level=Level.BASIC)
    follow = make_course(title="보고서 실습", category=Category.DATA, level=Level.ADVANCED)
    retired = make_course(title="폐지된 후속 과정", is_active=False)
    make_course(title="같은 분야 활용", category=Category.PRACTICE, level=Level.APPLIED)
    _link(app, follow, basics)
    _link(app, retired, basics)
    html = client.get(f"/courses/{basics.slug}").get_data(as_text=True)
    assert _recommended(html) == ["보고서 실습"]


def test_without_follow_ups_the_next_level_of_the_same_category_is_recommended(
    client, as_role, make_course
):
    as_role(Role.STAFF)
    basics = make_course(title="데이터 기초", category=Category.DATA, level=Level.BASIC)
    make_course(title="데이터 활용 나", category=Category.DATA, level=Level.APPLIED, sort_order=2)
    make_course(title="데이터 활용 가", category=Category.DATA, level=Level.APPLIED, sort_order=1)
    make_course(
        title="데이터 활용 폐지", category=Category.DATA, level=Level.APPLIED, is_active=False
    )
    make_course(title="다른 분야 활용", category=Category.PRACTICE, level=Level.APPLIED)
    advanced = make_course(title="데이터 심화", category=Category.DATA, level=Level.ADVANCED)
    assert _recommended(client.get(f"/courses/{basics.slug}").get_data(as_text=True)) == [
        "데이터 활용 가"
    ]
    assert _recommended(client.get(f"/courses/{advanced.slug}").get_data(as_text=True)) == []


def test_an_inactive_or_unknown_course_is_not_found(client, as_role, make_course):
    as_role(Role.STAFF)
    retired = make_course(is_active=False)
    assert client.get(f"/courses/{retired.slug}").status_code == 404
    assert client.get("/courses/no-such-course").status_code == 404


# --- query budget ----------------------------------------------------------------------


def _add_catalogue(app, courses: int, viewer_id: int) -> None:
    """Courses with two upcoming sessions each, one of them full with the viewer waitlisted."""
    with app.app_context():
        for _ in range(courses):
            course = build_course(title=f"예산 과정 {next(_keys)}", category=Category.SPECIAL)
            db.session.add(course)
            db.session.flush()
            full = build_session(course.id, capacity=1, seats_taken=1)
            db.session.add_all([full, build_session(course.id)])
            db.session.flush()
            _enrol(full.id, viewer_id, EnrollmentStatus.WAITLISTED)
        db.session.commit()


def _statements_for(count_statements, client, path: str) -> int:
    client.get(path)  # warm up: the first request after login may touch the login session
    with count_statements() as statements:
        response = client.get(path)
    assert response.status_code == 200
    return len(statements)


def test_the_catalogue_issues_the_same_statements_for_ten_times_the_courses(
    app, client, as_role, count_statements
):
    me = as_role(Role.STAFF)
    path = "/courses/?category=special&open_seats=1&q=예산"
    _add_catalogue(app, 2, me.id)
    small = _statements_for(count_statements, client, path)
    _add_catalogue(app, 18, me.id)
    large = _statements_for(count_statements, client, path)
    assert len(_titles(client.get(path).get_data(as_text=True))) == 20
    assert small == large


def test_the_course_page_issues_the_same_statements_for_ten_times_the_sessions(
    app, client, as_role, make_user, make_course, count_statements
):
    me = as_role(Role.STAFF)
    course = make_course(title="예산 검사 과정", level=Level.BASIC, category=Category.DATA)
    path = f"/courses/{course.slug}"

    def grow(times: int) -> None:
        with app.app_context():
            for _ in range(times):
                instructor = make_user(Role.INSTRUCTOR)
                other = make_user(Role.STAFF)
                prerequisite = build_course()
                follow_up = build_course()
                db.session.add_all([prerequisite, follow_up])
                db.session.flush()
                db.session.execute(
                    insert(course_prerequisites),
                    [
                        {"course_id": course.id, "prerequisite_id": prerequisite.id},
                        {"course_id": follow_up.id, "prerequisite_id": course.id},
                    ],
                )
                session = build_session(
                    course.id, capacity=1, seats_taken=1, instructor_id=instructor.id
                )
                db.session.add(session)
                db.session.flush()
                _enrol(session.id, other.id, EnrollmentStatus.WAITLISTED)
                _enrol(session.id, me.id, EnrollmentStatus.WAITLISTED)
            db.session.commit()

    grow(1)
    small = _statements_for(count_statements, client, path)
    grow(9)
    large = _statements_for(count_statements, client, path)
    assert small == large
    with app.test_request_context():
        page = queries.course_page(course.slug, me.id)
    assert len(page.sessions) == 10
    assert all(row.position == 2 for row in page.sessions)


def test_sessions_of_other_courses_do_not_leak_into_a_course_page(
    app, as_role, make_course, make_session
):
    me = as_role(Role.STAFF)
    course = make_course()
    make_session(course_id=course.id)
    make_session()
    with app.test_request_context():
        page = queries.course_page(course.slug, me.id)
        assert len(page.sessions) == 1
        assert db.session.get(TrainingSession, page.sessions[0].session.id).course_id == course.id
