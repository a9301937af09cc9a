"""axe-core on the instructor's own pages (내 강의 and a taught session's roster).

The demo instructor D0003 teaches sessions in the demo seed. Each page is checked at
1280 px and at 360 px, where it must fit without a horizontal scroll bar (the tables
scroll inside their own krds-table-wrap). As in test_accessibility.py, the pages come
from a browser context that bypasses CSP so axe can be injected.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e

SERIOUS = {"serious", "critical"}
PHONE = {"width": 360, "height": 780}
DESKTOP = {"width": 1280, "height": 900}
INSTRUCTOR = "D0003"


def _blocking(violations: list[dict]) -> list[str]:
    return [
        f"[{v['impact']}] {v['id']}: {v['help']} at "
        + ", ".join(str(node["target"]) for node in v["nodes"])
        for v in violations
        if v["impact"] in SERIOUS
    ]


def _check_both_sizes(page: Page, axe_violations, artifacts_dir, slug: str) -> None:
    page.set_viewport_size(DESKTOP)
    found = _blocking(axe_violations(page))
    assert not found, f"{slug} at 1280 px:\n" + "\n".join(found)
    page.screenshot(path=artifacts_dir / f"a11y-{slug}-1280.png", full_page=True)

    page.set_viewport_size(PHONE)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{slug} is {width} px wide at a 360 px viewport"
    found = _blocking(axe_violations(page))
    assert not found, f"{slug} at 360 px:\n" + "\n".join(found)
    page.screenshot(path=artifacts_dir / f"a11y-{slug}-360.png", full_page=True)


def test_my_sessions_and_a_taught_roster_are_accessible_at_1280_and_360_px(
    axe_page, portal_server, log_in, axe_violations, artifacts_dir
):
    log_in(axe_page, portal_server, INSTRUCTOR)
    expect(axe_page).to_have_url(portal_server.url("/"))
    menu_link = axe_page.get_by_role("navigation", name="주 메뉴").get_by_role(
        "link", name="내 강의", exact=True
    )
    expect(menu_link).to_have_attribute("href", "/teaching/sessions")
    axe_page.goto(portal_server.url("/teaching/sessions"))
    expect(axe_page.get_by_role("heading", level=1)).to_have_text("내 강의")
    roster_links = axe_page.get_by_role("link", name=re.compile(r"^명단 보기"))
    expect(roster_links.first).to_be_visible()
    _check_both_sizes(axe_page, axe_violations, artifacts_dir, "my-sessions")
    # At 360 px each session is a card: its buttons sit on screen, not beyond a scroll.
    box = roster_links.first.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]

    axe_page.set_viewport_size(DESKTOP)
    roster_links.first.click()
    expect(axe_page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^수강생 명단: "))
    _check_both_sizes(axe_page, axe_violations, artifacts_dir, "taught-roster")
