"""The practice sandbox through HTTP: policy, guard, streaming, drafts, submission, review."""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import io
import json
import re
from urllib.parse import quote

import pytest
from docx import Document
from prometheus_client import REGISTRY
from sqlalchemy import func, select

from portal.assistant.backends.specs import ModelSpec
from portal.assistant.manage import operations
from portal.assistant.models import (
    AssistantMessage,
    Conversation,
    Draft,
    DraftVersion,
    GuardEvent,
    MessageRating,
    MessageStatus,
    ModelSetting,
    PolicyAcceptance,
    Submission,
    UsageCounter,
)
from portal.assistant.workspace import conversations, policy, quotas
from portal.audit.models import AuditEntry
from portal.core import clock
from portal.db import db
from portal.users.models import Role, User
from tests.conftest import Auth, fake_model_enabled
from tests.fakes.openai_server import FakeOpenAI, Reply

RRN = "900101-1234568"  # a well-formed resident registration number (valid check digit)
MOBILE = "010-2345-6789"


@pytest.fixture
def fake_model(app):
    """An enabled OpenAI-compatible model served by the fake server, for one test."""
    with FakeOpenAI() as fake, fake_model_enabled(app, fake, timeout=2):
        yield fake


def _token(client) -> str:
    return Auth(client).csrf("/practice/")


def _post_json(client, url: str, body: dict):
    return client.post(url, json=body, headers={"X-CSRFToken": _token(client)})


def _events(body: str) -> list[tuple[str, dict]]:
    events = []
    for block in body.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        if "event" in lines:
            events.append((lines["event"], json.loads(lines["data"])))
    return events


def _send(client, draft_id: int, text: str):
    return _post_json(client, f"/practice/w/{draft_id}/messages", {"text": text})


def _stream(client, stream_url: str) -> list[tuple[str, dict]]:
    response = client.post(stream_url, headers={"X-CSRFToken": _token(client)})
    assert response.status_code == 200
    assert response.mimetype == "text/event-stream"
    return _events(response.get_data(as_text=True))


def _answer(app, message_id: int) -> AssistantMessage:
    with app.app_context():
        return db.session.get(AssistantMessage, message_id)


# Policy ----------------------------------------------------------------------------------


def test_the_policy_comes_first_and_is_recorded_once(app, client, as_role):
    user = as_role(Role.STAFF)
    response = client.get("/practice/new")
    assert response.status_code == 302 and "/practice/policy" in response.headers["Location"]

    page = client.get("/practice/policy").get_data(as_text=True)
    assert "입력하면 안 되는 것" in page
    token = _token(client)
    refused = client.post("/practice/policy", data={"csrf_token": token, "verify_outputs": "y"})
    assert "이 항목에 동의해야" in refused.get_data(as_text=True)

    accepted = client.post(
        "/practice/policy?next=/practice/new",
        data={"csrf_token": token, "no_personal_data": "y", "verify_outputs": "y"},
    )
    assert accepted.headers["Location"].endswith("/practice/new")
    assert client.get("/practice/new").status_code == 200
    with app.app_context():
        assert (
            db.session.scalar(select(func.count()).where(PolicyAcceptance.user_id == user.id)) == 1
        )
        assert (
            db.session.scalar(
                select(func.count()).where(AuditEntry.action == "assistant.policy_accepted")
            )
            == 1
        )


def test_coordinators_see_who_accepted(app, client, as_role, make_user):
    staff = make_user(Role.STAFF, name="김수용")
    with app.app_context():
        policy.accept_policy(staff.id)
        db.session.commit()
    as_role(Role.COORDINATOR)
    page = client.get("/practice/manage/acceptances").get_data(as_text=True)
    assert "김수용" in page and "미동의" in page


# Starting a workspace ----------------------------------------------------------------------


def test_secret_grade_is_refused_and_sensitive_needs_an_internal_model(
    app, client, as_role, make_workspace, fake_model
):
    user = as_role(Role.STAFF)
    make_workspace(user)  # accepts the policy and creates the doc type and exercise
    token = _token(client)
    base = {"csrf_token": token, "title": "문서", "doc_type": "test-report"}
    secret = client.post("/practice/new", data=base | {"grade": "secret", "model": "offline"})
    assert "기밀 자료는 실습 공간에서 다룰 수 없습니다" in secret.get_data(as_text=True)
    external = client.post("/practice/new", data=base | {"grade": "sensitive", "model": "fake-llm"})
    assert "내부 모델" in external.get_data(as_text=True)
    internal = client.post("/practice/new", data=base | {"grade": "sensitive", "model": "offline"})
    assert internal.status_code == 302 and "/practice/w/" in internal.headers["Location"]


# The guard -------------------------------------------------------------------------------


def test_personal_data_is_never_sent_and_the_event_keeps_only_a_masked_excerpt(
    app, client, as_role, make_workspace, fake_model
):
    user = as_role(Role.STAFF)
    draft = make_workspace(user, model_key="fake-llm")
    text = f"민원인 홍길동({RRN}, {MOBILE})의 민원을 요약해 주세요."

    checked = _post_json(client, f"/practice/w/{draft.id}/guard", {"text": text}).get_json()
    assert not checked["clean"]
    assert {f["kind"] for f in checked["findings"]} == {"rrn", "phone"}
    assert RRN not in checked["masked_text"] and MOBILE not in checked["masked_text"]

    blocked = _send(client, draft.id, text)
    assert blocked.status_code == 422
    assert blocked.get_json()["guard"]["findings"]
    assert fake_model.chat_requests() == []

    masked = _post_json(client, f"/practice/w/{draft.id}/mask", {"text": text}).get_json()
    assert masked["guard"]["clean"]
    sent = _send(client, draft.id, masked["text"])
    assert sent.status_code == 200
    events = _stream(client, sent.get_json()["stream_url"])
    assert events[-1][0] == "done"
    body = json.dumps(fake_model.chat_requests()[0].body, ensure_ascii=False)
    assert RRN not in body and MOBILE not in body and "[주민등록번호]" in body

    with app.app_context():
        guard_events = db.session.scalars(select(GuardEvent).order_by(GuardEvent.id)).all()
        assert [e.decision.value for e in guard_events] == ["blocked", "masked"]
        for event in guard_events:
            assert RRN not in event.masked_excerpt and MOBILE not in event.masked_excerpt
            assert "1234568" not in event.masked_excerpt
        stored = " ".join(db.session.scalars(select(AssistantMessage.content)).all())
        assert RRN not in stored and MOBILE not in stored
        details = db.session.scalars(
            select(AuditEntry.details).where(AuditEntry.action.like("assistant.guard_%"))
        ).all()
        assert details and all(RRN not in json.dumps(d) for d in details)


