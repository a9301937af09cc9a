"""The HR roster import at its documented cap: 20,000 rows previewed, created and updated,
on SQLite and on PostgreSQL.

The runner (bench/run.py) calls `benchmarks(base_env, tmp)`. The work itself runs in a
subprocess with that database's PORTAL_* environment (`python -m bench.import_bench
measure OUT.json`), so this process never imports the portal. Per database: a scratch
database (a fresh SQLite file, or a PostgreSQL database portal_bench_<random> dropped
WITH (FORCE) at the end), `flask db upgrade`, one department and one admin; then, each
inside a test request context as the admin screens run it:

- preview: `parse_file` + `plan_import` of a 20,000-row CSV (what the upload and every
  preview page do);
- create: `apply_upload` of that stored file on an empty roster, plus the commit (what the
  "이대로 반영하기" POST does): 20,000 accounts and their audit entries;
- update: `apply_upload` of a second file changing every person's grade: 20,000 updates.

PostgreSQL that cannot be reached is reported as SKIP, not FAIL (the import has its own
PostgreSQL tests); any other failure fails the line.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as `python -m bench.import_bench` from ROOT
    sys.path.insert(0, str(ROOT))

from bench.enrol_burst import POSTGRES_ADMIN_URL, ScratchPostgres  # noqa: E402
from bench.harness import progress  # noqa: E402
from bench.harness import run_command as _run  # noqa: E402
from bench.report import Result, Target, judge, skipped  # noqa: E402

BIN = ROOT / ".venv" / "bin"

ROWS = 20_000  # portal.users.hr_import.MAX_DATA_ROWS, the documented cap
DEPARTMENT_CODE = "BENCH-IMP"
ADMIN_NUMBER = "BIADMIN"

# The gunicorn timeout is 30 s; an apply must stay far below it on both databases.
PREVIEW = Target("<=", 5.0)
APPLY_CREATE = Target("<=", 5.0)
APPLY_UPDATE = Target("<=", 5.0)
LINES = (
    ("preview", PREVIEW),
    ("apply_create", APPLY_CREATE),
    ("apply_update", APPLY_UPDATE),
)


def _name(line: str, label: str) -> str:
    return f"import_{line}_{ROWS}_{label}_s"


def benchmarks(base_env: dict[str, str], tmp: Path) -> list[Result]:
    """Three lines per database: preview, apply (creates) and apply (updates), in seconds."""
    results = _measure("sqlite", f"sqlite:///{tmp / 'import_bench.db'}", base_env, tmp)
    admin_url = os.environ.get("BENCH_POSTGRES_URL") or POSTGRES_ADMIN_URL
    try:
        scratch = ScratchPostgres(admin_url, label="import")
        scratch.create()
    except Exception as err:  # noqa: BLE001 - no PostgreSQL here: skipped, not failed
        reason = f"PostgreSQL unreachable: {type(err).__name__}: {' '.join(str(err).split())}"
        progress(f"import (postgresql): SKIPPED, {reason}")
        return results + [skipped(_name(line, "postgresql"), "s", t, reason) for line, t in LINES]
    try:
        results += _measure("postgresql", scratch.app_url, base_env, tmp)
    finally:
        with contextlib.suppress(Exception):
            scratch.drop()
    return results


def _measure(label: str, url: str, base_env: dict[str, str], tmp: Path) -> list[Result]:
    env = dict(base_env, PORTAL_DATABASE_URL=url)
    out = tmp / f"import-{label}.json"
    try:
        progress(f"import ({label}): flask db upgrade")
        _run([str(BIN / "flask"), "db", "upgrade"], env, "flask db upgrade")
        progress(f"import ({label}): preview, create and update {ROWS:,} rows")
        _run([str(BIN / "python"), "-m", "bench.import_bench", "measure", str(out)], env, "measure")
        measured = json.loads(out.read_text(encoding="utf-8"))
    except Exception as err:  # noqa: BLE001 - reported in the table
        problem = f"{type(err).__name__}: {err}"
        progress(f"FAILED import ({label}): {problem}")
        return [judge(_name(line, label), None, "s", t, {}, [problem]) for line, t in LINES]
    results = []
    for line, target in LINES:
        figures = measured[line]
        details = {"database": label, "rows": ROWS} | figures
        results.append(
            judge(
                _name(line, label),
                figures.get("seconds"),
                "s",
                target,
                details,
                figures.get("problems", []),
            )
        )
        progress(
            f"import ({label}): {line} {figures.get('seconds')} s "
            f"(this process's CPU {figures.get('cpu_seconds')} s)"
        )
    return results


# --------------------------------------------------------------------------- in the portal


def roster_csv(rows: int, grade: str) -> bytes:
    """A UTF-8 roster of `rows` made-up people in one department."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["사번", "성명", "이메일", "부서", "직급", "임용일", "부서장"])
    for n in range(1, rows + 1):
        writer.writerow(
            [
                f"BI{n:06d}",
                f"가져온직원{n}",
                f"bench.import{n}@example.go.kr",
                DEPARTMENT_CODE,
                grade,
                "2021-03-02",
                "Y" if n % 50 == 0 else "",
            ]
        )
    return out.getvalue().encode("utf-8")


