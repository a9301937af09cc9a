"""A session's 150 certificates as one ZIP, the way the coordinator's download builds it.

The runner (bench/run.py) calls `benchmarks(base_env, tmp)`. The work runs in a
subprocess with the database's PORTAL_* environment (`python -m bench.certificates_bench
measure OUT.json`), so this process never imports the portal. On a fresh SQLite file:
`flask db upgrade`, one department, course and session, 150 staff with a COMPLETED
completion each, and their certificates issued (timed, for information). Then, inside a
test request context as the download runs it: read and audit the session's certificates
(`operations.export_session`, committed), and with no transaction open draw every PDF and
zip them (`pdf.render_zip`). Lines:

- certificates_zip_150_s — the whole download (read + draw + zip), wall clock, target <= 10 s;
- certificates_zip_150_cpu_s — the CPU time of that download, target <= 10 s: on a machine
  shared with other work the wall clock includes waiting for a core, the CPU time does not;
- certificates_zip_per_certificate_s — the same divided by 150 (information);
- certificates_issue_150_s — issuing the 150 certificates in one transaction (information).

The ZIP is checked: 150 entries, each a PDF whose text (pypdf) holds its person's name.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as `python -m bench.certificates_bench` from ROOT
    sys.path.insert(0, str(ROOT))

from bench.harness import progress  # noqa: E402
from bench.report import Result, Target, judge  # noqa: E402

BIN = ROOT / ".venv" / "bin"
PEOPLE = 150
ZIP = Target("<=", 10.0)


def _targets() -> dict[str, Target]:
    return {"zip": ZIP, "zip_cpu": ZIP, "per_certificate": Target.none(), "issue": Target.none()}


def benchmarks(base_env: dict[str, str], tmp: Path) -> list[Result]:
    url = f"sqlite:///{tmp / 'certificates_bench.db'}"
    env = dict(base_env, PORTAL_DATABASE_URL=url)
    out = tmp / "certificates.json"
    targets = _targets()
    names = {
        "zip": f"certificates_zip_{PEOPLE}_s",
        "zip_cpu": f"certificates_zip_{PEOPLE}_cpu_s",
        "per_certificate": "certificates_zip_per_certificate_s",
        "issue": f"certificates_issue_{PEOPLE}_s",
    }
    try:
        progress("certificates: flask db upgrade")
        _run([str(BIN / "flask"), "db", "upgrade"], env, "flask db upgrade")
        progress(f"certificates: {PEOPLE} completions, issue, then the session's ZIP")
        _run(
            [str(BIN / "python"), "-m", "bench.certificates_bench", "measure", str(out)],
            env,
            "measure",
        )
        measured = json.loads(out.read_text(encoding="utf-8"))
    except Exception as err:  # noqa: BLE001 - reported in the table
        problem = f"{type(err).__name__}: {err}"
        progress(f"FAILED certificates: {problem}")
        return [judge(name, None, "s", targets[key], {}, [problem]) for key, name in names.items()]
    problems = measured.get("problems", [])
    details = {k: v for k, v in measured.items() if k != "problems"}
    progress(
        f"certificates: ZIP of {PEOPLE} in {measured.get('zip_seconds')} s "
        f"({measured.get('per_certificate_seconds')} s each, "
        f"CPU {measured.get('zip_cpu_seconds')} s); issue {measured.get('issue_seconds')} s"
    )
    return [
        judge(names["zip"], measured.get("zip_seconds"), "s", targets["zip"], details, problems),
        judge(names["zip_cpu"], measured.get("zip_cpu_seconds"), "s", targets["zip_cpu"], details),
        judge(
            names["per_certificate"],
            measured.get("per_certificate_seconds"),
            "s",
            targets["per_certificate"],
            details,
        ),
        judge(names["issue"], measured.get("issue_seconds"), "s", targets["issue"], details),
    ]


def _run(command: list[str], env: dict[str, str], what: str) -> None:
    completed = subprocess.run(
        command, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=sys.stderr, check=False
    )
    if completed.returncode != 0:
        raise RuntimeError(f"{what} failed with exit code {completed.returncode}")


# --------------------------------------------------------------------------- in the portal


def _measure_in_portal(out: Path) -> None:
    import datetime as dt
    from decimal import Decimal

    from flask import url_for
    from pypdf import PdfReader
    from sqlalchemy import select

    from portal import create_app
    from portal.attendance.models import Completion, CompletionStatus
    from portal.catalog.models import Category, Course, Format, Level
    from portal.certificates import operations, pdf
    from portal.core.clock import utcnow
    from portal.db import db
    from portal.org.models import Department, DepartmentKind
    from portal.scheduling.models import TrainingSession
    from portal.users.models import Role, User

    app = create_app()
    result: dict[str, Any] = {"people": PEOPLE, "problems": []}
    surnames = "김이박최정강조윤장임한오서신권황안송류홍"
    given = "민서지현우준영수진하은도윤성호연경아"
    with app.app_context(), db.command_transaction():
        now = utcnow()
        department = Department(
            code="BENCH-CERT", name="인공지능정책과", kind=DepartmentKind.DIVISION
        )
        course = Course(
            slug="bench-certificates",
            title="생성형 AI 보고서 작성 실습",
            summary="벤치마크",
            category=Category.PRACTICE,
            level=Level.BASIC,
            format=Format.CLASSROOM,
            recognised_hours=Decimal("7.0"),
            source_hash="0" * 64,
            synced_at=now,
        )
        db.session.add_all([department, course])
        db.session.flush()
        starts = now - dt.timedelta(days=3)
        session = TrainingSession(
            course_id=course.id,
            round_number=1,
            starts_at=starts,
            ends_at=starts + dt.timedelta(days=1, hours=8),
            place="세종시청 4층 교육장",
            capacity=PEOPLE,
            created_at=now,
            updated_at=now,
        )
        db.session.add(session)
        db.session.flush()
        for n in range(PEOPLE):
            name = surnames[n % len(surnames)] + given[n % 17] + given[(n * 7) % 17]
            user = User(
                employee_number=f"BC{n:05d}",
                name=name,
                email=f"bench.cert{n}@example.go.kr",
                role=Role.STAFF,
                department_id=department.id,
                created_at=now,
            )
            db.session.add(user)
            db.session.flush()
            db.session.add(
                Completion(
                    session_id=session.id,
                    user_id=user.id,
                    course_id=course.id,
                    status=CompletionStatus.COMPLETED,
                    attended_hours=Decimal("15.00"),
                    scheduled_hours=Decimal("15.00"),
                    hours_awarded=Decimal("7.0"),
                    completed_at=now,
                    evaluated_at=now,
                )
            )
        session_id = session.id

    with app.test_request_context():
        started = time.perf_counter()
        with db.command_transaction():
            summary = operations.issue_for_session(session_id)
        result["issue_seconds"] = round(time.perf_counter() - started, 3)
        if summary.issued != PEOPLE:
            result["problems"].append(f"issued {summary.issued}, expected {PEOPLE}")

    # What GET /manage/sessions/<id>/certificates.zip does.
    with app.test_request_context(base_url="https://edu.example.go.kr"):
        started, cpu = time.perf_counter(), time.process_time()
        with db.transaction():
            documents = operations.export_session(session_id)
        db.ensure_idle()
        body = pdf.render_zip(
            [
                pdf.Document(
                    d.content,
                    url_for("certificates.verify_number", number=d.number, _external=True),
                )
                for d in documents
            ]
        )
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    result["zip_seconds"] = round(seconds, 3)
    result["zip_cpu_seconds"] = round(cpu, 3)
    result["per_certificate_seconds"] = round(seconds / PEOPLE, 4)
    result["zip_bytes"] = len(body)

    archive = zipfile.ZipFile(io.BytesIO(body))
    entries = archive.namelist()
    result["entries"] = len(entries)
    if len(entries) != PEOPLE:
        result["problems"].append(f"{len(entries)} PDFs in the ZIP, expected {PEOPLE}")
    with app.app_context():
        names = set(db.session.scalars(select(User.name).where(User.employee_number.like("BC%"))))
    for entry in entries[:: max(1, PEOPLE // 10)]:
        text = PdfReader(io.BytesIO(archive.read(entry))).pages[0].extract_text()
        name = entry.split("_")[1]
        if name not in names or name not in text:
            result["problems"].append(f"{entry}: the name is not in the PDF's text")
    out.write_text(json.dumps(result, default=str), encoding="utf-8")


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] != "measure":
        sys.exit("usage: python -m bench.certificates_bench measure OUT.json")
    _measure_in_portal(Path(sys.argv[2]))
