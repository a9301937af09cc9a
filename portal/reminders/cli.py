"""`flask reminders send`: day-before, mandatory-course and consulting reminders (cron)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from portal.db import db, set_write_intent
from portal.ideas import operations as ideas_operations
from portal.reminders import operations

reminders_cli = AppGroup("reminders", help="Reminder e-mails (sent once each).")


@reminders_cli.command("send")
@click.option("--dry-run", is_flag=True, help="Count what would be sent; write nothing.")
def send(dry_run: bool) -> None:
    """Queue every reminder that is due, each once however often this runs.

    Session reminders the day before (Seoul dates), mandatory-course reminders 14 and 3
    days before the due date, and once overdue a notice to the person and an escalation
    to their department head (weekly, four times at most); then the consulting reminders
    of `flask ideas remind`. Mail goes to the outbox: `flask outbox send` delivers it.
    """
    summary = operations.Summary(dry_run=dry_run)
    if dry_run:
        set_write_intent(False)  # reads only: on SQLite, take no write lock
        try:
            operations.send_day_before(summary, click.echo)
            operations.send_mandatory(summary, click.echo)
        finally:
            db.session.rollback()
    else:
        with db.command_transaction():
            operations.send_day_before(summary, click.echo)
        with db.command_transaction():
            operations.send_mandatory(summary, click.echo)
        with db.command_transaction():
            summary.consulting = ideas_operations.send_reminders()
    prefix = "Dry run, nothing written: would send" if dry_run else "Queued"
    click.echo(
        f"{prefix} {summary.day_before} day-before, {summary.due_soon} due-soon, "
        f"{summary.overdue} overdue reminder(s) and {summary.escalations} escalation(s) "
        f"to department heads; {summary.skipped} already sent before; "
        f"{summary.no_head} overdue without a department head."
    )
    if not dry_run:
        click.echo(f"Reminded {summary.consulting} consulting booking(s).")
