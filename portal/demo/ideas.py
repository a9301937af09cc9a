"""Demo AI service ideas (issue 12): a handful of staff ideas along the whole workflow.

Modelled on Sejong City's own AI push (기획보고서 drafting, 번역, 아이디어 발굴 and a 초거대 AI
platform): ideas from several departments, in every status, most shared on the board and
one kept private. One idea is in 컨설팅 배정 with an upcoming consulting time booked with an
outside expert; one is 완료 after a consultation with the demo instructor (D0003) that
recommended a pilot, so the coordinators' overview shows pilot hours saved.

The rows are written as the ideas operations would leave them (status, history, slot,
outcome) but without auditing or notifying anybody: nobody did these things, and the demo's
audit log and outbox stay as the seed's tests expect. The demo staff member D0004 has no
idea, so a visitor submits the first one; no open consulting time is left unbooked, so the
only time D0004 can book is one a coordinator offers.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from portal.core.clock import SEOUL, utcnow
from portal.db import db
from portal.demo.sessions import COORDINATOR_NUMBER, INSTRUCTOR_NUMBER, demo_users
from portal.ideas.models import (
    ConsultingOutcome,
    ConsultingSlot,
    Idea,
    IdeaDataGrade,
    IdeaEvent,
    IdeaEventKind,
    IdeaStatus,
    NextStep,
)
from portal.org.models import Department
from portal.users.models import Role, User

S = IdeaStatus


@dataclass(frozen=True)
class Consulting:
    """A consultation: days from today (negative: held already), the expert, the result."""

    in_days: int
    place: str
    online_url: str = ""
    expert_name: str = ""  # empty: the demo instructor consults
    expert_org: str = ""
    advice: str = ""
    next_step: NextStep | None = None


@dataclass(frozen=True)
class IdeaPlan:
    division: str
    title: str
    problem: str
    current_process: str
    data_description: str
    data_grade: IdeaDataGrade
    hours_saved: int | None
    people_served: int | None
    share: bool
    submitted_days_ago: int
    # (status, reason) in order after 접수, a few days apart.
    steps: tuple[tuple[IdeaStatus, str], ...] = ()
    consulting: Consulting | None = None


IDEAS: tuple[IdeaPlan, ...] = (
    IdeaPlan(
        division="기획예산과",
        title="기획보고서 초안 작성 도우미",
        problem="주간·월간 기획보고서를 쓸 때마다 개요를 잡고 배경·현황을 정리하는 데 건당 3~4시간이 듭니다.",
        current_process="담당자가 지난 보고서와 통계를 찾아 한글 문서에 옮겨 적고 과장 검토를 두세 번 받습니다.",
        data_description="시 누리집에 공개된 보고서·보도자료, 공공데이터포털의 시정 통계",
        data_grade=IdeaDataGrade.PUBLIC,
        hours_saved=1200,
        people_served=120,
        share=True,
        submitted_days_ago=46,
        steps=(
            (S.REVIEWING, "실·국 공통 업무라 효과가 큽니다. 검토를 시작합니다."),
            (S.CONSULTING, "보고서 양식과 검증 절차를 전문가와 정해 보겠습니다."),
        ),
        consulting=Consulting(
            in_days=-25,
            place="세종시청 4층 디지털정책과 회의실",
            advice=(
                "공개 자료만 쓰는 초안 작성부터 시작하고, 수치는 원 자료와 대조하는 검증 "
                "체크리스트를 보고서 양식에 넣으세요. 기획예산과 2개 팀에서 8주 시범 운영을 권합니다."
            ),
            next_step=NextStep.PILOT,
        ),
    ),
    IdeaPlan(
        division="관광진흥과",
        title="외국어 관광·민원 안내문 번역 서비스",
        problem="축제·관광 안내문과 민원 안내문을 영어·중국어·베트남어로 낼 때 외부 번역에 1~2주가 걸립니다.",
        current_process="국문 안내문을 확정한 뒤 번역 업체에 맡기고, 돌아온 번역문을 담당자가 다시 확인합니다.",
        data_description="공개 예정인 국문 안내문, 시의 외국어 용어집",
        data_grade=IdeaDataGrade.PUBLIC,
        hours_saved=400,
        people_served=3000,
        share=True,
        submitted_days_ago=21,
        steps=(
            (S.REVIEWING, "외국인 주민 대상 안내와 함께 검토합니다."),
            (S.CONSULTING, "번역 품질 검증 방법을 외부 전문가와 상의하겠습니다."),
        ),
        consulting=Consulting(
            in_days=6,
            place="세종시청 5층 스마트회의실",
            expert_name="서민준",
            expert_org="한국지능정보사회진흥원",
        ),
    ),
    IdeaPlan(
        division="디지털정책과",
        title="초거대 AI 행정 플랫폼 활용 아이디어 발굴",
        problem="부서마다 초거대 AI를 어디에 쓸지 몰라 아이디어가 모이지 않고 같은 시도를 되풀이합니다.",
        current_process="연 1회 공모로 아이디어를 받고 부서 의견을 메일로 모읍니다.",
        data_description="부서별 업무 분장표(공개), 지난 공모 결과",
        data_grade=IdeaDataGrade.PUBLIC,
        hours_saved=300,
        people_served=2000,
        share=True,
        submitted_days_ago=4,
    ),
    IdeaPlan(
        division="행정지원과",
        title="회의록 요약과 후속 조치 정리",
        problem="부서 회의가 끝나면 회의록 정리와 후속 조치 목록 작성에 주 3시간쯤 듭니다.",
        current_process="녹음을 다시 듣고 손으로 요약한 뒤 담당자별 할 일을 메일로 보냅니다.",
        data_description="내부 회의 녹취(비공개, 민감 정보 없음)",
        data_grade=IdeaDataGrade.SENSITIVE,
        hours_saved=150,
        people_served=40,
        share=True,
        submitted_days_ago=12,
        steps=((S.REVIEWING, "녹취 자료를 어디서 처리할지 정보보안 담당과 확인합니다."),),
    ),
    IdeaPlan(
        division="교통과",
        title="공공자전거 이용 통계 보고서 자동 작성",
        problem="매달 공공자전거 이용 통계를 정리해 보고서를 쓰는 데 하루가 걸립니다.",
        current_process="대여 시스템에서 내려받은 통계를 엑셀로 가공해 표와 그림을 만듭니다.",
        data_description="공공데이터포털의 공공자전거 대여 이력(개인 식별 정보 없음)",
        data_grade=IdeaDataGrade.PUBLIC,
        hours_saved=96,
        people_served=None,
        share=True,
        submitted_days_ago=9,
        steps=((S.REVIEWING, "통계 항목을 정해 주시면 검토하겠습니다."),),
    ),
    IdeaPlan(
        division="복지정책과",
        title="복지 상담 기록 요약",
        problem="상담 기록이 길어 다음 상담 전에 지난 내용을 파악하는 데 시간이 걸립니다.",
        current_process="상담원이 시스템에서 지난 기록을 모두 읽고 메모합니다.",
        data_description="복지 상담 기록(개인정보 포함, 포털 밖 내부망에서만 처리)",
        data_grade=IdeaDataGrade.SENSITIVE,
        hours_saved=600,
        people_served=800,
        share=False,
        submitted_days_ago=30,
        steps=(
            (S.REVIEWING, "개인정보 처리 방식을 먼저 확인해야 합니다."),
            (S.ON_HOLD, "내부망 AI 환경이 갖춰진 뒤 다시 검토합니다."),
        ),
    ),
)


@dataclass(frozen=True)
class IdeasSummary:
    ideas: int
    shared: int
    booked: int
    pilots: int


def _at(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=SEOUL).astimezone(dt.UTC)


def _working_day(day: dt.date, step: int) -> dt.date:
    """``day`` itself on a weekday, else the nearest weekday in the direction of ``step``."""
    while day.weekday() >= 5:
        day += dt.timedelta(days=step)
    return day


def _submitter(division: Department, taken: set[int]) -> User | None:
    """An ordinary staff member of the 과 (or one of its teams), never a demo account."""
    teams = select(Department.id).where(Department.parent_id == division.id)
    user = db.session.scalar(
        select(User)
        .where(
            User.role == Role.STAFF,
            User.is_active.is_(True),
            User.password_hash.is_(None),
            User.id.not_in(taken or {0}),
            (User.department_id == division.id) | User.department_id.in_(teams),
        )
        .order_by(User.id)
        .limit(1)
    )
    return user


def seed_ideas(*, today: dt.date) -> IdeasSummary:
    """Runs in the caller's transaction after seed_demo() (flushed, not committed)."""
    people = demo_users()
    coordinator, instructor = people[COORDINATOR_NUMBER], people[INSTRUCTOR_NUMBER]
    divisions = {
        d.name: d
        for d in db.session.scalars(
            select(Department).where(Department.name.in_({p.division for p in IDEAS}))
        )
    }
    now = utcnow()
    taken: set[int] = set()
    made = shared = booked = pilots = 0
    for plan in IDEAS:
        division = divisions.get(plan.division)
        submitter = _submitter(division, taken) if division else None
        if submitter is None:
            continue
        taken.add(submitter.id)
        at = _at(_working_day(today - dt.timedelta(days=plan.submitted_days_ago), 1), 10)
        idea = Idea(
            submitter_id=submitter.id,
            department_id=division.id,
            title=plan.title,
            problem=plan.problem,
            current_process=plan.current_process,
            data_description=plan.data_description,
            data_grade=plan.data_grade,
            effect_hours_saved=plan.hours_saved,
            effect_people_served=plan.people_served,
            share=plan.share,
            status=S.RECEIVED,
            created_at=at,
            updated_at=at,
        )
        db.session.add(idea)
        db.session.flush()
        events = [
            IdeaEvent(
                idea_id=idea.id, kind=IdeaEventKind.SUBMITTED, actor_id=submitter.id,
                to_status=S.RECEIVED, at=at,
            )
        ]  # fmt: skip
        for status, reason in plan.steps:
            at = min(at + dt.timedelta(days=2, hours=3), now)
            events.append(
                IdeaEvent(
                    idea_id=idea.id, kind=IdeaEventKind.STATUS, actor_id=coordinator.id,
                    from_status=idea.status, to_status=status, reason=reason, at=at,
                )
            )  # fmt: skip
            idea.status = status
        if plan.consulting is not None:
            at = min(at + dt.timedelta(hours=5), now)
            events += _consultation(idea, plan.consulting, today, at, coordinator, instructor)
            booked += 1
            pilots += plan.consulting.next_step is NextStep.PILOT
        idea.updated_at = max(e.at for e in events)
        db.session.add_all(events)
        made += 1
        shared += plan.share
    db.session.flush()
    return IdeasSummary(ideas=made, shared=shared, booked=booked, pilots=pilots)


