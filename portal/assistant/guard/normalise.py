"""Text normalisation for the guard: one character for one, so offsets point into the original."""

from __future__ import annotations


def build_fold_table() -> dict[int, int]:
    table = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}  # full-width ASCII
    table[0x3000] = ord(" ")  # ideographic space
    table[0x00A0] = ord(" ")  # no-break space
    table[0x202F] = ord(" ")  # narrow no-break space
    for dash in (0x2010, 0x2011, 0x2012, 0x2013, 0x2014, 0x2015, 0x2212, 0xFE58, 0xFE63):
        table[dash] = ord("-")
    return table


FOLD_TABLE = build_fold_table()


def fold(text: str) -> str:
    """Map full-width forms, odd spaces and dashes to ASCII, one character for one."""
    folded = text.translate(FOLD_TABLE)
    assert len(folded) == len(text)
    return folded


def digits_of(text: str) -> str:
    return "".join(ch for ch in fold(text) if "0" <= ch <= "9")
