"""The offline practice coach: outlines, draft checks and computed rubric feedback.

With no model backend configured (the default) the sandbox answers through :func:`respond`.
Everything here is deterministic text processing: no model, no network, no database. The
coach never pretends to be a model and never scores what it cannot compute.

A document type (``doctype``) and an exercise (``ex``) are the plain dicts synchronised from
``courses/_doctypes`` and ``courses/<course>/exercises`` (see courses/README.md).

The draft checks live in :mod:`.checks` and the reading of a draft in :mod:`.text`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from portal.assistant.coach.checks import (
    CHECK_IDS,
    CHECK_LABELS,
    CHECKS,
    Outcome,
    applicable_checks,
    check_draft,
    check_figures,
    figure_report,
    figure_traces,
    figures_apply,
    language_allows,
    untraced_figures,
)
from portal.assistant.coach.text import (
    GANADA,
    checklist_of,
    content_lines,
    hierarchy_of,
    is_official_letter,
    normalised,
    numbered_marker,
    required_sections,
    structure_of,
)
from portal.assistant.content.answers import document_block

COACH_LABEL = _l("[연습 코치 · AI 모델 아님]")


# --- outline -------------------------------------------------------------------------------


def _clean_topic(topic: str) -> str:
    flat = " ".join((topic or "").split())
    return flat[:80] or _("(주제)")


def _fill(hint: Any) -> str:
    return _("[작성] %(hint)s", hint=str(hint or "").strip() or _("내용"))


def _checklist_footer(doctype: dict[str, Any]) -> list[str]:
    texts = [str(c.get("text")).strip() for c in checklist_of(doctype) if c.get("text")]
    return [_("※ 점검 목록: %(items)s", items=" / ".join(texts))] if texts else []


def _official_letter_outline(doctype: dict[str, Any], topic: str) -> str:
    """수신/제목, numbered body (1. 가.), 붙임 and the closing '끝.'."""
    by_title = {normalised(str(s["title"])): s for s in structure_of(doctype)}
    markers = hierarchy_of(doctype) or ("1.", "가.")
    sub = markers[1] if len(markers) > 1 else "가."
    recipient = by_title.get("수신", {}).get("hint") or _("받는 기관장의 직위(예: ○○시장)")
    lines = [f"[{doctype.get('name') or '공문'}] {topic}", "", f"수신  {_fill(recipient)}"]
    if "참조" in by_title:
        lines.append(f"참조  {_fill(by_title['참조'].get('hint'))}")
    if "경유" in by_title:
        lines.append(f"(경유)  {_fill(by_title['경유'].get('hint'))}")
    lines += [f"제목  {topic}", ""]
    skip = {"수신", "참조", "경유", "제목", "붙임", "끝"}
    body = [s for s in structure_of(doctype) if normalised(str(s["title"])) not in skip]
    for index, section in enumerate(body):
        hint = str(section.get("hint") or "").strip()
        label = f"{section['title']}: {hint}" if hint else str(section["title"])
        lines.append(f"{numbered_marker(markers[0], index)} {_fill(label)}")
    if body:
        lines += [f"  {numbered_marker(sub, i)} {_fill(_('세부 사항'))}" for i in range(2)]
    if "붙임" in by_title:
        attachment = str(by_title["붙임"].get("hint") or "").strip().removeprefix("붙임").strip()
        lines += ["", f"붙임  {_fill(attachment)}  끝."]
    elif body:
        lines[-1] += "  끝."
    else:
        lines.append("끝.")
    return "\n".join(lines).strip()


def outline(doctype: dict[str, Any], topic: str) -> str:
    """The document type's outline for a topic: only document text, to go into the draft.

    The checklist and other advice go around it in the reply (see :func:`_outline_lines`).
    """
    topic = _clean_topic(topic)
    if is_official_letter(doctype):
        return _official_letter_outline(doctype, topic)
    markers = hierarchy_of(doctype)
    numbered = bool(markers) and bool(re.search(rf"[\d{GANADA}]", markers[0]))
    lines = [f"[{doctype.get('name') or ''}] {topic}".strip(), ""]
    if "headline" in {c.get("check") for c in checklist_of(doctype)}:
        top = markers[0] if markers and not numbered else "□"
        lines += [f"{top} {_fill(_('결론·건의를 한두 줄로 먼저 씁니다(두괄식)'))}", ""]
    for index, section in enumerate(structure_of(doctype)):
        title = str(section["title"])
        if not section.get("required"):
            title += _(" (선택)")
        if markers:
            lines.append(f"{numbered_marker(markers[0], index)} {title}")
        else:
            lines.append(f"[{title}]")
        sub = numbered_marker(markers[1], 0) + " " if len(markers) > 1 else ""
        lines.append(f"  {sub}{_fill(section.get('hint'))}")
        if len(markers) > 2:
            lines.append(
                f"    {numbered_marker(markers[2], 0)} {_fill(_('세부 근거·수치와 출처'))}"
            )
        lines.append("")
    return "\n".join(lines).strip()


# --- rubric --------------------------------------------------------------------------------


def _scaled(max_score: int, outcome: Outcome) -> int:
    if outcome.result.passed:
        return max_score
    # A failed check never earns full marks, however small the share of bad lines.
    score = math.floor(max_score * outcome.ratio + 0.5)
    return max(0, min(score, max_score - 1))


def rubric_feedback(doctype: dict[str, Any], ex: dict[str, Any], text: str) -> dict[str, Any]:
    """Score the rubric criteria the coach can compute; leave the rest to people or a model."""
    lines = content_lines(text)
    criteria: list[dict[str, Any]] = []
    for item in ex.get("rubric") or []:
        criterion_id = str(item.get("id"))
        max_score = int(item.get("max_score") or 0)
        auto = item.get("auto")
        entry: dict[str, Any] = {
            "id": criterion_id,
            "title": str(item.get("title") or criterion_id),
            "max_score": max_score,
            "score": None,
            "comment": _("강사 검토나 모델 채점이 필요합니다(코치가 계산할 수 없는 기준)."),
            "computed": False,
        }
        computable = auto in CHECKS or auto == "figures"
        if computable and not language_allows(doctype, auto):
            entry["comment"] = _(
                "이 점검은 한국어 문서에만 맞아 이 문서 유형에서는 계산하지 않습니다. "
                "강사 검토나 모델 채점이 필요합니다."
            )
        elif auto == "sections" and not required_sections(doctype):
            entry["comment"] = _(
                "이 문서 유형에는 필수 항목이 정해져 있지 않아 계산할 수 없습니다."
            )
        elif computable and not lines:
            entry.update(score=0, comment=_("초안이 비어 있어 0점입니다."), computed=True)
        elif computable:
            if auto == "figures":
                outcome = check_figures(doctype, ex, text)
            else:
                outcome = CHECKS[auto](doctype, lines)
            entry.update(
                score=_scaled(max_score, outcome), comment=outcome.result.message, computed=True
            )
        criteria.append(entry)
    computed = [c for c in criteria if c["computed"]]
    total = sum(c["score"] for c in computed)
    max_total = sum(c["max_score"] for c in computed)
    left = [c["title"] for c in criteria if not c["computed"]]
    summary = _(
        "코치가 계산한 %(count)d개 기준: %(total)d/%(max_total)d점.",
        count=len(computed),
        total=total,
        max_total=max_total,
    )
    if left:
        summary += " " + _(
            "나머지 %(count)d개 기준(%(titles)s)은 점수를 매기지 않았습니다. "
            "강사 검토나 모델 채점이 필요합니다.",
            count=len(left),
            titles=", ".join(left),
        )
    result = {
        "criteria": criteria,
        "total": total,
        "max_total": max_total,
        "summary": summary,
        "source": "coach",
    }
    if figures_apply(doctype, ex) and lines:
        result["untraced_figures"] = untraced_figures(figure_traces(ex, text))
    return result


# --- the responder -------------------------------------------------------------------------

_OUTLINE_WORDS = ("개요", "목차", "구성", "뼈대", "아웃라인", "outline")
_GUARD_WORDS = ("개인정보", "마스킹", "가명", "주민등록")
_SCORE_WORDS = ("채점", "평가", "루브릭", "점수")
_CHECK_WORDS = ("점검", "검토", "확인", "체크", "첨삭")
_TOPIC_NOISE_RE = re.compile(
    r"(?:(?:에\s*대한|에\s*대해서?|에\s*관한|관련(?:해서|하여)?|으로)\s*)?"
    r"(?:개요|목차|구성|뼈대|아웃라인|outline)(?:안|를|을|이|가|도)?"
    r"|(?:만들어|작성해|짜|잡아|보여|알려|써|그려|정리해)\s*(?:줘|줄래|주세요|주십시오|주실래요|봐)?"
    r"|부탁(?:해|해요|합니다|드립니다|드려요)?|(?:해\s*)?주세요|좀|please",
    re.IGNORECASE,
)
_GREETING_RE = re.compile(r"^(?:안녕|도움|도와|뭐|무엇|\?|(?:hello|hi|help)\b)", re.IGNORECASE)
_LONG_TEXT_CHARS = 120


def _topic_from(message: str) -> str:
    flat = " ".join(message.split())
    parts = re.split(r"[:：]", flat, maxsplit=1)
    cleaned = [
        _TOPIC_NOISE_RE.sub(" ", p).strip(" .,!?~;\"'").strip() for p in reversed(parts) if p
    ]
    topic = next((c for c in cleaned if c), "")
    return " ".join(topic.split())[:60]


def _is_long_text(message: str) -> bool:
    return len(message) >= _LONG_TEXT_CHARS and message.count("\n") >= 2


def _without_request_line(message: str) -> str:
    first, _sep, rest = message.strip().partition("\n")
    asks = any(w in first for w in (*_CHECK_WORDS, *_SCORE_WORDS))
    return rest if asks and len(first) <= 40 and rest.strip() else message


def _check_reply(doctype: dict[str, Any], text: str, ex: dict[str, Any] | None = None) -> list[str]:
    results = check_draft(doctype, text)
    figures = figure_report(doctype, ex, text)
    manual = [
        str(c.get("text"))
        for c in checklist_of(doctype)
        if c.get("check") not in CHECK_IDS and c.get("text")
    ]
    if not results:
        out = [_("이 문서 유형에는 코치가 계산할 수 있는 점검이 없습니다.")]
    else:
        passed = sum(r.passed for r in results) + (figures is not None and figures[0])
        out = [
            _(
                "%(name)s 초안 점검: 통과 %(passed)d개, 보완 %(failed)d개",
                name=doctype.get("name") or "",
                passed=passed,
                failed=len(results) + (figures is not None) - passed,
            )
        ]
        for result in results:
            mark = _("[통과]") if result.passed else _("[보완]")
            out.append(f"{mark} {CHECK_LABELS[result.id]}: {result.message}")
    if figures is not None:
        out += figures[1]
    if manual:
        out += ["", _("직접 확인할 항목:"), *(f"- {m}" for m in manual)]
    return out


def _score_reply(doctype: dict[str, Any], ex: dict[str, Any], text: str) -> list[str]:
    feedback = rubric_feedback(doctype, ex, text)
    out = [
        _(
            "'%(title)s' 루브릭 중 코치가 계산할 수 있는 기준만 채점했습니다.",
            title=ex.get("title") or "",
        )
    ]
    for c in feedback["criteria"]:
        score = f"{c['score']}/{c['max_score']}" if c["computed"] else _("점수 없음")
        out.append(f"- {c['title']}: {score} — {c['comment']}")
    out += ["", feedback["summary"]]
    return out


def _guard_reply() -> list[str]:
    return [
        _(
            "모델로 보내기 전에 '가드'가 메시지를 검사합니다. 찾는 것: 주민등록번호(검증번호가 "
            "맞지 않아도 잡습니다. 2020년 10월 이후 번호는 끝자리가 임의 숫자이기 때문입니다), "
            "외국인등록번호, 여권번호, 운전면허번호, 휴대전화·일반전화 번호, 전자우편 주소, "
            "사업자등록번호, 계좌번호(계좌 관련 낱말 근처), 카드번호, 그리고 대외비·비공개·기밀 "
            "같은 보안 표시입니다."
        ),
        _(
            "찾은 곳은 표시되고, 가림(마스킹)을 해야만 보낼 수 있습니다. 외부 AI 서비스에 들어간 "
            "내용은 저장되거나 학습에 쓰일 수 있고 되돌릴 수 없기 때문입니다. 국가정보원의 생성형 "
            "AI 보안 가이드라인도 비공개 정보와 개인정보를 입력하지 말라고 권고합니다."
        ),
        _(
            "연습할 때는 실명 대신 '홍길동', 번호 대신 '010-0000-0000'처럼 가명과 가상 값을 "
            "쓰세요. 가드의 결정 기록에는 가린 일부만 남습니다."
        ),
    ]


def _help_lines(doctype: dict[str, Any], ex: dict[str, Any] | None) -> list[str]:
    out = [
        _(
            "지금은 AI 모델이 연결되어 있지 않아 내장 연습 코치가 답합니다. 코치는 글을 대신 "
            "써 주지 않고 %(name)s의 구성과 표기 습관을 연습하도록 돕습니다.",
            name=doctype.get("name") or "",
        ),
        _("- '개요: 주제' → 문서 뼈대 만들기"),
    ]
    checks = [str(CHECK_LABELS[c]) for c in applicable_checks(doctype)]
    if checks:
        out.append(_("- '점검' → 초안 점검(%(checks)s)", checks=", ".join(checks)))
    if ex is not None:
        out.append(_("- '채점' → 실습 과제 기준 중 계산 가능한 항목 채점"))
    out.append(_("- '개인정보' → 보내기 전 개인정보 점검(가드) 설명"))
    return out


def _outline_lines(doctype: dict[str, Any], topic: str) -> list[str]:
    return [
        _(
            "'%(topic)s' 주제로 %(name)s 개요를 만들었습니다. [작성] 부분을 채우세요.",
            topic=topic,
            name=doctype.get("name") or "",
        ),
        "",
        # The document part: "초안에 넣기" inserts this block and nothing else of the reply.
        document_block(outline(doctype, topic)),
        "",
        *_checklist_footer(doctype),
        _("다 쓰면 '점검'이라고 보내 주세요."),
    ]


def _last_user_message(messages: list[dict[str, str]]) -> str:
    for message in reversed(messages):
        if message.get("role") == "user":
            return str(message.get("content") or "")
    return ""


def respond(
    doctype: dict[str, Any],
    ex: dict[str, Any] | None,
    messages: list[dict[str, str]],
    draft_text: str = "",
) -> str:
    """The built-in coach's answer to the last user message (no model involved)."""
    message = _last_user_message(messages).strip()
    long_text = _is_long_text(message)
    # A pasted draft is read for its intent from its first line only: its own words
    # ("구성", "평가") must not steer the coach.
    asked = message.partition("\n")[0] if long_text else message
    request = asked.lower()

    def has(words: Sequence[str]) -> bool:
        return any(w in request for w in words)

    body: list[str]
    if has(_OUTLINE_WORDS) and not has(_CHECK_WORDS):
        topic = _topic_from(asked)
        body = _outline_lines(doctype, topic or (str(ex.get("title")) if ex else "") or _("(주제)"))
    elif has(_GUARD_WORDS):
        body = _guard_reply()
    elif has(_SCORE_WORDS) or has(_CHECK_WORDS) or long_text:
        text = _without_request_line(message) if long_text else draft_text
        if not text.strip():
            body = [_("점검할 초안이 없습니다. 초안 창에 쓰거나 메시지에 붙여 넣어 주세요.")]
        elif has(_SCORE_WORDS) and ex is not None:
            body = _score_reply(doctype, ex, text)
        elif has(_SCORE_WORDS):
            body = [_("이 대화는 실습 과제와 연결되어 있지 않아 채점 대신 점검합니다."), ""]
            body += _check_reply(doctype, text, ex)
        else:
            body = _check_reply(doctype, text, ex)
    else:
        body = _help_lines(doctype, ex)
        topic = _topic_from(message)
        if len(topic) >= 2 and not _GREETING_RE.match(topic):
            body += ["", *_outline_lines(doctype, topic)]
    return "\n".join([str(COACH_LABEL), *body]).rstrip()
