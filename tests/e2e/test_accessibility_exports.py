"""axe-core on the exports page (자료 내려받기) at 1280 px and 360 px, and one real download.

The demo coordinator D0002 opens /manage/exports; at 360 px the page must fit without a
horizontal scroll bar and every export button must be on screen.
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


def test_the_exports_page_is_accessible_at_1280_and_360_px_and_downloads(
    axe_page, portal_server, log_in, axe_violations, artifacts_dir
):
    log_in(axe_page, portal_server, COORDINATOR)
    expect(axe_page).to_have_url(portal_server.url("/"))
    axe_page.goto(portal_server.url("/manage/exports"))
    expect(axe_page.get_by_role("heading", level=1)).to_have_text("자료 내려받기")
    _check_both_sizes(axe_page, axe_violations, artifacts_dir, "exports")

    buttons = axe_page.get_by_role("button", name="엑셀(XLSX) · 상시학습 시간")
    box = buttons.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]

    axe_page.set_viewport_size(DESKTOP)
    with axe_page.expect_download() as download_info:
        axe_page.get_by_role("button", name="CSV · 상시학습 시간").click()
    download = download_info.value
    assert download.suggested_filename.startswith("상시학습 시간")
    assert download.suggested_filename.endswith(".csv")
