"""Session tables on a 360 px phone: every action visible, Korean words whole.

The course page's session table and My learning's tables use .portal-stack-table: below
768 px each row becomes a card with its column labels, so the 신청 button and the status,
.ics and 신청 취소 controls sit inside the screen instead of off to the right of a table
that scrolls with no cue. At 1280 px they stay ordinary tables. D0004 enrols on a server
of its own (the shared one keeps its seats for test_enrolment_flow.py), and both pages are
checked with axe-core at 360 and 1280 px; screenshots go to test-artifacts/.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from tests.e2e.conftest import _serve

pytestmark = pytest.mark.e2e

PHONE = {"width": 360, "height": 780}
DESKTOP = {"width": 1280, "height": 900}
COURSE_PATH = "/courses/chatgpt-special-lecture"
COURSE = "챗GPT 특강"
BLOCKING = {"serious", "critical"}


@pytest.fixture(scope="module")
def server(seeded_database, tmp_path_factory):
    """A portal of this module's own, so enrolling here takes no seat from other tests."""
    yield from _serve(seeded_database, tmp_path_factory.mktemp("e2e-stack"))


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport=PHONE, locale="ko-KR", bypass_csp=True)
    context.set_default_timeout(15_000)
    context.set_default_navigation_timeout(30_000)
    try:
        yield context.new_page()
    finally:
        context.close()


def _no_horizontal_scroll(page: Page) -> None:
    widths = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1], f"the page scrolls sideways: {widths}"


def _inside_viewport(control: Locator, what: str) -> None:
    expect(control).to_be_visible()
    box = control.bounding_box()
    assert box is not None, f"{what} has no box"
    assert box["x"] >= 0, f"{what} starts left of the screen: {box}"
    assert box["x"] + box["width"] <= PHONE["width"], f"{what} sticks out to the right: {box}"


def _no_blocking_axe(page: Page, axe_violations, where: str) -> None:
    found = axe_violations(page)
    blocking = [
        f"[{v['impact']}] {v['id']}: {v['help']} {[n['target'] for n in v['nodes']]}"
        for v in found
        if v["impact"] in BLOCKING
    ]
    assert not blocking, f"serious/critical axe violations on {where}:\n" + "\n".join(blocking)


def _keeps_korean_words_whole(cell: Locator) -> None:
    style = cell.evaluate(
        "el => { const s = getComputedStyle(el); return [s.wordBreak, s.overflowWrap]; }"
    )
    assert style[0] == "keep-all", f"Korean words may break mid-word: word-break {style[0]}"


def test_session_tables_are_cards_on_a_phone_with_every_action_on_screen(
    phone, server, log_in, axe_violations, artifacts_dir
):
    page = phone
    log_in(page, server, "D0004")
    expect(page).to_have_url(server.url("/"))

    # The course page: the first open session's 신청 button is on screen, not off to the right.
    page.goto(server.url(COURSE_PATH))
    expect(page.get_by_role("heading", level=1, name=COURSE)).to_be_visible()
    table = page.locator("table.portal-stack-table")
    expect(table).to_have_count(1)
    row = table.locator("tbody tr").filter(has=page.get_by_role("button", name="신청", exact=True))
    enrol = row.first.get_by_role("button", name="신청", exact=True)
    _inside_viewport(enrol, "the course page's 신청 button")
    _no_horizontal_scroll(page)
    # Each cell says which column it is (the header row is hidden on a phone).
    place = row.first.locator("td[data-label='장소']")
    expect(place).to_have_count(1)
    label = place.evaluate("el => getComputedStyle(el, '::before').content")
    assert "장소" in label, f"the 장소 cell shows no label: {label!r}"
    _keeps_korean_words_whole(place)
    # The table is still a table with its column headers for screen readers.
    expect(page.get_by_role("columnheader", name="내 신청")).to_have_count(1)
    page.screenshot(path=artifacts_dir / "stack-course-360.png", full_page=True)
    page.locator(".catalog-sessions").screenshot(path=artifacts_dir / "stack-course-table-360.png")
    _no_blocking_axe(page, axe_violations, "the course page at 360 px")

    page.set_viewport_size(DESKTOP)
    expect(page.locator("table.portal-stack-table thead")).to_be_visible()
    assert table.evaluate("el => getComputedStyle(el).display") == "table"
    page.screenshot(path=artifacts_dir / "stack-course-1280.png", full_page=True)
    page.locator(".catalog-sessions").screenshot(path=artifacts_dir / "stack-course-table-1280.png")
    _no_blocking_axe(page, axe_violations, "the course page at 1280 px")

    # Enrol, then My learning: status, .ics and 신청 취소 are all on screen at 360 px.
    page.set_viewport_size(PHONE)
    enrol.click()
    expect(page.locator(".portal-alert, [role='status'], [role='alert']").first).to_be_visible()
    page.goto(server.url("/my/learning"))
    expect(page.get_by_role("heading", level=1, name="나의 학습")).to_be_visible()
    mine = (
        page.locator("table.portal-stack-table tbody tr")
        .filter(has=page.get_by_role("link", name=COURSE))
        .filter(has=page.get_by_role("button", name="신청 취소"))
        .first
    )
    _inside_viewport(mine.locator(".krds-badge").first, "My learning's status badge")
    _inside_viewport(mine.get_by_role("link", name="다운로드 .ics"), "My learning's .ics link")
    _inside_viewport(mine.get_by_role("button", name="신청 취소"), "My learning's 신청 취소")
    _no_horizontal_scroll(page)
    _keeps_korean_words_whole(mine.locator("td[data-label='장소']"))
    # The history: D0004 completed a finished session; 수료, its hours and the hours awarded
    # are on screen too, each with its label.
    done = (
        page.locator("table.portal-stack-table tbody tr")
        .filter(has=page.locator("td[data-label='수료'] .krds-badge", has_text="수료"))
        .first
    )
    _inside_viewport(done.locator("td[data-label='수료'] .krds-badge"), "the 수료 badge")
    attended = done.locator("td[data-label='출석 / 예정 시간']")
    _inside_viewport(attended, "the attended / scheduled hours")
    expect(attended).to_contain_text("시간")
    label = attended.evaluate("el => getComputedStyle(el, '::before').content")
    assert "출석" in label, f"the hours cell shows no label: {label!r}"
    _keeps_korean_words_whole(attended)
    _inside_viewport(done.locator("td[data-label='인정 시간']"), "the hours awarded")
    page.screenshot(path=artifacts_dir / "stack-my-learning-360.png", full_page=True)
    _no_blocking_axe(page, axe_violations, "My learning at 360 px")

    page.set_viewport_size(DESKTOP)
    expect(page.locator("table.portal-stack-table thead").first).to_be_visible()
    page.screenshot(path=artifacts_dir / "stack-my-learning-1280.png", full_page=True)
    _no_blocking_axe(page, axe_violations, "My learning at 1280 px")
