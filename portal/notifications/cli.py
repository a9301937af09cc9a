"""`flask outbox send`: deliver queued e-mail, once (cron) or continuously (systemd)."""

from __future__ import annotations

import signal
import threading

import click
from flask import current_app
from flask.cli import AppGroup

from portal.notifications import queries, sender

outbox_cli = AppGroup("outbox", help="The e-mail outbox.")


def _echo_batch(number: int, report: sender.SendReport) -> None:
    line = (
        f"Batch {number}: claimed {report.claimed}, sent {report.sent}, "
        f"will retry {report.retrying}, failed {report.failed}"
    )
    if report.released:
        line += f", put back untried {report.released}"
    click.echo(line + ".")


def _stop_on_sigterm(stop: threading.Event) -> None:
    """Let systemd's SIGTERM end the loop between passes instead of mid-batch."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, lambda _signum, _frame: stop.set())


@outbox_cli.command("send")
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=None,
    help="Send at most N e-mails (per pass with --loop).",
)
@click.option("--loop", is_flag=True, help="Keep running: send, wait --interval seconds, repeat.")
@click.option(
    "--interval",
    type=click.FloatRange(min=1),
    default=60.0,
    show_default=True,
    help="Seconds between passes with --loop.",
)
def send(limit: int | None, loop: bool, interval: float) -> None:
    """Send due e-mails from the outbox through SMTP, with retries and backoff.

    Several workers may run at once on PostgreSQL (rows are claimed with SKIP LOCKED).
    Without SMTP_HOST nothing is sent: mail stays in the outbox for admins to read.
    Exits 1 when the SMTP server could not be reached (the mail stays pending).
    """
    transport = sender.transport_from_config(current_app.config)
    if transport is None:
        click.echo(
            "SMTP is not configured (PORTAL_SMTP_HOST is empty): nothing was sent. "
            f"{queries.pending_count()} e-mail(s) wait in the outbox; admins can read "
            "them at /admin/outbox/."
        )
        return
    stop = threading.Event()
    if loop:
        _stop_on_sigterm(stop)
    while True:
        try:
            report = sender.run_once(transport, limit=limit, on_batch=_echo_batch)
        except KeyboardInterrupt:
            click.echo("Interrupted; claimed e-mails that were not sent go out after their lease.")
            return
        if report.claimed == 0:
            click.echo("No e-mail is due.")
        else:
            click.echo(
                f"Done: sent {report.sent}, will retry {report.retrying}, failed {report.failed}."
            )
        if report.service_down:
            click.echo(
                "The SMTP server could not be reached or refused us; "
                "the e-mails stay pending and will be retried.",
                err=True,
            )
        if not loop:
            if report.service_down:
                raise SystemExit(1)
            return
        try:
            if stop.wait(interval):
                return
        except KeyboardInterrupt:
            return
