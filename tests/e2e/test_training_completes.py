"""A training from check-in to a verified certificate, in the browser, end to end.

1. The coordinator (D0002) schedules a session of "신규 공무원 생성형 AI 필수 과정" (a
   course that requires neither an exercise nor a survey) starting a few minutes from now,
   taught by the demo instructor (D0003, 강도현), and puts the demo staff member (D0004) on
   its roster. The instructor opens check-in and puts the room screen up (screenshot:
   test-artifacts/training-room-screen.png).
2. The staff member, on a 360 px phone, opens /checkin, logs in as a new user would and
   types the six-digit code the room screen shows.
3. "After the session". The server's clock cannot be moved (it is a separate process on
   the real time), so THE TEST EDITS THE SERVER'S SQLITE DATABASE DIRECTLY: it moves this
   one session (starts_at, ends_at and its enrolment dates) and the `day` of its attendance
   marks and check-in windows back by whole days, so the session has ended with the
   attendance it really had. Nothing else is touched; the datetimes are parsed and written
   back in exactly the format SQLAlchemy stores (naive UTC "YYYY-MM-DD HH:MM:SS.ffffff").
   The instructor then presses "수료 판정" on their 내 강의 roster page.
4. The staff member (360 px) sees 수료 and the awarded hours in My learning and the hours
   in 상시학습, downloads the certificate PDF from My learning, and the test reads the PDF
   (name, number) and the link annotation over its QR code, which carries exactly the URL
   the QR encodes. That URL, opened in a fresh browser context with no login, shows the
   certificate as valid with the person's name and the course.

axe-core checks My learning (with the completed row and its certificate cell) and /hours
(with the portal line) at 1280 and 360 px. Screenshots: training-my-learning-360.png,
training-verify.png, training-certificate.pdf/.png in test-artifacts/.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, Page, expect
from pypdf import PdfReader

from tests.e2e.conftest import AXE_JS, DEMO_PASSWORD, PortalServer, _serve

pytestmark = pytest.mark.e2e

SEOUL = ZoneInfo("Asia/Seoul")
SERIOUS = {"serious", "critical"}
PHONE = {"width": 360, "height": 780}
DESKTOP = {"width": 1280, "height": 900}
COORDINATOR, INSTRUCTOR, STAFF = "D0002", "D0003", "D0004"
INSTRUCTOR_NAME = "강도현"
COURSE = "신규 공무원 생성형 AI 필수 과정"
COURSE_HOURS = "4"  # recognised_hours in courses/new-appointee-genai-essentials/course.yml
DAYS_BACK = 1

# How SQLAlchemy's SQLite dialect stores DateTime (UTC, naive) and Date columns.
STORED_DATETIME = "%Y-%m-%d %H:%M:%S.%f"
STORED_DATETIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{6}$")
STORED_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
SESSION_DATETIMES = (
    "starts_at",
    "ends_at",
    "enrol_opens_at",
    "enrol_closes_at",
    "cancel_deadline_at",
)


@pytest.fixture(scope="module")
def server(seeded_database, tmp_path_factory) -> Iterator[PortalServer]:
    """A portal of this module's own: the test rewrites its database."""
    yield from _serve(seeded_database, tmp_path_factory.mktemp("e2e-training-completes"))


@pytest.fixture
def new_page(browser: Browser) -> Iterator:
    """new_page(viewport) opens a page in its own browser context: one per person.

    The contexts bypass CSP only so axe-core can be injected.
    """
    contexts = []

    def open_page(viewport: dict[str, int] = DESKTOP, *, bypass_csp: bool = True) -> Page:
        context = browser.new_context(viewport=viewport, locale="ko-KR", bypass_csp=bypass_csp)
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


