"""A load test of the whole portal: 200 staff and 20 coordinators on `make serve-prod`.

    .venv/bin/python -m bench.load_test             # both runs, about 10 minutes
    .venv/bin/python -m bench.load_test --duration 60 --runs quiet

The stack is production's (docs/deployment.md): a scratch PostgreSQL database on the shared
server (bench.enrol_burst.ScratchPostgres, dropped at the end), Redis database LOAD_REDIS_DB
for the rate limits (emptied before and after), gunicorn started by the real Makefile target
`make serve-prod` (its pre-flight included) in its own process group, and the fake
OpenAI-compatible server (bench.stream_bench.fake_openai) as the sandbox's model, answering at
a person's reading pace (about 2.7 s per answer). The portal's settings are PORTAL_* variables
only; none of its limits is raised. The clients come "through the reverse proxy" of
docs/deployment.md §4 (PORTAL_TRUSTED_PROXY_COUNT=1, X-Forwarded-For per person,
X-Forwarded-Proto: https), so the per-address limits apply per person as in production.

Data: `flask db upgrade`, `flask courses sync`, `flask demo seed` (300 staff and their
history, for the dashboards), then `python -m bench.load_test setup OUT` adds STAFF staff and
COORDINATORS coordinators sharing one argon2id hash computed once, LOAD_SESSIONS sessions of
SESSION_CAPACITY seats for enrolling and cancelling (fewer seats than people: waitlists and
promotions happen), and one check-in session per run, today, with every member of staff
enrolled. Everyone logs in over HTTP once (not measured in the runs; the figures are in the
details), then each run lets the people of bench/load_users.py act for `duration` seconds:
first quiet, then beside a CPU-hungry neighbour (a `while True: pass` process pinned to one
core). Afterwards `python -m bench.load_test verify IN OUT` reads the database back: seats
against enrolled rows for every session, duplicate active enrolments, waitlists left behind
free seats, the streamed answers stored whole, and the check-ins stored.

Lines (bench/report.py): per run, `load_<run>_page_p95_ms` (≤ 500 ms quiet, ≤ 2000 ms
noisy), `load_<run>_error_rate_percent` (== 0), `load_<run>_streams_incomplete` (== 0),
`load_<run>_throughput_rps` and the p95 of every other kind of request (INFO); after both,
`load_capacity_violations`, `load_duplicate_active_enrolments` and
`load_answers_not_stored_whole` (== 0). Standalone, the results are merged into
bench/results.json (replacing earlier `load_*` lines, keeping the others).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import random
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as `python -m bench.load_test` from ROOT
    sys.path.insert(0, str(ROOT))

from bench import load_users as users  # noqa: E402
from bench import report, stream_bench  # noqa: E402
from bench.enrol_burst import POSTGRES_ADMIN_URL, ScratchPostgres  # noqa: E402
from bench.harness import LOOPBACK, free_port, progress  # noqa: E402
from bench.harness import run_command as _run  # noqa: E402
from bench.report import Result, Target, judge  # noqa: E402

BIN = ROOT / ".venv" / "bin"
RESULTS_PATH = ROOT / "bench" / "results.json"

STAFF = 200
COORDINATORS = 20
PASSWORD = "Bench!2026load"
STAFF_PREFIX = "LS"  # LS0001 … LS0200
COORDINATOR_PREFIX = "LC"  # LC01 … LC20; LC01 also runs the room screen, on its own PC

DURATION_S = 150.0  # per run
RAMP_S = 20.0  # people arrive over this long at the start of a run
# A person's pause between requests (coordinators: twice as long): 200 staff clicking every
# ~5 s offer about 40 requests/s, the order of bench/README.md's peak ("all ~2,000 staff of a
# city hall opening it within the same minute is ~35 req/s").
THINK_S = (2.0, 8.0)
RUNS = ("quiet", "noisy")
DRAIN_S = 90.0  # after the deadline, time for the last actions (a stream) to finish
LOGIN_CLIENTS = 16
PROGRESS_EVERY_S = 15.0

LOAD_SESSIONS = 10  # two sessions each of five courses
SESSION_CAPACITY = 5  # 50 seats for 200 people: sessions fill, waitlists and promotions happen
CHECKIN_CAPACITY = 250

LOAD_REDIS_DB = 14
REDIS_URL = f"redis://{LOOPBACK}:6379/{LOAD_REDIS_DB}"
MODEL_KEY = "load-model"
REPLY_TEXT = stream_bench.REPLY_TEXT  # 265 characters, a 기획보고서 outline
REPLY_CHUNKS = 40
REPLY_FIRST_DELAY_S = 0.3
REPLY_CHUNK_DELAY_S = 0.06  # 0.3 s + 40 × 0.06 s ≈ 2.7 s per answer
MAKE_STAMPS = (".make/python", ".make/npm", ".make/translations")

PAGE_TARGETS = {"quiet": Target("<=", 500), "noisy": Target("<=", 2000)}
ZERO = Target("==", 0)
INFO = Target.none()


# --------------------------------------------------------------------------- statistics


def _percentile(ordered: list[float], fraction: float) -> float:
    """Nearest rank on sorted values (the same rule as the other benchmarks)."""
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def _stats(values: list[float]) -> dict[str, float | None]:
    ordered = sorted(values)
    if not ordered:
        return {"p50_ms": None, "p95_ms": None, "p99_ms": None, "max_ms": None}
    return {
        "p50_ms": round(statistics.median(ordered), 1),
        "p95_ms": round(_percentile(ordered, 0.95), 1),
        "p99_ms": round(_percentile(ordered, 0.99), 1),
        "max_ms": round(ordered[-1], 1),
    }


# --------------------------------------------------------------------------- what a run found


@dataclass
class RunFigures:
    label: str
    kinds: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: int = 0
    errors: int = 0
    wall_s: float = 0.0
    streams: int = 0
    streams_done: int = 0
    details: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def error_rate(self) -> float | None:
        return round(100 * self.errors / self.requests, 3) if self.requests else None

    @property
    def throughput(self) -> float | None:
        return round(self.requests / self.wall_s, 1) if self.wall_s else None

    def results(self) -> list[Result]:
        name = f"load_{self.label}"
        page = self.kinds.get(users.PAGE, {})
        common = {"run": self.label} | self.details
        lines = [
            judge(
                f"{name}_page_p95_ms",
                page.get("p95_ms"),
                "ms",
                PAGE_TARGETS.get(self.label, PAGE_TARGETS["noisy"]),
                common | {"kinds": self.kinds},
                self.problems,
            ),
            judge(
                f"{name}_error_rate_percent",
                self.error_rate,
                "%",
                ZERO,
                {"requests": self.requests, "errors": self.errors, **self._error_details()},
                self.problems,
            ),
            judge(
                f"{name}_streams_incomplete",
                self.streams - self.streams_done if self.streams else None,
                "streams",
                ZERO,
                {"streams": self.streams, "done": self.streams_done},
                [] if self.streams else self.problems or ["no stream was made"],
            ),
            judge(
                f"{name}_throughput_rps",
                self.throughput,
                "req/s",
                INFO,
                {"requests": self.requests, "wall_s": round(self.wall_s, 1)},
                [] if self.requests else ["no request was made"],
            ),
        ]
        for kind in users.KINDS:
            figures = self.kinds.get(kind)
            if kind == users.PAGE or not figures or not figures["n"]:
                continue
            lines.append(judge(f"{name}_{kind}_p95_ms", figures["p95_ms"], "ms", INFO, figures))
        return lines

    def _error_details(self) -> dict[str, Any]:
        return {k: self.details[k] for k in ("error_kinds", "client_bugs") if k in self.details}


def summarise(recorder: users.Recorder, figures: RunFigures) -> None:
    samples = recorder.samples
    by_kind: dict[str, list[users.Sample]] = {}
    for sample in samples:
        by_kind.setdefault(sample.kind, []).append(sample)
    for kind in users.KINDS:
        mine = by_kind.get(kind, [])
        # A failed request counts at the time it took: the person waited that long.
        figures.kinds[kind] = {
            "n": len(mine),
            "errors": sum(1 for s in mine if s.error),
            **_stats([s.ms for s in mine]),
        }
    requests = [s for s in samples if s.kind not in users.NOT_A_REQUEST]
    figures.requests = len(requests)
    figures.errors = sum(1 for s in requests if s.error)
    if requests:
        first = min(s.at for s in requests)
        last = max(s.at + s.ms / 1000 for s in requests)
        figures.wall_s = last - first
    streams = by_kind.get(users.STREAM, [])
    figures.streams = len(streams)
    figures.streams_done = sum(1 for s in streams if not s.error)
    errors = Counter(f"{s.kind}: {s.error}" for s in samples if s.error)
    figures.details["error_kinds"] = dict(errors.most_common(15))
    if recorder.client_bugs:
        figures.details["client_bugs"] = recorder.client_bugs[:10]
        figures.problems.append(
            f"{len(recorder.client_bugs)} exceptions in the load client "
            f"(first: {recorder.client_bugs[0]})"
        )
    if errors:
        top = "; ".join(f"{n}× {what}" for what, n in errors.most_common(3))
        figures.problems.append(f"{figures.errors} of {figures.requests} requests failed: {top}")
    if figures.streams != figures.streams_done:
        figures.problems.append(f"{figures.streams - figures.streams_done} streams incomplete")


def kind_table(figures: RunFigures) -> list[str]:
    head = f"{'kind':<16}{'n':>7}{'errors':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}"
    lines = [f"load test, {figures.label} run:", head]
    for kind in users.KINDS:
        k = figures.kinds.get(kind)
        if not k or not k["n"]:
            continue
        cells = "".join(f"{k[c]:>9.0f}" for c in ("p50_ms", "p95_ms", "p99_ms", "max_ms"))
        lines.append(f"{kind:<16}{k['n']:>7}{k['errors']:>8}{cells}")
    lines.append(
        f"requests {figures.requests} in {figures.wall_s:.0f} s = {figures.throughput} req/s; "
        f"errors {figures.errors} ({figures.error_rate} %); streams done "
        f"{figures.streams_done}/{figures.streams}"
    )
    return lines


# --------------------------------------------------------------------------- processes


def _portal_step(step: str, env: dict[str, str], data: Any, tmp: Path) -> Any:
    """`python -m bench.load_test STEP IN OUT` with the portal's environment; returns OUT."""
    given, out = tmp / f"load-{step}-in.json", tmp / f"load-{step}-out.json"
    given.write_text(json.dumps(data), encoding="utf-8")
    command = [str(BIN / "python"), "-m", "bench.load_test", step, str(given), str(out)]
    _run(command, env, f"load test {step}")
    return json.loads(out.read_text(encoding="utf-8"))


