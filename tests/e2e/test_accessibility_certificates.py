"""axe-core on the public certificate verification page (found, unknown, revoked, malformed)
and the coordinator's list of a session's certificates, at 1280 px and 360 px.

The demo seed issues no certificates, so this module serves its own copy of the seeded
database and issues two there with the portal's own code (a completion each, one then
revoked), in a subprocess with that server's settings. A certificate PDF is saved to
test-artifacts/certificate-sample.pdf and its page shot by Chromium's PDF viewer to
test-artifacts/certificate-sample.png, for a look.
"""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import ROOT, PortalServer, _portal_env, _serve

pytestmark = pytest.mark.e2e

SERIOUS = {"serious", "critical"}
PHONE = {"width": 360, "height": 780}
DESKTOP = {"width": 1280, "height": 900}
COORDINATOR = "D0002"

ISSUE_SCRIPT = r"""
import json, sys
from decimal import Decimal
from sqlalchemy import select
from portal import create_app
from portal.attendance.models import Completion, CompletionStatus
from portal.certificates import operations, pdf
from portal.core.clock import utcnow
from portal.db import db
from portal.scheduling.models import TrainingSession
from portal.users.models import Role, User

app = create_app()
with app.test_request_context(base_url=sys.argv[1]):
    with db.command_transaction():
        session = db.session.scalars(select(TrainingSession).order_by(TrainingSession.starts_at)).first()
        taken = set(db.session.scalars(select(Completion.user_id).where(Completion.session_id == session.id)))
        people = [u for u in db.session.scalars(
            select(User).where(User.role == Role.STAFF, User.department_id.is_not(None)).order_by(User.id)
        ) if u.id not in taken][:2]
        certificates = []
        for person in people:
            completion = Completion(
                session_id=session.id, user_id=person.id, course_id=session.course_id,
                status=CompletionStatus.COMPLETED, attended_hours=Decimal("3"),
                scheduled_hours=Decimal("3"), hours_awarded=Decimal("3.0"),
                completed_at=utcnow(), evaluated_at=utcnow(),
            )
            db.session.add(completion)
            db.session.flush()
            certificates.append(operations.issue(completion))
        operations.revoke(certificates[1], "e2e")
        found = {"session_id": session.id, "valid": certificates[0].number,
                 "revoked": certificates[1].number, "name": certificates[0].content["name"],
                 "content": certificates[0].content}
    url = sys.argv[1] + "/verify/" + found["valid"]
    body = pdf.render(pdf.Document(found["content"], url))
    open(sys.argv[2], "wb").write(body)
print(json.dumps(found, ensure_ascii=False))
"""


def _blocking(violations: list[dict]) -> list[str]:
    return [
        f"[{v['impact']}] {v['id']}: {v['help']} at "
        + ", ".join(str(node["target"]) for node in v["nodes"])
        for v in violations
        if v["impact"] in SERIOUS
    ]


def _check_both_sizes(page: Page, axe_violations, artifacts_dir: Path, slug: str) -> None:
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


@pytest.fixture(scope="module")
def certificate_server(seeded_database, tmp_path_factory) -> Iterator[PortalServer]:
    workdir = tmp_path_factory.mktemp("e2e-certificates")
    serving = _serve(seeded_database, workdir)
    server = next(serving)
    try:
        yield server
    finally:
        serving.close()


@pytest.fixture(scope="module")
def issued(certificate_server, artifacts_dir) -> dict:
    database = Path(certificate_server.log_path).parent / "e2e.db"
    env = _portal_env(database.parent, database)
    pdf_path = artifacts_dir / "certificate-sample.pdf"
    completed = subprocess.run(
        [sys.executable, "-c", ISSUE_SCRIPT, certificate_server.base_url, str(pdf_path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    return json.loads(completed.stdout.strip().splitlines()[-1])


def test_the_verification_page_is_accessible_found_unknown_revoked_and_malformed(
    axe_page, certificate_server, issued, axe_violations, artifacts_dir
):
    server = certificate_server
    axe_page.goto(server.url("/verify"))
    expect(axe_page.get_by_role("heading", level=1)).to_have_text("수료증 진위 확인")
    _check_both_sizes(axe_page, axe_violations, artifacts_dir, "verify-form")

    # Typing the number (in lower case) finds it.
    axe_page.get_by_role("textbox", name="수료증 번호").fill(issued["valid"].lower())
    axe_page.get_by_role("button", name="확인하기").click()
    expect(axe_page).to_have_url(server.url(f"/verify/{issued['valid']}"))
    expect(axe_page.get_by_text("유효한 수료증입니다.")).to_be_visible()
    expect(axe_page.get_by_text(issued["name"], exact=True)).to_be_visible()
    _check_both_sizes(axe_page, axe_violations, artifacts_dir, "verify-found")

    head, _sep, check = issued["valid"].rpartition("-")
    axe_page.goto(server.url(f"/verify/{head}-{'0000' if check != '0000' else '1111'}"))
    expect(axe_page.get_by_text("발급 기록이 없는 번호입니다.")).to_be_visible()
    _check_both_sizes(axe_page, axe_violations, artifacts_dir, "verify-unknown")

    axe_page.goto(server.url(f"/verify/{issued['revoked']}"))
    expect(axe_page.get_by_text("취소된 수료증입니다.")).to_be_visible()
    _check_both_sizes(axe_page, axe_violations, artifacts_dir, "verify-revoked")

    axe_page.goto(server.url("/verify?number=abc"))
    expect(axe_page.get_by_text("수료증 번호 형식이 아닙니다.")).to_be_visible()
    _check_both_sizes(axe_page, axe_violations, artifacts_dir, "verify-malformed")

    # Not for search engines.
    with urllib.request.urlopen(server.url(f"/verify/{issued['valid']}")) as response:  # noqa: S310
        assert response.headers["X-Robots-Tag"] == "noindex, nofollow"


def test_the_session_certificate_list_is_accessible(
    axe_page, certificate_server, issued, log_in, axe_violations, artifacts_dir
):
    log_in(axe_page, certificate_server, COORDINATOR)
    axe_page.goto(certificate_server.url(f"/manage/sessions/{issued['session_id']}/certificates"))
    expect(axe_page.get_by_role("heading", level=1)).to_contain_text("수료증")
    expect(axe_page.get_by_text(issued["valid"])).to_be_visible()
    _check_both_sizes(axe_page, axe_violations, artifacts_dir, "session-certificates")
    # At 360 px each certificate is a card and its buttons stay on screen.
    axe_page.set_viewport_size(PHONE)
    button = axe_page.get_by_role("button", name="재발급").first
    box = button.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]


def test_a_certificate_pdf_page_for_a_look(axe_page, issued, artifacts_dir):
    """Chromium's own PDF viewer draws the saved certificate; the shot is for people."""
    pdf_path = artifacts_dir / "certificate-sample.pdf"
    assert pdf_path.stat().st_size > 5000
    axe_page.set_viewport_size({"width": 900, "height": 1200})
    axe_page.goto(pdf_path.as_uri())
    axe_page.wait_for_timeout(3000)
    axe_page.screenshot(path=artifacts_dir / "certificate-sample.png")
