"""axe-core on the coordinators' dashboards (교육 현황, /manage/dashboards).

The demo coordinator D0002 opens the overview and each of the four dashboards on the
demo organisation. Each page is checked at 1280 px and at 360 px (no horizontal scroll
bar on a phone), the charts are drawn from their JSON (a canvas with pixels), and every
chart keeps its data table. Screenshots go to test-artifacts/a11y-dashboards-*.png.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e

SERIOUS = {"serious", "critical"}
PHONE = {"width": 360, "height": 780}
DESKTOP = {"width": 1280, "height": 900}
COORDINATOR = "D0002"
PAGES = [
    ("", "교육 현황"),
    ("adoption", "도입 현황 (교육에서 실습까지)"),
    ("departments", "부서별 현황"),
    ("sessions", "교육 차수 현황"),
    ("sandbox", "AI 실습 공간 사용 현황"),
]


def _blocking(violations: list[dict]) -> list[str]:
    return [
        f"[{v['impact']}] {v['id']}: {v['help']} at "
        + ", ".join(str(node["target"]) for node in v["nodes"])
        for v in violations
        if v["impact"] in SERIOUS
    ]


def _charts_drawn(page: Page) -> int:
    """How many chart canvases Chart.js has drawn on (each has a Chart instance)."""
    return page.evaluate(
        "Array.from(document.querySelectorAll('canvas[data-chart]'))"
        ".filter(c => window.Chart && window.Chart.getChart(c)).length"
    )


def _check_both_sizes(page: Page, axe_violations, artifacts_dir, slug: str) -> None:
    page.set_viewport_size(DESKTOP)
    found = _blocking(axe_violations(page))
    assert not found, f"{slug} at 1280 px:\n" + "\n".join(found)
    page.screenshot(path=artifacts_dir / f"a11y-{slug}-1280.png", full_page=True)

    page.set_viewport_size(PHONE)
    page.wait_for_timeout(300)  # Chart.js resizes on the next frame
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{slug} is {width} px wide at a 360 px viewport"
    found = _blocking(axe_violations(page))
    assert not found, f"{slug} at 360 px:\n" + "\n".join(found)
    page.screenshot(path=artifacts_dir / f"a11y-{slug}-360.png", full_page=True)


def test_every_dashboard_is_accessible_at_1280_and_360_px(
    axe_page, portal_server, log_in, axe_violations, artifacts_dir
):
    log_in(axe_page, portal_server, COORDINATOR)
    expect(axe_page).to_have_url(portal_server.url("/"))
    for name, heading in PAGES:
        axe_page.set_viewport_size(DESKTOP)
        axe_page.goto(portal_server.url(f"/manage/dashboards/{name}"))
        expect(axe_page.get_by_role("heading", level=1)).to_have_text(heading)
        canvases = axe_page.locator("canvas[data-chart]").count()
        if name:
            assert canvases > 0, name
            expect(axe_page.locator("main table").first).to_be_attached()
        axe_page.wait_for_function(
            f"document.querySelectorAll('canvas[data-chart]').length === 0 || "
            f"(window.Chart && Array.from(document.querySelectorAll('canvas[data-chart]'))"
            f".filter(c => Chart.getChart(c) || c.closest('[hidden]')).length === {canvases})"
        )
        _check_both_sizes(axe_page, axe_violations, artifacts_dir, f"dashboards-{name or 'index'}")


def test_a_bad_filter_value_shows_a_message_and_the_default(
    axe_page, portal_server, log_in, axe_violations
):
    log_in(axe_page, portal_server, COORDINATOR)
    axe_page.goto(portal_server.url("/manage/dashboards/sessions?year=abc&course=zz"))
    expect(axe_page.get_by_role("alert")).to_contain_text("연도는")
    expect(axe_page.get_by_role("alert")).to_contain_text("과정을 찾을 수 없습니다")
    assert not _blocking(axe_violations(axe_page))
    assert _charts_drawn(axe_page) >= 1
