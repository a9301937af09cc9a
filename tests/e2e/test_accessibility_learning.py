"""axe-core on the learning pages: catalogue, course, roster, My learning and notifications.

Each page is checked at 1280 px and at 360 px, where it must also fit without a
horizontal scroll bar (wide tables scroll inside their own krds-table-wrap). Pages
come from a browser context that bypasses CSP so axe can be injected (as in
test_accessibility.py); each demo person logs in once through the real form and the
checks reuse that login.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import Browser, Page, expect

pytestmark = pytest.mark.e2e

BLOCKING = {"serious", "critical"}
PHONE = {"width": 360, "height": 780}
DESKTOP = {"width": 1280, "height": 900}
LECTURE = "챗GPT 특강"
DEMO_PASSWORD = "Demo!2026portal"  # noqa: S105 - the published demo password (conftest.py)


def _roster_path(page: Page, url: Callable[[str], str]) -> str:
    """The coordinator finds 챗GPT 특강 1차 in the session list and opens its roster."""
    page.goto(url("/manage/sessions/"))
    row = (
        page.locator("table tbody tr")
        .filter(has=page.get_by_role("link", name=LECTURE, exact=True))
        .filter(has=page.get_by_role("cell", name="1차", exact=True))
    )
    expect(row).to_have_count(1)
    href = row.get_by_role("link", name=LECTURE, exact=True).get_attribute("href")
    match = re.fullmatch(r"/manage/sessions/(\d+)", href or "")
    assert match, f"unexpected session link {href!r}"
    return f"/manage/sessions/{match.group(1)}/roster"


@dataclass(frozen=True)
class Check:
    name: str
    employee_number: str
    path: str | Callable[[Page, Callable[[str], str]], str]
    heading: str | re.Pattern


CHECKS = (
    Check("catalogue", "D0004", "/courses/", "교육과정"),
    Check("catalogue search", "D0004", "/courses/?q=%ED%8A%B9%EA%B0%95", "교육과정"),
    Check("course page", "D0004", "/courses/chatgpt-special-lecture", LECTURE),
    Check("roster", "D0002", _roster_path, re.compile(rf"^신청자 명단: {LECTURE} 1차$")),
    Check("my learning", "D0004", "/my/learning", "나의 학습"),
    Check("notifications inbox", "D0004", "/notifications/", "알림"),
)


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


@pytest.fixture(scope="module")
def logins(browser: Browser, portal_server) -> Iterator[Callable[[str], dict]]:
    """logins(employee_number) logs in once through the form; returns the storage state."""
    states: dict[str, dict] = {}

    def state_for(employee_number: str) -> dict:
        if employee_number not in states:
            context = browser.new_context(viewport=DESKTOP, locale="ko-KR")
            try:
                page = context.new_page()
                page.goto(portal_server.url("/auth/login"))
                page.get_by_label("사번 또는 이메일").fill(employee_number)
                page.get_by_label("비밀번호", exact=True).fill(DEMO_PASSWORD)
                page.get_by_role("button", name="로그인", exact=True).click()
                expect(page).to_have_url(portal_server.url("/"))
                states[employee_number] = context.storage_state()
            finally:
                context.close()
        return states[employee_number]

    yield state_for


@pytest.mark.parametrize("check", CHECKS, ids=[c.name.replace(" ", "-") for c in CHECKS])
def test_learning_pages_have_no_serious_accessibility_violations_and_fit_a_phone(
    check, browser, portal_server, logins, axe_violations, artifacts_dir
):
    context = browser.new_context(
        viewport=DESKTOP,
        locale="ko-KR",
        bypass_csp=True,
        storage_state=logins(check.employee_number),
    )
    context.set_default_timeout(15_000)
    context.set_default_navigation_timeout(30_000)
    try:
        page = context.new_page()
        path = check.path if isinstance(check.path, str) else check.path(page, portal_server.url)
        page.goto(portal_server.url(path))
        expect(page.get_by_role("heading", level=1)).to_have_text(check.heading)
        slug = check.name.replace(" ", "-")
        who = f"the {check.name} page ({path}, as {check.employee_number})"

        _assert_accessible(axe_violations(page), f"{who} at 1280 px")
        page.screenshot(path=artifacts_dir / f"a11y-{slug}-1280.png", full_page=True)

        page.set_viewport_size(PHONE)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"{who} is {width} px wide at a 360 px viewport"
        _assert_accessible(axe_violations(page), f"{who} at 360 px")
        page.screenshot(path=artifacts_dir / f"a11y-{slug}-360.png", full_page=True)
    finally:
        context.close()
