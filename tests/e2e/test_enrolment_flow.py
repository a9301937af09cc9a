"""Enrolling, cancelling and the waitlist, as staff trying the portal for the first time would.

The demo seed leaves 챗GPT 특강 1차 one seat short of full (30 seats, 29 taken), so:
D0004 takes the last seat, D0003 joins the waitlist as number 1, D0004 cancels, and
D0003 is promoted, with an in-app notification and an outbox mail carrying an .ics
that the administrator (D0001) can read. Screenshots of each step go to test-artifacts/.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Dialog, Locator, Page, expect

pytestmark = pytest.mark.e2e

COURSE = "챗GPT 특강"
ROUND = "1차"
SEARCH_WORD = "특강"
PROMOTED_SUBJECT = f"대기에서 수강 확정으로 바뀌었습니다: [{ROUND}] {COURSE}"
WAITLISTED_INSTRUCTOR_EMAIL = "demo.instructor@sejong.example.kr"


@pytest.fixture
def new_page(browser: Browser) -> Iterator:
    """new_page() opens a page in its own browser context: one context per person."""
    contexts = []

    def open_page() -> Page:
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="ko-KR")
        context.set_default_timeout(15_000)
        context.set_default_navigation_timeout(30_000)
        contexts.append(context)
        return context.new_page()

    try:
        yield open_page
    finally:
        for context in contexts:
            context.close()


def _nav(page: Page, label: str) -> None:
    page.get_by_role("navigation", name="주 메뉴").get_by_role(
        "link", name=label, exact=True
    ).click()


def _session_row(page: Page) -> Locator:
    """The course page's row for round 1."""
    return page.locator("table tbody tr").filter(
        has=page.get_by_role("rowheader", name=ROUND, exact=True)
    )


def _my_learning_row(page: Page) -> Locator:
    upcoming = page.get_by_role("region", name="예정된 교육 표")
    return upcoming.locator("tbody tr").filter(
        has=page.get_by_role("link", name=f"{COURSE} {ROUND}", exact=True)
    )


def _open_course_from_search(page: Page) -> None:
    _nav(page, "교육과정")
    expect(page.get_by_role("heading", level=1, name="교육과정")).to_be_visible()
    page.get_by_label("검색어").fill(SEARCH_WORD)
    page.get_by_role("button", name="검색", exact=True).click()
    expect(page).to_have_url(re.compile(r"/courses/\?.*q=%ED%8A%B9%EA%B0%95"))
    expect(page.get_by_role("heading", name=re.compile(r"^검색 결과 \d+개 과정$"))).to_be_visible()
    page.get_by_role("link", name=COURSE, exact=True).click()
    expect(page.get_by_role("heading", level=1, name=COURSE)).to_be_visible()


def _flash(page: Page) -> Locator:
    return page.locator(".portal-flashes .portal-alert")


