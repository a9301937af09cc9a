"""No identifier, in any form the guard knows, ever reaches a model (issue 9, section 1).

Everything goes through the real /practice endpoints and a real HTTP model (the fake
OpenAI-compatible server), which records every request body: guard -> mask -> send, and the
second line of defence, the guard over the exact messages right before each model call.
"""

from __future__ import annotations

import dataclasses
import json
import re
import unicodedata

import pytest
from sqlalchemy import func, select

from portal.assistant.models import (
    AssistantLimits,
    AssistantMessage,
    Conversation,
    GuardEvent,
    MessageStatus,
    Submission,
    UsageCounter,
)
from portal.assistant.review import submissions
from portal.core import clock
from portal.db import db
from portal.users.models import Role
from tests.conftest import Auth, fake_model_enabled
from tests.fakes.openai_server import FakeOpenAI, Reply

RRN = "7612212607131"  # valid check digit
A, B = RRN[:6], RRN[6:]
CARD = "4111111111111111"

SEPARATORS = [
    "  ",
    "\n",
    "\r\n",
    ".",
    "/",
    "_",
    "~",
    ",",
    "\u2013",
    "\u2212",
    "\u200b",
    "\u00ad",
    "\ufeff",
    " / ",
    ", ",
]
FORMS = [f"{A}{sep}{B}" for sep in SEPARATORS] + [
    f"주민번호 앞자리 {A} 뒷자리 {B}",
    f"생년월일 {A}, 뒷번호 {B}",
    "m12345678",
    "M 12345678",
    f"{CARD[:4]}.{CARD[4:8]}.{CARD[8:12]}.{CARD[12:]}",
    f"{CARD[:4]} {CARD[4:8]} {CARD[8:12]} {CARD[12:]}",
    "010.2345.6789",
    "(010)2345-6789",
    "02)345-6789",
]
# Digit strings that must never appear in what a model receives.
SECRETS = [A, B, RRN, "12345678", CARD, "23456789", "3456789"]
ANSWER = "요청하신 내용을 정리했습니다. 확인이 필요한 부분은 표시해 두었습니다."


@pytest.fixture
def fake_model(app):
    with app.app_context():
        # Limits high enough that no test here stops at a quota before the guard.
        db.session.add(
            AssistantLimits(
                id=1,
                daily_messages=500,
                daily_tokens=10_000_000,
                department_monthly_tokens=100_000_000,
                max_input_chars=4_000,
                updated_at=clock.utcnow(),
            )
        )
        db.session.commit()
    with (
        FakeOpenAI(default=Reply.text(ANSWER)) as fake,
        fake_model_enabled(app, fake, timeout=5),
    ):
        yield fake


def _post_json(client, url: str, body: dict):
    token = Auth(client).csrf("/practice/")
    return client.post(url, json=body, headers={"X-CSRFToken": token})


def _stream(client, url: str) -> list[tuple[str, dict]]:
    response = client.post(url, headers={"X-CSRFToken": Auth(client).csrf("/practice/")})
    assert response.status_code == 200
    events = []
    for block in response.get_data(as_text=True).strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        if "event" in lines:
            events.append((lines["event"], json.loads(lines["data"])))
    return events


def _assert_nothing_leaked(fake: FakeOpenAI) -> None:
    for request in fake.chat_requests():
        body = json.dumps(request.body, ensure_ascii=False)
        for secret in SECRETS:
            assert secret not in body
        for message in request.body["messages"]:
            if message["role"] == "system":
                continue  # the portal's own prompt and exercise
            normal = unicodedata.normalize("NFKC", message["content"])
            assert not re.search(r"[0-9]", normal), message["content"]


