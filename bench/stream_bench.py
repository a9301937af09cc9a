"""The streaming assistant over HTTP: time to first token, and 300 open streams beside a page.

The runner (bench/run.py) calls `benchmarks(base_env, tmp)`. Everything that touches the
portal's models runs in a subprocess with the benchmark database's PORTAL_* environment
(`python -m bench.stream_bench setup|verify IN.json OUT.json`), and the 300 streams are held
by another subprocess (`python -m bench.stream_bench hold IN.json OUT.json`, one asyncio loop
on raw sockets), so the process that times the page probe does nothing else meanwhile.

What one run does:

- two fake OpenAI-compatible servers (tests/fakes/openai_server.py, each its own process):
  a quick one for time to first token (50 ms before the first token) and a slow one for
  the 300 long answers (350 chunks 100 ms apart); the portal reaches them through the real
  `openai` SDK, configured with PORTAL_ASSISTANT_MODELS and enabled in the database;
- a fresh SQLite database (or a scratch PostgreSQL one): `flask db upgrade`, `flask courses
  sync` (the document types), then USERS staff who accepted the policy, one workspace per
  answer to stream, and limits raised so the daily message limit does not end the run;
- for each server variant (the committed gunicorn.conf.py first, then the comparison
  variants, set through GUNICORN_WORKER_CLASS / GUNICORN_THREADS), a gunicorn server:
  time to first token through the portal and straight from the fake server, alternating;
  then 300 streams opened over RAMP_S seconds and, once all are open, a sequential probe
  of the logged-in home page and /healthz.

Only the committed configuration's lines have targets; the comparison variants' lines are
INFO. Every process started here (fake servers, gunicorn, the stream holder) is stopped on
the way out, whatever happened.
"""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import json
import os
import queue
import resource
import runpy
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from portal.assistant.workspace import conversations, policy

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as `python -m bench.stream_bench` from ROOT
    sys.path.insert(0, str(ROOT))

from bench import harness  # noqa: E402
from bench.enrol_burst import page_csrf_token  # noqa: E402
from bench.harness import LOOPBACK, progress  # noqa: E402
from bench.harness import run_command as _run  # noqa: E402
from bench.report import Result, Target, judge  # noqa: E402

BIN = ROOT / ".venv" / "bin"
WORKER_CLASS_VARIABLE = "GUNICORN_WORKER_CLASS"  # read by gunicorn.conf.py
THREADS_VARIABLE = "GUNICORN_THREADS"  # read by gunicorn.conf.py
GUNICORN_VARIABLES = (WORKER_CLASS_VARIABLE, THREADS_VARIABLE)
WORKER_CLASSES = ("gevent", "gthread")  # the committed one is judged, the other compared

USERS = 50  # staff logged in over HTTP; the streams are spread over them
PASSWORD = "Bench!2026stream"
LOGIN_PREFIX = "BS"  # employee numbers BS0001 … BS0050
LOGIN_CLIENTS = 8
QUESTION = "공유 자전거 사업 추진 계획 보고서의 개요를 잡아 주세요."

# Time to first token: TTFT_REQUESTS sequential answers through the portal, each paired
# with one request straight to the fake server, after TTFT_WARMUP unmeasured ones (every
# worker builds its SDK client on its first answer).
TTFT_MODEL = "bench-ttft"
TTFT_REQUESTS = 50
TTFT_WARMUP = 10
TTFT_FIRST_DELAY_S = 0.05
TTFT_CHUNKS = 8
TTFT_CHUNK_DELAY_S = 0.005
TTFT_TARGET = Target("<=", 30)

# 300 streams: slow answers (35 s each) opened over RAMP_S seconds, like 300 people
# pressing "보내기" within ten seconds; once all are open, a sequential probe asks for the
# logged-in home page PROBES times (and /healthz after every other one), and stops when
# the first stream ends.
STREAM_MODEL = "bench-slow"
STREAMS = 300
RAMP_S = 10.0
STREAM_CHUNKS = 350
STREAM_CHUNK_DELAY_S = 0.1
STREAM_FIRST_DELAY_S = 0.1
PROBES = 200
IDLE_PROBES = 30  # the same probe on the idle server first, for comparison
PROBE_PAUSE_S = 0.005
PROBE_TIMEOUT_S = 10.0
PROBE_PHASE_S = 30.0  # the probe gives up after this long (gthread queues it behind streams)
OPEN_WAIT_S = RAMP_S + 15.0  # time given to all streams to start before probing anyway
HOLD_DEADLINE_S = RAMP_S + STREAM_CHUNKS * STREAM_CHUNK_DELAY_S + 15.0  # then the holder quits
PAGE_TARGET = Target("<=", 200)
COMPLETED_TARGET = Target("==", STREAMS)
POST_CLIENTS = 8  # concurrent "send" requests preparing the pending answers (not timed)

REPLY_TEXT = (
    "□ 추진 배경\n ○ 시민의 단거리 이동 수요가 늘어 공유 자전거 확충이 필요합니다.\n"
    "  - 대여소 이용률과 민원 자료(확인 필요)를 근거로 우선 지역을 정합니다.\n"
    "□ 추진 내용\n ○ 1단계: 시범 대여소 20곳 설치, 2단계: 이용 실적을 보고 확대합니다.\n"
    "  - 정비와 재배치는 위탁하고, 성과 지표는 분기마다 점검합니다.\n"
    "□ 기대 효과\n ○ 교통 혼잡 완화와 탄소 배출 감소(수치 확인 필요)를 기대합니다.\n"
    "  - 시민 만족도 조사를 연 1회 실시해 운영에 반영합니다.\n"
)
STREAM_REPLY_TEXT = REPLY_TEXT * 2  # 530 characters: STREAM_CHUNKS pieces of 1-2


# --------------------------------------------------------------------------- raw HTTP


