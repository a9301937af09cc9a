"""Registers every feature's `flask` command group, and `flask db` (schema, backups).

`flask db backup` and `flask db restore` are for the embedded SQLite database only; they
copy with SQLite's online backup API, which takes a consistent snapshot while the portal
keeps running (a plain `cp` of a live WAL database can miss what is still in the -wal file,
or pair a database with the wrong -wal). PostgreSQL is backed up with pg_dump
(docs/deployment.md, "Backups and restore").
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from flask_babel import gettext as _

import portal.migrate as migrate

db_cli = AppGroup("db", help="Database schema (Alembic), and SQLite backups.")


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


@db_cli.command("current")
def db_current() -> None:
    """Print the applied migration; exit 0 when it is the newest, 1 when some are pending."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    from portal.db import make_engine

    url = current_app.config["DATABASE_URL"]
    engine = make_engine(url, pool_size=1)
    try:
        with engine.connect() as connection:
            current = set(MigrationContext.configure(connection).get_current_heads())
    except Exception as error:  # noqa: BLE001 - any failure: not reachable, said plainly
        raise click.ClickException(
            _("데이터베이스에 연결할 수 없습니다 (%(error)s).", error=type(error).__name__)
        ) from None
    finally:
        engine.dispose()
    heads = set(ScriptDirectory.from_config(migrate.alembic_config(url)).get_heads())
    if not current:
        click.echo(
            _("마이그레이션이 적용되지 않은 데이터베이스입니다. `flask db upgrade`를 실행하세요.")
        )
        raise SystemExit(1)
    applied = ", ".join(sorted(current))
    if current == heads:
        click.echo(_("마이그레이션: %(revision)s (최신)", revision=applied))
        return
    click.echo(
        _(
            "마이그레이션: %(revision)s. 최신(%(head)s)이 아닙니다. "
            "`flask db upgrade`를 실행하세요.",
            revision=applied,
            head=", ".join(sorted(heads)),
        )
    )
    raise SystemExit(1)


@db_cli.command("backup")
@click.argument("destination", type=click.Path(path_type=Path))
def db_backup(destination: Path) -> None:
    """Copy the SQLite database to DESTINATION (a new file), safely while the portal runs.

    Uses SQLite's backup API, then checks the copy (integrity_check) and prints its
    migration and number of accounts. PostgreSQL: use pg_dump (docs/deployment.md).
    """
    source = _sqlite_file(_("PostgreSQL 데이터베이스는 pg_dump로 백업하세요"))
    if not source.is_file():
        raise click.ClickException(_("데이터베이스 파일이 없습니다: %(path)s", path=source))
    if destination.is_dir():
        raise click.ClickException(
            _("%(path)s: 폴더입니다. 폴더 안의 새 파일 이름을 주세요.", path=destination)
        )
    if destination.exists():
        raise click.ClickException(
            _(
                "%(path)s: 이미 있는 파일입니다. 백업은 덮어쓰지 않으니 새 파일 이름을 주세요.",
                path=destination,
            )
        )
    if not destination.parent.is_dir():
        raise click.ClickException(
            _("%(path)s: 폴더가 없습니다. 먼저 만드세요.", path=destination.parent)
        )
    # Written under a temporary name and renamed at the end, so a backup that failed half-way
    # never carries the final name. 0600: the copy holds personal data and password hashes.
    partial = destination.with_name(f".{destination.name}.partial")
    try:
        os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except OSError as error:
        raise click.ClickException(
            _("%(path)s: 파일을 만들 수 없습니다: %(reason)s", path=partial, reason=error.strerror)
        ) from None
    try:
        with _open_read_only(source) as reader, _open(partial) as writer:
            reader.backup(writer)
            # One self-contained file: no -wal beside it to forget when it is copied away.
            writer.execute("PRAGMA journal_mode=DELETE")
            revision, accounts = _check_copy(writer, source)
        os.replace(partial, destination)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    click.echo(
        _(
            "백업했습니다: %(path)s (%(size)s바이트, 마이그레이션 %(revision)s, 계정 %(accounts)s개).",
            path=destination,
            size=f"{destination.stat().st_size:,}",
            revision=revision,
            accounts=accounts,
        )
    )


