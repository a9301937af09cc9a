"""`make bench`: the portal's benchmarks, each judged against a target.

Prints one line per benchmark on stdout (progress goes to stderr), writes
bench/results.json and exits 1 when any benchmark fails. Every figure is measured
side by side in this one run, because the machine is shared and noisy: throughput is
a ratio to a bare Flask route served the same way at the same time: the logged-in home page,
the catalogue and "나의 학습" (`--only pages` runs just those three). The enrolment burst
(bench/enrol_burst.py) and the HR roster import at its 20,000-row cap
(bench/import_bench.py) run on their own SQLite and PostgreSQL databases, then the
streaming assistant (bench/stream_bench.py) on its own SQLite database, with the
committed worker class and the other one side by side. `--only streams` runs just the
streaming benchmarks. Marking a 40-person attendance roster (bench/roster_bench.py)
runs on its own SQLite database too (`--only roster`). The coordinators' dashboards at 1×
and 10× data (bench/dashboards.py: `flask demo seed --scale medium` and `--scale large`, on
SQLite and PostgreSQL) run last (`--only dashboards`). See bench/README.md.
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing
import os
import re
import secrets
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: `python bench/run.py`
    sys.path.insert(0, str(ROOT))

from bench import (  # noqa: E402
    certificates_bench,
    dashboards,
    enrol_burst,
    harness,
    import_bench,
    load_test,
    report,
    roster_bench,
    stream_bench,
)
from bench.harness import progress  # noqa: E402
from bench.report import Result, Target  # noqa: E402

RESULTS_PATH = ROOT / "bench" / "results.json"
BIN = ROOT / ".venv" / "bin"

DEMO_LOGIN = "D0004"  # created by `flask demo seed`
DEMO_PASSWORD = "Demo!2026portal"


T = TypeVar("T")
Outcome = tuple[float, dict[str, Any], list[str]]  # (measured, details, problems)


class Benchmark(NamedTuple):
    name: str
    unit: str
    target: Target

    def result(
        self, measured: float | None, details: dict[str, Any], problems: list[str]
    ) -> Result:
        return report.judge(self.name, measured, self.unit, self.target, details, problems)


# home_throughput_ratio and the other logged-in pages, each against the bare route.
class Page(NamedTuple):
    label: str  # for the progress lines
    path: str
    benchmark: Benchmark


HOME = Benchmark("home_throughput_ratio", "ratio", Target(">=", 0.15))
PAGES = (
    Page("home page", "/", HOME),
    # The catalogue's first page (catalog.index) and "나의 학습" (learning.my_learning), as
    # D0004 sees them: figures to watch, without a target of their own.
    Page("catalogue", "/courses/", Benchmark("catalogue_throughput_ratio", "ratio", Target.none())),
    Page(
        "my learning",
        "/my/learning",
        Benchmark("my_learning_throughput_ratio", "ratio", Target.none()),
    ),
)
CLIENT_THREADS = 8  # keep-alive connections hitting a server at once
WARMUP_SECONDS = 2.0  # per server first (workers finish booting, templates compile)
SLICE_SECONDS = 1.0  # one server loaded at a time, for this long
PAIRS = 20  # portal+bare slice pairs, per page

# login_burst_median_verify_ms
LOGIN = Benchmark("login_burst_median_verify_ms", "ms", Target("<=", 250))
LOGINS = 150
LOGIN_CLIENTS = 30  # people pressing "로그인" at the same moment
VERIFY_PROCESSES = 2  # mimic 2 cores


# --------------------------------------------------------------------------- setup


def server_environment(tmp: Path) -> dict[str, str]:
    """The portal's settings for this run: a fresh SQLite file, development mode and
    login rate limits raised so the burst measures hashing, not the limiter. The worker
    class and threads are the committed gunicorn.conf.py's, whatever the environment says."""
    empty_config = tmp / "bench_config.py"
    empty_config.write_text("# the benchmark sets everything through PORTAL_* variables\n")
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PORTAL_", "FLASK_")) and k not in stream_bench.GUNICORN_VARIABLES
    }
    env.update(
        {
            "FLASK_APP": "wsgi.py",
            "PORTAL_CONFIG": str(empty_config),  # ignore a developer's instance/config.py
            "PORTAL_ENV": "development",
            "PORTAL_DATABASE_URL": f"sqlite:///{tmp / 'portal.db'}",
            "PORTAL_SECRET_KEY": secrets.token_urlsafe(48),
            "PORTAL_LOGIN_RATE_LIMIT_IP": "100000 per minute",
            "PORTAL_LOGIN_RATE_LIMIT_ACCOUNT": "100000 per minute",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def _run(command: list[str], env: dict[str, str], what: str) -> None:
    # The command's own output (seed progress) goes to stderr with ours.
    completed = subprocess.run(
        command, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=sys.stderr, check=False
    )
    if completed.returncode != 0:
        raise RuntimeError(f"{what} failed with exit code {completed.returncode}")


def prepare_database(env: dict[str, str]) -> str:
    """Migrate the fresh database, load the curriculum and seed it, as `make run` does;
    returns how it was seeded. Without `flask courses sync` the demo seed makes no sessions
    or enrolments, and the catalogue and "나의 학습" would measure empty pages."""
    progress("database: flask db upgrade")
    _run([str(BIN / "flask"), "db", "upgrade"], env, "flask db upgrade")
    progress("database: flask courses sync")
    _run([str(BIN / "flask"), "courses", "sync"], env, "flask courses sync")
    has_demo = subprocess.run(
        [str(BIN / "flask"), "demo", "seed", "--help"],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        check=False,
    )
    if has_demo.returncode == 0:
        progress("database: flask demo seed")
        _run([str(BIN / "flask"), "demo", "seed"], env, "flask demo seed")
        return "flask demo seed"
    progress("database: `flask demo seed` is not available; creating D0004 only")
    _run([str(BIN / "python"), "-m", "bench.seed_fallback"], env, "bench.seed_fallback")
    return "bench.seed_fallback (flask demo seed not available)"


def seeded_hash(database_url: str, login: str) -> str:
    path = database_url.removeprefix("sqlite:///")
    with contextlib.closing(sqlite3.connect(path)) as conn:
        row = conn.execute(
            "SELECT password_hash FROM users WHERE employee_number = ?", (login,)
        ).fetchone()
    if not row or not row[0]:
        raise RuntimeError(f"account {login} has no password in the seeded database")
    return row[0]


def gunicorn_settings() -> dict[str, Any]:
    """The worker settings gunicorn.conf.py gives the servers (for the details)."""
    env = {k: v for k, v in os.environ.items() if k not in stream_bench.GUNICORN_VARIABLES}
    return stream_bench.gunicorn_settings(env)


# --------------------------------------------------------------------------- benchmarks


def page_throughput(
    portal: harness.Server, bare: harness.Server, cookies: dict[str, str], page: Page
) -> Outcome:
    """(median ratio, details, problems) for GET page.path (logged in) against the bare route."""
    label = page.label
    check = harness.Client(portal.port, cookies)
    answer = check.request("GET", page.path)
    check.close()
    if answer.status != 200:
        raise RuntimeError(f"GET {page.path} as {DEMO_LOGIN} answered {answer.status}, not 200")

    targets = {
        "portal": (page.path, lambda: harness.Client(portal.port, cookies)),
        "bare": ("/", lambda: harness.Client(bare.port)),
    }

    def load(which: str, seconds: float) -> harness.LoadResult:
        path, make_client = targets[which]
        return harness.timed_load(make_client, path, threads=CLIENT_THREADS, seconds=seconds)

    progress(f"{label}: warming up both servers ({WARMUP_SECONDS:g} s each)")
    load("portal", WARMUP_SECONDS)
    load("bare", WARMUP_SECONDS)

    # Many short slices, alternating portal/bare in an ABBA order, so a burst of load
    # from elsewhere on the shared machine hits both sides of a pair alike; the median
    # of the per-pair ratios then shrugs off the pairs it spoilt anyway.
    progress(f"{label}: {PAIRS} pairs of {SLICE_SECONDS:g} s slices, {CLIENT_THREADS} clients")
    pairs = []
    totals = {"portal": [0, 0.0], "bare": [0, 0.0]}  # requests, seconds
    errors = {"portal": 0, "bare": 0}
    first_errors: dict[str, str] = {}
    for number in range(1, PAIRS + 1):
        measured = {}
        for which in ("portal", "bare") if number % 2 else ("bare", "portal"):
            result = load(which, SLICE_SECONDS)
            measured[which] = result
            totals[which][0] += result.ok
            totals[which][1] += result.seconds
            errors[which] += result.errors
            if result.first_error and which not in first_errors:
                first_errors[which] = result.first_error
        portal_rate, bare_rate = measured["portal"].per_second, measured["bare"].per_second
        pairs.append(
            {
                "portal_req_per_s": round(portal_rate, 1),
                "bare_req_per_s": round(bare_rate, 1),
                "ratio": round(portal_rate / bare_rate, 4) if bare_rate else None,
            }
        )
        if number % 4 == 0 or number == PAIRS:
            ratios = [p["ratio"] for p in pairs if p["ratio"] is not None]
            progress(
                f"{label}: pair {number}/{PAIRS}: portal {portal_rate:.0f} req/s, bare "
                f"{bare_rate:.0f} req/s; median ratio so far {statistics.median(ratios):.3f}"
            )

    problems = [
        f"{count} failed requests on {which} (first: {first_errors.get(which)})"
        for which, count in errors.items()
        if count
    ]
    ratios = sorted(p["ratio"] for p in pairs if p["ratio"] is not None)
    if not ratios:
        raise RuntimeError("the bare app answered no requests")
    ratio = statistics.median(ratios)
    portal_rate = totals["portal"][0] / totals["portal"][1]
    bare_rate = totals["bare"][0] / totals["bare"][1]
    details = {
        "path": page.path,
        "ratio_is": f"median over pairs of (portal GET {page.path} req/s) / "
        "(bare Flask route req/s)",
        "ratio_interquartile": [
            round(_percentile(ratios, 0.25), 4),
            round(_percentile(ratios, 0.75), 4),
        ],
        "ratio_pooled": round(portal_rate / bare_rate, 4),
        "portal_req_per_s": round(portal_rate, 1),
        "bare_req_per_s": round(bare_rate, 1),
        "portal_requests": totals["portal"][0],
        "bare_requests": totals["bare"][0],
        "page_bytes": len(answer.body),
        "pairs": pairs,
        "slice_seconds": SLICE_SECONDS,
        "client_threads": CLIENT_THREADS,
        "gunicorn": gunicorn_settings(),
        "cores": len(os.sched_getaffinity(0)),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }
    progress(f"{label}: median ratio {ratio:.3f}, load average {details['load_average']}")
    return round(ratio, 4), details, problems


def pages_throughput(portal: harness.Server, bare: harness.Server) -> list[Result]:
    """Every page of PAGES against the bare route, one after the other, on one login."""
    problems: list[str] = []
    progress(f"pages: logging in as {DEMO_LOGIN} over HTTP")
    cookies = _safely(
        "logging in", lambda: harness.log_in(portal.port, DEMO_LOGIN, DEMO_PASSWORD), problems
    )
    results = []
    for page in PAGES:
        if cookies is None:
            results.append(page.benchmark.result(None, {"path": page.path}, list(problems)))
            continue
        page_problems: list[str] = []
        outcome = _safely(
            f"{page.label} benchmark",
            lambda page=page: page_throughput(portal, bare, cookies, page),
            page_problems,
        )
        measured, details = None, {"path": page.path}
        if outcome is not None:
            measured, details, found = outcome
            page_problems.extend(found)
        results.append(page.benchmark.result(measured, details, page_problems))
    return results


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def login_burst_http(portal: harness.Server) -> tuple[dict[str, Any], list[str]]:
    """LOGINS logins at once over HTTP; returns (details, problems)."""
    progress(f"login burst: opening {LOGINS} login pages (CSRF tokens, cookies)")
    pages = []
    for _ in range(LOGINS):
        client, token = harness.open_login_page(portal.port)
        client.close()  # the POST comes later, on a new connection, like a browser
        pages.append((client, token))

    def one_login(page: tuple[harness.Client, str]) -> tuple[bool, int, float]:
        client, token = page
        started = time.perf_counter()
        try:
            response = harness.submit_login(client, token, DEMO_LOGIN, DEMO_PASSWORD)
        except OSError:
            return False, 0, (time.perf_counter() - started) * 1000
        finally:
            client.close()
        return (
            harness.login_succeeded(response),
            response.status,
            (time.perf_counter() - started) * 1000,
        )

    progress(f"login burst: {LOGINS} POST /auth/login from {LOGIN_CLIENTS} concurrent clients")
    began = time.perf_counter()
    with ThreadPoolExecutor(max_workers=LOGIN_CLIENTS) as pool:
        outcomes = list(pool.map(one_login, pages))
    wall = time.perf_counter() - began

    successes = sum(1 for ok, _status, _ms in outcomes if ok)
    latencies = [ms for _ok, _status, ms in outcomes]
    problems = []
    if successes != LOGINS:
        statuses = sorted({status for ok, status, _ms in outcomes if not ok})
        problems.append(f"{LOGINS - successes} of {LOGINS} logins failed (HTTP {statuses})")

    # A login that "succeeded" must really open the home page.
    first_ok = next((page for page, o in zip(pages, outcomes, strict=True) if o[0]), None)
    if first_ok is not None:
        client = harness.Client(portal.port, first_ok[0].cookies)
        home = client.request("GET", "/")
        client.close()
        if home.status != 200:
            problems.append(f"a logged-in session got HTTP {home.status} for the home page")

    details = {
        "http_logins": LOGINS,
        "http_successes": successes,
        "http_concurrent_clients": LOGIN_CLIENTS,
        "http_burst_wall_s": round(wall, 2),
        "http_logins_per_s": round(LOGINS / wall, 1),
        "http_login_p50_ms": round(_percentile(latencies, 0.50), 1),
        "http_login_p95_ms": round(_percentile(latencies, 0.95), 1),
    }
    progress(
        f"login burst: {successes}/{LOGINS} succeeded in {wall:.1f} s, "
        f"p50 {details['http_login_p50_ms']:.0f} ms, p95 {details['http_login_p95_ms']:.0f} ms"
    )
    return details, problems


def verify_timings(stored_hash: str) -> Outcome:
    """LOGINS argon2id verifications in a 2-process pool: (median ms, details, problems)."""
    progress(f"argon2id: {LOGINS} verify_password calls in a {VERIFY_PROCESSES}-process pool")
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=VERIFY_PROCESSES, mp_context=context) as pool:
        # Warm-up: start the processes and import argon2 before timing anything.
        list(
            pool.map(
                harness.timed_verify,
                [stored_hash] * VERIFY_PROCESSES,
                [DEMO_PASSWORD] * VERIFY_PROCESSES,
            )
        )
        outcomes = list(
            pool.map(harness.timed_verify, [stored_hash] * LOGINS, [DEMO_PASSWORD] * LOGINS)
        )
    timings = [ms for _ok, ms in outcomes]
    problems = []
    if not all(ok for ok, _ms in outcomes):
        problems.append("verify_password rejected the seeded password")
    params = re.search(r"\$m=(\d+),t=(\d+),p=(\d+)\$", stored_hash)
    median = statistics.median(timings)
    details = {
        "verify_count": LOGINS,
        "verify_processes": VERIFY_PROCESSES,
        "verify_median_ms": round(median, 1),
        "verify_p95_ms": round(_percentile(timings, 0.95), 1),
        "verify_min_ms": round(min(timings), 1),
        "verify_max_ms": round(max(timings), 1),
        "argon2id": (
            {
                "memory_kib": int(params[1]),
                "time_cost": int(params[2]),
                "parallelism": int(params[3]),
            }
            if params
            else "unrecognised hash format"
        ),
    }
    progress(f"argon2id: median {median:.1f} ms, p95 {details['verify_p95_ms']:.1f} ms")
    return round(median, 1), details, problems


# --------------------------------------------------------------------------- main


def _safely(what: str, action: Callable[[], T], *problem_lists: list[str]) -> T | None:
    """Run one step; a failure becomes a reported problem instead of ending the run."""
    try:
        return action()
    except Exception as err:  # noqa: BLE001 - every failure is reported in the table
        _note_failure(what, err, *problem_lists)
        return None


def _note_failure(what: str, err: BaseException, *problem_lists: list[str]) -> None:
    problem = f"{what}: {type(err).__name__}: {err}"
    progress(f"FAILED {problem}")
    for problems in problem_lists:
        problems.append(problem)


def parse_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="The portal's benchmarks (bench/README.md).")
    parser.add_argument(
        "--only",
        choices=("pages", "streams", "import", "roster", "certificates", "dashboards", "load"),
        help="run only the logged-in pages against the bare route (home_throughput_ratio, "
        "catalogue_throughput_ratio, my_learning_throughput_ratio), only "
        "the streaming assistant benchmarks (bench/stream_bench.py), only "
        "the HR roster import benchmarks (bench/import_bench.py), only the attendance "
        "roster benchmark (bench/roster_bench.py), only the certificate ZIP benchmark "
        "(bench/certificates_bench.py), only the dashboards at 1× and 10× data "
        "(bench/dashboards.py) or only the load test of the whole portal (bench/load_test.py)",
    )
    parser.add_argument(
        "--variants",
        nargs="+",
        metavar="CLASS[:THREADS]",
        help="server variants compared with the committed gunicorn.conf.py in the streaming "
        "benchmarks, e.g. gthread gthread:64 (default: the worker class it does not use)",
    )
    parser.add_argument(
        "--database",
        choices=("sqlite", "postgresql"),
        default="sqlite",
        help="the streaming benchmarks' database (default sqlite; postgresql uses a scratch "
        "database on BENCH_POSTGRES_URL, dropped at the end)",
    )
    return parser.parse_args(argv)


