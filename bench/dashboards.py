"""The coordinators' pages at 1× and 10× data, on SQLite and PostgreSQL: server time and the
number of SQL statements per request.

The runner (bench/run.py) calls `benchmarks(base_env, tmp)`; `--only dashboards` runs it
alone. Per database and scale, on a fresh database (a SQLite file, or a scratch PostgreSQL
database portal_bench_<random> dropped WITH (FORCE) at the end): `flask db upgrade`,
`flask courses sync` and `flask demo seed --scale medium` (1×: 2,000 staff, 200 sessions,
20,000 enrolments, 50,000 sandbox messages) or `--scale large` (10×). The seed's wall time
is reported too. Then, in a subprocess with that database's PORTAL_* environment
(`python -m bench.dashboards measure OUT.json`), as the demo coordinator D0002 logged in
through the real login form of a Flask test client, every page:

- every GET endpoint whose name starts with ``dashboards.`` and that takes no path
  argument (found in ``app.url_map``, so dashboards added later are measured too);
- the coordinator's home (``home.index``), the mandatory-training page
  (``mandatory.index``) and the exports page (``reports.exports_page``);

(a page that answers the coordinator 403 as the demo admin D0001) is requested WARMUP
times, then REQUESTS times with each of four filters (VARIANTS): none; a department
(``?year=<this year>&department=<the coordinator's 과>``; the 과 has 팀 under it, so
sub-departments are in the filter); this quarter (``&quarter=``); and the course with the
most sessions (``&course=``). Each request's wall time inside the
test client is its server time (no network); a SQLAlchemy ``before_cursor_execute``
listener counts its statements (the fewest of the requests; the most as statements_max).

Lines, per database and page:

- ``dashboard_<page>_<db>_ms``: the median server time at 10× data with the slowest of
  the four filters, target <= 200 ms; details hold median and p95 at 1× and 10× for each;
- ``dashboard_<page>_<db>_statement_growth``: how many more statements a request makes at
  10× than at 1× (the four filters added up, absolute), target == 0: a page whose
  statement count grows with the data runs a query per row;

plus ``dashboard_seed_<scale>_<db>_s``, the seed's wall time (information). A page that
answers anything but 200 fails its lines. PostgreSQL that cannot be reached fails its
lines with the reason (the issue asks for both databases).
"""

from __future__ import annotations

import contextlib
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as `python -m bench.dashboards` from ROOT
    sys.path.insert(0, str(ROOT))

from bench.enrol_burst import POSTGRES_ADMIN_URL, ScratchPostgres  # noqa: E402
from bench.harness import progress  # noqa: E402
from bench.report import Result, Target, judge  # noqa: E402

BIN = ROOT / ".venv" / "bin"
SCALES = (("medium", "1x"), ("large", "10x"))
DATABASES = ("sqlite", "postgresql")
LOGIN, PASSWORD = "D0002", "Demo!2026portal"  # the demo coordinator
ADMIN_LOGIN = "D0001"  # for a dashboard page only admins may open (403 for the coordinator)
FIXED_PAGES = {
    "home.index": "home",
    "mandatory.index": "mandatory",
    "reports.exports_page": "exports",
}
# The filters each page is measured with: none, the coordinator's 과 (with 팀 under it),
# this quarter, and the course with the most sessions. A page's line is its slowest.
VARIANTS = (("plain", {}), ("filtered", {}), ("quarter", {}), ("course", {}))
VARIANT_NAMES = tuple(name for name, _args in VARIANTS)
WARMUP = 2
REQUESTS = 9
SERVER_TIME = Target("<=", 200.0)
# Pages that are file downloads, not dashboards: their time (mostly drawing the PDF and
# embedding its Korean font) is reported for information; their statements still count.
DOWNLOADS = frozenset({"quarterly_report"})
STATEMENT_GROWTH = Target("==", 0)


def benchmarks(base_env: dict[str, str], tmp: Path) -> list[Result]:
    results: list[Result] = []
    for database in DATABASES:
        results += _database(database, base_env, tmp)
    return results