@db_cli.command("restore")
@click.argument("backup", type=click.Path(path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask before replacing the database.")
def db_restore(backup: Path, yes: bool) -> None:
    """Replace the SQLite database's contents with BACKUP (made by `flask db backup`).

    Stop the portal (and its scheduled commands) first. The backup is checked before
    anything is replaced. Run `flask db upgrade` afterwards. PostgreSQL: use pg_restore.
    """
    target = _sqlite_file(_("PostgreSQL 데이터베이스는 pg_restore로 복구하세요"))
    if backup.is_dir():
        raise click.ClickException(_("%(path)s: 폴더입니다. 백업 파일을 주세요.", path=backup))
    if not backup.is_file():
        raise click.ClickException(_("백업 파일이 없습니다: %(path)s", path=backup))
    if target.exists() and backup.resolve() == target.resolve():
        raise click.ClickException(
            _("%(path)s: 지금 쓰는 데이터베이스 파일입니다. 백업 파일을 주세요.", path=backup)
        )
    with _open_read_only(backup) as reader:
        revision, accounts = _check_copy(reader, backup)
        if not yes:
            click.confirm(
                _(
                    "%(target)s의 내용을 모두 백업 %(backup)s(마이그레이션 %(revision)s, "
                    "계정 %(accounts)s개)의 내용으로 바꿉니다. 계속할까요?",
                    target=target,
                    backup=backup,
                    revision=revision,
                    accounts=accounts,
                ),
                abort=True,
            )
        with _open(target) as writer:
            reader.backup(writer)
            revision, accounts = _check_copy(writer, target)
    click.echo(
        _(
            "복구했습니다: %(path)s (마이그레이션 %(revision)s, 계정 %(accounts)s개). "
            "이어서 `flask db upgrade`를 실행하세요.",
            path=target,
            revision=revision,
            accounts=accounts,
        )
    )


def _sqlite_file(elsewhere: str) -> Path:
    """The file of the configured SQLite database; ``elsewhere`` says what to use instead."""
    from sqlalchemy.engine import make_url

    url = make_url(current_app.config["DATABASE_URL"])
    if url.get_backend_name() != "sqlite":
        raise click.ClickException(
            _(
                "이 명령은 SQLite 데이터베이스에만 씁니다. %(elsewhere)s "
                "(docs/deployment.md의 '백업과 복구').",
                elsewhere=elsewhere,
            )
        )
    if not url.database or url.database == ":memory:" or url.database.startswith("file:"):
        raise click.ClickException(
            _("SQLite 데이터베이스 파일 경로를 알 수 없습니다: %(url)s", url=url.database or "")
        )
    return Path(url.database)


def _timeout() -> float:
    return current_app.config["SQLITE_BUSY_TIMEOUT_MS"] / 1000


class _Connection:
    """sqlite3's connection as a context manager that closes (sqlite3's own only commits)."""

    def __init__(self, target: str, *, uri: bool = False) -> None:
        self.target = target
        self.uri = uri

    def __enter__(self) -> sqlite3.Connection:
        try:
            self.connection = sqlite3.connect(self.target, timeout=_timeout(), uri=self.uri)
        except sqlite3.Error as error:
            raise click.ClickException(
                _("SQLite 파일을 열 수 없습니다: %(reason)s", reason=str(error))
            ) from None
        return self.connection

    def __exit__(self, *exc: object) -> None:
        self.connection.close()


def _open_read_only(path: Path) -> _Connection:
    return _Connection(path.resolve().as_uri() + "?mode=ro", uri=True)


def _open(path: Path) -> _Connection:
    return _Connection(str(path))


def _check_copy(connection: sqlite3.Connection, path: Path) -> tuple[str, int]:
    """Is this a whole portal database? Returns its migration and its number of accounts."""
    try:
        integrity = connection.execute("PRAGMA integrity_check").fetchone()[0]
    except sqlite3.DatabaseError as error:
        raise click.ClickException(
            _(
                "%(path)s: SQLite 데이터베이스 파일이 아닙니다 (%(reason)s).",
                path=path,
                reason=error,
            )
        ) from None
    if integrity != "ok":
        raise click.ClickException(
            _("%(path)s: 파일이 손상되었습니다 (%(reason)s).", path=path, reason=integrity)
        )
    try:
        revision = ", ".join(
            row[0] for row in connection.execute("SELECT version_num FROM alembic_version")
        )
        accounts = int(connection.execute("SELECT count(*) FROM users").fetchone()[0])
    except sqlite3.DatabaseError:
        revision = ""
        accounts = 0
    if not revision:
        raise click.ClickException(
            _("%(path)s: 포털 데이터베이스가 아닙니다 (마이그레이션 기록이 없습니다).", path=path)
        )
    return revision, accounts


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
