"""The attendance roster in a real browser: marked by keyboard, accessible at 1280 and 360 px.

The demo instructor D0003 teaches sessions in the demo seed. On a database copy of its
own, the test moves the session of D0003 with the most confirmed trainees to "now", so
its day is on, then marks it the way the page means it: "모두 출석 처리" first, then two
exceptions chosen with the arrow keys and saved with Enter (each through htmx, without a
page load). Screenshots go to test-artifacts/, axe-core runs at both widths.
"""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import PortalServer, _serve

pytestmark = pytest.mark.e2e

SERIOUS = {"serious", "critical"}
PHONE = {"width": 360, "height": 780}
DESKTOP = {"width": 1280, "height": 900}
INSTRUCTOR = "D0003"


def _blocking(violations: list[dict]) -> list[str]:
    return [
        f"[{v['impact']}] {v['id']}: {v['help']} at "
        + ", ".join(str(node["target"]) for node in v["nodes"])
        for v in violations
        if v["impact"] in SERIOUS
    ]


def _stamp(moment: dt.datetime) -> str:
    # How SQLAlchemy stores a UTC datetime in SQLite.
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _session_on_now(database: Path) -> int:
    """Move D0003's session with the most confirmed trainees to now; return its id."""
    now = dt.datetime.now(dt.UTC)
    with sqlite3.connect(database) as conn:
        row = conn.execute(
            """
            SELECT s.id FROM training_sessions s
            JOIN users u ON u.id = s.instructor_id
            JOIN enrollments e ON e.session_id = s.id AND e.status = 'enrolled'
            WHERE u.employee_number = ?
            GROUP BY s.id ORDER BY COUNT(*) DESC, s.id LIMIT 1
            """,
            (INSTRUCTOR,),
        ).fetchone()
        assert row, "the demo seed has no session of D0003 with confirmed trainees"
        conn.execute(
            "UPDATE training_sessions SET starts_at = ?, ends_at = ?, status = 'scheduled' "
            "WHERE id = ?",
            (_stamp(now - dt.timedelta(minutes=30)), _stamp(now + dt.timedelta(hours=2)), row[0]),
        )
        conn.execute("DELETE FROM attendance_marks WHERE session_id = ?", (row[0],))
    conn.close()
    return row[0]


@pytest.fixture(scope="module")
def attendance_server(seeded_database, tmp_path_factory) -> Iterator[tuple[PortalServer, int]]:
    workdir = tmp_path_factory.mktemp("e2e-attendance")
    # _serve copies the seeded database into workdir before it starts the portal; the
    # session is moved in that copy, so other browser tests are not affected.
    serving = _serve(seeded_database, workdir)
    server = next(serving)
    try:
        yield server, _session_on_now(workdir / "e2e.db")
    finally:
        serving.close()


def _check_both_sizes(page: Page, axe_violations, artifacts_dir, slug: str) -> None:
    page.set_viewport_size(DESKTOP)
    found = _blocking(axe_violations(page))
    assert not found, f"{slug} at 1280 px:\n" + "\n".join(found)
    page.screenshot(path=artifacts_dir / f"{slug}-1280.png", full_page=True)

    page.set_viewport_size(PHONE)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{slug} is {width} px wide at a 360 px viewport"
    found = _blocking(axe_violations(page))
    assert not found, f"{slug} at 360 px:\n" + "\n".join(found)
    page.screenshot(path=artifacts_dir / f"{slug}-360.png", full_page=True)
    # Every row's save button is on screen in its card, not off to the right.
    for box in page.locator(".attendance-form button").evaluate_all(
        "els => els.map(e => { const r = e.getBoundingClientRect(); return [r.left, r.right]; })"
    ):
        assert box[0] >= 0 and box[1] <= PHONE["width"], box
    page.set_viewport_size(DESKTOP)


def _count(page: Page, key: str) -> int:
    return int(page.locator(f'[data-count="{key}"]').inner_text())


def test_a_roster_is_marked_by_keyboard_and_accessible_at_1280_and_360_px(
    axe_page, attendance_server, log_in, axe_violations, artifacts_dir
):
    server, session_id = attendance_server
    page = axe_page
    log_in(page, server, INSTRUCTOR)
    expect(page).to_have_url(server.url("/"))

    # From 내 강의 to the session's attendance page.
    page.goto(server.url(f"/teaching/sessions/{session_id}/roster"))
    page.get_by_role("link", name="출석 표시하기").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^출석 표시: "))
    rows = page.locator("tr.attendance-row")
    total = rows.count()
    assert total >= 3
    assert _count(page, "unmarked") == total
    _check_both_sizes(page, axe_violations, artifacts_dir, "attendance-roster-unmarked")

    # Step 1, by keyboard: focus "모두 출석 처리" and press Enter (a full-page post).
    all_present = page.get_by_role("button", name=re.compile(r"^모두 출석 처리"))
    all_present.focus()
    page.keyboard.press("Enter")
    expect(page.locator(".portal-flashes")).to_contain_text("출석으로 표시했습니다")
    assert _count(page, "present") == total and _count(page, "unmarked") == 0

    # Step 2: two exceptions, each chosen with the arrow keys and saved with Enter.
    for index, steps, status, label in ((0, 1, "late", "지각"), (1, 3, "absent", "결석")):
        row = rows.nth(index)
        name = row.locator("th").inner_text()
        checked = row.locator("input[type=radio]:checked")
        checked.focus()
        # The radios are visually hidden by KRDS; their pill shows where the focus is.
        ring = row.locator(".attendance-choice:has(input:focus)").evaluate(
            "el => getComputedStyle(el).outlineStyle"
        )
        assert ring == "solid", ring
        for _ in range(steps):
            page.keyboard.press("ArrowRight")
        expect(row.locator(f'input[value="{status}"]')).to_be_checked()
        page.keyboard.press("Tab")  # the radio group is one tab stop; next is 저장
        focused = page.evaluate("document.activeElement.textContent.trim()")
        assert focused == "저장", focused
        page.keyboard.press("Enter")
        saved = rows.nth(index)
        expect(saved).to_have_attribute("data-status", status)
        expect(saved.locator(".attendance-row-message")).to_contain_text(f"{label}(으)로 저장")
        expect(page.locator("#attendance-live")).to_contain_text(name)
        # Focus stays on the row's save button after the swap, for the next Tab.
        expect(saved.get_by_role("button", name="저장")).to_be_focused()

    assert _count(page, "present") == total - 2
    assert _count(page, "late") == 1 and _count(page, "absent") == 1
    # The counts the script kept are the server's: reload and compare.
    page.reload()
    assert _count(page, "late") == 1 and _count(page, "absent") == 1
    expect(rows.nth(0)).to_have_attribute("data-status", "late")
    _check_both_sizes(page, axe_violations, artifacts_dir, "attendance-roster")
