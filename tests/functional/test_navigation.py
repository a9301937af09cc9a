"""The main menu by role: everyone's items top-level, 교육 운영 and 시스템 관리 as drop-downs."""

from __future__ import annotations

import lxml.html
import pytest

from portal.core.templating import (
    NAVIGATION,
    OPERATIONS,
    SYSTEM,
    NavGroup,
    NavItem,
    NavMenu,
    arrange,
)
from portal.users.models import Role


def _menu(client, path: str = "/") -> dict:
    """The rendered menu: top-level labels in order, and each group's label and links."""
    page = lxml.html.fromstring(client.get(path).get_data(as_text=True))
    (nav_list,) = page.xpath('//nav[@class="portal-nav"]//ul[@id="portal-nav-list"]')
    top, groups = [], {}
    for li in nav_list.xpath("./li"):
        summary = li.xpath("./details/summary")
        if summary:
            label = summary[0].text_content().strip()
            top.append(label)
            (sub,) = li.xpath("./details/ul")
            groups[label] = {
                "id": sub.get("id"),
                "links": [a.text_content().strip() for a in sub.xpath("./li/a")],
                "active": "active" in summary[0].get("class", "").split(),
                "current": [a.text_content() for a in sub.xpath("./li/a[@aria-current='page']")],
            }
        else:
            top.append(li.xpath("./a")[0].text_content().strip())
    return {"top": top, "groups": groups}


STAFF_TOP = ["홈", "교육과정", "나의 학습", "출석 체크", "상시학습", "AI 실습", "AI 아이디어"]


def test_staff_see_their_items_top_level_and_no_drop_downs(client, as_role):
    as_role(Role.STAFF)
    menu = _menu(client)
    assert menu["top"] == [*STAFF_TOP, "내 정보"]
    assert menu["groups"] == {}


def test_a_department_head_also_sees_approvals_top_level(client, as_role, department):
    as_role(Role.STAFF, department_id=department.id, is_department_head=True)
    assert _menu(client)["top"] == [*STAFF_TOP, "수강 승인", "내 정보"]


def test_coordinators_get_the_operations_drop_down_and_no_system_one(client, as_role):
    as_role(Role.COORDINATOR)
    menu = _menu(client)
    assert menu["top"] == [*STAFF_TOP, "내 강의", "과제 검토", "교육 운영", "내 정보"]
    operations = menu["groups"]["교육 운영"]
    assert operations["id"] == "portal-nav-operations"
    assert operations["links"] == [
        "대시보드",
        "교육 차수 관리",
        "일괄 신청",
        "신규자 필수교육",
        "상시학습 승인",
        "만족도 조사 결과",
        "AI 실습 현황",
        "아이디어 관리",
        "자료 내려받기",
    ]
    assert "시스템 관리" not in menu["groups"]


def test_admins_get_both_drop_downs_and_the_current_page_is_marked(client, as_role):
    as_role(Role.ADMIN)
    menu = _menu(client, "/practice/manage/models")
    assert menu["top"] == [*STAFF_TOP, "과제 검토", "교육 운영", "시스템 관리", "내 정보"]
    system = menu["groups"]["시스템 관리"]
    assert system["links"] == [
        "사용자",
        "부서",
        "인사 명단 가져오기",
        "메일 발송함",
        "AI 모델·한도",
        "감사 기록",
        "개인정보 접근 기록",
    ]
    assert system["active"] and system["current"] == ["AI 모델·한도"]
    assert not menu["groups"]["교육 운영"]["active"]


@pytest.mark.parametrize("role", list(Role))
def test_every_menu_link_opens_for_its_role(client, as_role, role):
    as_role(role)
    page = lxml.html.fromstring(client.get("/").get_data(as_text=True))
    hrefs = page.xpath('//ul[@id="portal-nav-list"]//a/@href')
    assert hrefs
    for href in hrefs:
        assert client.get(href).status_code == 200, href


def test_a_new_item_is_one_line_and_lands_in_its_group():
    extra = NavItem("dashboards.index", "대시보드", frozenset({Role.COORDINATOR}), group=OPERATIONS)
    items = (*NAVIGATION[:10], extra, *NAVIGATION[10:])
    endpoints = {item.endpoint for item in items}
    entries = arrange(items, Role.COORDINATOR, False, endpoints)
    (menu,) = [e for e in entries if isinstance(e, NavMenu)]
    assert menu.group == OPERATIONS and menu.items[0] is extra
    # A group nobody in this role may use is not shown at all, nor an unknown endpoint.
    assert SYSTEM not in [e.group for e in entries if isinstance(e, NavMenu)]
    staff = arrange(items, Role.STAFF, False, endpoints - {"home.profile"})
    assert all(isinstance(e, NavItem) for e in staff)
    assert "home.profile" not in [e.endpoint for e in staff]


def test_a_group_shows_where_its_first_visible_item_is():
    tools = NavGroup("tools", "도구")
    everyone = frozenset(Role)
    items = (
        NavItem("a", "A", everyone),
        NavItem("b", "B", frozenset({Role.ADMIN}), group=tools),
        NavItem("c", "C", everyone),
        NavItem("d", "D", everyone, group=tools),
    )
    labels = lambda entries: [  # noqa: E731
        e.group.label if isinstance(e, NavMenu) else e.label for e in entries
    ]
    assert labels(arrange(items, Role.ADMIN, False, {"a", "b", "c", "d"})) == ["A", "도구", "C"]
    assert labels(arrange(items, Role.STAFF, False, {"a", "b", "c", "d"})) == ["A", "C", "도구"]