def test_a_cancellation_promotes_the_waitlisted_colleague_who_is_notified_by_app_and_mail(
    new_page, portal_server, log_in, artifacts_dir
):
    shot = 0

    def screenshot(page: Page, name: str) -> None:
        nonlocal shot
        shot += 1
        page.screenshot(path=artifacts_dir / f"enrolment-{shot:02d}-{name}.png", full_page=True)

    # 1. D0004 (staff) finds the course by a Korean word and takes the last seat.
    staff = new_page()
    log_in(staff, portal_server, "D0004")
    expect(staff).to_have_url(portal_server.url("/"))
    _nav(staff, "교육과정")
    staff.get_by_label("검색어").fill(SEARCH_WORD)
    staff.get_by_role("button", name="검색", exact=True).click()
    expect(staff.get_by_role("link", name=COURSE, exact=True)).to_be_visible()
    screenshot(staff, "staff-searches-catalogue")
    staff.get_by_role("link", name=COURSE, exact=True).click()
    expect(staff.get_by_role("heading", level=1, name=COURSE)).to_be_visible()
    row = _session_row(staff)
    expect(row).to_contain_text("1석")
    screenshot(staff, "staff-course-page-one-seat-left")
    row.get_by_role("button", name="신청", exact=True).click()
    expect(_flash(staff)).to_have_text("수강이 확정되었습니다.")
    expect(_session_row(staff).locator(".krds-badge")).to_have_text("확정")
    expect(_session_row(staff)).to_contain_text("마감")
    screenshot(staff, "staff-enrolled-last-seat")

    _nav(staff, "나의 학습")
    expect(staff.get_by_role("heading", level=1, name="나의 학습")).to_be_visible()
    mine = _my_learning_row(staff)
    expect(mine.locator(".krds-badge")).to_have_text("확정")
    expect(mine).to_contain_text("세종시청 4층 대회의실")
    screenshot(staff, "staff-my-learning-confirmed")

    # 2. D0003, in another browser, finds the session full and joins the waitlist.
    colleague = new_page()
    log_in(colleague, portal_server, "D0003")
    expect(colleague).to_have_url(portal_server.url("/"))
    _open_course_from_search(colleague)
    row = _session_row(colleague)
    expect(row).to_contain_text("마감")
    row.get_by_role("button", name="대기 신청", exact=True).click()
    expect(_flash(colleague)).to_contain_text("대기 1번으로 등록되었습니다")
    expect(_session_row(colleague).locator(".krds-badge")).to_have_text("대기 1번")
    screenshot(colleague, "colleague-waitlisted-first")
    _nav(colleague, "나의 학습")
    expect(_my_learning_row(colleague).locator(".krds-badge")).to_have_text("대기 1번")
    screenshot(colleague, "colleague-my-learning-waitlisted")

    # 3. D0004 cancels from My learning, confirming the question the form asks.
    staff.reload()
    questions: list[str] = []

    def accept(dialog: Dialog) -> None:
        questions.append(dialog.message)
        dialog.accept()

    staff.once("dialog", accept)
    _my_learning_row(staff).get_by_role("button", name="신청 취소").click()
    expect(_flash(staff)).to_have_text(
        "신청을 취소했습니다. 대기 중인 다음 분에게 자리가 넘어갔습니다."
    )
    assert questions == ["신청을 취소할까요? 대기 중인 다음 분에게 자리가 넘어갑니다."]
    expect(_my_learning_row(staff)).to_have_count(0)
    history = staff.get_by_role("region", name="지난 교육 표")
    expect(
        history.locator("tbody tr").filter(has_text=f"{COURSE} {ROUND}").locator(".krds-badge")
    ).to_have_text("취소됨")
    screenshot(staff, "staff-cancelled")

    # 4. D0003 reloads My learning: confirmed, with the promotion in the notifications.
    colleague.reload()
    expect(_my_learning_row(colleague).locator(".krds-badge")).to_have_text("확정")
    badge = colleague.locator(".portal-notification-badge")
    expect(badge).to_have_text("알림 (2)")  # waitlisted, then promoted
    screenshot(colleague, "colleague-promoted-my-learning")
    badge.click()
    expect(colleague).to_have_url(portal_server.url("/notifications/"))
    promotion = colleague.locator("article").filter(
        has=colleague.get_by_role("heading", name=re.compile(re.escape(PROMOTED_SUBJECT)))
    )
    expect(promotion).to_have_count(1)
    expect(promotion.locator(".krds-badge")).to_have_text("새 알림")
    expect(promotion).to_contain_text("취소로 자리가 나서 수강이 확정되었습니다")
    expect(colleague.locator("article").first).to_contain_text(PROMOTED_SUBJECT)  # newest first
    screenshot(colleague, "colleague-notification-inbox")

    # 5. D0001 (admin) finds the promotion mail, with its .ics, in the outbox.
    admin = new_page()
    log_in(admin, portal_server, "D0001")
    expect(admin).to_have_url(portal_server.url("/"))
    # The admin's tools sit in the main menu's 시스템 관리 drop-down.
    admin.get_by_role("navigation", name="주 메뉴").get_by_role(
        "button", name="시스템 관리"
    ).click()
    _nav(admin, "메일 발송함")
    expect(admin).to_have_url(portal_server.url("/admin/outbox/"))
    admin.get_by_label("종류").select_option(label="대기에서 확정")
    admin.get_by_role("button", name="검색", exact=True).click()
    mails = admin.locator("table tbody tr")
    expect(mails).to_have_count(1)
    expect(mails.first).to_contain_text(PROMOTED_SUBJECT)
    expect(mails.first.locator(".krds-badge", has_text=".ics")).to_be_visible()
    screenshot(admin, "admin-outbox-promotion")
    mails.first.get_by_role("link", name=PROMOTED_SUBJECT).click()
    expect(admin.get_by_role("heading", level=1, name=PROMOTED_SUBJECT)).to_be_visible()
    facts = admin.locator(".portal-dl")
    expect(facts).to_contain_text(WAITLISTED_INSTRUCTOR_EMAIL)
    expect(facts).to_contain_text("있음: invite.ics (일정 등록)")
    admin.get_by_text("첨부된 일정(.ics) 내용 보기").click()
    expect(admin.locator("details code")).to_contain_text("BEGIN:VEVENT")
    expect(admin.locator("details code")).to_contain_text(f"[1차] {COURSE}")
    screenshot(admin, "admin-outbox-message-with-ics")