def test_a_secret_marker_is_refused_whatever_is_masked(app, client, as_role, make_workspace):
    user = as_role(Role.STAFF)
    draft = make_workspace(user)
    response = _send(client, draft.id, "[대외비] 2027년 조직개편안 초안을 다듬어 주세요.")
    assert response.status_code == 422
    assert "대외비" in response.get_json()["message"]
    with app.app_context():
        event = db.session.scalar(select(GuardEvent))
        assert event.decision.value == "refused" and event.kinds == ["marker"]


# Streaming -------------------------------------------------------------------------------


def test_the_offline_coach_streams_an_outline_labelled_as_not_a_model(
    app, client, as_role, make_workspace
):
    user = as_role(Role.STAFF)
    draft = make_workspace(user)
    page = client.get(f"/practice/w/{draft.id}").get_data(as_text=True)
    assert "AI 모델 아님" in page and 'role="log"' in page and 'aria-live="polite"' in page

    sent = _send(client, draft.id, "개요: 스마트 버스정류장 확대")
    events = _stream(client, sent.get_json()["stream_url"])
    names = [name for name, _ in events]
    assert names[0] == "start" and names[-1] == "done" and "delta" in names
    text = "".join(data["text"] for name, data in events if name == "delta")
    assert "AI 모델 아님" in text and "추진배경" in text
    answer = _answer(app, sent.get_json()["answer_id"])
    assert answer.status is MessageStatus.COMPLETE and answer.content == text
    # A claimed answer cannot be streamed twice.
    again = client.post(sent.get_json()["stream_url"], headers={"X-CSRFToken": _token(client)})
    assert again.status_code == 409


def test_a_model_answer_records_the_servers_usage(app, client, as_role, make_workspace, fake_model):
    user = as_role(Role.STAFF)
    draft = make_workspace(user, model_key="fake-llm")
    fake_model.script(
        Reply.text("□ 추진배경\n○ 정류장 노후화", prompt_tokens=40, completion_tokens=9)
    )
    sent = _send(client, draft.id, "추진배경을 써 주세요")
    events = _stream(client, sent.get_json()["stream_url"])
    assert events[-1] == (
        "done",
        {
            "message_id": sent.get_json()["answer_id"],
            "insert": "□ 추진배경\n○ 정류장 노후화",
            "parts": [{"document": False, "text": "□ 추진배경\n○ 정류장 노후화"}],
            "prompt_tokens": 40,
            "completion_tokens": 9,
            "estimated": False,
        },
    )
    request = fake_model.chat_requests()[0].body
    assert request["stream"] is True and request["stream_options"] == {"include_usage": True}
    assert request["messages"][0]["role"] == "system"
    with app.app_context():
        counter = db.session.scalar(select(UsageCounter).where(UsageCounter.scope == "user_day"))
        assert counter.messages == 1 and counter.tokens == 49


def test_missing_usage_is_estimated_and_marked(app, client, as_role, make_workspace, fake_model):
    user = as_role(Role.STAFF)
    draft = make_workspace(user, model_key="fake-llm")
    fake_model.script(Reply.text("사용량을 보내지 않는 서버의 답변", include_usage=False))
    sent = _send(client, draft.id, "답해 주세요")
    done = _stream(client, sent.get_json()["stream_url"])[-1]
    assert done[0] == "done" and done[1]["estimated"] is True and done[1]["completion_tokens"] > 0
    answer = _answer(app, sent.get_json()["answer_id"])
    assert answer.usage_estimated and answer.prompt_tokens > 0


@pytest.mark.parametrize(
    ("reply", "code", "fragment", "after_reload", "resend"),
    [
        (Reply.error(401), "auth", "401", "포털의 인증을 거절했습니다", False),
        (
            Reply.error(429, retry_after=7),
            "rate_limit",
            "7",
            "요청이 많다며 거절했습니다(429)",
            True,
        ),
        (Reply.error(503), "server", "503", "모델 서버에 오류가 났습니다", True),
        (Reply(hang=5), "timeout", "시간", "제한 시간 안에 답하지 않았습니다", True),
    ],
    ids=["401", "429", "5xx", "timeout"],
)
def test_backend_failures_get_a_korean_message_and_keep_the_question(
    app, client, as_role, make_workspace, fake_model, reply, code, fragment, after_reload, resend
):
    user = as_role(Role.STAFF)
    draft = make_workspace(user, model_key="fake-llm")
    fake_model.script(reply)
    sent = _send(client, draft.id, "보고서 개요를 잡아 주세요")
    name, data = _stream(client, sent.get_json()["stream_url"])[-1]
    assert name == "error" and data["code"] == code
    assert fragment in data["message"]
    if code == "rate_limit":
        assert data["retry_after"] == 7
    answer = _answer(app, sent.get_json()["answer_id"])
    assert answer.status is MessageStatus.FAILED and answer.error_code == code
    with app.app_context():
        question = db.session.get(AssistantMessage, sent.get_json()["question_id"])
        assert question.content == "보고서 개요를 잡아 주세요"
        # Nothing came back, so the message does not count against the day.
        counter = db.session.scalar(select(UsageCounter).where(UsageCounter.scope == "user_day"))
        assert counter.messages == 0
    # After a reload the answer says what happened, and that nothing was received.
    page = html.unescape(client.get(f"/practice/w/{draft.id}").get_data(as_text=True))
    assert f"{after_reload}" in page and "받은 내용은 없습니다." in page
    assert "받은 부분까지 저장했습니다" not in page
    button = re.search(r"<button[^>]*practice-resend[^>]*>", page.split('id="tpl-answer"')[0])
    assert button is not None and ("hidden" not in button.group(0)) is resend


