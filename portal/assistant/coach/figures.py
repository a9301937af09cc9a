"""Figures in a text (number plus unit) and how the figures of a draft trace to the source.

:func:`extract` finds every quantity in a text: digits with commas and decimals, Korean
magnitude words (조, 억, 천만, 만, 천, 백) and composite amounts such as "13억 2천만 원"
(1,320,000,000 원), followed by a unit (원, %, %p, 개소, 명, 건, 일, km …). Each figure is
normalised to a comparable value and a canonical unit, so "13억 2천만 원", "1,320,000,000원"
and "13.2억 원" are the same figure. Dates, times, years (2027년), months, document numbers,
list numbers and ordinals (1차, 1순위) are not figures.

:func:`trace` compares each figure of a draft with the figures of the exercise's source
material: the same figure is traced; one that follows from the source (a sum of two or three
figures, a difference, a share or a rate of change in %, a ratio in 배, a percentage of a
figure, a unit price times a count, or the rounding of any of these to the precision the draft
writes) is traced as computed, with the computation shown; everything else is untraced, with
the nearest source figure of the same unit. Deterministic text processing only.
"""

from __future__ import annotations

import bisect
import itertools
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from portal.assistant.coach.text import DATE_RE, raw_lines

# Computations are tried only over this many distinct figures of a unit (sums of three over
# fewer), so a long source keeps the check fast; its figures are still compared directly.
_PAIR_LIMIT = 120
_TRIPLE_SUM_LIMIT = 40
# How far rounding may move a computed value: 1% (3% for 약 …), so that 15개 × 23% = 3.45 is
# no source for "3개" while (230 − 191) ÷ 191 = 20.42% is one for "20.4%".
_ROUNDING_SHARE = 0.01
_APPROX_SHARE = 0.03

_NUMBER = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_NUMBER_RE = re.compile(rf"(?<![\d.,])(?:{_NUMBER})(?![\d,]|\.\d)")
_SMALL_MAGNITUDES = {"천": 1_000, "백": 100}
_BIG_MAGNITUDES = {"조": 10**12, "억": 10**8, "만": 10**4}
_SMALL_RE = re.compile(r"[천백]")
_BIG_RE = re.compile(r"[조억만]")
_CONTINUATION_RE = re.compile(rf"\s?({_NUMBER})(?=[천백조억만])")
_ADJACENT_NUMBER_RE = re.compile(r"\d+(?!\d*[.,]\d)")