@dataclass
class ProdServer:
    port: int
    process: subprocess.Popen
    log_path: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def log_size(self) -> int:
        try:
            return self.log_path.stat().st_size
        except OSError:
            return 0

    def log_tail(self, lines: int = 25) -> str:
        text = self.log_path.read_text(encoding="utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:])


def _wait_ready(server: ProdServer, timeout: float) -> None:
    import http.client

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(
                f"make serve-prod exited with {server.process.returncode}:\n{server.log_tail()}"
            )
        with contextlib.suppress(OSError, http.client.HTTPException):
            conn = http.client.HTTPConnection(LOOPBACK, server.port, timeout=2)
            try:
                conn.request("GET", "/readyz")
                if conn.getresponse().status == 200:
                    return
            finally:
                conn.close()
        time.sleep(0.2)
    raise RuntimeError(f"make serve-prod not ready after {timeout:.0f} s:\n{server.log_tail()}")


@contextlib.contextmanager
def serve_prod(env: dict[str, str], tmp: Path) -> Iterator[ProdServer]:
    """`make serve-prod` (pre-flight, then gunicorn with gunicorn.conf.py) on a free loopback
    port, in its own process group; stopped like Ctrl-C stops it (SIGINT to the group).

    `-o` for the setup stamps: the load test never installs or compiles anything (run
    `make setup` first); the target's own commands run as they are.
    """
    port = free_port()
    log_path = tmp / "serve-prod.log"
    command = ["make", "--no-print-directory"]
    for stamp in MAKE_STAMPS:
        command += ["-o", stamp]
    command.append("serve-prod")
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=dict(env, PORT=f"{LOOPBACK}:{port}"),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = ProdServer(port, process, log_path)
    try:
        _wait_ready(server, timeout=90)
        yield server
    finally:
        _stop_group(process, "make serve-prod")


def _stop_group(process: subprocess.Popen, what: str) -> None:
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGINT)  # gunicorn's quick shutdown, make exits too
    try:
        process.wait(timeout=45)  # gunicorn gives its workers graceful_timeout (30 s)
    except subprocess.TimeoutExpired:
        progress(f"load test: {what} did not stop on SIGINT; SIGKILL to its process group")
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


