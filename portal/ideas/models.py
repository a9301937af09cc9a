"""AI service ideas, their history, consulting slots and consulting outcomes (issue 12).

The workflow itself (which status may follow which) is in :mod:`portal.ideas.operations`.
"""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import Base, UTCDateTime, intpk, str_enum, utc_datetime


class IdeaStatus(enum.StrEnum):
    RECEIVED = "received"  # 접수
    REVIEWING = "reviewing"  # 검토 중
    CONSULTING = "consulting"  # 컨설팅 배정
    DONE = "done"  # 완료
    ON_HOLD = "on_hold"  # 보류


class IdeaDataGrade(enum.StrEnum):
    """The grade of the data the service would use (N2SF style, as in the sandbox)."""

    PUBLIC = "public"  # 공개
    SENSITIVE = "sensitive"  # 민감
    CONFIDENTIAL = "confidential"  # 기밀


class NextStep(enum.StrEnum):
    PILOT = "pilot"  # 시범 운영
    DATA_PREPARATION = "data_preparation"  # 데이터 준비
    NOT_FEASIBLE = "not_feasible"  # 추진 어려움


class IdeaEventKind(enum.StrEnum):
    SUBMITTED = "submitted"
    EDITED = "edited"
    STATUS = "status"
    BOOKED = "booked"
    RELEASED = "released"  # a booking let go when the idea left 컨설팅 배정
    OUTCOME = "outcome"


class Idea(Base):
    __tablename__ = "ideas"
    __table_args__ = (
        CheckConstraint(
            "effect_hours_saved IS NULL OR effect_hours_saved >= 0", name="hours_not_negative"
        ),
        CheckConstraint(
            "effect_people_served IS NULL OR effect_people_served >= 0",
            name="people_not_negative",
        ),
    )

    id: Mapped[intpk]
    submitter_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("departments.id", ondelete="RESTRICT"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    problem: Mapped[str] = mapped_column(Text)
    current_process: Mapped[str] = mapped_column(Text)
    data_description: Mapped[str] = mapped_column(Text)
    data_grade: Mapped[IdeaDataGrade] = mapped_column(str_enum(IdeaDataGrade))
    # Expected effect: hours saved per year, people served (either may be unknown).
    effect_hours_saved: Mapped[int | None] = mapped_column(Integer)
    effect_people_served: Mapped[int | None] = mapped_column(Integer)
    share: Mapped[bool] = mapped_column(Boolean, server_default=false(), default=False)
    status: Mapped[IdeaStatus] = mapped_column(
        str_enum(IdeaStatus), server_default=IdeaStatus.RECEIVED.value, index=True
    )
    source_draft_id: Mapped[int | None] = mapped_column(
        ForeignKey("assistant_drafts.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[utc_datetime]
    updated_at: Mapped[utc_datetime]


class IdeaEvent(Base):
    """One line of an idea's history: submitted, edited, a status change, a booking, an outcome."""

    __tablename__ = "idea_events"

    id: Mapped[intpk]
    idea_id: Mapped[int] = mapped_column(ForeignKey("ideas.id", ondelete="CASCADE"), index=True)
    kind: Mapped[IdeaEventKind] = mapped_column(str_enum(IdeaEventKind))
    from_status: Mapped[IdeaStatus | None] = mapped_column(str_enum(IdeaStatus))
    to_status: Mapped[IdeaStatus | None] = mapped_column(str_enum(IdeaStatus))
    reason: Mapped[str] = mapped_column(Text, server_default="", default="")
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    at: Mapped[utc_datetime]


class ConsultingSlot(Base):
    """A meeting time with a consultant: an instructor of the portal, or an outside expert.

    ``offered_for_idea_id`` reserves the slot for one idea; NULL offers it to any idea in
    컨설팅 배정. ``booked_idea_id`` is taken with a conditional UPDATE (see operations.book).
    """

    __tablename__ = "consulting_slots"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint(
            "consultant_user_id IS NOT NULL OR consultant_name <> ''", name="has_consultant"
        ),
    )

    id: Mapped[intpk]
    starts_at: Mapped[utc_datetime] = mapped_column(index=True)
    ends_at: Mapped[utc_datetime]
    place: Mapped[str] = mapped_column(String(200), server_default="", default="")
    online_url: Mapped[str] = mapped_column(String(500), server_default="", default="")
    consultant_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    consultant_name: Mapped[str] = mapped_column(String(50), server_default="", default="")
    consultant_org: Mapped[str] = mapped_column(String(100), server_default="", default="")
    offered_for_idea_id: Mapped[int | None] = mapped_column(
        ForeignKey("ideas.id", ondelete="CASCADE"), index=True
    )
    booked_idea_id: Mapped[int | None] = mapped_column(
        ForeignKey("ideas.id", ondelete="SET NULL"), index=True
    )
    booked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    reminded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[utc_datetime]
    updated_at: Mapped[utc_datetime]


class ConsultingOutcome(Base):
    __tablename__ = "consulting_outcomes"

    id: Mapped[intpk]
    idea_id: Mapped[int] = mapped_column(ForeignKey("ideas.id", ondelete="CASCADE"), index=True)
    slot_id: Mapped[int | None] = mapped_column(
        ForeignKey("consulting_slots.id", ondelete="SET NULL"), unique=True
    )
    advice: Mapped[str] = mapped_column(Text)
    next_step: Mapped[NextStep] = mapped_column(str_enum(NextStep))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    at: Mapped[utc_datetime]