# Written unit → (canonical unit, factor to the canonical unit). Longest spellings win.
_UNITS: dict[str, tuple[str, float]] = {
    "퍼센트포인트": ("%p", 1),
    "%포인트": ("%p", 1),
    "％포인트": ("%p", 1),
    "%p": ("%p", 1),
    "％p": ("%p", 1),
    "%P": ("%p", 1),
    "포인트": ("%p", 1),
    "퍼센트": ("%", 1),
    "%": ("%", 1),
    "％": ("%", 1),
    "원": ("원", 1),
    "달러": ("달러", 1),
    "개소": ("개소", 1),
    "곳": ("개소", 1),
    "명": ("명", 1),
    "건": ("건", 1),
    "대": ("대", 1),
    "회": ("회", 1),
    "번": ("회", 1),
    "개월": ("개월", 1),
    "개국": ("개국", 1),
    "개": ("개", 1),
    "가구": ("가구", 1),
    "세대": ("세대", 1),
    "시간": ("시간", 1),
    "주년": ("주년", 1),
    "년": ("년", 1),
    "일": ("일", 1),
    "주": ("주", 1),
    "분": ("분", 1),
    "초": ("초", 1),
    "배": ("배", 1),
    "km": ("km", 1),
    "㎞": ("km", 1),
    "킬로미터": ("km", 1),
    "m": ("km", 0.001),
    "미터": ("km", 0.001),
    "kg": ("kg", 1),
    "㎏": ("kg", 1),
    "톤": ("kg", 1000),
    "리터": ("L", 1),
    "ℓ": ("L", 1),
    "L": ("L", 1),
    "㎡": ("㎡", 1),
    "제곱미터": ("㎡", 1),
    "권": ("권", 1),
    "부": ("부", 1),
    "장": ("장", 1),
    "쪽": ("쪽", 1),
    "편": ("편", 1),
    "종": ("종", 1),
    "팀": ("팀", 1),
    "기관": ("기관", 1),
    "학급": ("학급", 1),
    "마리": ("마리", 1),
    "그루": ("그루", 1),
    "단계": ("단계", 1),
    "층": ("층", 1),
    "평": ("평", 1),
    "면": ("면", 1),
    "점": ("점", 1),
    "세": ("세", 1),
    "살": ("세", 1),
    "인": ("명", 1),
}
# Counters that number things rather than count them (1차, 1순위, 3번째, 제2호): not figures.
_ORDINALS = (
    "순위",
    "번째",
    "차례",
    "회차",
    "분기",
    "반기",
    "학년",
    "학기",
    "째",
    "차",
    "위",
    "등",
    "호",
    "조",
    "항",
    "월",
)
_MONEY = ("원", "달러")
_PERCENT = "%"
_POINTS = "%p"
_RATIO = "배"
_UNIT_RE = re.compile(
    "|".join(re.escape(u) for u in sorted((*_UNITS, *_ORDINALS), key=len, reverse=True))
)
# The last part of a composite amount, right before its unit: the "1" of "5만 1원".
_TAIL_RE = re.compile(rf"\s?({_NUMBER})(?=\s?(?:{_UNIT_RE.pattern}))")
# After a space a Korean unit must stand alone or take a particle: "150 명이" is a figure,
# "30 대비" is not.
_PARTICLE_RE = re.compile(
    r"(?:이상|이하|미만|초과|내외|가량|정도|까지|부터|에서|이며|이고|으로|이|가|을|를|은|는|의|"
    r"에|로|과|와|씩|당|간|도|만|안팎)?(?![가-힣])"
)
_APPROX_BEFORE_RE = re.compile(r"(?:약|대략)\s*$")
_APPROX_AFTER_RE = re.compile(r"\s*(?:여|가량|정도|내외|안팎)")
_RANGE_RE = re.compile(r"\s*[~∼～]\s*")
_CURRENCY_BEFORE_RE = re.compile(r"(?:KRW|₩|￦)\s*$")
_DOLLAR_BEFORE_RE = re.compile(r"(?:USD|US\$|\$)\s*$")

# Spans with digits that are not quantities. Each is blanked before figures are read.
_NOT_FIGURE_RES = (
    DATE_RE,  # 2026. 11. 27. / 2026-11-27 / 2026년 11월 27일
    re.compile(
        r"(?<![\d.])\d{4}\s*(?:\.|년)\s*\d{1,2}\s*(?:\.|월)(?:\s*[~∼～]\s*\d{1,2}\s*[.월])?"
    ),
    re.compile(r"(?<![\d.])\d{1,2}\s*월\s*\d{1,2}\s*일"),  # 12월 3일
    re.compile(r"(?<![\d.])\d{1,2}\s*[~∼～]\s*\d{1,2}\s*월"),  # 1~10월
    re.compile(r"(?<![\d.])\d{1,2}\s*월(?!\s*[가-힣]*개월)"),  # 10월 (a month, not 개월)
    re.compile(r"(?<![\d.])(?:1[0-2]|0?[1-9])\s*\.\s*(?:3[01]|[12]\d|0?[1-9])\s*\.(?!\d)"),
    re.compile(r"[~∼～]\s*\d{1,2}\s*\.(?!\d)"),  # the end of a date range: 12. 15.~17.
    re.compile(r"['’‘]\d{2}\s*\.\s*\d{1,2}\s*\.?"),  # '24. 12.
    re.compile(r"(?<![\d.])(?:19|20)\d{2}\s*년(?:\s*도)?"),  # a year: 2027년, 2027년도
    re.compile(r"(?<![\d.])(?:19|20)\d{2}(?=\s*[~∼～]\s*(?:19|20)\d{2}\s*년)"),
    re.compile(r"\d{1,2}:\d{2}(?::\d{2})?"),  # a time: 09:30
    re.compile(r"(?:오전|오후|새벽|밤|낮|저녁)\s*\d{1,2}\s*시(?:\s*\d{1,2}\s*분)?"),
    re.compile(r"(?<![\d.])\d{1,2}\s*시(?!간)(?:\s*\d{1,2}\s*분)?"),  # 10시 30분
    re.compile(r"제\s*\d[\d,\-]*"),  # 제3조, 제2026-123호
    re.compile(r"[가-힣A-Za-z]+-\d+"),  # a document number: 인사과-2140
    re.compile(r"\d+(?:-\d+)+"),  # codes and phone numbers
    re.compile(r"\S*\*\S*"),  # masked values
    re.compile(r"[A-Za-z]+[-_]?\d[\w.]*"),  # names such as GPT-4, N2SF, COVID-19
    re.compile(r"^\s*(?:#{1,6}\s*)?(?:[□■○◦ㅇ\-–·*>]\s*)?\(?\d{1,2}[.)](?=\s)"),  # list numbers
    re.compile(r"(?<![가-힣])(?:붙임|별첨|참고|표|그림)\s*\d+"),  # 붙임 2, 표 3 (not 목표 230)
)
_DAY_OF_MONTH_RE = re.compile(r"(?<![\d.])(\d{1,2})\s*일")
_CONTEXT_CHARS = 24
_CONTEXT_WORD_RE = re.compile(r"[가-힣]{2,}")


