"""The offline practice coach: outlines, draft checks, computed rubric feedback, replies."""

from __future__ import annotations

import copy
import dataclasses
import re
from typing import Any

import pytest

from portal.assistant.coach import checks
from portal.assistant.coach.checks import CheckResult, check_draft
from portal.assistant.coach.replies import outline, respond, rubric_feedback
from portal.assistant.content.answers import insertable_text

LABEL = "[연습 코치 · AI 모델 아님]"

_PLAN: dict[str, Any] = {
    "slug": "planning-report",
    "version": 1,
    "name": "기획보고서",
    "name_en": "Planning report",
    "description": "두괄식·개조식 기획보고서",
    "system_prompt": "당신은 기획보고서 작성 도우미입니다.",
    "structure": [
        {
            "title": "추진배경",
            "required": True,
            "hint": "추진 필요성과 계기",
            "keywords": ["추진배경", "배경", "필요성"],
        },
        {
            "title": "현황 및 문제점",
            "required": True,
            "hint": "현재 상황과 문제를 수치로",
            "keywords": ["현황", "문제점"],
        },
        {
            "title": "추진계획",
            "required": True,
            "hint": "무엇을 언제 어떻게",
            "keywords": ["추진계획", "세부계획"],
        },
        {"title": "기대효과", "required": True, "hint": "효과를 수치로", "keywords": ["기대효과"]},
        {"title": "행정사항", "required": False, "hint": "협조 요청 사항", "keywords": []},
    ],
    "checklist": [
        {"id": "headline-first", "text": "결론을 첫머리에", "check": "headline"},
        {"id": "facts", "text": "사실과 수치를 자료와 대조", "check": "none"},
        {"id": "copyright", "text": "저작권 확인"},
    ],
    "style": {
        "gaejosik": True,
        "hierarchy": ["□", "○", "-"],
        "max_sentence_chars": 80,
        "units_required": True,
        "date_style": "2026. 11. 27.",
        "language": "ko",
    },
}

_LETTER: dict[str, Any] = {
    "slug": "official-letter",
    "version": 1,
    "name": "공문",
    "name_en": "Official letter",
    "description": "",
    "system_prompt": "",
    "structure": [
        {"title": "수신", "required": True, "hint": "받는 기관장", "keywords": ["수신"]},
        {"title": "제목", "required": True, "hint": "", "keywords": ["제목"]},
        {"title": "관련", "required": False, "hint": "근거 문서", "keywords": ["관련"]},
        {"title": "요청사항", "required": True, "hint": "요청 내용", "keywords": ["요청"]},
        {"title": "붙임", "required": False, "hint": "붙임  첨부 문서명 1부", "keywords": ["붙임"]},
        {"title": "끝", "required": True, "hint": "두 칸 띄우고 '끝.'", "keywords": ["끝."]},
    ],
    "checklist": [{"id": "end-mark", "text": "'끝.' 표시", "check": "none"}],
    "style": {
        "gaejosik": False,
        "hierarchy": ["1.", "가.", "1)", "가)"],
        "date_style": "2026. 11. 27.",
        "language": "ko",
    },
}

_PRESS: dict[str, Any] = {
    "slug": "press-release",
    "version": 1,
    "name": "보도자료",
    "name_en": "Press release",
    "description": "",
    "system_prompt": "",
    "structure": [
        {"title": "제목", "required": True, "hint": "핵심을 한 줄로", "keywords": ["제목"]},
        {"title": "본문", "required": True, "hint": "육하원칙", "keywords": ["본문"]},
        {"title": "문의", "required": True, "hint": "담당 부서", "keywords": ["문의", "담당"]},
    ],
    "checklist": [{"id": "length", "text": "문장은 짧게", "check": "sentence-length"}],
    "style": {"gaejosik": False, "max_sentence_chars": 60, "language": "ko"},
}

