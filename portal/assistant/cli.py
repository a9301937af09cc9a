"""`flask retention purge`."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from portal.assistant.workspace import retention
from portal.db import db

retention_cli = AppGroup("retention", help="Data retention (보존 기간).")


@retention_cli.command("purge")
@click.option(
    "--days",
    type=click.IntRange(min=1),
    default=None,
    help="Override ASSISTANT_RETENTION_DAYS for this run.",
)
def purge(days: int | None) -> None:
    """Delete sandbox conversations and unsubmitted drafts older than the retention period.

    Submitted exercise drafts, guard events (masked excerpts only) and audit records stay.
    """
    days = days or current_app.config["ASSISTANT_RETENTION_DAYS"]
    with db.command_transaction():
        total = retention.due_count(days)
        with click.progressbar(length=total, label="대화 삭제 중 (purging conversations)") as bar:
            report = retention.purge(days, progress=bar.update)
    click.echo(
        f"보존 기간 {days}일 (retention {days} days): 대화 {report.conversations}건, "
        f"메시지 {report.messages}건, 제출하지 않은 초안 {report.drafts}건을 삭제했습니다 "
        f"(deleted {report.conversations} conversation(s), {report.messages} message(s), "
        f"{report.drafts} unsubmitted draft(s)). 제출한 초안과 감사 기록은 그대로입니다."
    )