@dataclass(frozen=True)
class Figure:
    """One quantity as written, with its value in the canonical unit."""

    text: str  # as written, spaces squeezed: "13억 2천만 원"
    value: float
    unit: str  # canonical unit ("원", "%", "개소" …); "" when only a magnitude was written
    line: int  # 1-based line number in the text it came from
    granularity: float  # half of it is the rounding the written precision allows
    approx: bool = False  # 약 …, … 여, … 가량
    may_be_date: bool = False  # "3일" may be the 3rd of a month
    context: frozenset[str] = field(default_factory=frozenset, compare=False)


@dataclass(frozen=True)
class Trace:
    """How one figure of a draft relates to the source."""

    figure: Figure
    status: str  # "source", "rounded", "computed", "date" or "untraced"
    basis: str = ""  # the computation, or the source figure it rounds
    nearest: Figure | None = None  # for untraced figures: the closest source figure

    @property
    def traced(self) -> bool:
        return self.status != "untraced"


def _blank(text: str) -> str:
    for pattern in _NOT_FIGURE_RES:
        text = pattern.sub(lambda m: " " * len(m.group(0)), text)
    return text


def _number(text: str) -> tuple[float, float]:
    """(value, granularity) of '1,150' or '3.2'."""
    plain = text.replace(",", "")
    decimals = len(plain.partition(".")[2])
    return float(plain), 10.0**-decimals


def _trailing_zeros_granularity(number: str, granularity: float) -> float:
    plain = number.replace(",", "")
    if "." in plain:
        return granularity
    stripped = plain.rstrip("0")
    zeros = len(plain) - len(stripped) if stripped else 0
    return granularity * 10.0**zeros


def _group(masked: str, pos: int, number: str) -> tuple[float, float, int]:
    """A group below 만 that starts with a number: '2천5백', '1천1', '3', '2천'.

    Returns (value, granularity, end). 천 and 백 multiply the number before them and the
    parts add up.
    """
    value, granularity = _number(number)
    total = 0.0
    while True:
        small = _SMALL_RE.match(masked, pos)
        if not small:
            return total + value, granularity, pos
        factor = _SMALL_MAGNITUDES[small.group(0)]
        total += value * factor
        granularity *= factor
        pos = small.end()
        following = _ADJACENT_NUMBER_RE.match(masked, pos)
        if not following:
            return total, granularity, pos
        value, granularity = _number(following.group(0))
        pos = following.end()


def _amount(masked: str, start: int, end: int) -> tuple[float, float, int, str]:
    """Read the amount that starts with the number at start:end.

    Returns (value, granularity, end, first number text). A group below 만 ('2천', '2천5백')
    is multiplied by the 만, 억 or 조 after it, and the groups add up ("13억 2천만" =
    13×10⁸ + 2×10³×10⁴); each group must be smaller than the one before.
    """
    number = masked[start:end]
    total = 0.0
    last_big = math.inf
    group, granularity, pos = _group(masked, end, number)
    while True:
        big = _BIG_RE.match(masked, pos)
        if not big or _BIG_MAGNITUDES[big.group(0)] >= last_big:
            break
        last_big = _BIG_MAGNITUDES[big.group(0)]
        total += group * last_big
        granularity *= last_big
        group, pos = 0.0, big.end()
        following = _CONTINUATION_RE.match(masked, pos)
        if not following:
            tail = _TAIL_RE.match(masked, pos)  # "5만 1원", "1억 2345만 6789원"
            if tail and _number(tail.group(1))[0] < last_big:
                group, granularity = _number(tail.group(1))
                pos = tail.end()
            break
        next_group, next_granularity, next_pos = _group(
            masked, following.end(1), following.group(1)
        )
        big = _BIG_RE.match(masked, next_pos)
        if big and _BIG_MAGNITUDES[big.group(0)] >= last_big:
            break  # "3만 2억": not one amount
        group, granularity, pos = next_group, next_granularity, next_pos
    return total + group, granularity, pos, number


