"""Text normalisation for the guard, with a map back to the original text.

The detectors run on a normalised copy of the text, in which

* every character is in NFKC form (full-width ``０-９ Ａ-Ｚ``, ideographic and no-break spaces,
  circled digits and the like become their plain forms);
* format characters (Unicode category Cf: zero-width space and joiners, soft hyphen, BOM,
  bidirectional marks...) and the invisible Hangul fillers are dropped, so
  ``761221\\u200b2607131`` reads as 13 digits;
* every dash and minus sign (category Pd, U+2212 and its kin) is an ASCII ``-``.

A :class:`Normalised` remembers where each normalised character came from, so a match found in
the normalised text is reported as the span of the original text that the user typed:
:meth:`Normalised.original_span` covers every original character that went into the match,
including format characters dropped between its parts, and none dropped just outside it.

ASCII and precomposed Hangul syllables, nearly all of what staff type, are already normal; only
the other characters are looked at, so normalising a long text costs little.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass, field
from functools import lru_cache

# Dashes and minus signs that are not in category Pd (those are all caught by category).
_EXTRA_DASHES = frozenset("\u2212\u2796\u02d7\u2043\ufe63\uff0d\u207b\u208b")

# Invisible Hangul fillers, dropped like format characters (NFKC maps U+3164 to U+1160).
_FILLERS = frozenset("\u115f\u1160\u3164\uffa0")

# Characters that may need work: anything but ASCII and precomposed Hangul syllables.
_SPECIAL = re.compile(r"[^\x00-\x7f\uac00-\ud7a3]+")


def _is_dash(char: str) -> bool:
    return char in _EXTRA_DASHES or unicodedata.category(char) == "Pd"


def _attaches_to_previous(char: str) -> bool:
    """A combining mark or a Hangul medial/final jamo: NFKC composes it with what precedes."""
    code = ord(char)
    return (
        unicodedata.combining(char) != 0
        or 0x1160 <= code <= 0x11FF
        or 0xD7B0 <= code <= 0xD7FF
        or unicodedata.category(char) in ("Mn", "Mc", "Me")
    )


@lru_cache(maxsize=4096)
def _normal_form(cluster: str) -> str:
    out = []
    for char in unicodedata.normalize("NFKC", cluster):
        if char in _FILLERS or unicodedata.category(char) == "Cf":
            continue
        out.append("-" if _is_dash(char) else char)
    return "".join(out)


@dataclass(frozen=True)
class Normalised:
    """The normalised text, and where each of its pieces came from in the original."""

    original: str
    text: str
    # Replaced pieces in order: (normalised start, normalised end, original start, original end).
    # Everything between two pieces was copied unchanged.
    pieces: list[tuple[int, int, int, int]] = field(default_factory=list)
    _starts: list[int] = field(default_factory=list)

    def _source(self, index: int) -> tuple[int, int]:
        """The original span that normalised character ``index`` came from."""
        k = bisect_right(self._starts, index)
        if k == 0:
            return index, index + 1
        n_start, n_end, o_start, o_end = self.pieces[k - 1]
        if index < n_end:
            return o_start, o_end
        origin = o_end + (index - n_end)
        return origin, origin + 1

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """The span of the original text that normalised ``[start, end)`` was made from."""
        if not self.pieces:
            return start, end
        if end <= start:
            origin = self._source(start)[0] if start < len(self.text) else len(self.original)
            return origin, origin
        return self._source(start)[0], self._source(end - 1)[1]


def normalise(text: str) -> Normalised:
    """NFKC, format characters dropped, dashes unified; with the map back to ``text``."""
    pieces: list[tuple[int, int, int, int]] = []
    out: list[str] = []
    copied = 0  # original offset up to which the text is accounted for
    length = 0  # length of the normalised text so far
    for run in _SPECIAL.finditer(text):
        start, end = run.span()
        # Combining marks after an ASCII letter belong to that letter.
        if start > copied and _attaches_to_previous(text[start]):
            start -= 1
        if start > copied:
            out.append(text[copied:start])
            length += start - copied
        position = start
        while position < end:
            stop = position + 1
            while stop < end and _attaches_to_previous(text[stop]):
                stop += 1
            cluster = text[position:stop]
            normal = _normal_form(cluster)
            if normal != cluster:
                pieces.append((length, length + len(normal), position, stop))
            out.append(normal)
            length += len(normal)
            position = stop
        copied = end
    if not pieces:
        return Normalised(text, text)
    out.append(text[copied:])
    return Normalised(text, "".join(out), pieces, [p[0] for p in pieces])


def fold(text: str) -> str:
    """The normalised form of ``text`` (for comparing words; offsets are not kept)."""
    return normalise(text).text


def digits_of(text: str) -> str:
    return "".join(ch for ch in fold(text) if "0" <= ch <= "9")