def test_connection_refused_is_explained(app, client, as_role, make_workspace, fake_model):
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    specs = app.extensions["assistant_models"]
    specs["fake-llm"] = ModelSpec(
        key="fake-llm",
        backend="openai",
        label="꺼진 모델",
        model="m",
        base_url=f"http://127.0.0.1:{port}/v1",
        api_key="k",
    )
    user = as_role(Role.STAFF)
    draft = make_workspace(user, model_key="fake-llm")
    sent = _send(client, draft.id, "안녕하세요")
    name, data = _stream(client, sent.get_json()["stream_url"])[-1]
    assert name == "error" and data["code"] == "connection" and "연결" in data["message"]


def test_a_cut_stream_keeps_the_partial_answer(app, client, as_role, make_workspace, fake_model):
    user = as_role(Role.STAFF)
    draft = make_workspace(user, model_key="fake-llm")
    fake_model.script(Reply(chunks=["□ 추진", "배경\n", "○ 현황", " 끝"], cut_after=2))

    def measured() -> tuple[float, float]:
        errors = REGISTRY.get_sample_value("portal_model_errors_total", {"code": "stream_cut"})
        return errors or 0.0, REGISTRY.get_sample_value("portal_open_streams")

    errors_before, streams_before = measured()
    sent = _send(client, draft.id, "써 주세요")
    events = _stream(client, sent.get_json()["stream_url"])
    assert events[-1][0] == "error" and events[-1][1]["code"] == "stream_cut"
    assert events[-1][1]["partial"] is True
    answer = _answer(app, sent.get_json()["answer_id"])
    assert answer.content == "□ 추진배경\n" and answer.status is MessageStatus.FAILED
    # /metrics: one more model error of that kind, and the stream is no longer open
    assert measured() == (errors_before + 1, streams_before)


def test_a_browser_that_goes_away_closes_the_upstream_call(
    app, client, as_role, make_workspace, fake_model
):
    user = as_role(Role.STAFF)
    draft = make_workspace(user, model_key="fake-llm")
    fake_model.script(Reply(chunks=[f"{n}번째 줄\n" for n in range(200)], chunk_delay=0.02))
    sent = _send(client, draft.id, "길게 써 주세요")
    response = client.post(
        sent.get_json()["stream_url"], headers={"X-CSRFToken": _token(client)}, buffered=False
    )
    chunks = iter(response.response)
    received = ""
    while "delta" not in received:
        received += next(chunks).decode()
    response.close()
    assert fake_model.wait_for_disconnect(3.0)
    answer = _answer(app, sent.get_json()["answer_id"])
    assert answer.status is MessageStatus.INTERRUPTED
    assert answer.content.startswith("0번째 줄") and len(answer.content) < 200 * 6


# Limits ----------------------------------------------------------------------------------


def test_daily_message_quota_warns_then_stops_before_the_model(
    app, client, as_role, make_workspace, fake_model
):

    with app.app_context():
        operations.set_limits(quotas.DEFAULT_LIMITS | {"daily_messages": 5})
        db.session.commit()
    user = as_role(Role.STAFF)
    draft = make_workspace(user, model_key="fake-llm")
    for n in range(5):
        sent = _send(client, draft.id, f"질문 {n}")
        assert sent.status_code == 200
        _stream(client, sent.get_json()["stream_url"])
    assert sent.get_json()["quota_warning"] is True
    stopped = _send(client, draft.id, "한 번 더")
    assert stopped.status_code == 429
    assert "5건" in stopped.get_json()["message"]
    assert len(fake_model.chat_requests()) == 5
    page = client.get(f"/practice/w/{draft.id}").get_data(as_text=True)
    assert "모두 썼습니다" in page


def test_input_longer_than_the_limit_is_refused(app, client, as_role, make_workspace):
    user = as_role(Role.STAFF)
    draft = make_workspace(user)
    response = _send(client, draft.id, "가" * 4001)
    assert response.status_code == 413
    assert "입력이 너무 깁니다" in response.get_json()["message"]


def test_department_budget_stops_everyone_in_the_department(
    app, client, as_role, make_workspace, make_user, department
):

    user = as_role(Role.STAFF, department_id=department.id)
    draft = make_workspace(user)
    with app.app_context():
        day, month = quotas.periods()
        quotas.add_tokens(user.id, department.id, 2_000_000, day, month)
        # Keep the user's own day under its limit: only the department is out of budget.
        db.session.execute(
            UsageCounter.__table__.update().where(UsageCounter.scope == "user_day").values(tokens=0)
        )
        db.session.commit()
    response = _send(client, draft.id, "질문")
    assert response.status_code == 429 and "부서" in response.get_json()["message"]


# Drafts ----------------------------------------------------------------------------------


