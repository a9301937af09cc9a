"""`flask attendance complete`: judge completion (수료) for ended sessions.

Run it from cron after sessions end, or by hand for one session with --session. Each
session is judged and committed in its own short transaction, so a long run never holds
the database's write lock for long and a failure loses only the session it was on.
"""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from portal.attendance import completion
from portal.db import db
from portal.scheduling.models import TrainingSession

attendance_cli = AppGroup("attendance", help="Attendance and completion (수료).")


def _line(session: TrainingSession, result: completion.SessionResult) -> str:
    return (
        f"차수 {session.id} ({session.course.title} {session.round_number}차): "
        f"수료 {result.completed}명, 진행 중 {result.pending}명, "
        f"미수료 {result.not_completed}명 (이번에 바뀐 사람 {len(result.changes)}명)"
    )


def _judge(session_id: int) -> str:
    with db.transaction():
        session = db.session.scalars(
            select(TrainingSession)
            .options(joinedload(TrainingSession.course))
            .where(TrainingSession.id == session_id)
        ).one()
        result = completion.judge_session(session)
        return _line(session, result)


@attendance_cli.command("complete")
@click.option(
    "--session",
    "session_id",
    type=click.IntRange(min=1, max=2**31 - 1),
    default=None,
    help="Judge only this session (its id), even when nothing seems to have changed.",
)
def complete(session_id: int | None) -> None:
    """Judge completion for ended sessions that need it (new, pending or re-marked)."""
    if session_id is not None:
        session = db.session.get(TrainingSession, session_id)
        if session is None:
            raise click.ClickException(f"차수 {session_id}을(를) 찾을 수 없습니다.")
        try:
            completion.check_can_judge(session)
        except completion.CompletionError as refusal:
            raise click.ClickException(f"차수 {session_id}: {refusal}") from None
        db.session.rollback()
        click.echo(_judge(session_id))
        return
    todo = completion.sessions_needing_refresh()
    db.session.rollback()
    if not todo:
        click.echo("수료를 판정할 차수가 없습니다 (끝난 차수는 모두 최신입니다).")
        return
    click.echo(f"수료를 판정할 차수 {len(todo)}개:")
    for number, one in enumerate(todo, start=1):
        click.echo(f"[{number}/{len(todo)}] " + _judge(one))
    click.echo("끝났습니다.")
