"""axe-core on the satisfaction survey: the staff member's answer page and the coordinator's
results, each at 1280 px and at 360 px (where it must fit without sideways scrolling).

The demo seed has finished sessions but no survey answers, so the test first puts the demo
staff member D0004 on a finished session (present on its first day) and stores six anonymous answers for another one,
straight into the server's SQLite copy (the coach server, which no other test changes).
Then it answers the survey with the keyboard, as a person would, and checks what was stored.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import secrets
import sqlite3
from contextlib import closing
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e

SERIOUS = {"serious", "critical"}
PHONE = {"width": 360, "height": 780}
DESKTOP = {"width": 1280, "height": 900}
STAFF = "D0004"
COORDINATOR = "D0002"


def _blocking(violations: list[dict]) -> list[str]:
    return [
        f"[{v['impact']}] {v['id']}: {v['help']} at "
        + ", ".join(str(node["target"]) for node in v["nodes"])
        for v in violations
        if v["impact"] in SERIOUS
    ]


def _check_both_sizes(page: Page, axe_violations, artifacts_dir, slug: str) -> None:
    page.set_viewport_size(DESKTOP)
    found = _blocking(axe_violations(page))
    assert not found, f"{slug} at 1280 px:\n" + "\n".join(found)
    page.screenshot(path=artifacts_dir / f"a11y-{slug}-1280.png", full_page=True)

    page.set_viewport_size(PHONE)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{slug} is {width} px wide at a 360 px viewport"
    found = _blocking(axe_violations(page))
    assert not found, f"{slug} at 360 px:\n" + "\n".join(found)
    page.screenshot(path=artifacts_dir / f"a11y-{slug}-360.png", full_page=True)
    page.set_viewport_size(DESKTOP)


def _prepare(database: Path) -> tuple[int, int, str]:
    """(the staff member's finished session, a session with six answers, its course slug)."""
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
    with closing(sqlite3.connect(database)) as conn, conn:
        staff_id = conn.execute(
            "SELECT id FROM users WHERE employee_number = ?", (STAFF,)
        ).fetchone()[0]
        finished = conn.execute(
            "SELECT s.id, s.course_id, c.slug FROM training_sessions s "
            "JOIN courses c ON c.id = s.course_id "
            "WHERE s.ends_at < ? AND s.status != 'cancelled' AND c.survey_questions != '[]' "
            "ORDER BY s.ends_at DESC",
            (now,),
        ).fetchall()
        assert len(finished) >= 2, "the demo seed should have finished sessions"
        (mine, _course, _slug), (answered, course_id, slug) = finished[0], finished[1]
        conn.execute(
            "DELETE FROM enrollments WHERE session_id = ? AND user_id = ?", (mine, staff_id)
        )
        conn.execute(
            "INSERT INTO enrollments (session_id, user_id, status, queue_key, source, "
            "created_at, updated_at) VALUES (?, ?, 'enrolled', 0, 'self', ?, ?)",
            (mine, staff_id, now, now),
        )
        # Only people who attended may answer: D0004 was present on the session's first day.
        starts_at = conn.execute(
            "SELECT starts_at FROM training_sessions WHERE id = ?", (mine,)
        ).fetchone()[0]
        first_day = (
            dt.datetime.fromisoformat(str(starts_at))
            .replace(tzinfo=dt.UTC)
            .astimezone(ZoneInfo("Asia/Seoul"))
            .date()
        )
        conn.execute(
            "DELETE FROM attendance_marks WHERE session_id = ? AND user_id = ?", (mine, staff_id)
        )
        conn.execute(
            "INSERT INTO attendance_marks (session_id, user_id, day, status, source, marked_at, "
            "version) VALUES (?, ?, ?, 'present', 'roster', ?, 1)",
            (mine, staff_id, first_day.isoformat(), now),
        )
        keys = json.loads(
            conn.execute(
                "SELECT survey_questions FROM courses WHERE id = ?", (course_id,)
            ).fetchone()[0]
        )
        comments = [
            "실습 시간이 조금 더 길었으면 좋겠습니다.",
            "",
            "예시가 실제 업무와 가까워 도움이 되었습니다.",
            "",
            "",
            "",
        ]
        for n, comment in enumerate(comments):
            answers = {q["key"]: 5 - (n + i) % 3 for i, q in enumerate(keys)}
            conn.execute(
                "INSERT INTO survey_responses (key, session_id, course_id, answers, comment, "
                "answered_on) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    secrets.token_hex(16),
                    answered,
                    course_id,
                    json.dumps(answers),
                    comment,
                    now[:10],
                ),
            )
    return mine, answered, slug