class ResponseParser:
    """An HTTP/1.1 response fed in pieces: status, headers, the body (chunked, sized or
    until close) and, for text/event-stream bodies, the Server-Sent Events."""

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._mode = "headers"
        self._remaining = 0
        self._events = bytearray()
        self.status: int | None = None
        self.headers: dict[str, str] = {}
        self.body = bytearray()
        self.complete = False

    @property
    def keep_alive(self) -> bool:
        return self.headers.get("connection", "").lower() != "close"

    def feed(self, data: bytes) -> list[tuple[str, str]]:
        """Take more bytes; returns the (event, data) pairs they completed."""
        self._buffer += data
        events: list[tuple[str, str]] = []
        while not self.complete and self._step(events):
            pass
        return events

    def eof(self) -> list[tuple[str, str]]:
        """The server closed the connection; a body read until close is then complete."""
        events: list[tuple[str, str]] = []
        if self._mode == "close":
            self._take(bytes(self._buffer), events)
            self._buffer.clear()
            self.complete = True
        return events

    def _step(self, events: list[tuple[str, str]]) -> bool:
        buffer = self._buffer
        if self._mode == "headers":
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                return False
            head = bytes(buffer[:end]).decode("latin-1").split("\r\n")
            del buffer[: end + 4]
            self.status = int(head[0].split(" ", 2)[1])
            for line in head[1:]:
                name, _, value = line.partition(":")
                self.headers[name.strip().lower()] = value.strip()
            if "chunked" in self.headers.get("transfer-encoding", "").lower():
                self._mode = "size"
            elif "content-length" in self.headers:
                self._remaining = int(self.headers["content-length"])
                self._mode = "sized"
                self.complete = self._remaining == 0
            else:
                self._mode = "close"
            return True
        if self._mode == "size":
            end = buffer.find(b"\r\n")
            if end < 0:
                return False
            size = int(bytes(buffer[:end]).split(b";")[0].strip() or b"0", 16)
            del buffer[: end + 2]
            self._remaining = size
            self._mode = "data" if size else "trailer"
            return True
        if self._mode in ("data", "sized"):
            if not buffer:
                return False
            piece = bytes(buffer[: self._remaining])
            del buffer[: len(piece)]
            self._remaining -= len(piece)
            self._take(piece, events)
            if self._remaining == 0:
                if self._mode == "data":
                    self._mode = "crlf"
                else:
                    self.complete = True
            return True
        if self._mode == "crlf":
            if len(buffer) < 2:
                return False
            del buffer[:2]
            self._mode = "size"
            return True
        if self._mode == "trailer":
            end = buffer.find(b"\r\n")
            if end < 0:
                return False
            del buffer[: end + 2]
            self.complete = end == 0  # an empty line ends the trailer
            return True
        return False  # "close": everything waits for eof()

    def _take(self, piece: bytes, events: list[tuple[str, str]]) -> None:
        self.body += piece
        if "text/event-stream" not in self.headers.get("content-type", ""):
            return
        self._events += piece
        while True:
            end = self._events.find(b"\n\n")
            if end < 0:
                return
            block = bytes(self._events[:end]).decode("utf-8")
            del self._events[: end + 2]
            name, data = "message", []
            for line in block.split("\n"):
                if line.startswith("event:"):
                    name = line[6:].strip()
                elif line.startswith("data:"):
                    data.append(line[5:].removeprefix(" "))
            events.append((name, "\n".join(data)))


def request_bytes(
    port: int, method: str, path: str, headers: dict[str, str], body: bytes = b""
) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: {LOOPBACK}:{port}", "Accept-Language: ko"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


@dataclass
class Exchange:
    """One request and its answer, with monotonic timestamps of every event."""

    sent_at: float
    status: int
    body: bytes
    events: list[tuple[float, str, str]]


class RawConnection:
    """A blocking keep-alive connection that hands back every SSE event with its time."""

    def __init__(self, port: int, timeout: float = 60.0) -> None:
        self.port = port
        self.timeout = timeout
        self._sock: socket.socket | None = None

    def close(self) -> None:
        if self._sock is not None:
            with contextlib.suppress(OSError):
                self._sock.close()
            self._sock = None

    def request(
        self, method: str, path: str, headers: dict[str, str], body: bytes = b""
    ) -> Exchange:
        data = request_bytes(self.port, method, path, headers, body)
        for attempt in (1, 2):
            fresh = self._sock is None
            if fresh:
                self._sock = socket.create_connection((LOOPBACK, self.port), self.timeout)
                self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            try:
                return self._exchange(self._sock, data)
            except (ConnectionError, EOFError):
                self.close()
                if fresh or attempt == 2:  # a reused connection may have been closed idle
                    raise
        raise AssertionError("unreachable")

    def _exchange(self, sock: socket.socket, data: bytes) -> Exchange:
        parser = ResponseParser()
        events: list[tuple[float, str, str]] = []
        sent_at = time.monotonic()
        sock.sendall(data)
        while not parser.complete:
            chunk = sock.recv(65536)
            now = time.monotonic()
            if not chunk:
                found = parser.eof()
                if not parser.complete:
                    raise EOFError("the server closed the connection mid-answer")
            else:
                found = parser.feed(chunk)
            events.extend((now, name, payload) for name, payload in found)
        if not parser.keep_alive:
            self.close()
        assert parser.status is not None
        return Exchange(sent_at, parser.status, bytes(parser.body), events)


# --------------------------------------------------------------------------- processes


@dataclass(frozen=True)
class FakeServer:
    base_url: str  # http://127.0.0.1:PORT/v1
    pid: int

    @property
    def port(self) -> int:
        return int(self.base_url.rsplit(":", 1)[1].split("/")[0])


@contextlib.contextmanager
def fake_openai(name: str, tmp: Path, **reply: float | int | str) -> Iterator[FakeServer]:
    """The fake OpenAI-compatible server in its own process."""
    command = [str(BIN / "python"), "-m", "tests.fakes.openai_server", "--port", "0"]
    for option, value in reply.items():
        command += [f"--{option.replace('_', '-')}", str(value)]
    log_path = tmp / f"{name}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=log,
            start_new_session=True,  # Ctrl-C reaches this script only, which stops it
        )
    try:
        assert process.stdout is not None
        line = _read_line(process.stdout, timeout=30)
        if not line.startswith("http://"):
            raise RuntimeError(f"{name} did not start: {line!r} {log_path.read_text()[-500:]}")
        yield FakeServer(line, process.pid)
    finally:
        _end_process(process)


def _read_line(stream: Any, timeout: float) -> str:
    """The next line of a child's stdout, or "" after `timeout` seconds or at its end."""
    lines: queue.Queue[str] = queue.Queue()
    reader = threading.Thread(
        target=lambda: lines.put(stream.readline().decode("utf-8", "replace")), daemon=True
    )
    reader.start()
    try:
        return lines.get(timeout=timeout).strip()
    except queue.Empty:
        return ""


