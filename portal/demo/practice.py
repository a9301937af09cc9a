"""Demo sandbox usage: policy acceptances, practice conversations with the offline coach,
guard events, drafts, submissions (some reviewed) and time-saved answers, spread over the
last four weeks, so the coordinators' figures and the instructor's review queue have
something to show.

The demo staff member D0004 is left as a new sandbox user (no acceptance, no work), so a
visitor sees the first-use policy. Everything here is fictional, and guard events hold only
masked excerpts, as real ones do.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from sqlalchemy import select

from portal.assistant.coach import replies
from portal.assistant.content.context import doc_type_dict, exercise_dict
from portal.assistant.guard import detect, masking
from portal.assistant.models import (
    AssistantMessage,
    Conversation,
    DataGrade,
    DocType,
    Draft,
    DraftVersion,
    Exercise,
    GuardDecision,
    GuardEvent,
    MessageRating,
    MessageStatus,
    PolicyAcceptance,
    Submission,
)
from portal.assistant.workspace.drafts import ai_share_percent
from portal.core.clock import utcnow
from portal.db import db
from portal.demo.sessions import INSTRUCTOR_NUMBER, demo_users, ordinary_staff

RANDOM_SEED = 2027
ACCEPTING_STAFF = 140
PRACTISING_STAFF = 45
# Fictional personal data the demo "pasted" and then masked: only the masked form is stored.
PASTED_SAMPLES = (
    "민원인 연락처 010-3141-5926 으로 회신 요청",
    "담당자 메일 minwon.demo@example.kr 로 자료 송부",
    "신청인 주민등록번호 850315-2345671 확인 후 처리",
)


@dataclass(frozen=True)
class PracticeSummary:
    acceptances: int
    workspaces: int
    submissions: int
    reviewed: int
    guard_events: int


def _topic(exercise: Exercise) -> str:
    return exercise.title.split(":")[0].strip()


def seed_practice(*, policy_version: str) -> PracticeSummary | None:
    """Runs in the caller's transaction after seed_sessions(); None without exercises."""
    exercises = list(
        db.session.scalars(select(Exercise).where(Exercise.is_active).order_by(Exercise.id))
    )
    if not exercises:
        return None
    doc_types = {d.id: d for d in db.session.scalars(select(DocType))}
    rng = random.Random(RANDOM_SEED)
    now = utcnow()
    staff = ordinary_staff()
    instructor = demo_users()[INSTRUCTOR_NUMBER]

    accepting = rng.sample(staff, min(ACCEPTING_STAFF, len(staff)))
    for user in accepting:
        db.session.add(
            PolicyAcceptance(
                user_id=user.id,
                policy_version=policy_version,
                accepted_at=now
                - dt.timedelta(days=rng.randint(1, 28), minutes=rng.randint(0, 600)),
            )
        )

    workspaces = submissions = reviewed = guard_events = 0
    for user in accepting[:PRACTISING_STAFF]:
        exercise = rng.choice(exercises)
        doc_type = doc_types[exercise.doc_type_id]
        dt_data, ex_data = doc_type_dict(doc_type), exercise_dict(exercise)
        started = now - dt.timedelta(days=rng.randint(1, 27), hours=rng.randint(0, 8))
        question = f"개요: {_topic(exercise)}"
        answer = replies.respond(dt_data, ex_data, [{"role": "user", "content": question}])
        outline = replies.outline(dt_data, _topic(exercise))
        segments = [{"text": outline + "\n", "ai": True}]
        if rng.random() < 0.7:
            segments.append({"text": "○ 관련 부서 협의 완료(2개 부서)\n", "ai": False})
        draft = Draft(
            user_id=user.id,
            doc_type_id=doc_type.id,
            doc_type_version=doc_type.version,
            exercise_id=exercise.id,
            exercise_version=exercise.version,
            title=exercise.title,
            segments=segments,
            body="".join(s["text"] for s in segments),
            revision=3,
            created_at=started,
            updated_at=started + dt.timedelta(minutes=25),
        )
        db.session.add(draft)
        db.session.flush()
        db.session.add(
            DraftVersion(
                draft_id=draft.id,
                number=1,
                reason="insert",
                segments=segments,
                body=draft.body,
                created_at=draft.updated_at,
            )
        )
        conversation = Conversation(
            user_id=user.id,
            department_id=user.department_id,
            draft_id=draft.id,
            data_grade=DataGrade.PUBLIC,
            model_key="offline",
            created_at=started,
            last_activity_at=started + dt.timedelta(minutes=10),
        )
        db.session.add(conversation)
        db.session.flush()
        db.session.add(
            AssistantMessage(
                conversation_id=conversation.id,
                role="user",
                content=question,
                created_at=started,
            )
        )
        reply = AssistantMessage(
            conversation_id=conversation.id,
            role="assistant",
            content=answer,
            status=MessageStatus.COMPLETE,
            model_key="offline",
            created_at=started,
            finished_at=started + dt.timedelta(seconds=1),
        )
        db.session.add(reply)
        db.session.flush()
        workspaces += 1
        if rng.random() < 0.6:
            db.session.add(
                MessageRating(
                    message_id=reply.id,
                    score=rng.choice([3, 4, 4, 5, 5]),
                    reasons=rng.choice([["well_structured"], ["saved_time"], []]),
                    created_at=started + dt.timedelta(minutes=2),
                )
            )
        if rng.random() < 0.35:
            sample = rng.choice(PASTED_SAMPLES)
            findings = [f for f in detect.scan(sample) if f.is_personal]
            for decision in (GuardDecision.BLOCKED, GuardDecision.MASKED):
                db.session.add(
                    GuardEvent(
                        user_id=user.id,
                        department_id=user.department_id,
                        conversation_id=conversation.id,
                        decision=decision,
                        kinds=sorted({f.kind for f in findings}),
                        masked_excerpt=masking.masked_excerpt(sample, findings),
                        created_at=started + dt.timedelta(minutes=3),
                    )
                )
                guard_events += 1
        if rng.random() < 0.6:
            submitted = draft.updated_at + dt.timedelta(minutes=5)
            draft.submitted_at = submitted
            submission = Submission(
                draft_id=draft.id,
                exercise_id=exercise.id,
                exercise_version=exercise.version,
                user_id=user.id,
                body=draft.body,
                ai_share_percent=ai_share_percent(segments),
                submitted_at=submitted,
                minutes_spent=rng.randint(20, 50),
                rubric_status="computed",
                rubric_result=replies.rubric_feedback(dt_data, ex_data, draft.body),
                rubric_model_key="offline",
            )
            if rng.random() < 0.8:
                submission.minutes_without_ai = submission.minutes_spent + rng.randint(20, 120)
            if rng.random() < 0.5:
                submission.review_score = rng.randint(70, 95)
                submission.review_comment = (
                    "구성이 잘 갖춰졌습니다. 수치의 출처를 한 번 더 확인하세요."
                )
                submission.review_passed = submission.review_score >= 75
                submission.reviewer_id = instructor.id
                submission.reviewed_at = submitted + dt.timedelta(days=1)
                reviewed += 1
            db.session.add(submission)
            submissions += 1
    db.session.flush()
    return PracticeSummary(
        acceptances=len(accepting),
        workspaces=workspaces,
        submissions=submissions,
        reviewed=reviewed,
        guard_events=guard_events,
    )
