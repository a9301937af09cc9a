"""Model-based rubric scoring: the prompt, strict validation and the single retry."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from portal.assistant.review.scoring import (
    MAX_COMMENT_CHARS,
    ScoringFailed,
    build_scoring_messages,
    parse_scoring,
    score_with_model,
)

DOC_TYPE: dict[str, Any] = {
    "slug": "planning-report",
    "version": 1,
    "name": "기획보고서",
    "name_en": "Planning report",
    "description": "",
    "system_prompt": "",
    "structure": [
        {"title": "추진배경", "required": True, "hint": "", "keywords": ["배경"]},
        {"title": "추진계획", "required": True, "hint": "", "keywords": ["추진계획"]},
    ],
    "checklist": [{"id": "headline-first", "text": "결론을 첫머리에", "check": "headline"}],
    "style": {"gaejosik": True, "hierarchy": ["□", "○", "-"], "language": "ko"},
}

_EXERCISE: dict[str, Any] = {
    "slug": "shared-parking-plan",
    "title": "청사 공유주차 기획보고서",
    "scenario": "총무과 주무관으로서 청사 공유주차 기획보고서를 작성합니다.",
    "source_material": "| 구분 | 값 |\n|---|---|\n| 주차면 | 300면 |\n| 등록 차량 | 1,200대 |",
    "estimated_minutes": 40,
    "rubric": [
        {
            "id": "structure",
            "title": "구성",
            "description": "필수 항목을 모두 갖춤",
            "max_score": 5,
            "auto": "sections",
        },
        {"id": "accuracy", "title": "정확성", "description": "수치가 자료와 일치", "max_score": 10},
    ],
    "model_answer": "□ 공유주차제 시범 운영 추진",
}

DRAFT = "□ 공유주차 추진 건의\n□ 추진배경\n  ○ 주차면 300면, 등록 차량 1,200대"


def exercise() -> dict[str, Any]:
    return copy.deepcopy(_EXERCISE)


def answer(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "criteria": [
            {"id": "structure", "score": 4, "comment": "기대효과 항목이 없습니다."},
            {"id": "accuracy", "score": 9, "comment": "수치가 자료와 일치합니다."},
        ],
        "summary": "구성을 보완하면 좋겠습니다.",
        "untraced_figures": [],
    }
    data.update(overrides)
    return data


def raw(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False)


# --- the prompt ----------------------------------------------------------------------------


def test_messages_hold_scenario_material_rubric_and_draft_and_ask_for_json_only():
    messages = build_scoring_messages(DOC_TYPE, exercise(), DRAFT)

    assert [m["role"] for m in messages] == ["system", "user"]
    system, prompt = messages[0]["content"], messages[1]["content"]
    assert "채점관" in system
    assert "기획보고서" in system
    assert "JSON" in system
    assert _EXERCISE["scenario"] in prompt
    assert "| 등록 차량 | 1,200대 |" in prompt
    assert "id: structure | 구성 (0~5점): 필수 항목을 모두 갖춤" in prompt
    assert "id: accuracy | 정확성 (0~10점): 수치가 자료와 일치" in prompt
    assert DRAFT in prompt
    assert "□ 공유주차제 시범 운영 추진" in prompt  # the model answer, for reference
    assert '"criteria"' in prompt
    assert '"summary"' in prompt
    # The draft comes last but before the answer format, fenced off as data.
    assert prompt.index("<<<초안 시작>>>") < prompt.index(DRAFT) < prompt.index("<<<초안 끝>>>")


def test_messages_list_the_source_figures_and_ask_for_the_untraced_ones():
    prompt = build_scoring_messages(DOC_TYPE, exercise(), DRAFT)[1]["content"]

    figures = prompt.split("## 제공 자료의 수치\n", 1)[1].split("\n", 1)[0]
    assert figures == "300면, 1,200대"
    assert '"untraced_figures"' in prompt
    assert "자료로 계산할 수 없는 수치는 untraced_figures" in prompt
    assert prompt.index("## 제공 자료의 수치") < prompt.index("<<<초안 시작>>>")


def test_the_figures_the_model_could_not_trace_are_kept():
    listed = [
        {"figure": " 999개소 ", "note": "원 자료에는 412개소"},
        {"figure": "9.9일"},
    ]
    result = parse_scoring(raw(answer(untraced_figures=listed)), exercise())

    assert result["untraced_figures"] == [
        {"figure": "999개소", "note": "원 자료에는 412개소"},
        {"figure": "9.9일", "note": ""},
    ]


def test_messages_mark_an_empty_draft_and_omit_a_missing_model_answer():
    ex = exercise()
    ex["model_answer"] = None
    prompt = build_scoring_messages(DOC_TYPE, ex, "   ")[1]["content"]

    assert "(빈 초안)" in prompt
    assert "참고 답안" not in prompt


# --- parse_scoring -------------------------------------------------------------------------


def test_a_valid_answer_is_normalised_in_rubric_order():
    reordered = answer(criteria=list(reversed(answer()["criteria"])))
    result = parse_scoring(raw(reordered), exercise())

    assert result == {
        "criteria": [
            {
                "id": "structure",
                "title": "구성",
                "max_score": 5,
                "score": 4,
                "comment": "기대효과 항목이 없습니다.",
                "computed": True,
            },
            {
                "id": "accuracy",
                "title": "정확성",
                "max_score": 10,
                "score": 9,
                "comment": "수치가 자료와 일치합니다.",
                "computed": True,
            },
        ],
        "total": 13,
        "max_total": 15,
        "summary": "구성을 보완하면 좋겠습니다.",
        "source": "model",
        "untraced_figures": [],
    }


@pytest.mark.parametrize(
    "wrapped",
    [
        "```json\n{body}\n```",
        "```\n{body}\n```",
        "채점 결과입니다.\n```json\n{body}\n```\n참고하세요.",
        "  \n{body}\n  ",
    ],
)
def test_fenced_or_padded_json_is_accepted(wrapped):
    result = parse_scoring(wrapped.replace("{body}", raw(answer())), exercise())
    assert result["total"] == 13


def test_scores_at_the_bounds_and_a_1000_character_comment_are_valid():
    data = answer()
    data["criteria"][0].update(score=0, comment="가" * MAX_COMMENT_CHARS)
    data["criteria"][1]["score"] = 10

    result = parse_scoring(raw(data), exercise())
    assert [c["score"] for c in result["criteria"]] == [0, 10]


def _with_first(**changes: Any) -> dict[str, Any]:
    data = answer()
    data["criteria"][0].update(changes)
    return data


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("채점할 수 없습니다.", "JSON 형식이 아닙니다"),
        ("", "비어 있습니다"),
        ('{"criteria": [', "JSON 형식이 아닙니다"),
        (raw([answer()]), "JSON 객체가 아닙니다"),
        (raw({"summary": "x"}), "'criteria'"),
        (raw(answer(criteria=answer()["criteria"][:1])), "accuracy"),
        (
            raw(
                answer(criteria=[*answer()["criteria"], {"id": "tone", "score": 1, "comment": "x"}])
            ),
            "알 수 없는 기준 id 'tone'",
        ),
        (
            raw(answer(criteria=[*answer()["criteria"], answer()["criteria"][0]])),
            "두 번 이상",
        ),
        (raw(_with_first(score=6)), "0~5 범위"),
        (raw(_with_first(score=-1)), "0~5 범위"),
        (raw(_with_first(score=True)), "정수가 아닙니다"),
        (raw(_with_first(score=4.0)), "정수가 아닙니다"),
        (raw(_with_first(score="4")), "정수가 아닙니다"),
        (raw(_with_first(score=None)), "정수가 아닙니다"),
        (raw(_with_first(comment="  ")), "comment가 비어"),
        (raw(_with_first(comment=7)), "comment가 비어"),
        (raw(_with_first(comment="가" * (MAX_COMMENT_CHARS + 1))), "1000자"),
        (raw(_with_first(id=3)), "알 수 없는 기준 id"),
        (raw(answer(criteria=["structure", "accuracy"])), "객체가 아닙니다"),
        (raw({"criteria": answer()["criteria"]}), "'summary'"),
        (raw(answer(summary=["좋음"])), "'summary'"),
        (raw({**answer(), "untraced_figures": None}), "'untraced_figures' 목록이 없습니다"),
        (raw({k: v for k, v in answer().items() if k != "untraced_figures"}), "untraced_figures"),
        (raw(answer(untraced_figures="999개소")), "'untraced_figures' 목록이 없습니다"),
        (raw(answer(untraced_figures=["999개소"])), "1번째 항목이 객체가 아닙니다"),
        (raw(answer(untraced_figures=[{"figure": " ", "note": ""}])), "figure가 없습니다"),
        (raw(answer(untraced_figures=[{"figure": "9.9일", "note": 3}])), "note가 글이 아닙니다"),
        (raw(answer(untraced_figures=[{"figure": "가" * 101}])), "너무 깁니다"),
        (raw(answer(untraced_figures=[{"figure": "1명"}] * 101)), "100개를 넘습니다"),
    ],
)
def test_invalid_answers_are_refused_with_the_reason(text, problem):
    with pytest.raises(ValueError, match=problem.replace("(", r"\(")):
        parse_scoring(text, exercise())


def test_a_non_string_answer_is_refused():
    with pytest.raises(ValueError):
        parse_scoring(None, exercise())  # type: ignore[arg-type]


# --- score_with_model ----------------------------------------------------------------------


class FakeModel:
    """Returns the queued answers in order and records every call's messages."""

    def __init__(self, *answers: str | BaseException) -> None:
        self.answers = list(answers)
        self.calls: list[list[dict[str, str]]] = []

    def __call__(self, messages: list[dict[str, str]]) -> str:
        self.calls.append(copy.deepcopy(messages))
        item = self.answers.pop(0)
        if isinstance(item, BaseException):
            raise item
        return item