_TRANSLATION: dict[str, Any] = {
    "slug": "translation",
    "version": 1,
    "name": "번역",
    "name_en": "Translation",
    "description": "",
    "system_prompt": "",
    "structure": [
        {"title": "번역문", "required": True, "hint": "translation", "keywords": ["번역문"]},
    ],
    "checklist": [
        {"id": "style", "text": "개조식", "check": "gaejosik"},
        {"id": "units", "text": "단위", "check": "units"},
    ],
    "style": {
        "gaejosik": True,
        "units_required": True,
        "date_style": "2026. 11. 27.",
        "language": "any",
    },
}

_IDEA: dict[str, Any] = {
    "slug": "idea-discovery",
    "version": 1,
    "name": "아이디어 발굴",
    "name_en": "Idea discovery",
    "description": "",
    "system_prompt": "",
    "structure": [
        {"title": "문제 정의", "required": False, "hint": "누구의 어떤 불편인가"},
        {"title": "아이디어", "required": False, "hint": "해결 아이디어 3가지"},
    ],
    "checklist": [{"id": "novel", "text": "새로운가", "check": "none"}],
    "style": {"language": "ko"},
}


def plan(**style: Any) -> dict[str, Any]:
    dt = copy.deepcopy(_PLAN)
    dt["style"].update(style)
    return dt


def letter() -> dict[str, Any]:
    return copy.deepcopy(_LETTER)


def press() -> dict[str, Any]:
    return copy.deepcopy(_PRESS)


def translation() -> dict[str, Any]:
    return copy.deepcopy(_TRANSLATION)


def idea() -> dict[str, Any]:
    return copy.deepcopy(_IDEA)


GOOD_PLAN_DRAFT = """청사 공유주차제 도입 계획
2026. 11. 27. 총무과

□ 청사 주차난 해소를 위해 공유주차제 시범 운영을 추진하고자 함

□ 추진배경
  ○ 청사 방문 민원인 주차 불편 지속
    - 주차 대기 평균 25분, 관련 민원 연 120건
□ 현황 및 문제점
  ○ 주차면 300면 대비 등록 차량 1,200대
□ 추진계획
  ○ 2026. 12. 5. 인근 민간 주차장 10곳과 협약 체결 예정
□ 기대효과
  ○ 주차 대기 시간 50% 단축 기대
"""


def only(results: list[CheckResult], check_id: str) -> CheckResult:
    matching = [r for r in results if r.id == check_id]
    assert len(matching) == 1, [r.id for r in results]
    return matching[0]


def run(dt: dict[str, Any], text: str, check_id: str) -> CheckResult:
    return only(check_draft(dt, text), check_id)


def quotes(message: str) -> list[str]:
    return re.findall(r"줄 '([^']*)'", message)


# --- outline -------------------------------------------------------------------------------


def test_planning_outline_has_topic_title_summary_box_and_every_section_in_hierarchy():
    text = outline(plan(), "청사 주차난 해소 방안")
    lines = text.splitlines()

    assert lines[0] == "[기획보고서] 청사 주차난 해소 방안"
    titles = [ln for ln in lines if ln.startswith("□ ") and "[작성]" not in ln]
    assert titles == [
        "□ 추진배경",
        "□ 현황 및 문제점",
        "□ 추진계획",
        "□ 기대효과",
        "□ 행정사항 (선택)",
    ]
    summary = next(i for i, ln in enumerate(lines) if ln.startswith("□ [작성]"))
    assert summary < lines.index("□ 추진배경")
    background = lines.index("□ 추진배경")
    assert lines[background + 1] == "  ○ [작성] 추진 필요성과 계기"
    assert lines[background + 2].startswith("    - [작성]")
    # The checklist is advice for the writer, not document text: the reply carries it.
    assert not any(ln.startswith("※") for ln in lines)
    assert "<" not in text


def test_outline_is_deterministic_and_cleans_the_topic():
    assert outline(plan(), "주제") == outline(plan(), "주제")
    assert outline(plan(), "  청사\n주차   대책 ").splitlines()[0] == "[기획보고서] 청사 주차 대책"
    assert outline(plan(), "   ").splitlines()[0] == "[기획보고서] (주제)"


def test_planning_outline_passes_its_own_structure_checks():
    results = check_draft(plan(), outline(plan(), "청사 에너지 절약"))

    assert run(plan(), outline(plan(), "x"), "sections").passed
    assert only(results, "hierarchy").passed
    assert only(results, "headline").passed


