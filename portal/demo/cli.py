"""`flask demo seed`: a demo organisation and four demo logins in an empty database."""

from __future__ import annotations

import sys
import time

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy.exc import IntegrityError

from portal.core.clock import SEOUL, today_in_seoul
from portal.db import db
from portal.demo.ideas import IdeasSummary, seed_ideas
from portal.demo.practice import PracticeSummary, seed_practice
from portal.demo.scale import SCALES, ScalePlan, seed_at_scale
from portal.demo.seed import (
    DEMO_PASSWORD,
    TOTAL_USERS,
    DemoSeedRefused,
    refuse_if_populated,
    seed_demo,
)
from portal.demo.sessions import (
    SessionNote,
    SessionsSummary,
    judge_past_sessions,
    seed_sessions,
)

demo_cli = AppGroup("demo", help="Demo data for trying the portal.")

_ROLE_LABELS = {
    "admin": "시스템 관리자",
    "coordinator": "교육 담당자",
    "instructor": "강사",
    "staff": "직원",
}


_TABLE_LABELS = {
    "departments": "부서",
    "users": "직원",
    "training_sessions": "교육 차수",
    "enrollments": "수강 신청",
    "attendance_marks": "출석 기록",
    "completions": "수료 판정",
    "learning_hours": "학습시간 원장",
    "learning_hours_evidence": "외부 학습 증빙",
    "survey_receipts": "설문 응답 확인",
    "survey_responses": "설문 응답",
    "outbox_messages": "발송 메일",
    "assistant_policy_acceptances": "AI 실습 수칙 동의",
    "assistant_drafts": "실습 초안",
    "assistant_draft_versions": "초안 버전",
    "assistant_submissions": "과제 제출",
    "assistant_conversations": "AI 대화",
    "assistant_messages": "AI 메시지",
    "assistant_message_days": "AI 메시지 일별 합계",
    "assistant_message_ratings": "답변 평가",
    "assistant_guard_events": "개인정보 점검 기록",
}


class _Bars:
    """A click progress bar per table on stderr, then one line with its count and time."""

    def __init__(self) -> None:
        self._bar = None
        self._line = ""
        self._started = 0.0

    def start(self, table: str, total: int) -> None:
        self._line = f"{_TABLE_LABELS.get(table, table)} ({table}) {total:,}건"
        self._started = time.perf_counter()
        self._bar = click.progressbar(length=max(total, 1), label=self._line, file=sys.stderr)
        self._bar.__enter__()

    def advance(self, rows: int) -> None:
        if self._bar is not None:
            self._bar.update(rows)

    def finish(self) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)
            self._bar = None
        seconds = time.perf_counter() - self._started
        click.echo(f"  {self._line}: {seconds:.1f}초", err=True)


@demo_cli.command("seed")
@click.option(
    "--scale",
    type=click.Choice(sorted(SCALES)),
    default=None,
    help="Bulk data for benchmarks instead of the small demo: medium (2,000 staff, 200 "
    "sessions, 20,000 enrolments, 50,000 sandbox messages) or large (ten times that). "
    "Needs `flask courses sync` first.",
)
def seed(scale: str | None) -> None:
    """Create Sejong-style departments, about 300 staff, four demo accounts, AI service ideas,
    and sessions with enrolments for the synced courses (empty database only)."""
    if scale is not None:
        _seed_at_scale(SCALES[scale])
        return
    try:
        with db.command_transaction():
            # Refuse before drawing the progress bar, so a refusal prints only its reason.
            refuse_if_populated()
            with click.progressbar(
                length=TOTAL_USERS,
                label="데모 직원 만드는 중",
                file=sys.stderr,
            ) as bar:
                summary = seed_demo(today=today_in_seoul(), progress=bar.update)
            # After the people exist: sessions for the courses `flask courses sync` made.
            sessions = seed_sessions(today=today_in_seoul())
            # After the exercises exist (courses sync): sandbox usage for the figures.
            practice = seed_practice(policy_version=current_app.config["ASSISTANT_POLICY_VERSION"])
            # AI service ideas and consultations need only the people (no courses).
            ideas = seed_ideas(today=today_in_seoul())
            # Last: completion of the finished sessions counts the practice reviews above.
            judged = judge_past_sessions() if sessions is not None else None
    except DemoSeedRefused as refusal:
        click.echo(str(refusal), err=True)
        raise click.exceptions.Exit(1) from None

    click.echo(
        f"데모 조직을 만들었습니다: 실·국·본부 {summary.bureaus}개, 과·담당관 {summary.divisions}개, "
        f"팀 {summary.teams}개, 직원 {summary.users}명 (최근 90일 신규 임용자 {summary.new_appointees}명)."
    )
    click.echo(f"데모 계정 (비밀번호는 모두 {DEMO_PASSWORD}):")
    for account in summary.demo_accounts:
        place = f"{account.division} {account.team}" if account.team else account.division
        click.echo(
            f"  {account.employee_number}  {_ROLE_LABELS[account.role.value]} · {account.name} · {place}"
        )
    click.echo(
        "일반 직원 계정은 비밀번호가 없어 로그인할 수 없습니다(인사 명단으로 들어오는 계정)."
    )
    _echo_sessions(sessions)
    _echo_practice(practice)
    _echo_ideas(ideas)
    if judged is not None:
        click.echo(
            f"지난 교육의 수료를 판정했습니다: 수료 {judged['completed']}명, "
            f"진행 중 {judged['pending']}명, 미수료 {judged['not_completed']}명."
        )