def test_a_valid_first_answer_is_used_without_retry():
    model = FakeModel(raw(answer()))
    result = score_with_model(model, DOC_TYPE, exercise(), DRAFT)

    assert result["attempts"] == 1
    assert result["total"] == 13
    assert result["source"] == "model"
    assert model.calls == [build_scoring_messages(DOC_TYPE, exercise(), DRAFT)]


def test_an_invalid_answer_is_retried_once_with_the_problem_named():
    model = FakeModel(raw(_with_first(score=9)), "```json\n" + raw(answer()) + "\n```")
    result = score_with_model(model, DOC_TYPE, exercise(), DRAFT)

    assert result["attempts"] == 2
    assert result["criteria"][0]["score"] == 4
    first, second = model.calls
    assert second[: len(first)] == first
    assert len(second) == len(first) + 1
    retry = second[-1]
    assert retry["role"] == "user"
    assert "score 9가 0~5 범위를 벗어납니다" in retry["content"]
    assert "structure, accuracy" in retry["content"]


def test_two_invalid_answers_raise_scoring_failed_with_an_honest_reason():
    model = FakeModel("아직 채점 중입니다.", raw(answer(criteria=[])))

    with pytest.raises(ScoringFailed) as caught:
        score_with_model(model, DOC_TYPE, exercise(), DRAFT)

    failure = caught.value
    assert len(model.calls) == 2
    assert "재시도 1회 포함" in failure.reason
    assert "점수가 없습니다" in failure.reason
    assert str(failure) == failure.reason
    assert "JSON 형식이 아닙니다" in failure.problems[0]


def test_errors_from_the_model_call_propagate_unchanged():
    timeout = TimeoutError("upstream timed out")
    with pytest.raises(TimeoutError) as caught:
        score_with_model(FakeModel(timeout), DOC_TYPE, exercise(), DRAFT)
    assert caught.value is timeout

    # Also on the retry, and even when the backend raises a ValueError of its own.
    backend_error = ValueError("backend said no")
    model = FakeModel("not json", backend_error)
    with pytest.raises(ValueError) as caught_retry:
        score_with_model(model, DOC_TYPE, exercise(), DRAFT)
    assert caught_retry.value is backend_error
    assert len(model.calls) == 2