def _database(database: str, base_env: dict[str, str], tmp: Path) -> list[Result]:
    measured: dict[str, dict[str, Any]] = {}
    seeds: dict[str, float | None] = {}
    problems: list[str] = []
    for scale, label in SCALES:
        scratch = None
        try:
            if database == "sqlite":
                url = f"sqlite:///{tmp / f'dashboards-{scale}.db'}"
            else:
                scratch = ScratchPostgres(
                    os.environ.get("BENCH_POSTGRES_URL") or POSTGRES_ADMIN_URL, label="dashboards"
                )
                scratch.create()
                url = scratch.app_url
            env = dict(base_env, PORTAL_DATABASE_URL=url, PORTAL_LOG_LEVEL="WARNING")
            seeds[scale] = _prepare(database, scale, env)
            out = tmp / f"dashboards-{database}-{scale}.json"
            progress(f"dashboards ({database}, {label}): measuring every page as {LOGIN}")
            _run(
                [str(BIN / "python"), "-m", "bench.dashboards", "measure", str(out)], env, "measure"
            )
            measured[label] = json.loads(out.read_text(encoding="utf-8"))
            _log(database, label, measured[label])
        except Exception as err:  # noqa: BLE001 - reported in the table
            problem = f"{database} {label}: {type(err).__name__}: {' '.join(str(err).split())}"
            progress(f"FAILED dashboards: {problem}")
            problems.append(problem)
            seeds.setdefault(scale, None)
        finally:
            if scratch is not None:
                with contextlib.suppress(Exception):
                    scratch.drop()
    return _judge(database, measured, seeds, problems)


def _prepare(database: str, scale: str, env: dict[str, str]) -> float:
    progress(f"dashboards ({database}, {scale}): flask db upgrade, courses sync")
    flask = [str(BIN / "python"), "-m", "flask"]
    _run([*flask, "db", "upgrade"], env, "flask db upgrade")
    _run([*flask, "courses", "sync"], env, "flask courses sync")
    progress(f"dashboards ({database}, {scale}): flask demo seed --scale {scale}")
    started = time.perf_counter()
    _run([*flask, "demo", "seed", "--scale", scale], env, f"flask demo seed --scale {scale}")
    seconds = time.perf_counter() - started
    progress(f"dashboards ({database}, {scale}): seeded in {seconds:.0f} s")
    return round(seconds, 1)


def _log(database: str, label: str, figures: dict[str, Any]) -> None:
    for page, data in figures.get("pages", {}).items():
        medians = ", ".join(
            f"{variant} {data[variant]['median_ms']:.1f}" for variant in VARIANT_NAMES
        )
        progress(
            f"dashboards ({database}, {label}): {page:<18} median ms: {medians}; "
            f"statements {data['plain']['statements']}"
        )


def _judge(
    database: str,
    measured: dict[str, dict[str, Any]],
    seeds: dict[str, float | None],
    problems: list[str],
) -> list[Result]:
    results = [
        judge(
            f"dashboard_seed_{scale}_{database}_s",
            seeds.get(scale),
            "s",
            Target.none(),
            {"database": database, "scale": scale},
            [] if seeds.get(scale) is not None else problems or ["not seeded"],
        )
        for scale, _label in SCALES
    ]
    pages: list[str] = []
    for figures in measured.values():
        pages += [p for p in figures.get("pages", {}) if p not in pages]
    if not pages:
        pages = list(FIXED_PAGES.values())
    for page in pages:
        per_scale = {
            label: measured.get(label, {}).get("pages", {}).get(page) for _s, label in SCALES
        }
        page_problems = list(problems)
        for label, data in per_scale.items():
            if label in measured and data is None:
                page_problems.append(f"{label}: the page was not found")
            for variant in VARIANT_NAMES:
                if data and data[variant]["statuses"] != [200]:
                    page_problems.append(f"{label} {variant}: HTTP {data[variant]['statuses']}")
        details: dict[str, Any] = {"database": database, "page": page}
        for label, data in per_scale.items():
            if data:
                details[label] = data
        big, small = per_scale.get("10x"), per_scale.get("1x")
        growth = None
        if big and small:
            growth = sum(abs(big[v]["statements"] - small[v]["statements"]) for v in VARIANT_NAMES)
            details["statements_match"] = growth == 0
        results.append(
            judge(
                f"dashboard_{page}_{database}_ms",
                max(big[v]["median_ms"] for v in VARIANT_NAMES) if big else None,
                "ms",
                Target.none() if page in DOWNLOADS else SERVER_TIME,
                details,
                page_problems,
            )
        )
        results.append(
            judge(
                f"dashboard_{page}_{database}_statement_growth",
                growth,
                "stmts",
                STATEMENT_GROWTH,
                {
                    "database": database,
                    "page": page,
                    "statements": {
                        label: {v: data[v]["statements"] for v in VARIANT_NAMES}
                        for label, data in per_scale.items()
                        if data
                    },
                },
                page_problems,
            )
        )
    return results