def test_autosave_versions_and_restore(app, client, as_role, make_workspace):
    user = as_role(Role.STAFF)
    draft = make_workspace(user)
    url = f"/practice/w/{draft.id}/draft"
    first = _post_json(
        client, url, {"segments": [{"text": "□ 추진배경", "ai": False}], "revision": 1}
    ).get_json()
    second = _post_json(
        client,
        url,
        {
            "segments": [
                {"text": "□ 추진배경\n", "ai": False},
                {"text": "○ 노후 정류장 120개소", "ai": True},
            ],
            "revision": first["revision"],
            "reason": "insert",
        },
    ).get_json()
    assert second["ai_share"] > 0
    stale = _post_json(client, url, {"segments": [], "revision": first["revision"]})
    assert stale.status_code == 409 and "다른 창" in stale.get_json()["message"]

    with app.app_context():
        numbers = db.session.scalars(
            select(DraftVersion.number).where(DraftVersion.draft_id == draft.id)
        ).all()
    assert sorted(numbers) == [1, 2]
    page = client.get(f"/practice/w/{draft.id}/versions").get_data(as_text=True)
    assert "AI 답변 넣기" in page
    restored = client.post(
        f"/practice/w/{draft.id}/versions/1/restore", data={"csrf_token": _token(client)}
    )
    assert restored.status_code == 302
    workspace = client.get(f"/practice/w/{draft.id}").get_data(as_text=True)
    assert "practice-ai" not in workspace.split('id="draft-editor"')[1].split("</div>")[0]


def test_bad_draft_payloads_change_nothing(app, client, as_role, make_workspace):
    user = as_role(Role.STAFF)
    draft = make_workspace(user)
    url = f"/practice/w/{draft.id}/draft"
    for payload in (
        {"segments": "text", "revision": 1},
        {"segments": [{"text": 5}], "revision": 1},
        {"segments": [{"text": "가" * 100_001, "ai": False}], "revision": 1},
        {"segments": [], "revision": "x"},
    ):
        response = _post_json(client, url, payload)
        assert response.status_code in (400, 409), payload
        assert "message" in response.get_json()
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(DraftVersion)) == 0


# Privacy ---------------------------------------------------------------------------------


def test_nobody_else_reaches_a_conversation_by_changing_an_id(
    app, client, as_role, make_workspace, make_user
):
    owner = make_user(Role.STAFF)
    draft = make_workspace(owner)
    with app.app_context():
        conversation = conversations.conversation_for(draft)
        _q, answer = conversations.post_message(
            db.session.get(User, owner.id), conversation, "비밀스러운 질문"
        )
        db.session.commit()
        answer_id = answer.id
    for role in (Role.STAFF, Role.COORDINATOR, Role.ADMIN):
        viewer = make_user(role)
        with app.app_context():
            policy.accept_policy(viewer.id)
            db.session.commit()
        other = app.test_client()
        Auth(other).login(viewer)
        token = Auth(other).csrf("/practice/")
        headers = {"X-CSRFToken": token}
        assert other.get(f"/practice/w/{draft.id}").status_code == 404
        assert other.get(f"/practice/w/{draft.id}/versions").status_code == 404
        assert (
            other.post(f"/practice/messages/{answer_id}/stream", headers=headers).status_code == 404
        )
        assert (
            other.post(
                f"/practice/w/{draft.id}/draft",
                json={"segments": [], "revision": 1},
                headers=headers,
            ).status_code
            == 404
        )
    with app.app_context():
        assert _answer(app, answer_id).status is MessageStatus.PENDING


def test_figures_show_counts_not_text(app, client, as_role, make_workspace, make_user):
    owner = make_user(Role.STAFF)
    draft = make_workspace(owner)
    with app.app_context():
        conversation = conversations.conversation_for(draft)
        conversations.post_message(
            db.session.get(User, owner.id), conversation, "아주 고유한질문문장"
        )
        db.session.commit()
    as_role(Role.COORDINATOR)
    page = client.get("/practice/manage/figures").get_data(as_text=True)
    assert "부서별 사용량" in page
    assert "아주 고유한질문문장" not in page


# Submission, feedback, review, export ----------------------------------------------------


