"""`flask users ...`: account administration from the command line."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from portal.db import db
from portal.users import operations
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
