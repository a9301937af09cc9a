"""Browser-test fixtures: the real portal in a subprocess, driven by Debian's Chromium.

Each server is a separate `flask run` process on a free loopback port with its own
SQLite database, migrated with `flask db upgrade`, given the curriculum by
`flask courses sync` and filled by `flask demo seed`, so these tests see exactly what someone running `make run` sees. The test suite's
own in-process app and database are not involved.

The practice-sandbox tests add a fake OpenAI-compatible model (tests/fakes/openai_server.py)
running on loopback inside the test process, so a test can queue its next replies and read
exactly what the portal sent to the model.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import sqlite3
import string
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright

from tests.fakes.openai_server import FakeOpenAI, Reply

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"

# The machine has no internet: keep Chromium from trying to phone home.
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

DEMO_PASSWORD = "Demo!2026portal"


@dataclass(frozen=True)
class DemoAccount:
    employee_number: str
    role_label: str
    is_admin: bool = False


DEMO_ACCOUNTS = (
    DemoAccount("D0001", "시스템 관리자", is_admin=True),
    DemoAccount("D0002", "교육 담당자"),
    DemoAccount("D0003", "강사"),
    DemoAccount("D0004", "직원"),
)

SERVER_START_SECONDS = 30
SEED_SECONDS = 600
CLI_SECONDS = 120


@dataclass(frozen=True)
class PortalServer:
    base_url: str
    log_path: Path
    # The server's own SQLite file, for the few tests that must change what the clock
    # cannot (a session moved into the past). None where a fixture does not say.
    database: Path | None = None

    def url(self, path: str) -> str:
        return self.base_url + path


def _flask_bin() -> str:
    # The flask script next to the interpreter running the tests, whichever venv that is.
    candidate = Path(sys.executable).parent / "flask"
    if not candidate.exists():
        pytest.fail(f"flask is not installed next to {sys.executable}; run `make setup`.")
    return str(candidate)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _random_secret(length: int = 48) -> str:
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(length))


def _portal_env(workdir: Path, database: Path, **settings: str) -> dict[str, str]:
    """The environment of one portal process; nothing leaks in from the caller's PORTAL_*."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PORTAL_", "FLASK_")) and key != "TEST_DATABASE_URL"
    }
    empty_config = workdir / "config.py"
    empty_config.touch()
    env.update(
        FLASK_APP="wsgi.py",
        PYTHONUNBUFFERED="1",
        # An empty config file, so a developer's instance/config.py cannot change the test.
        PORTAL_CONFIG=str(empty_config),
        PORTAL_DATABASE_URL=f"sqlite:///{database}",
        PORTAL_SECRET_KEY=_random_secret(),
        PORTAL_ENV="development",
        PORTAL_LOG_LEVEL="WARNING",
    )
    env.update({f"PORTAL_{name}": value for name, value in settings.items()})
    return env