def _end_process(process: subprocess.Popen) -> None:
    """SIGTERM, then SIGKILL to the whole process group if it lingers."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)
    for stream in (process.stdout, process.stderr):
        if stream is not None:
            stream.close()


_TICKS = os.sysconf("SC_CLK_TCK")


def _process_tree(root: int) -> list[int]:
    """`root` and its descendants (gunicorn's workers), from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                stat = (entry / "stat").read_text()
                parent = int(stat.rsplit(")", 1)[1].split()[1])
                children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def _cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds used so far by these processes (those still running)."""
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / _TICKS


def _machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine so far, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    idle = values[3] + values[4]  # idle, iowait
    return (sum(values) - idle) / _TICKS, sum(values) / _TICKS


class CpuMeter:
    """CPU used by named process trees between start() and stop(), as % of one core,
    and how busy the whole machine was (every tenant included), as % of all cores."""

    def __init__(self, roots: dict[str, int]) -> None:
        self._trees = {name: _process_tree(pid) for name, pid in roots.items()}
        self._began = 0.0
        self._cpu: dict[str, float] = {}
        self._machine = (0.0, 0.0)

    def start(self) -> None:
        self._began = time.monotonic()
        self._cpu = {name: _cpu_seconds(pids) for name, pids in self._trees.items()}
        self._machine = _machine_busy()

    def stop(self) -> dict[str, float]:
        wall = time.monotonic() - self._began
        used = {
            f"{name}_cpu_percent": round(100 * (_cpu_seconds(pids) - self._cpu[name]) / wall, 1)
            for name, pids in self._trees.items()
        }
        busy, total = _machine_busy()
        share = (busy - self._machine[0]) / max(total - self._machine[1], 1e-9)
        used["machine_busy_percent"] = round(100 * share, 1)
        used["cores"] = len(os.sched_getaffinity(0))
        return used


def _portal_step(step: str, env: dict[str, str], data: Any, tmp: Path) -> Any:
    """Run `python -m bench.stream_bench STEP IN OUT` against env's database; returns OUT."""
    given, out = tmp / f"stream-{step}-in.json", tmp / f"stream-{step}-out.json"
    given.write_text(json.dumps(data), encoding="utf-8")
    command = [str(BIN / "python"), "-m", "bench.stream_bench", step, str(given), str(out)]
    _run(command, env, f"stream bench {step}")
    return json.loads(out.read_text(encoding="utf-8"))


def gunicorn_settings(env: dict[str, str]) -> dict[str, Any]:
    """What gunicorn.conf.py sets with this environment (workers, class, threads...)."""
    saved = dict(os.environ)
    try:
        os.environ.clear()
        os.environ.update(env)
        conf = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    finally:
        os.environ.clear()
        os.environ.update(saved)
    keys = ("worker_class", "workers", "threads", "worker_connections", "timeout")
    return {k: conf.get(k) for k in keys}


# --------------------------------------------------------------------------- statistics


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def _summary(values: list[float], prefix: str) -> dict[str, float | None]:
    if not values:
        return {f"{prefix}_p50_ms": None, f"{prefix}_p95_ms": None, f"{prefix}_max_ms": None}
    return {
        f"{prefix}_p50_ms": round(statistics.median(values), 1),
        f"{prefix}_p95_ms": round(_percentile(values, 0.95), 1),
        f"{prefix}_max_ms": round(max(values), 1),
    }


# --------------------------------------------------------------------------- the portal


@dataclass(frozen=True)
class Person:
    """A logged-in member of staff: the Cookie header and the page's CSRF token."""

    cookie: str
    token: str

    def headers(self, **extra: str) -> dict[str, str]:
        return {"Cookie": self.cookie, "X-CSRFToken": self.token, **extra}


def log_in_everyone(port: int, logins: list[str]) -> list[Person]:
    def one(login: str) -> Person:
        cookies = harness.log_in(port, login, PASSWORD)
        client = harness.Client(port, cookies)
        try:
            home = client.request("GET", "/")
            if home.status != 200:
                raise RuntimeError(f"home page after login {login} answered HTTP {home.status}")
            cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
            return Person(cookie, page_csrf_token(home.body))
        finally:
            client.close()

    with ThreadPoolExecutor(max_workers=LOGIN_CLIENTS) as pool:
        return list(pool.map(one, logins))


def post_question(connection: RawConnection, person: Person, draft_id: int) -> tuple[int, str]:
    """POST the question to a workspace; returns (answer id, stream path)."""
    body = json.dumps({"text": QUESTION}, ensure_ascii=False).encode()
    headers = person.headers(**{"Content-Type": "application/json", "Accept": "application/json"})
    answer = connection.request("POST", f"/practice/w/{draft_id}/messages", headers, body)
    if answer.status != 200:
        raise RuntimeError(f"posting a question answered HTTP {answer.status}: {answer.body!r}")
    data = json.loads(answer.body)
    return int(data["answer_id"]), str(data["stream_url"])


def post_questions(
    port: int, people: list[Person], drafts: list[list[int]]
) -> list[tuple[int, str, Person]]:
    """One pending answer per (user index, draft id): (answer id, stream path, person)."""
    local = threading.local()

    def one(pair: list[int]) -> tuple[int, str, Person]:
        if not hasattr(local, "connection"):
            local.connection = RawConnection(port)
        person = people[pair[0]]
        answer_id, path = post_question(local.connection, person, pair[1])
        return answer_id, path, person

    with ThreadPoolExecutor(max_workers=POST_CLIENTS) as pool:
        return list(pool.map(one, drafts))


# --------------------------------------------------------------------------- time to first token


def _first_content_at(events: list[tuple[float, str, str]]) -> float | None:
    """When the fake server's first non-empty content delta arrived."""
    for at, _name, data in events:
        if data == "[DONE]":
            return None
        chunk = json.loads(data)
        for choice in chunk.get("choices") or ():
            if (choice.get("delta") or {}).get("content"):
                return at
    return None


def _direct_request(doc_prompt: str) -> bytes:
    body = {
        "model": "fake",
        "messages": [
            {"role": "system", "content": doc_prompt},
            {"role": "user", "content": QUESTION},
        ],
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    return json.dumps(body, ensure_ascii=False).encode()


def measure_ttft(
    port: int, fake_port: int, people: list[Person], drafts: list[list[int]]
) -> tuple[dict[str, Any], list[str]]:
    """Alternate portal and direct requests; returns (details, problems)."""
    portal = RawConnection(port)
    direct = RawConnection(fake_port)
    direct_body = _direct_request("벤치마크용 시스템 프롬프트입니다. " * 40)
    direct_headers = {"Content-Type": "application/json", "Authorization": "Bearer x"}
    portal_ms: list[float] = []
    start_ms: list[float] = []
    direct_ms: list[float] = []
    overhead: list[float] = []
    failures: list[str] = []

    def through_portal(pair: list[int]) -> tuple[float, float] | None:
        """(ms to the first delta event, ms to the start event)."""
        person = people[pair[0]]
        _answer, path = post_question(portal, person, pair[1])
        reply = portal.request("POST", path, person.headers(Accept="text/event-stream"))
        times = {name: at for at, name, _ in reversed(reply.events)}  # the first of each
        last = reply.events[-1][1] if reply.events else None
        if reply.status != 200 or not {"start", "delta"} <= times.keys() or last != "done":
            failures.append(f"HTTP {reply.status}, last event {last}")
            return None
        return (times["delta"] - reply.sent_at) * 1000, (times["start"] - reply.sent_at) * 1000

    def straight() -> float | None:
        reply = direct.request("POST", "/v1/chat/completions", direct_headers, direct_body)
        first = _first_content_at(reply.events)
        if reply.status != 200 or first is None:
            failures.append(f"fake server: HTTP {reply.status}")
            return None
        return (first - reply.sent_at) * 1000

    try:
        for index, pair in enumerate(drafts):
            measured = index >= TTFT_WARMUP
            # ABBA order, so drift on the shared machine hits both sides of a pair alike.
            if index % 2:
                own, mine = straight(), through_portal(pair)
            else:
                mine, own = through_portal(pair), straight()
            if measured and mine is not None and own is not None:
                portal_ms.append(mine[0])
                start_ms.append(mine[1])
                direct_ms.append(own)
                overhead.append(mine[0] - own)
    finally:
        portal.close()
        direct.close()
    problems = []
    if failures:
        problems.append(f"{len(failures)} failed requests (first: {failures[0]})")
    if len(overhead) < TTFT_REQUESTS:
        problems.append(f"only {len(overhead)} of {TTFT_REQUESTS} pairs measured")
    details: dict[str, Any] = {
        "overhead_is": "per pair: portal TTFT (stream POST sent -> first delta event) minus "
        "the fake server's own TTFT (request sent -> first content chunk)",
        "pairs": len(overhead),
        "warmup": TTFT_WARMUP,
        "fake_first_delay_ms": TTFT_FIRST_DELAY_S * 1000,
        **_summary(overhead, "overhead"),
        **_summary(portal_ms, "portal_ttft"),
        **_summary(start_ms, "portal_start_event"),
        **_summary(direct_ms, "fake_ttft"),
        "overhead_ms_each": [round(v, 1) for v in overhead],
    }
    return details, problems


# --------------------------------------------------------------------------- the stream holder


class _Holding:
    """The holder's shared state: how many streams settled (started or failed), and the
    two moments the parent waits for, announced on stdout as JSON lines."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.settled = 0
        self.all_settled = asyncio.Event()
        self.first_end: float | None = None

    def settle(self, record: dict[str, Any]) -> None:
        if not record.get("settled"):
            record["settled"] = True
            self.settled += 1
            if self.settled == self.total:
                self.all_settled.set()

    def ended(self, at: float) -> None:
        if self.first_end is None:
            self.first_end = at
            print(json.dumps({"event": "first_end", "at": at}), flush=True)


async def _hold_one(
    port: int, stream: dict[str, Any], record: dict[str, Any], holding: _Holding, delay: float
) -> None:
    """Open one stream after `delay` seconds and read it to its end, timing each event."""
    headers = {
        "Cookie": stream["cookie"],
        "X-CSRFToken": stream["token"],
        "Accept": "text/event-stream",
        "Connection": "close",
    }
    data = request_bytes(port, "POST", stream["path"], headers)
    await asyncio.sleep(delay)
    writer = None
    try:
        reader, writer = await asyncio.open_connection(LOOPBACK, port)
        record["sent"] = time.monotonic()
        writer.write(data)
        await writer.drain()
        parser = ResponseParser()
        while not parser.complete:
            chunk = await reader.read(65536)
            now = time.monotonic()
            events = parser.feed(chunk) if chunk else parser.eof()
            if parser.status is not None and parser.status != 200:
                holding.settle(record)
            for name, payload in events:
                if name == "start":
                    record["start"] = now
                    holding.settle(record)
                elif name == "delta":
                    record["deltas"] += 1
                    record.setdefault("first_delta", now)
                elif name in ("done", "error"):
                    record["end"] = now
                    record["outcome"] = name
                    if name == "error":
                        record["error"] = json.loads(payload).get("code")
            if not chunk:
                break
        record["status"] = parser.status
        record.setdefault("outcome", "cut" if parser.status == 200 else f"http_{parser.status}")
    except (OSError, ValueError, EOFError) as err:
        record["outcome"] = type(err).__name__
    finally:
        record.setdefault("end", time.monotonic())
        holding.settle(record)
        holding.ended(record["end"])
        if writer is not None:
            writer.close()
            with contextlib.suppress(OSError, ConnectionError):
                await writer.wait_closed()


async def _lag_monitor(samples: list[float], stop: asyncio.Event) -> None:
    """How late the loop wakes a 10 ms sleep: the holder's own delay in reading streams."""
    while not stop.is_set():
        before = time.monotonic()
        await asyncio.sleep(0.01)
        samples.append((time.monotonic() - before - 0.01) * 1000)


async def _hold_all(spec: dict[str, Any]) -> dict[str, Any]:
    streams = spec["streams"]
    records: list[dict[str, Any]] = [{"deltas": 0} for _ in streams]
    holding = _Holding(len(streams))
    stop = asyncio.Event()
    lag: list[float] = []
    monitor = asyncio.create_task(_lag_monitor(lag, stop))
    began = time.monotonic()
    cpu_began = time.process_time()
    step = spec["ramp_s"] / len(streams)
    tasks = [
        asyncio.create_task(_hold_one(spec["port"], stream, record, holding, index * step))
        for index, (stream, record) in enumerate(zip(streams, records, strict=True))
    ]
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(holding.all_settled.wait(), spec["open_wait_s"])
    opened = sum(1 for r in records if "start" in r and "outcome" not in r)
    print(json.dumps({"event": "open", "opened": opened, "at": time.monotonic()}), flush=True)
    left = spec["deadline_s"] - (time.monotonic() - began)
    _done, pending = await asyncio.wait(tasks, timeout=max(left, 0.1))
    for task in pending:
        task.cancel()
    for record in records:
        record.setdefault("outcome", "unfinished")
    await asyncio.gather(*pending, return_exceptions=True)
    stop.set()
    await monitor
    return {
        "records": records,
        "began": began,
        "wall_s": time.monotonic() - began,
        "cpu_s": time.process_time() - cpu_began,
        "loop_lag_ms": lag,
    }


def _hold(given: Path, out: Path) -> None:
    """The `hold` subprocess: open the streams (paced over ramp_s), read them all, report."""
    spec = json.loads(given.read_text(encoding="utf-8"))
    limit = len(spec["streams"]) + 100
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < limit:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(limit, hard), hard))
    result = asyncio.run(_hold_all(spec))
    out.write_text(json.dumps(result), encoding="utf-8")


