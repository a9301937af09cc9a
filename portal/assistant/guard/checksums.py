"""Check digits of Korean identifiers and payment cards, and the birth-date plausibility test."""

from __future__ import annotations

import calendar

_RRN_WEIGHTS = (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5)


_BRN_WEIGHTS = (1, 3, 7, 1, 3, 7, 1, 3, 5)


def _rrn_sum(digits: str) -> int:
    return sum(int(d) * w for d, w in zip(digits[:12], _RRN_WEIGHTS, strict=True))


def rrn_checksum_ok(digits: str) -> bool:
    """주민등록번호 check digit: (11 − Σ dᵢ·wᵢ mod 11) mod 10."""
    return (11 - _rrn_sum(digits) % 11) % 10 == int(digits[12])


def arn_checksum_ok(digits: str) -> bool:
    """Legacy 외국인등록번호 check digit: (13 − Σ dᵢ·wᵢ mod 11) mod 10."""
    return (13 - _rrn_sum(digits) % 11) % 10 == int(digits[12])


def brn_checksum_ok(digits: str) -> bool:
    """사업자등록번호 check digit over ten digits."""
    total = sum(int(d) * w for d, w in zip(digits[:9], _BRN_WEIGHTS, strict=True))
    total += int(digits[8]) * 5 // 10
    return (10 - total % 10) % 10 == int(digits[9])


def luhn_ok(digits: str) -> bool:
    """The Luhn check used by payment cards."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def plausible_birth_date(yymmdd: str) -> bool:
    month, day = int(yymmdd[2:4]), int(yymmdd[4:6])
    if not 1 <= month <= 12 or day < 1:
        return False
    if month == 2:
        return day <= 29
    return day <= calendar.monthrange(2001, month)[1]