def _check_both_sizes(page: Page, axe_violations, artifacts_dir: Path, slug: str) -> None:
    """axe at 1280 and 360 px (no sideways scrolling at 360); leaves the page at 360 px."""
    for size in (DESKTOP, PHONE):
        page.set_viewport_size(size)
        found = _blocking(axe_violations(page))
        assert not found, f"{slug} at {size['width']} px:\n" + "\n".join(found)
        if size is PHONE:
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= PHONE["width"], f"{slug} is {width} px wide at a 360 px viewport"
        page.screenshot(path=artifacts_dir / f"a11y-{slug}-{size['width']}.png", full_page=True)


def _on_screen(page: Page, locator) -> None:
    box = locator.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box


def _log_in_form(page: Page, employee_number: str) -> None:
    page.get_by_label("사번 또는 이메일").fill(employee_number)
    page.get_by_label("비밀번호", exact=True).fill(DEMO_PASSWORD)
    page.get_by_role("button", name="로그인", exact=True).click()


def _create_session(page: Page, server: PortalServer) -> int:
    """The coordinator schedules the course a few minutes from now; returns the session id."""
    now = dt.datetime.now(SEOUL).replace(second=0, microsecond=0)
    starts = now + dt.timedelta(minutes=6)
    ends = starts + dt.timedelta(hours=2)
    page.goto(server.url("/manage/sessions/new"))
    page.locator("#course_id").select_option(label=COURSE)
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


def _shift_datetime(value: str | None, days: int) -> str | None:
    if value is None:
        return None
    assert STORED_DATETIME_RE.match(value), f"unexpected stored datetime {value!r}"
    moved = dt.datetime.strptime(value, STORED_DATETIME) - dt.timedelta(days=days)
    return moved.strftime(STORED_DATETIME)


def _shift_date(value: str, days: int) -> str:
    assert STORED_DATE_RE.match(value), f"unexpected stored date {value!r}"
    return (dt.date.fromisoformat(value) - dt.timedelta(days=days)).isoformat()


def _move_session_into_the_past(database: Path, session_id: int, days: int) -> dt.date:
    """Move one session, its marks and its check-in windows back by whole days.

    Returns the day (in Seoul) the session now ends on."""
    with closing(sqlite3.connect(database, timeout=30)) as conn, conn:
        columns = ", ".join(SESSION_DATETIMES)
        row = conn.execute(
            f"SELECT {columns} FROM training_sessions WHERE id = ?",  # noqa: S608 - fixed names
            (session_id,),
        ).fetchone()
        assert row is not None
        moved = [_shift_datetime(value, days) for value in row]
        assignments = ", ".join(f"{name} = ?" for name in SESSION_DATETIMES)
        conn.execute(
            f"UPDATE training_sessions SET {assignments} WHERE id = ?",  # noqa: S608
            (*moved, session_id),
        )
        for table in ("attendance_marks", "checkin_windows"):
            rows = conn.execute(
                f"SELECT id, day FROM {table} WHERE session_id = ?",  # noqa: S608
                (session_id,),
            ).fetchall()
            assert rows, f"no {table} rows for the session"
            for row_id, day in rows:
                conn.execute(
                    f"UPDATE {table} SET day = ? WHERE id = ?",  # noqa: S608
                    (_shift_date(day, days), row_id),
                )
    ends_at = dt.datetime.strptime(moved[1], STORED_DATETIME).replace(tzinfo=dt.UTC)
    return ends_at.astimezone(SEOUL).date()


def _user_name(database: Path, employee_number: str) -> str:
    with closing(sqlite3.connect(database, timeout=30)) as conn:
        (name,) = conn.execute(
            "SELECT name FROM users WHERE employee_number = ?", (employee_number,)
        ).fetchone()
    return name


def _round_number(database: Path, session_id: int) -> int:
    with closing(sqlite3.connect(database, timeout=30)) as conn:
        (number,) = conn.execute(
            "SELECT round_number FROM training_sessions WHERE id = ?", (session_id,)
        ).fetchone()
    return number


