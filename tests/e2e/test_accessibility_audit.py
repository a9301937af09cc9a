"""axe-core on the admin audit log and the personal-data access report, at 1280 and 360 px.

On a database copy of its own, the test writes audit entries of many kinds (people,
sessions, enrolments, certificates, deleted targets, an unknown old code, long details)
so the pages show every way an entry is rendered. At 360 px the tables are cards
(.portal-stack-table) and the page must fit without a horizontal scroll bar; at 1280 px the
table region is focusable so the keyboard can scroll it. Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import datetime as dt
import json
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
ADMIN = "D0001"


def _blocking(violations: list[dict]) -> list[str]:
    return [
        f"[{v['impact']}] {v['id']}: {v['help']} at "
        + ", ".join(str(node["target"]) for node in v["nodes"])
        for v in violations
        if v["impact"] in SERIOUS
    ]


def _stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _write_entries(database: Path) -> None:
    now = dt.datetime.now(dt.UTC)
    with sqlite3.connect(database) as conn:
        admin = conn.execute("SELECT id FROM users WHERE employee_number = ?", (ADMIN,)).fetchone()[
            0
        ]
        learner = conn.execute("SELECT id FROM users WHERE employee_number = 'D0004'").fetchone()[0]
        session = conn.execute("SELECT id FROM training_sessions ORDER BY id LIMIT 1").fetchone()[0]
        course = conn.execute("SELECT id FROM courses ORDER BY id LIMIT 1").fetchone()[0]
        enrollment = conn.execute("SELECT id FROM enrollments ORDER BY id LIMIT 1").fetchone()
        rows = [
            ("login.succeeded", None, None, {}),
            ("user.role_changed", "user", learner, {"from": "staff", "to": "coordinator"}),
            ("roster.viewed", "training_session", session, {}),
            ("roster.exported", "training_session", session, {"format": "csv"}),
            ("hours.evidence_viewed", "user", learner, {}),
            ("courses.synced", "course", course, {"count": 12, "fields": ["title", "hours"]}),
            (
                "enrollment.moved",
                "enrollment",
                enrollment[0] if enrollment else 999999,
                {"session_id": session, "user_id": learner, "reason": "일정 변경 " * 30},
            ),
            ("certificate.revoked", "certificate", 999999, {"reason": "잘못 발급됨"}),
            ("certificate.exported", "training_session", session, {"count": 25, "format": "zip"}),
            ("legacy.something_old", "gizmo", 5, {"long_key_without_label": "x" * 120}),
            ("audit.exported", None, None, {"filters": ["action", "date_from"], "format": "csv"}),
        ]
        for n, (action, kind, target, details) in enumerate(rows):
            conn.execute(
                "INSERT INTO audit_entries (occurred_at, actor_id, action, target_type, "
                "target_id, ip, details) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    _stamp(now - dt.timedelta(minutes=n)),
                    admin,
                    action,
                    kind,
                    None if target is None else str(target),
                    "10.20.30.40",
                    json.dumps(details, ensure_ascii=False),
                ),
            )
    conn.close()


@pytest.fixture(scope="module")
def audit_server(seeded_database, tmp_path_factory) -> Iterator[PortalServer]:
    workdir = tmp_path_factory.mktemp("e2e-audit")
    serving = _serve(seeded_database, workdir)
    server = next(serving)
    try:
        _write_entries(workdir / "e2e.db")
        yield server
    finally:
        serving.close()


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


def test_audit_log_and_personal_data_report_are_accessible(
    axe_page, audit_server, log_in, axe_violations, artifacts_dir
):
    log_in(axe_page, audit_server, ADMIN)
    expect(axe_page).to_have_url(audit_server.url("/"))
    # The demo seed's own entries fill the first pages; the test's entries have an IP.
    axe_page.goto(audit_server.url("/admin/audit/?ip=10.20.30.40"))
    expect(axe_page.get_by_role("heading", level=1)).to_have_text("감사 기록")
    table = axe_page.get_by_role("region", name="감사 기록 표")
    expect(table).to_have_attribute("tabindex", "0")
    for text in ["사용자 역할 변경", "legacy.something_old", "수료증 (삭제됨) #999999", "변경 후"]:
        expect(table).to_contain_text(text)
    _check_both_sizes(axe_page, axe_violations, artifacts_dir, "audit-log")

    axe_page.set_viewport_size(DESKTOP)
    axe_page.goto(audit_server.url("/admin/audit/personal-data"))
    expect(axe_page.get_by_role("heading", level=1)).to_have_text("개인정보 접근 기록")
    report = axe_page.get_by_role("region", name="개인정보 접근 기록 표")
    expect(report).to_contain_text("증빙 자료 열람")
    expect(report).not_to_contain_text("로그인 성공")
    _check_both_sizes(axe_page, axe_violations, artifacts_dir, "personal-data-report")

    # The admin home lists the same entries in words.
    axe_page.set_viewport_size(DESKTOP)
    axe_page.goto(audit_server.url("/"))
    recent = axe_page.get_by_role("region", name="최근 감사 기록")
    expect(recent).to_contain_text("감사 기록 내려받기")
    _check_both_sizes(axe_page, axe_violations, artifacts_dir, "admin-home-audit")
