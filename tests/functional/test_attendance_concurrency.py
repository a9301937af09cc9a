"""Two people marking one roster at the same time lose nothing.

Commits for real, so it uses a database of its own (SQLite file or a scratch PostgreSQL
database). Two logged-in clients, an instructor and a coordinator, each mark a different
half of a 20-person roster from their own thread, all at once; afterwards every person
has exactly the mark that was sent for them. A third round has both save the same
person from the same stale version: exactly one wins and the other is told so.
"""

from __future__ import annotations

import datetime as dt
import threading
import uuid

import pytest
from sqlalchemy import select

from portal.attendance.models import AttendanceMark, AttendanceStatus
from portal.auth.passwords import hash_password
from portal.core import clock
from portal.db import db, set_write_intent
from portal.enrollment.models import Enrollment, EnrollmentStatus
from portal.users.models import Role, User
from tests.conftest import PASSWORD, Auth, build_course, build_session, scratch_database

CLASS_SIZE = 20


@pytest.fixture(scope="module")
def marking_url(tmp_path_factory):
    yield from scratch_database(tmp_path_factory, "marking")


@pytest.fixture(scope="module")
def marking_app(marking_url, tmp_path_factory):
    from portal import create_app

    application = create_app(
        {
            "ENV": "testing",
            "SECRET_KEY": "m" * 40,
            "DATABASE_URL": marking_url,
            "LOG_LEVEL": "CRITICAL",
            "WTF_CSRF_ENABLED": False,
        },
        instance_path=str(tmp_path_factory.mktemp("marking-instance")),
    )
    yield application
    application.extensions["portal_db"]["engine"].dispose()


def _user(tag: str, n: int, role: Role = Role.STAFF) -> User:
    return User(
        employee_number=f"M{tag}{n:03d}",
        name=f"동시표시{n:02d}",
        email=f"marking.{tag}.{n}@sejong.example.kr",
        role=role,
        password_hash=hash_password(PASSWORD) if role is not Role.STAFF else "!",
        created_at=clock.utcnow(),
    )


def _setup(app) -> dict:
    """A session on now, its instructor, a coordinator and CLASS_SIZE enrolled people."""
    tag = uuid.uuid4().hex[:6]
    # Midday in Seoul, so the hour-long session never straddles midnight (the autouse
    # fixture in tests/conftest.py resets the clock after the test).
    noon = dt.datetime.combine(clock.today_in_seoul(), dt.time(12), clock.SEOUL)
    clock.advance(noon.astimezone(dt.UTC) - clock.utcnow())
    now = clock.utcnow()
    with app.app_context():
        set_write_intent(True)
        teacher = _user(tag, 900, Role.INSTRUCTOR)
        coordinator = _user(tag, 901, Role.COORDINATOR)
        people = [_user(tag, n) for n in range(CLASS_SIZE)]
        course = build_course()
        db.session.add_all([teacher, coordinator, *people, course])
        db.session.flush()
        session = build_session(
            course.id,
            starts_at=now - dt.timedelta(minutes=30),
            ends_at=now + dt.timedelta(minutes=30),
            capacity=CLASS_SIZE,
            instructor_id=teacher.id,
            seats_taken=CLASS_SIZE,
        )
        db.session.add(session)
        db.session.flush()
        db.session.add_all(
            Enrollment(
                session_id=session.id,
                user_id=p.id,
                status=EnrollmentStatus.ENROLLED,
                queue_key=n,
                created_at=now,
                updated_at=now,
            )
            for n, p in enumerate(people)
        )
        db.session.commit()
        day = now.astimezone(clock.SEOUL).date()
        return {
            "session_id": session.id,
            "day": day,
            "teacher": teacher.employee_number,
            "coordinator": coordinator.employee_number,
            "people": [p.id for p in people],
        }


def _client(app, login: str):
    client = app.test_client()
    assert Auth(client).login(login).status_code == 302
    return client


def _marks(app, session_id: int) -> dict[int, AttendanceMark]:
    with app.app_context():
        rows = db.session.scalars(
            select(AttendanceMark).where(AttendanceMark.session_id == session_id)
        )
        return {m.user_id: m for m in rows}


def _run_together(*jobs) -> list:
    barrier = threading.Barrier(len(jobs))
    results: list = [None] * len(jobs)
    errors: list[BaseException] = []

    def runner(i, job):
        try:
            barrier.wait(timeout=10)
            results[i] = job()
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=runner, args=(i, job)) for i, job in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    return results


def test_two_markers_on_one_roster_lose_nothing(marking_app):
    app = marking_app
    setup = _setup(app)
    sid, day, people = setup["session_id"], setup["day"], setup["people"]
    teacher = _client(app, setup["teacher"])
    coordinator = _client(app, setup["coordinator"])
    statuses = list(AttendanceStatus)
    wanted = {uid: statuses[n % len(statuses)] for n, uid in enumerate(people)}

    def marker(client, mine):
        def job():
            codes = []
            for uid in mine:
                response = client.post(
                    f"/attendance/sessions/{sid}/mark",
                    data={
                        "day": day.isoformat(),
                        "user_id": str(uid),
                        "status": wanted[uid].value,
                        "version": "0",
                    },
                    headers={"HX-Request": "true"},
                )
                codes.append(response.status_code)
            return codes

        return job

    first, second = people[::2], people[1::2]
    codes = _run_together(marker(teacher, first), marker(coordinator, second))
    assert codes == [[200] * len(first), [200] * len(second)]
    found = _marks(app, sid)
    assert {uid: m.status for uid, m in found.items()} == wanted
    assert all(m.version == 1 for m in found.values())

    # "All present" from one, exceptions from the other, at the same time: with every
    # mark already set, "all present" must not overwrite any of them.
    def all_present():
        return teacher.post(
            f"/attendance/sessions/{sid}/all-present", data={"day": day.isoformat()}
        ).status_code

    def one_more():
        return coordinator.post(
            f"/attendance/sessions/{sid}/mark",
            data={"day": day.isoformat(), "user_id": str(people[0]), "status": "excused"},
            headers={"HX-Request": "true"},
        ).status_code

    assert _run_together(all_present, one_more) == [302, 200]
    found = _marks(app, sid)
    assert found[people[0]].status is AttendanceStatus.EXCUSED
    assert {uid: m.status for uid, m in found.items() if uid != people[0]} == {
        uid: s for uid, s in wanted.items() if uid != people[0]
    }

    # Both save the same person from the same version: one wins, the other is refused.
    target = people[1]
    base = found[target].version

    def same_person(client, status):
        def job():
            return client.post(
                f"/attendance/sessions/{sid}/mark",
                data={
                    "day": day.isoformat(),
                    "user_id": str(target),
                    "status": status,
                    "version": str(base),
                },
                headers={"HX-Request": "true"},
            ).status_code

        return job

    codes = _run_together(same_person(teacher, "absent"), same_person(coordinator, "excused"))
    assert sorted(codes) == [200, 409]
    winner = "absent" if codes[0] == 200 else "excused"
    after = _marks(app, sid)[target]
    assert after.status.value == winner and after.version == base + 1