def _qr_link(reader: PdfReader) -> str:
    uris = []
    for ref in reader.pages[0].get("/Annots") or []:
        annotation = ref.get_object()
        if annotation.get("/Subtype") == "/Link":
            action = annotation["/A"].get_object()
            if action.get("/S") == "/URI":
                uris.append(str(action["/URI"]))
    assert len(uris) == 1, uris
    return uris[0]


def test_a_training_from_check_in_to_a_verified_certificate(
    new_page, server, log_in, axe_violations, artifacts_dir
):
    assert server.database is not None
    staff_name = _user_name(server.database, STAFF)

    # 1. The coordinator sets up the session and puts the staff member on its roster.
    coordinator = new_page()
    log_in(coordinator, server, COORDINATOR)
    session_id = _create_session(coordinator, server)
    coordinator.goto(server.url(f"/manage/sessions/{session_id}/roster"))
    coordinator.get_by_label("사번", exact=True).fill(STAFF)
    coordinator.get_by_role("button", name="추가", exact=True).click()
    expect(coordinator.locator(".portal-flashes")).to_contain_text("명단에 추가했습니다")

    # The instructor opens check-in from their roster and puts the room screen up.
    teacher = new_page()
    log_in(teacher, server, INSTRUCTOR)
    teacher.goto(server.url(f"/teaching/sessions/{session_id}/roster"))
    expect(teacher.get_by_role("button", name="수료 판정")).to_have_count(0)  # not ended yet
    teacher.get_by_role("link", name="QR 출석 체크 열기·강의실 화면").click()
    teacher.get_by_role("button", name=re.compile(r"^출석 체크 열기")).first.click()
    expect(teacher.locator(".portal-flashes")).to_contain_text("출석 체크를 열었습니다")
    teacher.get_by_role("link", name=re.compile(r"^강의실 화면 띄우기")).first.click()
    code_box = teacher.locator(".checkin-screen-code")
    expect(code_box).to_have_text(re.compile(r"^\d{3}\s*\d{3}$"))
    expect(teacher.locator(".checkin-screen-count")).to_have_text(
        re.compile(r"출석 0명 / 확정 1명")
    )
    teacher.screenshot(path=artifacts_dir / "training-room-screen.png")

    # 2. The staff member checks in with the numeric code on a 360 px phone.
    phone = new_page(PHONE)
    phone.goto(server.url("/checkin"))
    expect(phone).to_have_url(re.compile(r"/auth/login\?next="))
    _log_in_form(phone, STAFF)
    expect(phone).to_have_url(server.url("/checkin"))
    seconds = teacher.locator("#checkin-seconds")
    expect(seconds).to_have_text(re.compile(r"^([6-9]|[1-9]\d)$"), timeout=20_000)
    code = re.sub(r"\D", "", code_box.inner_text())
    assert len(code) == 6
    phone.get_by_label("출석 코드 (숫자 6자리)").fill(code)
    phone.get_by_role("button", name="출석하기").click()
    expect(phone.locator(".portal-flashes")).to_contain_text("출석 처리되었습니다")
    expect(teacher.locator(".checkin-screen-count")).to_have_text(
        re.compile(r"출석 1명 / 확정 1명"), timeout=15_000
    )

    # 3. After the session (moved back in the server's database, see the docstring), the
    # instructor judges completion on their 내 강의 roster.
    ended_on = _move_session_into_the_past(server.database, session_id, DAYS_BACK)
    teacher.goto(server.url(f"/teaching/sessions/{session_id}/roster"))
    teacher.get_by_role("button", name="수료 판정").click()
    expect(teacher).to_have_url(server.url(f"/teaching/sessions/{session_id}/roster"))
    expect(teacher.locator(".portal-flashes")).to_contain_text(
        re.compile(r"수료를 판정했습니다: 수료 1명, 진행 중 0명, 미수료 0명")
    )

    # 4. The staff member sees 수료, the hours and the certificate in My learning (360 px).
    phone.goto(server.url("/my/learning"))
    course_round = f"{COURSE} {_round_number(server.database, session_id)}차"
    row = phone.locator("#history-title ~ * tbody tr").filter(
        has=phone.get_by_role("link", name=course_round, exact=True)
    )
    expect(row).to_have_count(1)
    expect(row.locator(".krds-badge.bg-light-success")).to_have_text("수료")
    expect(row).to_contain_text(f"{COURSE_HOURS}시간")
    certificate_link = row.get_by_role("link", name="수료증 PDF")
    expect(certificate_link).to_be_visible()
    number = row.locator(".certificate-number").inner_text().strip()
    assert re.fullmatch(r"[A-Z0-9-]+-\d{4}-\d{6}-[0-9A-Z]{4}", number), number
    certificate_link.scroll_into_view_if_needed()
    _on_screen(phone, certificate_link)
    _on_screen(phone, row.locator(".certificate-number"))
    phone.screenshot(path=artifacts_dir / "training-my-learning-360.png", full_page=True)
    _check_both_sizes(phone, axe_violations, artifacts_dir, "training-my-learning")
    # At 1280 px the past-training table fits its box: the certificate number is not cut
    # off behind a sideways scroll.
    phone.set_viewport_size(DESKTOP)
    history = phone.locator("#history-title ~ .krds-table-wrap")
    overflow = history.evaluate("wrap => wrap.scrollWidth - wrap.clientWidth")
    assert overflow <= 0, f"the past-training table is {overflow} px too wide at 1280 px"
    phone.set_viewport_size(PHONE)

    # ... and the hours in 상시학습, as a portal line.
    phone.goto(server.url("/hours"))
    line = (
        phone.locator("table tbody tr")
        .filter(has_text=COURSE)
        .filter(has_text=ended_on.isoformat())
    )
    expect(line).to_have_count(1)
    expect(line).to_contain_text("포털 교육 수료")
    expect(line).to_contain_text(re.compile(rf"{COURSE_HOURS}(\.0)?시간"))
    _check_both_sizes(phone, axe_violations, artifacts_dir, "training-hours")

    # The certificate PDF, downloaded from My learning.
    phone.goto(server.url("/my/learning"))
    with phone.expect_download() as download_info:
        certificate_link.click()
    download = download_info.value
    assert download.suggested_filename.endswith(f"{number}.pdf")
    pdf_path = artifacts_dir / "training-certificate.pdf"
    download.save_as(pdf_path)
    reader = PdfReader(io.BytesIO(pdf_path.read_bytes()))
    text = reader.pages[0].extract_text()
    flat = re.sub(r"\s+", "", text)  # a long line may wrap anywhere
    for expected in ("수료증", staff_name, COURSE, number):
        assert re.sub(r"\s+", "", expected) in flat, f"{expected!r} is not in the certificate"
    # The certificate writes hours to one decimal place (its frozen content says "4.0").
    assert re.search(rf"인정시간:{COURSE_HOURS}(\.0)?시간", flat), flat

    # The QR code's link carries its verification address; anyone can open it.
    target = _qr_link(reader)
    assert target == server.url(f"/verify/{number}")
    assert target in flat  # the same address is printed beside the code
    stranger = new_page(bypass_csp=False)
    stranger.goto(target)
    expect(stranger.get_by_text("유효한 수료증입니다.")).to_be_visible()
    expect(stranger.get_by_text(staff_name, exact=True)).to_be_visible()
    expect(stranger.locator("main")).to_contain_text(COURSE)
    expect(stranger.locator("main")).to_contain_text(number)
    stranger.screenshot(path=artifacts_dir / "training-verify.png", full_page=True)

    # The certificate as Chromium's PDF viewer draws it, for people to look at.
    viewer = new_page({"width": 900, "height": 1200})
    viewer.goto(pdf_path.as_uri())
    viewer.wait_for_timeout(3000)
    viewer.screenshot(path=artifacts_dir / "training-certificate.png")