class HolderProcess:
    """The `hold` subprocess seen from the runner: its announcements arrive on a thread."""

    def __init__(self, given: Path, out: Path) -> None:
        self.opened: queue.Queue[int] = queue.Queue()
        self.first_end = threading.Event()
        self.process = subprocess.Popen(
            [str(BIN / "python"), "-m", "bench.stream_bench", "hold", str(given), str(out)],
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            start_new_session=True,
        )
        threading.Thread(target=self._listen, daemon=True).start()

    def _listen(self) -> None:
        assert self.process.stdout is not None
        for raw in self.process.stdout:
            with contextlib.suppress(ValueError):
                message = json.loads(raw)
                if message.get("event") == "open":
                    self.opened.put(int(message["opened"]))
                elif message.get("event") == "first_end":
                    self.first_end.set()

    def wait_open(self, timeout: float) -> int:
        try:
            return self.opened.get(timeout=timeout)
        except queue.Empty:
            raise RuntimeError("the stream holder never reported its streams open") from None


# --------------------------------------------------------------------------- the page probe


@dataclass
class Probe:
    path: str
    started: float
    ended: float
    ms: float
    client_cpu_ms: float
    status: int | None
    error: str | None = None


def probe_once(port: int, path: str, cookie: str) -> Probe:
    """GET path on a new connection (like a new visitor), timed from connect to last byte."""
    headers = {"Accept-Language": "ko"}
    if cookie:
        headers["Cookie"] = cookie
    cpu = time.thread_time()
    started = time.monotonic()
    status: int | None = None
    error = None
    conn = http.client.HTTPConnection(LOOPBACK, port, timeout=PROBE_TIMEOUT_S)
    try:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        response.read()
        status = response.status
    except (OSError, http.client.HTTPException) as err:  # a timeout is an OSError
        error = type(err).__name__
    finally:
        conn.close()
    ended = time.monotonic()
    cpu_ms = (time.thread_time() - cpu) * 1000
    return Probe(path, started, ended, (ended - started) * 1000, cpu_ms, status, error)


