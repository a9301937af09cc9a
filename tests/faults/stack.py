"""The processes a fault scenario runs and breaks: PostgreSQL, Redis, SMTP and the portal.

Everything binds to 127.0.0.1 on a free port and lives in one temporary directory, so the
machine's own services (PostgreSQL on 5432, Redis on 6379) are never stopped.
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import secrets
import shutil
import signal
import socket
import socketserver
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = ROOT / ".venv" / "bin"
LOOPBACK = "127.0.0.1"


def say(message: str) -> None:
    """One line of the scenario's story on stdout, with the time."""
    print(f"[faults {time.strftime('%H:%M:%S')}] {message}", flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return sock.getsockname()[1]


def wait_until(check, timeout: float, interval: float = 0.2) -> bool:
    """Call check() until it returns true or timeout seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):
            if check():
                return True
        time.sleep(interval)
    return False


def port_open(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((LOOPBACK, port), timeout=0.5):
        return True
    return False


# --------------------------------------------------------------------------- PostgreSQL


def _postgres_bindir() -> Path:
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4])
    )
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    raise RuntimeError("initdb was not found (Debian: apt-get install postgresql)")


class PostgresCluster:
    """A PostgreSQL cluster of our own: initdb in a temporary directory, pg_ctl start/stop.

    PostgreSQL refuses to run as root, so as root the server runs as the postgres user.
    """

    def __init__(self, base: Path) -> None:
        self.bindir = _postgres_bindir()
        self.datadir = base / "pgdata"
        self.port = free_port()
        self._as_postgres = os.geteuid() == 0
        self.datadir.mkdir(mode=0o700)
        if self._as_postgres:
            shutil.chown(self.datadir, "postgres", "postgres")
            os.chmod(base, 0o755)  # noqa: S103 - the postgres user must reach its data directory

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        command = [str(self.bindir / args[0]), *args[1:]]
        if self._as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        result = subprocess.run(
            command, stdin=subprocess.DEVNULL, capture_output=True, text=True, check=False
        )
        if check and result.returncode != 0:
            raise RuntimeError(f"{args[0]} failed ({result.returncode}): {result.stderr.strip()}")
        return result

    def init(self) -> None:
        self._run(
            "initdb",
            "-D",
            str(self.datadir),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        )

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.datadir} -c listen_addresses={LOOPBACK} "
            "-c fsync=off -c full_page_writes=off -c max_connections=200"
        )
        self._run(
            "pg_ctl",
            "-D",
            str(self.datadir),
            "-l",
            str(self.datadir / "server.log"),
            "-w",
            "-t",
            "60",
            "-o",
            options,
            "start",
        )

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.datadir), "-m", mode, "-w", "-t", "60", "stop")

    def running(self) -> bool:
        return self._run("pg_ctl", "-D", str(self.datadir), "status", check=False).returncode == 0

    def url(self, database: str = "portal") -> str:
        return f"postgresql+psycopg://postgres@{LOOPBACK}:{self.port}/{database}"

    def execute(self, sql: str, database: str = "postgres") -> list[tuple]:
        import psycopg

        dsn = f"postgresql://postgres@{LOOPBACK}:{self.port}/{database}"
        with psycopg.connect(dsn, autocommit=True, connect_timeout=5) as conn:
            cursor = conn.execute(sql)
            return cursor.fetchall() if cursor.description else []

    def close(self) -> None:
        if self.running():
            self.stop("immediate")


# --------------------------------------------------------------------------- Redis


class RedisServer:
    """redis-server on its own port, nothing kept on disk; stop() and start() again."""

    def __init__(self, base: Path) -> None:
        self.port = free_port()
        self.dir = base / "redis"
        self.dir.mkdir()
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        executable = shutil.which("redis-server")
        if executable is None:
            raise RuntimeError("redis-server was not found (Debian: apt-get install redis-server)")
        self.process = subprocess.Popen(
            [
                executable,
                "--port",
                str(self.port),
                "--bind",
                LOOPBACK,
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.dir),
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        if not wait_until(lambda: port_open(self.port), 15):
            raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=15)
        self.process = None

    def url(self, database: int = 0) -> str:
        return f"redis://{LOOPBACK}:{self.port}/{database}"

    def close(self) -> None:
        self.stop()


# --------------------------------------------------------------------------- SMTP


class _SmtpHandler(socketserver.StreamRequestHandler):
    """Just enough SMTP (RFC 5321) for smtplib: EHLO, MAIL, RCPT, DATA, RSET, NOOP, QUIT."""

    def _reply(self, line: str) -> None:
        self.wfile.write(line.encode("ascii") + b"\r\n")

    def handle(self) -> None:
        server: SmtpServer = self.server.owner  # type: ignore[attr-defined]
        self._reply("220 faults.local ESMTP")
        recipients: list[str] = []
        while True:
            line = self.rfile.readline(65536)
            if not line:
                return
            verb = line.decode("ascii", "replace").strip().split(" ", 1)[0].upper()
            if verb == "EHLO":
                self._reply("250-faults.local")
                self._reply("250 8BITMIME")
            elif verb == "HELO" or verb == "NOOP":
                self._reply("250 OK")
            elif verb == "MAIL":
                recipients = []
                self._reply("250 OK")
            elif verb == "RCPT":
                recipients.append(line.decode("ascii", "replace"))
                self._reply("250 OK")
            elif verb == "RSET":
                recipients = []
                self._reply("250 OK")
            elif verb == "DATA":
                self._reply("354 End data with <CR><LF>.<CR><LF>")
                lines = []
                while (data := self.rfile.readline(1 << 20)) not in (b".\r\n", b".\n", b""):
                    lines.append(data)
                server.received.append(b"".join(lines))
                self._reply("250 OK queued")
            elif verb == "QUIT":
                self._reply("221 Bye")
                return
            else:
                self._reply("502 Command not implemented")


class SmtpServer:
    """A small SMTP server on a fixed loopback port that can be stopped and started again."""

    def __init__(self) -> None:
        self.port = free_port()
        self.received: list[bytes] = []
        self._server: socketserver.ThreadingTCPServer | None = None

    def start(self) -> None:
        socketserver.ThreadingTCPServer.allow_reuse_address = True
        server = socketserver.ThreadingTCPServer((LOOPBACK, self.port), _SmtpHandler)
        server.daemon_threads = True
        server.owner = self  # type: ignore[attr-defined]
        threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
        ).start()
        self._server = server

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def close(self) -> None:
        self.stop()


# --------------------------------------------------------------------------- the portal


@dataclass
class Portal:
    """The portal as production runs it: `make serve-prod` (pre-flight, then gunicorn)."""

    env: dict[str, str]
    log_path: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    @property
    def base(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def flask(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        """A `flask` command with the portal's settings; its output is returned."""
        result = subprocess.run(
            [str(BIN / "flask"), *args],
            cwd=ROOT,
            env=self.env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            check=False,
        )
        if check and result.returncode != 0:
            raise RuntimeError(f"flask {' '.join(args)} failed: {result.stderr[-2000:]}")
        return result

    def step(self, name: str, **given: object) -> dict:
        """Run tests/faults/portal_steps.py NAME in a process with the portal's settings."""
        result = subprocess.run(
            [str(BIN / "python"), "-m", "tests.faults.portal_steps", name, json.dumps(given)],
            cwd=ROOT,
            env=self.env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(f"portal step {name} failed: {result.stderr[-3000:]}")
        return json.loads(result.stdout.strip().splitlines()[-1])

    def start(self, timeout: float = 90) -> None:
        env = dict(self.env, PORT=f"{LOOPBACK}:{self.port}")
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                ["make", "--no-print-directory", "serve-prod"],
                cwd=ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        if not wait_until(lambda: self.get_status("/readyz") == 200, timeout, 0.3):
            self.stop()
            raise RuntimeError(f"make serve-prod did not become ready:\n{self.log_tail()}")

    def get_status(self, path: str) -> int | None:
        try:
            with urllib.request.urlopen(self.base + path, timeout=5) as response:
                return response.status
        except urllib.error.HTTPError as err:
            return err.code
        except OSError:
            return None

    def master_pid(self) -> int | None:
        """gunicorn's master: the child of `make` (the recipe's shell execs gunicorn)."""
        assert self.process is not None
        for pid in _children(self.process.pid):
            if b"gunicorn" in _cmdline(pid):
                return pid
        return None

    def worker_pids(self) -> list[int]:
        master = self.master_pid()
        return _children(master) if master is not None else []

    def stop(self) -> None:
        process = self.process
        if process is None or process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)

    def log_text(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

    def close(self) -> None:
        self.stop()


def _children(pid: int) -> list[int]:
    try:
        return [
            int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        ]
    except OSError:
        return []


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def portal_environment(
    tmp: Path, database_url: str, redis_url: str, smtp_port: int, models: list[dict]
) -> dict[str, str]:
    """Production settings for `make serve-prod`; only the PORTAL_* given here apply."""
    config = tmp / "no-instance-config.py"
    config.write_text("", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PORTAL_", "FLASK_"))}
    env.update(
        {
            "FLASK_APP": "wsgi.py",
            "PORTAL_ENV": "production",
            "PORTAL_CONFIG": str(config),
            "PORTAL_SECRET_KEY": secrets.token_urlsafe(48),
            "PORTAL_DATABASE_URL": database_url,
            "PORTAL_RATELIMIT_STORAGE_URI": redis_url,
            "PORTAL_SMTP_HOST": LOOPBACK,
            "PORTAL_SMTP_PORT": str(smtp_port),
            "PORTAL_SMTP_USE_TLS": "false",
            "PORTAL_ASSISTANT_MODELS": json.dumps(models),
            "PORTAL_ASSISTANT_TIMEOUT_SECONDS": "8",
            "WEB_CONCURRENCY": "3",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def python() -> str:
    return str(BIN / "python") if (BIN / "python").exists() else sys.executable
