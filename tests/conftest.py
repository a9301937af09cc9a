"""Fixtures: one migrated database per run, one rolled-back transaction per test.

SQLite by default; PostgreSQL whenever TEST_DATABASE_URL is set (CI sets it).
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
import re
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import settings
from sqlalchemy import text
from sqlalchemy.orm import sessionmaker

from portal import create_app
from portal.assistant.workspace import conversations, policy
from portal.auth.passwords import hash_password
from portal.core import clock
from portal.db import db, make_engine
from portal.extensions import limiter
from portal.migrate import upgrade
from portal.org.models import Department, DepartmentKind
from portal.users.models import Role, User

# Shared look-up fixtures (statements, row counts, audit entries); pytest only honours
# pytest_plugins in the top-level conftest, so they are registered here.
pytest_plugins = ["tests.fixtures.db_helpers", "tests.fixtures.targets"]

PASSWORD = "Test!pass2026"
_PASSWORD_HASH = hash_password(PASSWORD)


def _forbid_outside_network() -> None:
    # Tests may only talk to loopback: anything else is a bug (and forbidden here).
    real_connect = socket.socket.connect

    def guarded(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6):
            host = address[0]
            if host not in ("127.0.0.1", "::1", "localhost") and not str(host).startswith("127."):
                raise RuntimeError(f"test tried to reach a non-loopback address: {host}")
        return real_connect(self, address)

    socket.socket.connect = guarded  # type: ignore[method-assign]


_forbid_outside_network()

# Property tests explore new examples on a developer's machine; in CI (CI=true) they run a
# fixed sequence, so a landing never depends on the luck of the draw. A failure found
# locally is then pinned as an explicit @example.
settings.register_profile("ci", derandomize=True)
if os.environ.get("CI") == "true":
    settings.load_profile("ci")


def _database_url(tmp_root: Path) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{tmp_root / 'test.db'}"


def _reset_database(url: str) -> None:
    engine = make_engine(url)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    url = _database_url(tmp_path_factory.mktemp("db"))
    _reset_database(url)
    upgrade("head", url=url)
    return url


def scratch_database(tmp_path_factory, label: str) -> Iterator[str]:
    """A migrated database of its own, for tests that commit for real (concurrency).

    A fresh SQLite file, or a scratch PostgreSQL database next to TEST_DATABASE_URL's that
    is dropped afterwards. Use with ``yield from`` in a module-scoped fixture.
    """
    import uuid

    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        url = f"sqlite:///{tmp_path_factory.mktemp(label) / f'{label}.db'}"
        upgrade("head", url=url)
        yield url
        return
    name = f"portal_{label}_{uuid.uuid4().hex[:8]}"
    admin = make_engine(base.rsplit("/", 1)[0] + "/postgres")
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = base.rsplit("/", 1)[0] + "/" + name
    upgrade("head", url=url)
    yield url
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


def dispose(app: Flask) -> None:
    """Close an app's pooled connections (psycopg warns about unclosed ones)."""
    app.extensions["portal_db"]["engine"].dispose()


@pytest.fixture
def make_app(database_url, tmp_path):
    """Build a separate app (e.g. production config) whose engine is disposed afterwards."""
    built: list[Flask] = []

    def factory(overrides: dict) -> Flask:
        settings = {"ENV": "testing", "SECRET_KEY": "s" * 40, "DATABASE_URL": database_url}
        settings.update({"LOG_LEVEL": "CRITICAL"} | overrides)
        new = create_app(settings, instance_path=str(tmp_path / f"i{len(built)}"))
        built.append(new)
        return new

    yield factory
    for new in built:
        dispose(new)


def _compile_translations() -> None:
    # `make` compiles the catalogues; do it here too so a bare `pytest` sees English.
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po in Path(__file__).parents[1].glob("portal/translations/*/LC_MESSAGES/messages.po"):
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            with po.open("rb") as f:
                catalog = read_po(f)
            with mo.open("wb") as f:
                write_mo(f, catalog, use_fuzzy=True)


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory) -> Iterator[Flask]:
    _compile_translations()
    instance = tmp_path_factory.mktemp("instance")
    application = create_app(
        {
            "ENV": "testing",
            "TESTING": True,
            "SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
            "DATABASE_URL": database_url,
            "LOG_LEVEL": "WARNING",
        },
        instance_path=str(instance),
    )
    yield application
    dispose(application)


@pytest.fixture(autouse=True)
def _isolated_transaction(app) -> Iterator[None]:
    """Every test runs inside one outer transaction that is rolled back at its end."""
    with app.app_context():
        connection = db.engine.connect()
    outer = connection.begin()
    db.bind_for_tests(
        app,
        sessionmaker(
            bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
        ),
    )
    limiter.reset()
    clock.reset()
    try:
        yield
    finally:
        clock.reset()
        outer.rollback()
        connection.close()


@pytest.fixture
def ctx(app) -> Iterator[None]:
    with app.app_context():
        yield


@pytest.fixture
def client(app) -> FlaskClient:
    return app.test_client()