def test_the_survey_pages_are_accessible_and_answerable_by_keyboard(
    axe_page, coach_server, log_in, axe_violations, artifacts_dir
):
    mine, answered, slug = _prepare(coach_server.database)

    log_in(axe_page, coach_server, STAFF)
    expect(axe_page).to_have_url(coach_server.url("/"))
    axe_page.goto(coach_server.url(f"/my/surveys/{mine}"))
    expect(axe_page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^만족도 조사: "))
    groups = axe_page.get_by_role("group")
    expect(groups.first).to_be_visible()
    _check_both_sizes(axe_page, axe_violations, artifacts_dir, "survey-answer")

    # Keyboard only: Tab into each question's group, arrow keys to choose, Enter to submit.
    questions = axe_page.locator("fieldset.survey-question")
    count = questions.count()
    assert 3 <= count <= 5
    first_radio = questions.first.locator("input[type=radio]").first
    first_radio.focus()
    for _ in range(count):
        axe_page.keyboard.press("Space")  # picks 1
        axe_page.keyboard.press("ArrowRight")  # moves to 2
        axe_page.keyboard.press("ArrowRight")  # and 3 …
        axe_page.keyboard.press("ArrowRight")  # … then 4
        axe_page.keyboard.press("Tab")  # on to the next group
    checked = axe_page.locator("input[type=radio]:checked")
    expect(checked).to_have_count(count)
    assert {checked.nth(i).get_attribute("value") for i in range(count)} == {"4"}
    axe_page.get_by_label("자유 의견 (선택)").fill("진행이 매끄러웠습니다.")
    axe_page.get_by_role("button", name="응답 제출").click()
    expect(axe_page).to_have_url(coach_server.url("/my/learning"))
    expect(axe_page.get_by_text("응답해 주셔서 감사합니다.", exact=False)).to_be_visible()

    with closing(sqlite3.connect(coach_server.database)) as conn:
        stored = conn.execute(
            "SELECT answers, comment FROM survey_responses WHERE session_id = ?", (mine,)
        ).fetchall()
        receipts = conn.execute(
            "SELECT COUNT(*) FROM survey_receipts WHERE session_id = ?", (mine,)
        ).fetchone()[0]
    assert receipts == 1 and len(stored) == 1
    assert set(json.loads(stored[0][0]).values()) == {4}
    assert stored[0][1] == "진행이 매끄러웠습니다."

    # A second visit says it has been answered, with no form.
    axe_page.goto(coach_server.url(f"/my/surveys/{mine}"))
    expect(axe_page.get_by_text("이미 응답하셨습니다.", exact=False)).to_be_visible()
    expect(axe_page.locator("fieldset")).to_have_count(0)

    # The coordinator's results: the course with its sessions, then the session itself.
    axe_page.context.clear_cookies()
    log_in(axe_page, coach_server, COORDINATOR)
    expect(axe_page).to_have_url(coach_server.url("/"))
    axe_page.goto(coach_server.url("/manage/surveys/"))
    expect(axe_page.get_by_role("heading", level=1)).to_have_text("만족도 조사 결과")
    _check_both_sizes(axe_page, axe_violations, artifacts_dir, "survey-overview")

    axe_page.goto(coach_server.url(f"/manage/surveys/courses/{slug}"))
    expect(axe_page.get_by_role("heading", level=1)).to_have_text(
        re.compile(r"^만족도 조사 결과: ")
    )
    _check_both_sizes(axe_page, axe_violations, artifacts_dir, "survey-course-results")

    axe_page.goto(coach_server.url(f"/manage/surveys/sessions/{answered}"))
    expect(axe_page.get_by_text("예시가 실제 업무와 가까워 도움이 되었습니다.")).to_be_visible()
    expect(axe_page.get_by_role("table")).to_be_visible()
    _check_both_sizes(axe_page, axe_violations, artifacts_dir, "survey-session-results")

    # The one answer just given is a group of one: its session shows no numbers.
    axe_page.goto(coach_server.url(f"/manage/surveys/sessions/{mine}"))
    expect(axe_page.get_by_text("응답이 5명 미만이라 결과를 표시하지 않습니다.")).to_be_visible()
    expect(axe_page.get_by_text("진행이 매끄러웠습니다.")).to_have_count(0)
