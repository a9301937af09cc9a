"""Drafts: the editor's segments, autosave with a version history, and restore.

A draft is kept as segments (``{"text", "ai"}``): text inserted from an answer stays marked
as AI text until the user rewrites it. The editor (static/js/assistant.js) unmarks only the
words the user changed, so one corrected word leaves the rest of an inserted block marked,
and :func:`ai_share_percent` counts what the AI wrote and nobody changed since.

A save names the revision it was based on; one conditional UPDATE moves the revision on,
so of two tabs saving at once exactly one wins.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select, update

from portal.assistant.errors import SandboxError
from portal.assistant.models import Draft, DraftVersion
from portal.core.clock import utcnow
from portal.core.templating import thousands
from portal.db import db

MAX_DRAFT_CHARS = 100_000
# Every word edited inside an inserted block splits it: room for a thoroughly edited draft.
MAX_SEGMENTS = 10_000
# Autosaves closer together than this update the newest version instead of adding one.
VERSION_INTERVAL = dt.timedelta(minutes=5)


def clean_segments(raw: Any) -> list[dict[str, Any]]:
    """Validate the editor's segments; merge neighbours with the same mark; drop empties."""
    if not isinstance(raw, list) or len(raw) > MAX_SEGMENTS:
        raise SandboxError(
            _("초안 형식이 올바르지 않습니다. 페이지를 새로 고친 뒤 다시 시도하세요.")
        )
    cleaned: list[dict[str, Any]] = []
    total = 0
    for item in raw:
        if (
            not isinstance(item, dict)
            or not isinstance(item.get("text"), str)
            or not isinstance(item.get("ai", False), bool)
        ):
            raise SandboxError(
                _("초안 형식이 올바르지 않습니다. 페이지를 새로 고친 뒤 다시 시도하세요.")
            )
        text = item["text"].replace("\r\n", "\n").replace("\x00", "")
        if not text:
            continue
        total += len(text)
        ai = bool(item.get("ai", False))
        if cleaned and cleaned[-1]["ai"] == ai:
            cleaned[-1]["text"] += text
        else:
            cleaned.append({"text": text, "ai": ai})
    if total > MAX_DRAFT_CHARS:
        raise SandboxError(
            _(
                "초안이 너무 깁니다. %(limit)s자 이하로 줄여 주세요.",
                limit=thousands(MAX_DRAFT_CHARS),
            )
        )
    return cleaned


def _letters(text: str) -> int:
    return len(text) - sum(ch.isspace() for ch in text)


def ai_share_percent(segments: list[dict[str, Any]]) -> int:
    """The share of the draft's characters that the AI wrote and nobody has changed since.

    White space is not counted, so the line breaks around an inserted block, indentation
    and blank lines weigh nothing either way. Rounded, except that 0 and 100 are kept for
    exactly none and exactly all.
    """
    total = sum(_letters(s["text"]) for s in segments)
    if not total:
        return 0
    ai = sum(_letters(s["text"]) for s in segments if s["ai"])
    # 0 and 100 mean exactly none and all: one changed word keeps 100 from showing.
    return min(max(round(100 * ai / total), 1 if ai else 0), 99 if ai < total else 100)


def _latest_version(draft_id: int) -> DraftVersion | None:
    return db.session.scalar(
        select(DraftVersion)
        .where(DraftVersion.draft_id == draft_id)
        .order_by(DraftVersion.number.desc())
        .limit(1)
    )


def _add_version(draft: Draft, reason: str) -> DraftVersion:
    latest = _latest_version(draft.id)
    now = utcnow()
    if (
        reason == "autosave"
        and latest is not None
        and latest.reason == "autosave"
        and now - latest.created_at < VERSION_INTERVAL
    ):
        latest.segments = draft.segments
        latest.body = draft.body
        return latest
    version = DraftVersion(
        draft_id=draft.id,
        number=(latest.number + 1) if latest else 1,
        reason=reason,
        segments=draft.segments,
        body=draft.body,
        created_at=now,
    )
    db.session.add(version)
    return version


def save_draft(draft: Draft, raw_segments: Any, base_revision: int, reason: str) -> Draft:
    """Save the editor's content, refusing to overwrite a newer save from another tab."""
    if draft.submitted_at is not None:
        raise SandboxError(_("제출한 초안은 고칠 수 없습니다."), status=409)
    if reason not in {"autosave", "insert", "manual"}:
        reason = "autosave"
    if base_revision != draft.revision:
        raise SandboxError(
            _(
                "다른 창에서 이 초안이 먼저 저장되었습니다. 지금 내용을 복사해 두고 페이지를 "
                "새로 고치세요."
            ),
            status=409,
        )
    segments = clean_segments(raw_segments)
    if segments == draft.segments:
        return draft
    _claim_revision(draft, base_revision)
    draft.segments = segments
    draft.body = "".join(s["text"] for s in segments)
    draft.updated_at = utcnow()
    _add_version(draft, reason)
    db.session.flush()
    return draft


def _claim_revision(draft: Draft, base_revision: int) -> None:
    """Move the draft to the next revision only if nobody saved since base_revision.

    One conditional UPDATE, so of two tabs saving at once exactly one wins (the other gets
    the conflict message), on PostgreSQL as on SQLite.
    """
    claimed = db.session.execute(
        update(Draft)
        .where(Draft.id == draft.id, Draft.revision == base_revision)
        .values(revision=Draft.revision + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        raise SandboxError(
            _(
                "다른 창에서 이 초안이 먼저 저장되었습니다. 지금 내용을 복사해 두고 페이지를 "
                "새로 고치세요."
            ),
            status=409,
        )
    draft.revision = base_revision + 1


def draft_versions(draft_id: int) -> list[DraftVersion]:
    return list(
        db.session.scalars(
            select(DraftVersion)
            .where(DraftVersion.draft_id == draft_id)
            .order_by(DraftVersion.number.desc())
        )
    )


def restore_version(draft: Draft, number: int) -> Draft:
    if draft.submitted_at is not None:
        raise SandboxError(_("제출한 초안은 고칠 수 없습니다."), status=409)
    version = db.session.scalar(
        select(DraftVersion).where(DraftVersion.draft_id == draft.id, DraftVersion.number == number)
    )
    if version is None:
        raise SandboxError(_("그런 버전이 없습니다."), status=404)
    _claim_revision(draft, draft.revision)
    draft.segments = list(version.segments)
    draft.body = version.body
    draft.updated_at = utcnow()
    _add_version(draft, "restore")
    db.session.flush()
    return draft


def version_count(draft_id: int) -> int:
    return db.session.scalar(
        select(func.count()).select_from(DraftVersion).where(DraftVersion.draft_id == draft_id)
    )