def _write_and_submit(client, draft_id: int) -> int:
    text = "□ 추진배경\n○ 정류장 노후화 심화(120개소)\n□ 추진계획\n○ 2027년 40개소 교체\n"
    saved = _post_json(
        client,
        f"/practice/w/{draft_id}/draft",
        {"segments": [{"text": text, "ai": False}], "revision": 1},
    )
    assert saved.status_code == 200
    response = client.post(
        f"/practice/w/{draft_id}/submit", data={"csrf_token": _token(client), "confirm": "y"}
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(response.headers["Location"].rsplit("/", 1)[1])


def test_offline_submission_gets_computed_feedback_then_an_instructor_review(
    app, client, as_role, make_workspace, make_user, make_session
):
    user = as_role(Role.STAFF)
    draft = make_workspace(user)
    submission_id = _write_and_submit(client, draft.id)
    page = client.get(f"/practice/submissions/{submission_id}").get_data(as_text=True)
    assert "연습 코치가 계산한 피드백" in page and "계산 불가" in page
    # 40개소 is not in the exercise's source (120개소): listed for checking, not passed.
    assert "원 자료에서 확인하지 못한 수치 1개" in page
    assert "<strong>40개소</strong> — 출처 확인 필요: 원 자료에는 120개소" in page
    # The draft is frozen now.
    frozen = _post_json(client, f"/practice/w/{draft.id}/draft", {"segments": [], "revision": 2})
    assert frozen.status_code == 409

    time = client.post(
        f"/practice/submissions/{submission_id}/time",
        data={"csrf_token": _token(client), "minutes_without_ai": "90", "minutes_spent": "30"},
    )
    assert time.status_code == 302

    instructor = make_user(Role.INSTRUCTOR)
    reviewer = app.test_client()
    Auth(reviewer).login(instructor)
    # Instructors review the courses they teach: not this one yet.
    assert "스마트 버스정류장" not in reviewer.get("/practice/manage/reviews").get_data(
        as_text=True
    )
    assert reviewer.get(f"/practice/manage/reviews/{submission_id}").status_code == 404
    assert reviewer.get(f"/practice/submissions/{submission_id}").status_code == 404
    with app.app_context():
        from portal.assistant.models import Exercise as ExerciseModel

        course_id = db.session.scalar(select(ExerciseModel.course_id))
    make_session(course_id=course_id, instructor_id=instructor.id)
    queue = reviewer.get("/practice/manage/reviews").get_data(as_text=True)
    assert "스마트 버스정류장" in queue
    review_url = f"/practice/manage/reviews/{submission_id}"
    form = reviewer.get(review_url).get_data(as_text=True)
    # One score per rubric criterion (구성 5점, 정확성 5점), not one 0-100 number.
    assert 'name="criterion_structure"' in form and 'name="criterion_accuracy"' in form
    assert 'name="score"' not in form
    token = Auth(reviewer).csrf(review_url)
    bad = reviewer.post(
        review_url,
        data={
            "csrf_token": token,
            "criterion_structure": "6",
            "criterion_accuracy": "4",
            "comment": "좋음",
        },
    )
    assert bad.status_code == 200 and "0점에서 5점 사이로" in bad.get_data(as_text=True)
    done = reviewer.post(
        review_url,
        data={
            "csrf_token": token,
            "criterion_structure": "5",
            "criterion_accuracy": "3",
            "comment": "두괄식이 좋습니다.",
            "passed": "y",
        },
    )
    assert done.status_code == 302 and done.headers["Location"].endswith(review_url)
    # Saved, it reads as saved: no form to resubmit by accident, an explicit edit link instead.
    shown = reviewer.get(review_url).get_data(as_text=True)
    assert "80점(100점 환산), 실습 요건 충족" in shown
    assert 'name="passed"' not in shown and "검토 수정" in shown
    assert "정확성" in shown and "3 / 5" in shown
    # The learner was told, with a link to the result.
    inbox = client.get("/notifications/").get_data(as_text=True)
    assert "실습 과제 검토 결과가 도착했습니다" in inbox
    assert f"/practice/submissions/{submission_id}" in inbox
    learner_view = client.get(f"/practice/submissions/{submission_id}").get_data(as_text=True)
    assert "80점" in learner_view and "3 / 5" in learner_view
    # Changing the verdict takes an explicit edit, says so, and tells the learner again.
    editing = reviewer.get(review_url + "?edit=1").get_data(as_text=True)
    assert 'name="passed"' in editing and "checked" in editing and 'value="3"' in editing
    changed = reviewer.post(
        review_url,
        data={
            "csrf_token": token,
            "criterion_structure": "5",
            "criterion_accuracy": "1",
            "comment": "수치를 원 자료와 다시 대조하세요.",
        },
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "'충족'에서 '미충족'(으)로 바뀌었습니다" in html.unescape(changed)
    assert "실습 과제 검토 결과가 바뀌었습니다" in client.get("/notifications/").get_data(
        as_text=True
    )
    with app.app_context():
        assert not db.session.get(Submission, submission_id).review_passed
        actions = db.session.scalars(
            select(AuditEntry.action).where(AuditEntry.target_id == str(submission_id))
        ).all()
        assert "assistant.submission_review_changed" in actions
    passed_again = reviewer.post(
        review_url,
        data={
            "csrf_token": token,
            "criterion_structure": "5",
            "criterion_accuracy": "3",
            "comment": "두괄식이 좋습니다.",
            "passed": "y",
        },
    )
    assert passed_again.status_code == 302
    with app.app_context():
        from portal.assistant.review.submissions import exercise_requirement_met

        submission = db.session.get(Submission, submission_id)
        assert submission.review_passed and submission.minutes_without_ai == 90
        assert submission.review_score == 80
        assert [(c["id"], c["score"]) for c in submission.review_criteria] == [
            ("structure", 5),
            ("accuracy", 3),
        ]
        course_id = db.session.get(Submission, submission_id).exercise_id
        from portal.assistant.models import Exercise

        exercise = db.session.get(Exercise, course_id)
        assert exercise_requirement_met(user.id, exercise.course_id)
    figures_viewer = make_user(Role.COORDINATOR)
    coordinator = app.test_client()
    Auth(coordinator).login(figures_viewer)
    assert "60분" in coordinator.get("/practice/manage/figures").get_data(as_text=True)


def test_model_scoring_validates_json_and_retries_once(
    app, client, as_role, make_workspace, fake_model
):
    user = as_role(Role.STAFF)
    draft = make_workspace(user, model_key="fake-llm")
    submission_id = _write_and_submit(client, draft.id)
    valid = json.dumps(
        {
            "criteria": [
                {"id": "structure", "score": 4, "comment": "구성이 갖춰졌습니다."},
                {"id": "accuracy", "score": 3, "comment": "수치 단위를 확인하세요."},
            ],
            "summary": "전반적으로 좋습니다.",
            "untraced_figures": [{"figure": "40개소", "note": "원 자료에 없는 수치"}],
        },
        ensure_ascii=False,
    )
    fake_model.script(Reply.text("채점 결과는 좋습니다"), Reply.text(valid))
    client.post(f"/practice/submissions/{submission_id}/score", data={"csrf_token": _token(client)})
    with app.app_context():
        submission = db.session.get(Submission, submission_id)
        assert submission.rubric_status == "scored"
        assert submission.rubric_result["total"] == 7 and submission.rubric_result["attempts"] == 2
    page = client.get(f"/practice/submissions/{submission_id}").get_data(as_text=True)
    assert "<strong>40개소</strong> — 원 자료에 없는 수치" in page

    second = make_workspace(user, model_key="fake-llm")
    other_id = _write_and_submit(client, second.id)
    fake_model.script(Reply.text("not json"), Reply.text("{}"))
    response = client.post(
        f"/practice/submissions/{other_id}/score", data={"csrf_token": _token(client)}
    )
    assert response.status_code == 302
    with app.app_context():
        failed = db.session.get(Submission, other_id)
        assert failed.rubric_status == "failed" and failed.rubric_result["error"]


def test_a_draft_with_personal_data_cannot_be_submitted(app, client, as_role, make_workspace):
    user = as_role(Role.STAFF)
    draft = make_workspace(user)
    _post_json(
        client,
        f"/practice/w/{draft.id}/draft",
        {"segments": [{"text": f"담당자 연락처 {MOBILE}", "ai": False}], "revision": 1},
    )
    response = client.post(
        f"/practice/w/{draft.id}/submit", data={"csrf_token": _token(client), "confirm": "y"}
    )
    assert response.status_code == 200
    assert "개인정보로 보이는 항목" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Submission)) == 0


