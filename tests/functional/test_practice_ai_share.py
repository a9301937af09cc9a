"""Issue 9 §3 through HTTP: "초안에 넣기" takes an answer's document part, and the AI share
of a submission stays honest when the user rewrites one word of an inserted block."""

from __future__ import annotations

import re

from markupsafe import escape

from portal.assistant.content.answers import document_block
from portal.assistant.workspace.streaming import DOCUMENT_INSTRUCTION
from portal.users.models import Role
from tests.fakes.openai_server import Reply
from tests.functional import test_practice as practice

# The fake OpenAI-compatible model fixture, shared with the main practice tests.
fake_model = practice.fake_model

COACH_CHATTER = ("연습 코치", "AI 모델 아님", "다 쓰면", "점검 목록", "[작성] 부분을 채우세요")


def _ask(client, draft_id: int, text: str) -> tuple[int, str, dict]:
    sent = practice._send(client, draft_id, text).get_json()
    events = practice._stream(client, sent["stream_url"])
    name, done = events[-1]
    assert name == "done", events[-1]
    answer = "".join(data["text"] for event, data in events if event == "delta")
    return sent["answer_id"], answer, done


def _insert_button(page: str, message_id: int) -> str:
    item = page.split(f'data-message-id="{message_id}"', 1)[1].split("</li>", 1)[0]
    return re.search(r"<button[^>]*practice-insert[^>]*>", item).group(0)


def test_insert_edit_one_word_and_submit_keeps_the_share_close(
    app, client, as_role, make_workspace
):
    user = as_role(Role.STAFF)
    draft = make_workspace(user)
    url = f"/practice/w/{draft.id}/draft"

    # The coach's outline: the stream's last event names its document part only.
    outline_id, answer, done = _ask(client, draft.id, "개요: 스마트 버스정류장 확대")
    inserted = done["insert"]
    assert inserted.startswith("[") and "스마트 버스정류장 확대" in inserted
    assert document_block(inserted) in answer
    assert "AI 모델 아님" in answer and "다 쓰면 '점검'이라고 보내 주세요." in answer
    for chatter in COACH_CHATTER:
        assert chatter not in inserted
    # A check has no document part: nothing to insert, no button shown.
    check_id, _answer, check_done = _ask(client, draft.id, "점검")
    assert check_done["insert"] == ""
    page = client.get(f"/practice/w/{draft.id}").get_data(as_text=True)
    outline_button = _insert_button(page, outline_id)
    assert f'data-insert="{escape(inserted)}"' in outline_button
    assert " hidden" not in outline_button
    assert 'data-insert=""' in _insert_button(page, check_id)
    assert " hidden" in _insert_button(page, check_id)

    # Inserted as it is: all AI text.
    saved = practice._post_json(
        client,
        url,
        {"segments": [{"text": inserted + "\n", "ai": True}], "revision": 1, "reason": "insert"},
    ).get_json()
    assert saved["ai_share"] == 100
    # One word rewritten, as the editor saves it: only that word is the user's.
    start = inserted.index("확대")
    edited = [
        {"text": inserted[:start], "ai": True},
        {"text": "확충", "ai": False},
        {"text": inserted[start + 2 :] + "\n", "ai": True},
    ]
    saved = practice._post_json(
        client, url, {"segments": edited, "revision": saved["revision"]}
    ).get_json()
    share = saved["ai_share"]
    assert 95 <= share < 100

    docx = practice._docx_text(practice._export(client, draft.id, **practice.CHECKED))
    assert f"연습 코치의 예시 문장을 수정 없이 넣은 분량: 전체의 약 {share}%" in docx
    response = client.post(
        f"/practice/w/{draft.id}/submit",
        data={"csrf_token": practice._token(client), "confirm": "y"},
    )
    assert response.status_code == 302
    submission = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"AI가 넣은 글 비율 {share}%" in submission


def test_a_models_answer_is_inserted_without_its_chatter(
    app, client, as_role, make_workspace, fake_model
):
    user = as_role(Role.STAFF)
    draft = make_workspace(user, model_key="fake-llm")
    body = "□ 추진배경\n ○ 정류장 노후화 심화(120개소)"
    fake_model.script(
        Reply.text(f"요청하신 초안입니다.\n\n{document_block(body)}\n\n수치는 확인하세요."),
        Reply.text(f"다음은 추진배경 초안입니다:\n\n{body}\n\n더 필요하시면 말씀해 주세요."),
    )
    # Asked for the block, the model used it.
    _id, _answer, done = _ask(client, draft.id, "추진배경을 써 주세요")
    assert done["insert"] == body
    system = fake_model.chat_requests()[0].body["messages"][0]
    assert system["role"] == "system" and DOCUMENT_INSTRUCTION in system["content"]
    # It did not: the lead-in and the closing offer are still left out.
    _id, _answer, done = _ask(client, draft.id, "다시 써 주세요")
    assert done["insert"] == body
