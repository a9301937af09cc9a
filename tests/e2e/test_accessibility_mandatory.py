"""axe-core on the coordinators' mandatory-training page (신규자 필수교육, /manage/mandatory).

The demo coordinator D0002 opens the page (the demo seed has new appointees and courses
mandatory for them), then the one-click preview of enrolling the list into the next
session with seats. Each page is checked at 1280 px and at 360 px, where it must fit
without a horizontal scroll bar and the action buttons stay on screen.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e

SERIOUS = {"serious", "critical"}
PHONE = {"width": 360, "height": 780}
DESKTOP = {"width": 1280, "height": 900}
COORDINATOR = "D0002"


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


def test_the_mandatory_page_and_its_preview_are_accessible_at_1280_and_360_px(
    axe_page, portal_server, log_in, axe_violations, artifacts_dir
):
    log_in(axe_page, portal_server, COORDINATOR)
    expect(axe_page).to_have_url(portal_server.url("/"))
    axe_page.goto(portal_server.url("/manage/mandatory/"))
    expect(axe_page.get_by_role("heading", level=1)).to_have_text("신규자 필수교육")
    _check_both_sizes(axe_page, axe_violations, artifacts_dir, "mandatory")

    axe_page.set_viewport_size(DESKTOP)
    axe_page.get_by_role("link", name="기한 임박 (14일 이내)").click()
    expect(axe_page.get_by_role("link", name="기한 임박 (14일 이내)")).to_have_attribute(
        "aria-current", "page"
    )
    _check_both_sizes(axe_page, axe_violations, artifacts_dir, "mandatory-due-soon")

    axe_page.set_viewport_size(DESKTOP)
    axe_page.get_by_role("link", name="전체", exact=True).click()
    # The demo seed always has an upcoming session with seats for the mandatory course.
    button = axe_page.get_by_role("button", name="다음 차수에 일괄 신청")
    expect(button.first).to_be_visible()
    button.first.click()
    expect(axe_page.get_by_role("heading", level=1)).to_have_text("다음 차수에 일괄 신청")
    _check_both_sizes(axe_page, axe_violations, artifacts_dir, "mandatory-preview")