def _run_cli(args: list[str], env: dict[str, str], timeout: int) -> str:
    try:
        done = subprocess.run(
            [_flask_bin(), *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"`flask {' '.join(args)}` did not finish within {timeout} s")
    if done.returncode != 0:
        pytest.fail(
            f"`flask {' '.join(args)}` failed with exit code {done.returncode}:\n"
            f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        )
    return done.stdout


def _require_demo_command(env: dict[str, str]) -> None:
    listing = _run_cli(["--help"], env, CLI_SECONDS)
    if not any(line.split()[:1] == ["demo"] for line in listing.splitlines()):
        pytest.fail("`flask demo seed` does not exist, so the demo accounts cannot be created.")


@pytest.fixture(scope="session")
def seeded_database(tmp_path_factory) -> Path:
    """A migrated SQLite database holding the courses and the demo data; servers get copies."""
    workdir = tmp_path_factory.mktemp("e2e-seed")
    database = workdir / "e2e.db"
    env = _portal_env(workdir, database)
    _run_cli(["db", "upgrade"], env, CLI_SECONDS)
    # As `make run` does: the courses first, so the seed can add sessions and enrolments.
    _run_cli(["courses", "sync"], env, CLI_SECONDS)
    _require_demo_command(env)
    _run_cli(["demo", "seed"], env, SEED_SECONDS)
    return database


def _copy_database(source: Path, target: Path) -> None:
    # The backup API copies a consistent snapshot, WAL contents included.
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    src.close()
    dst.close()


def _wait_until_healthy(proc: subprocess.Popen, base_url: str, log_path: Path) -> None:
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(
                f"the portal exited with code {proc.returncode} before it was ready:\n"
                f"{log_path.read_text(errors='replace')[-3000:]}"
            )
        try:
            with urllib.request.urlopen(base_url + "/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    pytest.fail(
        f"the portal did not answer /healthz within {SERVER_START_SECONDS} s:\n"
        f"{log_path.read_text(errors='replace')[-3000:]}"
    )


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def _serve(seeded: Path, workdir: Path, **settings: str) -> Iterator[PortalServer]:
    database = workdir / "e2e.db"
    _copy_database(seeded, database)
    env = _portal_env(workdir, database, **settings)
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    log_path = workdir / "server.log"
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            [_flask_bin(), "run", "--host", "127.0.0.1", "--port", str(port), "--no-reload"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_until_healthy(proc, base_url, log_path)
            yield PortalServer(base_url, log_path, database)
        finally:
            _stop(proc)


@pytest.fixture(scope="session")
def portal_server(seeded_database, tmp_path_factory) -> Iterator[PortalServer]:
    """The portal with its production-like defaults (30-minute idle timeout)."""
    yield from _serve(seeded_database, tmp_path_factory.mktemp("e2e-portal"))


@pytest.fixture(scope="session")
def short_session_server(seeded_database, tmp_path_factory) -> Iterator[PortalServer]:
    """A second portal whose sessions go idle after 1 minute; the warning shows 57 s before."""
    yield from _serve(
        seeded_database,
        tmp_path_factory.mktemp("e2e-short-session"),
        SESSION_IDLE_MINUTES="1",
        SESSION_IDLE_WARNING_SECONDS="57",
    )


# The fake model's answer to every chat request nobody scripted: a short 기획보고서 excerpt,
# sent in many small pieces with a pause between them, so the browser really sees a stream.
FAKE_MODEL_KEY = "fake-llm"
FAKE_MODEL_LABEL = "시험 모델(가짜 서버)"
FAKE_MODEL_API_KEY = "test"
FAKE_REPLY_TEXT = (
    "□ 추진배경\n"
    " ○ 2025년 공공자전거 이용이 처음으로 줄어 이용 활성화 대책이 필요함\n"
    "  - 고장 자전거와 출퇴근 시간 빈 대여소에 대한 시민 의견이 많음\n"
    "□ 추진계획\n"
    " ○ 고장 자전거 정비 주기를 줄이고 출퇴근 시간 재배치를 늘림\n"
    "  - 세부 수치는 자료집과 대조 필요(확인 필요)"
)
FAKE_REPLY_PIECES = 14
FAKE_REPLY_CHUNK_DELAY = 0.12


@dataclass(frozen=True)
class PracticeServer(PortalServer):
    """A portal whose sandbox offers the fake model (disabled until an admin enables it)."""

    # `database` (inherited) is always set here.
    fake: FakeOpenAI | None = None  # None: no model is configured, only the offline coach


@pytest.fixture(scope="session")
def fake_model() -> Iterator[FakeOpenAI]:
    """The fake OpenAI-compatible server on 127.0.0.1, in this process: real HTTP and SSE.

    Tests queue special replies with ``fake_model.script(...)`` and read what the portal sent
    with ``fake_model.chat_requests()``.
    """
    fake = FakeOpenAI(
        api_key=FAKE_MODEL_API_KEY,
        default=Reply.text(
            FAKE_REPLY_TEXT, pieces=FAKE_REPLY_PIECES, chunk_delay=FAKE_REPLY_CHUNK_DELAY
        ),
        models=["fake"],
    )
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture(scope="session")
def practice_server(seeded_database, tmp_path_factory, fake_model) -> Iterator[PracticeServer]:
    """The portal with ASSISTANT_MODELS naming the fake model, on its own database copy."""
    workdir = tmp_path_factory.mktemp("e2e-practice")
    models = [
        {
            "key": FAKE_MODEL_KEY,
            "backend": "openai",
            "label": FAKE_MODEL_LABEL,
            "model": "fake",
            "base_url": fake_model.base_url,
            "api_key": FAKE_MODEL_API_KEY,
        }
    ]
    serving = _serve(
        seeded_database, workdir, ASSISTANT_MODELS=json.dumps(models, ensure_ascii=False)
    )
    server = next(serving)
    try:
        yield PracticeServer(server.base_url, server.log_path, workdir / "e2e.db", fake_model)
    finally:
        serving.close()  # stops the portal process


@pytest.fixture(scope="session")
def coach_server(seeded_database, tmp_path_factory) -> Iterator[PracticeServer]:
    """The portal as shipped: no model configured, so the sandbox runs the offline coach."""
    workdir = tmp_path_factory.mktemp("e2e-coach")
    serving = _serve(seeded_database, workdir)
    server = next(serving)
    try:
        yield PracticeServer(server.base_url, server.log_path, workdir / "e2e.db", None)
    finally:
        serving.close()


@pytest.fixture(scope="session")
def playwright_instance() -> Iterator[Playwright]:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(
            f"Chromium is missing at {CHROMIUM}. The browser tests need Debian's chromium: "
            "run `bash scripts/ensure-chromium.sh` (or `make test`, which does it)."
        )
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright_instance) -> Iterator[Browser]:
    browser = playwright_instance.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    try:
        yield browser
    finally:
        browser.close()


def _new_context(browser: Browser, **options) -> BrowserContext:
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, locale="ko-KR", **options
    )
    context.set_default_timeout(15_000)
    context.set_default_navigation_timeout(30_000)
    return context