def _unit_at(masked: str, pos: int) -> tuple[str | None, int]:
    """(written unit, end) right after an amount; (None, pos) when there is none."""
    adjacent = _UNIT_RE.match(masked, pos)
    if adjacent:
        return adjacent.group(0), adjacent.end()
    spaced = re.compile(r"[ \t]").match(masked, pos)
    if spaced:
        unit = _UNIT_RE.match(masked, spaced.end())
        if unit and (
            not re.match(r"[가-힣]", unit.group(0)) or _PARTICLE_RE.match(masked, unit.end())
        ):
            return unit.group(0), unit.end()
    return None, pos


def _context(line: str, start: int) -> frozenset[str]:
    return frozenset(_CONTEXT_WORD_RE.findall(line[max(0, start - _CONTEXT_CHARS) : start]))


def _squeeze(text: str) -> str:
    return " ".join(text.split())


def extract(text: str) -> list[Figure]:
    """Every figure (number plus unit, or a number with a Korean magnitude) in a text."""
    figures: list[Figure] = []
    for line in raw_lines(text):
        masked = _blank(line.text)
        pos = 0
        # The start of a range ("2,000~15,000원", "1~5점") waits for the unit at its end.
        pending: list[tuple[int, int, float, float, bool]] = []
        while match := _NUMBER_RE.search(masked, pos):
            start = match.start()
            value, granularity, end, first = _amount(masked, start, match.end())
            prefix = masked[:start]
            approx = bool(_APPROX_BEFORE_RE.search(prefix) or _APPROX_AFTER_RE.match(masked, end))
            if approx and end == match.end():
                granularity = _trailing_zeros_granularity(first, granularity)
            written, unit_end = _unit_at(masked, end)
            text_start = start
            if written is None:
                for currency, pattern in (("원", _CURRENCY_BEFORE_RE), ("달러", _DOLLAR_BEFORE_RE)):
                    sign = pattern.search(prefix)
                    if sign:
                        written, unit_end, text_start = currency, end, sign.start()
                        break
            ranged = _RANGE_RE.match(masked, unit_end)
            if written is None and ranged:
                pending.append((start, end, value, granularity, approx))
                pos = ranged.end()
                continue
            per_one = value == 1 and masked.startswith("당", unit_end)  # 1km당, 1인당
            if written in _ORDINALS or per_one or (written is None and end == match.end()):
                # An ordinal, a "per one" rate, or a bare number (the units check's business).
                pending.clear()
                pos = max(unit_end, end)
                continue
            unit, factor = _UNITS.get(written or "", ("", 1.0))
            context = _context(line.text, start)
            for p_start, p_end, p_value, p_granularity, p_approx in pending:
                figures.append(
                    Figure(
                        text=_squeeze(line.text[p_start:p_end]) + (written or ""),
                        value=p_value * factor,
                        unit=unit,
                        line=line.number,
                        granularity=p_granularity * factor,
                        approx=p_approx,
                        context=context,
                    )
                )
            pending.clear()
            figures.append(
                Figure(
                    text=_squeeze(line.text[text_start:unit_end]),
                    value=value * factor,
                    unit=unit,
                    line=line.number,
                    granularity=granularity * factor,
                    approx=approx,
                    may_be_date=unit == "일" and value == int(value) and 1 <= value <= 31,
                    context=context,
                )
            )
            pos = unit_end
    return figures


def days_of_month(text: str) -> frozenset[int]:
    """The days of the month named in a text's dates (2026. 12. 3., 12월 3일, 12. 3.)."""
    days: set[int] = set()
    for line in raw_lines(text):
        for match in DATE_RE.finditer(line.text):
            days.add(int(match.group(3)))
        for match in re.finditer(
            r"(?<![\d.])(?:1[0-2]|0?[1-9])\s*\.\s*(3[01]|[12]\d|0?[1-9])\s*\.(?!\d)", line.text
        ):
            days.add(int(match.group(1)))
        for match in re.finditer(r"[~∼～]\s*(\d{1,2})\s*\.(?!\d)", line.text):
            days.add(int(match.group(1)))
        for match in _DAY_OF_MONTH_RE.finditer(line.text):
            days.add(int(match.group(1)))
    return frozenset(d for d in days if 1 <= d <= 31)


