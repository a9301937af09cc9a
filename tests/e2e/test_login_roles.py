"""Logging in through the real form as each demo role, in Korean, at desktop and phone widths."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e

# The navigation entries only a system administrator may see (portal/core/templating.py).
ADMIN_ONLY_LINKS = ("사용자", "부서", "인사 명단 가져오기", "감사 기록")


def _nav_hrefs(page: Page) -> list[str]:
    return page.locator("nav.portal-nav a").evaluate_all(
        "links => links.map(link => link.getAttribute('href'))"
    )


def test_each_demo_role_logs_in_and_sees_its_korean_home_page(
    page, portal_server, log_in, demo_account, artifacts_dir
):
    log_in(page, portal_server, demo_account.employee_number)

    expect(page).to_have_url(portal_server.url("/"))
    expect(page.locator("html")).to_have_attribute("lang", "ko")
    expect(page.locator(".portal-user .krds-badge")).to_have_text(demo_account.role_label)
    expect(page.get_by_role("button", name="로그아웃")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_be_visible()

    nav = page.get_by_role("navigation", name="주 메뉴")
    expect(nav.get_by_role("link", name="홈", exact=True)).to_be_visible()
    expect(nav.get_by_role("link", name="내 정보", exact=True)).to_be_visible()
    admin_hrefs = [href for href in _nav_hrefs(page) if href.startswith("/admin")]
    system = nav.get_by_role("button", name="시스템 관리")
    if demo_account.is_admin:
        # The admin's tools are in the 시스템 관리 drop-down, closed until opened.
        expect(system).to_have_attribute("aria-expanded", "false")
        system.click()
        expect(system).to_have_attribute("aria-expanded", "true")
        for label in ADMIN_ONLY_LINKS:
            expect(nav.get_by_role("link", name=label, exact=True)).to_have_attribute(
                "href", re.compile(r"^/admin/")
            )
    else:
        assert admin_hrefs == [], f"{demo_account.role_label} sees admin links: {admin_hrefs}"
        expect(system).to_have_count(0)
        for label in ADMIN_ONLY_LINKS:
            expect(nav.get_by_role("link", name=label, exact=True)).to_have_count(0)

    number = demo_account.employee_number
    page.screenshot(path=artifacts_dir / f"home-{number}-1280.png", full_page=True)
    page.keyboard.press("Escape")

    page.set_viewport_size({"width": 360, "height": 780})
    overflow = page.evaluate("document.documentElement.scrollWidth")
    assert overflow <= 360, f"the home page is {overflow} px wide at a 360 px viewport"
    menu = page.get_by_role("button", name="메뉴", exact=True)
    expect(menu).to_have_attribute("aria-expanded", "false")
    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "true")
    expect(nav.get_by_role("link", name="내 정보", exact=True)).to_be_visible()
    page.screenshot(path=artifacts_dir / f"home-{number}-360.png", full_page=True)


def test_a_wrong_password_is_refused_with_a_korean_message(page, portal_server, log_in):
    log_in(page, portal_server, "D0004", "Wrong!password-2026")

    expect(page).to_have_url(re.compile(r"/auth/login"))
    expect(page.locator("html")).to_have_attribute("lang", "ko")
    expect(page.locator(".portal-alert-error[role=alert]")).to_contain_text(
        "비밀번호가 맞지 않습니다"
    )
    expect(page.locator(".portal-user")).to_have_count(0)


def test_the_language_switch_turns_the_page_english_and_back(page, portal_server):
    page.goto(portal_server.url("/auth/login"))
    html = page.locator("html")
    expect(html).to_have_attribute("lang", "ko")

    page.get_by_role("button", name="English", exact=True).click()
    expect(html).to_have_attribute("lang", "en")
    expect(page).to_have_url(portal_server.url("/auth/login"))

    page.get_by_role("button", name="한국어", exact=True).click()
    expect(html).to_have_attribute("lang", "ko")
    expect(page.get_by_role("heading", name="로그인", level=1)).to_be_visible()
