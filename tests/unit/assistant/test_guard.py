"""The personal-data guard: what it finds, what it lets pass, and that masking leaks nothing.

Check digits are computed here by small helpers of our own, never by the module under test.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.assistant.guard.detect import KINDS, Finding, personal_findings, scan
from portal.assistant.guard.masking import mask, masked_excerpt

# --------------------------------------------------------------------------- our own helpers

_RRN_W = (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5)


def rrn_check(first12: str) -> str:
    total = sum(int(d) * w for d, w in zip(first12, _RRN_W, strict=True))
    return str((11 - total % 11) % 10)


def arn_check(first12: str) -> str:
    total = sum(int(d) * w for d, w in zip(first12, _RRN_W, strict=True))
    return str((13 - total % 11) % 10)


def with_check(first12: str, check=rrn_check) -> str:
    return first12 + check(first12)


def with_bad_check(first12: str, check=rrn_check) -> str:
    return first12 + str((int(check(first12)) + 1) % 10)


def brn_check(first9: str) -> str:
    weights = (1, 3, 7, 1, 3, 7, 1, 3, 5)
    total = sum(int(d) * w for d, w in zip(first9, weights, strict=True))
    total += int(first9[8]) * 5 // 10
    return str((10 - total % 10) % 10)


def luhn_check(body: str) -> str:
    """The digit that makes ``body + digit`` pass Luhn."""
    total = 0
    for index, char in enumerate(reversed(body)):
        value = int(char)
        if index % 2 == 0:  # these are doubled once the check digit is appended
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return str((10 - total % 10) % 10)


def luhn_valid(digits: str) -> bool:
    return luhn_check(digits[:-1]) == digits[-1]


def fullwidth(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def group4(digits: str, sep: str) -> str:
    return sep.join(digits[i : i + 4] for i in range(0, len(digits), 4))


RRN = with_check("900101123456")  # born 1990-01-01, valid check digit
RRN_BAD = with_bad_check("900101123456")
RRN_2021 = with_bad_check("210315367254")  # issued after Oct 2020: random tail
ARN = with_check("850505512345", arn_check)
ARN_BAD = with_bad_check("850505512345", arn_check)
BRN = "2208162517"  # fixed by our own helper below (asserted)
BRN_BAD = BRN[:9] + str((int(BRN[9]) + 1) % 10)
CARD = "4111111111111111"
CARD_BAD = "4111111111111112"
AMEX = "378282246310005"


def test_the_fixed_numbers_are_what_they_claim() -> None:
    assert brn_check(BRN[:9]) == BRN[9]
    assert luhn_valid(CARD) and not luhn_valid(CARD_BAD) and luhn_valid(AMEX)
    assert rrn_check(RRN_BAD[:12]) != RRN_BAD[12]
    assert rrn_check(RRN_2021[:12]) != RRN_2021[12]
    assert arn_check(ARN_BAD[:12]) != ARN_BAD[12]


def hyph(rrn: str) -> str:
    return f"{rrn[:6]}-{rrn[6:]}"


def brn_fmt(brn: str) -> str:
    return f"{brn[:3]}-{brn[3:5]}-{brn[5:]}"


def marker(text: str) -> tuple[str, str, None]:
    return ("marker", text, None)


# (text, expected [(kind, matched text, checksum)]): the whole scan result must match.
TABLE = [
    # 주민등록번호
    pytest.param(f"주민번호 {hyph(RRN)}", [("rrn", hyph(RRN), True)], id="rrn-hyphen"),
    pytest.param(
        f"주민번호 {RRN[:6]} {RRN[6:]}", [("rrn", f"{RRN[:6]} {RRN[6:]}", True)], id="rrn-space"
    ),
    pytest.param(f"주민번호:{RRN}입니다", [("rrn", RRN, True)], id="rrn-plain-in-hangul"),
    pytest.param(f"{RRN[:6]}–{RRN[6:]}", [("rrn", f"{RRN[:6]}–{RRN[6:]}", True)], id="rrn-en-dash"),
    pytest.param(fullwidth(hyph(RRN)), [("rrn", fullwidth(hyph(RRN)), True)], id="rrn-fullwidth"),
    pytest.param(hyph(RRN_BAD), [("rrn", hyph(RRN_BAD), False)], id="rrn-bad-checksum-still-found"),
    pytest.param(hyph(RRN_2021), [("rrn", hyph(RRN_2021), False)], id="rrn-issued-after-2020"),
    pytest.param(
        "240229-4123456 ",
        [("rrn", "240229-4123456", rrn_check("240229412345") == "6")],
        id="rrn-feb-29",
    ),
    pytest.param("901301-1234567", [], id="rrn-month-13"),
    pytest.param("900132-1234567", [], id="rrn-day-32"),
    pytest.param("900230-1234567", [], id="rrn-feb-30"),
    pytest.param("900431-1234567", [], id="rrn-apr-31"),
    pytest.param("900100-1234567", [], id="rrn-day-00"),
    pytest.param("900101-9234567", [], id="rrn-gender-digit-9"),
    pytest.param(f"1234{RRN}567", [], id="rrn-inside-20-digits"),
    pytest.param(f"9{hyph(RRN)}", [], id="rrn-digit-before"),
    pytest.param(f"{hyph(RRN)}8", [], id="rrn-digit-after"),
    # 외국인등록번호
    pytest.param(f"외국인등록번호 {hyph(ARN)}", [("arn", hyph(ARN), True)], id="arn-valid"),
    pytest.param(hyph(ARN_BAD), [("arn", hyph(ARN_BAD), False)], id="arn-bad-checksum"),
    pytest.param(fullwidth(ARN), [("arn", fullwidth(ARN), True)], id="arn-fullwidth-plain"),
    pytest.param("851305-5123456", [], id="arn-bad-date"),
    # 여권번호
    pytest.param("여권번호 M12345678", [("passport", "M12345678", None)], id="passport-old"),
    pytest.param("여권: M123A4567 입니다", [("passport", "M123A4567", None)], id="passport-new"),
    pytest.param("S98765432,", [("passport", "S98765432", None)], id="passport-s"),
    pytest.param(
        fullwidth("M12345678"), [("passport", fullwidth("M12345678"), None)], id="passport-fw"
    ),
    pytest.param("m12345678", [("passport", "m12345678", None)], id="passport-lower-case"),
    pytest.param("X12345678", [], id="passport-other-letter"),
    pytest.param("AM12345678", [], id="passport-inside-word"),
    pytest.param("M123456789", [], id="passport-nine-digits"),
    pytest.param("M1234567", [], id="passport-seven-digits"),
    # 운전면허번호
    pytest.param(
        "면허 11-92-123456-01", [("driver_licence", "11-92-123456-01", None)], id="dl-code"
    ),
    pytest.param(
        "서울 92-123456-01", [("driver_licence", "서울 92-123456-01", None)], id="dl-name"
    ),
    pytest.param(
        "경기92-123456-01", [("driver_licence", "경기92-123456-01", None)], id="dl-name-tight"
    ),
    pytest.param("28 92 123456 01", [("driver_licence", "28 92 123456 01", None)], id="dl-spaces"),
    pytest.param(
        "운전면허번호: 119212345601",
        [("driver_licence", "119212345601", None)],
        id="dl-plain-keyword",
    ),
    pytest.param("번호 119212345601", [], id="dl-plain-no-keyword"),
    pytest.param("29-92-123456-01", [], id="dl-region-29"),
    pytest.param("10-92-123456-01", [], id="dl-region-10"),
    pytest.param("9911-92-123456-01", [], id="dl-digit-before"),
    # 전화번호
    pytest.param("연락처 010-1234-5678입니다", [("phone", "010-1234-5678", None)], id="mobile"),
    pytest.param("01012345678", [("phone", "01012345678", None)], id="mobile-plain"),
    pytest.param("010 1234 5678", [("phone", "010 1234 5678", None)], id="mobile-spaces"),
    pytest.param("HP010-1234-5678", [("phone", "010-1234-5678", None)], id="mobile-after-letters"),
    pytest.param("+82 10-1234-5678", [("phone", "+82 10-1234-5678", None)], id="mobile-intl"),
    pytest.param(
        fullwidth("010-1234-5678"), [("phone", fullwidth("010-1234-5678"), None)], id="mobile-fw"
    ),
    pytest.param("사무실 02-123-4567", [("phone", "02-123-4567", None)], id="landline-seoul"),
    pytest.param("(031) 123-4567", [("phone", "(031) 123-4567", None)], id="landline-paren"),
    pytest.param("대표번호 1588-1234", [], id="phone-1588-public"),
    pytest.param("080-123-4567", [], id="phone-toll-free"),
    pytest.param("12010-1234-5678", [], id="phone-inside-digits"),
    pytest.param("2024-03-15", [], id="phone-date"),
    pytest.param("예산 1,234,567천원", [], id="phone-amount"),
    # 이메일
    pytest.param("메일 hong.gd@korea.kr 로", [("email", "hong.gd@korea.kr", None)], id="email"),
    pytest.param("<a+b@ex-ample.co.kr>", [("email", "a+b@ex-ample.co.kr", None)], id="email-plus"),
    pytest.param(
        fullwidth("hong@example.com"),
        [("email", fullwidth("hong@example.com"), None)],
        id="email-fw",
    ),
    pytest.param("hong@localhost", [], id="email-no-domain"),
    pytest.param("@handle 님", [], id="email-handle"),
    # 사업자등록번호
    pytest.param(f"사업자 {brn_fmt(BRN)}", [("brn", brn_fmt(BRN), True)], id="brn"),
    pytest.param(fullwidth(brn_fmt(BRN)), [("brn", fullwidth(brn_fmt(BRN)), True)], id="brn-fw"),
    pytest.param(brn_fmt(BRN_BAD), [], id="brn-bad-checksum-not-found"),
    pytest.param(f"사업자등록번호 {BRN}", [("brn", BRN, True)], id="brn-plain-keyword"),
    pytest.param(f"번호 {BRN}", [], id="brn-plain-no-keyword"),
    pytest.param(f"사업자등록번호 {BRN_BAD}", [], id="brn-plain-bad-checksum"),
    pytest.param(f"12{brn_fmt(BRN)}", [], id="brn-digits-before"),
    # 계좌번호
    pytest.param("계좌번호 110-123-456789", [("bank_account", "110-123-456789", None)], id="acct"),
    pytest.param(
        "예금주 홍길동 3333-01-1234567",
        [("bank_account", "3333-01-1234567", None)],
        id="acct-holder",
    ),
    pytest.param(
        "국민은행 123456-01-123456", [("bank_account", "123456-01-123456", None)], id="acct-bank"
    ),
    pytest.param(
        "입금: 79901234567890", [("bank_account", "79901234567890", None)], id="acct-plain"
    ),
    pytest.param(
        "Account No. 123-456-789012", [("bank_account", "123-456-789012", None)], id="acct-en"
    ),
    pytest.param("110-123-456789", [], id="acct-no-keyword"),
    pytest.param("계좌 " + "가" * 25 + " 110-123-456789", [], id="acct-keyword-too-far"),
    pytest.param("계좌 123-45-678", [], id="acct-too-short"),
    pytest.param("계좌 123-4567-89012345", [], id="acct-too-long"),
    # 카드번호
    pytest.param(
        f"카드 {group4(CARD, ' ')}", [("card", group4(CARD, " "), True)], id="card-spaces"
    ),
    pytest.param(group4(CARD, "-"), [("card", group4(CARD, "-"), True)], id="card-hyphens"),
    pytest.param(CARD, [("card", CARD, True)], id="card-plain"),
    pytest.param(
        f"{AMEX[:4]}-{AMEX[4:10]}-{AMEX[10:]}",
        [("card", f"{AMEX[:4]}-{AMEX[4:10]}-{AMEX[10:]}", True)],
        id="card-amex",
    ),
    pytest.param(
        fullwidth(group4(CARD, "-")), [("card", fullwidth(group4(CARD, "-")), True)], id="card-fw"
    ),
    pytest.param(group4(CARD_BAD, "-"), [], id="card-bad-luhn"),
    pytest.param(CARD_BAD, [], id="card-bad-luhn-plain"),
    pytest.param(f"1234{CARD}", [], id="card-inside-20-digits"),
    # 분류 표시
    pytest.param("[대외비] 보고", [marker("대외비")], id="marker-daeoebi"),
    pytest.param("기밀 문서", [marker("기밀")], id="marker-gimil"),
    pytest.param("기밀성 확보", [], id="marker-gimilseong-not"),
    pytest.param("비공개 자료", [marker("비공개")], id="marker-bigonggae"),
    pytest.param("내부용", [marker("내부용")], id="marker-naebuyong"),
    pytest.param("[민감] 검토", [marker("[민감]")], id="marker-minGam-bracket"),
    pytest.param("민감정보 포함", [marker("민감정보")], id="marker-mingam-info"),
    pytest.param("민감한 사안입니다", [], id="marker-mingamhan-not"),
    pytest.param("(보안) 회의", [marker("(보안)")], id="marker-boan-paren"),
    pytest.param("보안등급: 2급", [marker("보안등급")], id="marker-boan-grade"),
    pytest.param("보안\n본문", [marker("보안")], id="marker-boan-line"),
    pytest.param("정보보안 강화 계획", [], id="marker-jeongboboan-not"),
    pytest.param("정보보안등급 상향", [], id="marker-jeongboboan-grade-not"),
    pytest.param("보안자료 첨부", [marker("보안자료")], id="marker-boan-jaryo"),
    pytest.param("보안 점검 결과", [], id="marker-boan-word-not"),
    pytest.param("CONFIDENTIAL", [marker("CONFIDENTIAL")], id="marker-confidential"),
    pytest.param("TOP SECRET memo", [marker("TOP SECRET")], id="marker-top-secret"),
    pytest.param("[Top Secret] memo", [marker("Top Secret")], id="marker-top-secret-bracket"),
    pytest.param("Confidential:\nbody", [marker("Confidential")], id="marker-heading"),
    pytest.param("FOR INTERNAL USE ONLY", [marker("INTERNAL USE ONLY")], id="marker-internal"),
    pytest.param("access is restricted to staff", [], id="marker-running-english-not"),
    pytest.param("a secret ballot", [], id="marker-secret-word-not"),
    pytest.param("RESTRICTED", [marker("RESTRICTED")], id="marker-restricted"),
    pytest.param("FOR OFFICIAL USE ONLY", [marker("FOR OFFICIAL USE ONLY")], id="marker-fouo"),
    pytest.param("SECRET문서", [marker("SECRET")], id="marker-secret-hangul-after"),
    pytest.param("the secretary", [], id="marker-secretary-not"),
    pytest.param("평범한 회의 결과 보고입니다.", [], id="plain-text"),
]


@pytest.mark.parametrize(("text", "expected"), TABLE)
def test_scan_table(text: str, expected: list[tuple[str, str, bool | None]]) -> None:
    findings = scan(text)
    assert [(f.kind, f.text, f.checksum) for f in findings] == expected
    for finding in findings:
        assert text[finding.start : finding.end] == finding.text
        assert finding.kind in KINDS


@pytest.mark.parametrize(
    ("text", "label", "token"),
    [
        ("010-1234-5678", "휴대전화번호", "[휴대전화번호]"),
        ("+82 10-1234-5678", "휴대전화번호", "[휴대전화번호]"),
        ("016-123-4567", "휴대전화번호", "[휴대전화번호]"),
        ("02-123-4567", "전화번호", "[전화번호]"),
        ("070-1234-5678", "전화번호", "[전화번호]"),
        (hyph(RRN), "주민등록번호", "[주민등록번호]"),
        (hyph(ARN), "외국인등록번호", "[외국인등록번호]"),
        ("M12345678", "여권번호", "[여권번호]"),
        ("11-92-123456-01", "운전면허번호", "[운전면허번호]"),
        ("a@example.com", "이메일 주소", "[이메일 주소]"),
        (brn_fmt(BRN), "사업자등록번호", "[사업자등록번호]"),
        ("계좌 110-123-456789", "계좌번호", "[계좌번호]"),
        (CARD, "카드번호", "[카드번호]"),
    ],
)
def test_labels_and_tokens(text: str, label: str, token: str) -> None:
    [finding] = scan(text)
    assert str(finding.label) == label
    assert token in mask(text)
    assert finding.is_personal and finding.marker_level is None
    assert str(finding.explanation).strip()


def test_failed_rrn_checksum_explains_post_2020_numbers() -> None:
    [bad] = scan(hyph(RRN_2021))
    [good] = scan(hyph(RRN))
    assert "2020" in str(bad.explanation)
    assert "2020" not in str(good.explanation)
    assert str(bad.label) == str(good.label) == "주민등록번호"


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("대외비", "secret"),
        ("기밀", "secret"),
        ("TOP SECRET", "secret"),
        ("SECRET", "secret"),
        ("[Confidential]", "secret"),
        ("비공개", "sensitive"),
        ("내부용", "sensitive"),
        ("[민감]", "sensitive"),
        ("[보안]", "sensitive"),
        ("(Internal Use Only)", "sensitive"),
        ("RESTRICTED", "sensitive"),
        ("For Official Use Only:", "sensitive"),
    ],
)
def test_marker_levels(text: str, level: str) -> None:
    [finding] = scan(text)
    assert finding.kind == "marker"
    assert finding.marker_level == level
    assert not finding.is_personal
    assert personal_findings([finding]) == []
    assert mask(text) == text  # markers are shown, never masked
    assert str(finding.explanation) != str(scan(hyph(RRN))[0].explanation)


def test_secret_and_sensitive_markers_explain_differently() -> None:
    secret, sensitive = scan("대외비 비공개")
    assert str(secret.explanation) != str(sensitive.explanation)


# --------------------------------------------------------------------------- overlaps


def _rrn_that_also_passes_luhn() -> str:
    for tail in range(100000):
        candidate = with_check(f"9001011{tail:05d}")
        if luhn_valid(candidate):
            return candidate
    raise AssertionError("unreachable")


def test_rrn_beats_card_on_the_same_digits() -> None:
    number = _rrn_that_also_passes_luhn()
    assert [(f.kind, f.checksum) for f in scan(number)] == [("rrn", True)]


def test_checksum_card_beats_phone_inside_it() -> None:
    text = f"카드 {group4(CARD, ' ')} 끝"
    assert [f.kind for f in scan(text)] == ["card"]


def test_phone_beats_account_on_the_same_digits() -> None:
    assert [f.kind for f in scan("송금 010-1234-5678")] == ["phone"]


def test_brn_beats_account_on_the_same_digits() -> None:
    assert [f.kind for f in scan(f"입금 {brn_fmt(BRN)}")] == ["brn"]


def test_email_with_digits_is_one_email() -> None:
    assert [f.kind for f in scan("01012345678@example.com")] == ["email"]


def test_findings_are_sorted_and_do_not_overlap() -> None:
    text = (
        f"[대외비] 홍길동({hyph(RRN)}) 010-1234-5678, hong@example.com, "
        f"계좌 110-123-456789, 카드 {group4(CARD, '-')}, 여권 M12345678, 사업자 {brn_fmt(BRN)}"
    )
    findings = scan(text)
    assert [f.kind for f in findings] == [
        "marker",
        "rrn",
        "phone",
        "email",
        "bank_account",
        "card",
        "passport",
        "brn",
    ]
    for left, right in zip(findings, findings[1:], strict=False):
        assert left.end <= right.start


# --------------------------------------------------------------------------- mask


def test_mask_keeps_the_rest_of_the_text() -> None:
    text = f"담당자 010-1234-5678 (내부용)\n주민번호 {hyph(RRN)} 끝."
    assert mask(text) == "담당자 [휴대전화번호] (내부용)\n주민번호 [주민등록번호] 끝."


def test_mask_uses_the_findings_given() -> None:
    text = f"{hyph(RRN)} 010-1234-5678"
    only_phone = [f for f in scan(text) if f.kind == "phone"]
    assert mask(text, only_phone) == f"{hyph(RRN)} [휴대전화번호]"
    assert mask(text, []) == text


def test_mask_of_fullwidth_text_replaces_exactly_the_identifier() -> None:
    text = "전화 " + fullwidth("010-1234-5678") + " 입니다"
    assert mask(text) == "전화 [휴대전화번호] 입니다"


def test_mask_handles_overlapping_findings_given_by_hand() -> None:
    text = "abc 0123456789 def"
    overlapping = [
        Finding("phone", 4, 10, text[4:10], None),
        Finding("card", 8, 14, text[8:14], True),
    ]
    assert mask(text, overlapping) == "abc [전화번호] def"


# --------------------------------------------------------------------------- masked_excerpt


def test_excerpt_is_short_and_masked() -> None:
    text = "가" * 300 + f" 주민번호 {hyph(RRN)} 입니다 " + "나" * 300
    findings = scan(text)
    excerpt = masked_excerpt(text, findings)
    assert "[주민등록번호]" in excerpt
    assert not re.search(r"[0-9]", excerpt)
    assert len(excerpt) <= 200
    assert excerpt.startswith("…") and excerpt.endswith("…")
    assert len(excerpt) < 30 * 2 + len("[주민등록번호]") + 10


def test_excerpt_with_many_findings_stays_bounded() -> None:
    chunk = f"연락처 010-1234-5678 주민 {hyph(RRN)} 메일 a{{}}@example.com " + "다" * 40 + " "
    text = "".join(chunk.format(i) for i in range(30))
    excerpt = masked_excerpt(text, scan(text))
    assert len(excerpt) <= 200
    assert not re.search(r"[0-9]", excerpt.replace("a", ""))
    assert "@example.com" not in excerpt


def test_excerpt_masks_even_findings_not_passed() -> None:
    text = f"기밀 회의 참석자 010-1234-5678 {hyph(RRN)}"
    markers = [f for f in scan(text) if f.kind == "marker"]
    excerpt = masked_excerpt(text, markers)
    assert excerpt.startswith("기밀")
    assert "5678" not in excerpt and RRN[6:] not in excerpt


def test_excerpt_of_short_text_is_the_masked_text() -> None:
    text = "대외비: 담당 010-1234-5678\n끝"
    assert masked_excerpt(text, scan(text)) == "대외비: 담당 [휴대전화번호] 끝"


def test_excerpt_never_cuts_a_token() -> None:
    text = "x" * 50 + " 010-1234-5678 " + "y" * 50
    excerpt = masked_excerpt(text, scan(text), width=3)
    assert "[휴대전화번호]" in excerpt
    assert len(excerpt) <= 2 + 3 * 2 + len("[휴대전화번호]")

    # A window around the marker ends inside the phone token: it is widened to the whole token.
    text = "대외비 010-1234-5678 " + "z" * 50
    markers = [f for f in scan(text) if f.kind == "marker"]
    assert masked_excerpt(text, markers, width=5) == "대외비 [휴대전화번호]…"


# --------------------------------------------------------------------------- properties

PROPERTY = settings(max_examples=150, deadline=None, database=None)


# Surrounding text: anything printable except digits (which would lengthen the identifier's
# digit run) and '@' (which could form e-mail addresses), also after NFKC (the guard reads
# "①" as "1"); Hangul is drawn often.
def _stays_without_digits(char: str) -> bool:
    return not any(c.isdigit() or c == "@" for c in unicodedata.normalize("NFKC", char))


_filler_chars = st.one_of(
    st.characters(min_codepoint=0xAC00, max_codepoint=0xD7A3),
    st.characters(exclude_categories=("Nd", "Cs", "Co", "Cn"), exclude_characters="@＠").filter(
        _stays_without_digits
    ),
    st.sampled_from(list(" \n.,:-()[]")),
)
filler = st.text(alphabet=_filler_chars, max_size=40)
digits = st.sampled_from("0123456789")


def n_digits(n: int) -> st.SearchStrategy[str]:
    return st.text(alphabet="0123456789", min_size=n, max_size=n)


@st.composite
def registration_numbers(draw: st.DrawFn, alien: bool) -> tuple[str, str, bool]:
    born = draw(st.dates(min_value=dt.date(1920, 1, 1), max_value=dt.date(2029, 12, 31)))
    if born.year < 2000:
        gender = draw(st.sampled_from("56" if alien else "12"))
    else:
        gender = draw(st.sampled_from("78" if alien else "34"))
    first12 = born.strftime("%y%m%d") + gender + draw(n_digits(5))
    tail = draw(digits)
    number = first12 + tail
    check = arn_check if alien else rrn_check
    sep = draw(st.sampled_from(["-", " ", "", "－", "–"]))
    text = number[:6] + sep + number[6:]
    if draw(st.booleans()):
        text = fullwidth(text)
    return text, ("arn" if alien else "rrn"), check(first12) == tail


@st.composite
def cards(draw: st.DrawFn) -> tuple[str, str, bool]:
    body = draw(st.sampled_from("3456")) + draw(n_digits(14))
    number = body + luhn_check(body)
    text = group4(number, draw(st.sampled_from(["", " ", "-"])))
    if draw(st.booleans()):
        text = fullwidth(text)
    return text, "card", True


@st.composite
def mobiles(draw: st.DrawFn) -> tuple[str, str, None]:
    middle, last = draw(n_digits(4)), draw(n_digits(4))
    sep = draw(st.sampled_from(["-", " ", ""]))
    prefix = draw(st.sampled_from(["010", "+82 10", "+82-10"]))
    text = f"{prefix}{sep}{middle}{sep}{last}"
    if draw(st.booleans()):
        text = fullwidth(text)
    return text, "phone", None


@st.composite
def business_numbers(draw: st.DrawFn) -> tuple[str, str, bool]:
    first9 = draw(st.sampled_from("123456789")) + draw(n_digits(8))
    text = brn_fmt(first9 + brn_check(first9))
    if draw(st.booleans()):
        text = fullwidth(text)
    return text, "brn", True


_local = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789._+-", max_size=10)
_label = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=8)


@st.composite
def emails(draw: st.DrawFn) -> tuple[str, str, None]:
    local = draw(st.sampled_from("abcdefghijklmnopqrstuvwxyz")) + draw(_local)
    labels = draw(st.lists(_label, min_size=1, max_size=3))
    tld = draw(st.sampled_from(["kr", "com", "go.kr", "org", "net"]))
    return f"{local}@{'.'.join(labels)}.{tld}", "email", None


identifiers = st.one_of(
    registration_numbers(alien=False),
    registration_numbers(alien=True),
    cards(),
    mobiles(),
    business_numbers(),
    emails(),
)

_SEPARATORS = re.compile(r"[\s\-－–.]")


def _bare(text: str) -> str:
    return _SEPARATORS.sub("", text)


@PROPERTY
@given(before=filler, item=identifiers, after=filler)
def test_embedded_identifiers_are_found_and_masked(
    before: str, item: tuple[str, str, bool | None], after: str
) -> None:
    identifier, kind, checksum = item
    text = f"{before} {identifier} {after}"
    start = len(before) + 1

    findings = scan(text)
    matching = [f for f in findings if f.start == start and f.end == start + len(identifier)]
    assert [(f.kind, f.checksum) for f in matching] == [(kind, checksum)]

    masked = mask(text)
    assert identifier not in masked
    assert _bare(identifier) not in _bare(masked)
    assert masked == f"{before} {matching[0].token} {after}"  # nothing else changed
    if kind != "email":
        assert not re.search(r"[0-9０-９]", masked)

    excerpt = masked_excerpt(text, findings)
    assert len(excerpt) <= 200
    assert identifier not in excerpt
    assert _bare(identifier) not in _bare(excerpt)


@PROPERTY
@given(items=st.lists(identifiers, min_size=1, max_size=5), gap=filler)
def test_many_identifiers_all_masked_without_overlap(
    items: list[tuple[str, str, bool | None]], gap: str
) -> None:
    text = f" {gap} ".join(identifier for identifier, _kind, _checksum in items)
    findings = scan(text)
    for left, right in zip(findings, findings[1:], strict=False):
        assert left.end <= right.start
    masked = mask(text, findings)
    for identifier, _kind, _checksum in items:
        assert identifier not in masked
        assert _bare(identifier) not in _bare(masked)
    assert len(personal_findings(findings)) == len(items)


@PROPERTY
@given(text=filler)
def test_text_without_digits_or_at_signs_is_never_masked(text: str) -> None:
    assert mask(text) == text
    assert personal_findings(scan(text)) == []