def _seed_at_scale(plan: ScalePlan) -> None:
    started = time.perf_counter()
    click.echo(
        f"대규모 데모 데이터({plan.name})를 만듭니다: 직원 {plan.staff:,}명, 교육 차수 "
        f"{plan.sessions:,}개, 수강 신청 {plan.enrolments:,}건, AI 메시지 {plan.messages:,}건. "
        "모두 한 트랜잭션이라, 중간에 실패하거나 멈추면 아무것도 남지 않습니다.",
        err=True,
    )
    try:
        with db.command_transaction():
            summary = seed_at_scale(
                plan,
                today=today_in_seoul(),
                policy_version=current_app.config["ASSISTANT_POLICY_VERSION"],
                progress=_Bars(),
            )
            click.echo("저장(커밋)하는 중...", err=True)
    except DemoSeedRefused as refusal:
        click.echo(str(refusal), err=True)
        raise click.exceptions.Exit(1) from None
    except IntegrityError:
        # Another seed committed first (two runs at once): this one wrote nothing.
        click.echo(
            "다른 데모 데이터 생성이 먼저 저장되어 이번 실행은 아무것도 저장하지 않았습니다.",
            err=True,
        )
        raise click.exceptions.Exit(1) from None
    click.echo("통계를 갱신하는 중(VACUUM ANALYZE)...", err=True)
    db.refresh_statistics()
    seconds = time.perf_counter() - started
    click.echo(f"대규모 데모 데이터({plan.name})를 {seconds:.0f}초 만에 만들었습니다:")
    for table, count in summary.counts.items():
        click.echo(f"  {_TABLE_LABELS.get(table, table)} ({table}): {count:,}")
    click.echo(
        f"데모 계정 (비밀번호는 모두 {DEMO_PASSWORD}): D0001 관리자, D0002 교육 담당자, D0003 강사, D0004 직원"
    )


def _echo_ideas(ideas: IdeasSummary) -> None:
    click.echo(
        f"AI 서비스 아이디어를 만들었습니다: {ideas.ideas}건 (게시판 공유 {ideas.shared}건, "
        f"컨설팅 예약 {ideas.booked}건, 시범 운영 결정 {ideas.pilots}건) · /ideas/board"
    )


def _echo_practice(practice: PracticeSummary | None) -> None:
    if practice is None:
        click.echo(
            "실습 과제가 없어 AI 실습 기록은 만들지 않았습니다 (run `flask courses sync` first)."
        )
        return
    click.echo(
        f"AI 실습 기록을 만들었습니다: 수칙 동의 {practice.acceptances}명, 작업 {practice.workspaces}건, "
        f"제출 {practice.submissions}건 (강사 검토 {practice.reviewed}건), "
        f"개인정보 점검 기록 {practice.guard_events}건. D0004는 처음 쓰는 사용자로 남겨 두었습니다."
    )


def _echo_note(label: str, note: SessionNote | None) -> None:
    if note is None:
        return
    click.echo(
        f"  {label}: {note.course_title} {note.round_number}차 "
        f"({note.starts_at.astimezone(SEOUL):%Y-%m-%d %H:%M} KST) · 정원 {note.capacity}명, "
        f"확정 {note.seats_taken}명, 대기 {note.waitlisted}명 · /courses/{note.course_slug}"
    )


def _echo_sessions(sessions: SessionsSummary | None) -> None:
    if sessions is None:
        click.echo(
            "교육과정이 없어 교육 차수와 신청 내역은 만들지 않았습니다. "
            "먼저 `flask courses sync`를 실행한 빈 데이터베이스에서 seed하면 함께 만들어집니다."
        )
        return
    click.echo(
        f"교육 차수를 만들었습니다: 예정 {sessions.upcoming}개, 종료 {sessions.finished}개 "
        f"(지난 교육 참석 {sessions.past_attendances}명). "
        f"예정 차수 신청: 확정 {sessions.enrolled}명, 대기 {sessions.waitlisted}명."
    )
    _echo_note("한 자리 남은 차수", sessions.last_seat)
    _echo_note("정원이 차서 대기자가 있는 차수", sessions.full_with_waitlist)