def probe_series(
    port: int, cookie: str, count: int, deadline: float, stop: threading.Event | None = None
) -> list[Probe]:
    """`count` sequential home page probes, with /healthz after every other one; ends early
    at the deadline or when `stop` is set."""
    probes: list[Probe] = []
    for index in range(count):
        if time.monotonic() >= deadline or (stop is not None and stop.is_set()):
            break
        probes.append(probe_once(port, "/", cookie))
        if index % 2 == 0:
            probes.append(probe_once(port, "/healthz", ""))
        time.sleep(PROBE_PAUSE_S)
    return probes


def _probe_figures(probes: list[Probe], prefix: str) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    for path, name in (("/", "home"), ("/healthz", "healthz")):
        mine = [p for p in probes if p.path == path]
        # A probe that timed out or failed counts at its full time: it never got a page.
        figures[f"{prefix}{name}_probes"] = len(mine)
        figures[f"{prefix}{name}_ok"] = sum(1 for p in mine if p.status == 200)
        figures.update(_summary([p.ms for p in mine], f"{prefix}{name}"))
    return figures


# --------------------------------------------------------------------------- one worker class


@dataclass
class ClassRun:
    """What one server variant measured; `issues` decide the verdicts.

    `variant` is a worker class, optionally with a thread count: "gevent", "gthread",
    "gthread:64". The committed configuration runs as its plain class name.
    """

    variant: str
    database: str = "sqlite"
    settings: dict[str, Any] = field(default_factory=dict)
    ttft: dict[str, Any] = field(default_factory=dict)
    ttft_issues: list[str] = field(default_factory=list)
    page: dict[str, Any] = field(default_factory=dict)
    page_issues: list[str] = field(default_factory=list)
    streams: dict[str, Any] = field(default_factory=dict)
    stream_issues: list[str] = field(default_factory=list)
    page_p95_ms: float | None = None
    completed: int | None = None
    answer_ids: list[int] = field(default_factory=list)

    @property
    def suffix(self) -> str:
        return f"_{self.variant.replace(':', '')}_{self.database}"

    def environment(self, env: dict[str, str], committed: bool) -> dict[str, str]:
        """The server's environment: the committed gunicorn.conf.py as it is, or this variant."""
        env = {k: v for k, v in env.items() if k not in GUNICORN_VARIABLES}
        if not committed:
            worker_class, _, threads = self.variant.partition(":")
            env[WORKER_CLASS_VARIABLE] = worker_class
            if threads:
                env[THREADS_VARIABLE] = threads
        return env

    def fail(self, what: str, err: BaseException) -> None:
        problem = f"{what}: {type(err).__name__}: {' '.join(str(err).split())[:300]}"
        progress(f"FAILED {problem}")
        for issues in (self.ttft_issues, self.page_issues, self.stream_issues):
            issues.append(problem)

    def results(self, committed: bool) -> list[Result]:
        common = {
            "variant": self.variant,
            "database": self.database,
            "committed_config": committed,
            "gunicorn": self.settings,
        }
        lines = [
            ("stream_ttft_overhead_median_ms", self.ttft.get("overhead_p50_ms"), "ms",
             TTFT_TARGET, self.ttft, self.ttft_issues),
            ("stream_300_page_p95_ms", self.page_p95_ms, "ms", PAGE_TARGET, self.page,
             self.page_issues),
            ("stream_300_completed", self.completed, "streams", COMPLETED_TARGET, self.streams,
             self.stream_issues),
        ]  # fmt: skip
        results = []
        for name, measured, unit, target, details, issues in lines:
            details = common | details
            if committed:
                results.append(judge(name + self.suffix, measured, unit, target, details, issues))
            else:
                # A comparison variant: reported, never judged; its troubles are details.
                info = details | ({"issues": issues} if issues else {})
                missing = ["not measured"] if measured is None else []
                results.append(
                    judge(name + self.suffix, measured, unit, Target.none(), info, missing)
                )
        return results