CHECKED = {"facts": "y", "figures": "y", "copyright": "y", "disclosure": "y"}


def _export(client, draft_id: int, **fields):
    return client.post(
        f"/practice/w/{draft_id}/export", data={"csrf_token": _token(client), **fields}
    )


def _docx_text(response) -> str:
    return "\n".join(p.text for p in Document(io.BytesIO(response.data)).paragraphs)


def test_export_needs_the_checklist_and_gives_a_docx(app, client, as_role, make_workspace):
    user = as_role(Role.STAFF, name="박서연")
    draft = make_workspace(user)
    _post_json(
        client,
        f"/practice/w/{draft.id}/draft",
        {"segments": [{"text": "□ 추진배경\n○ 필요성", "ai": True}], "revision": 1},
    )
    partial = _export(client, draft.id, facts="y")
    assert "네 가지를 모두" in partial.get_data(as_text=True)
    full = _export(client, draft.id, **CHECKED)
    assert full.status_code == 200
    assert full.mimetype.endswith("wordprocessingml.document")
    text = _docx_text(full)
    assert "□ 추진배경" in text
    # The offline coach is named as what it is, never as "generative AI (coach)".
    assert "연습 코치(규칙에 따라 점검하는 도구로, 생성형 AI 모델이 아님)" in text
    assert "생성형 AI(" not in text and "AI 모델 아님)" not in text
    assert "연습 코치의 예시 문장을 수정 없이 넣은 분량: 전체의 약 100%" in text
    with app.app_context():
        assert (
            db.session.scalar(
                select(func.count()).where(AuditEntry.action == "assistant.draft_exported")
            )
            == 1
        )


def test_export_names_the_model_and_keeps_a_clean_file_name(
    app, client, as_role, make_workspace, fake_model
):
    user = as_role(Role.STAFF)
    draft = make_workspace(user, model_key="fake-llm")
    with app.app_context():
        db.session.get(Draft, draft.id).title = "기획보고서: 2027년 공공자전거 / 활성화 계획?"
        db.session.commit()
    _post_json(
        client,
        f"/practice/w/{draft.id}/draft",
        {"segments": [{"text": "□ 추진배경", "ai": True}, {"text": "\n○ 필요성"}], "revision": 1},
    )
    response = _export(client, draft.id, **CHECKED)
    assert response.status_code == 200
    text = _docx_text(response)
    assert "생성형 AI(시험 모델)의 도움을 받아" in text
    assert "AI가 작성한 뒤 수정하지 않은 분량" in text and "연습 코치" not in text
    disposition = response.headers["Content-Disposition"]
    expected = quote("기획보고서 - 2027년 공공자전거 - 활성화 계획.docx")
    assert f"filename*=UTF-8''{expected}" in disposition


def test_ratings_are_stored_and_validated(app, client, as_role, make_workspace):
    user = as_role(Role.STAFF)
    draft = make_workspace(user)
    sent = _send(client, draft.id, "개요: 회의 결과").get_json()
    _stream(client, sent["stream_url"])
    url = f"/practice/messages/{sent['answer_id']}/rating"
    assert _post_json(client, url, {"score": 9}).status_code == 400
    assert _post_json(client, url, {"score": 4, "reasons": ["unknown"]}).status_code == 400
    assert _post_json(client, url, {"score": 4, "reasons": ["saved_time"]}).status_code == 200
    assert _post_json(client, url, {"score": 5, "reasons": []}).status_code == 200
    with app.app_context():
        rating = db.session.scalar(select(MessageRating))
        assert rating.score == 5 and rating.reasons == []
        # the rating records whose answer it was (the dashboards filter ratings by person)
        assert rating.user_id == user.id


# Admin -----------------------------------------------------------------------------------


def test_admins_enable_models_and_set_limits_with_audit(app, client, as_role, fake_model):
    as_role(Role.ADMIN)
    page = client.get("/practice/manage/models").get_data(as_text=True)
    assert "시험 모델" in page and fake_model.base_url not in page and "test-key" not in page
    token = _token(client)
    client.post(
        "/practice/manage/models",
        data={"csrf_token": token, "key": "fake-llm", "internal": "y"},
    )
    bad = client.post(
        "/practice/manage/limits",
        data={
            "csrf_token": token,
            "daily_messages": "0",
            "daily_tokens": "60000",
            "department_monthly_tokens": "2000000",
            "max_input_chars": "4000",
        },
    )
    assert "사이여야 합니다" in bad.get_data(as_text=True)
    good = client.post(
        "/practice/manage/limits",
        data={
            "csrf_token": token,
            "daily_messages": "20",
            "daily_tokens": "60000",
            "department_monthly_tokens": "2000000",
            "max_input_chars": "4000",
        },
    )
    assert good.status_code == 302
    with app.app_context():
        setting = db.session.get(ModelSetting, "fake-llm")
        # Disabled by the admin; "internal" in the form is ignored: only the config says so.
        assert not setting.is_enabled and not setting.is_internal
        actions = set(db.session.scalars(select(AuditEntry.action)).all())
        assert {"assistant.model_changed", "assistant.limits_changed"} <= actions


