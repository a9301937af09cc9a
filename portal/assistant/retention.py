"""`flask retention purge`: sandbox conversations do not outlive the retention period.

Deleted: conversations whose last activity is older than ASSISTANT_RETENTION_DAYS (their
messages and ratings go with them) and drafts never submitted and untouched as long.
Kept: submitted exercise drafts and their submissions, guard events (masked excerpts
only; their link to the conversation is cleared) and every audit record.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, func, select, update

from portal.assistant.models import (
    AssistantMessage,
    Conversation,
    Draft,
    GuardEvent,
    MessageRating,
)
from portal.audit.operations import record
from portal.core.clock import utcnow
from portal.db import db

BATCH = 500


@dataclass(frozen=True)
class PurgeReport:
    conversations: int
    messages: int
    drafts: int


def due_count(retention_days: int) -> int:
    """How many conversations the purge would delete now."""
    cutoff = utcnow() - dt.timedelta(days=retention_days)
    return db.session.scalar(
        select(func.count()).select_from(Conversation).where(Conversation.last_activity_at < cutoff)
    )


def purge(retention_days: int, *, progress=None) -> PurgeReport:
    """Delete what is older than the retention, in batches; flushes, the caller commits."""
    if retention_days < 1:
        raise ValueError("retention_days must be at least 1")
    cutoff = utcnow() - dt.timedelta(days=retention_days)
    conversation_ids = list(
        db.session.scalars(
            select(Conversation.id)
            .where(Conversation.last_activity_at < cutoff)
            .order_by(Conversation.id)
        )
    )
    messages = 0
    for start in range(0, len(conversation_ids), BATCH):
        batch = conversation_ids[start : start + BATCH]
        message_ids = select(AssistantMessage.id).where(AssistantMessage.conversation_id.in_(batch))
        db.session.execute(delete(MessageRating).where(MessageRating.message_id.in_(message_ids)))
        messages += db.session.execute(
            delete(AssistantMessage).where(AssistantMessage.conversation_id.in_(batch))
        ).rowcount
        db.session.execute(
            update(GuardEvent)
            .where(GuardEvent.conversation_id.in_(batch))
            .values(conversation_id=None)
        )
        db.session.execute(delete(Conversation).where(Conversation.id.in_(batch)))
        if progress:
            progress(len(batch))
    stale_drafts = list(
        db.session.scalars(
            select(Draft.id).where(Draft.submitted_at.is_(None), Draft.updated_at < cutoff)
        )
    )
    drafts = 0
    for start in range(0, len(stale_drafts), BATCH):
        batch = stale_drafts[start : start + BATCH]
        # A draft's conversation, if still here, was active recently: detach it, keep it.
        db.session.execute(
            update(Conversation).where(Conversation.draft_id.in_(batch)).values(draft_id=None)
        )
        drafts += db.session.execute(delete(Draft).where(Draft.id.in_(batch))).rowcount
    db.session.flush()
    report = PurgeReport(len(conversation_ids), messages, drafts)
    if report.conversations or report.drafts:
        record(
            "assistant.retention_purged",
            details={
                "retention_days": retention_days,
                "conversations": report.conversations,
                "messages": report.messages,
                "drafts": report.drafts,
            },
        )
    return report