def _server_log_errors(tmp: Path, name: str) -> dict[str, int]:
    try:
        text = (tmp / f"{name}-server.log").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return {}
    found = {
        "tracebacks": text.count("Traceback (most recent call last)"),
        "database_is_locked": text.count("database is locked"),
        "worker_timeouts": text.count("WORKER TIMEOUT"),
        "assistant_backend_errors": text.count("assistant backend error"),
    }
    return {k: v for k, v in found.items() if v}


def run_streams(
    run: ClassRun,
    server: harness.Server,
    fake: FakeServer,
    people: list[Person],
    drafts: list[list[int]],
    tmp: Path,
) -> None:
    """STREAMS streams held by a subprocess while this process probes the page."""
    label = run.variant
    port = server.port
    home_cookie = people[0].cookie
    progress(f"streams ({label}): {IDLE_PROBES} idle probes of / and /healthz")
    idle = probe_series(port, home_cookie, IDLE_PROBES, time.monotonic() + PROBE_PHASE_S)
    progress(f"streams ({label}): sending {len(drafts)} questions (pending answers)")
    pending = post_questions(port, people, drafts)
    run.answer_ids = [answer_id for answer_id, _path, _person in pending]
    spec = {
        "port": port,
        "ramp_s": RAMP_S,
        "open_wait_s": OPEN_WAIT_S,
        "deadline_s": HOLD_DEADLINE_S,
        "streams": [
            {"path": path, "cookie": person.cookie, "token": person.token}
            for _answer_id, path, person in pending
        ],
    }
    name = label.replace(":", "")
    given, out = tmp / f"hold-{name}-in.json", tmp / f"hold-{name}-out.json"
    given.write_text(json.dumps(spec), encoding="utf-8")
    out.unlink(missing_ok=True)
    progress(f"streams ({label}): opening {len(pending)} streams over {RAMP_S:g} s")
    holder = HolderProcess(given, out)
    meter = CpuMeter({"portal": server.process.pid, "fake_server": fake.pid})
    meter.start()
    try:
        opened = holder.wait_open(OPEN_WAIT_S + 30)
        progress(f"streams ({label}): {opened}/{len(pending)} open; probing the page")
        began = time.monotonic()
        probes = probe_series(port, home_cookie, PROBES, began + PROBE_PHASE_S, holder.first_end)
        probe_wall = time.monotonic() - began
        progress(f"streams ({label}): {len(probes)} probes in {probe_wall:.1f} s; waiting")
        holder.process.wait(timeout=HOLD_DEADLINE_S + 30)
        cpu = meter.stop()
    finally:
        _end_process(holder.process)
    held = json.loads(out.read_text(encoding="utf-8"))
    _judge_streams(run, held, probes, idle, opened, probe_wall)
    run.page["cpu_while_streaming"] = cpu
    progress(f"streams ({label}): CPU while streaming (% of one core) {cpu}")


def _judge_streams(
    run: ClassRun,
    held: dict[str, Any],
    probes: list[Probe],
    idle: list[Probe],
    opened: int,
    probe_wall: float,
) -> None:
    records = held["records"]
    total = len(records)
    outcomes = Counter(
        r["outcome"] if r["outcome"] != "error" else f"error:{r.get('error')}" for r in records
    )
    complete = [r for r in records if r["outcome"] == "done" and r["deltas"] == STREAM_CHUNKS]
    short = sum(1 for r in records if r["outcome"] == "done" and r["deltas"] != STREAM_CHUNKS)
    starts = [r["start"] for r in records if "start" in r]
    ends = [r["end"] for r in records if "sent" in r]

    def open_at(moment: float) -> int:
        return sum(1 for r in records if "start" in r and r["start"] <= moment <= r["end"])

    all_open = [p for p in probes if open_at(p.started) == total and open_at(p.ended) == total]
    home = [p for p in probes if p.path == "/"]
    home_all_open = [p for p in all_open if p.path == "/"]
    failed = [p for p in probes if p.status != 200]
    lag = held["loop_lag_ms"]
    run.page_p95_ms = round(_percentile([p.ms for p in home], 0.95), 1) if home else None
    run.page.update(
        {
            "measured_is": "p95 of the logged-in home page (GET / on a new connection each "
            "time) while the streams were open; a failed probe counts at its full time",
            **_probe_figures(probes, ""),
            **_probe_figures(idle, "idle_"),
            "home_probes_while_all_streams_open": len(home_all_open),
            "slowest_probes": [
                {
                    "path": p.path,
                    "ms": round(p.ms, 1),
                    "at_s": round(p.started - probes[0].started, 2),
                }
                for p in sorted(probes, key=lambda p: p.ms, reverse=True)[:5]
            ],
            "probe_wall_s": round(probe_wall, 2),
            "probe_timeout_s": PROBE_TIMEOUT_S,
            "probe_failures": dict(Counter(p.error or f"HTTP {p.status}" for p in failed)),
            "streams_open_when_probing_began": opened,
            "probe_client_cpu_p95_ms": (
                round(_percentile([p.client_cpu_ms for p in probes], 0.95), 2) if probes else None
            ),
            "holder_cpu_percent": round(100 * held["cpu_s"] / held["wall_s"], 1),
            "holder_loop_lag_p95_ms": round(_percentile(lag, 0.95), 1) if lag else None,
            "holder_loop_lag_max_ms": round(max(lag), 1) if lag else None,
        }
    )
    run.completed = len(complete)
    stream_ttft = [(r["first_delta"] - r["sent"]) * 1000 for r in records if "first_delta" in r]
    durations = [(r["end"] - r["sent"]) * 1000 for r in records if r["outcome"] == "done"]
    run.streams.update(
        {
            "streams": total,
            "ramp_s": RAMP_S,
            "chunks_each": STREAM_CHUNKS,
            "chunk_delay_ms": STREAM_CHUNK_DELAY_S * 1000,
            "outcomes": dict(sorted(outcomes.items())),
            "done_but_short": short,
            "all_started_after_s": (
                round(max(starts) - held["began"], 2) if len(starts) == total else None
            ),
            "most_open_at_once": max((open_at(s) for s in starts), default=0),
            "first_end_after_s": round(min(ends) - held["began"], 2) if ends else None,
            "last_end_after_s": round(max(ends) - held["began"], 2) if ends else None,
            **_summary(stream_ttft, "stream_ttft"),
            **_summary(durations, "stream_duration"),
            "holder_deadline_s": HOLD_DEADLINE_S,
        }
    )
    if failed:
        run.page_issues.append(
            f"{len(failed)} of {len(probes)} probes failed ({run.page['probe_failures']})"
        )
    if len(home_all_open) < PROBES:
        run.page_issues.append(
            f"{len(home_all_open)} of {PROBES} home page probes ran while all {total} streams "
            "were open"
        )
    if run.completed != total:
        run.stream_issues.append(f"{total - run.completed} of {total} streams did not complete")
    progress(
        f"streams ({run.variant}): {run.completed}/{total} complete, at most "
        f"{run.streams['most_open_at_once']} open at once; home p95 {run.page_p95_ms} ms, "
        f"/healthz p95 {run.page.get('healthz_p95_ms')} ms; {len(home_all_open)} home probes "
        "with all streams open"
    )


