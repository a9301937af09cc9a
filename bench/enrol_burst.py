"""The enrolment burst over HTTP: 400 logged-in staff press "신청" on a 150-seat session
at the same moment, against gunicorn with several workers, on SQLite and on PostgreSQL.

The runner (bench/run.py) calls `benchmarks(base_env, tmp)`. Everything that touches the
portal's models runs in a subprocess with that database's PORTAL_* environment:
`python -m bench.enrol_burst setup|verify OUT.json`, so this process never imports the
portal (the servers and the setup must see the same settings).

Per database: a scratch database (a fresh SQLite file, or a PostgreSQL database
portal_bench_<random> that is dropped WITH (FORCE) at the end), `flask db upgrade`, one
course with one session (capacity 150, starting in a week) and 400 active staff sharing
one argon2id hash computed once; a gunicorn server with the committed gunicorn.conf.py
and WEB_CONCURRENCY workers; 400 logins over HTTP (each client its own cookies and CSRF
token); then the 400 POST /sessions/<id>/enrol released together by a barrier. The
database then must hold exactly 150 enrolled and 250 waitlisted, seats_taken == 150.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import secrets
import statistics
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as `python -m bench.enrol_burst` from ROOT
    sys.path.insert(0, str(ROOT))

from bench import harness  # noqa: E402
from bench.harness import progress  # noqa: E402
from bench.harness import run_command as _run  # noqa: E402
from bench.report import Result, Target, judge  # noqa: E402

BIN = ROOT / ".venv" / "bin"

CAPACITY = 150
ATTEMPTS = 400
WORKERS = 4  # WEB_CONCURRENCY for these servers: several processes compete for the seats
LOGIN_CLIENTS = 16  # concurrent logins while preparing (not measured)
REQUEST_TIMEOUT_S = 60.0  # socket timeout of one enrol POST
BURST_DEADLINE_S = 120.0  # the whole burst, after the barrier opens
BARRIER_TIMEOUT_S = 60.0  # time for the 400 client threads to start and line up

PASSWORD = "Bench!2026enrol"
LOGIN_PREFIX = "BE"  # employee numbers BE0001 … BE0400
COURSE_SLUG = "bench-enrol-burst"

# The shared PostgreSQL server; BENCH_POSTGRES_URL overrides it (loopback only).
POSTGRES_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})

OVER_CAPACITY = Target("==", 0)
SERVER_ERRORS = Target("==", 0)
WALL_TIME = Target.none()


# --------------------------------------------------------------------------- results


@dataclass
class Measured:
    """What one database's run found; problems decide the verdicts."""

    over_capacity: int | None = None
    server_errors: int | None = None
    wall_s: float | None = None
    common: dict[str, Any] = field(default_factory=dict)
    state: dict[str, Any] = field(default_factory=dict)  # read back from the database
    requests: dict[str, Any] = field(default_factory=dict)  # the HTTP answers
    timing: dict[str, Any] = field(default_factory=dict)
    state_problems: list[str] = field(default_factory=list)
    request_problems: list[str] = field(default_factory=list)

    def fail(self, what: str, err: BaseException) -> None:
        """A step that broke fails both judged lines, with the reason."""
        message = " ".join(str(err).split())  # one line in the table (psycopg's span two)
        problem = f"{what}: {type(err).__name__}: {message}"
        progress(f"FAILED {problem}")
        self.state_problems.append(problem)
        self.request_problems.append(problem)

    def results(self, label: str) -> list[Result]:
        prefix = f"enrol_burst_{label}"
        wall = {"burst_wall_s": self.wall_s}
        return [
            judge(
                f"{prefix}_over_capacity",
                self.over_capacity,
                "seats",
                OVER_CAPACITY,
                self.common | self.state | wall,
                self.state_problems,
            ),
            judge(
                f"{prefix}_5xx",
                self.server_errors,
                "resp",
                SERVER_ERRORS,
                self.common | self.requests | wall,
                self.request_problems,
            ),
            judge(
                f"{prefix}_wall_s",
                self.wall_s,
                "s",
                WALL_TIME,
                self.common | self.timing | wall,
                [] if self.wall_s is not None else ["the burst did not run"],
            ),
        ]


