"""QR self check-in end to end: the room screen shows a code, a staff member types it on a phone.

The demo seed has no session meeting today, and the server's clock cannot be moved, so the
coordinator (D0002) first creates one through the ordinary session form: starting a few
minutes from now (check-in opens CHECKIN_OPENS_MINUTES_BEFORE the start), taught by the
demo instructor (D0003, 강도현), and adds the demo staff member (D0004) on the roster.

The instructor then opens check-in and puts the room screen up (screenshot:
test-artifacts/checkin-room-screen.png). The staff member, on a 360 px phone, opens
/checkin, logs in as a new user would, types the six digits the room screen shows at that
moment and sees the confirmation. axe-core checks the instructor's control page, the room
screen and the staff check-in page at 1280 and 360 px.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import AXE_JS, DEMO_PASSWORD

pytestmark = pytest.mark.e2e

SEOUL = ZoneInfo("Asia/Seoul")
SERIOUS = {"serious", "critical"}
PHONE = {"width": 360, "height": 780}
DESKTOP = {"width": 1280, "height": 900}
COORDINATOR, INSTRUCTOR, STAFF = "D0002", "D0003", "D0004"
INSTRUCTOR_NAME = "강도현"


@pytest.fixture
def new_page(browser: Browser) -> Iterator:
    """new_page(viewport) opens a page in its own browser context: one per person.

    The contexts bypass CSP only so axe-core can be injected; the portal's own pages
    use no inline script or style either way.
    """
    contexts = []

    def open_page(viewport: dict[str, int] = DESKTOP) -> Page:
        context = browser.new_context(viewport=viewport, locale="ko-KR", bypass_csp=True)
        context.set_default_timeout(15_000)
        context.set_default_navigation_timeout(30_000)
        contexts.append(context)
        return context.new_page()

    if not AXE_JS.is_file():
        pytest.fail(f"axe-core is missing at {AXE_JS}; run `npm ci` (or `make setup`).")
    try:
        yield open_page
    finally:
        for context in contexts:
            context.close()


def _blocking(violations: list[dict]) -> list[str]:
    return [
        f"[{v['impact']}] {v['id']}: {v['help']} at "
        + ", ".join(str(node["target"]) for node in v["nodes"])
        for v in violations
        if v["impact"] in SERIOUS
    ]


def _check_both_sizes(page: Page, axe_violations, artifacts_dir, slug: str) -> None:
    for size in (DESKTOP, PHONE):
        page.set_viewport_size(size)
        found = _blocking(axe_violations(page))
        assert not found, f"{slug} at {size['width']} px:\n" + "\n".join(found)
        if size is PHONE:
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= PHONE["width"], f"{slug} is {width} px wide at a 360 px viewport"
        page.screenshot(path=artifacts_dir / f"a11y-{slug}-{size['width']}.png", full_page=True)
    page.set_viewport_size(DESKTOP)


def _log_in_form(page: Page, employee_number: str) -> None:
    page.get_by_label("사번 또는 이메일").fill(employee_number)
    page.get_by_label("비밀번호", exact=True).fill(DEMO_PASSWORD)
    page.get_by_role("button", name="로그인", exact=True).click()


def _create_session_meeting_now(page: Page, server) -> int:
    """The coordinator schedules a session starting in a few minutes and returns its id."""
    now = dt.datetime.now(SEOUL).replace(second=0, microsecond=0)
    starts = now + dt.timedelta(minutes=6)
    ends = starts + dt.timedelta(hours=2)
    page.goto(server.url("/manage/sessions/new"))
    course = page.locator("#course_id")
    values = [v for v in course.locator("option").evaluate_all("o => o.map(x => x.value)") if v]
    course.select_option(values[0])
    page.locator("#starts_on").fill(starts.date().isoformat())
    page.locator("#starts_time").fill(starts.strftime("%H:%M"))
    page.locator("#ends_on").fill(ends.date().isoformat())
    page.locator("#ends_time").fill(ends.strftime("%H:%M"))
    page.locator("#place").fill("세종시청 4층 교육장")
    instructor = page.locator("#instructor_id")
    option = instructor.locator("option", has_text=INSTRUCTOR_NAME).first
    instructor.select_option(option.get_attribute("value"))
    page.locator("#capacity").fill("20")
    page.get_by_role("button", name="저장", exact=True).click()
    expect(page).to_have_url(re.compile(r"/manage/sessions/\d+$"))
    match = re.search(r"/manage/sessions/(\d+)$", page.url)
    assert match
    return int(match.group(1))


def test_the_instructor_opens_check_in_and_a_staff_member_checks_in_on_a_phone(
    new_page, portal_server, log_in, axe_violations, artifacts_dir
):
    # The coordinator sets up today's session and puts the staff member on its roster.
    coordinator = new_page()
    log_in(coordinator, portal_server, COORDINATOR)
    session_id = _create_session_meeting_now(coordinator, portal_server)
    coordinator.goto(portal_server.url(f"/manage/sessions/{session_id}/roster"))
    coordinator.get_by_label("사번", exact=True).fill(STAFF)
    coordinator.get_by_role("button", name="추가", exact=True).click()
    expect(coordinator.locator(".portal-flashes")).to_contain_text("명단에 추가했습니다")

    # The instructor goes from the roster of their session to the check-in controls.
    teacher = new_page()
    log_in(teacher, portal_server, INSTRUCTOR)
    teacher.goto(portal_server.url(f"/teaching/sessions/{session_id}/roster"))
    teacher.get_by_role("link", name="QR 출석 체크 열기·강의실 화면").click()
    expect(teacher.get_by_role("heading", level=1)).to_have_text(re.compile(r"^출석 체크 관리: "))
    teacher.get_by_role("button", name=re.compile(r"^출석 체크 열기")).first.click()
    expect(teacher.locator(".portal-flashes")).to_contain_text("출석 체크를 열었습니다")
    expect(teacher.get_by_text("출석 받는 중")).to_be_visible()
    _check_both_sizes(teacher, axe_violations, artifacts_dir, "checkin-manage")

    teacher.get_by_role("link", name=re.compile(r"^강의실 화면 띄우기")).first.click()
    code_box = teacher.locator(".checkin-screen-code")
    expect(code_box).to_have_text(re.compile(r"^\d{3}\s*\d{3}$"))
    expect(teacher.get_by_role("img", name="출석 체크 QR 코드")).to_be_visible()
    expect(teacher.locator(".checkin-screen-count")).to_have_text(
        re.compile(r"출석 0명 / 확정 1명")
    )
    teacher.screenshot(path=artifacts_dir / "checkin-room-screen.png")
    _check_both_sizes(teacher, axe_violations, artifacts_dir, "checkin-room-screen")
    teacher.set_viewport_size(DESKTOP)

    # The staff member, on a phone, opens the check-in page and is asked to log in first.
    phone = new_page(PHONE)
    phone.goto(portal_server.url("/checkin"))
    expect(phone).to_have_url(re.compile(r"/auth/login\?next="))
    _log_in_form(phone, STAFF)
    expect(phone).to_have_url(portal_server.url("/checkin"))
    expect(phone.get_by_role("heading", level=1)).to_have_text("출석 체크")
    code_input = phone.get_by_label("출석 코드 (숫자 6자리)")
    expect(code_input).to_have_attribute("inputmode", "numeric")
    _check_both_sizes(phone, axe_violations, artifacts_dir, "checkin-staff")
    phone.set_viewport_size(PHONE)

    # Read the code the room screen shows right now (it refreshes itself), away from the
    # moment it rotates, and type it.
    seconds = teacher.locator("#checkin-seconds")
    expect(seconds).to_have_text(re.compile(r"^([6-9]|[1-9]\d)$"), timeout=20_000)
    code = re.sub(r"\D", "", code_box.inner_text())
    assert len(code) == 6
    code_input.fill(code)
    phone.get_by_role("button", name="출석하기").click()
    expect(phone.locator(".portal-flashes")).to_contain_text("출석 처리되었습니다")
    phone.screenshot(path=artifacts_dir / "checkin-staff-confirmed-360.png", full_page=True)

    # The room screen's count follows within a few seconds, without a reload.
    expect(teacher.locator(".checkin-screen-count")).to_have_text(
        re.compile(r"출석 1명 / 확정 1명"), timeout=15_000
    )

    # Typing the same code again is harmless.
    phone.get_by_label("출석 코드 (숫자 6자리)").fill(code)
    phone.get_by_role("button", name="출석하기").click()
    expect(phone.locator(".portal-flashes")).to_contain_text(
        re.compile("이미 출석 처리되었습니다|출석 코드가 맞지 않거나")
    )
