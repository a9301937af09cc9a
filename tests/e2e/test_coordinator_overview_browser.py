"""The coordinator's home, tried as a new user would, down to a compliance spreadsheet.

On a database copy of its own, three ordinary staff members are put in a team of their own
(시범운영팀) and made new appointees appointed 120 days ago, so they are 30 days past the
90-day due date of the course mandatory for new appointees. One upcoming session gets mail
that failed, mail that was sent and mail still waiting.

The demo coordinator D0002 starts from the home page: sees the overdue people and the
failed mail, opens the mandatory-training page from there, filters it to the one team,
bulk-enrols them in the next session with one click (and a confirmation), then downloads
the compliance XLSX for that team from the exports page and opens it with openpyxl: its
rows are exactly those three people, now 신청. The new home and the session mail page are
checked with axe-core and photographed at 1280 and 360 px.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from playwright.sync_api import Dialog, Page, expect

from tests.e2e.conftest import PortalServer, _serve

pytestmark = pytest.mark.e2e

SERIOUS = {"serious", "critical"}
PHONE = {"width": 360, "height": 780}
DESKTOP = {"width": 1280, "height": 900}
COORDINATOR = "D0002"
TEAM = "시범운영팀"


@dataclass(frozen=True)
class Prepared:
    server: PortalServer
    team_id: int
    course_id: int
    course_title: str
    people: dict[str, str]  # employee number -> name
    appointed_year: int
    mail_session_id: int


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


def _stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _prepare(database: Path) -> dict:
    today = dt.datetime.now(ZoneInfo("Asia/Seoul")).date()
    appointed = today - dt.timedelta(days=120)
    now = dt.datetime.now(dt.UTC)
    with sqlite3.connect(database) as conn:
        course_id, course_title = conn.execute(
            "SELECT id, title FROM courses WHERE is_mandatory_for_new = 1 AND is_active = 1 "
            "ORDER BY sort_order, title LIMIT 1"
        ).fetchone()
        division = conn.execute(
            "SELECT id FROM departments WHERE kind = 'division' AND is_active = 1 "
            "ORDER BY id LIMIT 1"
        ).fetchone()[0]
        conn.execute(
            "INSERT INTO departments (code, name, kind, parent_id, is_active) "
            "VALUES ('E2E-PILOT', ?, 'team', ?, 1)",
            (TEAM, division),
        )
        team_id = conn.execute("SELECT id FROM departments WHERE code = 'E2E-PILOT'").fetchone()[0]
        people = conn.execute(
            """
            SELECT u.id, u.employee_number, u.name FROM users u
            WHERE u.is_active = 1 AND u.role = 'staff' AND u.is_department_head = 0
              AND u.employee_number NOT LIKE 'D%'
              AND NOT EXISTS (
                SELECT 1 FROM enrollments e JOIN training_sessions s ON s.id = e.session_id
                WHERE e.user_id = u.id AND s.course_id = ?)
              AND NOT EXISTS (
                SELECT 1 FROM completions c WHERE c.user_id = u.id AND c.course_id = ?)
            ORDER BY u.id LIMIT 3
            """,
            (course_id, course_id),
        ).fetchall()
        assert len(people) == 3, "the demo seed has staff who never took the mandatory course"
        for user_id, _number, _name in people:
            conn.execute(
                "UPDATE users SET department_id = ?, appointed_on = ? WHERE id = ?",
                (team_id, appointed.isoformat(), user_id),
            )
        # Mail about an upcoming session of another course: one failed, one sent, one waiting.
        session_id = conn.execute(
            "SELECT id FROM training_sessions WHERE status = 'scheduled' AND course_id != ? "
            "AND starts_at > ? ORDER BY starts_at LIMIT 1",
            (course_id, _stamp(now)),
        ).fetchone()[0]
        recipients = conn.execute(
            "SELECT u.id, u.email FROM enrollments e JOIN users u ON u.id = e.user_id "
            "WHERE e.session_id = ? ORDER BY e.id LIMIT 3",
            (session_id,),
        ).fetchall()
        rows = [
            ("failed", 5, "SMTPRecipientsRefused 550", None),
            ("sent", 1, None, _stamp(now)),
            ("pending", 2, "SMTPServerDisconnected", None),
        ]
        for (user_id, email), (status, attempts, error, sent_at) in zip(
            recipients, rows, strict=False
        ):
            conn.execute(
                "INSERT INTO outbox_messages (user_id, kind, session_id, to_address, subject, "
                "body_text, status, attempts, next_attempt_at, last_error, created_at, sent_at) "
                "VALUES (?, 'reminder.session', ?, ?, '내일 교육이 있습니다', '본문', ?, ?, ?, ?, ?, ?)",
                (
                    user_id,
                    session_id,
                    email,
                    status,
                    attempts,
                    _stamp(now + dt.timedelta(minutes=30)),
                    error,
                    _stamp(now),
                    sent_at,
                ),
            )
    conn.close()
    return {
        "team_id": team_id,
        "course_id": course_id,
        "course_title": course_title,
        "people": {number: name for _id, number, name in people},
        "appointed_year": appointed.year,
        "mail_session_id": session_id,
    }


@pytest.fixture(scope="module")
def prepared(seeded_database, tmp_path_factory) -> Iterator[Prepared]:
    workdir = tmp_path_factory.mktemp("e2e-overview")
    serving = _serve(seeded_database, workdir)
    server = next(serving)
    try:
        yield Prepared(server=server, **_prepare(workdir / "e2e.db"))
    finally:
        serving.close()


def test_a_coordinator_goes_from_the_home_page_to_a_compliance_spreadsheet(
    axe_page, prepared, log_in, axe_violations, artifacts_dir, tmp_path
):
    page, server = axe_page, prepared.server
    page.set_viewport_size(DESKTOP)
    log_in(page, server, COORDINATOR)
    expect(page).to_have_url(server.url("/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("교육 담당자 홈")

    # The overview: the next two weeks' sessions, approvals, overdue people, failed mail.
    for heading in ("앞으로 2주 안의 교육 차수", "처리를 기다리는 승인", "발송에 실패한 메일"):
        expect(page.get_by_role("heading", name=heading)).to_be_visible()
    overdue = page.locator("section", has=page.locator("#overview-overdue"))
    expect(overdue.get_by_role("heading", level=2)).to_contain_text(
        "신규자 필수교육 기한이 지난 사람"
    )
    expect(overdue.get_by_role("table")).to_be_visible()
    _check_both_sizes(page, axe_violations, artifacts_dir, "coordinator-home")

    # The session whose mail failed: its mail page, reached from the home page.
    failed = page.locator("section", has=page.locator("#overview-failed"))
    failed.get_by_role("link").first.click()
    expect(page).to_have_url(server.url(f"/manage/sessions/{prepared.mail_session_id}/mail"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("메일 발송 현황")
    table = page.get_by_role("table")
    expect(table).to_contain_text("발송 실패")
    expect(table).to_contain_text("받는 주소 거부 (550)")
    expect(table).to_contain_text("교육 전날 안내")
    expect(table).not_to_contain_text("SMTPRecipientsRefused")
    expect(table).to_contain_text("***@")
    _check_both_sizes(page, axe_violations, artifacts_dir, "session-mail")

    # Back home, then to the mandatory-training page, filtered to the one team.
    page.goto(server.url("/"))
    page.get_by_role("link", name="신규자 필수교육 화면으로").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("신규자 필수교육")
    department = page.get_by_label("부서", exact=True)
    label = next(
        text
        for text in department.locator("option").all_inner_texts()
        if text.strip().endswith(TEAM)
    )
    department.select_option(label=label)
    page.get_by_label("하위 부서").select_option(label="이 부서만")
    page.get_by_role("button", name="조회").click()
    expect(page.get_by_role("link", name="기한 지남")).to_have_attribute("aria-current", "page")
    rows = page.get_by_role("table").locator("tbody tr")
    expect(rows).to_have_count(3)
    for number in prepared.people:
        expect(page.get_by_role("table")).to_contain_text(number)

    # One click (and a confirmation) enrols the three in the next session with seats.
    page.get_by_role("button", name="다음 차수에 일괄 신청").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("다음 차수에 일괄 신청")
    questions: list[str] = []

    def accept(dialog: Dialog) -> None:
        questions.append(dialog.message)
        dialog.accept()

    page.on("dialog", accept)
    page.get_by_role("button", name="신청 반영 (3명)").click()
    expect(page.get_by_text("다음 차수에 일괄 신청했습니다")).to_be_visible()
    assert questions == ["3명을 신청시킬까요? 신청된 분들에게 알림과 메일이 갑니다."]

    # The compliance XLSX for that team, from the exports page.
    page.goto(server.url("/manage/exports"))
    form = page.locator("section", has=page.locator("#export-compliance"))
    form.get_by_label("연도").fill(str(prepared.appointed_year))
    form.get_by_label("부서 (하위 부서 포함)").select_option(value=str(prepared.team_id))
    form.get_by_label("과정").select_option(value=str(prepared.course_id))
    with page.expect_download() as download_info:
        form.get_by_role("button", name="엑셀(XLSX)").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".xlsx")
    saved = tmp_path / "compliance.xlsx"
    download.save_as(saved)

    sheet = openpyxl.load_workbook(saved, read_only=True).active
    header, *body = [list(row) for row in sheet.iter_rows(values_only=True)]
    rows_by_number = {row[header.index("사번")]: row for row in body}
    assert set(rows_by_number) == set(prepared.people), body
    for number, name in prepared.people.items():
        row = rows_by_number[number]
        assert row[header.index("이름")] == name
        assert row[header.index("부서")] == TEAM
        assert row[header.index("과정")] == prepared.course_title
        assert row[header.index("상태")] == "신청"
        assert row[header.index("기한 경과")] == "경과"
