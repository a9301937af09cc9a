"""AI service ideas in the browser (issue 12), and axe-core on the idea pages.

D0004 (staff) is tried as a new user would be, on a portal of its own (a fresh copy of the
seeded database, so no other test has accepted the AI-use policy for them): AI 실습 → the
policy → a new 아이디어 발굴 workspace with the offline coach → a few lines of draft →
"아이디어로 제출", which pre-fills the idea form from the draft → submit. The coordinator
(D0002) triages it to 컨설팅 배정 with a reason at each step and opens a consulting slot with
an outside expert for it. D0004 books the slot, downloads its .ics, and then downloads the
draft behind the idea as HWPX(한글) from the sandbox's export page (AI 실습 → the draft →
검증 후 내보내기, the four checks ticked); the file is a valid HWPX package whose text reads
back as the draft.

Every idea page is checked with axe-core (no serious or critical violations) at 1280 px and
360 px, where it must not scroll sideways; screenshots go to test-artifacts/.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from portal.assistant.review.hwpx_export import hwpx_lines, validate_hwpx
from tests.e2e.conftest import PortalServer, _serve

pytestmark = pytest.mark.e2e

SERIOUS = {"serious", "critical"}
PHONE = {"width": 360, "height": 780}
DESKTOP = {"width": 1280, "height": 900}
STAFF = "D0004"
COORDINATOR = "D0002"
DRAFT_TITLE = "민원 분류 AI 도우미"
DRAFT_LINES = [
    "□ 문제 정의",
    "○ 민원 분류에 하루 2시간이 듦",
    "□ 추천안",
    "○ 민원 자동 분류 시범 운영",
    "□ 확인할 점",
    "○ 공공데이터포털의 민원 통계 확인",
]
EXPERT = "김자문"
EXPERT_ORG = "한국지능정보사회진흥원"


@pytest.fixture(scope="module")
def ideas_server(seeded_database, tmp_path_factory) -> Iterator[PortalServer]:
    yield from _serve(seeded_database, tmp_path_factory.mktemp("e2e-ideas"))


@pytest.fixture
def new_page(browser: Browser) -> Iterator:
    """new_page() opens a CSP-bypassing page (for axe) in its own context: one per person."""
    contexts = []

    def open_page() -> Page:
        context = browser.new_context(
            viewport=DESKTOP, locale="ko-KR", bypass_csp=True, accept_downloads=True
        )
        context.set_default_timeout(15_000)
        context.set_default_navigation_timeout(30_000)
        contexts.append(context)
        return context.new_page()

    try:
        yield open_page
    finally:
        for context in contexts:
            context.close()


def _blocking(violations: list[dict]) -> list[str]:
    return [
        f"[{v['impact']}] {v['id']}: {v['help']} at "
        + ", ".join(f"{node['target']} {node.get('summary', '')}" for node in v["nodes"])
        for v in violations
        if v["impact"] in SERIOUS
    ]


def _check_both_sizes(page: Page, axe_violations, artifacts_dir: Path, slug: str) -> None:
    page.set_viewport_size(DESKTOP)
    # Measured at rest: the pointer would otherwise leave the last clicked button in its
    # hover colours (KRDS's own hover styles are not what this test is about).
    page.mouse.move(0, 0)
    page.evaluate("document.activeElement && document.activeElement.blur()")
    page.wait_for_function("document.getAnimations().length === 0")
    found = _blocking(axe_violations(page))
    assert not found, f"{slug} at 1280 px:\n" + "\n".join(found)
    page.screenshot(path=artifacts_dir / f"ideas-{slug}-1280.png", full_page=True)
    page.set_viewport_size(PHONE)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{slug} is {width} px wide at a 360 px viewport"
    found = _blocking(axe_violations(page))
    assert not found, f"{slug} at 360 px:\n" + "\n".join(found)
    page.screenshot(path=artifacts_dir / f"ideas-{slug}-360.png", full_page=True)
    page.set_viewport_size(DESKTOP)


def _flash(page: Page) -> Locator:
    return page.locator(".portal-flashes .portal-alert")


def _tick(page: Page, label: str) -> None:
    """KRDS draws checkboxes on the label; click it as a person does."""
    box = page.get_by_label(label)
    page.locator(f'label[for="{box.get_attribute("id")}"]').click()
    expect(box).to_be_checked()


def _accept_policy(page: Page, server: PortalServer) -> None:
    page.get_by_role("navigation", name="주 메뉴").get_by_role(
        "link", name="AI 실습", exact=True
    ).click()
    page.get_by_role("link", name="AI 활용 수칙 읽고 동의하기").click()
    expect(page).to_have_url(server.url("/practice/policy"))
    _tick(page, "개인정보와 비공개·기밀 자료를 입력하지 않겠습니다.")
    _tick(page, "AI가 만든 내용은 사실과 수치를 원 자료와 대조해 검증한 뒤 쓰겠습니다.")
    page.get_by_role("button", name="동의하고 시작하기").click()
    expect(page).to_have_url(server.url("/practice/"))


def _write_idea_discovery_draft(page: Page, server: PortalServer) -> str:
    page.get_by_role("link", name="아이디어 발굴", exact=True).click()
    expect(page.get_by_role("heading", level=1, name="새 작업")).to_be_visible()
    expect(page.get_by_label("문서 유형")).to_have_value("idea-discovery")
    page.get_by_label("문서 제목").fill(DRAFT_TITLE)
    page.get_by_role("button", name="작업 시작").click()
    expect(page).to_have_url(re.compile(r"/practice/w/\d+$"))
    draft_id = page.url.rsplit("/", 1)[1]
    editor = page.get_by_role("textbox", name="초안")
    save_url = f"/practice/w/{draft_id}/draft"
    with page.expect_response(
        lambda r: r.url.endswith(save_url) and r.request.method == "POST" and r.ok,
        timeout=15_000,
    ):
        editor.click()
        page.keyboard.press("Control+End")
        for n, line in enumerate(DRAFT_LINES):
            if n or editor.inner_text().strip():
                page.keyboard.press("Enter")
            page.keyboard.type(line)
    return draft_id


def test_staff_turn_a_draft_into_an_idea_a_coordinator_offers_a_slot_and_it_is_booked(
    new_page, ideas_server, log_in, axe_violations, artifacts_dir
):
    server = ideas_server
    # 1. D0004, new to the sandbox, writes an 아이디어 발굴 draft and submits it as an idea.
    staff = new_page()
    log_in(staff, server, STAFF)
    expect(staff).to_have_url(server.url("/"))
    _accept_policy(staff, server)
    draft_id = _write_idea_discovery_draft(staff, server)
    staff.get_by_role("link", name="아이디어로 제출").click()
    expect(staff).to_have_url(server.url(f"/ideas/new?draft={draft_id}"))
    expect(staff.get_by_role("heading", level=1, name="아이디어 제출")).to_be_visible()
    expect(staff.get_by_label("제목")).to_have_value(DRAFT_TITLE)
    expect(staff.get_by_label("해결하려는 문제")).to_have_value(
        re.compile("민원 분류에 하루 2시간")
    )
    expect(staff.get_by_label("쓸 데이터")).to_have_value(re.compile("공공데이터포털"))
    _check_both_sizes(staff, axe_violations, artifacts_dir, "form-from-draft")
    staff.get_by_label("지금 일하는 방식").fill("담당자가 민원을 읽고 손으로 부서를 고릅니다.")
    staff.get_by_label("기대효과: 한 해 절감 시간").fill("480")
    _tick(staff, "아이디어 게시판에 공유합니다 (다른 부서 직원도 볼 수 있음)")
    staff.get_by_role("button", name="제출", exact=True).click()
    expect(_flash(staff)).to_contain_text("아이디어를 제출했습니다.")
    expect(staff.get_by_role("heading", level=1, name=DRAFT_TITLE)).to_be_visible()
    idea_path = re.sub(r"^https?://[^/]+", "", staff.url)
    assert re.fullmatch(r"/ideas/\d+", idea_path), idea_path
    expect(staff.locator(".catalog-badges")).to_contain_text("접수")
    _check_both_sizes(staff, axe_violations, artifacts_dir, "detail-received")
    staff.goto(server.url("/ideas/"))
    expect(staff.get_by_role("link", name=DRAFT_TITLE)).to_be_visible()
    _check_both_sizes(staff, axe_violations, artifacts_dir, "mine")
    staff.goto(server.url("/ideas/board"))
    expect(staff.get_by_role("link", name=DRAFT_TITLE)).to_be_visible()
    _check_both_sizes(staff, axe_violations, artifacts_dir, "board")

    # 2. The coordinator triages it to 컨설팅 배정, a reason at each step.
    coordinator = new_page()
    log_in(coordinator, server, COORDINATOR)
    coordinator.goto(server.url("/ideas/manage/"))
    expect(coordinator.get_by_role("heading", level=1, name="아이디어 관리")).to_be_visible()
    _check_both_sizes(coordinator, axe_violations, artifacts_dir, "triage")
    coordinator.get_by_role("link", name=DRAFT_TITLE).click()
    for to, reason in (
        ("검토 중", "부서 업무와 맞는지 검토합니다."),
        ("컨설팅 배정", "전문가 의견이 필요합니다."),
    ):
        if to == "컨설팅 배정":
            _check_both_sizes(coordinator, axe_violations, artifacts_dir, "detail-coordinator")
        coordinator.get_by_label("바꿀 상태").select_option(label=to)
        coordinator.get_by_label("사유").fill(reason)
        coordinator.get_by_role("button", name="상태 바꾸기").click()
        expect(_flash(coordinator)).to_contain_text("상태를 바꿨습니다.")
        expect(coordinator.locator(".catalog-badges")).to_contain_text(to)
        expect(coordinator.locator(".ideas-history")).to_contain_text(reason)

    # 3. A consulting slot with an outside expert, offered to this idea.
    coordinator.get_by_role("link", name="이 아이디어에 컨설팅 시간 열기").click()
    expect(coordinator.get_by_role("heading", level=1, name="컨설팅 시간 관리")).to_be_visible()
    day = dt.date.today() + dt.timedelta(days=3)
    coordinator.get_by_label("날짜").fill(day.isoformat())
    coordinator.get_by_label("시작 시각").fill("14:00")
    coordinator.get_by_label("종료 시각").fill("15:00")
    coordinator.get_by_label("장소").fill("세종시청 3층 소회의실")
    coordinator.get_by_label("외부 전문가 이름").fill(EXPERT)
    coordinator.get_by_label("외부 전문가 소속").fill(EXPERT_ORG)
    expect(coordinator.get_by_label("대상 아이디어")).to_have_value(idea_path.rsplit("/", 1)[1])
    coordinator.get_by_role("button", name="시간 열기").click()
    expect(_flash(coordinator)).to_contain_text("컨설팅 시간을 열었습니다.")
    expect(coordinator.locator("table")).to_contain_text(EXPERT)
    _check_both_sizes(coordinator, axe_violations, artifacts_dir, "slots")
    coordinator.goto(server.url("/ideas/manage/overview"))
    _check_both_sizes(coordinator, axe_violations, artifacts_dir, "overview")

    # 4. D0004 books it and downloads the calendar file.
    staff.goto(server.url(idea_path))
    expect(staff.locator(".catalog-badges")).to_contain_text("컨설팅 배정")
    expect(staff.get_by_role("region", name="예약할 수 있는 컨설팅 시간")).to_contain_text(EXPERT)
    _check_both_sizes(staff, axe_violations, artifacts_dir, "detail-bookable")
    staff.get_by_role("button", name=re.compile("^이 시간 예약")).click()
    expect(_flash(staff)).to_contain_text("컨설팅 시간을 예약했습니다.")
    expect(staff.locator(".ideas-history")).to_contain_text("컨설팅 예약")
    with staff.expect_download() as download:
        staff.get_by_role("link", name="일정 파일(.ics) 받기").click()
    ics = Path(download.value.path()).read_text(encoding="utf-8")
    assert "BEGIN:VEVENT" in ics and "세종시청 3층 소회의실" in ics
    assert "DTSTART" in ics
    _check_both_sizes(staff, axe_violations, artifacts_dir, "detail-booked")

    # The booked slot is gone from the coordinator's free list: it shows as booked.
    coordinator.goto(server.url("/ideas/manage/slots"))
    expect(coordinator.locator("table")).to_contain_text(DRAFT_TITLE)

    # 5. Back in the sandbox, D0004 downloads the draft behind the idea as HWPX(한글).
    staff.get_by_role("navigation", name="주 메뉴").get_by_role(
        "link", name="AI 실습", exact=True
    ).click()
    expect(staff).to_have_url(server.url("/practice/"))
    staff.get_by_role("link", name=DRAFT_TITLE, exact=True).first.click()
    expect(staff).to_have_url(server.url(f"/practice/w/{draft_id}"))
    staff.get_by_role("link", name="검증 후 DOCX·HWPX 내보내기").click()
    expect(staff).to_have_url(server.url(f"/practice/w/{draft_id}/export"))
    expect(staff.get_by_role("heading", level=1, name="검증 후 내보내기")).to_be_visible()
    for name in ("facts", "figures", "copyright", "disclosure"):
        box = staff.locator(f"input[name={name}]")
        box.evaluate("input => input.labels[0].click()")
        expect(box).to_be_checked()
    with staff.expect_download() as download:
        staff.get_by_role("button", name="HWPX(한글) 내려받기").click()
    assert download.value.suggested_filename.endswith(".hwpx")
    data = Path(download.value.path()).read_bytes()
    assert validate_hwpx(data) == []
    lines = hwpx_lines(data)
    assert lines[0] == DRAFT_TITLE
    assert [line for line in lines if line in DRAFT_LINES] == DRAFT_LINES