def test_official_letter_outline_is_the_recipient_title_numbered_body_skeleton():
    lines = outline(letter(), "AI 교육 참가자 추천 요청").splitlines()

    assert lines[0] == "[공문] AI 교육 참가자 추천 요청"
    assert "수신  [작성] 받는 기관장" in lines
    assert "제목  AI 교육 참가자 추천 요청" in lines
    assert lines.index("수신  [작성] 받는 기관장") < lines.index("제목  AI 교육 참가자 추천 요청")
    assert "1. [작성] 관련: 근거 문서" in lines
    assert "2. [작성] 요청사항: 요청 내용" in lines
    assert "  가. [작성] 세부 사항" in lines
    assert "  나. [작성] 세부 사항" in lines
    assert "붙임  [작성] 첨부 문서명 1부  끝." in lines
    # 붙임 is not a numbered body item.
    assert not any(ln.startswith("3.") for ln in lines)


def test_official_letter_without_attachment_ends_the_last_body_line_with_kkeut():
    dt = letter()
    dt["structure"] = [s for s in dt["structure"] if s["title"] != "붙임"]
    lines = outline(dt, "협조 요청").splitlines()
    body_end = [ln for ln in lines if ln.strip() and not ln.startswith("※")][-1]

    assert body_end == "  나. [작성] 세부 사항  끝."


def test_outline_of_a_type_without_markers_uses_bracketed_section_titles():
    lines = outline(press(), "어린이 교통안전 캠페인").splitlines()

    assert "[제목]" in lines
    assert "  [작성] 육하원칙" in lines
    assert not any(ln.startswith(("□", "○")) for ln in lines)


# --- which checks apply --------------------------------------------------------------------


def test_applicable_checks_follow_checklist_and_style():
    assert checks.applicable_checks(plan()) == list(checks.CHECK_IDS)
    assert checks.applicable_checks(letter()) == ["sections", "hierarchy", "dates"]
    assert checks.applicable_checks(press()) == ["sections", "sentence-length"]
    # Nothing required, nothing computable: the idea type has no automatic checks.
    assert checks.applicable_checks(idea()) == []


def test_korean_only_checks_are_skipped_for_a_translation_type():
    results = check_draft(translation(), "번역문\nThe city will expand the programme in 2026.")

    assert [r.id for r in results] == ["sections"]
    assert results[0].passed


def test_check_result_is_frozen_and_line_numbers_count_blank_lines():
    result = run(plan(), "제목\n\n\n○ 민원이 늘었습니다.\n", "gaejosik")

    assert result.lines == (4,)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.passed = True  # type: ignore[misc]


# --- sections ------------------------------------------------------------------------------


def test_good_draft_passes_every_check():
    results = check_draft(plan(), GOOD_PLAN_DRAFT)

    assert [r.id for r in results if not r.passed] == []
    assert only(results, "sections").lines == (6, 9, 11, 13)


def test_missing_required_sections_are_named_and_optional_ones_ignored():
    draft = "□ 공유주차 추진을 건의함\n□ 추진 배경\n  ○ 민원 증가\n□ 추진계획\n  ○ 협약 체결"
    result = run(plan(), draft, "sections")

    assert not result.passed
    assert "현황 및 문제점" in result.message
    assert "기대효과" in result.message
    assert "행정사항" not in result.message
    assert "□ 현황 및 문제점" in result.message  # how to fix it


def test_title_and_body_mentions_do_not_count_as_sections():
    draft = (
        "청사 주차 추진계획\n□ 추진배경\n  ○ 추진계획 수립 필요\n□ 현황\n  ○ 기대효과 분석 예정\n"
    )
    result = run(plan(), draft, "sections")

    assert not result.passed
    assert "추진계획" in result.message
    assert "기대효과" in result.message


# --- 개조식 ---------------------------------------------------------------------------------


def test_noun_endings_pass_the_gaejosik_check():
    draft = (
        "○ 예산 확보 필요\n○ 2027년 시행 예정\n○ 공유주차 추진\n○ 이용자 역대 최다\n○ 협약 체결함."
    )
    assert run(plan(), draft, "gaejosik").passed


