"""`flask courses ...`: check courses/ and synchronise it into the database.

Courses (portal.catalog.sync) first, then the practice sandbox's document types and
exercises (portal.assistant.content), all in one transaction. This module sits above both
features, so the catalogue never imports the assistant.
"""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from portal.assistant.content import load as content_load
from portal.assistant.content import sync as content_sync
from portal.catalog import sync, synonyms
from portal.core.slugsync import Change, Changes
from portal.db import db, set_write_intent
from portal.paths import ROOT

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
    Change.CREATED: ("+", "새로 만듦"),
    Change.UPDATED: ("~", "바뀜"),
    Change.UNCHANGED: ("=", "그대로"),
    Change.DEACTIVATED: ("-", "비활성화"),
}


@courses_cli.command("validate")
@_path_option
def validate(root: Path) -> None:
    """Check every course, document type and exercise in courses/ without the database."""
    loaded, loaded_content = _load_or_exit(root)
    click.echo(
        f"{len(loaded.courses)}개 과정에 오류가 없습니다 ({len(loaded.courses)} courses, no errors)."
    )
    types, exercises = len(loaded_content.doc_types), len(loaded_content.exercises)
    click.echo(
        f"문서 유형 {types}개, 실습 과제 {exercises}개에 오류가 없습니다 "
        f"({types} doc types, {exercises} exercises, no errors)."
    )


@courses_cli.command("sync")
@click.option("--dry-run", is_flag=True, help="Show what would change; write nothing.")
@_path_option
def sync_courses(dry_run: bool, root: Path) -> None:
    """Check courses/, then create or update courses, document types and exercises by slug.

    Removed ones are deactivated, never deleted.
    """
    loaded, loaded_content = _load_or_exit(root)
    if dry_run:
        set_write_intent(False)
        plan = sync.plan_sync(loaded)
        content_plan = content_sync.plan_content_sync(loaded_content)
        db.session.rollback()
    else:
        with db.command_transaction():
            plan = sync.plan_sync(loaded)
            sync.apply_sync(plan)
            db.session.flush()  # exercises find their course by slug
            content_plan = content_sync.plan_content_sync(loaded_content)
            content_sync.apply_content_sync(content_plan)
    _echo_changes("과정 동기화 (course sync)", plan)
    if plan.deactivated:
        click.echo(
            "  courses/에서 빠진 과정은 삭제하지 않고 숨깁니다. 차수·신청·이수 기록은 그대로 남습니다 "
            "(removed courses are hidden, never deleted; their sessions and records are kept)."
        )
    _echo_changes("문서 유형 (doc types)", content_plan.doc_type_changes)
    _echo_changes("실습 과제 (exercises)", content_plan.exercise_changes)
    if content_plan.doc_type_changes.deactivated or content_plan.exercise_changes.deactivated:
        click.echo(
            "  courses/에서 빠진 문서 유형과 실습 과제는 삭제하지 않고 숨깁니다. 초안과 제출물은 "
            "그대로 남습니다 (removed doc types and exercises are hidden, never deleted; "
            "drafts and submissions are kept)."
        )
    if dry_run:
        click.echo("미리 보기: 아무것도 바꾸지 않았습니다 (dry run: nothing was changed).")


def _load_or_exit(root: Path) -> tuple[sync.LoadResult, content_load.ContentLoadResult]:
    """Check the courses, then the document types and exercises; exit on any error."""
    loaded = sync.load_courses(root)
    loaded_content = content_load.ContentLoadResult()
    if root.is_dir():  # a missing folder is already reported by the course loader
        loaded_content = content_load.load_content(root, {course.slug for course in loaded.courses})
    # The search synonyms are checked with the courses; search reads the file itself.
    loaded_synonyms = synonyms.load_synonyms(root / synonyms.SYNONYMS_FILE)
    errors = [*loaded.errors, *loaded_content.errors, *loaded_synonyms.errors]
    for error in errors:
        click.echo(str(error), err=True)
    if errors:
        raise click.ClickException(
            f"오류 {len(errors)}개를 고친 뒤 다시 실행하세요. 아무것도 바꾸지 않았습니다 "
            f"({len(errors)} error(s); nothing was changed)."
        )
    return loaded, loaded_content


def _echo_changes(heading: str, plan: Changes) -> None:
    counts = plan.counts()
    click.echo(
        f"{heading}: "
        + ", ".join(f"{_LABELS[change][1]} {change.value} {counts[change]}" for change in Change)
    )
    for change in Change:
        slugs = plan.slugs(change)
        if not slugs:
            continue
        mark, label = _LABELS[change]
        if change is Change.UNCHANGED:
            click.echo(f"  {mark} {label} ({change.value}): {', '.join(slugs)}")
            continue
        for slug in slugs:
            click.echo(f"  {mark} {label} ({change.value}): {slug}")
