"""docs/deployment.md (and README's "Deployment" section), run as written.

Every command in the guides' fenced ``sh`` and ``cron`` blocks, and every ``ExecStart`` of
their systemd units, is either run here or listed in ``NOT_RUNNABLE`` with the reason. A
command added to a guide that is in neither fails ``test_every_documented_command_...``, and
so does an entry here that the guides no longer contain: the guides and this test cannot
drift apart. ``RUN`` names the scenario (a test below) that runs each command; each scenario
checks at its end that it ran all of its commands.

The commands run in subprocesses, as an operator would type them, with only the names of
the machine swapped for scratch ones (``sub`` fails when a name it swaps is no longer in the
command): ``/srv/portal`` is this checkout, ``/etc/portal/env`` and ``/var/backups/portal``
are temporary, the database is a scratch one (SQLite, or PostgreSQL next to
TEST_DATABASE_URL, created and dropped here), Redis is TEST_REDIS_URL (or a closed port).
``sudo`` is dropped where the command only writes those temporary files. ``PORTAL_CONFIG``
points at an empty file, so a developer's ``instance/config.py`` is never read.
"""

from __future__ import annotations

import os
import re
import secrets
import shlex
import shutil
import signal
import socket
import sqlite3
import subprocess
import time
import urllib.request
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from portal import create_app
from portal.db import make_engine
from portal.paths import ROOT
from tests.conftest import Auth, dispose, scratch_database

PG_URL = os.environ.get("TEST_DATABASE_URL")
REDIS_URL = os.environ.get("TEST_REDIS_URL")
CLOSED_REDIS = "redis://127.0.0.1:9/0"  # nothing listens on port 9 (discard)
GUIDES = {"docs/deployment.md": None, "README.md": "## Deployment"}
PASSWORD = "Doc!deploy-2026-check"

# --------------------------------------------------------------------------------------------
# What the guides hold that this test does not run, and why.

_SYSTEMD = "systemd units are not installed on a test machine; their ExecStart commands are run"
NOT_RUNNABLE: dict[str, str] = {
    "sudo apt-get install --no-install-recommends python3 python3-venv make git nodejs npm": (
        "installs system packages on the machine"
    ),
    "sudo apt-get install --no-install-recommends postgresql redis-server nginx": (
        "installs system packages on the machine"
    ),
    "sudo useradd --system --no-create-home --home-dir /srv/portal --shell /usr/sbin/nologin "
    "portal": "creates a system user on the machine",
    "sudo install -d -o portal -g portal /srv/portal": (
        "needs root and the portal user, which only useradd creates"
    ),
    "sudo -u portal git clone https://git.city.internal/ai-edu/portal.git /srv/portal": (
        "needs the city's repository server"
    ),
    "cd /srv/portal && sudo -u portal make setup": (
        "reinstalls the packages of the shared working tree; the suite itself runs after it "
        "(`make test` depends on `make setup`)"
    ),
    "sudo install -d -m 750 -o root -g portal /etc/portal": (
        "needs root and the portal group; the test writes the settings to a temporary file"
    ),
    "sudo install -m 640 -o root -g portal /dev/null /etc/portal/env": (
        "needs root and the portal group; the test writes the settings to a temporary file"
    ),
    "sudo -u portal bash": "opens an interactive shell as the service user",
    "sudo systemctl daemon-reload": _SYSTEMD,
    "sudo systemctl enable --now portal": _SYSTEMD,
    "sudo systemctl enable --now portal-outbox.service portal-reminders.timer "
    "portal-attendance.timer portal-retention.timer": _SYSTEMD,
    "systemctl list-timers 'portal-*'": _SYSTEMD,
    "journalctl -u portal-reminders.service --since today": _SYSTEMD,
    "sudo systemctl stop portal portal-outbox.service": _SYSTEMD,
    "sudo systemctl reload nginx": _SYSTEMD,
    "sudo certbot --nginx -d ai-edu.sejong.go.kr": (
        "needs a public DNS name that Let's Encrypt can reach from the internet"
    ),
    "sudo ln -s /etc/nginx/sites-available/portal /etc/nginx/sites-enabled/portal": (
        "changes the machine's nginx configuration"
    ),
    "sudo nginx -t": (
        "tests the machine's nginx configuration; test_the_nginx_example_passes_nginx_t checks "
        "the example with `nginx -t -c` (make test installs Debian's nginx)"
    ),
    "vllm serve Qwen/Qwen2.5-32B-Instruct --served-model-name qwen2.5-32b-instruct --host 0.0.0.0 "
    "--port 8000 --ssl-certfile /etc/vllm/llm.internal.crt --ssl-keyfile "
    "/etc/vllm/llm.internal.key": (
        "a model server (and a GPU) is not installed; tests/fakes/openai_server.py stands in "
        "for it (test_model_ca_tls.py over TLS)"
    ),
    "OLLAMA_HOST=0.0.0.0:11434 ollama serve": (
        "a model server is not installed; tests/fakes/openai_server.py stands in for it"
    ),
    "litellm --config /etc/litellm/config.yaml --port 4000": (
        "a model gateway is not installed; tests/fakes/openai_server.py stands in for it"
    ),
    "sudo cp city-internal-ca.crt /usr/local/share/ca-certificates/": (
        "changes the machine's trust store; test_model_ca_tls.py tests SSL_CERT_FILE instead"
    ),
    "sudo update-ca-certificates": (
        "changes the machine's trust store; test_model_ca_tls.py tests SSL_CERT_FILE instead"
    ),
    "cd /srv/portal && sudo -u portal git pull --ff-only && sudo -u portal make setup": (
        "fetches a release from the city's repository and reinstalls the packages"
    ),
}

