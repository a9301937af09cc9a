"""The coach's figure reading and the tracing of a draft's figures to the exercise's source."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.assistant.coach import figures
from portal.assistant.coach.checks import check_figures, figure_report
from portal.assistant.coach.replies import respond, rubric_feedback
from portal.assistant.content import load
from portal.catalog import sync
from portal.paths import ROOT

SHIPPED = ROOT / "courses"
PUBLIC_BIKE = "ex-planning-public-bike"
TAMPERED = {"412개소": "999개소", "3.2일": "9.9일", "13억 2천만": "50억"}


@pytest.fixture(scope="module")
def shipped() -> tuple[dict[str, dict], dict[str, dict]]:
    """(exercises by slug, document types by slug) as the coach reads them."""
    courses = sync.load_courses(SHIPPED)
    loaded = load.load_content(SHIPPED, {course.slug for course in courses.courses})
    assert loaded.ok, "\n".join(str(error) for error in loaded.errors)
    doc_types = {d.slug: {**d.data, "slug": d.slug, "name": d.name} for d in loaded.doc_types}
    exercises = {
        e.slug: {**e.data, "slug": e.slug, "title": e.title, "doc_type": e.doc_type_slug}
        for e in loaded.exercises
    }
    return exercises, doc_types


def bike(shipped) -> tuple[dict, dict]:
    exercises, doc_types = shipped
    exercise = exercises[PUBLIC_BIKE]
    return doc_types[exercise["doc_type"]], exercise


def tampered(answer: str) -> str:
    for before, after in TAMPERED.items():
        assert before in answer
        answer = answer.replace(before, after)
    return answer


def read(text: str) -> list[tuple[str, float, str]]:
    return [(f.text, f.value, f.unit) for f in figures.extract(text)]


# --- reading figures -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value", "unit"),
    [
        ("13억 2천만 원", 1_320_000_000, "원"),
        ("13억2천만원", 1_320_000_000, "원"),
        ("1,320,000,000원", 1_320_000_000, "원"),
        ("13.2억 원", 1_320_000_000, "원"),
        ("1억 2천만 원", 120_000_000, "원"),
        ("3천만 원", 30_000_000, "원"),
        ("8만 2천 명", 82_000, "명"),
        ("82,000명", 82_000, "명"),
        ("182만 건", 1_820_000, "건"),
        ("412개소", 412, "개소"),
        ("40곳", 40, "개소"),
        ("3.2일", 3.2, "일"),
        ("20.4%", 20.4, "%"),
        ("20.4 퍼센트", 20.4, "%"),
        ("2.6%p", 2.6, "%p"),
        ("3%포인트", 3, "%p"),
        ("3.1km", 3.1, "km"),
        ("41톤", 41_000, "kg"),
        ("KRW 1,200", 1_200, "원"),
        ("2.5배", 2.5, "배"),
        ("10년", 10, "년"),
        ("6개월", 6, "개월"),
        ("50억", 5_000_000_000, ""),  # a magnitude without a unit is still a figure
    ],
)
def test_a_figure_is_read_as_value_and_unit(text, value, unit):
    [(written, read_value, read_unit)] = read(f"○ 사업 {text} 반영")
    assert written == text
    assert read_value == pytest.approx(value)
    assert read_unit == unit


def test_several_figures_and_ranges_on_one_line():
    assert read("수수료(2,000원~15,000원), 1~5점, 3회 × 40명 = 120명") == [
        ("2,000원", 2000, "원"),
        ("15,000원", 15000, "원"),
        ("1점", 1, "점"),
        ("5점", 5, "점"),
        ("3회", 3, "회"),
        ("40명", 40, "명"),
        ("120명", 120, "명"),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "2026. 11. 27.",
        "2026. 12. 3.(목)",
        "2027. 3.~5. 단계 투입",
        "2026. 12. 15.~17.",
        "12. 10.(목)까지",
        "2027년 계획",
        "2025년 대비",
        "2026년 1~10월",
        "지난 10월",
        "12월 3일",
        "2026년 11월 27일",
        "09:30~12:30",
        "오후 2시",
        "10시 30분",
        "인사과-2140",
        "제2026-123호",
        "제3조",
        "1차 회의",
        "시민 불편 1순위",
        "3번째 안건",
        "2027년 1분기",
        "GPT-4, N2SF",
        "붙임 2",
        "1km당",
        "### 1. 운영 현황",
        "1. 관련",
        "정비 인력 12",  # a bare number is the units check's business, not a figure
    ],
)
def test_dates_times_numbers_and_ordinals_are_not_figures(text):
    assert read(text) == []


def test_an_approximate_figure_allows_rounding_to_its_last_digit():
    [figure] = figures.extract("약 1,200건")
    assert figure.approx and figure.granularity == 100
    [exact] = figures.extract("1,200건")
    assert not exact.approx and exact.granularity == 1


# --- tracing -------------------------------------------------------------------------------

SOURCE = """\
| 항목 | 현황 |
|---|---|
| 대여소 | 412개소 |
| 자전거 | 3,600대 (일반 3,100대, 전기 500대) |
- 2024년 196만 건, 2025년 191만 건(2.6% 감소)
- 고장 신고 월평균 1,150건, 수리 대기 평균 3.2일
- 설문(1,200명 응답): 자전거 부족 41%, 고장 27%, 도로 19%, 앱 13%
| 전기자전거 추가 | 300대 (대당 200만 원) | 6억 원 |
| 대여소 신설 | 40개소 | 4억 원 |
| 합계 | | 13억 2천만 원 |
- 2027년 목표 230만 건, 2026. 12. 15.(화) 교육
"""


def statuses(draft: str) -> dict[str, tuple[str, str]]:
    return {
        t.figure.text: (t.status, t.basis or (t.nearest.text if t.nearest else ""))
        for t in figures.trace(draft, SOURCE)
    }


def test_figures_copied_from_the_source_trace_in_any_notation():
    found = statuses("대여소 412개소, 예산 1,320,000,000원, 13.2억 원, 자전거 3,600대")
    assert {status for status, _basis in found.values()} == {"source"}


@pytest.mark.parametrize(
    ("draft", "figure", "basis"),
    [
        ("대여소 452개소로 확대", "452개소", "412개소 + 40개소"),
        ("예산 10억 원(전기자전거·대여소)", "10억 원", "6억 원 + 4억 원"),
        ("이용 5만 건 감소", "5만 건", "196만 건 − 191만 건"),
        ("응답 중 부족·고장 68%", "68%", "41% + 27%"),
        ("부족과 고장의 차이 14%p", "14%p", "41% − 27%"),
        ("전기자전거 비중 13.9%", "13.9%", ""),
        ("2025년 대비 20.4% 증가", "20.4%", "(230만 건 − 191만 건) ÷ 191만 건"),
        ("자전거 부족 응답 492명", "492명", "1,200명 × 41%"),
        ("대당 200만 원씩 300대, 6억 원", "6억 원", "6억 원"),
        ("응답 비율 부족이 고장의 약 1.5배", "1.5배", ""),
        ("수리 대기 평균 3일", "3일", "3.2일"),  # rounding a more precise source figure
        ("약 1,200건 고장 신고", "1,200건", "1,150건"),
        ("전기자전거 300대 구매(6억 원)", "300대", "300대"),
    ],
)
def test_figures_computed_from_the_source_are_accepted(draft, figure, basis):
    status, shown = statuses(draft)[figure]
    assert status in {"source", "rounded", "computed"}
    if basis and status == "computed":
        assert shown == basis
    if status != "computed":
        assert shown


@pytest.mark.parametrize(
    ("draft", "figure", "nearest"),
    [
        ("대여소 999개소", "999개소", "412개소"),
        ("수리 대기 평균 9.9일", "9.9일", "3.2일"),
        ("총사업비 50억 원", "50억 원", "13억 2천만 원"),
        ("총사업비 50억", "50억", "13억 2천만 원"),
        ("자전거 부족 응답 44%", "44%", "41%"),
        ("고장 신고 1,000건", "1,000건", "1,150건"),
        ("정비 인력 7명 증원", "7명", "1,200명"),
    ],
)
def test_a_changed_or_made_up_figure_is_untraced_with_the_nearest_source_figure(
    draft, figure, nearest
):
    assert statuses(draft)[figure] == ("untraced", nearest)


def test_a_figure_with_no_source_in_its_unit_has_no_nearest():
    assert statuses("탄소 20톤 감축") == {"20톤": ("untraced", "")}


def test_a_day_of_the_month_from_the_source_is_a_date_not_a_made_up_figure():
    assert statuses("15일 시청에서 교육")["15일"] == ("date", "")
    assert statuses("27일 시청에서 교육")["27일"][0] == "untraced"


# --- the shipped exercises -----------------------------------------------------------------


def test_every_shipped_exercise_has_its_figures_criterion_where_the_source_matters(shipped):
    exercises, _types = shipped
    autos = {slug: {c["id"]: c["auto"] for c in ex["rubric"]} for slug, ex in exercises.items()}
    assert autos[PUBLIC_BIKE]["figures"] == "figures"
    assert autos["ex-press-genai-training"]["accuracy"] == "figures"


def test_every_model_answer_gets_full_marks_on_its_figures_criterion(shipped):
    exercises, doc_types = shipped
    scored = 0
    for slug, exercise in exercises.items():
        if not exercise.get("model_answer"):
            continue
        doc_type = doc_types[exercise["doc_type"]]
        feedback = rubric_feedback(doc_type, exercise, exercise["model_answer"])
        for criterion, item in zip(feedback["criteria"], exercise["rubric"], strict=True):
            if item["auto"] == "figures":
                scored += 1
                assert criterion["score"] == criterion["max_score"], (slug, criterion)
    assert scored >= 2


@pytest.mark.parametrize(
    "slug",
    [
        PUBLIC_BIKE,
        "ex-press-genai-training",
        "ex-letter-training-notice",
        "ex-meeting-ai-kickoff",
    ],
)
def test_every_figure_of_these_model_answers_traces_to_the_source(shipped, slug):
    exercises, _types = shipped
    exercise = exercises[slug]
    traces = figures.trace(exercise["model_answer"], figures.source_text(exercise))
    assert traces
    assert [t.figure.text for t in traces if not t.traced] == []


def test_the_idea_model_answer_marks_its_own_targets_for_checking(shipped):
    # The idea exercise's answer adds its own targets (18 ideas, a 20% cut, 3 minutes): the
    # coach does not pass them silently, it asks for their source.
    exercises, _types = shipped
    exercise = exercises["ex-idea-repeat-inquiries"]
    traces = {
        t.figure.text: t
        for t in figures.trace(exercise["model_answer"], figures.source_text(exercise))
    }
    assert not traces["18개"].traced
    assert not traces["3분"].traced
    assert (traces["56%"].status, traces["56%"].basis) == ("computed", "23% + 18% + 15%")
    assert traces["9,800건"].status == "source"


def test_the_tampered_public_bike_draft_loses_accuracy_marks(shipped):
    doc_type, exercise = bike(shipped)
    draft = tampered(exercise["model_answer"])

    feedback = rubric_feedback(doc_type, exercise, draft)
    accuracy = {c["id"]: c for c in feedback["criteria"]}["figures"]
    assert accuracy["score"] == 0  # five untraced figures (two of them twice)
    assert "999개소 — 출처 확인 필요: 원 자료에는 412개소" in accuracy["comment"]
    assert "9.9일 — 출처 확인 필요: 원 자료에는 3.2일" in accuracy["comment"]
    assert "50억 원 — 출처 확인 필요: 원 자료에는 13억 2천만 원" in accuracy["comment"]
    assert feedback["total"] < feedback["max_total"]
    listed = {(item["figure"], item["note"]) for item in feedback["untraced_figures"]}
    assert listed == {
        ("999개소", "출처 확인 필요: 원 자료에는 412개소"),
        ("9.9일", "출처 확인 필요: 원 자료에는 3.2일"),
        ("50억 원", "출처 확인 필요: 원 자료에는 13억 2천만 원"),
    }

    clean = rubric_feedback(doc_type, exercise, exercise["model_answer"])
    assert clean["untraced_figures"] == []
    assert clean["total"] == clean["max_total"] == 16


def test_one_changed_figure_costs_a_quarter_of_the_criterion(shipped):
    doc_type, exercise = bike(shipped)
    draft = exercise["model_answer"].replace("수리 대기 평균 3.2일", "수리 대기 평균 9.9일")

    outcome = check_figures(doc_type, exercise, draft)
    assert not outcome.result.passed
    assert outcome.ratio == pytest.approx(0.75)
    feedback = rubric_feedback(doc_type, exercise, draft)
    assert {c["id"]: c["score"] for c in feedback["criteria"]}["figures"] == 3


def test_a_draft_without_figures_does_not_pass_the_figures_criterion(shipped):
    doc_type, exercise = bike(shipped)
    outcome = check_figures(doc_type, exercise, "□ 공공자전거 활성화 추진\n□ 추진배경\n○ 이용 감소")
    assert not outcome.result.passed and outcome.ratio == 0


def test_the_check_reply_lists_each_changed_figure_with_the_source_figure(shipped):
    doc_type, exercise = bike(shipped)
    reply = respond(
        doc_type,
        exercise,
        [{"role": "user", "content": "점검"}],
        tampered(exercise["model_answer"]),
    )

    assert "[보완] 수치 대조: 수치 38개 중 5개를 원 자료에서 확인할 수 없습니다." in reply
    assert "- 14번째 줄 999개소 — 출처 확인 필요: 원 자료에는 412개소" in reply
    assert "- 17번째 줄 9.9일 — 출처 확인 필요: 원 자료에는 3.2일" in reply
    assert "- 3번째 줄 50억 원 — 출처 확인 필요: 원 자료에는 13억 2천만 원" in reply
    assert "보완 1개" in reply.splitlines()[1]


def test_the_check_reply_shows_computed_figures_with_their_computation(shipped):
    doc_type, exercise = bike(shipped)
    draft = exercise["model_answer"] + "\n○ 대여소 452개소로 확대(412개소 + 40개소)"
    passed, lines = figure_report(doc_type, exercise, draft)

    assert passed
    assert any("452개소 — 원 자료로 계산한 값(412개소 + 40개소)" in line for line in lines)


def test_the_scoring_reply_shows_the_figures_criterion(shipped):
    doc_type, exercise = bike(shipped)
    reply = respond(
        doc_type,
        exercise,
        [{"role": "user", "content": "채점"}],
        tampered(exercise["model_answer"]),
    )
    assert "- 수치의 정확성: 0/4 — 원 자료와 다르거나 원 자료에서 찾을 수 없는 수치 5개" in reply


def test_no_figure_comparison_without_an_exercise_or_for_a_translation(shipped):
    exercises, doc_types = shipped
    doc_type, exercise = bike(shipped)
    assert figure_report(doc_type, None, "대여소 999개소") is None
    translation = exercises["ex-translation-waste-guide"]
    assert figure_report(doc_types["translation"], translation, "KRW 999") is None
    assert "untraced_figures" not in rubric_feedback(
        doc_types["translation"], translation, translation["model_answer"]
    )


# --- properties ----------------------------------------------------------------------------


def korean_amount(value: int) -> str:
    """1320000000 → '13억 2천만': 조/억/만 groups, each group's 천 written as a word."""
    parts = []
    for name, size in (("조", 10**12), ("억", 10**8), ("만", 10**4), ("", 1)):
        group, value = divmod(value, size)
        if not group:
            continue
        thousands, rest = divmod(group, 1000)
        words = (f"{thousands}천" if thousands else "") + (str(rest) if rest else "")
        parts.append(words + name)
    return " ".join(parts)


@given(st.integers(min_value=1, max_value=10**15 - 1), st.sampled_from(["원", "명", "건", "개소"]))
def test_any_amount_reads_the_same_in_korean_words_and_with_commas(value, unit):
    spelled = read(f"총 {korean_amount(value)} {unit} 반영")
    digits = read(f"총 {value:,}{unit} 반영")
    canonical = figures.extract(f"{value:,}{unit}")[0].unit
    assert spelled == [(korean_amount(value) + f" {unit}", value, canonical)]
    assert digits == [(f"{value:,}{unit}", value, canonical)]


@given(
    st.integers(min_value=1990, max_value=2099),
    st.integers(min_value=1, max_value=12),
    st.integers(min_value=1, max_value=28),
    st.sampled_from(["{y}. {m}. {d}.", "{y}.{m}.{d}.", "{y}-{m:02d}-{d:02d}", "{y}년 {m}월 {d}일"]),
)
def test_no_date_is_read_as_a_figure(year, month, day, style):
    written = style.format(y=year, m=month, d=day)
    assert read(f"○ {written} 기준") == []
    assert read(f"○ {written}까지 {year}년 {month}월 계획 확정") == []