@contextlib.contextmanager
def noisy_neighbour() -> Iterator[tuple[subprocess.Popen, int]]:
    """A `while True: pass` process pinned to one CPU (the last this process may use)."""
    cpu = max(os.sched_getaffinity(0))
    process = subprocess.Popen(
        [sys.executable, "-c", "while True: pass"],
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        os.sched_setaffinity(process.pid, {cpu})
        progress(f"load test: noisy neighbour pid {process.pid} spinning on CPU {cpu}")
        yield process, cpu
    finally:
        process.kill()
        process.wait(timeout=10)
        progress(f"load test: noisy neighbour pid {process.pid} stopped")


def _redis_flush() -> None:
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3, socket_timeout=3)
    try:
        client.flushdb()  # our own database number only
    finally:
        client.close()


def postgres_backends(database_url: str) -> list[int]:
    """The server processes of the portal's connections to its database (for their CPU)."""
    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(url, autocommit=True, connect_timeout=5) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchall()
    return [row[0] for row in rows]


def _git_state() -> str:
    """The commit measured, and whether the portal's files differ from it."""
    head = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    changed = subprocess.run(
        ["git", "status", "--porcelain", "--", "portal", "templates", "gunicorn.conf.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    ).stdout.strip()
    return f"{head} (portal files changed since)" if changed else head


def _uptime() -> str:
    completed = subprocess.run(["uptime"], capture_output=True, text=True, check=False)
    return completed.stdout.strip()


# --------------------------------------------------------------------------- server log


def server_log_figures(path: Path, start: int, end: int) -> dict[str, Any]:
    """The portal's own request log (JSON lines: route, status, ms inside the app) and
    gunicorn's complaints, between two offsets of the log."""
    with path.open("rb") as log:
        log.seek(start)
        text = log.read(max(0, end - start)).decode("utf-8", errors="replace")
    per_route: dict[str, list[float]] = {}
    statuses: Counter[str] = Counter()
    levels: Counter[str] = Counter()
    problems: Counter[str] = Counter()
    for line in text.splitlines():
        if not line.startswith("{"):
            continue
        with contextlib.suppress(ValueError):
            entry = json.loads(line)
            levels[entry.get("level", "?")] += 1
            if entry.get("level") in ("WARNING", "ERROR", "CRITICAL"):
                last = (entry.get("exc") or "").strip().splitlines()[-1:] or [""]
                problems[f"{entry.get('level')} {entry.get('msg')} {last[0]}"[:300]] += 1
            if entry.get("msg") != "request":
                continue
            key = f"{entry.get('method')} {entry.get('route')}"
            per_route.setdefault(key, []).append(float(entry.get("ms") or 0))
            statuses[str(entry.get("status"))] += 1
    routes = {
        route: {"n": len(times), **_stats(times)}
        for route, times in sorted(per_route.items(), key=lambda item: -len(item[1]))
    }
    slowest = sorted(routes.items(), key=lambda item: -(item[1]["p95_ms"] or 0))[:12]
    return {
        "server_ms_is": "time inside the app per route (the portal's request log): without "
        "the wait for a worker, the network or the streamed body",
        "server_requests": sum(statuses.values()),
        "server_statuses": dict(sorted(statuses.items())),
        "server_log_levels": dict(levels),
        "server_log_problems": dict(problems.most_common(8)),
        "server_slowest_routes_p95": dict(slowest),
        "server_tracebacks": text.count("Traceback (most recent call last)"),
        "server_worker_timeouts": text.count("WORKER TIMEOUT"),
        "server_too_many_clients": text.count("too many clients"),
    }


# --------------------------------------------------------------------------- the people


@dataclass
class Cast:
    staff: list[users.Staff]
    coordinators: list[users.Browser]
    screen: users.Browser
    login_ms: list[float]
    login_wall_s: float


def log_everyone_in(port: int, setup: dict[str, Any]) -> Cast:
    """Every person logs in once over HTTP, from their own address, through the proxy."""
    staff = [
        users.Staff(login, users.Browser(port, f"10.20.{n // 250}.{n % 250 + 1}"))
        for n, login in enumerate(setup["staff"])
    ]
    coordinators = [
        users.Browser(port, f"10.30.0.{n + 1}") for n in range(len(setup["coordinators"]))
    ]
    screen = users.Browser(port, "10.40.0.1")  # the classroom's PC
    logins = [(p.browser, p.login) for p in staff]
    logins += list(zip(coordinators, setup["coordinators"], strict=True))
    logins.append((screen, setup["coordinators"][0]))
    progress(f"load test: {len(logins)} logins over HTTP ({LOGIN_CLIENTS} at a time)")
    began = time.monotonic()
    with ThreadPoolExecutor(max_workers=LOGIN_CLIENTS) as pool:
        timings = list(pool.map(lambda pair: users.log_in(pair[0], pair[1], PASSWORD), logins))
    wall = time.monotonic() - began
    progress(
        f"load test: {len(timings)} logged in in {wall:.1f} s (login POST p50 "
        f"{statistics.median(timings):.0f} ms, p95 {_percentile(sorted(timings), 0.95):.0f} ms)"
    )
    return Cast(staff, coordinators, screen, timings, wall)


def run_once(
    label: str,
    index: int,
    server: ProdServer,
    fake: stream_bench.FakeServer,
    setup: dict[str, Any],
    cast: Cast,
    duration: float,
    think: tuple[float, float],
) -> RunFigures:
    figures = RunFigures(label)
    recorder = users.Recorder()
    neighbour_cm = noisy_neighbour() if label == "noisy" else contextlib.nullcontext()
    with neighbour_cm as neighbour:
        uptime = _uptime()
        started_utc = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
        progress(f"load test ({label}): starting; uptime: {uptime}")
        world = users.World(
            port=server.port,
            recorder=recorder,
            deadline=time.monotonic() + 3600,  # set for real once check-in is open
            think_s=think,
            year=setup["year"],
            course_slugs=setup["course_slugs"],
            sessions=setup["sessions"],
            checkin_session=setup["checkin_sessions"][index],
            checkin_day=setup["checkin_day"],
            model_key=MODEL_KEY,
            doc_type=setup["doc_type"],
            reply_chunks=REPLY_CHUNKS,
        )
        roots = {"portal": server.pid, "fake_model": fake.pid}
        if neighbour is not None:
            roots["neighbour"] = neighbour[0].pid
        backends = postgres_backends(setup["database_url"])
        roots.update({f"pg_{pid}": pid for pid in backends})
        meter = stream_bench.CpuMeter(roots)
        log_start = server.log_size()
        load_start = os.getloadavg()
        client_cpu = time.process_time()
        meter.start()
        metered_from = time.monotonic()
        stop_screen = threading.Event()
        screen = threading.Thread(
            target=users.run_screen, args=(cast.screen, world, stop_screen), daemon=True
        )
        screen.start()
        if not world.checkin_open.wait(30):
            figures.problems.append("the room screen could not open check-in")
        began = time.monotonic()
        world.deadline = began + duration
        rng = random.Random(f"{label}-{index}")
        threads = []
        order = list(range(len(cast.staff)))
        rng.shuffle(order)
        for rank, n in enumerate(order):
            delay = RAMP_S * rank / len(order)
            args = (cast.staff[n], world, label, random.Random(f"{label}-staff-{n}"), delay)
            threads.append(threading.Thread(target=users.run_staff, args=args, daemon=True))
        for n, browser in enumerate(cast.coordinators):
            delay = RAMP_S * n / len(cast.coordinators)
            args = (browser, world, random.Random(f"{label}-coordinator-{n}"), delay)
            threads.append(threading.Thread(target=users.run_coordinator, args=args, daemon=True))
        progress(
            f"load test ({label}): {len(cast.staff)} staff and {len(cast.coordinators)} "
            f"coordinators arriving over {RAMP_S:g} s, acting for {duration:g} s"
        )
        lag: list[float] = []
        sampler = threading.Thread(target=_sample_lag, args=(lag, stop_screen), daemon=True)
        sampler.start()
        for thread in threads:
            thread.start()
        timeline = _watch(label, recorder, threads, began, duration, roots)
        stop_screen.set()
        screen.join(timeout=60)
        cpu = _fold_backends(meter.stop(), len(backends))
        metered_s = time.monotonic() - metered_from
        client_cpu = time.process_time() - client_cpu
        wall = time.monotonic() - began
        load_end = os.getloadavg()
    unfinished = sum(1 for thread in threads if thread.is_alive())
    summarise(recorder, figures)
    steady = [
        s
        for s in recorder.samples
        if s.kind not in users.NOT_A_REQUEST and began + RAMP_S <= s.at < began + duration
    ]
    figures.details.update(
        {
            "started_utc": started_utc,
            "rest_of_machine_cpu_percent_mean": round(
                statistics.fmean(p["rest_of_machine_cpu_percent"] for p in timeline), 1
            )
            if timeline
            else None,
            "timeline": timeline,
            "uptime_at_start": uptime,
            "loadavg_at_start": [round(v, 2) for v in load_start],
            "loadavg_at_end": [round(v, 2) for v in load_end],
            "duration_s": duration,
            "ramp_s": RAMP_S,
            "think_s": list(think),
            "staff": len(cast.staff),
            "coordinators": len(cast.coordinators),
            "noisy_neighbour_cpu": neighbour[1] if neighbour else None,
            "cpu_percent_of_one_core": cpu,
            "load_client_cpu_percent": round(100 * client_cpu / wall, 1),
            "load_client_wakeup_lag_ms": {
                "is": "how late a 50 ms sleep in the load client woke up (its own scheduling "
                "delay, which every measured latency includes)",
                **_stats(lag),
            },
            "portal_cpu_ms_per_request": round(
                10 * cpu["portal_cpu_percent"] * metered_s / max(figures.requests, 1), 1
            ),
            "steady_rps": round(len(steady) / (duration - RAMP_S), 1)
            if duration > RAMP_S
            else None,
            "steady_is": "requests sent after the ramp and before the deadline, per second",
            "checkin_posts_accepted": recorder.checkins,
            "people_still_acting_after_drain": unfinished,
            **server_log_figures(server.log_path, log_start, server.log_size()),
        }
    )
    if unfinished:
        figures.problems.append(f"{unfinished} people still busy {DRAIN_S:g} s after the end")
    for line in kind_table(figures):
        progress(line)
    progress(
        f"load test ({label}): CPU (% of one core) {cpu}; rest of the machine on average "
        f"{figures.details['rest_of_machine_cpu_percent_mean']}; portal "
        f"{figures.details['portal_cpu_ms_per_request']} ms CPU per request; load client "
        f"{figures.details['load_client_cpu_percent']} %, wake-up lag p95 "
        f"{figures.details['load_client_wakeup_lag_ms']['p95_ms']} ms"
    )
    figures.details["answers"] = recorder.answers
    return figures


def _sample_lag(samples: list[float], stop: threading.Event) -> None:
    while not stop.is_set():
        before = time.monotonic()
        time.sleep(0.05)
        samples.append((time.monotonic() - before - 0.05) * 1000)


def _fold_backends(cpu: dict[str, float], backends: int) -> dict[str, float]:
    """CpuMeter's figures with the PostgreSQL backends added up into one."""
    folded = {k: v for k, v in cpu.items() if not k.startswith("pg_")}
    folded[f"postgresql_{backends}_backends_cpu_percent"] = round(
        sum(v for k, v in cpu.items() if k.startswith("pg_")), 1
    )
    return folded


def _cpu_by_process() -> dict[int, tuple[str, float]]:
    """Every process's (short name, CPU seconds so far), from /proc."""
    ticks = os.sysconf("SC_CLK_TCK")
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, IndexError, ValueError):
            stat = (entry / "stat").read_text()
            fields = stat.rsplit(")", 1)[1].split()
            raw = (entry / "cmdline").read_bytes().split(b"\0")
            words = [w.decode(errors="replace") for w in raw if w][:3]
            name = " ".join(Path(w).name if n == 0 else w for n, w in enumerate(words))
            found[int(entry.name)] = (name[:60], (int(fields[11]) + int(fields[12])) / ticks)
    return found


def _rest_of_machine(
    before: dict[int, tuple[str, float]],
    after: dict[int, tuple[str, float]],
    ours: set[int],
    seconds: float,
) -> tuple[float, dict[str, float]]:
    """CPU (% of one core) of the processes that are not this test's, in total and the
    busiest few by name: other people's work, and shared servers (PostgreSQL, Redis)."""
    by_name: Counter[str] = Counter()
    for pid, (name, used) in after.items():
        if pid in ours:
            continue
        earlier = before.get(pid, (name, 0.0))[1] if pid in before else 0.0
        by_name[name] += 100 * (used - earlier) / seconds
    total = round(sum(by_name.values()), 1)
    return total, {name: round(v, 1) for name, v in by_name.most_common(3) if v >= 1}


def _watch(
    label: str,
    recorder: users.Recorder,
    threads: list[threading.Thread],
    began: float,
    duration: float,
    roots: dict[str, int],
) -> list[dict[str, Any]]:
    """Progress every PROGRESS_EVERY_S seconds until everyone has stopped (or the drain ends),
    with the CPU of each interval: the portal's, and what the rest of the machine used (the
    processes that are not this test's: other tenants, and the shared PostgreSQL and Redis
    servers, whose work is partly ours); returns those intervals."""
    timeline: list[dict[str, Any]] = []
    meter = stream_bench.CpuMeter(roots)
    meter.start()
    snapshot = _cpu_by_process()
    seen = 0
    last = began
    end = began + duration + DRAIN_S
    while time.monotonic() < end and any(thread.is_alive() for thread in threads):
        time.sleep(1.0)
        now = time.monotonic()
        if now - last < PROGRESS_EVERY_S:
            continue
        cpu = meter.stop()
        meter.start()
        ours = {os.getpid()}
        for name, pid in roots.items():
            if not name.startswith("pg_"):  # backends of the shared server count as its own
                ours.update(stream_bench._process_tree(pid))
        current = _cpu_by_process()
        rest, busiest = _rest_of_machine(snapshot, current, ours, now - last)
        snapshot = current
        samples = recorder.samples[:]
        fresh = samples[seen:]
        seen = len(samples)
        pages = sorted(s.ms for s in fresh if s.kind == users.PAGE)
        errors = sum(1 for s in samples if s.error)
        busy = sum(1 for thread in threads if thread.is_alive())
        point = {
            "at_s": round(now - began),
            "requests_per_s": round(len(fresh) / (now - last), 1),
            "page_p95_ms": round(_percentile(pages, 0.95)) if pages else None,
            "portal_cpu_percent": cpu.get("portal_cpu_percent"),
            "machine_busy_percent": cpu.get("machine_busy_percent"),
            "rest_of_machine_cpu_percent": rest,
            "rest_busiest": busiest,
        }
        timeline.append(point)
        p95 = f"{point['page_p95_ms']} ms" if pages else "-"
        progress(
            f"load test ({label}): {now - began:5.0f} s, {len(samples)} requests "
            f"({point['requests_per_s']}/s lately, page p95 lately {p95}), {errors} errors, "
            f"{busy} people acting; CPU % of a core: portal {point['portal_cpu_percent']}, "
            f"rest of the machine {rest} {busiest}"
        )
        last = now
    return timeline


# --------------------------------------------------------------------------- the run


def server_environment(base_env: dict[str, str], database_url: str, models: str) -> dict[str, str]:
    """Production settings from PORTAL_* variables: the runner's environment without its
    raised login limits (production's defaults apply), the scratch database, Redis."""
    env = {
        k: v
        for k, v in base_env.items()
        if not k.startswith("PORTAL_LOGIN_RATE_LIMIT") and k not in stream_bench.GUNICORN_VARIABLES
    }
    env.update(
        {
            "FLASK_APP": "wsgi.py",
            "PORTAL_ENV": "production",
            "PORTAL_SECRET_KEY": secrets.token_urlsafe(48),
            "PORTAL_DATABASE_URL": database_url,
            "PORTAL_RATELIMIT_STORAGE_URI": REDIS_URL,
            "PORTAL_TRUSTED_PROXY_COUNT": "1",
            "PORTAL_ASSISTANT_MODELS": models,
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


@dataclass
class Outcome:
    runs: list[RunFigures] = field(default_factory=list)
    state: dict[str, Any] = field(default_factory=dict)
    common: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def fail(self, what: str, err: BaseException) -> None:
        problem = f"{what}: {type(err).__name__}: {' '.join(str(err).split())[:400]}"
        progress(f"FAILED {problem}")
        self.problems.append(problem)


def benchmarks(
    base_env: dict[str, str],
    tmp: Path,
    duration: float = DURATION_S,
    runs: tuple[str, ...] = RUNS,
    think: tuple[float, float] = THINK_S,
    keep: Path | None = None,
) -> list[Result]:
    """The whole load test: one line set per run, then the database checks. `keep`: a
    directory that receives the server's and the fake model's logs."""
    outcome = Outcome()
    try:
        _measure(outcome, base_env, tmp, duration, runs, think)
    except Exception as err:  # noqa: BLE001 - every failure becomes a reported problem
        outcome.fail("load test", err)
    finally:
        if keep is not None:
            keep.mkdir(parents=True, exist_ok=True)
            for log in (tmp / "serve-prod.log", tmp / "fake-load-model.log"):
                if log.is_file():
                    shutil.copy(log, keep / log.name)
    return _results(outcome, runs)


def _measure(
    outcome: Outcome,
    base_env: dict[str, str],
    tmp: Path,
    duration: float,
    runs: tuple[str, ...],
    think: tuple[float, float],
) -> None:
    outcome.common["uptime_before_setup"] = _uptime()
    outcome.common["git"] = _git_state()
    progress(f"load test: {outcome.common['uptime_before_setup']}")
    scratch = ScratchPostgres(
        os.environ.get("BENCH_POSTGRES_URL") or POSTGRES_ADMIN_URL, label="load test"
    )
    scratch.create()
    outcome.common["postgresql_database"] = scratch.name
    try:
        _redis_flush()
        with stream_bench.fake_openai(
            "fake-load-model",
            tmp,
            reply_text=REPLY_TEXT,
            chunks=REPLY_CHUNKS,
            first_delay=REPLY_FIRST_DELAY_S,
            chunk_delay=REPLY_CHUNK_DELAY_S,
        ) as fake:
            models = json.dumps(
                [{"key": MODEL_KEY, "backend": "openai", "label": "부하 시험 모델",
                  "model": "fake", "base_url": fake.base_url, "api_key": "x"}]
            )  # fmt: skip
            env = server_environment(base_env, scratch.app_url, models)
            progress("load test: flask db upgrade, flask courses sync, flask demo seed")
            _run([str(BIN / "flask"), "db", "upgrade"], env, "flask db upgrade")
            _run([str(BIN / "flask"), "courses", "sync"], env, "flask courses sync")
            _run([str(BIN / "flask"), "demo", "seed"], env, "flask demo seed")
            progress(
                f"load test: {STAFF} staff, {COORDINATORS} coordinators (one shared argon2id "
                f"hash), {LOAD_SESSIONS} sessions of {SESSION_CAPACITY} seats, "
                f"{len(runs)} check-in sessions"
            )
            setup = _portal_step("setup", env, {"runs": len(runs)}, tmp)
            setup["database_url"] = scratch.app_url
            outcome.common["gunicorn"] = stream_bench.gunicorn_settings(env)
            progress(f"load test: make serve-prod (gunicorn {outcome.common['gunicorn']})")
            with serve_prod(env, tmp) as server:
                progress(f"load test: serving on {LOOPBACK}:{server.port}")
                cast = log_everyone_in(server.port, setup)
                outcome.common["login_post"] = {
                    "n": len(cast.login_ms),
                    "wall_s": round(cast.login_wall_s, 1),
                    **_stats(cast.login_ms),
                }
                for index, label in enumerate(runs):
                    outcome.runs.append(
                        run_once(label, index, server, fake, setup, cast, duration, think)
                    )
                outcome.common["server_log_tail"] = server.log_tail(5)
            answers = [a for run in outcome.runs for a in run.details.pop("answers", [])]
            progress("load test: reading the database back")
            given = {
                "done_answer_ids": [a for a, done in answers if done],
                "answers": len(answers),
                "load_sessions": [s["id"] for s in setup["sessions"]],
                "checkin_sessions": setup["checkin_sessions"][: len(runs)],
            }
            outcome.state = _portal_step("verify", env, given, tmp)
            outcome.state["checkins_client_accepted"] = [r.details["checkin_posts_accepted"]
                                                         for r in outcome.runs]  # fmt: skip
    finally:
        with contextlib.suppress(Exception):
            _redis_flush()
        scratch.drop()


def _results(outcome: Outcome, runs: tuple[str, ...]) -> list[Result]:
    results: list[Result] = []
    measured = {run.label: run for run in outcome.runs}
    for label in runs:
        run = measured.get(label) or RunFigures(label)
        run.details = outcome.common | run.details
        run.problems = outcome.problems + run.problems
        if label not in measured:
            run.problems = run.problems or ["the run did not happen"]
        results.extend(run.results())
    state = outcome.state
    problems = list(outcome.problems) if not state else []
    violations = state.get("capacity_violations")
    behind = state.get("waitlist_behind_free_seats")
    capacity_keys = ("sessions", "capacity_violations", "load_sessions_final",
                     "waitlist_promotions", behind and "waitlist_behind_free_seats")  # fmt: skip
    answer_keys = ("answers", "answer_statuses", "done_answers", "done_answers_stored_whole",
                   "checkin_marks", "checkins_client_accepted")  # fmt: skip
    results += [
        judge(
            "load_capacity_violations",
            len(violations) if violations is not None else None,
            "sessions",
            ZERO,
            _pick(state, capacity_keys),
            problems + ([f"waitlisted people behind free seats: {behind}"] if behind else []),
        ),
        judge(
            "load_duplicate_active_enrolments",
            state.get("duplicate_active"),
            "pairs",
            ZERO,
            _pick(state, ("duplicate_active", "duplicate_any")),
            problems,
        ),
        judge(
            "load_answers_not_stored_whole",
            (state["done_answers"] - state["done_answers_stored_whole"]) if state else None,
            "answers",
            ZERO,
            _pick(state, answer_keys),
            problems + _checkin_problems(state),
        ),
    ]
    return results


def _pick(state: dict[str, Any], keys: tuple) -> dict[str, Any]:
    return {k: state[k] for k in keys if k and k in state}


def _checkin_problems(state: dict[str, Any]) -> list[str]:
    marks = state.get("checkin_marks")
    accepted = state.get("checkins_client_accepted")
    if marks is None or accepted is None or marks == accepted:
        return []
    return [f"check-ins stored {marks}, accepted by the server {accepted}"]


# --------------------------------------------------------------------------- in the portal


def _setup(given: Path, out: Path) -> None:
    """Accounts, the enrolment sessions, the check-in sessions (one per run), the model."""
    from sqlalchemy import func, insert, select

    from portal import create_app
    from portal.assistant.models import DocType, ModelSetting
    from portal.auth.passwords import hash_password
    from portal.catalog.models import Course
    from portal.core.clock import SEOUL, utcnow
    from portal.db import db
    from portal.enrollment import operations as ops
    from portal.org.models import Department, DepartmentKind
    from portal.scheduling.models import TrainingSession
    from portal.users.models import Role, User

    spec = json.loads(given.read_text(encoding="utf-8"))
    app = create_app()
    with app.app_context():
        with db.command_transaction():
            now = utcnow().replace(microsecond=0)
            db.session.merge(
                ModelSetting(key=MODEL_KEY, is_enabled=True, is_internal=False, updated_at=now)
            )
            doc_type = db.session.scalars(
                select(DocType).where(DocType.is_active).order_by(DocType.sort_order, DocType.id)
            ).first()
            if doc_type is None:
                raise RuntimeError("no active document type: did `flask courses sync` run?")
            teams = list(
                db.session.scalars(
                    select(Department.id)
                    .where(Department.kind == DepartmentKind.TEAM)
                    .order_by(Department.id)
                )
            )
            if not teams:
                raise RuntimeError("no teams: did `flask demo seed` run?")
            password_hash = hash_password(PASSWORD)  # once, shared by every account
            staff = [f"{STAFF_PREFIX}{n:04d}" for n in range(1, STAFF + 1)]
            coordinators = [f"{COORDINATOR_PREFIX}{n:02d}" for n in range(1, COORDINATORS + 1)]
            rows = []
            for n, login in enumerate(staff + coordinators):
                is_staff = n < len(staff)
                rows.append(
                    {
                        "employee_number": login,
                        "name": f"{'부하' if is_staff else '담당'}{n + 1:04d}",
                        "email": f"{login.lower()}@load.example.kr",
                        "department_id": teams[n % len(teams)],
                        "role": Role.STAFF if is_staff else Role.COORDINATOR,
                        "grade": "지방행정7급" if is_staff else "지방행정6급",
                        "appointed_on": dt.date(2012 + n % 12, 3, 2),
                        "is_active": True,
                        "password_hash": password_hash,
                        "password_changed_at": now,
                        "created_at": now,
                    }
                )
            db.session.execute(insert(User), rows)
            courses = list(
                db.session.scalars(
                    select(Course)
                    .where(Course.is_active, ~Course.requires_approval)
                    .order_by(Course.id)
                )
            )
            checkin_course = next(
                (c for c in courses if c.slug == "chatgpt-special-lecture"), courses[0]
            )
            pool = [c for c in courses if c.id != checkin_course.id][: LOAD_SESSIONS // 2]

            def next_round(course: Course) -> int:
                current = db.session.scalar(
                    select(func.max(TrainingSession.round_number)).where(
                        TrainingSession.course_id == course.id
                    )
                )
                return (current or 0) + 1

            def add_session(course: Course, starts: dt.datetime, capacity: int):
                session = TrainingSession(
                    course_id=course.id,
                    round_number=next_round(course),
                    starts_at=starts,
                    ends_at=starts + dt.timedelta(hours=3),
                    place="세종시청 4층 교육장",
                    capacity=capacity,
                    cancel_deadline_at=starts - dt.timedelta(days=1),
                    created_at=now,
                    updated_at=now,
                )
                db.session.add(session)
                db.session.flush()
                return session

            sessions = []
            for n in range(LOAD_SESSIONS):
                course = pool[n % len(pool)]
                starts = now + dt.timedelta(days=14 + n, hours=1)
                session = add_session(course, starts, SESSION_CAPACITY)
                sessions.append({"id": session.id, "slug": course.slug})
            people = list(
                db.session.scalars(
                    select(User).where(User.employee_number.in_(staff)).order_by(User.id)
                )
            )
            checkins = []
            for _ in range(spec["runs"]):
                # Enrolled while it is still ahead (nobody may enrol once it has started), then
                # moved to today: it began five minutes ago and lasts three hours.
                session = add_session(checkin_course, now + dt.timedelta(hours=6), CHECKIN_CAPACITY)
                for person in people:
                    ops.enrol(session.id, person, ops.Actor(person.id), confirm_overlap=True)
                session.starts_at = now - dt.timedelta(minutes=5)
                session.ends_at = now + dt.timedelta(hours=3)
                session.cancel_deadline_at = None
                db.session.flush()
                checkins.append(session.id)
            result = {
                "staff": staff,
                "coordinators": coordinators,
                "sessions": sessions,
                "checkin_sessions": checkins,
                "checkin_day": (now - dt.timedelta(minutes=5)).astimezone(SEOUL).date().isoformat(),
                "course_slugs": [c.slug for c in courses],
                "doc_type": doc_type.slug,
                "year": now.astimezone(SEOUL).year,
            }
        db.refresh_statistics()  # VACUUM ANALYZE after a bulk load (docs/deployment.md)
    out.write_text(json.dumps(result), encoding="utf-8")


def _verify(given: Path, out: Path) -> None:
    """Seats against enrolled rows for every session, duplicates, answers, check-ins."""
    from sqlalchemy import func, select

    from portal import create_app
    from portal.assistant.models import AssistantMessage, MessageStatus
    from portal.attendance.models import AttendanceMark, MarkSource
    from portal.db import db
    from portal.enrollment.models import ACTIVE, Enrollment, EnrollmentStatus
    from portal.notifications.models import OutboxMessage
    from portal.scheduling.models import SessionStatus, TrainingSession

    spec = json.loads(given.read_text(encoding="utf-8"))
    app = create_app()
    with app.app_context():
        counts: dict[int, Counter] = {}
        for session_id, status, n in db.session.execute(
            select(Enrollment.session_id, Enrollment.status, func.count()).group_by(
                Enrollment.session_id, Enrollment.status
            )
        ):
            counts.setdefault(session_id, Counter())[str(status.value)] = n
        sessions = db.session.execute(
            select(
                TrainingSession.id,
                TrainingSession.capacity,
                TrainingSession.seats_taken,
                TrainingSession.status,
                TrainingSession.starts_at,
            ).order_by(TrainingSession.id)
        ).all()
        now = dt.datetime.now(dt.UTC)
        violations, behind, final = [], [], {}
        for session_id, capacity, taken, status, starts_at in sessions:
            mine = counts.get(session_id, Counter())
            enrolled = mine.get(EnrollmentStatus.ENROLLED.value, 0)
            waitlisted = mine.get(EnrollmentStatus.WAITLISTED.value, 0)
            row = {
                "session": session_id,
                "capacity": capacity,
                "seats_taken": taken,
                "enrolled": enrolled,
                "waitlisted": waitlisted,
            }
            if taken != enrolled or enrolled > capacity or taken > capacity:
                violations.append(row)
            open_ahead = status is SessionStatus.SCHEDULED and starts_at > now
            if open_ahead and waitlisted and taken < capacity:
                behind.append(row)
            if session_id in spec["load_sessions"]:
                final[str(session_id)] = row
        pairs = (
            select(Enrollment.session_id, Enrollment.user_id)
            .group_by(Enrollment.session_id, Enrollment.user_id)
            .having(func.count() > 1)
        )
        duplicate_active = db.session.scalar(
            select(func.count()).select_from(pairs.where(Enrollment.status.in_(ACTIVE)).subquery())
        )
        duplicate_any = db.session.scalar(select(func.count()).select_from(pairs.subquery()))
        done = spec["done_answer_ids"]
        stored = dict(
            db.session.execute(
                select(AssistantMessage.status, func.count())
                .where(AssistantMessage.id.in_(done))
                .group_by(AssistantMessage.status)
            ).all()
        )
        whole = db.session.scalar(
            select(func.count()).where(
                AssistantMessage.id.in_(done),
                AssistantMessage.status == MessageStatus.COMPLETE,
                AssistantMessage.content == REPLY_TEXT,
            )
        )
        promotions = db.session.scalar(
            select(func.count()).where(
                OutboxMessage.kind == "enrollment.promoted",
                OutboxMessage.session_id.in_(spec["load_sessions"]),
            )
        )
        marks = [
            db.session.scalar(
                select(func.count()).where(
                    AttendanceMark.session_id == session_id,
                    AttendanceMark.source == MarkSource.CHECKIN,
                )
            )
            for session_id in spec["checkin_sessions"]
        ]
    result = {
        "sessions": len(sessions),
        "capacity_violations": violations,
        "waitlist_behind_free_seats": behind,
        "load_sessions_final": final,
        "waitlist_promotions": promotions,
        "duplicate_active": duplicate_active,
        "duplicate_any": duplicate_any,
        "answers": spec["answers"],
        "done_answers": len(done),
        "answer_statuses": {str(k.value): v for k, v in stored.items()},
        "done_answers_stored_whole": whole,
        "checkin_marks": marks,
    }
    out.write_text(json.dumps(result), encoding="utf-8")


# --------------------------------------------------------------------------- standalone


def merge_results(results: list[Result], path: Path = RESULTS_PATH) -> None:
    """bench/results.json keeps the other benchmarks' lines; `load_*` lines are replaced."""
    kept: list[dict[str, Any]] = []
    with contextlib.suppress(OSError, ValueError):
        kept = [
            line
            for line in json.loads(path.read_text(encoding="utf-8"))
            if not str(line.get("name", "")).startswith("load_")
        ]
    lines = kept + [r.as_json() for r in results]
    path.write_text(json.dumps(lines, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="A load test of the whole portal.")
    parser.add_argument("--duration", type=float, default=DURATION_S, help="seconds per run")
    parser.add_argument("--runs", nargs="+", choices=RUNS, default=list(RUNS))
    parser.add_argument(
        "--think", nargs=2, type=float, default=list(THINK_S), metavar=("LOW", "HIGH")
    )
    parser.add_argument("--keep-logs", type=Path, metavar="DIR", help="copy the server log here")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    from bench.run import server_environment as runner_environment

    arguments = parse_arguments(argv)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="portal-load-") as tmp_name:
        tmp = Path(tmp_name)
        results = benchmarks(
            runner_environment(tmp),
            tmp,
            duration=arguments.duration,
            runs=tuple(arguments.runs),
            think=(arguments.think[0], arguments.think[1]),
            keep=arguments.keep_logs,
        )
    merge_results(results)
    progress(
        f"load test: done in {time.perf_counter() - started:.0f} s; merged into "
        f"{RESULTS_PATH.relative_to(ROOT)}"
    )
    for result in results:
        if result.name.endswith("_page_p95_ms") and "kinds" in result.details:
            figures = RunFigures(result.details["run"], kinds=result.details["kinds"])
            print("\n".join(kind_table(figures)[:-1]), flush=True)
    print(report.format_table(results), flush=True)
    return report.exit_code(results)


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] in ("setup", "verify"):
        {"setup": _setup, "verify": _verify}[sys.argv[1]](Path(sys.argv[2]), Path(sys.argv[3]))
    else:
        try:
            sys.exit(main())
        except KeyboardInterrupt:
            progress("load test: interrupted; servers stopped")
            sys.exit(130)
