"""`flask audit purge`: audit entries do not outlive AUDIT_RETENTION_DAYS."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from portal.audit import retention
from portal.db import db

audit_cli = AppGroup("audit", help="Audit log retention (감사 기록 보존).")


@audit_cli.command("purge")
@click.option("--dry-run", is_flag=True, help="Only count what would be deleted.")
@click.option(
    "--batch-size",
    type=click.IntRange(min=1, max=50_000),
    default=retention.BATCH,
    show_default=True,
    help="Entries deleted per DELETE statement.",
)
def purge(dry_run: bool, batch_size: int) -> None:
    """Delete audit entries older than AUDIT_RETENTION_DAYS (at least 365), and audit that."""
    days = current_app.config["AUDIT_RETENTION_DAYS"]
    with db.command_transaction():
        try:
            plan = retention.plan(days)
        except retention.RetentionTooShort as error:
            raise click.ClickException(str(error)) from None
        cutoff = plan.cutoff.isoformat(timespec="seconds")
        if dry_run:
            click.echo(
                f"보존 기간 {days}일, 기준 {cutoff} 이전 감사 기록 {plan.due}건이 삭제 대상입니다 "
                f"(dry run: {plan.due} entries before {cutoff} would be deleted; nothing changed)."
            )
            return
        with click.progressbar(
            length=plan.due, label="감사 기록 삭제 중 (purging audit entries)"
        ) as bar:
            deleted = retention.purge(plan, batch=batch_size, progress=bar.update)
    click.echo(
        f"보존 기간 {days}일: 기준 {cutoff} 이전 감사 기록 {deleted}건을 삭제했습니다 "
        f"(deleted {deleted} audit entries before {cutoff}); 삭제 사실은 audit.purged로 "
        f"기록했습니다."
    )
