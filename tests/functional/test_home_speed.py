"""What the faster home page (issue 14) must not change: each person sees only their own menu,
name and badge although finished menus are shared per process, and the page's statements do
not grow with the person's data."""

from __future__ import annotations

import datetime as dt

import lxml.html
import pytest
from sqlalchemy import func, select

from portal.core import clock
from portal.core.templating import _MENUS_KEPT
from portal.db import db
from portal.enrollment import operations as ops
from portal.notifications.models import Notification
from portal.users.models import Role, User
from tests.conftest import Auth

MENUS = "portal_menus"  # where portal.core.templating keeps an app's finished menus


def _page(client, path: str = "/", **kwargs) -> lxml.html.HtmlElement:
    response = client.get(path, **kwargs)
    assert response.status_code == 200
    return lxml.html.fromstring(response.get_data(as_text=True))


def _menu_links(page) -> list[tuple[str, str]]:
    return [
        (a.text_content().strip(), a.get("href"))
        for a in page.xpath('//ul[@id="portal-nav-list"]//a')
    ]


def _header_user(page) -> str:
    (name,) = page.xpath('//span[@class="portal-user"]/text()')
    return name.strip()


def _badge(page) -> str:
    (badge,) = page.xpath('//a[contains(@class, "portal-notification-badge")]')
    return badge.text_content().strip()


def _notify(app, user: User, count: int) -> None:
    with app.app_context():
        for n in range(count):
            db.session.add(
                Notification(
                    user_id=user.id,
                    kind="enrollment.promoted",
                    title=f"알림 {n}",
                    body="",
                    link="/my/learning",
                    created_at=clock.utcnow(),
                )
            )
        db.session.commit()


@pytest.fixture
def login(app, make_user):
    """A logged-in test client of its own for a fresh user: (client, user)."""

    def factory(role: Role, **fields):
        user = make_user(role, **fields)
        client = app.test_client()
        assert Auth(client).login(user).status_code == 302
        return client, user

    return factory


def test_people_taking_turns_each_see_their_own_menu_name_and_badge(app, login, department):
    admin_client, admin = login(Role.ADMIN)
    staff_client, staff = login(Role.STAFF)
    head_client, head = login(Role.STAFF, department_id=department.id, is_department_head=True)
    _notify(app, staff, 3)
    _notify(app, head, 1)

    for _ in range(2):  # the second round is served from the shared menus
        admin_page, staff_page, head_page = (
            _page(admin_client),
            _page(staff_client),
            _page(head_client),
        )
        admin_labels = [label for label, _href in _menu_links(admin_page)]
        staff_labels = [label for label, _href in _menu_links(staff_page)]
        head_labels = [label for label, _href in _menu_links(head_page)]
        assert "사용자" in admin_labels and "감사 기록" in admin_labels
        assert "사용자" not in staff_labels and "대시보드" not in staff_labels
        assert set(head_labels) - set(staff_labels) == {"수강 승인"}
        assert _header_user(admin_page) == admin.name
        assert _header_user(staff_page) == staff.name
        assert _header_user(head_page) == head.name
        assert _badge(admin_page) == "알림 (0)"
        assert _badge(staff_page) == "알림 (3)"
        assert _badge(head_page) == "알림 (1)"


def test_one_persons_language_never_reaches_another_persons_menu(login):
    english_client, _english = login(Role.STAFF)
    korean_client, _korean = login(Role.STAFF)
    token = Auth(english_client).csrf("/")
    english_client.post("/locale", data={"csrf_token": token, "locale": "en", "next": "/"})

    for _ in range(2):
        english = [label for label, _href in _menu_links(_page(english_client))]
        korean = [label for label, _href in _menu_links(_page(korean_client))]
        assert "홈" in korean and "교육과정" in korean
        assert "홈" not in english and "교육과정" not in english
        assert len(english) == len(korean)


def test_the_current_page_is_marked_in_a_shared_menu(login):
    client, _user = login(Role.STAFF)
    for path, label in (("/", "홈"), ("/my/learning", "나의 학습"), ("/", "홈")):
        page = _page(client, path)
        assert page.xpath('//ul[@id="portal-nav-list"]//a[@aria-current="page"]/text()') == [label]


def test_menu_links_follow_the_prefix_the_portal_is_served_under(app, login):
    client, _user = login(Role.STAFF)
    plain = dict(_menu_links(_page(client)))
    prefixed = dict(_menu_links(_page(client, base_url="http://localhost/portal/")))
    assert plain["나의 학습"] == "/my/learning"
    assert prefixed["나의 학습"] == "/portal/my/learning"
    assert dict(_menu_links(_page(client)))["나의 학습"] == "/my/learning"


def test_the_shared_menus_stay_few_whatever_the_requests(app, login):
    client, _user = login(Role.STAFF)
    for n in range(_MENUS_KEPT + 5):
        _page(client, base_url=f"http://localhost/p{n}/")
    assert 0 < len(app.extensions[MENUS]) <= _MENUS_KEPT


def _home_selects(client, count_statements) -> list[str]:
    with count_statements() as statements:
        assert client.get("/").status_code == 200
    return [s for s in statements if s.lstrip().upper().startswith("SELECT")]


def test_the_home_page_statements_do_not_grow_with_the_persons_data(
    app, login, make_course, make_session, count_statements
):
    appointed = clock.today_in_seoul() - dt.timedelta(days=10)
    client, user = login(Role.STAFF, appointed_on=appointed)
    before = _home_selects(client, count_statements)

    for n in range(3):
        make_course(title=f"필수 과정 {n}", is_mandatory_for_new=True, mandatory_within_days=90)
    with app.app_context():
        me = db.session.get(User, user.id)
        for n in range(4):
            session = make_session(starts_at=clock.utcnow() + dt.timedelta(days=7 + n))
            ops.enrol(session.id, me, ops.Actor(user.id))
        db.session.commit()
    _notify(app, user, 5)
    after = _home_selects(client, count_statements)

    page = _page(client)
    mandatory = page.xpath('//section[@aria-labelledby="mandatory-title"]//li/a/text()')
    upcoming = page.xpath('//section[@aria-labelledby="upcoming-title"]//li/a')
    assert mandatory == ["필수 과정 0", "필수 과정 1", "필수 과정 2"]
    assert len(upcoming) == 3  # the next three of the four
    with app.app_context():
        unread = db.session.scalar(
            select(func.count(Notification.id)).where(
                Notification.user_id == user.id, Notification.read_at.is_(None)
            )
        )
    assert unread >= 5 and _badge(page) == f"알림 ({unread})"
    # The login session with its person, the mandatory courses, the next sessions and the
    # unread count: four SELECTs whatever the data.
    assert len(before) == len(after) == 4, after


def test_the_badge_counts_a_notification_added_earlier_in_the_same_request(app, make_user):
    # The count runs on the session's connection without the ORM; pending changes must still
    # be flushed first, as the ORM's autoflush did.
    from flask import render_template
    from flask_login import login_user

    me = make_user(Role.STAFF)
    with app.test_request_context("/"):
        login_user(me)
        db.session.add(
            Notification(
                user_id=me.id,
                kind="enrollment.promoted",
                title="방금 생긴 알림",
                body="",
                link="",
                created_at=clock.utcnow(),
            )
        )
        html = render_template("_partials/_notification_badge.html")
    assert "알림 (1)" in html
