"""Masking personal data with fixed tokens, and the masked excerpt that guard events store."""

from __future__ import annotations

from collections.abc import Iterable

from portal.assistant.guard.detect import Finding, personal_findings, scan


def _mask_segments(
    text: str, findings: Iterable[Finding]
) -> tuple[str, list[tuple[int, int, int, int]]]:
    """Masked text, and for each token ``(orig_start, orig_end, masked_start, masked_end)``."""
    parts: list[str] = []
    segments: list[tuple[int, int, int, int]] = []
    cursor = 0
    length = 0
    for finding in sorted(personal_findings(findings), key=lambda f: (f.start, -f.end)):
        if finding.start < cursor:  # overlaps the previous token: that token covers it too
            if finding.end > cursor:
                o_start, _o_end, m_start, m_end = segments[-1]
                segments[-1] = (o_start, finding.end, m_start, m_end)
                cursor = finding.end
            continue
        before = text[cursor : finding.start]
        parts.append(before)
        length += len(before)
        token = finding.token
        parts.append(token)
        segments.append((finding.start, finding.end, length, length + len(token)))
        length += len(token)
        cursor = finding.end
    parts.append(text[cursor:])
    return "".join(parts), segments


def _to_masked(pos: int, segments: list[tuple[int, int, int, int]], *, is_end: bool) -> int:
    """Where original offset ``pos`` lands in the masked text."""
    shift = 0
    for o_start, o_end, m_start, m_end in segments:
        if o_end <= pos:
            shift += (m_end - m_start) - (o_end - o_start)
        elif o_start < pos:  # strictly inside a masked finding
            return m_end if is_end else m_start
        else:
            break
    return pos + shift


def mask(text: str, findings: list[Finding] | None = None) -> str:
    """``text`` with each personal finding replaced by its Korean token; markers stay."""
    if findings is None:
        findings = scan(text)
    return _mask_segments(text, findings)[0]


EXCERPT_LIMIT = 200


_ELLIPSIS = "…"


def masked_excerpt(text: str, findings: list[Finding], width: int = 30) -> str:
    """A short masked excerpt (at most 200 characters) around the findings, for guard events.

    Everything ``scan`` finds is masked as well, even when missing from ``findings``, so the
    excerpt never holds personal data the guard can recognise. Whitespace runs become a space.
    """
    given = sorted(findings, key=lambda f: f.start)
    given_personal = personal_findings(given)
    extra = [
        found
        for found in personal_findings(scan(text))
        if all(found.end <= f.start or f.end <= found.start for f in given_personal)
    ]
    masked, segments = _mask_segments(text, [*given_personal, *extra])
    token_spans = [(m_start, m_end) for _os, _oe, m_start, m_end in segments]

    anchors = [
        (_to_masked(f.start, segments, is_end=False), _to_masked(f.end, segments, is_end=True))
        for f in given
    ] or [(0, 0)]
    windows: list[list[int]] = []
    for a_start, a_end in anchors:
        start, end = max(0, a_start - width), min(len(masked), a_end + width)
        for t_start, t_end in token_spans:  # never cut a token in half
            if t_start < start < t_end:
                start = t_start
            if t_start < end < t_end:
                end = t_end
        if windows and start <= windows[-1][1]:
            windows[-1][1] = max(windows[-1][1], end)
        else:
            windows.append([start, end])

    pieces: list[str] = []
    for start, end in windows:
        piece = " ".join(masked[start:end].split())
        if start > 0:
            piece = _ELLIPSIS + piece
        if end < len(masked):
            piece += _ELLIPSIS
        pieces.append(piece)
    excerpt = " ".join(pieces)
    if len(excerpt) > EXCERPT_LIMIT:
        excerpt = excerpt[: EXCERPT_LIMIT - 1].rstrip() + _ELLIPSIS
    return excerpt