def _run(command: list[str], env: dict[str, str], what: str) -> None:
    completed = subprocess.run(
        command, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=sys.stderr, check=False
    )
    if completed.returncode != 0:
        raise RuntimeError(f"{what} failed with exit code {completed.returncode}")


# --------------------------------------------------------------------------- in the portal


def pages_to_measure(app) -> dict[str, str]:
    """{endpoint: short name}: every argument-free GET ``dashboards.*`` endpoint, and the
    coordinator's home, mandatory-training and exports pages."""
    found = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.endpoint):
        if rule.endpoint.startswith("dashboards.") and "GET" in rule.methods and not rule.arguments:
            found[rule.endpoint] = rule.endpoint.removeprefix("dashboards.")
    for endpoint, name in FIXED_PAGES.items():
        if endpoint in app.view_functions:
            found[endpoint] = name
    return found


def _logged_in(app, login: str):
    """A test client logged in as ``login`` through the real login form."""
    import re

    client = app.test_client()
    page = client.get("/auth/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    if token is None:
        raise RuntimeError("no csrf_token on the login page")
    answer = client.post(
        "/auth/login", data={"csrf_token": token[1], "login": login, "password": PASSWORD}
    )
    if answer.status_code != 302:
        raise RuntimeError(f"logging in as {login} answered {answer.status_code}")
    return client


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))]


def _measure_in_portal(out: Path) -> None:
    from flask import url_for
    from sqlalchemy import event, func, select

    from portal import create_app
    from portal.core.clock import today_in_seoul
    from portal.db import db
    from portal.scheduling.models import TrainingSession
    from portal.users.models import User

    app = create_app()
    engine = app.extensions["portal_db"]["engine"]
    statements = [0]

    @event.listens_for(engine, "before_cursor_execute")
    def _count(*_args, **_kwargs):
        statements[0] += 1

    with app.app_context():
        department_id = db.session.scalar(
            select(User.department_id).where(User.employee_number == LOGIN)
        )
        # The course with the most sessions: the heaviest course filter.
        course_id = db.session.scalar(
            select(TrainingSession.course_id)
            .group_by(TrainingSession.course_id)
            .order_by(func.count().desc(), TrainingSession.course_id)
            .limit(1)
        )
    clients = {LOGIN: _logged_in(app, LOGIN), ADMIN_LOGIN: _logged_in(app, ADMIN_LOGIN)}

    pages = pages_to_measure(app)
    result: dict[str, Any] = {"pages": {}, "department_id": department_id}
    year = today_in_seoul().year
    quarter = (today_in_seoul().month + 2) // 3
    # A page that needs a query argument gets it (the quarterly report needs its quarter).
    required = {"dashboards.quarterly_report": {"quarter": quarter}}
    variants = {name: args for name, args in VARIANTS}
    variants["filtered"] = {"year": year, "department": department_id}
    variants["quarter"] = {"year": year, "quarter": quarter}
    variants["course"] = {"year": year, "course": course_id}
    with app.test_request_context():
        paths = {
            (endpoint, variant): url_for(endpoint, **(required.get(endpoint, {}) | args))
            for endpoint in pages
            for variant, args in variants.items()
        }
    for endpoint, name in pages.items():
        figures = {}
        # The coordinator, unless the page is for admins only.
        login = LOGIN
        if clients[LOGIN].get(paths[endpoint, "plain"]).status_code == 403:
            login = ADMIN_LOGIN
        client = clients[login]
        for variant in variants:
            path = paths[endpoint, variant]
            timings, counts, statuses = [], [], set()
            for n in range(WARMUP + REQUESTS):
                statements[0] = 0
                started = time.perf_counter()
                response = client.get(path)
                response.get_data()
                elapsed = (time.perf_counter() - started) * 1000
                statuses.add(response.status_code)
                if n >= WARMUP:
                    timings.append(elapsed)
                    counts.append(statements[0])
            figures[variant] = {
                "path": path,
                "as": login,
                "median_ms": round(statistics.median(timings), 1),
                "p95_ms": round(_percentile(timings, 0.95), 1),
                # The fewest: a sporadic extra write (the session's last-seen time, once a
                # minute) is no query per row, which would show in every request.
                "statements": min(counts),
                "statements_max": max(counts),
                "statuses": sorted(statuses),
            }
        result["pages"][name] = figures
    out.write_text(json.dumps(result), encoding="utf-8")


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] != "measure":
        sys.exit("usage: python -m bench.dashboards measure OUT.json")
    _measure_in_portal(Path(sys.argv[2]))