@pytest.mark.parametrize(
    "line",
    [
        "○ 민원이 증가하고 있습니다.",
        "○ 예산은 10억원입니다",
        "○ 시는 공유주차를 추진한다.",
        "○ 작년에 협약을 체결했다",
        "○ 내년부터 시행됩니다.",
        "○ 주차장이 부족해요",
    ],
)
def test_narrative_endings_fail_the_gaejosik_check(line):
    result = run(plan(), f"○ 예산 확보 필요\n{line}", "gaejosik")

    assert not result.passed
    assert result.lines == (2,)
    assert "2번째 줄" in result.message
    assert "명사형" in result.message


def test_a_narrative_sentence_in_the_middle_of_a_line_is_found():
    result = run(plan(), "○ 협약을 추진합니다. 예산 확보 필요", "gaejosik")
    assert not result.passed


def test_quotes_in_messages_are_at_most_30_characters():
    long_line = (
        "○ " + "주차장 확충과 셔틀버스 운행 등 다양한 대책을 마련하여 " * 2 + "추진할 예정입니다."
    )
    result = run(plan(), long_line, "gaejosik")

    assert not result.passed
    (quote,) = quotes(result.message)
    assert len(quote) <= 30
    assert quote.endswith("추진할 예정입니다.")


def test_many_offenders_are_summarised():
    draft = "\n".join(f"○ 항목 {i}을 추진합니다." for i in range(6))
    result = run(plan(), draft, "gaejosik")

    assert result.lines == (1, 2, 3, 4, 5, 6)
    assert len(quotes(result.message)) == 3
    assert "외 3곳" in result.message


# --- sentence length -----------------------------------------------------------------------


def test_sentences_over_the_limit_are_reported_with_their_length():
    ok = "○ " + "가" * 80
    too_long = "○ " + "나" * 81
    assert run(plan(), ok, "sentence-length").passed

    result = run(plan(), f"{ok}\n{too_long}", "sentence-length")
    assert not result.passed
    assert result.lines == (2,)
    assert "81자" in result.message
    assert "80자" in result.message


def test_sentence_limit_comes_from_the_style_and_is_per_sentence():
    two_short = "○ " + "가" * 30 + ". " + "나" * 30 + "."
    assert run(plan(max_sentence_chars=40), two_short, "sentence-length").passed
    assert not run(plan(max_sentence_chars=25), two_short, "sentence-length").passed


# --- units ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        "○ 2026년 업무계획",
        "○ 2026 업무계획 수립",
        "○ 2026. 11. 27.(금) 14:00 개최",
        "○ '27. 1월부터 시행",
        "○ 1차 회의(11. 20.) 결과 공유, 14:00~16:00",
        "1. 관련 근거",
        "12. 세부 과제",
        "○ 「주차장법」 제12조 및 제3항",
        "○ 담당 010-****-1234, 044-300-1234",
        "○ GPT-4 및 COVID-19 대응, N2SF 적용",
        "○ 5G 기반, 100km 구간, 50MB 한도",
        "○ 참여자 30여 명, 10~20명씩",
        "○ 민원 150 명이 참여, 12% 증가, 3.5배 확대",
        "○ 사업비 ₩1,000,000 확보",
        "1. 관련: 「교육훈련 운영계획」(인사과-2140, 2026. 11. 10.)",
        "○ 교육 3회(2026. 12. 15.~17.), 12. 15.~17. 사흘",
        "○ 주차면 300면, 1,200대, 25분 대기",
        "○ 예산 5 증가",
    ],
)
def test_dates_years_codes_and_numbers_with_units_are_not_flagged(line):
    result = run(plan(), line, "units")
    assert result.passed, result.message


@pytest.mark.parametrize(
    ("line", "shown"),
    [
        ("○ 등록 차량 1,200 증가", "1,200"),
        ("○ 만족도 45", "45"),
        ("○ 전년 30 대비 증가", "30 대비"),
        ("○ 예산 3.5 확보", "3.5"),
    ],
)
def test_numbers_without_units_are_flagged(line, shown):
    result = run(plan(), line, "units")

    assert not result.passed
    assert result.lines == (1,)
    assert shown in result.message


