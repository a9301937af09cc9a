"""What the benchmarks share: gunicorn servers on loopback, a small keep-alive HTTP
client that keeps its cookies, and a timed load loop."""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
LOOPBACK = "127.0.0.1"


def progress(message: str) -> None:
    """One line per phase on stderr; stdout is kept for the results table."""
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return sock.getsockname()[1]


def run_command(command: list[str], env: dict[str, str], what: str) -> None:
    """Run a setup step (flask db upgrade, a portal-side step) with its output on stderr."""
    completed = subprocess.run(
        command, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=sys.stderr, check=False
    )
    if completed.returncode != 0:
        raise RuntimeError(f"{what} failed with exit code {completed.returncode}")


# --------------------------------------------------------------------------- HTTP


@dataclass(frozen=True)
class Response:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    @property
    def location(self) -> str:
        return self.headers.get("Location", "")


class Client:
    """One browser-like client: one keep-alive connection and its own cookies."""

    def __init__(self, port: int, cookies: dict[str, str] | None = None, timeout: float = 60):
        self.port = port
        self.cookies = dict(cookies or {})
        self._timeout = timeout
        self._conn: http.client.HTTPConnection | None = None

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def request(
        self,
        method: str,
        path: str,
        form: dict[str, str] | None = None,
        extra_headers: dict[str, str] | None = None,
    ) -> Response:
        headers = {"Host": f"{LOOPBACK}:{self.port}", "Accept-Language": "ko"}
        headers.update(extra_headers or {})
        body = None
        if form is not None:
            body = urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        # A keep-alive connection the server has closed fails on first use; retry once
        # on a fresh one (the request never reached the application).
        for attempt in (1, 2):
            if self._conn is None:
                self._conn = http.client.HTTPConnection(LOOPBACK, self.port, timeout=self._timeout)
            try:
                self._conn.request(method, path, body=body, headers=headers)
                raw = self._conn.getresponse()
                response = Response(raw.status, raw.headers, raw.read())
                break
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                self.close()
                if attempt == 2:
                    raise
        self._store_cookies(response.headers)
        if response.headers.get("Connection", "").lower() == "close":
            self.close()
        return response

    def _store_cookies(self, headers: http.client.HTTPMessage) -> None:
        for header in headers.get_all("Set-Cookie") or []:
            jar: SimpleCookie = SimpleCookie()
            jar.load(header)
            for name, morsel in jar.items():
                if morsel["max-age"] == "0" or not morsel.value:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value


class _CsrfFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.token: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "input" and values.get("name") == "csrf_token" and self.token is None:
            self.token = values.get("value")


def csrf_token(html: bytes) -> str:
    finder = _CsrfFinder()
    finder.feed(html.decode("utf-8", errors="replace"))
    if not finder.token:
        raise RuntimeError("no csrf_token input on the page")
    return finder.token


def open_login_page(port: int) -> tuple[Client, str]:
    """GET /auth/login: a client holding the anonymous session cookie, and its CSRF token."""
    client = Client(port)
    page = client.request("GET", "/auth/login")
    if page.status != 200:
        raise RuntimeError(f"GET /auth/login answered {page.status}")
    return client, csrf_token(page.body)


def submit_login(client: Client, token: str, login: str, password: str) -> Response:
    return client.request(
        "POST", "/auth/login", form={"csrf_token": token, "login": login, "password": password}
    )


def login_succeeded(response: Response) -> bool:
    """The portal answers a good login with a redirect to the home page."""
    return response.status == 302 and urlsplit(response.location).path == "/"


def log_in(port: int, login: str, password: str) -> dict[str, str]:
    """Log in once over HTTP; returns the session cookies."""
    client, token = open_login_page(port)
    try:
        response = submit_login(client, token, login, password)
        if not login_succeeded(response):
            raise RuntimeError(f"logging in as {login} failed (HTTP {response.status})")
        return dict(client.cookies)
    finally:
        client.close()


# --------------------------------------------------------------------------- load


