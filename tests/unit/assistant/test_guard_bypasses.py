"""The guard's bypasses from issue 9: separators, split halves, case, dots, markers, near-misses.

Two tables: forms that must be caught (and masked down to the last digit) and near-misses that
staff paste every day and that must not be flagged. ``guard_figures()`` computes the guard's
figures on them (run this file with ``python -m tests.unit.assistant.test_guard_bypasses`` to
print them); the tests hold them to: everything caught, false positives at most 2%.
Check digits are computed here by our own helper, never by the module under test.
"""

from __future__ import annotations

import datetime as dt
import re
import time
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.assistant.guard.detect import personal_findings, scan
from portal.assistant.guard.masking import mask

_W = (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5)


def _check(first12: str, base: int = 11) -> str:
    return str((base - sum(int(d) * w for d, w in zip(first12, _W, strict=True)) % 11) % 10)


def rrn(first12: str) -> str:
    return first12 + _check(first12)


def arn(first12: str) -> str:
    return first12 + _check(first12, 13)


def luhn(body: str) -> str:
    total = 0
    for index, char in enumerate(reversed(body)):
        value = int(char) * (2 if index % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return body + str((10 - total % 10) % 10)


RRNS = [rrn("761221260713"), rrn("900101123456"), rrn("050817412345"), rrn("881130298765")]
ARN_ = arn("850505512345")
POST_2020 = "2103153672549"  # born 2021: random last digit (this one fails the old check)
CARD = luhn("411111111111111")
CARD2 = luhn("540000000000000")

# Every separator class of the issue, between the halves of a resident number.
SEPARATORS = {
    "two-spaces": "  ",
    "line-break": "\n",
    "crlf": "\r\n",
    "tab": "\t",
    "dot": ".",
    "slash": "/",
    "underscore": "_",
    "tilde": "~",
    "comma": ",",
    "en-dash": "\u2013",
    "em-dash": "\u2014",
    "minus-sign": "\u2212",
    "fullwidth-hyphen": "\uff0d",
    "zero-width-space": "\u200b",
    "soft-hyphen": "\u00ad",
    "bom": "\ufeff",
    "word-joiner": "\u2060",
    "ideographic-space": "\u3000",
    "no-break-space": "\u00a0",
    "spaced-slash": " / ",
    "dot-space": ". ",
    "comma-space": ", ",
    "spaced-en-dash": " \u2013 ",
    "two-line-breaks": "\n\n",
}

_FULLWIDTH = {code: code + 0xFEE0 for code in range(ord("0"), ord("9") + 1)}

# (id, text): every digit of the identifier must disappear from the masked text; ids starting
# with "marker" must give a classification marker.
CAUGHT: list[tuple[str, str]] = []
for number in RRNS:
    for name, sep in SEPARATORS.items():
        CAUGHT.append(
            (f"rrn-{number[:6]}-{name}", f"주민등록번호 {number[:6]}{sep}{number[6:]} 입니다")
        )
        CAUGHT.append((f"rrn-bare-{number[:6]}-{name}", f"{number[:6]}{sep}{number[6:]}"))
for name, sep in SEPARATORS.items():
    CAUGHT.append((f"arn-{name}", f"외국인 {ARN_[:6]}{sep}{ARN_[6:]}"))
    CAUGHT.append((f"rrn-post-2020-{name}", f"아이 {POST_2020[:6]}{sep}{POST_2020[6:]}"))
_A, _B = RRNS[0][:6], RRNS[0][6:]
CAUGHT += [
    ("split-front-back", f"주민번호 앞자리 {_A} 뒷자리 {_B}"),
    ("split-birth-date", f"생년월일 {_A}, 뒷번호 {_B}"),
    ("split-lines", f"생년월일: {_A}\n주민등록번호 뒷자리: {_B}"),
    ("split-age-between", f"주민 앞자리 {_A}(만 49세) 뒤 7자리 {_B}"),
    ("split-fullwidth", f"주민번호 앞자리 {_A.translate(_FULLWIDTH)} 뒷자리 {_B}"),
    ("split-bad-check", f"주민번호 앞자리 {_A} 뒷자리 {str((int(_B) + 1) % 10**7).zfill(7)}"),
    ("passport-lower", "여권 m12345678"),
    ("passport-spaced", "여권 M 12345678"),
    ("passport-spaced-lower", "여권번호 s 98765432"),
    ("passport-hyphen", "M-12345678"),
    ("passport-new-lower", "m123a4567"),
    ("passport-fullwidth-lower", "ｍ１２３４５６７８"),
    ("card-dots", f"카드 {CARD[:4]}.{CARD[4:8]}.{CARD[8:12]}.{CARD[12:]}"),
    ("card-spaces", f"{CARD2[:4]} {CARD2[4:8]} {CARD2[8:12]} {CARD2[12:]}"),
    ("card-two-spaces", f"{CARD[:4]}  {CARD[4:8]}  {CARD[8:12]}  {CARD[12:]}"),
    ("card-slashes", f"{CARD[:4]}/{CARD[4:8]}/{CARD[8:12]}/{CARD[12:]}"),
    ("card-zero-width", "\u200b".join([CARD[:4], CARD[4:8], CARD[8:12], CARD[12:]])),
    ("card-then-expiry", f"{CARD[:4]} {CARD[4:8]} {CARD[8:12]} {CARD[12:]} 12/27"),
    ("mobile-dots", "010.2345.6789"),
    ("mobile-parens", "(010)2345-6789"),
    ("mobile-paren-space", "(010) 2345 6789"),
    ("mobile-en-dash", "010\u20132345\u20136789"),
    ("mobile-soft-hyphen", "010\u00ad2345\u00ad6789"),
    ("landline-half-paren", "02)345-6789"),
    ("landline-parens", "(031) 234-5678"),
    ("landline-dots", "051.234.5678"),
    ("marker-boan-yuji-yomang", "보안 유지 요망"),
    ("marker-boan-yuji", "본 자료는 보안 유지 바랍니다"),
    ("marker-boan-sahang", "보안사항 포함"),
    ("marker-boan-eomsu", "보안 엄수"),
    ("marker-zero-width", "대\u200b외비 문서"),
]

NEAR_MISSES: list[str] = [
    # Dates in every notation.
    "2024.12.06",
    "2024. 12. 6.",
    "2024/12/06",
    "2024-12-06",
    "24.12.6",
    "24.12.06",
    "'24.12.6.",
    "2024년 12월 6일",
    "20241206",
    "2024.12.06.(금) 14:00",
    "2024.12.06~2024.12.31",
    "2024. 12. 6. ~ 2025. 1. 31.",
    "12/06/2024",
    "06.12.2024",
    "기간: 2024.3.1.~2024.12.31.",
    "2024-12-06T14:30:00+09:00",
    "241206 작성",
    "FY2024 Q4",
    # Amounts.
    "1,234,567원",
    "예산 13억 2천만 원",
    "1,320,000천원",
    "₩12,345,678",
    "총 1,234,567,890원",
    "2,607,131명",
    "3.2일",
    "412개소",
    "12.5%",
    "1,234,567 / 2,345,678",
    "761,221 2,607,131",
    "사업비 761,221천원, 국비 2,607,131천원",
    # Document and reference numbers.
    "제2026-123호",
    "제2024-1206호",
    "행정안전부 공고 제2024-123호",
    "문서번호 디지털정부과-1234",
    "법률 제19234호",
    "조례 제6543호(2024.12.6.)",
    "접수번호 2024-000123",
    "사건번호 2024구합12345",
    "공고 2024-12-06-001",
    # Version numbers.
    "v1.2.3",
    "버전 10.4.2",
    "Python 3.11.7",
    "Chrome 120.0.6099.109",
    "release 2024.12.1",
    "build 761221.2",
    # ISBNs and ISSNs.
    "ISBN 978-89-1234-567-8",
    "ISBN 9788912345678",
    "ISBN 89-1234-567-8",
    "ISBN 979-11-5555-123-4",
    "ISSN 1234-5678",
    # Coordinates.
    "37.5665, 126.9780",
    "37.566535, 126.977969",
    "위도 37.5665351 경도 126.9779692",
    "N37°33'59.4\" E126°58'40.7\"",
    "(37.5665, 126.9780)",
    "35.1795543,129.0756416",
    # Receipt and transaction numbers.
    "12345678901234567890",
    "영수증 번호 20241206123456789012",
    "승인번호 30012345",
    "2024-1206-1234-5678-9012",
    "1234-5678-9012-3456-7890",
    "거래번호 2024120614300012345678",
    # Phrases with 보안 and the like.
    "정보보안 교육",
    "개인정보 보안 점검",
    "보안 점검 결과",
    "정보보안 유지보수 계약",
    "보안 교육 이수",
    "보안 강화 방안",
    "사이버 보안 관제",
    "정보보안팀",
    "민감한 사안",
    # Everyday numbers that look like others.
    "우편번호 06236",
    "대표전화 1588-1234",
    "수신자부담 080-123-4567",
    "내선 1234",
    "팩스번호는 별도 안내",
    "09:00~18:00",
    "3~5명",
    "1/4분기",
    "제1차 회의(2024.12.6.)",
    "시행 2024. 12. 6.",
    "2024학년도 1학기",
    "표 3-1. 추진 일정",
    "[붙임 1] 세부 계획 1부.",
    "KS X ISO/IEC 27001:2013",
    "RFC 9110",
    "IPv4 192.168.10.254",
    "MAC 00:1A:2B:3C:4D:5E",
    "모델 M-100",
    "S등급 2건",
    "주민 설명회 2024.12.6. 개최, 참석 120명",
    "주민참여예산 1,200,000천원",
    "차량번호 12가 3456",
    "1.5배, 2.3배, 3.7배",
    "전년 대비 12.3% 증가(1,234건→1,386건)",
    "0.123456 1234567",
    "ver. 1.0.0-rc.1",
    "DOI 10.1000/182",
]


# Forms whose text holds other short numbers besides the identifier (an age, an expiry date).
_OTHER_NUMBERS_KEPT = {"card-then-expiry", "split-age-between"}


def _digit_groups(text: str) -> list[str]:
    return re.findall(r"[0-9]{3,}", unicodedata.normalize("NFKC", text).replace("\u00ad", ""))


def _is_caught(text: str, expect_marker: bool) -> bool:
    findings = scan(text)
    if expect_marker:
        return any(f.kind == "marker" for f in findings)
    masked = mask(text, findings)
    bare = re.sub(r"\D", "", unicodedata.normalize("NFKC", masked))
    return bool(personal_findings(findings)) and not any(
        group in bare for group in _digit_groups(text) if len(group) >= 4
    )


def guard_figures() -> dict[str, float]:
    caught = sum(_is_caught(t, i.startswith("marker")) for i, t in CAUGHT)
    false_positives = [t for t in NEAR_MISSES if scan(t)]
    return {
        "caught": caught,
        "forms": len(CAUGHT),
        "false_positives": len(false_positives),
        "near_misses": len(NEAR_MISSES),
        "false_positive_rate": len(false_positives) / len(NEAR_MISSES),
    }


@pytest.mark.parametrize(
    ("text", "ident"), [(t, i) for i, t in CAUGHT], ids=[i for i, _t in CAUGHT]
)
def test_each_bypass_form_is_caught_and_masked_to_the_last_digit(text: str, ident: str) -> None:
    findings = scan(text)
    for finding in findings:  # spans point at exactly what the user typed
        assert text[finding.start : finding.end] == finding.text
    if ident.startswith("marker"):
        assert any(f.kind == "marker" and f.marker_level for f in findings)
        return
    assert personal_findings(findings)
    masked = mask(text, findings)
    bare = re.sub(r"\D", "", unicodedata.normalize("NFKC", masked))
    for group in _digit_groups(text):
        assert group not in bare, group
    if ident not in _OTHER_NUMBERS_KEPT:
        assert not re.search(r"[0-9]", unicodedata.normalize("NFKC", masked))


def test_split_halves_are_masked_as_two_findings_and_the_words_stay() -> None:
    text = f"주민번호 앞자리 {_A} 뒷자리 {_B}"
    assert [(f.kind, f.text) for f in scan(text)] == [("rrn", _A), ("rrn", _B)]
    assert mask(text) == "주민번호 앞자리 [주민등록번호] 뒷자리 [주민등록번호]"


def test_format_characters_inside_stay_inside_the_span_and_outside_stay_outside() -> None:
    text = f"번호\u200b{_A}\u00ad{_B}\u200b끝"
    [finding] = scan(text)
    assert finding.text == f"{_A}\u00ad{_B}"
    assert mask(text) == "번호\u200b[주민등록번호]\u200b끝"


@pytest.mark.parametrize("text", NEAR_MISSES)
def test_near_misses_are_not_flagged(text: str) -> None:
    assert scan(text) == []


def test_figures_on_our_own_table() -> None:
    figures = guard_figures()
    assert figures["caught"] == figures["forms"]
    assert figures["false_positive_rate"] <= 0.02


def test_a_weak_separator_needs_a_holding_check_digit_or_a_reason() -> None:
    # Two numbers in a row with a wrong check digit, born before 2020, nothing saying
    # "resident number": coordinates or table cells, not flagged...
    bad = RRNS[1][:12] + str((int(RRNS[1][12]) + 1) % 10)
    assert scan(f"{bad[:6]}, {bad[6:]}") == []
    # ...but the usual hyphen keeps the old rule (a failed check never clears a match),
    assert [f.checksum for f in scan(f"{bad[:6]}-{bad[6:]}")] == [False]
    # and a resident-number word nearby is reason enough.
    assert [f.kind for f in scan(f"주민번호 {bad[:6]}, {bad[6:]}")] == ["rrn"]


def test_scan_stays_fast_on_a_long_text() -> None:
    chunk = (
        "2026년 공공자전거 대여소 412개소, 예산 1,320,000천원, 시행 2024.12.06, 제2026-123호. "
        "좌표 37.5665, 126.9780. 정보보안 교육 실시. 연락처 010-2345-6789.\n"
    )
    text = (chunk * (20_000 // len(chunk) + 1))[:20_000]
    scan(text)
    started = time.perf_counter()
    scan(text)
    assert time.perf_counter() - started < 2.0  # ~0.05 s here; generous for a busy CI
    hostile = ("761221 " * 3000 + "." * 5000 + "0" * 2000)[:20_000]
    started = time.perf_counter()
    scan(hostile)
    assert time.perf_counter() - started < 2.0


# --------------------------------------------------------------------------- properties

PROPERTY = settings(max_examples=200, deadline=None, database=None)


def _no_digit_after_nfkc(char: str) -> bool:
    normal = unicodedata.normalize("NFKC", char)
    return not any(c.isdigit() or c == "@" for c in normal)


_filler = st.text(
    alphabet=st.one_of(
        st.characters(min_codepoint=0xAC00, max_codepoint=0xD7A3),
        st.characters(exclude_categories=("Nd", "Nl", "No", "Cs", "Co", "Cn")).filter(
            _no_digit_after_nfkc
        ),
        st.sampled_from(list(" \n.,:-()[]")),
    ),
    max_size=30,
)
_separator = st.one_of(
    st.sampled_from(list(SEPARATORS.values()) + ["", "-", " ", " - "]),
    st.text(alphabet=" \n\t./_~,\u2013\u2212\u200b\u00ad\u3000", min_size=1, max_size=3),
)


@st.composite
def valid_registration_numbers(draw: st.DrawFn) -> str:
    born = draw(st.dates(min_value=dt.date(1920, 1, 1), max_value=dt.date(2026, 12, 31)))
    alien = draw(st.booleans())
    if born.year < 2000:
        gender = draw(st.sampled_from("56" if alien else "12"))
    else:
        gender = draw(st.sampled_from("78" if alien else "34"))
    first12 = born.strftime("%y%m%d") + gender + draw(st.from_regex(r"\A[0-9]{5}\Z"))
    if born >= dt.date(2020, 10, 1) and draw(st.booleans()):
        return first12 + draw(st.sampled_from("0123456789"))  # issued since Oct 2020: random
    return arn(first12) if alien else rrn(first12)


@PROPERTY
@given(number=valid_registration_numbers(), sep=_separator, before=_filler, after=_filler)
def test_any_valid_number_with_any_separator_is_found_and_fully_masked(
    number: str, sep: str, before: str, after: str
) -> None:
    typed = f"{number[:6]}{sep}{number[6:]}"
    text = f"{before} {typed} {after}"
    start = len(before) + 1
    findings = personal_findings(scan(text))
    covering = [f for f in findings if f.start <= start and start + len(typed) <= f.end]
    assert covering and covering[0].kind in ("rrn", "arn")
    masked = mask(text, findings)
    assert masked == f"{before} {covering[0].token} {after}"
    assert not re.search(r"[0-9]", unicodedata.normalize("NFKC", masked))


_gap_words = st.sampled_from(
    [
        "앞자리",
        "뒷자리",
        "뒷번호",
        "주민번호 뒷자리",
        ", 뒷번호",
        " 뒤 7자리 ",
        "\n주민등록번호 뒷자리: ",
    ]
)


@PROPERTY
@given(
    number=valid_registration_numbers(),
    lead=st.sampled_from(["주민번호 앞자리", "생년월일", "주민등록번호 앞 6자리:", "주민"]),
    gap=_gap_words,
)
def test_halves_written_apart_are_both_found_and_masked(number: str, lead: str, gap: str) -> None:
    text = f"{lead} {number[:6]} {gap} {number[6:]} 입니다"
    masked = mask(text)
    assert not re.search(r"[0-9]", masked.replace("6자리", "").replace("7자리", ""))


_years = st.integers(min_value=1990, max_value=2035)
_months = st.integers(min_value=1, max_value=12)
_days = st.integers(min_value=1, max_value=28)


@st.composite
def dates(draw: st.DrawFn) -> str:
    y, m, d = draw(_years), draw(_months), draw(_days)
    pattern = draw(
        st.sampled_from(
            [
                "{Y}.{m:02d}.{d:02d}",
                "{Y}. {m}. {d}.",
                "{Y}/{m:02d}/{d:02d}",
                "{Y}-{m:02d}-{d:02d}",
                "{y:02d}.{m}.{d}",
                "{y:02d}.{m:02d}.{d:02d}",
                "{Y}년 {m}월 {d}일",
                "{Y}{m:02d}{d:02d}",
                "{m:02d}/{d:02d}/{Y}",
                "{d:02d}.{m:02d}.{Y}",
                "{Y}.{m:02d}.{d:02d}.~{Y}.{m:02d}.{d:02d}.",
            ]
        )
    )
    return pattern.format(Y=y, y=y % 100, m=m, d=d)


@st.composite
def amounts(draw: st.DrawFn) -> str:
    value = draw(st.integers(min_value=0, max_value=10**15))
    unit = draw(st.sampled_from(["원", "천원", "백만원", "명", "건", "", " 원"]))
    return f"{value:,}{unit}"


@st.composite
def document_numbers(draw: st.DrawFn) -> str:
    year = draw(_years)
    serial = draw(st.integers(min_value=1, max_value=99999))
    pattern = draw(
        st.sampled_from(["제{y}-{n}호", "제{y}-{n:05d}호", "{dept}-{n}", "공고 제{y}-{n}호"])
    )
    dept = draw(st.sampled_from(["디지털정부과", "총무과", "기획예산담당관"]))
    return pattern.format(y=year, n=serial, dept=dept)


@PROPERTY
@given(
    items=st.lists(st.one_of(dates(), amounts(), document_numbers()), min_size=1, max_size=4),
    joiner=st.sampled_from([" ", ", ", " / ", "\n", " ~ "]),
)
def test_dates_amounts_and_document_numbers_are_never_flagged(
    items: list[str], joiner: str
) -> None:
    text = joiner.join(items)
    assert personal_findings(scan(text)) == []


if __name__ == "__main__":  # the figures for the closing note
    figures = guard_figures()
    print(
        f"caught {figures['caught']}/{figures['forms']}, "
        f"false positives {figures['false_positives']}/{figures['near_misses']} "
        f"({figures['false_positive_rate']:.1%})"
    )
    for text in NEAR_MISSES:
        if scan(text):
            print("  flagged:", repr(text), [(f.kind, f.text) for f in scan(text)])


# --------------------------------------------------------------------------- normalisation


def test_the_normalised_text_maps_back_to_what_was_typed() -> None:
    from portal.assistant.guard.normalise import normalise

    typed = "번호：７６１２２１\u00ad\u2013２６０７１３１\u200b끝"
    norm = normalise(typed)
    assert norm.text == "번호:761221-2607131끝"
    start = norm.text.index("7")
    start_o, end_o = norm.original_span(start, start + 14)
    assert typed[start_o:end_o] == "７６１２２１\u00ad\u2013２６０７１３１"
    plain = normalise("그대로 둡니다 123")
    assert plain.text == "그대로 둡니다 123" and plain.original_span(4, 7) == (4, 7)


def test_hangul_fillers_are_dropped_like_format_characters() -> None:
    [finding] = scan(f"{_A}\u3164{_B}")
    assert finding.kind == "rrn" and finding.text == f"{_A}\u3164{_B}"


# --------------------------------------------------------------------------- defence in depth


def test_screen_outgoing_stops_user_turns_masks_model_turns_and_skips_our_prompt(app) -> None:
    from portal.assistant.guard.events import outgoing_refusal, screen_outgoing
    from portal.assistant.models import DataGrade

    system = {"role": "system", "content": "문의 010-2345-6789 (원 자료, 포털의 것)"}
    answer = {"role": "assistant", "content": "담당자 연락처 010-2345-6789"}
    clean = {"role": "user", "content": "개요를 써 주세요"}
    screened = screen_outgoing([system, answer, clean], DataGrade.PUBLIC)
    assert not screened.blocked
    assert screened.messages[0] == system
    assert screened.messages[1]["content"] == "담당자 연락처 [휴대전화번호]"

    leaked = {"role": "user", "content": f"제 번호는 {_A}/{_B}"}
    screened = screen_outgoing([system, clean, leaked, clean], DataGrade.PUBLIC)
    assert screened.blocked and screened.text == leaked["content"]
    assert [f.kind for f in screened.report.personal] == ["rrn"]
    with app.test_request_context():
        assert "주민등록번호" in outgoing_refusal(screened)


def test_screen_outgoing_lets_our_own_content_through_once_only(app) -> None:
    from portal.assistant.guard.events import screen_outgoing
    from portal.assistant.models import DataGrade

    ours = {"checklist": [{"text": "대외비·비공개 자료를 넣지 않았는가"}]}
    prompt = "## 점검 목록\n- 대외비·비공개 자료를 넣지 않았는가\n## 초안\n"
    with app.test_request_context():
        ok = [{"role": "user", "content": prompt + "정류장 교체"}]
        assert not screen_outgoing(ok, DataGrade.PUBLIC, ours=(ours,)).blocked
        again = [{"role": "user", "content": prompt + "[대외비] 정류장 교체"}]
        assert screen_outgoing(again, DataGrade.PUBLIC, ours=(ours,)).blocked
        assert screen_outgoing(ok, DataGrade.PUBLIC).blocked  # without ours: a marker