def test_numbers_under_a_unit_note_or_in_a_table_take_that_unit():
    draft = "(단위: 명)\n서울 120\n부산 80\n\n| 구분 | 2025 |\n| 인원 | 1,500 |\n○ 합계 200"
    result = run(plan(), draft, "units")

    assert not result.passed
    assert result.lines == (7,)


# --- dates ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("2026-11-27", "2026. 11. 27."),
        ("2026/11/27", "2026. 11. 27."),
        ("2026.11.27", "2026. 11. 27."),
        ("2026년11월27일", "2026. 11. 27."),
        ("2026년 11월 27일", "2026. 11. 27."),
        ("2026. 01. 05.", "2026. 1. 5."),
        ("2026. 11. 27", "2026. 11. 27."),
    ],
)
def test_dates_in_other_formats_are_flagged_with_the_right_form(written, expected):
    result = run(plan(), f"○ 공청회 {written} 개최", "dates")

    assert not result.passed
    assert result.lines == (1,)
    assert f"{written} → {expected}" in result.message


def test_dates_in_the_house_style_pass():
    draft = "○ 2026. 11. 27.(금) 공청회\n○ 2027. 1. 5. 시행\n○ 11월 중 협의 예정"
    assert run(plan(), draft, "dates").passed


def test_date_style_of_the_type_is_respected():
    dt = plan(date_style="2026-11-27")

    assert run(dt, "○ 2026-01-05 시행", "dates").passed
    result = run(dt, "○ 2026. 1. 5. 시행", "dates")
    assert not result.passed
    assert "2026. 1. 5. → 2026-01-05" in result.message


# --- hierarchy -----------------------------------------------------------------------------


def test_markers_in_order_pass():
    draft = "□ 추진배경\n  ○ 민원 증가\n    - 연 120건\n  ○ 예산 부족\n□ 추진계획\n  ○ 협약"
    assert run(plan(), draft, "hierarchy").passed


@pytest.mark.parametrize(
    ("draft", "bad_line"),
    [
        ("○ 민원 증가\n□ 추진배경", 1),
        ("□ 추진배경\n- 연 120건", 2),
        ("□ 추진배경\n  ○ 민원 증가\n□ 추진계획\n  - 협약 체결", 4),
    ],
)
def test_a_lower_marker_without_its_parent_is_flagged(draft, bad_line):
    result = run(plan(), draft, "hierarchy")

    assert not result.passed
    assert result.lines == (bad_line,)
    assert "□ → ○ → -" in result.message


def test_numbered_hierarchy_of_an_official_letter():
    good = "수신  세종시장\n제목  협조 요청\n1. 관련: 문서\n  가. 일시\n    1) 오전\n2. 요청사항"
    assert run(letter(), good, "hierarchy").passed
    bad = run(letter(), "수신  세종시장\n제목  협조 요청\n가. 일시\n1. 관련", "hierarchy")
    assert not bad.passed
    assert bad.lines == (3,)


def test_a_draft_without_any_marker_fails_the_hierarchy_check():
    assert not run(plan(), "추진배경\n민원 증가", "hierarchy").passed


# --- headline (두괄식) ----------------------------------------------------------------------


def test_a_summary_box_before_the_first_section_is_a_headline():
    result = run(plan(), GOOD_PLAN_DRAFT, "headline")

    assert result.passed
    assert result.lines == (4,)


def test_opening_with_the_first_section_fails_the_headline_check():
    draft = "청사 공유주차제 추진계획\n□ 추진배경\n  ○ 민원 증가로 공유주차 추진 필요"
    result = run(plan(), draft, "headline")

    assert not result.passed
    assert result.lines == (2,)
    assert "두괄식" in result.message


def test_a_conclusion_word_within_the_first_three_content_lines_passes():
    draft = "주차 대책\n○ 민원 증가\n○ 주차면 부족\n○ 공유주차제 도입 건의\n□ 추진배경"
    assert run(plan(), draft, "headline").passed