@dataclass(frozen=True)
class LoadResult:
    ok: int
    errors: int
    seconds: float
    first_error: str | None

    @property
    def per_second(self) -> float:
        return self.ok / self.seconds if self.seconds > 0 else 0.0


def timed_load(
    make_client: Callable[[], Client],
    path: str,
    *,
    threads: int,
    seconds: float,
    expect_status: int = 200,
    max_requests_per_thread: int = 1_000_000,
) -> LoadResult:
    """Keep `threads` keep-alive clients busy with GET `path` for `seconds`."""
    counts = [0] * threads
    errors = [0] * threads
    first_error: list[str] = []
    start = threading.Barrier(threads + 1)
    deadline = [0.0]

    def work(index: int) -> None:
        client = make_client()
        try:
            start.wait()
            for _ in range(max_requests_per_thread):
                if time.perf_counter() >= deadline[0]:
                    break
                try:
                    response = client.request("GET", path)
                except (OSError, http.client.HTTPException) as err:
                    errors[index] += 1
                    first_error.append(f"{type(err).__name__}: {err}")
                    client.close()
                    continue
                if response.status == expect_status:
                    counts[index] += 1
                else:
                    errors[index] += 1
                    first_error.append(f"HTTP {response.status}")
        finally:
            client.close()

    workers = [threading.Thread(target=work, args=(i,), daemon=True) for i in range(threads)]
    for worker in workers:
        worker.start()
    began = time.perf_counter()
    deadline[0] = began + seconds
    start.wait()
    for worker in workers:
        worker.join(timeout=seconds + 120)
    elapsed = time.perf_counter() - began
    return LoadResult(sum(counts), sum(errors), elapsed, first_error[0] if first_error else None)


# --------------------------------------------------------------------------- servers


@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen
    log_path: Path

    def log_tail(self, lines: int = 20) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


def _wait_ready(server: Server, path: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(
                f"{server.name} server exited with {server.process.returncode}:\n"
                f"{server.log_tail()}"
            )
        with contextlib.suppress(OSError, http.client.HTTPException):
            conn = http.client.HTTPConnection(LOOPBACK, server.port, timeout=2)
            try:
                conn.request("GET", path)
                if conn.getresponse().status == 200:
                    return
            finally:
                conn.close()
        time.sleep(0.1)
    raise RuntimeError(
        f"{server.name} server not ready after {timeout:.0f} s:\n{server.log_tail()}"
    )


def _stop(server: Server) -> None:
    process = server.process
    if process.poll() is not None:
        return
    # SIGINT is gunicorn's quick shutdown: the measuring is over, nothing to drain.
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        # The server runs in its own process group (started below); end that group.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


@contextlib.contextmanager
def gunicorn(
    name: str, app_spec: str, env: dict[str, str], log_dir: Path, ready_path: str
) -> Iterator[Server]:
    """Serve `app_spec` with the committed gunicorn.conf.py on a free loopback port.

    The server is always stopped on the way out, Ctrl-C included. It gets its own
    process group, so Ctrl-C reaches only this script, which then stops it cleanly.
    """
    port = free_port()
    log_path = log_dir / f"{name}-server.log"
    server_env = dict(env, PORT=f"{LOOPBACK}:{port}")
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [str(ROOT / ".venv/bin/gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"), app_spec],
            cwd=ROOT,
            env=server_env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = Server(name, port, process, log_path)
    try:
        _wait_ready(server, ready_path, timeout=60)
        yield server
    finally:
        _stop(server)


# --------------------------------------------------------------------------- argon2id


def timed_verify(stored_hash: str, password: str) -> tuple[bool, float]:
    """One portal.auth.passwords.verify_password call: (matched, milliseconds).

    Runs in a worker process of the benchmark's pool, so it imports lazily.
    """
    from portal.auth.passwords import verify_password

    started = time.perf_counter()
    matched = verify_password(stored_hash, password)
    return matched, (time.perf_counter() - started) * 1000
