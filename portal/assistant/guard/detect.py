"""The personal-data guard: find what must not be sent to a language model (DESIGN.md §3.E).

``scan(text)`` returns :class:`Finding` objects for Korean personal identifiers and for
classification markers; ``mask(text)`` replaces the personal ones with a fixed Korean token such as
``[주민등록번호]``; ``masked_excerpt`` is the only form in which a guard event stores the text.
The module is pure: no database, no request; labels and explanations are lazy strings.

Choices worth knowing:

* The detectors run on a normalised copy of the text (``normalise``: NFKC, format characters
  such as zero-width spaces and soft hyphens dropped, every dash and minus sign made ``-``).
  Each finding is mapped back to the span of the original text the user typed.
* 주민등록번호/외국인등록번호: YYMMDD must be a real calendar date (29 February is accepted
  for any year: recall matters more than precision here). The 7th digit is 1–4 (resident) or
  5–8 (alien). Numbers issued since October 2020 end in random digits, so the check digit is
  only *reported* (``checksum``) and a failed check never clears a match written the usual way:
  13 digits, or the halves joined by a hyphen (any dash), a space or a zero-width character.
  The halves may also be separated by a short run (up to four characters) of whitespace or
  punctuation: two spaces, a line break, ``.``, ``/``, ``_``, ``~``, ``,``, ``|``... Such a
  number is reported when its check digit holds, when it could be one issued since October 2020
  (born 2020 or later: 7th digit 3, 4, 7 or 8), or when a resident-number word (주민, 앞자리,
  뒷자리, 생년월일, 뒷번호...) stands near. Otherwise two such numbers in a row are far more
  often coordinates or table cells than a resident number with a wrong check digit.
  The halves may also stand apart with a few words between them ("주민번호 앞자리 761221
  뒷자리 2607131"): a date half and a 7-digit half starting 1–8 within 40 characters, with a
  resident-number word before or between them. Each half is then its own finding, so both are
  masked. The alien check digit is the legacy one, (13 − Σ dᵢ·wᵢ mod 11) mod 10.
* 사업자등록번호: 3-2-5 digits with hyphens (the plain 10-digit form only after a keyword such
  as 사업자). Business numbers have never had random check digits, so a failed check means
  the digits are not a business number and they are not reported as one.
* 계좌번호 has no checksum: hyphenated groups (or a plain run) of 10–14 digits count only when
  an account word (계좌, 예금주, 입금, bank names, "account", …) stands within 20 characters before.
* 카드번호: 13–19 digits, plain or in groups of four (Amex-style 4-6-5 too) separated by
  hyphens, spaces, dots, slashes or underscores, passing Luhn. A grouped number followed by
  another group of four digits, or preceded by a digit group, is part of a longer number
  (a receipt or document number) and is not a card.
* 여권번호: M/S/R/O/D in either case + 8 digits, or that letter + 3 digits + letter + 4 digits,
  the first letter possibly set off by a space or a hyphen, not part of a longer run of letters
  or digits.
* 운전면허번호: region code 11–28 or region name, then 2-6-2 digits separated by '-' or spaces;
  a plain 12-digit run only within 15 characters after "면허".
* Phone numbers come from a regex for mobile and landline numbers (``010-…``, ``HP010-…``,
  ``010.1234.5678``, ``(02)123-4567``, ``02)123-4567``, ``+82 …``) and, for what it misses,
  from ``phonenumbers`` (region KR, leniency VALID), run only on short windows around the other
  candidates that start with 0 or +. Public service numbers (080 toll-free, 1588-style
  대표번호, premium and shared-cost) are not personal data and are not reported.
* No identifier is reported when it is part of a longer run of digits.
* Classification markers (never masked): 대외비 and 기밀 (not 기밀성) are "secret"; 비공개,
  내부용 are "sensitive" wherever they appear. 민감 and 보안 are ordinary words, so they count
  only in marker form: bracketed (``[민감]``, ``(보안)``), alone at the start of a line
  (``보안:``), as 민감자료/민감정보/보안자료/보안문서/보안등급, or as an instruction to keep
  something secure (보안 유지, 보안 유지 요망, 보안사항, 보안 엄수, 보안 철저, 보안 요망), not
  preceded by another Hangul syllable (so 정보보안, 민감한, 보안 점검, 정보보안 교육, 개인정보 보안
  점검 are not markers). English markers count
  in capitals anywhere, or in any case when bracketed or alone at the start of a line,
  because in running English they are ordinary words (a translation exercise must not be
  refused for "access is restricted"): TOP SECRET, SECRET, CONFIDENTIAL ("secret");
  INTERNAL USE ONLY, FOR OFFICIAL USE ONLY, RESTRICTED ("sensitive").
* Overlaps: a span claimed by several kinds keeps the most specific kind (주민등록번호 before
  카드번호 before 전화번호 before 계좌번호); otherwise personal data beats markers, then a
  passed checksum wins, then the longer match.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import phonenumbers
from phonenumbers import Leniency, PhoneNumberMatcher, PhoneNumberType

from portal.assistant.guard.checksums import (
    arn_checksum_ok,
    brn_checksum_ok,
    luhn_ok,
    plausible_birth_date,
    rrn_checksum_ok,
)
from portal.assistant.guard.normalise import Normalised, digits_of, fold, normalise
from portal.assistant.guard.wording import EXPLANATIONS, LABELS, TOKENS

KINDS = (
    "rrn",
    "arn",
    "passport",
    "driver_licence",
    "phone",
    "email",
    "brn",
    "bank_account",
    "card",
    "marker",
)

# Same span found by several detectors: the earlier kind is the more specific one.
_SPECIFICITY = (
    "rrn",
    "arn",
    "brn",
    "driver_licence",
    "passport",
    "card",
    "phone",
    "bank_account",
    "email",
    "marker",
)


_MOBILE_PREFIXES = ("010", "011", "016", "017", "018", "019")
_PUBLIC_PHONE_TYPES = frozenset(
    {
        PhoneNumberType.TOLL_FREE,
        PhoneNumberType.PREMIUM_RATE,
        PhoneNumberType.SHARED_COST,
        PhoneNumberType.UAN,
    }
)

_SECRET_MARKER_WORDS = ("대외비", "기밀", "secret", "confidential")


# --------------------------------------------------------------------------- normalisation


# --------------------------------------------------------------------------- the finding


@dataclass(frozen=True)
class Finding:
    """One thing the guard found; ``text == original[start:end]``."""

    kind: str
    start: int
    end: int
    text: str
    checksum: bool | None

    @property
    def is_mobile(self) -> bool:
        """A phone finding whose number is a Korean mobile number."""
        if self.kind != "phone":
            return False
        digits = digits_of(self.text)
        if self.text.lstrip().startswith(("+", "＋")) and digits.startswith("82"):
            digits = "0" + digits[2:].removeprefix("0")
        return digits.startswith(_MOBILE_PREFIXES)

    @property
    def _label_key(self) -> str:
        return "mobile" if self.is_mobile else self.kind

    @property
    def label(self) -> str:
        """Korean name of what was found (lazy string)."""
        return LABELS[self._label_key]  # type: ignore[return-value]

    @property
    def token(self) -> str:
        """What replaces the finding in masked text ("" for markers, which are not masked)."""
        return TOKENS.get(self._label_key, "")

    @property
    def explanation(self) -> str:
        """What it is and why it must not go to a model, in plain Korean (lazy string)."""
        if self.kind == "marker":
            key = f"marker_{self.marker_level}"
        elif self.kind in ("rrn", "arn") and self.checksum is False:
            key = f"{self.kind}_unchecked"
        else:
            key = self.kind
        return EXPLANATIONS[key]  # type: ignore[return-value]

    @property
    def is_personal(self) -> bool:
        """False only for classification markers."""
        return self.kind != "marker"

    @property
    def marker_level(self) -> str | None:
        """For markers "secret" or "sensitive"; None for personal data."""
        if self.kind != "marker":
            return None
        folded = fold(self.text).lower()
        if any(word in folded for word in _SECRET_MARKER_WORDS):
            return "secret"
        return "sensitive"


# --------------------------------------------------------------------------- checksums


# --------------------------------------------------------------------------- detectors

# Patterns begin with a character class, the lookbehind coming after the first character
# (``[0-9](?<![0-9]{2})`` is "a digit with no digit before it"): Python's regex engine then
# skips quickly to the places where a match can start, which keeps scan() fast on long texts.
_FIRST_DIGIT = r"[0-9](?<![0-9]{2})"  # a digit not preceded by a digit
_NO_DIGIT_AFTER = r"(?![0-9])"
_ANY_DIGIT = re.compile(r"[0-9]")

# The halves of a resident number: joined the usual way (group "sep" empty, a hyphen or a
# space) or by a short run of whitespace and punctuation.
_RRN_RE = re.compile(
    r"(?P<date>"
    + _FIRST_DIGIT
    + r"[0-9]{5})"
    + r"(?P<sep>[ \t]?-[ \t]?|[ \t](?=[1-8])|[\s.,/\\_~|·:;\-]{1,4})?"
    + r"(?P<tail>[1-8][0-9]{6})"
    + _NO_DIGIT_AFTER
)
_USUAL_RRN_SEPARATOR = re.compile(r"[ \t]?-[ \t]?|[ \t]")
_RRN_DATE_HALF = re.compile(_FIRST_DIGIT + r"[0-9]{5}" + _NO_DIGIT_AFTER)
_RRN_TAIL_HALF = re.compile(r"[1-8](?<![0-9]{2})[0-9]{6}" + _NO_DIGIT_AFTER)
_RRN_SPLIT_WINDOW = 40
_RRN_WORDS = re.compile(
    r"주민|등록\s?번호|[앞뒷뒤]\s?자리|[앞뒷뒤]\s?번호|생년\s?월일|주번|resident|\bRRN\b",
    re.IGNORECASE,
)
_RRN_WORD_WINDOW = 25

_PASSPORT_RE = re.compile(
    r"[MSRODmsrod](?<![A-Za-z0-9][A-Za-z])[ \-]{0,2}(?:[0-9]{8}|[0-9]{3}[A-Za-z][0-9]{4})(?![A-Za-z0-9])"
)

_REGION_NAMES = "서울|부산|경기|강원|충북|충남|전북|전남|경북|경남|제주|대구|인천|광주|대전|울산"
_LICENCE_RE = re.compile(
    r"(?:(?:1(?<![0-9]1)[1-9]|2(?<![0-9]2)[0-8])[- ]"
    + r"|(?:"
    + _REGION_NAMES
    + r")[- ]?)"
    + r"[0-9]{2}[- ][0-9]{6}[- ][0-9]{2}"
    + _NO_DIGIT_AFTER
)
_LICENCE_PLAIN_RE = re.compile(
    r"(?:1(?<![0-9]1)[1-9]|2(?<![0-9]2)[0-8])[0-9]{10}" + _NO_DIGIT_AFTER
)
_LICENCE_KEYWORD = re.compile(r"면허")

_EMAIL_RE = re.compile(
    r"[A-Za-z0-9._%+-](?<![A-Za-z0-9._%+-]{2})[A-Za-z0-9._%+-]*@(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,}(?![A-Za-z0-9-])"
)

_BRN_RE = re.compile(_FIRST_DIGIT + r"[0-9]{2}-[0-9]{2}-[0-9]{5}" + _NO_DIGIT_AFTER)
_BRN_PLAIN_RE = re.compile(_FIRST_DIGIT + r"[0-9]{9}" + _NO_DIGIT_AFTER)
_BRN_KEYWORD = re.compile(r"사업자|business registration", re.IGNORECASE)

_ACCOUNT_RE = re.compile(
    r"[0-9](?<![0-9-][0-9])(?:[0-9]{1,6}(?:-[0-9]{2,8}){1,4}|[0-9]{9,13})(?![0-9]|-[0-9])"
)
_ACCOUNT_KEYWORD = re.compile(
    r"계좌|예금주|입금|송금|은행|농협|국민|신한|우리|하나|기업|카카오뱅크|새마을|우체국|account",
    re.IGNORECASE,
)

# Card groups are separated by one kind of separator: a hyphen, a space, a dot, a slash or an
# underscore (one or two of them). A grouped number that goes on with the same separator and
# another group of four digits, or that follows a digit group, is part of a longer number (a
# receipt or a document number), not a card.
_CARD_GROUPED_BEFORE = _FIRST_DIGIT + r"(?<![0-9][ .\-_/][0-9])"
_CARD_GROUPED_AFTER = r"(?![0-9])(?!(?P=s)[0-9]{4}(?![0-9]))"
_CARD_RES = (
    re.compile(_FIRST_DIGIT + r"[0-9]{12,18}" + _NO_DIGIT_AFTER),
    *(
        re.compile(_CARD_GROUPED_BEFORE + body + _CARD_GROUPED_AFTER)
        for body in (
            r"[0-9]{3}(?P<s>[ .\-_/]{1,2})[0-9]{4}(?P=s)[0-9]{4}(?P=s)[0-9]{1,4}",  # 13-16
            r"[0-9]{3}(?P<s>[ .\-_/]{1,2})[0-9]{4}(?P=s)[0-9]{4}(?P=s)[0-9]{4}(?P=s)[0-9]{1,3}",
            r"[0-9]{3}(?P<s>[ .\-_/]{1,2})[0-9]{6}(?P=s)[0-9]{4,5}",  # Amex, Diners
        )
    ),
)

_PHONE_SEP = r"[ .\-]{0,2}"
_MOBILE_RE = re.compile(
    r"(?:\(01[016789]\)|0(?<![0-9]{2})1[016789]\)?)"
    + _PHONE_SEP
    + r"[0-9]{3,4}"
    + _PHONE_SEP
    + r"[0-9]{4}"
    + _NO_DIGIT_AFTER
)
_AREA = r"(?:2|[3-6][1-5]|70)"
_LANDLINE_RE = re.compile(
    r"(?:\(0"
    + _AREA
    + r"\)|0(?<![0-9]{2})"
    + _AREA
    + r"\)?)"
    + _PHONE_SEP
    + r"[0-9]{3,4}[ .\-]{1,2}[0-9]{4}"
    + _NO_DIGIT_AFTER
)
_INTERNATIONAL_RE = re.compile(
    r"\+(?<![0-9+]\+)82[ -]?(?:\(0\)[ -]?)?(?:1[016789]|2|[3-6][1-5]|70)[-. ]?[0-9]{3,4}[-. ]?[0-9]{4}"
    + _NO_DIGIT_AFTER
)
# What could be a phone number (at most 20 characters): only windows around these, with a
# small margin, go to phonenumbers.
_PHONE_CANDIDATE = re.compile(r"[+(0-9][0-9()+.\- ]{5,18}[0-9]")
_PHONE_WINDOW_MARGIN = 4
_DIGIT_GROUP = re.compile(r"[0-9]+")
_DATE_SHAPE = re.compile(
    r"(?<![0-9])(?:[0-9]{1,2}[./] ?[0-9]{1,2}[./] ?(?:19|20)?[0-9]{2}"
    r"|(?:19|20)?[0-9]{2}[./] ?[0-9]{1,2}[./] ?[0-9]{1,2})(?![0-9])"
)
# A phone-shaped match that goes on from, or into, a dotted or slashed number is part of a
# date or a longer number ("01.02.1990 1990.01.01" holds "02.1990 1990").
_NUMBER_BEFORE = re.compile(r"[0-9][./]?\Z")
_NUMBER_AFTER = re.compile(r"[./][0-9]")


def _inside_longer_number(folded: str, start: int, end: int) -> bool:
    return bool(
        _NUMBER_BEFORE.search(folded, max(0, start - 2), start) or _NUMBER_AFTER.match(folded, end)
    )


_PHONE_MIN_DIGITS = 7

_EN_MARKER = (
    r"top\s+secret|secret|confidential|internal\s+use\s+only|for\s+official\s+use\s+only|restricted"
)
_MARKER_RES = (
    re.compile(r"대외비|비공개|내부용|기밀(?!성)"),
    # 민감/보안 in brackets anywhere.
    re.compile(r"[\[(<【〈《「『]\s*(?:민감|보안)\s*[\])>】〉》」』]"),
    # 민감/보안 alone at the start of a line (a heading such as "보안:" or "민감").
    re.compile(r"^[ \t]*(?P<word>민감|보안)(?=[ \t]*(?:$|[:\-|]))", re.MULTILINE),
    # Compound marker nouns, not inside a longer Hangul word (정보보안등급 is not one).
    re.compile(r"(?<![가-힣])(?:민감(?:자료|정보)|보안(?:자료|문서|등급))"),
    # An instruction to keep something secure: 보안 유지 (요망), 보안사항, 보안 엄수...
    # (not 정보보안 유지보수, nor a topic such as 보안 점검 or 정보보안 교육).
    re.compile(
        r"보(?<![가-힣]보)안[ \t]?(?:유지(?!보수)|엄수|철저|사항|요망)"
        r"(?:[ \t]?(?:요망|바람|바랍니다))?"
    ),
    # English markers in capitals, as they are stamped on documents ("CONFIDENTIAL")...
    re.compile(
        r"(?<![A-Za-z])(?:TOP\s+SECRET|SECRET|CONFIDENTIAL|INTERNAL\s+USE\s+ONLY"
        r"|FOR\s+OFFICIAL\s+USE\s+ONLY|RESTRICTED)(?![A-Za-z])"
    ),
    # ...or in any case when bracketed or alone at the start of a line, since in running
    # English ("access is restricted", "a secret ballot") they are ordinary words.
    re.compile(
        r"(?i)[\[(<【](?P<word>" + _EN_MARKER + r")(?=\s*[\])>】])",
    ),
    re.compile(
        r"(?im)^[ \t]*(?P<word>" + _EN_MARKER + r")(?=[ \t]*(?:$|[:\-|]))",
    ),
)


def _keyword_before(folded: str, start: int, keyword: re.Pattern[str], window: int) -> bool:
    return keyword.search(folded, max(0, start - window), start) is not None


def _registration(date: str, tail: str) -> tuple[str, bool]:
    """The kind (rrn or arn) of a number with these halves, and whether its check digit holds."""
    digits = date + tail
    if tail[0] in "1234":
        return "rrn", rrn_checksum_ok(digits)
    return "arn", arn_checksum_ok(digits)


def _may_have_random_check_digit(date: str, tail: str) -> bool:
    """Born 2020 or later: the number may be one issued since October 2020."""
    return tail[0] in "3478" and date[:2] >= "20"


def _registration_candidates(folded: str) -> Iterator[tuple[str, int, int, bool]]:
    """(kind, start, end, checksum) of resident and alien registration numbers, whole or split."""
    for m in _RRN_RE.finditer(folded):
        if not plausible_birth_date(m["date"]):
            continue
        kind, checksum = _registration(m["date"], m["tail"])
        separator = m["sep"] or ""
        if (
            separator
            and not _USUAL_RRN_SEPARATOR.fullmatch(separator)
            and not checksum
            and not _may_have_random_check_digit(m["date"], m["tail"])
            and not _keyword_before(folded, m.start(), _RRN_WORDS, _RRN_WORD_WINDOW)
        ):
            continue
        yield kind, m.start(), m.end(), checksum

    # The halves written apart, with a resident-number word before or between them.
    tails = [(m.start(), m.end()) for m in _RRN_TAIL_HALF.finditer(folded)]
    if not tails or not _RRN_WORDS.search(folded):
        return
    tail_starts = [start for start, _end in tails]
    for m in _RRN_DATE_HALF.finditer(folded):
        date = m.group()
        if not plausible_birth_date(date):
            continue
        k = bisect_left(tail_starts, m.end() + 1)
        if k == len(tails) or tails[k][0] - m.end() > _RRN_SPLIT_WINDOW:
            continue
        t_start, t_end = tails[k]
        context = folded[max(0, m.start() - _RRN_WORD_WINDOW) : t_start]
        if not _RRN_WORDS.search(context):
            continue
        kind, checksum = _registration(date, folded[t_start:t_end])
        yield kind, m.start(), m.end(), checksum
        yield kind, t_start, t_end, checksum


def _candidates(norm: Normalised) -> Iterator[Finding]:
    """Every possible finding, overlapping freely; ``_resolve`` picks among them."""
    text, folded = norm.original, norm.text

    def make(kind: str, start: int, end: int, checksum: bool | None) -> Finding:
        o_start, o_end = norm.original_span(start, end)
        return Finding(kind, o_start, o_end, text[o_start:o_end], checksum)

    if "@" in folded:
        for m in _EMAIL_RE.finditer(folded):
            yield make("email", m.start(), m.end(), None)
    yield from (make("marker", s, e, None) for s, e in _marker_spans(folded))
    if not _ANY_DIGIT.search(folded):  # everything below needs digits
        return

    for kind, start, end, checksum in _registration_candidates(folded):
        yield make(kind, start, end, checksum)

    for m in _PASSPORT_RE.finditer(folded):
        yield make("passport", m.start(), m.end(), None)

    for m in _LICENCE_RE.finditer(folded):
        yield make("driver_licence", m.start(), m.end(), None)
    for m in _LICENCE_PLAIN_RE.finditer(folded):
        if _keyword_before(folded, m.start(), _LICENCE_KEYWORD, 15):
            yield make("driver_licence", m.start(), m.end(), None)

    yield from (make("phone", s, e, None) for s, e in _phone_spans(folded))

    # A failed business-number check means "not a business number": unlike resident numbers,
    # business numbers were never issued with random check digits, so we drop those.
    for m in _BRN_RE.finditer(folded):
        if brn_checksum_ok(digits_of(m.group())):
            yield make("brn", m.start(), m.end(), True)
    for m in _BRN_PLAIN_RE.finditer(folded):
        if _keyword_before(folded, m.start(), _BRN_KEYWORD, 20) and brn_checksum_ok(m.group()):
            yield make("brn", m.start(), m.end(), True)

    for m in _ACCOUNT_RE.finditer(folded):
        if 10 <= len(digits_of(m.group())) <= 14 and _keyword_before(
            folded, m.start(), _ACCOUNT_KEYWORD, 20
        ):
            yield make("bank_account", m.start(), m.end(), None)

    for pattern in _CARD_RES:
        for m in pattern.finditer(folded):
            digits = digits_of(m.group())
            if 13 <= len(digits) <= 19 and luhn_ok(digits):
                yield make("card", m.start(), m.end(), True)


def _marker_spans(folded: str) -> Iterator[tuple[int, int]]:
    for pattern in _MARKER_RES:
        group = "word" if "word" in pattern.groupindex else 0
        for m in pattern.finditer(folded):
            yield m.start(group), m.end(group)


def _trim_brackets(text: str, start: int, end: int) -> tuple[int, int]:
    """phonenumbers may take a stray bracket into its match ("[010-..."); leave it outside."""
    span = text[start:end]
    while span and (span[0] in "[{ \t" or (span[0] == "(" and ")" not in span)):
        start, span = start + 1, span[1:]
    while span and (span[-1] in "]} \t" or (span[-1] == ")" and "(" not in span)):
        end, span = end - 1, span[:-1]
    return start, end


def _phone_windows(folded: str) -> Iterator[tuple[int, int]]:
    """Short windows of the text around what could be a phone number (merged when they meet)."""
    window: list[int] | None = None
    for m in _PHONE_CANDIDATE.finditer(folded):
        candidate = m.group()
        # Korean numbers are dialled with a leading 0 (or +82): dates, amounts and document
        # numbers, which start otherwise, need not go through the library.
        if not candidate.startswith(("+", "0", "(0")):
            continue
        groups = _DIGIT_GROUP.findall(candidate)
        # At least 7 digits, and a group three long or more: "0 0 0 0 0 0 0" would only cost
        # the library time. (A candidate may hold the start of a second number.)
        if sum(map(len, groups)) < _PHONE_MIN_DIGITS or max(map(len, groups)) < 3:
            continue
        start = max(0, m.start() - _PHONE_WINDOW_MARGIN)
        end = min(len(folded), m.end() + _PHONE_WINDOW_MARGIN)
        if window is not None and start <= window[1]:
            window[1] = end
            continue
        if window is not None:
            yield window[0], window[1]
        window = [start, end]
    if window is not None:
        yield window[0], window[1]


def _phone_spans(folded: str) -> Iterator[tuple[int, int]]:
    found = [
        m.span()
        for pattern in (_MOBILE_RE, _LANDLINE_RE, _INTERNATIONAL_RE)
        for m in pattern.finditer(folded)
        if not _inside_longer_number(folded, *m.span())
    ]
    yield from found
    # phonenumbers is slow (about a millisecond a number): it sees only short windows around
    # the candidates that the regexes above did not already find, blanked out here.
    rest = folded
    for start, end in found:
        rest = rest[:start] + " " * (end - start) + rest[end:]
    for w_start, w_end in _phone_windows(rest):
        for match in PhoneNumberMatcher(rest[w_start:w_end], "KR", leniency=Leniency.VALID):
            if phonenumbers.number_type(match.number) in _PUBLIC_PHONE_TYPES:
                continue
            start, end = _trim_brackets(folded, w_start + match.start, w_start + match.end)
            # "01.01.1990 10" is a date, and "1990/01/01 …" goes on from one: not a number.
            if _DATE_SHAPE.search(folded, start, end) or _inside_longer_number(folded, start, end):
                continue
            yield start, end


def _resolve(candidates: Iterable[Finding]) -> list[Finding]:
    """Non-overlapping findings, sorted by start (rules in the module docstring)."""
    by_span: dict[tuple[int, int], Finding] = {}
    for finding in candidates:
        span = (finding.start, finding.end)
        kept = by_span.get(span)
        if kept is None or _SPECIFICITY.index(finding.kind) < _SPECIFICITY.index(kept.kind):
            by_span[span] = finding

    def rank(finding: Finding) -> tuple[bool, bool, int, int, int]:
        return (
            finding.is_personal,
            finding.checksum is True,
            finding.end - finding.start,
            -_SPECIFICITY.index(finding.kind),
            -finding.start,
        )

    # Kept spans, sorted and disjoint: a new finding is checked against its neighbours only.
    starts: list[int] = []
    chosen: list[Finding] = []
    for finding in sorted(by_span.values(), key=rank, reverse=True):
        k = bisect_right(starts, finding.start)
        if k > 0 and chosen[k - 1].end > finding.start:
            continue
        if k < len(chosen) and chosen[k].start < finding.end:
            continue
        starts.insert(k, finding.start)
        chosen.insert(k, finding)
    return chosen


# --------------------------------------------------------------------------- public API


def scan(text: str) -> list[Finding]:
    """Personal data and classification markers in ``text``: sorted, non-overlapping."""
    if not text:
        return []
    return _resolve(_candidates(normalise(text)))


def personal_findings(findings: Iterable[Finding]) -> list[Finding]:
    """Only the findings that are personal data (everything but markers)."""
    return [finding for finding in findings if finding.is_personal]