def _consultation(
    idea: Idea,
    plan: Consulting,
    today: dt.date,
    booked_at: dt.datetime,
    coordinator: User,
    instructor: User,
) -> list[IdeaEvent]:
    """The slot the coordinator offered, its booking and, once held, its outcome."""
    day = _working_day(today + dt.timedelta(days=plan.in_days), 1 if plan.in_days > 0 else -1)
    starts = _at(day, 14)
    slot = ConsultingSlot(
        starts_at=starts,
        ends_at=starts + dt.timedelta(hours=1),
        place=plan.place,
        online_url=plan.online_url,
        consultant_user_id=None if plan.expert_name else instructor.id,
        consultant_name=plan.expert_name,
        consultant_org=plan.expert_org,
        offered_for_idea_id=idea.id,
        booked_idea_id=idea.id,
        booked_at=booked_at,
        # A held consultation was reminded the day before, as `flask ideas remind` does.
        reminded_at=starts - dt.timedelta(days=1) if plan.in_days < 0 else None,
        created_by_id=coordinator.id,
        created_at=booked_at - dt.timedelta(hours=2),
        updated_at=booked_at,
    )
    db.session.add(slot)
    db.session.flush()
    events = [
        IdeaEvent(
            idea_id=idea.id, kind=IdeaEventKind.BOOKED, actor_id=idea.submitter_id, at=booked_at
        )
    ]
    if plan.next_step is None:
        return events
    recorded = slot.ends_at + dt.timedelta(hours=2)
    db.session.add(
        ConsultingOutcome(
            idea_id=idea.id,
            slot_id=slot.id,
            advice=plan.advice,
            next_step=plan.next_step,
            recorded_by_id=instructor.id,
            at=recorded,
        )
    )
    events.append(
        IdeaEvent(
            idea_id=idea.id, kind=IdeaEventKind.OUTCOME, actor_id=instructor.id,
            reason=plan.next_step.value, at=recorded,
        )
    )  # fmt: skip
    if idea.status is S.CONSULTING:
        # As record_outcome does: the outcome finishes an idea in 컨설팅 배정.
        events.append(
            IdeaEvent(
                idea_id=idea.id, kind=IdeaEventKind.STATUS, actor_id=instructor.id,
                from_status=S.CONSULTING, to_status=S.DONE, reason="컨설팅 결과 기록",
                at=recorded,
            )
        )  # fmt: skip
        idea.status = S.DONE
    return events
