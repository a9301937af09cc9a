"""`flask retention purge`: sandbox conversations do not outlive the retention period.

A workspace is a draft and its conversation; it is idle when neither has been touched for
ASSISTANT_RETENTION_DAYS (the later of the conversation's last message and the draft's
last save counts). Deleted: the conversation of an idle workspace (messages and ratings go
with it) and, unless it was submitted, its draft. Kept: submitted exercise drafts and their
submissions, guard events (masked excerpts only; their link to the conversation is
cleared) and every audit record. A workspace in use is never cut in half.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, func, or_, select, update

from portal.assistant.models import (
    AssistantMessage,
    Conversation,
    Draft,
    GuardEvent,
    MessageDay,
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


def _idle_conversations(cutoff: dt.datetime):
    """Conversations idle since cutoff whose draft (if any) is submitted or idle too."""
    return (
        select(Conversation.id)
        .outerjoin(Draft, Draft.id == Conversation.draft_id)
        .where(
            Conversation.last_activity_at < cutoff,
            or_(Draft.id.is_(None), Draft.submitted_at.is_not(None), Draft.updated_at < cutoff),
        )
    )


def _idle_drafts(cutoff: dt.datetime):
    """Unsubmitted drafts idle since cutoff whose conversation (if any) is idle too."""
    return (
        select(Draft.id)
        .outerjoin(Conversation, Conversation.draft_id == Draft.id)
        .where(
            Draft.submitted_at.is_(None),
            Draft.updated_at < cutoff,
            or_(Conversation.id.is_(None), Conversation.last_activity_at < cutoff),
        )
    )


def due_count(retention_days: int) -> int:
    """How many conversations the purge would delete now."""
    cutoff = utcnow() - dt.timedelta(days=retention_days)
    return db.session.scalar(
        select(func.count()).select_from(_idle_conversations(cutoff).subquery())
    )


def purge(retention_days: int, *, progress=None) -> PurgeReport:
    """Delete what is older than the retention, in batches; flushes, the caller commits."""
    if retention_days < 1:
        raise ValueError("retention_days must be at least 1")
    cutoff = utcnow() - dt.timedelta(days=retention_days)
    # Both lists are taken before anything is deleted, so each sees the other's rows.
    conversation_ids = list(
        db.session.scalars(_idle_conversations(cutoff).order_by(Conversation.id))
    )
    stale_drafts = list(db.session.scalars(_idle_drafts(cutoff).order_by(Draft.id)))
    messages = 0
    for start in range(0, len(conversation_ids), BATCH):
        batch = conversation_ids[start : start + BATCH]
        message_ids = select(AssistantMessage.id).where(AssistantMessage.conversation_id.in_(batch))
        db.session.execute(delete(MessageRating).where(MessageRating.message_id.in_(message_ids)))
        messages += db.session.execute(
            delete(AssistantMessage).where(AssistantMessage.conversation_id.in_(batch))
        ).rowcount
        # The messages' sums for the dashboards go with them (so does ON DELETE CASCADE).
        db.session.execute(delete(MessageDay).where(MessageDay.conversation_id.in_(batch)))
        db.session.execute(
            update(GuardEvent)
            .where(GuardEvent.conversation_id.in_(batch))
            .values(conversation_id=None)
        )
        db.session.execute(delete(Conversation).where(Conversation.id.in_(batch)))
        if progress:
            progress(len(batch))
    drafts = 0
    for start in range(0, len(stale_drafts), BATCH):
        batch = stale_drafts[start : start + BATCH]
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
