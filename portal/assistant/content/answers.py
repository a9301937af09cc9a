"""The document part of an answer: what "초안에 넣기" puts into the draft.

An answer talks to the user (a label, notes, a checklist, "다 쓰면 '점검'이라고 보내 주세요")
and may carry text meant for the document. The two are told apart by a fenced block whose
info string is ``문서``::

    '주차' 주제로 개요를 만들었습니다.

    ```문서
    [기획보고서] 주차
    □ 추진배경
    ```

    다 쓰면 '점검'이라고 보내 주세요.

The offline coach writes its outlines this way, and the system prompt asks a model to do the
same. The block stays in the stored message (so a reload, the history sent back to a model
and the insert button all see one format) and is read by :func:`insertable_text`.

A model may ignore the instruction. Its answer is then inserted with only what can be told
apart reliably left out: the contents of other fenced blocks if it used plain ones, or else
a lead-in line ("다음은 요청하신 초안입니다:") and a closing offer ("더 필요하시면 말씀해
주세요.") standing as paragraphs of their own at the very start or end. The coach's replies
without a document block (checks, scores, help) have nothing to insert.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

DOCUMENT_INFO = "문서"
_DOCUMENT_INFOS = frozenset({"문서", "초안", "document", "draft"})
_PLAIN_INFOS = frozenset({"", "text", "txt", "plaintext", "plain", "markdown", "md"})

_OPEN_RE = re.compile(r"^[ \t]{0,3}(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>[^`\n]*?)[ \t]*$")

# A paragraph of its own at the start of an answer that only introduces what follows.
_LEAD_IN_RE = re.compile(
    r"^(?:네|예|물론|알겠습니다|좋습니다|다음은|아래는|아래와 같이|요청하신|말씀하신|"
    r"sure|certainly|of course|here is|here's|below is)\b|[:：]$",
    re.IGNORECASE,
)
# A paragraph of its own at the end that only offers more help: an offer addressed to the
# user, not a document's own closing line ("궁금한 사항은 ○○과로 문의하시기 바랍니다.").
_CLOSING_RE = re.compile(
    r"(?:필요하시면|원하시면|필요한\s?부분이\s?있으면|수정할\s?부분이\s?있으면)"
    r".*(?:말씀해|알려|요청해|도와|수정해|다듬어)|더\s?도와\s?드릴|도움이\s?되(?:었|셨|길|기를)"
    r"|let me know|hope this|feel free|if you(?:'d| would)? like",
    re.IGNORECASE,
)
# Heading and list markers: a line that starts with one is part of the document.
_MARKER_RE = re.compile(r"^(?:[□○■●◦▪\-–·*※]|\d+[.)]|[가-하][.)])")
_CHATTER_MAX_CHARS = 160
_RULE_RE = re.compile(r"^\s*(?:-{3,}|\*{3,}|_{3,}|={3,})\s*$")


def document_block(text: str) -> str:
    """``text`` as the document part of an answer (the block that "초안에 넣기" inserts)."""
    body = text.strip("\n")
    fence = "```"
    while fence in body:  # a body that itself holds ``` gets a longer fence
        fence += "`"
    return f"{fence}{DOCUMENT_INFO}\n{body}\n{fence}"


def _pieces(text: str) -> Iterator[tuple[str | None, list[str], list[str]]]:
    """``text`` line by line: ``(None, [line], [line])`` outside fences, and
    ``(info, body lines, raw lines)`` for each fenced block (an unclosed one runs to the end).
    """
    lines = text.split("\n")
    index = 0
    while index < len(lines):
        opening = _OPEN_RE.match(lines[index])
        if not opening:
            yield None, [lines[index]], [lines[index]]
            index += 1
            continue
        start = index
        fence = opening["fence"]
        body: list[str] = []
        index += 1
        while index < len(lines):
            line = lines[index].strip()
            if line.startswith(fence[0] * len(fence)) and not line.strip(fence[0]):
                break
            body.append(lines[index])
            index += 1
        index += 1
        yield opening["info"].strip().lower(), body, lines[start:index]


def fenced_blocks(text: str) -> list[tuple[str, str]]:
    """The fenced blocks of ``text`` as ``(info, body)``; an unclosed block runs to the end."""
    return [(info, "\n".join(body)) for info, body, _raw in _pieces(text) if info is not None]


def display_parts(text: str) -> list[dict[str, object]]:
    """The answer as shown in the chat: document blocks apart from the talk, fences dropped.

    ``[{"document": bool, "text": str}, ...]`` in order; other fenced blocks stay as written.
    """
    parts: list[dict[str, object]] = []

    def add(document: bool, lines: list[str]) -> None:
        chunk = "\n".join(lines).strip("\n")
        if chunk.strip():
            parts.append({"document": document, "text": chunk})

    talk: list[str] = []
    for info, body, raw in _pieces(text or ""):
        if info not in _DOCUMENT_INFOS:
            talk.extend(raw)
            continue
        add(False, talk)
        talk = []
        add(True, body)
    add(False, talk)
    return parts


def _paragraphs(text: str) -> list[str]:
    return [p for p in re.split(r"\n[ \t]*\n", text.strip("\n")) if p.strip()]


def _is_chatter(paragraph: str, pattern: re.Pattern[str]) -> bool:
    line = paragraph.strip()
    if _RULE_RE.match(line):
        return True
    return (
        "\n" not in line
        and len(line) <= _CHATTER_MAX_CHARS
        and not _MARKER_RE.match(line)
        and bool(pattern.search(line))
    )


def without_chatter(text: str) -> str:
    """``text`` less a lead-in paragraph at its start and a closing offer at its end."""
    paragraphs = _paragraphs(text)
    while len(paragraphs) > 1 and _is_chatter(paragraphs[0], _LEAD_IN_RE):
        paragraphs.pop(0)
    while len(paragraphs) > 1 and _is_chatter(paragraphs[-1], _CLOSING_RE):
        paragraphs.pop()
    if not paragraphs:
        return ""
    # Keep the text between the first and last kept paragraphs exactly as written.
    start = text.index(paragraphs[0])
    end = text.rindex(paragraphs[-1]) + len(paragraphs[-1])
    return text[start:end]


def insertable_text(content: str, *, from_coach: bool) -> str:
    """What "초안에 넣기" inserts from an answer; "" when there is nothing to insert."""
    blocks = fenced_blocks(content or "")
    documents = [body for info, body in blocks if info in _DOCUMENT_INFOS]
    if documents:
        return "\n\n".join(d.strip("\n") for d in documents if d.strip()).strip("\n")
    if from_coach:
        return ""  # the coach marks every document it writes; the rest is advice
    plain = [body for info, body in blocks if info in _PLAIN_INFOS and body.strip()]
    if plain:
        return "\n\n".join(p.strip("\n") for p in plain)
    return without_chatter(content or "").strip("\n")
