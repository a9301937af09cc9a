"""What "초안에 넣기" takes from an answer, and the AI share of a draft after edits."""

from __future__ import annotations

import pytest

from portal.assistant.content.answers import (
    display_parts,
    document_block,
    fenced_blocks,
    insertable_text,
)
from portal.assistant.errors import SandboxError
from portal.assistant.workspace.drafts import MAX_SEGMENTS, ai_share_percent, clean_segments

DOCUMENT = (
    "□ 추진배경\n"
    " ○ 2025년 공공자전거 이용이 처음으로 줄어 이용 활성화 대책이 필요함\n"
    "  - 고장 자전거와 출퇴근 시간 빈 대여소에 대한 시민 의견이 많음\n"
    "□ 추진계획\n"
    " ○ 고장 자전거 정비 주기를 줄이고 출퇴근 시간 재배치를 늘림\n"
    "  - 세부 수치는 자료집과 대조 필요(확인 필요)"
)


# --- the document part of an answer ----------------------------------------------------------


def test_the_document_block_is_inserted_without_the_talk_around_it():
    answer = (
        "[연습 코치 · AI 모델 아님]\n'공공자전거' 주제로 개요를 만들었습니다.\n\n"
        f"{document_block(DOCUMENT)}\n\n※ 점검 목록: 결론을 첫머리에\n"
        "다 쓰면 '점검'이라고 보내 주세요."
    )
    assert insertable_text(answer, from_coach=True) == DOCUMENT
    assert insertable_text(answer, from_coach=False) == DOCUMENT


def test_a_block_holding_backticks_gets_a_longer_fence_and_reads_back_whole():
    body = "예시:\n```\n코드\n```\n끝."
    assert insertable_text(document_block(body), from_coach=True) == body


def test_several_document_blocks_are_joined_and_an_unclosed_one_runs_to_the_end():
    answer = f"{document_block('□ 가')}\n설명\n```문서\n□ 나\n○ 끊긴"
    assert insertable_text(answer, from_coach=False) == "□ 가\n\n□ 나\n○ 끊긴"
    assert fenced_blocks("```초안\n본문\n```") == [("초안", "본문")]


def test_coach_replies_without_a_document_block_have_nothing_to_insert():
    check = "[연습 코치 · AI 모델 아님]\n기획보고서 초안 점검: 통과 6개, 보완 1개\n[통과] 구성: …"
    assert insertable_text(check, from_coach=True) == ""
    assert insertable_text("", from_coach=False) == ""


@pytest.mark.parametrize(
    "answer",
    [
        f"다음은 요청하신 기획보고서 초안입니다.\n\n{DOCUMENT}\n\n더 필요하시면 말씀해 주세요.",
        f"네, 작성해 드리겠습니다:\n\n{DOCUMENT}\n\n도움이 되었기를 바랍니다.",
        f"Here is the draft.\n\n{DOCUMENT}\n\n---\n\nLet me know if you want changes.",
        f"아래와 같이 정리했습니다.\n\n```\n{DOCUMENT}\n```\n\n수정할 부분이 있으면 알려 주세요.",
        f"초안입니다.\n\n```markdown\n{DOCUMENT}\n```",
    ],
)
def test_a_models_lead_in_and_closing_offer_are_left_out(answer):
    assert insertable_text(answer, from_coach=False) == DOCUMENT


@pytest.mark.parametrize(
    "answer",
    [
        DOCUMENT,
        # A document's own closing lines are not chatter.
        f"{DOCUMENT}\n\n궁금한 사항은 교통정책과(☎ 000-0000)로 문의하시기 바랍니다.",
        f"{DOCUMENT}\n\n붙임  이용 현황 1부.  끝.",
        f"□ 추진배경:\n\n{DOCUMENT}",
        # Said in the middle, or sharing a paragraph with document lines: kept.
        f"{DOCUMENT}\n더 필요하시면 말씀해 주세요.",
    ],
)
def test_document_text_is_never_taken_for_chatter(answer):
    assert insertable_text(answer, from_coach=False) == answer


def test_an_answer_that_is_only_talk_is_inserted_as_it_is():
    assert insertable_text("더 필요하시면 말씀해 주세요.", from_coach=False) == (
        "더 필요하시면 말씀해 주세요."
    )


# --- the AI share -------------------------------------------------------------------------------


def _edit_one_word(text: str, word: str, new: str) -> list[dict]:
    """The segments the editor saves after one word of an inserted block is rewritten."""
    start = text.index(word)
    return [
        {"text": text[:start], "ai": True},
        {"text": new, "ai": False},
        {"text": text[start + len(word) :], "ai": True},
    ]


def test_editing_one_word_keeps_the_share_close_to_the_inserted_share():
    own = "○ 이 초안은 자료집과 대조함\n"
    inserted = [{"text": DOCUMENT + "\n", "ai": True}, {"text": own, "ai": False}]
    before = ai_share_percent(inserted)
    after = ai_share_percent(
        [*_edit_one_word(DOCUMENT + "\n", "재배치를", "재배치 횟수를"), {"text": own, "ai": False}]
    )
    assert 70 < before < 100
    assert before - 5 <= after < before


def test_white_space_does_not_count_either_way():
    assert (
        ai_share_percent([{"text": "가나다", "ai": True}, {"text": "\n\n  \n", "ai": False}]) == 100
    )
    assert ai_share_percent([{"text": " \n", "ai": True}, {"text": "가나", "ai": False}]) == 0
    assert ai_share_percent([{"text": "가 나", "ai": True}, {"text": "다 라", "ai": False}]) == 50
    assert ai_share_percent([]) == 0
    assert ai_share_percent([{"text": "\n", "ai": True}]) == 0


def test_zero_and_one_hundred_mean_none_and_all():
    one_changed = [{"text": "가" * 999, "ai": True}, {"text": "나", "ai": False}]
    assert ai_share_percent(one_changed) == 99
    one_left = [{"text": "가", "ai": True}, {"text": "나" * 999, "ai": False}]
    assert ai_share_percent(one_left) == 1


def test_an_edited_block_saves_as_many_segments_and_stays_valid():
    segments = []
    for index in range(2_500):
        segments += [{"text": f"단어{index} ", "ai": True}, {"text": "고침 ", "ai": False}]
    cleaned = clean_segments(segments)
    assert len(cleaned) == 5_000
    ai = sum(len(f"단어{index}") for index in range(2_500))
    assert ai_share_percent(cleaned) == round(100 * ai / (ai + 2 * 2_500))
    with pytest.raises(SandboxError):
        clean_segments([{"text": "가", "ai": i % 2 == 0} for i in range(MAX_SEGMENTS + 1)])


def test_the_chat_shows_the_document_apart_from_the_talk_without_fences():
    answer = (
        "'주차' 주제로 개요를 만들었습니다.\n\n"
        + document_block("□ 추진배경\n○ 필요성")
        + "\n\n다 쓰면 '점검'이라고 보내 주세요."
    )
    assert display_parts(answer) == [
        {"document": False, "text": "'주차' 주제로 개요를 만들었습니다."},
        {"document": True, "text": "□ 추진배경\n○ 필요성"},
        {"document": False, "text": "다 쓰면 '점검'이라고 보내 주세요."},
    ]
    # Other fenced blocks, and answers without any, are shown as written.
    assert display_parts("```python\nx = 1\n```") == [
        {"document": False, "text": "```python\nx = 1\n```"}
    ]
    assert display_parts("그냥 답입니다.") == [{"document": False, "text": "그냥 답입니다."}]
    assert display_parts("") == []