# --- tracing -------------------------------------------------------------------------------


def _close(figure: Figure, value: float, granularity: float) -> bool:
    """Whether a value, written at the figure's precision, is the figure."""
    if math.isclose(figure.value, value, rel_tol=1e-9, abs_tol=1e-9):
        return True
    if granularity <= 0:
        return False
    return abs(figure.value - value) <= granularity / 2 * (1 + 1e-9)


def _follows(figure: Figure, derived: _Derived) -> bool:
    """A computed value rounds to the figure, and the rounding changes it by little.

    Sums and differences of written figures need no rounding, so they must match exactly
    unless the draft says the figure is approximate.
    """
    value = derived.value
    if derived.exact and not figure.approx:
        return math.isclose(figure.value, value, rel_tol=1e-9, abs_tol=1e-9)
    if not _close(figure, value, figure.granularity):
        return False
    allowed = _APPROX_SHARE if figure.approx else _ROUNDING_SHARE
    return abs(figure.value - value) <= allowed * abs(value) + 1e-9


@dataclass(frozen=True)
class _Derived:
    value: float
    unit: str
    basis: str
    operands: tuple[Figure, ...] = ()
    exact: bool = False  # sums and differences are written exactly (unless 약 …)


_NOT_COUNTS = (*_MONEY, _PERCENT, _POINTS, _RATIO, "")


def _derived(source: Sequence[Figure], unit: str) -> Iterable[_Derived]:
    """Figures that follow from the source figures, for a draft figure of this unit.

    In order: sums and differences of two, shares and rates of change (%) and ratios (배) of
    two figures of one unit, a percentage of a figure, a per-unit figure (a figure divided by a
    count), a unit price times a count written on the same source line, sums of three.
    """
    same = _distinct(f for f in source if f.unit == unit)[:_PAIR_LIMIT]
    for a, b in itertools.combinations(same, 2):
        big, small = (a, b) if a.value >= b.value else (b, a)
        yield _Derived(a.value + b.value, unit, f"{a.text} + {b.text}", (a, b), exact=True)
        if unit != _PERCENT:
            yield _Derived(
                big.value - small.value, unit, f"{big.text} − {small.text}", (a, b), exact=True
            )
    if unit == _POINTS:
        percents = _distinct(f for f in source if f.unit == _PERCENT)[:_PAIR_LIMIT]
        for a, b in itertools.combinations(percents, 2):
            big, small = (a, b) if a.value >= b.value else (b, a)
            yield _Derived(
                big.value - small.value, _POINTS, f"{big.text} − {small.text}", (a, b), exact=True
            )
    if unit in (_PERCENT, _RATIO):
        by_unit: dict[str, list[Figure]] = {}
        excluded = (_POINTS, _RATIO) if unit == _RATIO else (_PERCENT, _POINTS, _RATIO)
        for f in source:
            if f.unit not in excluded and f.value:
                by_unit.setdefault(f.unit, []).append(f)
        for figures in by_unit.values():
            for a, b in itertools.permutations(_distinct(figures)[:_PAIR_LIMIT], 2):
                if unit == _RATIO:
                    yield _Derived(a.value / b.value, _RATIO, f"{a.text} ÷ {b.text}", (a, b))
                    continue
                yield _Derived(a.value / b.value * 100, _PERCENT, f"{a.text} ÷ {b.text}", (a, b))
                change = abs(a.value - b.value) / b.value * 100
                big, small = (a, b) if a.value >= b.value else (b, a)
                basis = f"({big.text} − {small.text}) ÷ {b.text}"
                yield _Derived(change, _PERCENT, basis, (a, b))
    if unit not in (_PERCENT, _POINTS, _RATIO):
        percents = _distinct(f for f in source if f.unit == _PERCENT)[:_PAIR_LIMIT]
        counts = _distinct(f for f in source if f.unit not in (*_NOT_COUNTS, unit) and f.value)
        counts = counts[:_PAIR_LIMIT]
        for a in same:
            for p in percents:
                yield _Derived(a.value * p.value / 100, unit, f"{a.text} × {p.text}", (a, p))
            for count in counts:
                yield _Derived(a.value / count.value, unit, f"{a.text} ÷ {count.text}", (a, count))
    if unit in _MONEY:
        for price in (f for f in source if f.unit == unit):
            for count in source:
                if count.line == price.line and count.unit not in _NOT_COUNTS:
                    yield _Derived(
                        price.value * count.value,
                        unit,
                        f"{price.text} × {count.text}",
                        (price, count),
                    )
    if len(same) <= _TRIPLE_SUM_LIMIT:
        for a, b, c in itertools.combinations(same, 3):
            total = a.value + b.value + c.value
            yield _Derived(total, unit, f"{a.text} + {b.text} + {c.text}", (a, b, c), exact=True)