def test_every_form_is_held_back_masked_and_never_sent(
    app, client, as_role, make_workspace, fake_model
):
    user = as_role(Role.STAFF)
    draft = make_workspace(user, model_key="fake-llm")
    for form in FORMS:
        text = f"민원인 자료입니다: {form} 정리해 주세요."
        checked = _post_json(client, f"/practice/w/{draft.id}/guard", {"text": text}).get_json()
        assert not checked["clean"], form
        # The highlighted spans cover every digit the user typed, in the original text.
        covered = {i for f in checked["findings"] for i in range(f["start"], f["end"])}
        digits = [i for i, ch in enumerate(text) if ch.isdigit()]
        assert digits and set(digits) <= covered, form
        raw = _post_json(client, f"/practice/w/{draft.id}/messages", {"text": text})
        assert raw.status_code == 422, form
    assert fake_model.chat_requests() == []

    # Mask and send, a few forms per message, so later requests re-send the earlier turns.
    for start in range(0, len(FORMS), 6):
        text = "자료 정리: " + " ; ".join(FORMS[start : start + 6]) + " 끝."
        masked = _post_json(client, f"/practice/w/{draft.id}/mask", {"text": text}).get_json()
        assert masked["guard"]["clean"], masked
        sent = _post_json(client, f"/practice/w/{draft.id}/messages", {"text": masked["text"]})
        assert sent.status_code == 200, sent.get_json()
        assert _stream(client, sent.get_json()["stream_url"])[-1][0] == "done"
    requests = fake_model.chat_requests()
    assert len(requests) == -(-len(FORMS) // 6)
    assert len(requests[-1].body["messages"]) > 3  # history was re-sent
    _assert_nothing_leaked(fake_model)
    with app.app_context():
        for excerpt in db.session.scalars(select(GuardEvent.masked_excerpt)):
            assert not any(secret in excerpt for secret in SECRETS)


def test_stored_history_with_an_identifier_cannot_reach_the_model(
    app, client, as_role, make_workspace, fake_model
):
    user = as_role(Role.STAFF)
    draft = make_workspace(user, model_key="fake-llm")
    with app.app_context():
        conversation = db.session.scalar(
            select(Conversation).where(Conversation.draft_id == draft.id)
        )
        # Somehow (an older rule, a bug, a hand edit) the history holds a resident number.
        db.session.add(
            AssistantMessage(
                conversation_id=conversation.id,
                role="user",
                content=f"참고로 제 주민번호는 {A}.{B} 입니다.",
                status=MessageStatus.COMPLETE,
                created_at=clock.utcnow(),
            )
        )
        db.session.commit()

    sent = _post_json(
        client, f"/practice/w/{draft.id}/messages", {"text": "보고서 개요를 써 주세요"}
    )
    assert sent.status_code == 200
    events = _stream(client, sent.get_json()["stream_url"])
    name, data = events[-1]
    assert name == "error" and data["code"] == "guard_blocked"
    assert "주민등록번호" in data["message"] and "보내지 않았습니다" in data["message"]
    assert fake_model.chat_requests() == []  # no request at all

    with app.app_context():
        answer = db.session.get(AssistantMessage, sent.get_json()["answer_id"])
        assert answer.status is MessageStatus.FAILED and answer.error_code == "guard_blocked"
        event = db.session.scalars(select(GuardEvent).order_by(GuardEvent.id.desc())).first()
        assert event.decision.value == "blocked" and event.kinds == ["rrn"]
        assert A not in event.masked_excerpt and B not in event.masked_excerpt
        counter = db.session.scalar(select(UsageCounter).where(UsageCounter.scope == "user_day"))
        assert counter.messages == 0 and counter.tokens == 0  # the message was given back
    # After a reload the answer says why, and offers no "다시 보내기" (it would fail again).
    page = client.get(f"/practice/w/{draft.id}").get_data(as_text=True)
    assert "보내기 직전 점검에서 대화에 개인정보가 있어 모델에 보내지 않았습니다." in page
    answers = page.split('id="tpl-answer"')[0]
    assert "practice-resend" in answers and 'practice-resend" hidden' in answers


def test_a_model_answer_in_history_is_masked_before_it_goes_back(
    app, client, as_role, make_workspace, fake_model
):
    user = as_role(Role.STAFF)
    draft = make_workspace(user, model_key="fake-llm")
    with app.app_context():
        conversation = db.session.scalar(
            select(Conversation).where(Conversation.draft_id == draft.id)
        )
        db.session.add(
            AssistantMessage(
                conversation_id=conversation.id,
                role="assistant",
                content="문의: 담당자 010-2345-6789",
                status=MessageStatus.COMPLETE,
                model_key="fake-llm",
                created_at=clock.utcnow(),
            )
        )
        db.session.commit()
    sent = _post_json(client, f"/practice/w/{draft.id}/messages", {"text": "이어서 써 주세요"})
    assert _stream(client, sent.get_json()["stream_url"])[-1][0] == "done"
    [request] = fake_model.chat_requests()
    body = json.dumps(request.body, ensure_ascii=False)
    assert "2345-6789" not in body and "[휴대전화번호]" in body
    _assert_nothing_leaked(fake_model)


def test_scoring_is_guarded_right_before_the_call_too(
    app, client, as_role, make_workspace, fake_model
):
    user = as_role(Role.STAFF)
    draft = make_workspace(user, model_key="fake-llm")
    saved = _post_json(
        client,
        f"/practice/w/{draft.id}/draft",
        {"segments": [{"text": "□ 추진배경\n○ 정류장 노후화\n", "ai": False}], "revision": 1},
    )
    assert saved.status_code == 200
    token = Auth(client).csrf("/practice/")
    response = client.post(
        f"/practice/w/{draft.id}/submit", data={"csrf_token": token, "confirm": "y"}
    )
    submission_id = int(response.headers["Location"].rsplit("/", 1)[1])
    with app.test_request_context():
        with db.transaction():
            job = submissions.start_scoring(db.session.get(Submission, submission_id))
        assert job is not None
        # The first check passed; suppose the text changed on its way (a bug, a race).
        job = dataclasses.replace(job, body=f"□ 추진배경\n○ 담당 {A}~{B}\n")
        outcome = submissions.run_scoring(job)
        assert outcome.status == "failed" and "개인정보" in outcome.result["error"]
        with db.transaction():
            submissions.finish_scoring(job, outcome)
    assert fake_model.chat_requests() == []
    with app.app_context():
        submission = db.session.get(Submission, submission_id)
        assert submission.rubric_status == "failed"
        assert db.session.scalar(select(func.count()).select_from(GuardEvent)) == 1
        counter = db.session.scalar(select(UsageCounter).where(UsageCounter.scope == "user_day"))
        assert counter.messages == 0  # the reserved message was given back


def test_the_portals_own_content_does_not_stop_scoring(
    app, client, as_role, make_workspace, fake_model
):
    """Doc-type checklists name 대외비 and 비공개; a clean draft is still scored."""
    user = as_role(Role.STAFF)
    draft = make_workspace(user, model_key="fake-llm")
    _post_json(
        client,
        f"/practice/w/{draft.id}/draft",
        {"segments": [{"text": "□ 추진배경\n○ 정류장 노후화\n", "ai": False}], "revision": 1},
    )
    token = Auth(client).csrf("/practice/")
    response = client.post(
        f"/practice/w/{draft.id}/submit", data={"csrf_token": token, "confirm": "y"}
    )
    submission_id = int(response.headers["Location"].rsplit("/", 1)[1])
    with app.test_request_context():
        with db.transaction():
            job = submissions.start_scoring(db.session.get(Submission, submission_id))
        ours = {"checklist": [{"text": "대외비·비공개 자료를 넣지 않았는가"}]}
        job = dataclasses.replace(job, doc_type={**job.doc_type, **ours})
        from portal.assistant.guard.events import screen_outgoing
        from portal.assistant.review import scoring

        messages = scoring.build_scoring_messages(job.doc_type, job.exercise, job.body)
        assert not screen_outgoing(messages, job.grade, ours=(job.exercise, job.doc_type)).blocked
        repeated = scoring.build_scoring_messages(job.doc_type, job.exercise, "[대외비] 초안")
        assert screen_outgoing(repeated, job.grade, ours=(job.exercise, job.doc_type)).blocked
