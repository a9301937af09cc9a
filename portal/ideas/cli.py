"""`flask ideas remind`: the day-before reminder of booked consulting meetings (cron, hourly)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from portal.db import db
from portal.ideas import operations

ideas_cli = AppGroup("ideas", help="AI service ideas and consulting.")


@ideas_cli.command("remind")
def remind() -> None:
    """Notify (in-app and e-mail, with the .ics) everyone with a consulting within 24 hours.

    Each booking is reminded once, however often this runs; `flask outbox send` delivers.
    """
    with db.command_transaction():
        count = operations.send_reminders()
    click.echo(f"Reminded {count} consulting booking(s).")