def measure_variant(
    run: ClassRun,
    env: dict[str, str],
    tmp: Path,
    setup: dict[str, Any],
    fakes: tuple[FakeServer, FakeServer],
    people: list[Person] | None,
) -> list[Person] | None:
    """One server variant: its own gunicorn, TTFT, then the streams; returns the people
    (logged in on the first server; their sessions live in the database, so later servers
    accept them too)."""
    label = run.variant
    name = "stream-" + label.replace(":", "")
    step = "server"
    try:
        run.settings = gunicorn_settings(env)
        progress(f"streams ({label}): starting gunicorn {run.settings}")
        with harness.gunicorn(name, "wsgi:app", env, tmp, "/healthz") as server:
            if people is None:
                step = "logins"
                progress(f"streams ({label}): logging in {len(setup['logins'])} staff over HTTP")
                people = log_in_everyone(server.port, setup["logins"])
            drafts = setup["drafts"][label]
            step = "time to first token"
            progress(
                f"streams ({label}): time to first token, {TTFT_WARMUP} warm-up and "
                f"{TTFT_REQUESTS} measured pairs (portal, fake server)"
            )
            details, problems = measure_ttft(server.port, fakes[0].port, people, drafts["ttft"])
            run.ttft.update(details)
            run.ttft_issues.extend(problems)
            progress(
                f"streams ({label}): TTFT overhead median {details['overhead_p50_ms']} ms, "
                f"p95 {details['overhead_p95_ms']} ms (portal {details['portal_ttft_p50_ms']} "
                f"ms, fake server {details['fake_ttft_p50_ms']} ms)"
            )
            step = f"{STREAMS} streams"
            run_streams(run, server, fakes[1], people, drafts["streams"], tmp)
        step = "verification"
        stored = _portal_step("verify", env, {"answer_ids": run.answer_ids}, tmp)
        run.streams["stored"] = stored
        if stored["complete_full"] != run.completed:
            run.stream_issues.append(
                f"the database holds {stored['complete_full']} complete answers, "
                f"the client saw {run.completed}"
            )
    except Exception as err:  # noqa: BLE001 - reported in the table
        run.fail(step, err)
    finally:
        errors = _server_log_errors(tmp, name)
        if errors:
            run.streams["server_log"] = errors
            run.page["server_log"] = errors
    return people


# --------------------------------------------------------------------------- entry point


def benchmarks(
    base_env: dict[str, str],
    tmp: Path,
    variants: list[str] | None = None,
    database: str = "sqlite",
) -> list[Result]:
    """The committed configuration (judged) and the comparison variants (INFO), side by
    side, on one database ("sqlite" or "postgresql"). `variants` defaults to the worker
    class gunicorn.conf.py does not choose."""
    committed = gunicorn_settings(
        {k: v for k, v in base_env.items() if k not in GUNICORN_VARIABLES}
    )["worker_class"]
    others = [c for c in WORKER_CLASSES if c != committed] if variants is None else variants
    names = [committed] + [v for v in others if v != committed]
    runs = [ClassRun(name, database) for name in names]
    try:
        if database == "postgresql":
            _on_postgresql(base_env, tmp, runs)
        else:
            _measure(base_env, tmp, runs, f"sqlite:///{tmp / 'stream_bench.db'}")
    except Exception as err:  # noqa: BLE001 - setup broke: every line fails with the reason
        for run in runs:
            if not run.ttft_issues:
                run.fail("setup", err)
    results = []
    for index, run in enumerate(runs):
        results.extend(run.results(committed=index == 0))
    return results


def _on_postgresql(base_env: dict[str, str], tmp: Path, runs: list[ClassRun]) -> None:
    """The same run on a scratch PostgreSQL database, dropped at the end (see enrol_burst)."""
    from bench.enrol_burst import POSTGRES_ADMIN_URL, ScratchPostgres

    scratch = ScratchPostgres(os.environ.get("BENCH_POSTGRES_URL") or POSTGRES_ADMIN_URL)
    scratch.create()
    try:
        _measure(base_env, tmp, runs, scratch.app_url)
    finally:
        scratch.drop()