_seq = itertools.count(1)


@pytest.fixture
def department(app) -> Department:
    with app.app_context():
        n = next(_seq)
        bureau = Department(code=f"B{n:04d}", name=f"기획조정실{n}", kind=DepartmentKind.BUREAU)
        db.session.add(bureau)
        db.session.flush()
        division = Department(
            code=f"D{n:04d}",
            name=f"디지털정책과{n}",
            kind=DepartmentKind.DIVISION,
            parent_id=bureau.id,
        )
        db.session.add(division)
        db.session.commit()
        return division


@pytest.fixture
def make_user(app):
    """Create a user with the shared test password; returns the User (detached)."""

    def factory(role: Role = Role.STAFF, **fields) -> User:
        with app.app_context():
            n = next(_seq)
            user = User(
                employee_number=fields.pop("employee_number", f"T{n:05d}"),
                name=fields.pop("name", f"홍길동{n}"),
                email=fields.pop("email", f"user{n}@sejong.example.kr"),
                role=role,
                grade=fields.pop("grade", "행정7급"),
                appointed_on=fields.pop("appointed_on", dt.date(2020, 3, 2)),
                password_hash=fields.pop("password_hash", _PASSWORD_HASH),
                created_at=clock.utcnow(),
                **fields,
            )
            db.session.add(user)
            db.session.commit()
            return user

    return factory


@pytest.fixture
def hours_years_match_ledger(app):
    """A check that learning_hours_years holds exactly the ledger's approved sums per person
    and year (0 where no line is approved, and no row for a year without lines)."""

    def check() -> None:
        from sqlalchemy import case, func, select

        from portal.attendance.models import HoursEntry, HoursStatus, HoursYear

        with app.app_context():
            approved = case((HoursEntry.status == HoursStatus.APPROVED, HoursEntry.hours), else_=0)
            ledger = {
                (user_id, year): total
                for user_id, year, total in db.session.execute(
                    select(HoursEntry.user_id, HoursEntry.year, func.sum(approved)).group_by(
                        HoursEntry.user_id, HoursEntry.year
                    )
                )
            }
            stored = {
                (row.user_id, row.year): row.approved
                for row in db.session.scalars(select(HoursYear))
            }
            assert {k: v for k, v in stored.items() if v} == {k: v for k, v in ledger.items() if v}
            assert set(ledger) <= set(stored)

    return check


