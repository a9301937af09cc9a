"""`flask courses ...`: check courses/ and synchronise it into the database."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from portal import ROOT
from portal.catalog import sync
from portal.db import db, set_write_intent

courses_cli = AppGroup("courses", help="Curriculum from courses/ (교육과정).")

DEFAULT_ROOT = ROOT / "courses"

_path_option = click.option(
    "--path",
    "root",
    type=click.Path(file_okay=False, path_type=Path),
    default=DEFAULT_ROOT,
    show_default=True,
    help="The curriculum folder to read.",
)

_LABELS = {
    sync.Change.CREATED: ("+", "새로 만듦"),
    sync.Change.UPDATED: ("~", "바뀜"),
    sync.Change.UNCHANGED: ("=", "그대로"),
    sync.Change.DEACTIVATED: ("-", "비활성화"),
}


@courses_cli.command("validate")
@_path_option
def validate(root: Path) -> None:
    """Check every course in courses/ without touching the database."""
    loaded = _load_or_exit(root)
    click.echo(
        f"{len(loaded.courses)}개 과정에 오류가 없습니다 ({len(loaded.courses)} courses, no errors)."
    )


@courses_cli.command("sync")
@click.option("--dry-run", is_flag=True, help="Show what would change; write nothing.")
@_path_option
def sync_courses(dry_run: bool, root: Path) -> None:
    """Check courses/, then create or update courses by slug (removed ones are deactivated)."""
    loaded = _load_or_exit(root)
    if dry_run:
        set_write_intent(False)
        plan = sync.plan_sync(loaded)
        db.session.rollback()
    else:
        with db.command_transaction():
            plan = sync.plan_sync(loaded)
            sync.apply_sync(plan)
    _echo_plan(plan)
    if dry_run:
        click.echo("미리 보기: 아무것도 바꾸지 않았습니다 (dry run: nothing was changed).")


def _load_or_exit(root: Path) -> sync.LoadResult:
    loaded = sync.load_courses(root)
    for error in loaded.errors:
        click.echo(str(error), err=True)
    if not loaded.ok:
        raise click.ClickException(
            f"오류 {len(loaded.errors)}개를 고친 뒤 다시 실행하세요. 아무것도 바꾸지 않았습니다 "
            f"({len(loaded.errors)} error(s); nothing was changed)."
        )
    return loaded


def _echo_plan(plan: sync.SyncPlan) -> None:
    counts = plan.counts()
    click.echo(
        "과정 동기화 (course sync): "
        + ", ".join(
            f"{_LABELS[change][1]} {change.value} {counts[change]}" for change in sync.Change
        )
    )
    for change in sync.Change:
        slugs = plan.slugs(change)
        if not slugs:
            continue
        mark, label = _LABELS[change]
        if change is sync.Change.UNCHANGED:
            click.echo(f"  {mark} {label} ({change.value}): {', '.join(slugs)}")
            continue
        for slug in slugs:
            click.echo(f"  {mark} {label} ({change.value}): {slug}")
    if plan.deactivated:
        click.echo(
            "  courses/에서 빠진 과정은 삭제하지 않고 숨깁니다. 차수·신청·이수 기록은 그대로 남습니다 "
            "(removed courses are hidden, never deleted; their sessions and records are kept)."
        )