def _distinct(figures: Iterable[Figure]) -> list[Figure]:
    seen: dict[float, Figure] = {}
    for figure in figures:
        seen.setdefault(round(figure.value, 9), figure)
    return list(seen.values())


def _nearest(figure: Figure, source: Sequence[Figure]) -> Figure | None:
    pool = [f for f in source if f.unit == figure.unit] if figure.unit else list(source)
    if not pool:
        return None

    def distance(other: Figure) -> tuple[int, float]:
        if figure.value > 0 and other.value > 0:
            gap = abs(math.log(figure.value / other.value))
        else:
            gap = abs(figure.value - other.value)
        return (-len(figure.context & other.context), gap)

    return min(pool, key=distance)


class _Index:
    """The source figures and, per unit, every figure computed from them, sorted by value so
    that each draft figure is looked up in logarithmic time."""

    def __init__(self, source: Sequence[Figure], days: frozenset[int]) -> None:
        self.source = list(source)
        self.days = days
        self._by_unit: dict[str, tuple[list[float], list[tuple[int, _Derived]]]] = {}

    def derived_near(self, unit: str, low: float, high: float) -> list[_Derived]:
        """The computed figures of a unit between low and high, simplest first."""
        if unit not in self._by_unit:
            made = enumerate(d for d in _derived(self.source, unit) if d.unit == unit)
            ordered = sorted(made, key=lambda pair: pair[1].value)
            self._by_unit[unit] = ([d.value for _n, d in ordered], ordered)
        values, ordered = self._by_unit[unit]
        found = ordered[bisect.bisect_left(values, low) : bisect.bisect_right(values, high)]
        return [d for _n, d in sorted(found, key=lambda pair: pair[0])]


def trace_one(figure: Figure, index: _Index) -> Trace:
    source = index.source
    pool = [f for f in source if f.unit == figure.unit] if figure.unit else list(source)
    for other in pool:
        if math.isclose(figure.value, other.value, rel_tol=1e-9, abs_tol=1e-9):
            return Trace(figure, "source", other.text)
    for other in pool:
        # Rounding a more precise source figure, or writing it as an approximation.
        if (other.granularity < figure.granularity or figure.approx) and _close(
            figure, other.value, figure.granularity
        ):
            return Trace(figure, "rounded", other.text)
    if figure.may_be_date and int(figure.value) in index.days:
        return Trace(figure, "date")
    if figure.unit:
        reach = figure.granularity / 2 + abs(figure.value) * 1e-9 + 1e-9
        near = index.derived_near(figure.unit, figure.value - reach, figure.value + reach)
        found = [d for d in near if _follows(figure, d)]
        if found:
            # Several computations may give the figure: show the simplest, and among those
            # the one whose figures are named like the draft's (the first on a tie).
            def fit(d: _Derived) -> tuple[int, int]:
                overlap = sum(len(figure.context & o.context) for o in d.operands)
                return (-len(d.operands), overlap)

            return Trace(figure, "computed", max(found, key=fit).basis)
    return Trace(figure, "untraced", nearest=_nearest(figure, source))


def trace(draft: str, source: str) -> list[Trace]:
    """Each figure of a draft with how it traces to the source text."""
    index = _Index(extract(source), days_of_month(source))
    return [trace_one(figure, index) for figure in extract(draft)]


def source_text(ex: dict | None) -> str:
    """The exercise text a draft's figures must come from: source material and scenario."""
    if not ex:
        return ""
    return "\n".join(str(ex.get(key) or "") for key in ("source_material", "scenario"))
