"""Survey answers and receipts, deliberately unlinked.

A receipt records *that* a person answered a session's survey (so they are not asked
twice, and a course that requires the survey can count it). A response records *what*
was answered, with no user, a random key instead of an ordered id, and only the date,
so neither the database nor a report can join the two.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import Base, intpk, utc_datetime


class SurveyReceipt(Base):
    __tablename__ = "survey_receipts"
    __table_args__ = (UniqueConstraint("session_id", "user_id"),)

    id: Mapped[intpk]
    session_id: Mapped[int] = mapped_column(
        ForeignKey("training_sessions.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    answered_at: Mapped[utc_datetime]


def scores(answers: Any) -> list[int]:
    """The answers that are scores: JSON integers from 1 to 5 (not booleans, floats or text)."""
    if not isinstance(answers, dict):
        return []
    return [v for v in answers.values() if type(v) is int and 1 <= v <= 5]


def _answer_total(context) -> int:
    return sum(scores(context.get_current_parameters().get("answers")))


def _answer_count(context) -> int:
    return len(scores(context.get_current_parameters().get("answers")))


class SurveyResponse(Base):
    __tablename__ = "survey_responses"
    # The dashboards sum satisfaction per session from these two columns, never by
    # unpacking every response's JSON on each request.
    __table_args__ = (
        Index("ix_survey_responses_session_scores", "session_id", "answer_total", "answer_count"),
    )

    # Random, so the insertion order of responses cannot be matched with receipts.
    key: Mapped[str] = mapped_column(String(32), primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("training_sessions.id", ondelete="CASCADE"), index=True
    )
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    # {question key: 1..5}
    answers: Mapped[dict[str, Any]] = mapped_column(JSON)
    # Filled from ``answers`` on insert (responses are never changed): the sum and the number
    # of its scores, as :func:`scores` reads them.
    answer_total: Mapped[int] = mapped_column(Integer, default=_answer_total, server_default="0")
    answer_count: Mapped[int] = mapped_column(Integer, default=_answer_count, server_default="0")
    comment: Mapped[str] = mapped_column(Text, server_default="", default="")
    answered_on: Mapped[dt.date] = mapped_column(Date)