Runner = Callable[[dict[str, str], Path], list[Result]]


def _alone(run: Runner) -> int:
    """`--only <name>` for a benchmark module: its own temporary directory, then results.json."""
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="portal-bench-") as tmp_name:
        tmp = Path(tmp_name)
        results = run(server_environment(tmp), tmp)
    return _finish(results, started)


def _runs_alone(arguments: argparse.Namespace) -> dict[str, Runner]:
    """What each `--only` name but "pages" (pages_only, below) runs."""
    return {
        "streams": lambda env, tmp: stream_bench.benchmarks(
            env, tmp, arguments.variants, arguments.database
        ),
        "import": import_bench.benchmarks,  # the HR roster import
        "roster": roster_bench.benchmarks,  # marking a 40-person attendance roster
        "certificates": certificates_bench.benchmarks,  # a session's 150 certificates as a ZIP
        "dashboards": dashboards.benchmarks,  # the coordinators' pages at 1× and 10× data
        "load": load_test.benchmarks,  # the whole portal: 200 staff, 20 coordinators
    }


def _finish(results: list[Result], started: float) -> int:
    report.write_json(results, RESULTS_PATH)
    progress(
        f"done in {time.perf_counter() - started:.0f} s; wrote {RESULTS_PATH.relative_to(ROOT)}"
    )
    print(report.format_table(results), flush=True)
    return report.exit_code(results)