def _measure_in_portal(out: Path) -> None:
    from sqlalchemy import func, select

    from portal import create_app
    from portal.audit.models import AuditEntry
    from portal.core.clock import utcnow
    from portal.db import db
    from portal.org.models import Department, DepartmentKind
    from portal.users import hr_import
    from portal.users.models import Role, RosterUpload, User

    app = create_app()
    result: dict[str, Any] = {}
    with app.app_context(), db.command_transaction():
        department = Department(
            code=DEPARTMENT_CODE, name="벤치마크과", kind=DepartmentKind.DIVISION
        )
        admin = User(
            employee_number=ADMIN_NUMBER,
            name="벤치관리자",
            email="bench.admin@example.go.kr",
            role=Role.ADMIN,
            created_at=utcnow(),
        )
        db.session.add_all([department, admin])
        db.session.flush()
        admin_id = admin.id

    def store(content: bytes, name: str) -> int:
        with app.test_request_context(), db.command_transaction():
            upload = RosterUpload(
                filename=name,
                content=content,
                sha256=hr_import.hashlib.sha256(content).hexdigest(),
                uploaded_by_id=admin_id,
                created_at=utcnow(),
            )
            db.session.add(upload)
            db.session.flush()
            return upload.id

    def apply(upload_id: int) -> dict[str, Any]:
        with app.test_request_context():
            started, cpu = time.perf_counter(), time.process_time()
            with db.command_transaction():  # the request's one commit
                upload = db.session.get(RosterUpload, upload_id, with_for_update=True)
                applied = hr_import.apply_upload(upload, actor_id=admin_id)
            seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        return {
            "seconds": round(seconds, 3),
            "cpu_seconds": round(cpu, 3),
            "result": applied.__dict__,
        }

    first = roster_csv(ROWS, "행정7급")
    with app.test_request_context():
        started, cpu = time.perf_counter(), time.process_time()
        plan = hr_import.plan_import(hr_import.parse_file("bench.csv", first))
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        result["preview"] = {
            "seconds": round(seconds, 3),
            "cpu_seconds": round(cpu, 3),
            "bytes": len(first),
            "planned": plan.summary() | {"sha256": None},
            "problems": []
            if plan.is_valid and plan.count(hr_import.Action.CREATE) == ROWS
            else [f"unexpected plan: {plan.summary()}"],
        }

    result["apply_create"] = apply(store(first, "bench.csv"))
    result["apply_update"] = apply(store(roster_csv(ROWS, "행정6급"), "bench-2.csv"))

    with app.app_context():
        users = db.session.scalar(select(func.count(User.id)).where(User.id != admin_id))
        grades = db.session.scalar(select(func.count(User.id)).where(User.grade == "행정6급"))
        heads = db.session.scalar(
            select(func.count(User.id)).where(User.is_department_head.is_(True))
        )
        audit = dict(
            db.session.execute(
                select(AuditEntry.action, func.count(AuditEntry.id)).group_by(AuditEntry.action)
            ).all()
        )
    expected = {
        "apply_create": (
            users == ROWS
            and audit.get("user.created") == ROWS
            and audit.get("user.department_head_changed") == ROWS // 50
            and heads == ROWS // 50
        ),
        "apply_update": grades == ROWS and audit.get("user.updated") == ROWS,
    }
    for line, ok in expected.items():
        result[line]["database_after"] = {"users": users, "grade_changed": grades, "audit": audit}
        if not ok:
            result[line]["problems"] = ["the database does not hold what the import reported"]
    out.write_text(json.dumps(result, default=str), encoding="utf-8")


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] != "measure":
        sys.exit("usage: python -m bench.import_bench measure OUT.json")
    _measure_in_portal(Path(sys.argv[2]))
