"""`flask demo seed`: a demo organisation and four demo logins in an empty database."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from portal.core.clock import today_in_seoul
from portal.db import db
from portal.demo.seed import (
    DEMO_PASSWORD,
    TOTAL_USERS,
    DemoSeedRefused,
    refuse_if_populated,
    seed_demo,
)

demo_cli = AppGroup("demo", help="Demo data for trying the portal.")

_ROLE_LABELS = {
    "admin": "시스템 관리자",
    "coordinator": "교육 담당자",
    "instructor": "강사",
    "staff": "직원",
}


@demo_cli.command("seed")
def seed() -> None:
    """Create Sejong-style departments, about 300 staff and four demo accounts (empty database only)."""
    try:
        with db.command_transaction():
            # Refuse before drawing the progress bar, so a refusal prints only its reason.
            refuse_if_populated()
            with click.progressbar(
                length=TOTAL_USERS,
                label="데모 직원 만드는 중",
                file=sys.stderr,
            ) as bar:
                summary = seed_demo(today=today_in_seoul(), progress=bar.update)
    except DemoSeedRefused as refusal:
        click.echo(str(refusal), err=True)
        raise click.exceptions.Exit(1) from None

    click.echo(
        f"데모 조직을 만들었습니다: 실·국·본부 {summary.bureaus}개, 과·담당관 {summary.divisions}개, "
        f"팀 {summary.teams}개, 직원 {summary.users}명 (최근 90일 신규 임용자 {summary.new_appointees}명)."
    )
    click.echo(f"데모 계정 (비밀번호는 모두 {DEMO_PASSWORD}):")
    for account in summary.demo_accounts:
        place = f"{account.division} {account.team}" if account.team else account.division
        click.echo(
            f"  {account.employee_number}  {_ROLE_LABELS[account.role.value]} · {account.name} · {place}"
        )
    click.echo(
        "일반 직원 계정은 비밀번호가 없어 로그인할 수 없습니다(인사 명단으로 들어오는 계정)."
    )
