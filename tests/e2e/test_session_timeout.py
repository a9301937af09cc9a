"""The idle-timeout warning (KWCAG 2.2.1) on a portal whose sessions go idle after one minute.

The short_session_server shows the warning 57 s before the 1-minute idle limit, so the
dialog opens about 3 s after a page loads.
"""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e

COUNTDOWN = re.compile(r"^(\d+분 )?\d+초$")
IDLE_LOGOUT_MESSAGE = "활동이 없어 안전을 위해 로그아웃되었습니다"


def _seconds_left(page: Page) -> int:
    value = page.locator("body").get_attribute("data-session-seconds-left")
    assert value is not None, "the page carries no session timing"
    return int(value)


def _warning(page: Page):
    return page.get_by_role("alertdialog", name="곧 자동으로 로그아웃됩니다")


def test_the_idle_warning_counts_down_and_extending_keeps_the_session(
    page, short_session_server, log_in, artifacts_dir
):
    log_in(page, short_session_server, "D0004")
    expect(page).to_have_url(short_session_server.url("/"))
    first_left = _seconds_left(page)
    loaded_at = time.monotonic()
    assert 50 <= first_left <= 60

    dialog = _warning(page)
    expect(dialog).to_be_visible(timeout=15_000)
    remaining = page.locator("#session-timeout-remaining")
    expect(remaining).to_have_text(COUNTDOWN)
    extend = page.get_by_role("button", name="로그인 시간 연장")
    expect(extend).to_be_focused()
    page.screenshot(path=artifacts_dir / "session-timeout-warning-1280.png")

    # The countdown runs: wait until it has gone down a few seconds.
    page.wait_for_function(
        "() => parseInt(document.getElementById('session-timeout-remaining').textContent, 10) <= 52",
        timeout=15_000,
    )
    expect(remaining).to_have_text(COUNTDOWN)
    # Keyboard focus stays in the dialog.
    page.keyboard.press("Tab")
    expect(extend).to_be_focused()

    with page.expect_response(lambda r: r.url.endswith("/auth/session/extend")) as answer:
        extend.click()
    response = answer.value
    assert response.status == 200
    assert 55 <= response.json()["expires_in"] <= 60
    expect(dialog).to_be_hidden()
    unextended_left = first_left - (time.monotonic() - loaded_at)

    # The server extended the session: another page loads, still logged in, with a
    # fresh idle minute rather than what was left of the old one.
    page.goto(short_session_server.url("/me"))
    expect(page).to_have_url(short_session_server.url("/me"))
    expect(page.locator(".portal-user .krds-badge")).to_have_text("직원")
    assert _seconds_left(page) >= unextended_left + 4


def test_letting_the_idle_warning_run_out_logs_out_with_a_korean_message(
    page, short_session_server, log_in
):
    log_in(page, short_session_server, "D0003")
    expect(page).to_have_url(short_session_server.url("/"))
    expect(_warning(page)).to_be_visible(timeout=15_000)

    # Nobody touches the page: when the minute is up it goes to the login page on its own.
    expect(page.locator(".portal-flashes")).to_contain_text(IDLE_LOGOUT_MESSAGE, timeout=90_000)
    expect(page).to_have_url(re.compile(r"/auth/login"))
    expect(page.locator("html")).to_have_attribute("lang", "ko")
    expect(page.locator(".portal-user")).to_have_count(0)

    # The session really ended on the server: a member page asks for a login again.
    page.goto(short_session_server.url("/me"))
    expect(page).to_have_url(re.compile(r"/auth/login"))
    expect(page.get_by_label("사번 또는 이메일")).to_be_visible()
