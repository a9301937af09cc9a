"""Answering a session's satisfaction survey: who may, and the anonymous write.

A person may answer once per session, after the session has ended, when they were
enrolled (수강 확정) in it, attended it (a 출석 or 지각 mark on at least one day), the
session was not cancelled and its course asks questions.
Answering writes two rows in one savepoint: a :class:`SurveyReceipt` (the person and the
session: "has answered") and a :class:`SurveyResponse` (the answers under a random key,
with the date only). Nothing ties one to the other, so no report or query can tell who
gave which answers. The receipt's unique (session, user) makes a double submission (two
tabs, a double click) harmless: the second one is refused and writes nothing.
Operations flush and never commit.
"""

from __future__ import annotations

import enum
import secrets
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.assistant.guard.detect import personal_findings, scan
from portal.attendance import completion
from portal.catalog.models import Course
from portal.core.clock import today_in_seoul, utcnow
from portal.db import db
from portal.enrollment.models import Enrollment, EnrollmentStatus
from portal.scheduling.models import SessionStatus, TrainingSession
from portal.surveys.models import SurveyReceipt, SurveyResponse

SCALE = (1, 2, 3, 4, 5)
COMMENT_MAX = 1000


class Refusal(enum.StrEnum):
    CANCELLED = "cancelled"
    NOT_ENDED = "not_ended"
    NOT_ATTENDED = "not_attended"
    NO_QUESTIONS = "no_questions"
    ANSWERED = "answered"


class NotEligible(Exception):
    """The session's survey is not this person's to answer (the view answers 404)."""


class SurveyRefused(Exception):
    """The person may see the survey page, but cannot answer now; ``str()`` is Korean."""

    def __init__(self, reason: Refusal):
        self.reason = reason
        super().__init__(refusal_message(reason))


class InvalidAnswers(Exception):
    """The submitted answers do not fit the course's questions; ``str()`` is Korean."""


def refusal_message(reason: Refusal) -> str:
    if reason is Refusal.CANCELLED:
        return _("취소된 차수라 만족도 조사가 없습니다.")
    if reason is Refusal.NOT_ENDED:
        return _("교육이 끝난 뒤에 응답할 수 있습니다.")
    if reason is Refusal.NOT_ATTENDED:
        return _(
            "만족도 조사는 교육에 출석한 분만 응답할 수 있습니다. 출석 기록이 없습니다. "
            "기록이 잘못되었다면 교육 담당자에게 문의해 주세요."
        )
    if reason is Refusal.NO_QUESTIONS:
        return _("이 과정에는 만족도 조사가 없습니다.")
    return _("이미 응답하셨습니다. 참여해 주셔서 감사합니다.")


@dataclass(frozen=True)
class SurveyTarget:
    """A session whose survey the person may see, and why they cannot answer (if so)."""

    session: TrainingSession
    course: Course
    refusal: Refusal | None

    @property
    def questions(self) -> list[dict[str, Any]]:
        return list(self.course.survey_questions or [])


def _has_ended(session: TrainingSession) -> bool:
    return session.status is SessionStatus.FINISHED or session.ends_at <= utcnow()


def survey_for(session_id: int, user_id: int) -> SurveyTarget:
    """The survey of a session the person was enrolled in; NotEligible for anyone else."""
    row = db.session.execute(
        select(TrainingSession, Course, Enrollment.status)
        .join(Course, Course.id == TrainingSession.course_id)
        .join(
            Enrollment,
            (Enrollment.session_id == TrainingSession.id) & (Enrollment.user_id == user_id),
        )
        .where(TrainingSession.id == session_id)
    ).one_or_none()
    if row is None or row.status is not EnrollmentStatus.ENROLLED:
        # Waitlisted, cancelled or declined people never sat in the class.
        raise NotEligible
    session, course = row.TrainingSession, row.Course
    refusal = None
    if session.status is SessionStatus.CANCELLED:
        refusal = Refusal.CANCELLED
    elif not course.survey_questions:
        refusal = Refusal.NO_QUESTIONS
    elif not _has_ended(session):
        refusal = Refusal.NOT_ENDED
    elif not db.session.scalar(select(completion.attended(session_id, user_id))):
        # Marked absent (or excused) on every day, or never marked: not in the class.
        refusal = Refusal.NOT_ATTENDED
    elif db.session.scalar(
        select(SurveyReceipt.id).where(
            SurveyReceipt.session_id == session_id, SurveyReceipt.user_id == user_id
        )
    ):
        refusal = Refusal.ANSWERED
    return SurveyTarget(session=session, course=course, refusal=refusal)


def clean_comment(comment: str) -> str:
    """The comment as stored: line endings normalised, outer blank space removed.

    Refuses (InvalidAnswers) a comment that is too long or seems to hold personal data
    (a phone number, an e-mail address, a resident registration number …): comments are
    shown to coordinators, and an anonymous answer should not name anyone.
    Control characters never get this far (the input policy refuses them).
    """
    text = (comment or "").replace("\r\n", "\n").replace("\r", "\n").strip()
    if len(text) > COMMENT_MAX:
        raise InvalidAnswers(_("의견은 %(n)d자 이하로 써 주세요.", n=COMMENT_MAX))
    if text and personal_findings(scan(text)):
        raise InvalidAnswers(
            _(
                "의견에 개인정보(전화번호, 이메일, 주민등록번호 등)로 보이는 내용이 있습니다. "
                "지우고 다시 제출해 주세요."
            )
        )
    return text


def submit(session_id: int, user_id: int, answers: dict[str, int], comment: str) -> None:
    """Record one anonymous answer to the session's survey (flush, no commit).

    Raises NotEligible (not this person's survey), SurveyRefused (cancelled, not ended,
    not attended, no questions, already answered) or InvalidAnswers (an answer missing or out of 1–5,
    a comment too long or holding personal data); nothing is written then.
    """
    target = survey_for(session_id, user_id)
    if target.refusal is not None:
        raise SurveyRefused(target.refusal)
    keys = [question["key"] for question in target.questions]
    if set(answers) != set(keys) or any(
        isinstance(value, bool) or value not in SCALE for value in answers.values()
    ):
        raise InvalidAnswers(_("모든 문항에 1~5 가운데 하나를 골라 주세요."))
    text = clean_comment(comment)
    receipt = SurveyReceipt(session_id=session_id, user_id=user_id, answered_at=utcnow())
    response = SurveyResponse(
        # Random, never ordered: the response cannot be matched to its receipt by key.
        key=secrets.token_hex(16),
        session_id=session_id,
        course_id=target.course.id,
        answers={key: int(answers[key]) for key in keys},
        comment=text,
        # The date only: a time of day could be matched with the receipt's.
        answered_on=today_in_seoul(),
    )
    try:
        with db.session.begin_nested():  # two tabs at once: the first answer counts
            db.session.add(receipt)
            db.session.flush()
            db.session.add(response)
    except IntegrityError:
        raise SurveyRefused(Refusal.ANSWERED) from None
    # A course that requires the survey may now complete this person.
    completion.refresh(session_id, [user_id])
