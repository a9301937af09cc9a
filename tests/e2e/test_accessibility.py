"""axe-core on the portal's pages: no serious or critical accessibility violation anywhere.

axe is injected as a script, which the portal's CSP forbids, so these pages come from a
browser context that bypasses CSP (the axe_page fixture); nothing else does.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

BLOCKING = {"serious", "critical"}


def _describe(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"[{v['impact']}] {v['id']}: {v['help']}")
        for node in v["nodes"]:
            lines.append(f"    {node['target']}  {node['html'][:160]}")
            if node["summary"]:
                lines.append("      " + node["summary"].replace("\n", "\n      "))
    return "\n".join(lines)


def _assert_accessible(violations: list[dict], where: str) -> None:
    if violations:
        # Moderate and minor findings are shown (pytest -rA / -s) but do not fail the test.
        print(f"axe findings on {where}:\n{_describe(violations)}")
    blocking = [v for v in violations if v["impact"] in BLOCKING]
    assert not blocking, f"serious/critical axe violations on {where}:\n{_describe(blocking)}"


def test_the_login_page_has_no_serious_accessibility_violations(
    axe_page, portal_server, axe_violations
):
    axe_page.goto(portal_server.url("/auth/login"))
    _assert_accessible(axe_violations(axe_page), "the login page")


def test_the_login_page_with_field_errors_has_no_serious_accessibility_violations(
    axe_page, portal_server, axe_violations
):
    axe_page.goto(portal_server.url("/auth/login"))
    axe_page.get_by_role("button", name="로그인", exact=True).click()
    expect(axe_page.locator(".form-hint-invalid").first).to_be_visible()
    _assert_accessible(axe_violations(axe_page), "the login page with field errors")


def test_each_role_home_page_has_no_serious_accessibility_violations(
    axe_page, portal_server, log_in, demo_account, axe_violations
):
    log_in(axe_page, portal_server, demo_account.employee_number)
    expect(axe_page).to_have_url(portal_server.url("/"))
    who = f"{demo_account.employee_number} ({demo_account.role_label})"
    _assert_accessible(axe_violations(axe_page), f"the home page of {who} at 1280 px")
    axe_page.set_viewport_size({"width": 360, "height": 780})
    _assert_accessible(axe_violations(axe_page), f"the home page of {who} at 360 px")


def test_the_open_session_timeout_dialog_has_no_serious_accessibility_violations(
    axe_page, short_session_server, log_in, axe_violations
):
    log_in(axe_page, short_session_server, "D0002")
    expect(axe_page).to_have_url(short_session_server.url("/"))
    expect(axe_page.get_by_role("alertdialog")).to_be_visible(timeout=15_000)
    _assert_accessible(axe_violations(axe_page), "the open session-timeout dialog")


def test_the_header_scrolls_away_at_360_px_so_it_never_covers_focused_content(
    page, portal_server, log_in
):
    # WCAG 2.4.11: a sticky header at phone width would hide whatever gets focus under it.
    page.set_viewport_size({"width": 360, "height": 780})
    log_in(page, portal_server, "D0004")
    expect(page).to_have_url(portal_server.url("/"))
    page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
    page.wait_for_function("window.scrollY > 0")
    box = page.locator("#krds-header").bounding_box()
    assert box is not None
    assert box["y"] + box["height"] <= 0, f"the header stays on screen after scrolling: {box}"