def benchmarks(base_env: dict[str, str], tmp: Path) -> list[Result]:
    """The burst on SQLite, then on PostgreSQL: three result lines each."""
    sqlite = Measured(common={"database": "sqlite", "workers": WORKERS})
    with contextlib.suppress(Exception):  # every failure is already in `sqlite`
        _measure_database(sqlite, "sqlite", f"sqlite:///{tmp / 'enrol_burst.db'}", base_env, tmp)

    postgresql = Measured(common={"database": "postgresql", "workers": WORKERS})
    with contextlib.suppress(Exception):
        _measure_postgresql(postgresql, base_env, tmp)
    return sqlite.results("sqlite") + postgresql.results("postgresql")


def _measure_postgresql(measured: Measured, base_env: dict[str, str], tmp: Path) -> None:
    admin_url = os.environ.get("BENCH_POSTGRES_URL") or POSTGRES_ADMIN_URL
    try:
        scratch = ScratchPostgres(admin_url)
        scratch.create()
    except Exception as err:
        measured.fail("PostgreSQL unreachable or scratch database not created", err)
        raise
    measured.common["postgresql_database"] = scratch.name
    try:
        _measure_database(measured, "postgresql", scratch.app_url, base_env, tmp)
    finally:
        try:
            scratch.drop()
        except Exception as err:
            measured.fail(f"dropping {scratch.name}", err)


def _measure_database(
    measured: Measured, label: str, database_url: str, base_env: dict[str, str], tmp: Path
) -> None:
    env = dict(base_env, PORTAL_DATABASE_URL=database_url, WEB_CONCURRENCY=str(WORKERS))
    step = "setup"
    try:
        progress(f"enrol burst ({label}): flask db upgrade")
        _run([str(BIN / "flask"), "db", "upgrade"], env, "flask db upgrade")
        progress(
            f"enrol burst ({label}): one session of {CAPACITY} seats, "
            f"{ATTEMPTS} staff with one shared password hash"
        )
        setup = _portal_step("setup", env, tmp / f"enrol-{label}-setup.json")
        step = "server"
        progress(f"enrol burst ({label}): starting gunicorn with {WORKERS} workers")
        with harness.gunicorn(f"enrol-{label}", "wsgi:app", env, tmp, "/healthz") as server:
            step = "logins"
            sessions = _log_in_everyone(server.port, setup["logins"], measured, label)
            step = "burst"
            _burst(server.port, setup["session_id"], sessions, measured, label)
        step = "verification"
        state = _portal_step("verify", env, tmp / f"enrol-{label}-state.json")
        _judge_state(state, measured, label)
    except Exception as err:
        measured.fail(step, err)
        raise


# --------------------------------------------------------------------------- PostgreSQL