# The commands this test runs, by the scenario (test) that runs them.
_HEREDOC = (
    "sudo tee /etc/portal/env >/dev/null <<EOF\n"
    "PORTAL_ENV=production\n"
    "PORTAL_SECRET_KEY=$(python3 -c 'import secrets; print(secrets.token_urlsafe(48))')\n"
    "PORTAL_DATABASE_URL=postgresql+psycopg://portal:PASSWORD@db.internal:5432/portal\n"
    "PORTAL_RATELIMIT_STORAGE_URI=redis://redis.internal:6379/0\n"
    "PORTAL_TRUSTED_PROXY_COUNT=1\n"
    "PORT=0.0.0.0:8000\n"
    "EOF"
)
_LOAD = "cd /srv/portal && set -a && . /etc/portal/env && set +a"
_MODELS = (
    "PORTAL_ASSISTANT_MODELS='["
    '{"key": "sejong-llm", "backend": "openai", "label": "세종 내부 LLM", "internal": true, '
    '"model": "qwen2.5-32b-instruct", "base_url": "https://llm.internal:8000/v1"}, '
    '{"key": "azure-gpt", "backend": "azure", "label": "Azure OpenAI (공개 자료만)", '
    '"model": "gpt-4o-mini-deploy", "azure_endpoint": "https://example.openai.azure.com", '
    '"api_version": "2024-10-21", "api_key": "..."}'
    "]'"
)
_BUNDLE = (
    "cat /etc/ssl/certs/ca-certificates.crt city-internal-ca.crt | "
    "sudo tee /etc/portal/ca-bundle.pem >/dev/null"
)
_CA_LINE = "echo 'SSL_CERT_FILE=/etc/portal/ca-bundle.pem' | sudo tee -a /etc/portal/env >/dev/null"
_CRON = "portal  cd /srv/portal && set -a && . /etc/portal/env && set +a && .venv/bin/flask --app wsgi.py"
_COUNTS = (
    "--command='SELECT count(*) AS accounts FROM users' "
    "--command='SELECT count(*) AS audit_entries, max(occurred_at) AS latest FROM audit_entries'"
)
_RESTORED_URL = "postgresql+psycopg://portal:PASSWORD@db.internal:5432/portal_restored"

RUN: dict[str, str] = {
    # test_the_service_runs_as_documented
    _HEREDOC: "service",
    _LOAD: "service",
    _MODELS: "service",
    "PORTAL_ASSISTANT_TIMEOUT_SECONDS=60": "service",
    "PORTAL_SMTP_HOST=smtp.internal": "service",
    "PORTAL_SMTP_PORT=587": "service",
    "PORTAL_MAIL_FROM=ai-edu@sejong.go.kr": "service",
    _BUNDLE: "service",
    _CA_LINE: "service",
    ".venv/bin/flask db upgrade": "service",
    ".venv/bin/flask db current": "service",
    ".venv/bin/python -m portal.preflight": "service",
    "ExecStartPre=/srv/portal/.venv/bin/python -m portal.preflight": "service",
    ".venv/bin/flask users create-admin": "service",
    ".venv/bin/flask courses sync": "service",
    "make serve-prod                      # checks the settings, then starts gunicorn": "service",
    "ExecStart=/srv/portal/.venv/bin/gunicorn -c gunicorn.conf.py wsgi:app": "service",
    "curl --fail http://127.0.0.1:8000/readyz": "service",
    "ExecStart=/srv/portal/.venv/bin/flask --app wsgi.py outbox send --loop --interval 30": (
        "service"
    ),
    "ExecStart=/srv/portal/.venv/bin/flask --app wsgi.py reminders send": "service",
    "ExecStart=/srv/portal/.venv/bin/flask --app wsgi.py retention purge": "service",
    f"*/5   *  *   *   *    {_CRON} outbox send": "service",
    f"15    *  *   *   *    {_CRON} attendance complete": "service",
    f"0     *  *   *   *    {_CRON} reminders send": "service",
    f"15    3  *   *   *    {_CRON} retention purge": "service",
    # test_postgresql_backup_and_restore_run_as_documented
    "sudo -u postgres createuser --pwprompt portal": "postgresql",
    "sudo -u postgres createdb --owner portal portal": "postgresql",
    "pg_dump --format=custom --file=/var/backups/portal/portal-$(date +%F).dump portal": (
        "postgresql"
    ),
    "30 2 * * *  postgres  pg_dump --format=custom "
    "--file=/var/backups/portal/portal-$(date +\\%F).dump portal": "postgresql",
    "45 2 * * *  postgres  find /var/backups/portal -name 'portal-*.dump' -mtime +30 -delete": (
        "postgresql"
    ),
    "createdb --owner portal portal_restored": "postgresql",
    "pg_restore --dbname=portal_restored --no-owner --role=portal --exit-on-error "
    "/var/backups/portal/portal-2026-12-06.dump": "postgresql",
    "vacuumdb --analyze portal_restored": "postgresql",
    f"PORTAL_DATABASE_URL={_RESTORED_URL} .venv/bin/flask db current": "postgresql",
    f"psql --dbname=portal_restored {_COUNTS}": "postgresql",
    f"psql --dbname=portal {_COUNTS}": "postgresql",
    "psql --command='ALTER DATABASE portal RENAME TO portal_before_restore'": "postgresql",
    "psql --command='ALTER DATABASE portal_restored RENAME TO portal'": "postgresql",
    # test_sqlite_backup_and_restore_run_as_documented
    ".venv/bin/flask db backup /var/backups/portal/portal-$(date +%F-%H%M).db": "sqlite",
    "sqlite3 instance/portal.db \".backup '/var/backups/portal/portal-manual.db'\"": "sqlite",
    ".venv/bin/flask db restore /var/backups/portal/portal-2026-12-06-0300.db": "sqlite",
    # test_the_readme_deployment_commands_run_as_written
    "export PORTAL_ENV=production": "readme",
    "export PORTAL_SECRET_KEY=\"$(python3 -c 'import secrets; print(secrets.token_urlsafe(48))')\"": (
        "readme"
    ),
    "export PORTAL_DATABASE_URL=postgresql+psycopg://portal:PASSWORD@db.internal/portal": "readme",
    "export PORTAL_RATELIMIT_STORAGE_URI=redis://redis.internal:6379/0": "readme",
    "export PORTAL_TRUSTED_PROXY_COUNT=1": "readme",
    "make serve-prod   # PORT=8000 by default; see below": "readme",
}