def csrf_token_from(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf-token" content="([^"]+)"', html
    )
    assert match, "no CSRF token in page"
    return match.group(1)


class Auth:
    def __init__(self, client: FlaskClient):
        self.client = client

    def login(self, user: User | str, password: str = PASSWORD):
        login = user if isinstance(user, str) else user.employee_number
        page = self.client.get("/auth/login")
        token = csrf_token_from(page.get_data(as_text=True))
        return self.client.post(
            "/auth/login", data={"login": login, "password": password, "csrf_token": token}
        )

    def csrf(self, path: str = "/") -> str:
        return csrf_token_from(self.client.get(path).get_data(as_text=True))

    def logout(self):
        return self.client.post("/auth/logout", data={"csrf_token": self.csrf("/")})


@pytest.fixture
def auth(client) -> Auth:
    return Auth(client)


@pytest.fixture
def as_role(client, make_user, auth):
    """Log the test client in as a fresh user of the given role."""

    def login(role: Role, **fields) -> User:
        user = make_user(role, **fields)
        response = auth.login(user)
        assert response.status_code == 302, response.get_data(as_text=True)
        return user

    return login


def build_course(**fields):
    """An unsaved Course with sensible defaults."""
    from decimal import Decimal

    from portal.catalog.models import Category, Course, Format, Level

    n = next(_seq)
    return Course(
        slug=fields.pop("slug", f"course-{n}"),
        title=fields.pop("title", f"챗GPT 업무 활용 {n}"),
        summary=fields.pop("summary", "보고서 초안 작성 실습"),
        category=fields.pop("category", Category.PRACTICE),
        level=fields.pop("level", Level.BASIC),
        format=fields.pop("format", Format.CLASSROOM),
        recognised_hours=fields.pop("recognised_hours", Decimal("3.0")),
        source_hash=fields.pop("source_hash", "0" * 64),
        synced_at=fields.pop("synced_at", clock.utcnow()),
        **fields,
    )


def build_session(course_id: int, **fields):
    """An unsaved TrainingSession starting in a week, open for enrolment now."""
    from portal.scheduling.models import TrainingSession

    now = clock.utcnow()
    starts = fields.pop("starts_at", now + dt.timedelta(days=7))
    return TrainingSession(
        course_id=course_id,
        round_number=fields.pop("round_number", next(_seq)),
        starts_at=starts,
        ends_at=fields.pop("ends_at", starts + dt.timedelta(hours=3)),
        place=fields.pop("place", "세종시청 4층 교육장"),
        capacity=fields.pop("capacity", 30),
        created_at=now,
        updated_at=now,
        **fields,
    )


@pytest.fixture
def make_course(app):
    def factory(**fields):
        with app.app_context():
            course = build_course(**fields)
            db.session.add(course)
            db.session.commit()
            return course

    return factory


@pytest.fixture
def make_session(app, make_course):
    """A training session (and a course for it unless course_id is given)."""

    def factory(**fields):
        with app.app_context():
            course_id = fields.pop("course_id", None) or make_course().id
            session = build_session(course_id, **fields)
            db.session.add(session)
            db.session.commit()
            return session

    return factory


DOC_TYPE_DATA = {
    "description": "정책 추진을 건의하는 보고서",
    "system_prompt": "당신은 지방자치단체 기획보고서 작성을 돕는 도우미입니다. 두괄식·개조식으로 씁니다.",
    "structure": [
        {"title": "추진배경", "required": True, "hint": "필요성", "keywords": ["추진배경", "배경"]},
        {"title": "추진계획", "required": True, "hint": "일정과 예산", "keywords": ["추진계획"]},
        {"title": "기대효과", "required": False, "hint": "효과", "keywords": ["기대효과"]},
    ],
    "checklist": [{"id": "headline-first", "text": "결론을 먼저 썼다", "check": "headline"}],
    "style": {
        "gaejosik": True,
        "hierarchy": ["□", "○", "-"],
        "max_sentence_chars": 80,
        "units_required": True,
        "date_style": "2026. 11. 27.",
        "language": "ko",
    },
}

EXERCISE_DATA = {
    "scenario": "스마트 버스정류장 확대 계획을 기획보고서로 쓰세요.",
    "source_material": "| 구분 | 2025년 |\n|---|---|\n| 정류장 | 120개소 |",
    "estimated_minutes": 30,
    "rubric": [
        {
            "id": "structure",
            "title": "구성",
            "description": "필수 항목",
            "max_score": 5,
            "auto": "sections",
        },
        {"id": "accuracy", "title": "정확성", "description": "수치", "max_score": 5},
    ],
    "model_answer": None,
}


@contextmanager
def fake_model_enabled(app, fake, *, timeout: float) -> Iterator[None]:
    """Configure and enable "fake-llm" (label 시험 모델, external) served by ``fake``."""
    from portal.assistant.backends.specs import ModelSpec
    from portal.assistant.models import ModelSetting

    specs = app.extensions["assistant_models"]
    saved = dict(specs)
    specs["fake-llm"] = ModelSpec(
        key="fake-llm",
        backend="openai",
        label="시험 모델",
        model="fake-model",
        base_url=fake.base_url,
        api_key="test-key",
    )
    with app.app_context():
        db.session.add(
            ModelSetting(
                key="fake-llm", is_enabled=True, is_internal=False, updated_at=clock.utcnow()
            )
        )
        db.session.commit()
    app.config["ASSISTANT_TIMEOUT_SECONDS"] = timeout
    try:
        yield
    finally:
        app.config["ASSISTANT_TIMEOUT_SECONDS"] = 60
        specs.clear()
        specs.update(saved)


def build_doc_type(slug: str = "test-report"):
    """An unsaved DocType (a planning report) with the test structure and style."""
    from portal.assistant.models import DocType

    return DocType(
        slug=slug,
        version=1,
        name="기획보고서",
        name_en="Planning report",
        data=DOC_TYPE_DATA,
        source_hash="0" * 64,
        synced_at=clock.utcnow(),
    )


def build_exercise(course_id: int, doc_type_id: int, slug: str = "ex-test"):
    """An unsaved Exercise on the test doc type, with a two-criterion rubric."""
    from portal.assistant.models import Exercise

    return Exercise(
        slug=slug,
        course_id=course_id,
        doc_type_id=doc_type_id,
        version=1,
        title="스마트 버스정류장 확대 보고",
        title_en="Smart bus shelters",
        data=EXERCISE_DATA,
        source_hash="0" * 64,
        synced_at=clock.utcnow(),
    )


@pytest.fixture
def make_workspace(app, make_course):
    """A doc type and exercise (made once per test), and a workspace owned by `user`."""
    from sqlalchemy import select

    from portal.assistant.models import DataGrade, DocType, Exercise
    from portal.users.models import User

    def factory(user, *, exercise: bool = True, grade=DataGrade.PUBLIC, model_key="offline"):
        with app.app_context():
            doc_type = db.session.scalar(select(DocType).where(DocType.slug == "test-report"))
            if doc_type is None:
                doc_type = build_doc_type()
                db.session.add(doc_type)
                db.session.flush()
            found = None
            if exercise:
                found = db.session.scalar(select(Exercise).where(Exercise.slug == "ex-test"))
                if found is None:
                    found = build_exercise(make_course().id, doc_type.id)
                    db.session.add(found)
                    db.session.flush()
            owner = db.session.get(User, user.id)
            policy.accept_policy(owner.id)
            draft = conversations.start_workspace(
                owner,
                doc_type=doc_type,
                exercise=found,
                grade=grade,
                model_key=model_key,
                title="연습 문서",
            )
            db.session.commit()
            return draft

    return factory