class ScratchPostgres:
    """A throwaway database on the shared PostgreSQL server, dropped at the end."""

    def __init__(self, admin_url: str, label: str = "enrol burst") -> None:
        from sqlalchemy.engine import make_url

        url = make_url(admin_url)
        if url.host not in LOOPBACK_HOSTS:
            raise RuntimeError(f"refusing a non-loopback PostgreSQL host: {url.host}")
        self.name = f"portal_bench_{secrets.token_hex(4)}"
        self._admin = url.set(drivername="postgresql").render_as_string(hide_password=False)
        self.app_url = url.set(database=self.name).render_as_string(hide_password=False)
        self._created = False
        self._label = label

    def _execute(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(self._admin, autocommit=True, connect_timeout=5) as conn:
            conn.execute(sql)

    def create(self) -> None:
        progress(f"{self._label} (postgresql): CREATE DATABASE {self.name}")
        self._execute(f'CREATE DATABASE "{self.name}"')
        self._created = True

    def drop(self) -> None:
        if not self._created:
            return
        progress(f"{self._label} (postgresql): DROP DATABASE {self.name} WITH (FORCE)")
        self._execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        self._created = False


# --------------------------------------------------------------------------- subprocesses


def _portal_step(step: str, env: dict[str, str], out: Path) -> dict[str, Any]:
    """Run `python -m bench.enrol_burst STEP OUT` against env's database; returns OUT."""
    _run([str(BIN / "python"), "-m", "bench.enrol_burst", step, str(out)], env, step)
    return json.loads(out.read_text(encoding="utf-8"))


# --------------------------------------------------------------------------- HTTP


class _TokenFinder(HTMLParser):
    """The CSRF token of a page: <meta name="csrf-token"> or a hidden csrf_token input."""

    def __init__(self) -> None:
        super().__init__()
        self.token: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if self.token is not None:
            return
        if tag == "meta" and values.get("name") == "csrf-token":
            self.token = values.get("content")
        elif tag == "input" and values.get("name") == "csrf_token":
            self.token = values.get("value")


def page_csrf_token(html: bytes) -> str:
    finder = _TokenFinder()
    finder.feed(html.decode("utf-8", errors="replace"))
    if not finder.token:
        raise RuntimeError("no CSRF token on the page")
    return finder.token


def _log_in_everyone(
    port: int, logins: list[str], measured: Measured, label: str
) -> list[tuple[dict[str, str], str]]:
    """Log every account in over HTTP; returns each one's (cookies, CSRF token)."""
    progress(f"enrol burst ({label}): logging in {len(logins)} staff over HTTP")

    def one(login: str) -> tuple[dict[str, str], str]:
        client, token = harness.open_login_page(port)
        try:
            response = harness.submit_login(client, token, login, PASSWORD)
            if not harness.login_succeeded(response):
                raise RuntimeError(f"login {login} answered HTTP {response.status}")
            home = client.request("GET", "/")
            if home.status != 200:
                raise RuntimeError(f"home page after login {login} answered HTTP {home.status}")
            return dict(client.cookies), page_csrf_token(home.body)
        finally:
            client.close()

    began = time.perf_counter()
    failures: list[str] = []
    sessions: list[tuple[dict[str, str], str]] = []
    with ThreadPoolExecutor(max_workers=LOGIN_CLIENTS) as pool:
        for future in [pool.submit(one, login) for login in logins]:
            try:
                sessions.append(future.result())
            except (OSError, http.client.HTTPException, RuntimeError) as err:
                failures.append(f"{type(err).__name__}: {err}")
    seconds = time.perf_counter() - began
    measured.timing["login_wall_s"] = round(seconds, 2)
    progress(f"enrol burst ({label}): {len(sessions)}/{len(logins)} logged in in {seconds:.1f} s")
    if failures:
        raise RuntimeError(f"{len(failures)} of {len(logins)} logins failed (first: {failures[0]})")
    return sessions


def _burst(
    port: int,
    session_id: int,
    sessions: list[tuple[dict[str, str], str]],
    measured: Measured,
    label: str,
) -> None:
    """Every client POSTs the enrol form at once; fills in the request figures."""
    path = f"/sessions/{session_id}/enrol"
    count = len(sessions)
    barrier = threading.Barrier(count + 1)
    # (HTTP status or None, seconds, error or None, perf_counter when finished)
    outcomes: list[tuple[int | None, float, str | None, float] | None] = [None] * count

    def fire(index: int) -> None:
        cookies, token = sessions[index]
        # The connection opens after the release, like a browser's click.
        client = harness.Client(port, cookies, timeout=REQUEST_TIMEOUT_S)
        status: int | None = None
        error: str | None = None
        seconds = 0.0
        try:
            barrier.wait(timeout=BARRIER_TIMEOUT_S)
            started = time.perf_counter()
            try:
                status = client.request("POST", path, form={"csrf_token": token}).status
            except (OSError, http.client.HTTPException) as err:  # timeouts are OSError
                error = type(err).__name__
            seconds = time.perf_counter() - started
        except threading.BrokenBarrierError:
            error = "BrokenBarrierError"
        finally:
            client.close()
            outcomes[index] = (status, seconds, error, time.perf_counter())

    progress(f"enrol burst ({label}): {count} POST {path} released together")
    threads = [
        threading.Thread(target=fire, args=(i,), name=f"enrol-{i}", daemon=True)
        for i in range(count)
    ]
    for thread in threads:
        thread.start()
    try:
        barrier.wait(timeout=BARRIER_TIMEOUT_S)
    except threading.BrokenBarrierError:
        raise RuntimeError(f"the {count} client threads did not line up in time") from None
    released = time.perf_counter()
    deadline = released + BURST_DEADLINE_S
    for thread in threads:
        thread.join(timeout=max(0.0, deadline - time.perf_counter()))
    unfinished = sum(1 for thread in threads if thread.is_alive())

    finished = [o for o in outcomes if o is not None]
    wall = max((o[3] for o in finished), default=time.perf_counter()) - released
    statuses: dict[str, int] = {}
    errors: dict[str, int] = {}
    for status, _seconds, error, _at in finished:
        if status is None:
            errors[error or "unknown"] = errors.get(error or "unknown", 0) + 1
        else:
            statuses[str(status)] = statuses.get(str(status), 0) + 1
    latencies = sorted(o[1] * 1000 for o in finished if o[0] is not None)
    server_errors = sum(n for status, n in statuses.items() if status.startswith("5"))
    other = {s: n for s, n in statuses.items() if s != "302" and not s.startswith("5")}

    measured.wall_s = round(wall, 3)
    measured.server_errors = server_errors
    measured.requests.update(
        {
            "attempts": count,
            "status_counts": dict(sorted(statuses.items())),
            "non_302_other_than_5xx": other,
            "transport_errors": errors,
            "unfinished_at_deadline": unfinished,
            "request_timeout_s": REQUEST_TIMEOUT_S,
            "latency_p50_ms": round(statistics.median(latencies), 1) if latencies else None,
            "latency_p95_ms": round(_percentile(latencies, 0.95), 1) if latencies else None,
            "latency_max_ms": round(latencies[-1], 1) if latencies else None,
        }
    )
    measured.timing.update(
        {
            "attempts": count,
            "requests_per_s": round(len(finished) / wall, 1) if wall > 0 else None,
            "latency_p50_ms": measured.requests["latency_p50_ms"],
            "latency_p95_ms": measured.requests["latency_p95_ms"],
        }
    )
    if server_errors:
        measured.request_problems.append(f"{server_errors} of {count} answered 5xx")
    if other:
        measured.request_problems.append(f"answers other than 302: {other}")
    if errors:
        measured.request_problems.append(f"requests without an answer: {errors}")
    if unfinished:
        measured.request_problems.append(
            f"{unfinished} requests still running after {BURST_DEADLINE_S:g} s"
        )
    progress(
        f"enrol burst ({label}): {count} answered in {wall:.2f} s "
        f"(statuses {dict(sorted(statuses.items()))}, p95 {measured.requests['latency_p95_ms']} ms)"
    )


def _percentile(ordered: list[float], fraction: float) -> float:
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def _judge_state(state: dict[str, Any], measured: Measured, label: str) -> None:
    enrolled, waitlisted = state["enrolled"], state["waitlisted"]
    measured.over_capacity = max(0, enrolled - state["capacity"])
    measured.state.update(state)
    expected = {
        "enrolled": CAPACITY,
        "waitlisted": ATTEMPTS - CAPACITY,
        "seats_taken": enrolled,
        "enrolment_rows": ATTEMPTS,
        "distinct_users": ATTEMPTS,
        "distinct_queue_keys": ATTEMPTS,
        "other_statuses": 0,
    }
    for key, want in expected.items():
        if state[key] != want:
            measured.state_problems.append(f"{key} is {state[key]}, expected {want}")
    progress(
        f"enrol burst ({label}): database holds {enrolled} enrolled, {waitlisted} waitlisted, "
        f"seats_taken {state['seats_taken']}"
    )


# --------------------------------------------------------------------------- in the portal


def _setup(out: Path) -> None:
    """The course, the session and the staff accounts, in one transaction."""
    import datetime as dt
    from decimal import Decimal

    from sqlalchemy import insert

    from portal import create_app
    from portal.auth.passwords import hash_password
    from portal.catalog.models import Category, Course, Format, Level
    from portal.core.clock import utcnow
    from portal.db import db
    from portal.scheduling.models import TrainingSession
    from portal.users.models import Role, User

    app = create_app()
    with app.app_context(), db.command_transaction():
        now = utcnow()
        course = Course(
            slug=COURSE_SLUG,
            title="벤치마크: 동시 수강 신청",
            summary="수강 신청 동시성 벤치마크용 과정",
            category=Category.PRACTICE,
            level=Level.BASIC,
            format=Format.CLASSROOM,
            recognised_hours=Decimal("3.0"),
            source_hash="0" * 64,
            synced_at=now,
        )
        db.session.add(course)
        db.session.flush()
        starts = now + dt.timedelta(days=7)
        session = TrainingSession(
            course_id=course.id,
            round_number=1,
            starts_at=starts,
            ends_at=starts + dt.timedelta(hours=3),
            place="세종시청 4층 교육장",
            capacity=CAPACITY,
            created_at=now,
            updated_at=now,
        )
        db.session.add(session)
        db.session.flush()
        password_hash = hash_password(PASSWORD)  # once: 400 argon2id hashes would take a while
        logins = [f"{LOGIN_PREFIX}{n:04d}" for n in range(1, ATTEMPTS + 1)]
        db.session.execute(
            insert(User),
            [
                {
                    "employee_number": login,
                    "name": f"벤치{n:04d}",
                    "email": f"bench{n:04d}@example.go.kr",
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
        result = {"session_id": session.id, "logins": logins}
    out.write_text(json.dumps(result), encoding="utf-8")


def _verify(out: Path) -> None:
    """What the database holds for the benchmark's session after the burst."""
    from sqlalchemy import func, select

    from portal import create_app
    from portal.catalog.models import Course
    from portal.db import db
    from portal.enrollment.models import Enrollment, EnrollmentStatus
    from portal.notifications.models import OutboxMessage
    from portal.scheduling.models import TrainingSession

    app = create_app()
    with app.app_context():
        session = db.session.scalars(
            select(TrainingSession)
            .join(Course, Course.id == TrainingSession.course_id)
            .where(Course.slug == COURSE_SLUG)
        ).one()
        by_status = dict(
            db.session.execute(
                select(Enrollment.status, func.count(Enrollment.id))
                .where(Enrollment.session_id == session.id)
                .group_by(Enrollment.status)
            ).all()
        )
        of_session = Enrollment.session_id == session.id
        users = db.session.scalar(
            select(func.count(func.distinct(Enrollment.user_id))).where(of_session)
        )
        rows = db.session.scalar(select(func.count(Enrollment.id)).where(of_session))
        keys = db.session.scalar(
            select(func.count(func.distinct(Enrollment.queue_key))).where(of_session)
        )
        enrolled = by_status.pop(EnrollmentStatus.ENROLLED, 0)
        waitlisted = by_status.pop(EnrollmentStatus.WAITLISTED, 0)
        result = {
            "capacity": session.capacity,
            "seats_taken": session.seats_taken,
            "enrolled": enrolled,
            "waitlisted": waitlisted,
            "other_statuses": sum(by_status.values()),
            "other_status_counts": {str(k): v for k, v in by_status.items()},
            "enrolment_rows": rows,
            "distinct_users": users,
            "distinct_queue_keys": keys,
            "outbox_messages": db.session.scalar(select(func.count(OutboxMessage.id))),
        }
    out.write_text(json.dumps(result), encoding="utf-8")


if __name__ == "__main__":
    steps = {"setup": _setup, "verify": _verify}
    if len(sys.argv) != 3 or sys.argv[1] not in steps:
        sys.exit(f"usage: python -m bench.enrol_burst {{{','.join(steps)}}} OUT.json")
    steps[sys.argv[1]](Path(sys.argv[2]))
