"""What the faster catalogue and "나의 학습" (issue 14) must not change: statements built once
still read the time of each request, and labels translated once per language still follow
each person's language."""

from __future__ import annotations

import datetime as dt

import lxml.html

from portal.core import clock
from portal.db import db
from portal.enrollment import operations as ops
from portal.users.models import Role, User
from tests.conftest import Auth


def _page(client, path: str) -> lxml.html.HtmlElement:
    response = client.get(path)
    assert response.status_code == 200
    return lxml.html.fromstring(response.get_data(as_text=True))


def _titles(client, path: str) -> list[str]:
    return [
        t.strip() for t in _page(client, path).xpath('//h3[@class="catalog-card-title"]/a/text()')
    ]


def test_the_open_seats_filter_reads_the_time_of_each_request(
    as_role, client, make_course, make_session
):
    course = make_course(title="곧 시작하는 과정")
    soon = clock.utcnow() + dt.timedelta(minutes=10)
    make_session(course_id=course.id, starts_at=soon, ends_at=soon + dt.timedelta(hours=2))
    as_role(Role.STAFF)
    with_seats = "/courses/?open_seats=1"
    assert course.title in _titles(client, "/courses/")
    assert course.title in _titles(client, with_seats)

    clock.advance(dt.timedelta(minutes=15))  # its only session has started: no seat to take
    assert course.title not in _titles(client, with_seats)
    assert course.title in _titles(client, "/courses/")


def test_the_next_session_shown_follows_the_clock(as_role, client, make_course, make_session):
    course = make_course(title="시간이 흐르는 과정")
    first = clock.utcnow() + dt.timedelta(minutes=10)
    make_session(course_id=course.id, starts_at=first, ends_at=first + dt.timedelta(hours=1))
    later = first + dt.timedelta(days=3)
    make_session(course_id=course.id, starts_at=later, ends_at=later + dt.timedelta(hours=1))
    as_role(Role.STAFF)

    def next_shown() -> str:
        page = _page(client, "/courses/?q=시간이")
        (card,) = page.xpath('//li[contains(@class, "catalog-card")]')
        return card.xpath(".//time/@datetime")[0]

    assert next_shown() == first.isoformat()
    clock.advance(dt.timedelta(minutes=15))
    # The search words go through a statement built per request; the listing without them
    # through one built once: both must move on to the later session.
    assert next_shown() == later.isoformat()
    page = _page(client, "/courses/")
    times = page.xpath(
        '//li[contains(@class, "catalog-card")][.//a[text()="시간이 흐르는 과정"]]//time/@datetime'
    )
    assert times == [later.isoformat()]


def test_my_learning_moves_a_finished_session_to_the_history(app, as_role, client, make_session):
    start = clock.utcnow() + dt.timedelta(minutes=5)
    session = make_session(starts_at=start, ends_at=start + dt.timedelta(minutes=10))
    user = as_role(Role.STAFF)
    with app.app_context():
        ops.enrol(session.id, db.session.get(User, user.id), ops.Actor(user.id))
        db.session.commit()

    def sections() -> tuple[int, int]:
        page = _page(client, "/my/learning")
        return (
            len(page.xpath('//section[@aria-labelledby="upcoming-title"]//tbody/tr')),
            len(page.xpath('//section[@aria-labelledby="history-title"]//tbody/tr')),
        )

    upcoming_before, history_before = sections()
    clock.advance(dt.timedelta(minutes=20))  # over, still inside the idle limit
    upcoming_after, history_after = sections()
    assert (upcoming_after, history_after) == (upcoming_before - 1, history_before + 1)


def test_catalogue_badges_follow_each_persons_language(
    as_role, client, app, make_user, make_session
):
    make_session()
    as_role(Role.STAFF)
    korean_badges = _page(client, "/courses/").xpath('//p[@class="catalog-badges"]/span/text()')

    english_client = app.test_client()
    auth = Auth(english_client)
    assert auth.login(make_user(Role.STAFF)).status_code == 302
    token = auth.csrf("/")
    english_client.post("/locale", data={"csrf_token": token, "locale": "en", "next": "/"})
    english_badges = _page(english_client, "/courses/").xpath(
        '//p[@class="catalog-badges"]/span/text()'
    )
    again_korean = _page(client, "/courses/").xpath('//p[@class="catalog-badges"]/span/text()')

    assert korean_badges == again_korean
    assert len(english_badges) == len(korean_badges)
    assert set(english_badges).isdisjoint(korean_badges)
