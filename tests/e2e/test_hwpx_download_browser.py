"""The export page in a browser: one checklist, DOCX and HWPX(한글) buttons side by side.

A trainee writes two lines with the offline coach's portal (no model), opens the export page,
ticks the four checks and downloads the HWPX; the file is a valid package that reads back as
the draft. The page is checked with axe and at 360 px, and screenshots go to test-artifacts/.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from portal.assistant.review.hwpx_export import hwpx_lines, validate_hwpx
from tests.e2e.conftest import PracticeServer, _serve

EXERCISE_TITLE = "기획보고서: 2027년 공공자전거 이용 활성화 계획"
LINES = ("□ 추진배경", "○ 이용 감소(191만 건)")
BLOCKING = {"serious", "critical"}


@pytest.fixture(scope="module")
def export_server(seeded_database, tmp_path_factory) -> Iterator[PracticeServer]:
    """The shipped portal (offline coach) on a database copy of its own: D0004 accepts the AI
    policy here, and the other browser tests count on meeting D0004 as a first-time user."""
    workdir = tmp_path_factory.mktemp("e2e-export")
    serving = _serve(seeded_database, workdir)
    server = next(serving)
    try:
        yield PracticeServer(server.base_url, server.log_path, workdir / "e2e.db", None)
    finally:
        serving.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, locale="ko-KR", bypass_csp=True
    )
    context.set_default_timeout(15_000)
    problems: list[str] = []
    opened = context.new_page()
    opened.on("pageerror", lambda error: problems.append(f"uncaught: {error}"))
    try:
        yield opened
        assert not problems, "\n".join(problems)
    finally:
        context.close()


def _tick(box: Locator) -> None:
    """KRDS hides the native checkbox and draws it on the label: click the label."""
    expect(box).not_to_be_checked()
    box.evaluate("input => input.labels[0].click()")
    expect(box).to_be_checked()


def _accessible(axe_violations, page: Page, where: str) -> None:
    page.mouse.move(0, 0)
    page.wait_for_function("document.getAnimations().length === 0")
    blocking = [v for v in axe_violations(page) if v["impact"] in BLOCKING]
    assert not blocking, f"{where}: " + "; ".join(v["id"] for v in blocking)


def test_trainee_downloads_the_draft_as_hwpx(
    page: Page, export_server: PracticeServer, log_in, axe_violations, artifacts_dir
):
    log_in(page, export_server, "D0004")
    page.goto(export_server.url("/practice/policy"))
    _tick(page.get_by_label("개인정보와 비공개·기밀 자료를 입력하지 않겠습니다."))
    _tick(
        page.get_by_label("AI가 만든 내용은 사실과 수치를 원 자료와 대조해 검증한 뒤 쓰겠습니다.")
    )
    page.get_by_role("button", name="동의하고 시작하기").click()
    expect(page).to_have_url(export_server.url("/practice/"))
    page.get_by_role("link", name=f"이 과제 시작 — {EXERCISE_TITLE}").click()
    page.get_by_role("button", name="작업 시작").click()
    expect(page).to_have_url(re.compile(r"/practice/w/\d+$"))
    draft_id = page.url.rsplit("/", 1)[1]

    editor = page.get_by_role("textbox", name="초안")
    with page.expect_response(
        lambda r: r.url.endswith(f"/practice/w/{draft_id}/draft") and r.ok, timeout=15_000
    ):
        editor.click()
        for index, line in enumerate(LINES):
            if index:
                page.keyboard.press("Enter")
            page.keyboard.type(line)

    page.get_by_role("link", name="검증 후 DOCX·HWPX 내보내기").click()
    expect(page.get_by_role("heading", level=1, name="검증 후 내보내기")).to_be_visible()
    docx = page.get_by_role("button", name="DOCX 내려받기")
    hwpx = page.get_by_role("button", name="HWPX(한글) 내려받기")
    expect(docx).to_be_visible()
    expect(hwpx).to_be_visible()
    _accessible(axe_violations, page, "the export page")
    page.screenshot(path=artifacts_dir / "practice-export.png", full_page=True)

    page.set_viewport_size({"width": 360, "height": 780})
    assert page.evaluate("document.documentElement.scrollWidth") <= 361
    hwpx.scroll_into_view_if_needed()
    expect(hwpx).to_be_in_viewport()
    _accessible(axe_violations, page, "the export page at 360 px")
    page.screenshot(path=artifacts_dir / "practice-export-360.png", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})

    for name in ("facts", "figures", "copyright", "disclosure"):
        _tick(page.locator(f"input[name={name}]"))
    with page.expect_download() as download_info:
        hwpx.click()
    download = download_info.value
    assert download.suggested_filename == ("기획보고서 - 2027년 공공자전거 이용 활성화 계획.hwpx")
    data = download.path().read_bytes()
    assert validate_hwpx(data) == []
    lines = hwpx_lines(data)
    assert lines[0] == EXERCISE_TITLE
    assert [line for line in lines if line in LINES] == list(LINES)
    assert lines[-1].startswith("이 문서는 포털의 연습 코치")
