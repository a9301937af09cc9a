"""The main menu's drop-downs (교육 운영, 시스템 관리) in a real browser, with axe-core.

At 1280 px every role's menu fits on one row; the coordinators' and admins' tools open
from buttons with aria-expanded (KRDS main menu), by mouse and by keyboard, and Escape
closes them. At 360 px the phone menu still opens, with the drop-downs as an accordion.
Without JavaScript the drop-downs are <details> elements and still lead to every page.
Screenshots of each role, menu closed and open, go to test-artifacts/.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e

SERIOUS = {"serious", "critical"}
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 360, "height": 780}

# (demo account, slug, the drop-downs it has, a link inside the last one and its URL)
ROLES = [
    ("D0004", "staff", [], None, None),
    ("D0002", "coordinator", ["교육 운영"], "교육 차수 관리", "/manage/sessions/"),
    ("D0001", "admin", ["교육 운영", "시스템 관리"], "감사 기록", "/admin/audit/"),
]


def _blocking(violations: list[dict]) -> list[str]:
    return [
        f"[{v['impact']}] {v['id']}: {v['help']} at "
        + ", ".join(str(node["target"]) for node in v["nodes"])
        for v in violations
        if v["impact"] in SERIOUS
    ]


def _rows(page: Page) -> int:
    """How many rows the top-level menu entries take."""
    return page.evaluate(
        """() => new Set(Array.from(
            document.querySelectorAll('#portal-nav-list > li'),
            li => Math.round(li.getBoundingClientRect().top))).size"""
    )


@pytest.mark.parametrize(
    ("number", "slug", "groups", "link", "url"), ROLES, ids=[r[1] for r in ROLES]
)
def test_the_menu_fits_one_row_and_its_drop_downs_work_by_mouse_and_keyboard(
    axe_page, portal_server, log_in, axe_violations, artifacts_dir, number, slug, groups, link, url
):
    page = axe_page
    log_in(page, portal_server, number)
    expect(page).to_have_url(portal_server.url("/"))
    nav = page.get_by_role("navigation", name="주 메뉴")
    # Measure once the style sheets apply (the redirect's URL comes before them).
    page.wait_for_load_state("load")
    buttons = nav.locator("button[aria-expanded][aria-controls]:not(.portal-nav-toggle)")
    expect(buttons).to_have_count(len(groups))
    assert _rows(page) == 1, f"the {slug} menu wraps at 1280 px"
    found = _blocking(axe_violations(page))
    assert not found, f"{slug} menu closed at 1280 px:\n" + "\n".join(found)
    page.screenshot(path=artifacts_dir / f"menu-{slug}-1280-closed.png")

    for label in groups:
        button = nav.get_by_role("button", name=label, exact=True)
        listbox = page.locator(f"#{button.get_attribute('aria-controls')}")
        expect(button).to_have_attribute("aria-expanded", "false")
        expect(listbox).to_be_hidden()
        # Keyboard: focus the button, Enter opens, Tab reaches the first link, Escape closes
        # and puts the focus back on the button.
        button.focus()
        page.keyboard.press("Enter")
        expect(button).to_have_attribute("aria-expanded", "true")
        expect(listbox).to_be_visible()
        page.keyboard.press("Tab")
        expect(listbox.get_by_role("link").first).to_be_focused()
        page.keyboard.press("Escape")
        expect(button).to_have_attribute("aria-expanded", "false")
        expect(listbox).to_be_hidden()
        expect(button).to_be_focused()
        # Mouse: opening one closes the other; a click elsewhere closes it.
        button.click()
        expect(listbox).to_be_visible()
        for other in groups:
            if other != label:
                expect(nav.get_by_role("button", name=other, exact=True)).to_have_attribute(
                    "aria-expanded", "false"
                )
        found = _blocking(axe_violations(page))
        assert not found, f"{slug} menu, {label} open at 1280 px:\n" + "\n".join(found)
        page.screenshot(path=artifacts_dir / f"menu-{slug}-1280-{groups.index(label) + 1}-open.png")
        page.locator("main h1").click()
        expect(button).to_have_attribute("aria-expanded", "false")

    if link:
        nav.get_by_role("button", name=groups[-1], exact=True).click()
        nav.get_by_role("link", name=link, exact=True).click()
        expect(page).to_have_url(portal_server.url(url))
        # On a page of the group, its button is marked as the current section.
        expect(nav.get_by_role("button", name=groups[-1], exact=True)).to_have_class(
            "portal-nav-trigger active"
        )
        page.goto(portal_server.url("/"))

    page.set_viewport_size(PHONE)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the {slug} home page is {width} px wide at 360 px"
    menu = nav.get_by_role("button", name="메뉴", exact=True)
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(nav.get_by_role("link", name="홈", exact=True)).to_be_hidden()
    page.screenshot(path=artifacts_dir / f"menu-{slug}-360-closed.png")
    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "true")
    expect(nav.get_by_role("link", name="내 정보", exact=True)).to_be_visible()
    if link:
        nav.get_by_role("button", name=groups[-1], exact=True).click()
        expect(nav.get_by_role("link", name=link, exact=True)).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the open {slug} menu is {width} px wide at 360 px"
    found = _blocking(axe_violations(page))
    assert not found, f"{slug} menu open at 360 px:\n" + "\n".join(found)
    page.screenshot(path=artifacts_dir / f"menu-{slug}-360-open.png", full_page=True)
    if link:
        nav.get_by_role("link", name=link, exact=True).click()
        expect(page).to_have_url(portal_server.url(url))


def test_without_javascript_the_drop_downs_still_lead_to_every_page(
    browser, portal_server, log_in, artifacts_dir
):
    context = browser.new_context(viewport=DESKTOP, locale="ko-KR", java_script_enabled=False)
    context.set_default_timeout(15_000)
    try:
        page = context.new_page()
        log_in(page, portal_server, "D0001")
        expect(page).to_have_url(portal_server.url("/"))
        nav = page.get_by_role("navigation", name="주 메뉴")
        link = nav.get_by_role("link", name="AI 모델·한도", exact=True)
        expect(link).to_be_hidden()
        nav.locator("summary", has_text="시스템 관리").click()
        expect(link).to_be_visible()
        page.screenshot(path=artifacts_dir / "menu-admin-1280-no-js.png")
        link.click()
        expect(page).to_have_url(portal_server.url("/practice/manage/models"))
    finally:
        context.close()
