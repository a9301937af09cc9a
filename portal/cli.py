"""Registers every feature's `flask` command group."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

import portal.migrate as migrate

db_cli = AppGroup("db", help="Database schema (Alembic).")


@db_cli.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Apply migrations up to REVISION (default: head)."""
    migrate.upgrade(revision)
    click.echo(f"Database upgraded to {revision}.")


@db_cli.command("downgrade")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    """Revert migrations down to REVISION (for example -1 or base)."""
    migrate.downgrade(revision)
    click.echo(f"Database downgraded to {revision}.")


@db_cli.command("is-empty")
def db_is_empty() -> None:
    """Exit 0 when the database has no users (so `make run` knows to seed), 1 otherwise."""
    from sqlalchemy import func, select

    from portal.db import db
    from portal.users.models import User

    count = db.session.scalar(select(func.count(User.id)))
    raise SystemExit(0 if count == 0 else 1)


def register(app: Flask) -> None:
    from portal.assistant.cli import retention_cli
    from portal.attendance.completion_cli import attendance_cli
    from portal.audit.cli import audit_cli
    from portal.curriculum_cli import courses_cli
    from portal.demo.cli import demo_cli
    from portal.ideas.cli import ideas_cli
    from portal.notifications.cli import outbox_cli
    from portal.reminders.cli import reminders_cli
    from portal.users.cli import users_cli

    app.cli.add_command(db_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(courses_cli)
    app.cli.add_command(outbox_cli)
    app.cli.add_command(retention_cli)
    app.cli.add_command(attendance_cli)
    app.cli.add_command(ideas_cli)
    app.cli.add_command(reminders_cli)
    app.cli.add_command(audit_cli)