@pytest.fixture
def page(browser) -> Iterator[Page]:
    context = _new_context(browser)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def axe_page(browser) -> Iterator[Page]:
    """A page whose context ignores the portal's CSP, so axe-core can be injected."""
    if not AXE_JS.is_file():
        pytest.fail(f"axe-core is missing at {AXE_JS}; run `npm ci` (or `make setup`).")
    context = _new_context(browser, bypass_csp=True)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    # A test that takes `demo_account` runs once per demo role.
    if "demo_account" in metafunc.fixturenames:
        metafunc.parametrize(
            "demo_account", DEMO_ACCOUNTS, ids=[a.employee_number for a in DEMO_ACCOUNTS]
        )


@pytest.fixture
def log_in():
    """log_in(page, server, employee_number, password=DEMO_PASSWORD) through the real form."""

    def submit(
        page: Page, server: PortalServer, employee_number: str, password: str = DEMO_PASSWORD
    ) -> None:
        page.goto(server.url("/auth/login"))
        page.get_by_label("사번 또는 이메일").fill(employee_number)
        page.get_by_label("비밀번호", exact=True).fill(password)
        page.get_by_role("button", name="로그인", exact=True).click()

    return submit


@pytest.fixture
def axe_violations():
    """axe_violations(page) injects axe-core, runs every rule and returns the violations."""

    def run(page: Page) -> list[dict]:
        if not page.evaluate("typeof window.axe !== 'undefined'"):
            page.add_script_tag(path=str(AXE_JS))
        return page.evaluate(
            """async () => {
                const result = await axe.run(document, {resultTypes: ["violations"]});
                return result.violations.map(v => ({
                    id: v.id,
                    impact: v.impact,
                    help: v.help,
                    nodes: v.nodes.map(n => ({
                        target: n.target.join(" "),
                        html: n.html,
                        summary: n.failureSummary,
                    })),
                }));
            }"""
        )

    return run