def test_a_conclusion_word_only_on_the_fourth_line_fails():
    draft = "주차 대책\n○ 민원 증가\n○ 주차면 부족\n○ 셔틀 운행 검토\n○ 공유주차제 도입 건의"
    result = run(plan(), draft, "headline")

    assert not result.passed
    assert result.lines == (2, 3, 4)


def test_the_title_alone_does_not_make_a_headline():
    # The title holds 추진, but a title is not the conclusion.
    draft = "공유주차 추진계획\n○ 민원 증가\n○ 주차면 부족\n○ 셔틀 운행 검토"
    assert not run(plan(), draft, "headline").passed


# --- rubric feedback -----------------------------------------------------------------------

EXERCISE: dict[str, Any] = {
    "slug": "shared-parking-plan",
    "title": "청사 공유주차 기획보고서",
    "scenario": "총무과 주무관으로서 공유주차 기획보고서를 씁니다.",
    "source_material": "| 구분 | 값 |\n|---|---|\n| 주차면 | 300면 |",
    "estimated_minutes": 40,
    "rubric": [
        {
            "id": "structure",
            "title": "구성",
            "description": "필수 항목",
            "max_score": 4,
            "auto": "sections",
        },
        {
            "id": "style",
            "title": "개조식",
            "description": "명사형",
            "max_score": 5,
            "auto": "gaejosik",
        },
        {"id": "content", "title": "내용 정확성", "description": "자료와 일치", "max_score": 10},
        {"id": "judgement", "title": "판단", "description": "", "max_score": 3, "auto": "none"},
    ],
    "model_answer": None,
}


def test_rubric_feedback_scores_only_what_it_can_compute():
    feedback = rubric_feedback(plan(), EXERCISE, GOOD_PLAN_DRAFT)
    by_id = {c["id"]: c for c in feedback["criteria"]}

    assert [c["id"] for c in feedback["criteria"]] == ["structure", "style", "content", "judgement"]
    assert by_id["structure"] | {"comment": ""} == {
        "id": "structure",
        "title": "구성",
        "max_score": 4,
        "score": 4,
        "comment": "",
        "computed": True,
    }
    assert by_id["style"]["score"] == 5
    for uncomputed in ("content", "judgement"):
        assert by_id[uncomputed]["score"] is None
        assert by_id[uncomputed]["computed"] is False
        assert "강사 검토나 모델 채점" in by_id[uncomputed]["comment"]
    assert feedback["total"] == 9
    assert feedback["max_total"] == 9  # the 10 + 3 uncomputed points are not counted
    assert feedback["source"] == "coach"
    assert "내용 정확성" in feedback["summary"]
    assert "판단" in feedback["summary"]


def test_section_score_is_the_share_of_required_sections_present():
    draft = "□ 공유주차 추진 건의\n□ 추진배경\n  ○ 민원 증가\n□ 추진계획\n  ○ 협약"
    feedback = rubric_feedback(plan(), EXERCISE, draft)

    assert feedback["criteria"][0]["score"] == 2  # 2 of 4 sections, 4 points
    assert "기대효과" in feedback["criteria"][0]["comment"]


def test_a_failed_check_never_earns_full_marks():
    lines = [f"○ 과제 {i} 추진" for i in range(20)] + ["○ 예산을 확보합니다."]
    feedback = rubric_feedback(plan(), EXERCISE, "\n".join(lines))

    assert feedback["criteria"][1]["score"] == 4


def test_an_empty_draft_scores_zero_on_computed_criteria():
    feedback = rubric_feedback(plan(), EXERCISE, "  \n")

    assert [c["score"] for c in feedback["criteria"]] == [0, 0, None, None]
    assert feedback["total"] == 0
    assert feedback["max_total"] == 9


def test_sections_cannot_be_computed_when_the_type_requires_none():
    feedback = rubric_feedback(idea(), EXERCISE, "문제 정의\n아이디어")

    structure = feedback["criteria"][0]
    assert structure["score"] is None
    assert structure["computed"] is False
    assert feedback["max_total"] == 5


# --- respond -------------------------------------------------------------------------------