def _page_lines(pages: list[Result] | None, problems: list[str]) -> list[Result]:
    """The page ratios, or a failed line for each page when the setup kept them from running."""
    if pages is not None:
        return pages
    return [
        page.benchmark.result(None, {"path": page.path}, problems or ["not measured"])
        for page in PAGES
    ]


def pages_only() -> int:
    """`--only pages`: the logged-in pages against the bare route, and nothing else."""
    started = time.perf_counter()
    pages: list[Result] | None = None
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="portal-bench-") as tmp_name:
        tmp = Path(tmp_name)
        env = server_environment(tmp)
        if _safely("database setup", lambda: prepare_database(env), problems) is not None:
            progress("servers: starting the portal and the bare Flask app with gunicorn")
            try:
                with (
                    harness.gunicorn("portal", "wsgi:app", env, tmp, "/healthz") as portal,
                    harness.gunicorn("bare", "bench.bare_app:app", env, tmp, "/") as bare,
                ):
                    progress(f"servers: portal on :{portal.port}, bare on :{bare.port}")
                    pages = pages_throughput(portal, bare)
            except Exception as err:  # noqa: BLE001 - a server that would not start
                _note_failure("servers", err, problems)
            progress("servers: stopped")
    return _finish(_page_lines(pages, problems), started)


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    if arguments.only == "pages":
        return pages_only()
    if arguments.only is not None:
        return _alone(_runs_alone(arguments)[arguments.only])
    started = time.perf_counter()
    pages: list[Result] | None = None
    burst: tuple[dict[str, Any], list[str]] | None = None
    verified: Outcome | None = None
    enrolment: list[Result] = []
    importing: list[Result] = []
    marking: list[Result] = []
    certifying: list[Result] = []
    streaming: list[Result] = []
    dashboard_lines: list[Result] = []
    load_lines: list[Result] = []
    page_problems: list[str] = []
    login_problems: list[str] = []
    both = (page_problems, login_problems)

    with tempfile.TemporaryDirectory(prefix="portal-bench-") as tmp_name:
        tmp = Path(tmp_name)
        env = server_environment(tmp)
        seeded_with = _safely("database setup", lambda: prepare_database(env), *both)
        if seeded_with is not None:
            progress("servers: starting the portal and the bare Flask app with gunicorn")
            try:
                with harness.gunicorn("portal", "wsgi:app", env, tmp, "/healthz") as portal:
                    with harness.gunicorn("bare", "bench.bare_app:app", env, tmp, "/") as bare:
                        progress(f"servers: portal on :{portal.port}, bare on :{bare.port}")
                        pages = pages_throughput(portal, bare)
                    burst = _safely("login burst", lambda: login_burst_http(portal), login_problems)
            except Exception as err:  # noqa: BLE001 - a server that would not start
                _note_failure("servers", err, *both)
            progress("servers: stopped")
            stored = _safely(
                "reading the seeded hash",
                lambda: seeded_hash(env["PORTAL_DATABASE_URL"], DEMO_LOGIN),
                login_problems,
            )
            if stored is not None:
                verified = _safely(
                    "argon2id timing", lambda: verify_timings(stored), login_problems
                )
        # On their own databases and servers, so they load nothing measured above.
        enrolment = enrol_burst.benchmarks(env, tmp)
        importing = import_bench.benchmarks(env, tmp)
        marking = roster_bench.benchmarks(env, tmp)
        certifying = certificates_bench.benchmarks(env, tmp)
        streaming = stream_bench.benchmarks(env, tmp, arguments.variants, arguments.database)
        dashboard_lines = dashboards.benchmarks(env, tmp)
        load_lines = load_test.benchmarks(env, tmp)

    login_measured, login_details = None, {"seeded_with": seeded_with}
    if burst is not None:
        login_details.update(burst[0])
        login_problems.extend(burst[1])
    if verified is not None:
        login_measured = verified[0]
        login_details.update(verified[1])
        login_problems.extend(verified[2])

    results = [
        *_page_lines(pages, page_problems),
        LOGIN.result(login_measured, login_details, login_problems),
        *enrolment,
        *importing,
        *marking,
        *certifying,
        *streaming,
        *dashboard_lines,
        *load_lines,
    ]
    return _finish(results, started)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        progress("interrupted; servers stopped")
        sys.exit(130)
