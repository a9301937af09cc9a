"""A model call never runs inside an open write transaction.

Scoring a submission with a slow model must not stop the rest of the portal from writing:
on SQLite one open write transaction holds the database's only write lock, so before the
scoring view was split into short transactions an enrolment or a draft save made during
the call waited for the busy timeout and then failed. This test commits for real, so it
uses a database of its own, with a busy timeout much shorter than the model's delay.
"""

from __future__ import annotations

import json
import threading
import time
import uuid

import pytest
from sqlalchemy import select

from portal.assistant.models import DataGrade, ModelSetting, Submission
from portal.assistant.workspace import conversations, policy
from portal.auth.passwords import hash_password
from portal.core import clock
from portal.db import db, set_write_intent
from portal.enrollment.models import Enrollment, EnrollmentStatus
from portal.users.models import Role, User
from tests.conftest import (
    PASSWORD,
    build_course,
    build_doc_type,
    build_exercise,
    build_session,
    scratch_database,
)
from tests.fakes.openai_server import FakeOpenAI, Reply

MODEL_DELAY = 4.0  # seconds the fake model waits before it answers
BUSY_TIMEOUT_MS = 1000  # how long a blocked SQLite writer waits before it fails


@pytest.fixture(scope="module")
def scoring_url(tmp_path_factory):
    yield from scratch_database(tmp_path_factory, "scoring")


@pytest.fixture(scope="module")
def slow_model():
    with FakeOpenAI() as fake:
        yield fake


@pytest.fixture(scope="module")
def scoring_app(scoring_url, slow_model, tmp_path_factory):
    from portal import create_app

    application = create_app(
        {
            "ENV": "testing",
            "SECRET_KEY": "c" * 40,
            "DATABASE_URL": scoring_url,
            "LOG_LEVEL": "CRITICAL",
            "WTF_CSRF_ENABLED": False,
            "SQLITE_BUSY_TIMEOUT_MS": BUSY_TIMEOUT_MS,
            "ASSISTANT_MODELS": [
                {
                    "key": "slow-llm",
                    "backend": "openai",
                    "label": "느린 모델",
                    "model": "fake-model",
                    "base_url": slow_model.base_url,
                    "api_key": "test-key",
                }
            ],
        },
        instance_path=str(tmp_path_factory.mktemp("scoring-instance")),
    )
    yield application
    application.extensions["portal_db"]["engine"].dispose()


def _person(tag: str, n: int) -> User:
    return User(
        employee_number=f"S{tag}{n}",
        name=f"채점시험{n}",
        email=f"scoring.{tag}.{n}@sejong.example.kr",
        role=Role.STAFF,
        password_hash=hash_password(PASSWORD),
        created_at=clock.utcnow(),
    )


def _setup(app) -> dict[str, int | str]:
    """A submitted exercise waiting for model scoring, an open session, and two people."""
    tag = uuid.uuid4().hex[:6]
    with app.app_context():
        set_write_intent(True)
        trainee, colleague = _person(tag, 1), _person(tag, 2)
        course = build_course()
        db.session.add_all([trainee, colleague, course])
        db.session.add(
            ModelSetting(
                key="slow-llm", is_enabled=True, is_internal=False, updated_at=clock.utcnow()
            )
        )
        db.session.flush()
        training = build_session(course.id, capacity=10)
        doc_type = build_doc_type(f"report-{tag}")
        db.session.add_all([training, doc_type])
        db.session.flush()
        exercise = build_exercise(course.id, doc_type.id, f"ex-{tag}")
        db.session.add(exercise)
        db.session.flush()
        policy.accept_policy(trainee.id)

        def workspace(with_exercise: bool):
            return conversations.start_workspace(
                trainee,
                doc_type=doc_type,
                exercise=exercise if with_exercise else None,
                grade=DataGrade.PUBLIC,
                model_key="slow-llm",
                title="연습 문서",
            )

        submitted, open_draft = workspace(True), workspace(False)
        body = "□ 추진 배경\n○ 정류장 이용객이 늘어 스마트 정류장을 20곳 더 설치함"
        submitted.segments = [{"text": body, "ai": False}]
        submitted.body = body
        submitted.submitted_at = clock.utcnow()
        submission = Submission(
            draft_id=submitted.id,
            exercise_id=exercise.id,
            exercise_version=1,
            user_id=trainee.id,
            body=body,
            ai_share_percent=0,
            submitted_at=clock.utcnow(),
            minutes_spent=10,
            rubric_status="pending",
            rubric_model_key="slow-llm",
        )
        db.session.add(submission)
        db.session.commit()
        return {
            "trainee": trainee.employee_number,
            "colleague": colleague.employee_number,
            "colleague_id": colleague.id,
            "session_id": training.id,
            "submission_id": submission.id,
            "draft_id": open_draft.id,
            "revision": open_draft.revision,
        }


def _logged_in(app, employee_number: str):
    client = app.test_client()
    response = client.post("/auth/login", data={"login": employee_number, "password": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def test_an_enrolment_and_a_draft_save_complete_while_a_scoring_call_is_in_flight(
    scoring_app, slow_model
):
    ids = _setup(scoring_app)
    verdict = json.dumps(
        {
            "criteria": [
                {"id": "structure", "score": 4, "comment": "구성이 갖춰졌습니다."},
                {"id": "accuracy", "score": 3, "comment": "수치 단위를 확인하세요."},
            ],
            "summary": "전반적으로 좋습니다.",
            "untraced_figures": [],
        },
        ensure_ascii=False,
    )
    slow_model.script(Reply.text(verdict, first_delay=MODEL_DELAY))
    trainee = _logged_in(scoring_app, ids["trainee"])
    colleague = _logged_in(scoring_app, ids["colleague"])

    scored: dict[str, int] = {}

    def score() -> None:
        response = trainee.post(f"/practice/submissions/{ids['submission_id']}/score")
        scored["status"] = response.status_code

    scoring = threading.Thread(target=score)
    scoring.start()
    deadline = time.monotonic() + 10
    while not slow_model.chat_requests() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert slow_model.chat_requests(), "the scoring call never reached the model"

    # The model is now thinking for MODEL_DELAY seconds; other people keep writing.
    started = time.monotonic()
    enrol = colleague.post(f"/sessions/{ids['session_id']}/enrol", data={})
    save = trainee.post(
        f"/practice/w/{ids['draft_id']}/draft",
        json={
            "revision": ids["revision"],
            "segments": [{"text": "□ 추진 배경", "ai": False}],
            "reason": "",
        },
    )
    elapsed = time.monotonic() - started
    assert scoring.is_alive(), "the scoring call ended before the writes were tried"
    assert enrol.status_code == 302, enrol.get_data(as_text=True)
    assert save.status_code == 200, save.get_data(as_text=True)
    assert elapsed < MODEL_DELAY

    scoring.join(timeout=30)
    assert scored["status"] == 302
    with scoring_app.app_context():
        enrolment = db.session.scalar(
            select(Enrollment).where(
                Enrollment.session_id == ids["session_id"],
                Enrollment.user_id == ids["colleague_id"],
            )
        )
        assert enrolment is not None and enrolment.status is EnrollmentStatus.ENROLLED
        submission = db.session.get(Submission, ids["submission_id"])
        assert submission.rubric_status == "scored"
        assert submission.rubric_result["total"] == 7