def _measure(base_env: dict[str, str], tmp: Path, runs: list[ClassRun], database_url: str) -> None:
    progress("streams: starting the fake OpenAI-compatible servers")
    with (
        fake_openai(
            "fake-ttft",
            tmp,
            reply_text=REPLY_TEXT,
            chunks=TTFT_CHUNKS,
            first_delay=TTFT_FIRST_DELAY_S,
            chunk_delay=TTFT_CHUNK_DELAY_S,
        ) as quick,
        fake_openai(
            "fake-slow",
            tmp,
            reply_text=STREAM_REPLY_TEXT,
            chunks=STREAM_CHUNKS,
            first_delay=STREAM_FIRST_DELAY_S,
            chunk_delay=STREAM_CHUNK_DELAY_S,
        ) as slow,
    ):
        models = [
            {"key": TTFT_MODEL, "backend": "openai", "label": "bench ttft", "model": "fake",
             "base_url": quick.base_url, "api_key": "x"},
            {"key": STREAM_MODEL, "backend": "openai", "label": "bench slow", "model": "fake",
             "base_url": slow.base_url, "api_key": "x"},
        ]  # fmt: skip
        env = dict(
            base_env,
            PORTAL_DATABASE_URL=database_url,
            PORTAL_ASSISTANT_MODELS=json.dumps(models),
        )
        progress("streams: flask db upgrade, flask courses sync (document types)")
        _run([str(BIN / "flask"), "db", "upgrade"], env, "flask db upgrade")
        _run([str(BIN / "flask"), "courses", "sync"], env, "flask courses sync")
        per_variant = {"ttft": TTFT_WARMUP + TTFT_REQUESTS, "streams": STREAMS}
        progress(f"streams: {USERS} staff, {sum(per_variant.values())} workspaces per variant")
        given = {"variants": [r.variant for r in runs], "per_variant": per_variant}
        setup = _portal_step("setup", env, given, tmp)
        people = None
        for index, run in enumerate(runs):
            server_env = run.environment(env, committed=index == 0)
            people = measure_variant(run, server_env, tmp, setup, (quick, slow), people)


# --------------------------------------------------------------------------- in the portal


def _setup(given: Path, out: Path) -> None:
    """Staff who accepted the policy, workspaces on the bench models, generous limits."""
    import datetime as dt

    from sqlalchemy import insert, select

    from portal import create_app
    from portal.assistant.models import AssistantLimits, DataGrade, DocType, ModelSetting
    from portal.auth.passwords import hash_password
    from portal.core.clock import utcnow
    from portal.db import db
    from portal.users.models import Role, User

    spec = json.loads(given.read_text(encoding="utf-8"))
    app = create_app()
    with app.app_context(), db.command_transaction():
        now = utcnow()
        db.session.merge(
            AssistantLimits(
                id=1,
                daily_messages=10_000,
                daily_tokens=100_000_000,
                department_monthly_tokens=1_000_000_000,
                max_input_chars=4_000,
                updated_at=now,
            )
        )
        for key in (TTFT_MODEL, STREAM_MODEL):
            db.session.merge(
                ModelSetting(key=key, is_enabled=True, is_internal=False, updated_at=now)
            )
        doc_type = db.session.scalars(
            select(DocType).where(DocType.is_active).order_by(DocType.sort_order, DocType.id)
        ).first()
        if doc_type is None:
            raise RuntimeError("no active document type: did `flask courses sync` run?")
        password_hash = hash_password(PASSWORD)
        logins = [f"{LOGIN_PREFIX}{n:04d}" for n in range(1, USERS + 1)]
        db.session.execute(
            insert(User),
            [
                {
                    "employee_number": login,
                    "name": f"스트림{n:04d}",
                    "email": f"stream{n:04d}@example.go.kr",
                    "role": Role.STAFF,
                    "grade": "행정7급",
                    "appointed_on": dt.date(2020, 3, 2),
                    "is_active": True,
                    "password_hash": password_hash,
                    "password_changed_at": now,
                    "created_at": now,
                }
                for n, login in enumerate(logins, start=1)
            ],
        )
        users = list(
            db.session.scalars(
                select(User).where(User.employee_number.in_(logins)).order_by(User.employee_number)
            )
        )
        for user in users:
            policy.accept_policy(user.id)
        drafts: dict[str, dict[str, list[list[int]]]] = {}
        counter = 0
        for variant in spec["variants"]:
            drafts[variant] = {}
            for purpose, count in spec["per_variant"].items():
                model = TTFT_MODEL if purpose == "ttft" else STREAM_MODEL
                pairs = []
                for _ in range(count):
                    index = counter % len(users)
                    counter += 1
                    draft = conversations.start_workspace(
                        users[index],
                        doc_type=doc_type,
                        exercise=None,
                        grade=DataGrade.PUBLIC,
                        model_key=model,
                        title=f"벤치마크 {variant} {purpose} {counter}",
                    )
                    pairs.append([index, draft.id])
                drafts[variant][purpose] = pairs
        result = {"logins": logins, "drafts": drafts, "doc_type": doc_type.slug}
    out.write_text(json.dumps(result), encoding="utf-8")


def _verify(given: Path, out: Path) -> None:
    """How the streamed answers were stored: statuses, and complete with the whole text."""
    from sqlalchemy import select

    from portal import create_app
    from portal.assistant.models import AssistantMessage, MessageStatus
    from portal.db import db

    ids = json.loads(given.read_text(encoding="utf-8"))["answer_ids"]
    app = create_app()
    with app.app_context():
        rows = db.session.execute(
            select(AssistantMessage.status, AssistantMessage.content).where(
                AssistantMessage.id.in_(ids)
            )
        ).all()
        statuses = Counter(str(status.value) for status, _content in rows)
        full = sum(
            1
            for status, content in rows
            if status is MessageStatus.COMPLETE and content == STREAM_REPLY_TEXT
        )
    result = {"answers": len(ids), "statuses": dict(statuses), "complete_full": full}
    out.write_text(json.dumps(result), encoding="utf-8")


if __name__ == "__main__":
    steps = {"setup": _setup, "verify": _verify, "hold": _hold}
    if len(sys.argv) != 4 or sys.argv[1] not in steps:
        sys.exit(f"usage: python -m bench.stream_bench {{{','.join(steps)}}} IN.json OUT.json")
    steps[sys.argv[1]](Path(sys.argv[2]), Path(sys.argv[3]))
