"""axe-core on the learning-hours pages (상시학습 and 상시학습 승인), at 1280 and 360 px.

The demo staff member D0004 adds outside learning with a PDF through the real form (on a
server of this module's own, so the shared one stays as seeded); the demo coordinator D0002
then finds it in the review queue and recognises it. Each page is checked with axe-core at
1280 px and at 360 px, where it must fit without a horizontal scroll bar and every action
must sit on screen. Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import _serve

pytestmark = pytest.mark.e2e

SERIOUS = {"serious", "critical"}
PHONE = {"width": 360, "height": 780}
DESKTOP = {"width": 1280, "height": 900}
STAFF = "D0004"
COORDINATOR = "D0002"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
TITLE = "나라배움터 공공데이터 분석 기초"


@pytest.fixture(scope="module")
def server(seeded_database, tmp_path_factory):
    yield from _serve(seeded_database, tmp_path_factory.mktemp("e2e-hours"))


def _blocking(violations: list[dict]) -> list[str]:
    return [
        f"[{v['impact']}] {v['id']}: {v['help']} at "
        + ", ".join(str(node["target"]) for node in v["nodes"])
        for v in violations
        if v["impact"] in SERIOUS
    ]


def _on_screen(page: Page, name: str | re.Pattern) -> None:
    control = page.get_by_role("button", name=name).or_(page.get_by_role("link", name=name))
    box = control.first.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], (
        f"{name} is off screen at 360 px: {box}"
    )


def _check_both_sizes(page: Page, axe_violations, artifacts_dir, slug: str, actions=()) -> None:
    page.set_viewport_size(DESKTOP)
    found = _blocking(axe_violations(page))
    assert not found, f"{slug} at 1280 px:\n" + "\n".join(found)
    page.screenshot(path=artifacts_dir / f"a11y-{slug}-1280.png", full_page=True)

    page.set_viewport_size(PHONE)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{slug} is {width} px wide at a 360 px viewport"
    found = _blocking(axe_violations(page))
    assert not found, f"{slug} at 360 px:\n" + "\n".join(found)
    for name in actions:
        _on_screen(page, name)
    page.screenshot(path=artifacts_dir / f"a11y-{slug}-360.png", full_page=True)
    page.set_viewport_size(DESKTOP)


def test_the_hours_pages_are_accessible_at_1280_and_360_px(
    axe_page, server, log_in, axe_violations, artifacts_dir
):
    page = axe_page
    log_in(page, server, STAFF)
    expect(page).to_have_url(server.url("/"))

    # Staff: add outside learning with a PDF.
    page.goto(server.url("/hours/new"))
    expect(page.get_by_role("heading", level=1)).to_have_text("외부 학습 등록")
    _check_both_sizes(page, axe_violations, artifacts_dir, "hours-new")
    page.get_by_label("교육명").fill(TITLE)
    page.get_by_label("교육기관", exact=True).select_option("narabaeumteo")
    today = page.get_by_label("수료일").get_attribute("max")
    page.get_by_label("수료일").fill(today)
    page.get_by_label("학습 시간 (시간)").fill("7.5")
    page.get_by_label("증빙 파일 (PDF, PNG, JPEG)").set_input_files(
        files=[{"name": "수료증.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    page.get_by_role("button", name="등록하기").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("상시학습")
    expect(page.get_by_text("외부 학습을 등록했습니다.")).to_be_visible()
    bar = page.get_by_role("progressbar")
    expect(bar).to_have_attribute("max", "80")
    expect(page.locator(".portal-hours-numbers")).to_contain_text("목표 80시간")
    expect(page.get_by_text("승인 대기 7.5시간", exact=False)).to_be_visible()
    expect(page.get_by_role("cell", name=TITLE)).to_be_visible()
    _check_both_sizes(
        page, axe_violations, artifacts_dir, "hours-ledger", actions=["신청 철회", "증빙 내려받기"]
    )

    # Coordinator: the queue, then the entry, then recognise it.
    page.context.clear_cookies()
    log_in(page, server, COORDINATOR)
    expect(page).to_have_url(server.url("/"))
    page.goto(server.url("/hours/review"))
    expect(page.get_by_role("heading", level=1)).to_have_text("상시학습 승인")
    expect(page.get_by_role("cell", name=TITLE)).to_be_visible()
    _check_both_sizes(
        page, axe_violations, artifacts_dir, "hours-review", actions=["검토하기", "증빙 내려받기"]
    )
    page.get_by_role("link", name="검토하기").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^외부 학습 검토: "))
    _check_both_sizes(
        page, axe_violations, artifacts_dir, "hours-review-entry", actions=["인정", "반려"]
    )
    page.get_by_role("button", name="반려", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("반려할 때는 사유를 입력해 주세요")
    page.get_by_label("사유 (반려할 때는 필수)").fill("수료증 확인")
    page.get_by_role("button", name="인정", exact=True).click()
    expect(page.get_by_text("인정했습니다.")).to_be_visible()
    expect(page.get_by_text("조건에 맞는 신청이 없습니다.")).to_be_visible()