def test_only_the_configuration_makes_a_model_internal_and_a_change_is_audited(
    app, client, auth, as_role, make_workspace, make_user, fake_model
):
    staff = make_user(Role.STAFF)
    make_workspace(staff)  # policy accepted, doc type made
    specs = app.extensions["assistant_models"]

    def internal_changes() -> list[dict]:
        with app.app_context():
            return [
                entry.details
                for entry in db.session.scalars(
                    select(AuditEntry)
                    .where(AuditEntry.action == "assistant.model_internal_changed")
                    .order_by(AuditEntry.id)
                )
            ]

    def sensitive_workspace():
        auth.login(staff)
        return client.post(
            "/practice/new",
            data={
                "csrf_token": _token(client),
                "title": "문서",
                "doc_type": "test-report",
                "grade": "sensitive",
                "model": "fake-llm",
            },
        )

    # A stale flag in the database (an admin's old decision) no longer lets 민감 data out.
    with app.app_context():
        db.session.get(ModelSetting, "fake-llm").is_internal = True
        db.session.commit()
    assert "내부 모델" in sensitive_workspace().get_data(as_text=True)

    auth.logout()
    as_role(Role.ADMIN)
    page = client.get("/practice/manage/models").get_data(as_text=True)
    assert "외부 모델 · 허용 안 함" in page and 'name="internal"' not in page
    assert "감사 기록에 남겼습니다: fake-llm" in page
    assert internal_changes() == [{"internal": False, "source": "ASSISTANT_MODELS"}]
    client.get("/practice/manage/models")
    assert len(internal_changes()) == 1  # recorded once, not on every visit

    # Whoever configures the endpoint says it runs inside: now it may receive 민감 data.
    specs["fake-llm"] = dataclasses.replace(specs["fake-llm"], internal=True)
    page = client.get("/practice/manage/models").get_data(as_text=True)
    assert "내부 모델 · 허용" in page
    assert internal_changes()[-1] == {"internal": True, "source": "ASSISTANT_MODELS"}
    auth.logout()
    created = sensitive_workspace()
    assert created.status_code == 302 and "/practice/w/" in created.headers["Location"]


# Retention -------------------------------------------------------------------------------


def test_retention_purge_keeps_submitted_drafts_and_audit(
    app, client, as_role, make_workspace, make_user
):
    user = as_role(Role.STAFF)
    old = make_workspace(user)
    with app.app_context():
        conversation = conversations.conversation_for(old)
        conversations.post_message(db.session.get(User, user.id), conversation, "옛 질문")
        db.session.commit()
    submitted_id = _write_and_submit(client, old.id)
    idle = make_workspace(user)
    clock.advance(dt.timedelta(days=91))
    fresh = make_workspace(user)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["retention", "purge"])
    assert result.exit_code == 0, result.output
    assert "대화 2건" in result.output
    with app.app_context():
        remaining = db.session.scalars(select(Conversation.draft_id)).all()
        assert remaining == [fresh.id]
        assert db.session.get(Submission, submitted_id) is not None
        from portal.assistant.models import Draft

        assert db.session.get(Draft, old.id) is not None  # submitted: kept
        assert db.session.get(Draft, idle.id) is None  # never submitted, idle: purged
        assert (
            db.session.scalar(
                select(func.count()).where(AuditEntry.action == "assistant.retention_purged")
            )
            == 1
        )


# Hardening -------------------------------------------------------------------------------


def test_a_classification_marker_in_a_draft_never_reaches_the_scoring_model(
    app, client, as_role, make_workspace, fake_model
):
    user = as_role(Role.STAFF)
    draft = make_workspace(user, model_key="fake-llm")
    _post_json(
        client,
        f"/practice/w/{draft.id}/draft",
        {"segments": [{"text": "[대외비] □ 추진배경\n○ 내부 계획", "ai": False}], "revision": 1},
    )
    response = client.post(
        f"/practice/w/{draft.id}/submit", data={"csrf_token": _token(client), "confirm": "y"}
    )
    # The instructor may read it; the model may not.
    assert response.status_code == 302
    submission_id = int(response.headers["Location"].rsplit("/", 1)[1])
    client.post(f"/practice/submissions/{submission_id}/score", data={"csrf_token": _token(client)})
    assert fake_model.chat_requests() == []
    with app.app_context():
        submission = db.session.get(Submission, submission_id)
        assert (
            submission.rubric_status == "failed" and "대외비" in submission.rubric_result["error"]
        )


def test_model_scoring_counts_against_the_quota(app, client, as_role, make_workspace, fake_model):
    user = as_role(Role.STAFF)
    draft = make_workspace(user, model_key="fake-llm")
    submission_id = _write_and_submit(client, draft.id)
    fake_model.script(Reply.text("not json", completion_tokens=3), Reply.text("{}"))
    client.post(f"/practice/submissions/{submission_id}/score", data={"csrf_token": _token(client)})
    with app.app_context():
        counter = db.session.scalar(select(UsageCounter).where(UsageCounter.scope == "user_day"))
        assert counter.messages == 1 and counter.tokens > 0


@pytest.mark.parametrize("body", ["[1, 2]", '"text"', "5", "null", '{"text": {"a": 1}}'])
def test_json_that_is_not_an_object_is_a_clear_400(app, client, as_role, make_workspace, body):
    user = as_role(Role.STAFF)
    draft = make_workspace(user)
    headers = {"X-CSRFToken": _token(client), "Content-Type": "application/json"}
    for url in (
        f"/practice/w/{draft.id}/guard",
        f"/practice/w/{draft.id}/mask",
        f"/practice/w/{draft.id}/messages",
    ):
        response = client.post(url, data=body, headers=headers)
        assert response.status_code == 400, (url, body)
        assert "요청 형식" in response.get_json()["message"]