# --------------------------------------------------------------------------------------------
# Reading the commands out of the Markdown.

_FENCE = re.compile(r"^(?P<indent> *)```(?P<lang>[\w-]*)\s*$")
_HEREDOC_START = re.compile(r"<<-?\s*['\"]?(\w+)['\"]?")
_SHELL = ("sh", "bash", "shell", "console")


def _blocks(markdown: str) -> Iterator[tuple[str, int, list[str]]]:
    """Fenced code blocks (also inside list items): language, first line number, lines."""
    lines = markdown.splitlines()
    index = 0
    while index < len(lines):
        opening = _FENCE.match(lines[index])
        index += 1
        if not opening:
            continue
        indent, first, body = opening["indent"], index + 1, []
        while index < len(lines) and not (
            lines[index].strip() == "```" and lines[index].startswith(indent)
        ):
            body.append(lines[index].removeprefix(indent))
            index += 1
        index += 1
        yield opening["lang"], first, body


def _shell_commands(body: list[str]) -> Iterator[tuple[int, str]]:
    """One command per line, joined across backslashes, open quotes and here-documents."""
    index = 0
    while index < len(body):
        line = body[index]
        if not line.strip() or line.lstrip().startswith("#"):
            index += 1
            continue
        start, command = index, line
        while True:
            heredoc = _HEREDOC_START.search(command.splitlines()[0])
            complete = heredoc is None or command.endswith("\n" + heredoc.group(1))
            if complete and not command.endswith("\\"):
                try:
                    shlex.split(command, comments=True)
                    break
                except ValueError:  # a quote still open
                    pass
            index += 1
            assert index < len(body), f"unterminated command: {command!r}"
            command += "\n" + body[index]
        yield start, command
        index += 1


def documented_commands() -> dict[str, list[str]]:
    """Every command in the guides, with where it appears (``file:line``)."""
    found: dict[str, list[str]] = {}
    for name, section in GUIDES.items():
        markdown = (ROOT / name).read_text(encoding="utf-8")
        offset = 0
        if section:
            offset = markdown.index(section + "\n")
            end = markdown.find("\n## ", offset + len(section))
            before = markdown[:offset].count("\n")
            markdown = markdown[offset : end if end != -1 else None]
            offset = before
        for lang, first, body in _blocks(markdown):
            if lang in _SHELL:
                pairs = list(_shell_commands(body))
            elif lang == "cron":
                pairs = [
                    (n, line)
                    for n, line in enumerate(body)
                    if line.strip() and not line.lstrip().startswith("#")
                ]
            elif lang == "ini":
                pairs = [(n, line) for n, line in enumerate(body) if line.startswith("ExecStart")]
            else:  # nginx, yaml: configuration, not commands (nginx: see the last test)
                continue
            for n, command in pairs:
                found.setdefault(command, []).append(f"{name}:{offset + first + n}")
    return found


DOCUMENTED = documented_commands()


def test_every_documented_command_is_run_here_or_listed_as_not_runnable():
    unlisted = {c: w for c, w in DOCUMENTED.items() if c not in RUN and c not in NOT_RUNNABLE}
    assert not unlisted, (
        "commands in the guides that this test neither runs (RUN) nor lists as not runnable "
        "(NOT_RUNNABLE, with the reason):\n"
        + "\n".join(f"  {w[0]}: {c!r}" for c, w in unlisted.items())
    )
    stale = sorted((set(RUN) | set(NOT_RUNNABLE)) - set(DOCUMENTED))
    assert not stale, "listed here but no longer in the guides:\n" + "\n".join(
        f"  {c!r}" for c in stale
    )
    assert not set(RUN) & set(NOT_RUNNABLE)
    assert all(reason.strip() for reason in NOT_RUNNABLE.values())


def test_the_guides_show_commands_the_cli_has():
    """Every `flask …` command in the guides names a command group and command that exist."""
    app = create_app({"ENV": "testing", "SECRET_KEY": "s" * 40, "DATABASE_URL": "sqlite://"})
    try:
        seen = set()
        for command in [*DOCUMENTED, *NOT_RUNNABLE]:
            for match in re.finditer(r"flask (?:--app wsgi\.py )?([a-z-]+) ([a-z-]+)", command):
                group = app.cli.commands.get(match[1])
                assert group is not None, f"no `flask {match[1]}`: {command}"
                assert match[2] in group.commands, f"no `flask {match[1]} {match[2]}`: {command}"  # type: ignore[attr-defined]
                seen.add(match[0])
        assert len(seen) >= 10, seen
    finally:
        dispose(app)


# --------------------------------------------------------------------------------------------
# Running them.