def user(text: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": text}]


def test_every_reply_starts_with_the_coach_label():
    for text in ("안녕하세요", "개요: 주차", "점검", "채점", "개인정보", ""):
        assert respond(plan(), EXERCISE, user(text), GOOD_PLAN_DRAFT).startswith(LABEL)
    assert respond(plan(), None, []).startswith(LABEL)


@pytest.mark.parametrize(
    ("message", "topic"),
    [
        ("청사 주차난 해소 방안으로 개요 만들어줘", "청사 주차난 해소 방안"),
        ("개요: 어린이 교통안전 캠페인", "어린이 교통안전 캠페인"),
        ("AI 교육 확대에 대한 목차 좀 짜 주세요", "AI 교육 확대"),
        ("보고서 뼈대 부탁해: 청사 에너지 절약", "청사 에너지 절약"),
    ],
)
def test_outline_requests_get_the_outline_for_the_topic(message, topic):
    reply = respond(plan(), None, user(message))

    assert f"[기획보고서] {topic}\n" in reply
    assert "□ 추진배경" in reply


def test_an_outline_reply_sets_the_document_apart_from_its_advice():
    reply = respond(plan(), EXERCISE, user("개요: 청사 주차난 해소 방안"))
    document = insertable_text(reply, from_coach=True)

    assert document == outline(plan(), "청사 주차난 해소 방안")
    assert document.startswith("[기획보고서] 청사 주차난 해소 방안\n")
    # The label, the checklist and the coach's closing words stay in the reply only.
    assert "※ 점검 목록: 결론을 첫머리에 / 사실과 수치를 자료와 대조 / 저작권 확인" in reply
    assert "다 쓰면 '점검'이라고 보내 주세요." in reply
    for chatter in ("연습 코치", "AI 모델 아님", "점검 목록", "다 쓰면", "[작성] 부분을 채우세요"):
        assert chatter not in document


@pytest.mark.parametrize("message", ["점검", "채점", "개인정보", "안녕하세요"])
def test_replies_without_an_outline_have_nothing_to_insert(message):
    reply = respond(plan(), EXERCISE, user(message), GOOD_PLAN_DRAFT)
    assert insertable_text(reply, from_coach=True) == ""


def test_help_with_an_outline_inserts_only_the_outline():
    reply = respond(plan(), EXERCISE, user("청사 에너지 절약 대책"))
    assert insertable_text(reply, from_coach=True) == outline(plan(), "청사 에너지 절약 대책")


def test_an_official_letter_outline_is_inserted_up_to_its_closing_mark():
    reply = respond(letter(), None, user("개요: 교육 참가 협조 요청"))
    document = insertable_text(reply, from_coach=True)
    assert document.splitlines()[-1].endswith("끝.")
    assert "점검" not in document


def test_outline_request_without_a_topic_uses_the_exercise_title():
    reply = respond(plan(), EXERCISE, user("개요 만들어줘"))
    assert "[기획보고서] 청사 공유주차 기획보고서" in reply


def test_check_request_checks_the_draft_pane():
    reply = respond(plan(), None, user("초안 점검해 줘"), "○ 민원이 증가했습니다.")

    assert "[보완] 개조식" in reply
    assert "[보완] 필수 항목" in reply
    assert "직접 확인할 항목:" in reply
    assert "- 사실과 수치를 자료와 대조" in reply


def test_check_request_without_a_draft_asks_for_one():
    reply = respond(plan(), None, user("검토 부탁해요"), "  ")
    assert "점검할 초안이 없습니다" in reply


def test_a_long_pasted_draft_is_checked_even_when_its_body_mentions_outline_words():
    pasted = "이거 확인해 줘\n" + GOOD_PLAN_DRAFT + "○ 위원회 구성 완료\n"
    reply = respond(plan(), None, user(pasted), "")

    assert "통과 7개, 보완 0개" in reply
    # Pasted without a request line, the draft is still checked rather than outlined.
    assert "초안 점검" in respond(plan(), None, user(GOOD_PLAN_DRAFT + "○ 위원회 구성\n"))


def test_outline_words_with_a_check_word_mean_a_check():
    reply = respond(plan(), None, user("구성 확인해 줘"), GOOD_PLAN_DRAFT)
    assert "초안 점검" in reply
    assert "[작성]" not in reply


def test_scoring_request_with_an_exercise_gives_computed_rubric_scores():
    reply = respond(plan(), EXERCISE, user("채점해 주세요"), GOOD_PLAN_DRAFT)

    assert "- 구성: 4/4" in reply
    assert "- 개조식: 5/5" in reply
    assert "- 내용 정확성: 점수 없음" in reply
    assert "9/9점" in reply


def test_scoring_request_without_an_exercise_explains_and_checks_instead():
    reply = respond(plan(), None, user("루브릭 평가"), GOOD_PLAN_DRAFT)

    assert "실습 과제와 연결되어 있지 않아" in reply
    assert "초안 점검" in reply


def test_privacy_questions_explain_the_guard():
    reply = respond(plan(), None, user("개인정보 마스킹은 왜 하나요?"))

    assert "주민등록번호" in reply
    assert "마스킹" in reply
    assert "국가정보원" in reply
    assert "[작성]" not in reply


def test_other_messages_get_help_and_an_outline_for_the_message_as_topic():
    reply = respond(plan(), EXERCISE, user("청사 에너지 절약 대책"))

    assert "AI 모델이 연결되어 있지 않아" in reply
    assert "'채점'" in reply
    assert "[기획보고서] 청사 에너지 절약 대책" in reply


def test_a_greeting_gets_help_without_an_outline():
    reply = respond(plan(), None, user("안녕하세요"))

    assert "'개요: 주제'" in reply
    assert "'채점'" not in reply  # no exercise, no scoring offer
    assert "[작성]" not in reply


def test_only_the_last_user_message_counts():
    messages = [
        {"role": "user", "content": "개인정보 설명해 줘"},
        {"role": "assistant", "content": "주민등록번호 …"},
        {"role": "user", "content": "개요: 청사 주차"},
        {"role": "assistant", "content": "[연습 코치 · AI 모델 아님] …"},
    ]
    reply = respond(plan(), None, messages)

    assert "[기획보고서] 청사 주차" in reply
    assert "국가정보원" not in reply


def test_official_letter_replies_use_the_letter_skeleton():
    reply = respond(letter(), None, user("개요: 교육 참가 협조 요청"))

    assert "제목  교육 참가 협조 요청" in reply
    assert "끝." in reply


def test_help_lists_only_the_checks_that_apply_to_the_type():
    translation_help = respond(translation(), None, user("안녕"))
    assert "초안 점검(필수 항목)" in translation_help
    assert "개조식" not in translation_help

    assert "'점검'" not in respond(idea(), None, user("도움말"))
    assert "숫자 단위, 날짜 표기" in respond(plan(), None, user("hi"))


def test_an_english_topic_keeps_its_case_and_is_not_taken_for_a_greeting():
    reply = respond(translation(), None, user("History of Sejong AI Pilot"))
    assert "[번역] History of Sejong AI Pilot" in reply


def test_official_letter_sections_include_the_closing_mark_anywhere():
    good = "수신  수신자 참조\n제목  협조 요청\n1. 요청 사항\n  가. 일정 회신  끝."
    assert run(letter(), good, "sections").passed

    result = run(letter(), "수신  수신자 참조\n제목  협조 요청\n1. 요청 사항", "sections")
    assert not result.passed
    assert "끝 항목이 없습니다" in result.message
    assert "'…  끝.'" in result.message


def test_korean_only_rubric_checks_are_not_scored_for_a_translation():
    ex = copy.deepcopy(EXERCISE)
    ex["rubric"] = [
        {"id": "numbers", "title": "숫자", "description": "", "max_score": 5, "auto": "units"},
        {"id": "review", "title": "구성", "description": "", "max_score": 3, "auto": "sections"},
    ]
    feedback = rubric_feedback(translation(), ex, "번역문\nThe fee is 3,000 won per bag.")

    numbers, review = feedback["criteria"]
    assert numbers["score"] is None
    assert numbers["computed"] is False
    assert review["score"] == 3
    assert feedback["max_total"] == 3