def test_guard_endpoints_refuse_oversized_text(app, client, as_role, make_workspace):
    user = as_role(Role.STAFF)
    draft = make_workspace(user)
    response = _post_json(client, f"/practice/w/{draft.id}/guard", {"text": "가" * 200_000})
    assert response.status_code == 413 and "너무 깁니다" in response.get_json()["message"]


def test_a_huge_id_is_not_found(client, as_role):
    as_role(Role.STAFF)
    assert client.get("/practice/w/99999999999999999999").status_code == 404


def test_leaving_right_after_the_start_event_stores_an_interrupted_answer(
    app, client, as_role, make_workspace, fake_model
):
    user = as_role(Role.STAFF)
    draft = make_workspace(user, model_key="fake-llm")
    sent = _send(client, draft.id, "질문").get_json()
    response = client.post(
        sent["stream_url"], headers={"X-CSRFToken": _token(client)}, buffered=False
    )
    assert b"event: start" in next(iter(response.response))
    response.close()
    answer = _answer(app, sent["answer_id"])
    assert answer.status is MessageStatus.INTERRUPTED
    with app.app_context():
        counter = db.session.scalar(select(UsageCounter).where(UsageCounter.scope == "user_day"))
        assert counter.messages == 1  # interrupted, not failed: the send still counts


def test_a_submitted_workspace_takes_no_more_messages(app, client, as_role, make_workspace):
    user = as_role(Role.STAFF)
    draft = make_workspace(user)
    _write_and_submit(client, draft.id)
    response = _send(client, draft.id, "한 가지 더")
    assert response.status_code == 409


def test_switching_to_another_model_when_the_first_is_disabled(
    app, client, as_role, make_workspace, fake_model
):
    user = as_role(Role.STAFF)
    draft = make_workspace(user, model_key="fake-llm")
    with app.app_context():
        db.session.get(ModelSetting, "fake-llm").is_enabled = False
        db.session.commit()
    page = client.get(f"/practice/w/{draft.id}").get_data(as_text=True)
    assert "도우미 바꾸기" in page and 'id="composer"' not in page
    assert _send(client, draft.id, "질문").status_code == 409
    client.post(
        f"/practice/w/{draft.id}/model", data={"csrf_token": _token(client), "model": "offline"}
    )
    assert _send(client, draft.id, "개요: 회의").status_code == 200
    with app.app_context():
        assert (
            db.session.scalar(
                select(func.count()).where(AuditEntry.action == "assistant.model_switched")
            )
            == 1
        )


def test_retention_never_cuts_a_workspace_in_use_in_half(app, client, as_role, make_workspace):
    user = as_role(Role.STAFF)
    draft = make_workspace(user)
    # Nobody has asked the assistant anything for months, but the draft is edited today.
    with app.app_context():
        conversation = conversations.conversation_for(draft)
        conversation.last_activity_at = clock.utcnow() - dt.timedelta(days=200)
        db.session.commit()
    saved = _post_json(
        client,
        f"/practice/w/{draft.id}/draft",
        {"segments": [{"text": "□ 오늘 고친 초안", "ai": False}], "revision": 1},
    )
    assert saved.status_code == 200
    result = app.test_cli_runner().invoke(args=["retention", "purge"])
    assert result.exit_code == 0 and "대화 0건" in result.output
    with app.app_context():
        assert conversations.conversation_for(draft) is not None


def test_a_model_disabled_between_send_and_stream_gives_the_message_back(
    app, client, as_role, make_workspace, fake_model
):
    user = as_role(Role.STAFF)
    draft = make_workspace(user, model_key="fake-llm")
    sent = _send(client, draft.id, "질문").get_json()
    with app.app_context():
        db.session.get(ModelSetting, "fake-llm").is_enabled = False
        db.session.commit()
    response = client.post(sent["stream_url"], headers={"X-CSRFToken": _token(client)})
    assert response.status_code == 409 and "모델" in response.get_json()["message"]
    assert fake_model.chat_requests() == []
    answer = _answer(app, sent["answer_id"])
    assert answer.status is MessageStatus.FAILED and answer.error_code == "model_unavailable"
    with app.app_context():
        counter = db.session.scalar(select(UsageCounter).where(UsageCounter.scope == "user_day"))
        assert counter.messages == 0


def test_staff_can_switch_to_another_enabled_model_at_any_time(
    app, client, as_role, make_workspace, fake_model
):
    user = as_role(Role.STAFF)
    draft = make_workspace(user)  # on the offline coach, which works
    page = client.get(f"/practice/w/{draft.id}").get_data(as_text=True)
    assert "다른 도우미로 바꾸기" in page and 'value="fake-llm"' in page
    switched = client.post(
        f"/practice/w/{draft.id}/model", data={"csrf_token": _token(client), "model": "fake-llm"}
    )
    assert switched.status_code == 302
    with app.app_context():
        assert conversations.conversation_for(db.session.get(Draft, draft.id)).model_key == (
            "fake-llm"
        )
    page = client.get(f"/practice/w/{draft.id}").get_data(as_text=True)
    assert 'value="offline"' in page and 'value="fake-llm"' not in page


def test_a_question_sent_again_after_a_failure_reaches_the_model_once(
    app, client, as_role, make_workspace, fake_model
):
    user = as_role(Role.STAFF)
    draft = make_workspace(user, model_key="fake-llm")
    fake_model.script(Reply.text("첫 답변"), Reply.error(429), Reply.text("둘째 답변"))
    for text in ("첫 질문", "둘째 질문", "둘째 질문"):
        sent = _send(client, draft.id, text).get_json()
        _stream(client, sent["stream_url"])
    last = fake_model.chat_requests()[-1].body["messages"]
    assert [(m["role"], m["content"]) for m in last[1:]] == [
        ("user", "첫 질문"),
        ("assistant", "첫 답변"),
        ("user", "둘째 질문"),
    ]