def sub(command: str, *pairs: tuple[str, str]) -> str:
    """Swap the guide's machine names for scratch ones; each must still be in the command."""
    for old, new in pairs:
        assert old in command, f"the guide's command no longer contains {old!r}: {command!r}"
        command = command.replace(old, new)
    return command


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _clean_env(tmp: Path) -> dict[str, str]:
    drop = ("PORTAL_", "FLASK_", "PG", "SSL_CERT_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop) and k != "PORT"}
    empty = tmp / "no-instance-config.py"
    empty.write_text("", encoding="utf-8")
    env["PORTAL_CONFIG"] = str(empty)
    env["WEB_CONCURRENCY"] = "2"  # gunicorn: two workers are enough to answer
    env["PYTHONUNBUFFERED"] = "1"  # long-running commands' output arrives as it is printed
    return env


def _env_after(shell_lines: str, env: dict[str, str], cwd: Path = ROOT) -> dict[str, str]:
    """The environment after running ``shell_lines`` in bash (exports, `set -a; . file`)."""
    out = subprocess.run(
        ["bash", "-c", f"set -e\n{shell_lines}\nenv -0"],
        cwd=cwd,
        env=env,
        capture_output=True,
        check=True,
    ).stdout.decode()
    return dict(item.split("=", 1) for item in out.split("\0") if "=" in item)


class Steps:
    """Runs one scenario's documented commands and remembers which it ran."""

    def __init__(self, scenario: str, env: dict[str, str]) -> None:
        self.scenario = scenario
        self.env = env
        self.ran: set[str] = set()
        self.skipped: dict[str, str] = {}

    def _claim(self, command: str) -> None:
        assert command in DOCUMENTED, f"not in the guides: {command!r}"
        assert command in RUN, f"not listed in RUN: {command!r}"
        self.ran.add(command)

    def shell(
        self,
        command: str,
        *pairs: tuple[str, str],
        stdin: str | None = None,
        expect: int = 0,
        shell: str = "bash",
        env: dict[str, str] | None = None,
        timeout: float = 180,
    ) -> subprocess.CompletedProcess[str]:
        self._claim(command)
        line = sub(command, *pairs)
        done = subprocess.run(
            [shell, "-c", line],
            cwd=ROOT,
            env=env or self.env,
            input=stdin if stdin is not None else "",
            capture_output=True,
            text=True,
            timeout=timeout,
            start_new_session=True,  # no terminal: prompts read stdin
        )
        assert done.returncode == expect, (
            f"{command}\n  ran as: {line}\n  exit {done.returncode}, expected {expect}\n"
            f"--- stdout\n{done.stdout}\n--- stderr\n{done.stderr}"
        )
        assert "Traceback" not in done.stdout + done.stderr, done.stderr
        return done

    def environment(self, command: str, *pairs: tuple[str, str]) -> None:
        """A line that sets the shell's environment (``export``, ``. /etc/portal/env``): the
        commands after it run with what the shell made of it."""
        self._claim(command)
        self.env = _env_after(sub(command, *pairs), self.env)

    def append_line(self, command: str, env_file: Path, *pairs: tuple[str, str]) -> None:
        """A line the guide says to add to /etc/portal/env."""
        self._claim(command)
        with env_file.open("a", encoding="utf-8") as f:
            f.write(sub(command, *pairs) + "\n")

    def unit(self, line: str, *pairs: tuple[str, str]) -> subprocess.CompletedProcess[str]:
        """A unit's ExecStart: systemd runs it without a shell, in WorkingDirectory."""
        assert line.startswith(("ExecStart=", "ExecStartPre=")), line
        self._claim(line)
        argv = shlex.split(sub(line.split("=", 1)[1], ("/srv/portal", str(ROOT)), *pairs))
        done = subprocess.run(
            argv, cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=180
        )
        assert "Traceback" not in done.stdout + done.stderr, done.stderr
        return done

    def cron(
        self, line: str, user: str, *pairs: tuple[str, str], env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        """A line of /etc/cron.d: five time fields, the user, then a /bin/sh command in
        which an unescaped % would end the command (cron turns it into a newline)."""
        fields = line.split(None, 6)
        assert len(fields) == 7 and fields[5] == user, line
        command = fields[6]
        assert not re.search(r"(?<!\\)%", command), f"unescaped % in a crontab line: {line}"
        self._claim(line)
        argv = ["/bin/sh", "-c", sub(command.replace("\\%", "%"), *pairs)]
        done = subprocess.run(
            argv, cwd="/", env=env or self.env, capture_output=True, text=True, timeout=180
        )
        assert done.returncode == 0, f"{line}\n{done.stdout}\n{done.stderr}"
        assert "Traceback" not in done.stdout + done.stderr, done.stderr
        return done

    def start(self, command: str, *pairs: tuple[str, str], unit: bool = False) -> subprocess.Popen:
        """A long-running command (gunicorn, the outbox loop), in its own process group."""
        self._claim(command)
        if unit:
            argv = shlex.split(sub(command.split("=", 1)[1], ("/srv/portal", str(ROOT)), *pairs))
        else:
            argv = ["bash", "-c", sub(command, *pairs)]
        return subprocess.Popen(
            argv,
            cwd=ROOT,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )

    def skip(self, command: str, reason: str) -> None:
        assert RUN.get(command) == self.scenario, command
        self.skipped[command] = reason

    def finish(self) -> None:
        mine = {c for c, s in RUN.items() if s == self.scenario}
        missing = mine - self.ran - set(self.skipped)
        assert not missing, f"{self.scenario}: commands listed but not run: {sorted(missing)}"


def _stop(process: subprocess.Popen) -> tuple[int, str, str]:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
    out, err = process.communicate(timeout=60)
    return process.returncode, out, err


def _wait_ready(process: subprocess.Popen, port: int) -> str:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as r:
                return r.read().decode()
        except OSError:
            time.sleep(0.3)
    code, out, err = _stop(process)
    raise AssertionError(f"never answered /readyz (exit {code})\n{out}\n{err}")


def _wait_for_line(process: subprocess.Popen, needle: str, timeout: float = 60) -> str:
    assert process.stdout is not None
    seen = ""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line and process.poll() is not None:
            break
        seen += line
        if needle in line:
            return seen
    code, out, err = _stop(process)
    raise AssertionError(f"{needle!r} never printed (exit {code})\n{seen}{out}\n{err}")


def _admin_answers(number: str) -> str:
    """create-admin's prompts: number, name, e-mail, password and its confirmation."""
    return f"{number}\n관리자\n{number.lower()}@sejong.example.kr\n{PASSWORD}\n{PASSWORD}\n"


def _logs_in(url: str, tmp: Path, number: str) -> bool:
    app = create_app(
        {"ENV": "testing", "SECRET_KEY": "s" * 40, "DATABASE_URL": url, "LOG_LEVEL": "CRITICAL"},
        instance_path=str(tmp / f"login-{uuid.uuid4().hex[:6]}"),
    )
    try:
        response = Auth(app.test_client()).login(number, PASSWORD)
        return response.status_code == 302 and "/auth/login" not in response.location
    finally:
        dispose(app)


# --------------------------------------------------------------------------------------------
# The service: settings file, migrations, preflight, gunicorn, the worker and scheduled jobs.


@pytest.fixture(scope="module")
def service_database(tmp_path_factory) -> Iterator[str]:
    yield from scratch_database(tmp_path_factory, "docs")


def test_the_service_runs_as_documented(tmp_path, service_database):
    from tests.functional.test_model_ca_tls import make_certificates

    etc = tmp_path / "etc"
    etc.mkdir()
    env_file = etc / "env"
    port = _free_port()
    redis = REDIS_URL or CLOSED_REDIS
    steps = Steps("service", _clean_env(tmp_path))
    on_postgresql = service_database.startswith("postgresql")
    serves = on_postgresql and REDIS_URL is not None  # what the preflight accepts

    # §0: the settings file, from the guide's here-document.
    steps.shell(
        _HEREDOC,
        ("sudo tee /etc/portal/env", f"tee {env_file}"),
        ("postgresql+psycopg://portal:PASSWORD@db.internal:5432/portal", service_database),
        ("redis://redis.internal:6379/0", redis),
        ("PORT=0.0.0.0:8000", f"PORT=127.0.0.1:{port}"),
    )
    written = env_file.read_text(encoding="utf-8")
    key = re.search(r"^PORTAL_SECRET_KEY=(\S+)$", written, re.MULTILINE)
    assert key and len(key[1]) >= 60, written  # generated by python3 while writing the file
    # §5 and §6: the lines the guide adds to the file.
    for line in (
        _MODELS,
        "PORTAL_ASSISTANT_TIMEOUT_SECONDS=60",
        "PORTAL_SMTP_HOST=smtp.internal",
        "PORTAL_SMTP_PORT=587",
        "PORTAL_MAIL_FROM=ai-edu@sejong.go.kr",
    ):
        steps.append_line(line, env_file)
    # §5: a CA bundle with the city's CA, named by SSL_CERT_FILE in the same file.
    system_bundle = Path("/etc/ssl/certs/ca-certificates.crt")
    if system_bundle.is_file() and shutil.which("openssl"):
        (tmp_path / "ca").mkdir()
        ca = make_certificates(tmp_path / "ca")["ca"]
        steps.shell(
            _BUNDLE,
            ("city-internal-ca.crt", str(ca)),
            ("sudo tee /etc/portal/ca-bundle.pem", f"tee {etc}/ca-bundle.pem"),
        )
        assert (etc / "ca-bundle.pem").read_text().endswith(ca.read_text())
        steps.shell(
            _CA_LINE,
            ("/etc/portal/ca-bundle.pem", f"{etc}/ca-bundle.pem"),
            ("sudo tee -a /etc/portal/env", f"tee -a {env_file}"),
        )
    else:
        reason = "needs /etc/ssl/certs/ca-certificates.crt and the openssl command"
        steps.skip(_BUNDLE, reason)
        steps.skip(_CA_LINE, reason)
    # Load the settings as an operator's shell does; every later command runs with them.
    steps.environment(_LOAD, ("/srv/portal", str(ROOT)), ("/etc/portal/env", str(env_file)))
    assert steps.env["PORTAL_ENV"] == "production"
    assert steps.env["PORTAL_DATABASE_URL"] == service_database
    checked = subprocess.run(
        [
            str(ROOT / ".venv/bin/python"),
            "-c",
            "from portal.config import load_config; from pathlib import Path;"
            "from portal.assistant.backends.specs import parse_model_specs;"
            "c = load_config(Path('/nonexistent'));"
            "s = parse_model_specs(c['ASSISTANT_MODELS']);"
            "print(sorted(s), s['sejong-llm'].internal, s['azure-gpt'].internal,"
            " c['ASSISTANT_TIMEOUT_SECONDS'], c['SMTP_HOST'], c['SMTP_PORT'], c['MAIL_FROM'])",
        ],
        cwd=ROOT,
        env=steps.env,
        capture_output=True,
        text=True,
    )
    assert checked.stdout.split() == [
        "['azure-gpt',", "'offline',", "'sejong-llm']", "True", "False", "60",
        "smtp.internal", "587", "ai-edu@sejong.go.kr",
    ], checked.stderr  # fmt: skip

    # §1: migrations (the scratch database is migrated already: upgrade is then a no-op).
    steps.shell(".venv/bin/flask db upgrade")
    assert "(최신)" in steps.shell(".venv/bin/flask db current").stdout

    # §3: the preflight, by hand and as the unit's ExecStartPre.
    expected = 0 if serves else 2
    by_hand = steps.shell(".venv/bin/python -m portal.preflight", expect=expected)
    pre = steps.unit("ExecStartPre=/srv/portal/.venv/bin/python -m portal.preflight")
    assert pre.returncode == expected, pre.stderr
    for result in (by_hand, pre):
        if serves:
            assert "[확인] 데이터베이스: 연결됨, 마이그레이션 최신" in result.stdout
            assert "[확인] Redis: 연결됨" in result.stdout
            if "SSL_CERT_FILE" in steps.env:
                assert "[확인] TLS 인증서: SSL_CERT_FILE" in result.stdout
        elif on_postgresql:
            assert "Redis에 연결할 수 없습니다" in result.stderr
        else:
            assert "PostgreSQL이 필요합니다" in result.stderr

    # §10 and §7: the first administrator and the curriculum (independent: side by side).
    with ThreadPoolExecutor(max_workers=2) as pool:
        made = pool.submit(
            steps.shell, ".venv/bin/flask users create-admin", stdin=_admin_answers("A9001")
        )
        synced = pool.submit(steps.shell, ".venv/bin/flask courses sync")
    assert "admin: employee number A9001" in made.result().stdout
    assert synced.result().returncode == 0

    # §3: gunicorn as the unit starts it, then as make serve-prod does.
    server = steps.start(
        "ExecStart=/srv/portal/.venv/bin/gunicorn -c gunicorn.conf.py wsgi:app", unit=True
    )
    try:
        assert '"database":"ok"' in _wait_ready(server, port).replace(" ", "")
        if shutil.which("curl"):
            by_curl = steps.shell(
                "curl --fail http://127.0.0.1:8000/readyz", ("127.0.0.1:8000", f"127.0.0.1:{port}")
            )
            assert '"database":"ok"' in by_curl.stdout.replace(" ", "")
        else:
            steps.skip("curl --fail http://127.0.0.1:8000/readyz", "curl is not installed")
    finally:
        code, _out, err = _stop(server)
    assert "Traceback" not in err and code == 0, err
    serve = steps.start(
        "make serve-prod                      # checks the settings, then starts gunicorn"
    )
    if serves:
        try:
            assert '"database":"ok"' in _wait_ready(serve, port).replace(" ", "")
        finally:
            code, out, err = _stop(serve)
        assert "[확인] 운영 서버(gunicorn)를 시작합니다." in out
    else:
        out, err = serve.communicate(timeout=180)
        assert serve.returncode != 0 and "운영 서버를 시작하지 않았습니다" in err, out + err

    # §6: the outbox worker's unit; it stops between passes on SIGTERM, as systemd stops it.
    worker = steps.start(
        "ExecStart=/srv/portal/.venv/bin/flask --app wsgi.py outbox send --loop --interval 30",
        unit=True,
    )
    _wait_for_line(worker, "No e-mail is due.")
    code, _out, err = _stop(worker)
    assert code == 0 and "Traceback" not in err, err

    # §6: the timers' services and the cron lines, side by side as a scheduler may run them.
    # Cron starts with none of the service's settings: the line loads them itself.
    places = (("/srv/portal", str(ROOT)), ("/etc/portal/env", str(env_file)))
    bare = _clean_env(tmp_path)
    jobs = {
        "ExecStart=/srv/portal/.venv/bin/flask --app wsgi.py reminders send": (
            lambda line: steps.unit(line),
            "Reminded 0 consulting booking(s).",
        ),
        "ExecStart=/srv/portal/.venv/bin/flask --app wsgi.py retention purge": (
            lambda line: steps.unit(line),
            "보존 기간 90일",
        ),
        f"*/5   *  *   *   *    {_CRON} outbox send": (
            lambda line: steps.cron(line, "portal", *places, env=bare),
            "No e-mail is due.",
        ),
        f"15    *  *   *   *    {_CRON} attendance complete": (
            lambda line: steps.cron(line, "portal", *places, env=bare),
            "수료를 판정할 차수가 없습니다",
        ),
        f"0     *  *   *   *    {_CRON} reminders send": (
            lambda line: steps.cron(line, "portal", *places, env=bare),
            "Reminded 0 consulting booking(s).",
        ),
        f"15    3  *   *   *    {_CRON} retention purge": (
            lambda line: steps.cron(line, "portal", *places, env=bare),
            "보존 기간 90일",
        ),
    }
    with ThreadPoolExecutor(max_workers=3) as pool:
        running = {line: pool.submit(job, line) for line, (job, _expected) in jobs.items()}
    for line, future in running.items():
        done = future.result()
        assert done.returncode == 0 and jobs[line][1] in done.stdout, (line, done.stderr)
    steps.finish()


# --------------------------------------------------------------------------------------------
# §12, PostgreSQL: dump, restore into a fresh database, check, swap.


def _pg_admin_env(base: dict[str, str]) -> tuple[dict[str, str], str]:
    url = make_url(PG_URL or "")
    env = dict(base)
    env.update(PGHOST=url.host or "127.0.0.1", PGPORT=str(url.port or 5432))
    env["PGUSER"] = url.username or "postgres"
    if url.password:
        env["PGPASSWORD"] = url.password
    return env, f"{url.host or '127.0.0.1'}:{url.port or 5432}"


@pytest.mark.skipif(not PG_URL, reason="PostgreSQL is tested when TEST_DATABASE_URL is set")
def test_postgresql_backup_and_restore_run_as_documented(tmp_path):
    assert PG_URL is not None
    admin = make_engine(PG_URL.rsplit("/", 1)[0] + "/postgres", pool_size=1)
    name = f"docs_{uuid.uuid4().hex[:8]}"  # the role, and the database, "portal" in the guide
    role_password = secrets.token_urlsafe(16)
    env, host = _pg_admin_env(_clean_env(tmp_path))
    # Use the pg_dump of the server's major version (the guide says so, and pg_dump refuses
    # a server newer than itself).
    with admin.connect() as conn:
        major = int(conn.scalar(text("SHOW server_version_num"))) // 10000
    bindir = Path(f"/usr/lib/postgresql/{major}/bin")
    if bindir.is_dir():
        env["PATH"] = f"{bindir}:{env['PATH']}"
    version = subprocess.run(["pg_dump", "--version"], env=env, capture_output=True, text=True)
    assert int(re.search(r"(\d+)\.\d+", version.stdout)[1]) >= major, version.stdout  # type: ignore[index]
    backups = tmp_path / "backups"
    backups.mkdir()

    def url(database: str) -> str:
        return f"postgresql+psycopg://{name}:{role_password}@{host}/{database}"

    def names(command: str) -> str:
        """The guide's role and databases (portal, portal_restored, …), not its paths."""
        renamed = re.sub(
            r"(?<![/\w-])portal(_restored|_before_restore)?(?![\w/-])",
            lambda m: name + (m[1] or ""),
            command,
        )
        return renamed.replace("/var/backups/portal", str(backups))

    steps = Steps("postgresql", env)
    try:
        steps.shell(
            "sudo -u postgres createuser --pwprompt portal",
            (
                "sudo -u postgres createuser --pwprompt portal",
                names("createuser --pwprompt portal"),
            ),
            stdin=f"{role_password}\n{role_password}\n",
        )
        steps.shell(
            "sudo -u postgres createdb --owner portal portal",
            ("sudo -u postgres createdb --owner portal portal", names("createdb --owner portal portal")),
        )  # fmt: skip
        # The portal's tables and some content, made as the guide makes them.
        app_env = {
            **env,
            "PORTAL_DATABASE_URL": url(name),
            "PORTAL_SECRET_KEY": "k" * 8 + secrets.token_urlsafe(40),
        }
        steps.shell(".venv/bin/flask db upgrade", env=app_env)
        steps.shell(
            ".venv/bin/flask users create-admin", stdin=_admin_answers("P9001"), env=app_env
        )

        # The dump, by hand and as the nightly cron line writes it.
        dump_cmd = (
            "pg_dump --format=custom --file=/var/backups/portal/portal-$(date +%F).dump portal"
        )
        steps.shell(dump_cmd, (dump_cmd, names(dump_cmd)))
        dumps = sorted(backups.glob("portal-*.dump"))
        assert len(dumps) == 1 and dumps[0].name == f"portal-{time.strftime('%Y-%m-%d')}.dump"
        dumps[0].unlink()
        cron_dump = "30 2 * * *  postgres  pg_dump --format=custom --file=/var/backups/portal/portal-$(date +\\%F).dump portal"
        steps.cron(
            cron_dump, "postgres", ("/var/backups/portal", str(backups)), (" portal", f" {name}")
        )
        (dump,) = backups.glob("portal-*.dump")
        old = backups / "portal-2026-01-01.dump"
        old.write_bytes(b"old")
        os.utime(old, (time.time() - 40 * 86400,) * 2)
        steps.cron(
            "45 2 * * *  postgres  find /var/backups/portal -name 'portal-*.dump' -mtime +30 -delete",
            "postgres",
            ("/var/backups/portal", str(backups)),
        )
        assert not old.exists() and dump.exists()  # 30 days kept, older ones gone

        # Restore into a fresh database and check it.
        for command in (
            "createdb --owner portal portal_restored",
            "pg_restore --dbname=portal_restored --no-owner --role=portal --exit-on-error /var/backups/portal/portal-2026-12-06.dump",
            "vacuumdb --analyze portal_restored",
        ):
            swapped = names(command.replace("portal-2026-12-06.dump", dump.name))
            steps.shell(command, (command, swapped))
        current_cmd = f"PORTAL_DATABASE_URL={_RESTORED_URL} .venv/bin/flask db current"
        current = steps.shell(
            current_cmd,
            ("postgresql+psycopg://portal:PASSWORD@db.internal:5432/", f"postgresql+psycopg://{name}:{role_password}@{host}/"),
            ("/portal_restored", f"/{name}_restored"),
            env=app_env,
        )  # fmt: skip
        assert "(최신)" in current.stdout
        counted = {}
        for database in ("portal_restored", "portal"):
            command = f"psql --dbname={database} {_COUNTS}"
            counted[database] = steps.shell(command, (command, names(command))).stdout
        assert counted["portal_restored"] == counted["portal"]
        assert re.search(r"accounts\s*\n-+\n\s*1\n", counted["portal"]), counted["portal"]

        # Swap, migrate, log in.
        for command in (
            "psql --command='ALTER DATABASE portal RENAME TO portal_before_restore'",
            "psql --command='ALTER DATABASE portal_restored RENAME TO portal'",
        ):
            steps.shell(command, (command, names(command)))
        steps.shell(".venv/bin/flask db upgrade", env=app_env)
        assert "(최신)" in steps.shell(".venv/bin/flask db current", env=app_env).stdout
        assert _logs_in(url(name), tmp_path, "P9001")
        steps.finish()
    finally:
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            for database in (name, f"{name}_restored", f"{name}_before_restore"):
                conn.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
            conn.execute(text(f'DROP ROLE IF EXISTS "{name}"'))
        admin.dispose()


# --------------------------------------------------------------------------------------------
# §12, SQLite: an online backup (what `cp` would miss), a restore, a login.


def test_sqlite_backup_and_restore_run_as_documented(tmp_path):
    live = tmp_path / "instance" / "portal.db"
    live.parent.mkdir()
    backups = tmp_path / "backups"
    backups.mkdir()
    env = _clean_env(tmp_path)
    env.update(PORTAL_DATABASE_URL=f"sqlite:///{live}", PORTAL_SECRET_KEY=secrets.token_urlsafe(48))
    steps = Steps("sqlite", env)
    steps.shell(".venv/bin/flask db upgrade")
    steps.shell(".venv/bin/flask users create-admin", stdin=_admin_answers("S9001"))

    # The portal is running: a change sits in the -wal file, not yet in portal.db.
    writer = sqlite3.connect(live)
    try:
        writer.execute("PRAGMA wal_autocheckpoint=0")
        writer.execute("UPDATE users SET name = '백업 확인' WHERE employee_number = 'S9001'")
        writer.commit()
        naive = tmp_path / "cp-copy.db"
        shutil.copyfile(live, naive)  # what the guide says not to do
        with sqlite3.connect(naive) as copy:
            assert copy.execute("SELECT name FROM users").fetchone() == ("관리자",)
        copy.close()

        backup_cmd = ".venv/bin/flask db backup /var/backups/portal/portal-$(date +%F-%H%M).db"
        made = steps.shell(backup_cmd, ("/var/backups/portal", str(backups)))
        (backup,) = backups.glob("portal-*.db")
        assert re.fullmatch(r"portal-\d{4}-\d{2}-\d{2}-\d{4}\.db", backup.name)
        assert f"백업했습니다: {backup}" in made.stdout and "계정 1개" in made.stdout
        assert backup.stat().st_mode & 0o077 == 0  # personal data: owner only
        manual = "sqlite3 instance/portal.db \".backup '/var/backups/portal/portal-manual.db'\""
        if shutil.which("sqlite3"):
            steps.shell(
                manual, ("instance/portal.db", str(live)), ("/var/backups/portal", str(backups))
            )
        else:
            steps.skip(manual, "the sqlite3 command is not installed")
    finally:
        writer.close()
    for copy_path in [backup, backups / "portal-manual.db"]:
        if copy_path.exists():
            with sqlite3.connect(copy_path) as copy:
                assert copy.execute("SELECT name FROM users").fetchone() == ("백업 확인",)
            copy.close()
    # After the backup, the accounts are lost: the restore brings them back.
    with sqlite3.connect(live) as connection:
        connection.execute("DELETE FROM users")
    connection.close()
    assert not _logs_in(f"sqlite:///{live}", tmp_path, "S9001")
    restore_cmd = ".venv/bin/flask db restore /var/backups/portal/portal-2026-12-06-0300.db"
    restored = steps.shell(
        restore_cmd, ("/var/backups/portal/portal-2026-12-06-0300.db", str(backup)), stdin="y\n"
    )
    assert "계정 1개" in restored.stdout and f"복구했습니다: {live}" in restored.stdout
    steps.shell(".venv/bin/flask db upgrade")
    assert "(최신)" in steps.shell(".venv/bin/flask db current").stdout
    assert _logs_in(f"sqlite:///{live}", tmp_path, "S9001")
    steps.finish()


# --------------------------------------------------------------------------------------------
# README.md, "Deployment".


@pytest.fixture(scope="module")
def readme_database(tmp_path_factory) -> Iterator[str]:
    yield from scratch_database(tmp_path_factory, "readme")


def test_the_readme_deployment_commands_run_as_written(tmp_path, readme_database):
    port = _free_port()
    steps = Steps("readme", _clean_env(tmp_path))
    steps.environment("export PORTAL_ENV=production")
    steps.environment(
        "export PORTAL_SECRET_KEY=\"$(python3 -c 'import secrets; print(secrets.token_urlsafe(48))')\""
    )
    steps.environment(
        "export PORTAL_DATABASE_URL=postgresql+psycopg://portal:PASSWORD@db.internal/portal",
        ("postgresql+psycopg://portal:PASSWORD@db.internal/portal", readme_database),
    )
    steps.environment(
        "export PORTAL_RATELIMIT_STORAGE_URI=redis://redis.internal:6379/0",
        ("redis://redis.internal:6379/0", REDIS_URL or CLOSED_REDIS),
    )
    steps.environment("export PORTAL_TRUSTED_PROXY_COUNT=1")
    assert len(steps.env["PORTAL_SECRET_KEY"]) >= 60
    steps.shell(".venv/bin/flask db upgrade")
    steps.shell(".venv/bin/flask users create-admin", stdin=_admin_answers("R9001"))
    steps.env["PORT"] = str(port)  # "PORT=8000 by default": a free one here
    serve = steps.start("make serve-prod   # PORT=8000 by default; see below")
    if readme_database.startswith("postgresql") and REDIS_URL:
        try:
            assert '"database":"ok"' in _wait_ready(serve, port).replace(" ", "")
        finally:
            _stop(serve)
    else:
        out, err = serve.communicate(timeout=180)
        assert serve.returncode != 0 and "운영 서버를 시작하지 않았습니다" in err, out + err
    assert _logs_in(readme_database, tmp_path, "R9001")
    steps.finish()


# --------------------------------------------------------------------------------------------
# §4: the nginx example, checked by Debian's nginx (scripts/ensure-nginx.sh, run by make test).


def test_the_nginx_example_passes_nginx_t(tmp_path):
    from tests.functional.test_model_ca_tls import make_certificates

    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    assert Path(nginx).exists(), "nginx is missing: run `make test` or scripts/ensure-nginx.sh"
    markdown = (ROOT / "docs/deployment.md").read_text(encoding="utf-8")
    (config,) = [body for lang, _n, body in _blocks(markdown) if lang == "nginx"]
    certs = make_certificates(tmp_path)
    site = sub(
        "\n".join(config),
        ("/etc/nginx/tls/ai-edu.sejong.go.kr.crt", str(certs["cert"])),
        ("/etc/nginx/tls/ai-edu.sejong.go.kr.key", str(certs["key"])),
        ("app1.internal:8000", "127.0.0.1:8001"),
        ("app2.internal:8000", "127.0.0.1:8002"),
        ("listen 80;", f"listen 127.0.0.1:{_free_port()};"),
        ("listen 443 ssl;", f"listen 127.0.0.1:{_free_port()} ssl;"),
    )
    # The example's directives as written: a typo or a directive in the wrong place fails.
    assert "proxy_buffering off;" in site and "proxy_set_header X-Forwarded-Proto" in site
    main = tmp_path / "nginx.conf"
    main.write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n access_log off;\n{site}\n}}\n",
        encoding="utf-8",
    )
    done = subprocess.run(
        [nginx, "-t", "-p", str(tmp_path), "-c", str(main)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert "test is successful" in done.stderr

    broken = tmp_path / "broken.conf"
    broken.write_text(
        main.read_text(encoding="utf-8").replace("proxy_buffering off;", "proxy_buffering of;")
    )
    refused = subprocess.run(
        [nginx, "-t", "-p", str(tmp_path), "-c", str(broken)], capture_output=True, text=True
    )
    assert refused.returncode != 0  # the check really reads the example
