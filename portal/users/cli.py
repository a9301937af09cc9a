"""`flask users ...`: account administration from the command line."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from flask_babel import gettext as _

from portal.db import db
from portal.users import hr_import, operations
from portal.users.models import Role

users_cli = AppGroup("users", help="Staff accounts.")


@users_cli.command("create-admin")
@click.option("--employee-number", prompt="사번 (employee number)")
@click.option("--name", prompt="성명 (name)")
@click.option("--email", prompt="이메일 (e-mail)")
@click.password_option("--password", prompt="비밀번호 (password)")
def create_admin(employee_number: str, name: str, email: str, password: str) -> None:
    """Create a system administrator account (or promote an existing one)."""
    with db.command_transaction():
        try:
            user, created = operations.create_admin(
                operations.AccountInput(
                    employee_number=employee_number,
                    name=name,
                    email=email,
                    role=Role.ADMIN,
                ),
                password=password,
                min_password_length=current_app.config["PASSWORD_MIN_LENGTH"],
            )
        except operations.AccountError as err:
            raise click.ClickException(str(err)) from None
    verb = "Created" if created else "Promoted existing account to"
    click.echo(f"{verb} admin: employee number {user.employee_number}.")


@users_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Show what would change; record only an audit entry.")
@click.option(
    "--apply",
    "apply_changes",
    is_flag=True,
    help="Apply the file (the default without --dry-run; accepted for scripts that say so).",
)
def import_staff(file: Path, dry_run: bool, apply_changes: bool) -> None:
    """Create or update staff from an HR roster FILE (CSV or XLSX), all or nothing.

    The same checks and the same bulk apply as the admin screen, for files an operator
    prefers to run outside a web request. Problems are printed per line in Korean; the
    exit code is non-zero and nothing is written when any line is bad.
    """
    if dry_run and apply_changes:
        raise click.UsageError("--dry-run and --apply cannot be used together.")
    limit = current_app.config["ROSTER_IMPORT_MAX_BYTES"]
    if file.stat().st_size > limit:
        raise click.ClickException(
            _(
                "%(file)s: 파일이 너무 큽니다. %(limit)s바이트(ROSTER_IMPORT_MAX_BYTES) "
                "이하여야 합니다.",
                file=file.name,
                limit=f"{limit:,}",
            )
        )
    try:
        content = file.read_bytes()
    except OSError as err:
        raise click.ClickException(
            _("%(file)s: 파일을 읽을 수 없습니다: %(reason)s", file=file.name, reason=err.strerror)
        ) from None
    # Reading the file needs no database, so no transaction is open meanwhile.
    _stage(_("1/3 파일 읽는 중: %(file)s", file=file.name))
    parsed = hr_import.parse_file(file.name, content)
    result = None
    with db.command_transaction():
        _stage(_("2/3 검사하는 중: %(n)s행", n=f"{len(parsed.rows):,}"))
        plan = hr_import.plan_import(parsed)
        _echo_plan(file.name, plan)
        if dry_run:
            hr_import.record_dry_run(plan, actor_id=None)
        elif plan.is_valid:
            _stage(_("3/3 반영하는 중"))
            with click.progressbar(
                length=len(plan.rows), label="Importing", file=sys.stderr
            ) as bar:
                try:
                    result = hr_import.apply_import(plan, actor_id=None, progress=bar.update)
                except hr_import.HRImportError as err:
                    raise click.ClickException(str(err)) from None
    # Exit only after the transaction, so a failed dry run still keeps its audit entry.
    if not plan.is_valid:
        raise click.ClickException(
            _("%(n)d개 행에 문제가 있어 아무것도 반영하지 않았습니다.", n=plan.error_lines)
            + f" ({plan.error_lines} line(s) have problems; nothing was imported.)"
        )
    if dry_run or result is None:
        click.echo("Dry run: nothing was changed.")
        return
    click.echo(
        f"Imported: created {result.created}, updated {result.updated}, "
        f"unchanged {result.unchanged}."
    )
    if result.created:
        click.echo("New accounts have no password: an admin must set one before they can log in.")


def _stage(message: str) -> None:
    click.echo(message, err=True)


def _echo_plan(filename: str, plan: hr_import.ImportPlan) -> None:
    click.echo(
        f"{filename}: create {plan.count(hr_import.Action.CREATE)}, "
        f"update {plan.count(hr_import.Action.UPDATE)}, "
        f"unchanged {plan.count(hr_import.Action.UNCHANGED)}, "
        f"errors {len(plan.errors)}"
    )
    for error in plan.errors:
        where = f"line {error.line}" if error.line is not None else "file"
        column = f"[{error.column}] " if error.column else ""
        click.echo(f"{where}: {column}{error.message}", err=True)
