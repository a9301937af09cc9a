"""`flask courses sync` and `flask courses validate`, and the sync operations behind them."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from portal.audit.models import AuditEntry
from portal.catalog import sync
from portal.catalog.models import Category, Course, Format, Level
from portal.db import db

DESCRIPTION = "## 과정 소개\n\n실습 중심 과정입니다.\n"


def course_fields(slug: str, /, **overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "slug": slug,
        "title": f"과정 {slug}",
        "title_en": f"Course {slug}",
        "summary": "요약입니다.",
        "category": "practice",
        "level": "basic",
        "format": "classroom",
        "recognised_hours": 3,
        "audience": "전 직원",
        "prerequisites": [],
        "mandatory_for_new_appointees": False,
        "sort_order": 10,
    }
    fields.update(overrides)
    return {key: value for key, value in fields.items() if value is not ...}


@pytest.fixture
def root(tmp_path) -> Path:
    path = tmp_path / "courses"
    path.mkdir()
    return path


@pytest.fixture
def write(root):
    """Write courses/<slug>/ with a course.yml (fields, or raw text) and a description."""

    def writer(
        folder_name: str,
        /,
        *,
        raw: str | None = None,
        description: str | None = DESCRIPTION,
        **fields,
    ) -> Path:
        folder = root / folder_name
        folder.mkdir(exist_ok=True)
        text = (
            raw
            if raw is not None
            else yaml.safe_dump(
                course_fields(folder_name, **fields), allow_unicode=True, sort_keys=False
            )
        )
        (folder / "course.yml").write_text(text, encoding="utf-8")
        if description is not None:
            (folder / "description.md").write_text(description, encoding="utf-8")
        return folder

    return writer


@pytest.fixture
def run(app, root):
    runner = app.test_cli_runner()

    def invoke(*args: str):
        return runner.invoke(args=["courses", *args, "--path", str(root)])

    return invoke


def stored(app, slug: str) -> Course | None:
    with app.app_context():
        return db.session.scalar(
            select(Course).where(Course.slug == slug).options(selectinload(Course.prerequisites))
        )


def course_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Course.id)))


def sync_audits(app) -> list[AuditEntry]:
    with app.app_context():
        return list(
            db.session.scalars(select(AuditEntry).where(AuditEntry.action == "courses.synced"))
        )


# ---------------------------------------------------------------- reading


def test_a_valid_folder_loads_every_field(write, root):
    write("intro-basics")
    write(
        "new-staff-essentials",
        category="literacy",
        level="applied",
        format="blended",
        recognised_hours=1.5,
        prerequisites=["intro-basics"],
        mandatory_for_new_appointees=True,
        mandatory_within_days=90,
        requires_approval=True,
        requires_exercise=True,
    )
    loaded = sync.load_courses(root)
    assert loaded.ok, loaded.errors
    course = {c.slug: c for c in loaded.courses}["new-staff-essentials"]
    assert course.category is Category.LITERACY
    assert course.level is Level.APPLIED
    assert course.format is Format.BLENDED
    assert course.recognised_hours == Decimal("1.5")
    assert course.prerequisites == ("intro-basics",)
    assert course.is_mandatory_for_new and course.mandatory_within_days == 90
    assert course.requires_approval and course.requires_exercise
    assert course.description_md == DESCRIPTION


def test_optional_fields_take_their_defaults(write, root):
    write(
        "intro-basics",
        prerequisites=...,
        sort_order=...,
        requires_approval=...,
        requires_exercise=...,
    )
    (course,) = sync.load_courses(root).courses
    assert course.prerequisites == ()
    assert course.sort_order == 0
    assert not course.requires_approval and not course.requires_exercise
    assert course.mandatory_within_days is None


def test_materials_follow_the_description(write, root):
    folder = write("intro-basics")
    (folder / "materials.md").write_text("## 교육 자료\n\n- 교재\n", encoding="utf-8")
    (course,) = sync.load_courses(root).courses
    assert course.description_md == DESCRIPTION + "\n## 교육 자료\n\n- 교재\n"


def test_underscore_folders_hidden_files_and_exercises_are_ignored(write, root):
    folder = write("intro-basics")
    (folder / "exercises").mkdir()
    (folder / "exercises" / "anything.yml").write_text("not: [checked", encoding="utf-8")
    (folder / ".DS_Store").write_bytes(b"\x00")
    (root / "_doctypes").mkdir()
    (root / "_doctypes" / "report.yml").write_text("{{{", encoding="utf-8")
    (root / "README.md").write_text("# 안내", encoding="utf-8")
    loaded = sync.load_courses(root)
    assert loaded.ok, loaded.errors
    assert [c.slug for c in loaded.courses] == ["intro-basics"]


def test_every_error_is_reported_not_only_the_first(write, root):
    write("alpha-course", recognised_hours=0, level="expert")
    write("beta-course", description=None)
    messages = [str(error) for error in sync.load_courses(root).errors]
    assert messages == [
        "courses/alpha-course/course.yml: level: 다음 중 하나여야 합니다: basic, applied, advanced "
        "(must be one of: basic, applied, advanced)",
        "courses/alpha-course/course.yml: recognised_hours: 0보다 커야 합니다 (must be greater than 0)",
        "courses/beta-course/description.md: 파일이 없습니다 (file is missing)",
    ]


def test_a_whitespace_only_edit_keeps_the_same_hash(write, root):
    write("intro-basics")
    before = sync.load_courses(root).courses[0].source_hash
    write("intro-basics", description=DESCRIPTION.replace("\n", "   \r\n") + "\n\n")
    assert sync.load_courses(root).courses[0].source_hash == before


def test_plan_sync_refuses_sources_with_errors(app, write, root):
    write("intro-basics", level="expert")
    with app.app_context(), pytest.raises(ValueError):
        sync.plan_sync(sync.load_courses(root))


@pytest.mark.parametrize(
    ("hours", "message"),
    [
        (0, "0보다 커야 합니다 (must be greater than 0)"),
        (-1, "0보다 커야 합니다 (must be greater than 0)"),
        (100.5, "100 이하여야 합니다 (must be at most 100)"),
        (1.25, "0.5시간 단위여야 합니다 (must be a multiple of 0.5)"),
        ("3", "숫자여야 합니다 (must be a number)"),
        (True, "숫자여야 합니다 (must be a number)"),
        (float("nan"), "숫자여야 합니다 (must be a number)"),
    ],
)
def test_recognised_hours_must_be_a_positive_half_hour_step(write, root, hours, message):
    write("intro-basics", recognised_hours=hours)
    assert [str(e) for e in sync.load_courses(root).errors] == [
        f"courses/intro-basics/course.yml: recognised_hours: {message}"
    ]


@pytest.mark.parametrize(
    ("fields", "field", "fragment"),
    [
        ({"mandatory_for_new_appointees": True}, "mandatory_within_days", "required when"),
        ({"mandatory_within_days": 30}, "mandatory_within_days", "only allowed when"),
        (
            {"mandatory_for_new_appointees": True, "mandatory_within_days": 400},
            "mandatory_within_days",
            "between 1 and 365",
        ),
        ({"mandatory_for_new_appointees": ...}, "mandatory_for_new_appointees", "required field"),
        ({"title": ""}, "title", "must not be empty"),
        ({"title": 2023}, "title", "must be text"),
        ({"title": "가" * 201}, "title", "at most 200 characters"),
        ({"summary": ...}, "summary", "required field is missing"),
        ({"category": "ethics"}, "category", "literacy, practice, data, planning, special"),
        ({"format": "Online"}, "format", "classroom, online, blended"),
        ({"requires_approval": "yes"}, "requires_approval", "must be true or false"),
        ({"sort_order": 1.5}, "sort_order", "must be a whole number"),
        ({"prerequisites": "intro-basics"}, "prerequisites", "must be a list"),
        ({"prerequisites": ["x-course", "x-course"]}, "prerequisites", "listed twice"),
        ({"prerequisites": ["the-course"]}, "prerequisites", "cannot require itself"),
        ({"slug": "The_Course"}, "slug", "3-80 characters"),
    ],
)
def test_each_field_rule_names_the_file_and_the_field(write, root, fields, field, fragment):
    write("x-course")
    write("the-course", **fields)
    errors = sync.load_courses(root).errors
    assert len(errors) == 1, errors
    assert errors[0].path == "courses/the-course/course.yml"
    assert errors[0].field == field
    assert fragment in errors[0].message


# ---------------------------------------------------------------- syncing


def test_sync_creates_the_courses_then_a_second_sync_reports_them_unchanged(app, run, write):
    write("intro-basics")
    write("report-drafting", level="applied", prerequisites=["intro-basics"])

    first = run("sync")
    assert first.exit_code == 0, first.output
    assert "created 2" in first.output
    assert "+ 새로 만듦 (created): intro-basics" in first.output
    course = stored(app, "report-drafting")
    assert course.level is Level.APPLIED and course.is_active
    assert [p.slug for p in course.prerequisites] == ["intro-basics"]
    assert len(course.source_hash) == 64
    (audit,) = sync_audits(app)
    assert audit.details["created"] == 2
    assert audit.details["created_slugs"] == ["intro-basics", "report-drafting"]

    second = run("sync")
    assert second.exit_code == 0, second.output
    assert "created 0" in second.output and "unchanged 2" in second.output
    assert "= 그대로 (unchanged): intro-basics, report-drafting" in second.output
    assert len(sync_audits(app)) == 1  # nothing changed, nothing to audit


def test_editing_a_field_reports_the_course_updated(app, run, write):
    write("intro-basics")
    write("report-drafting")
    assert run("sync").exit_code == 0

    write("report-drafting", recognised_hours=4.5, title="보고서 작성 실습")
    result = run("sync")
    assert result.exit_code == 0, result.output
    assert "updated 1" in result.output and "unchanged 1" in result.output
    assert "~ 바뀜 (updated): report-drafting" in result.output
    course = stored(app, "report-drafting")
    assert course.recognised_hours == Decimal("4.5")
    assert course.title == "보고서 작성 실습"
    assert sync_audits(app)[-1].details["updated_slugs"] == ["report-drafting"]


def test_changing_prerequisites_relinks_them(app, run, write):
    write("intro-basics")
    write("data-basics")
    write("report-drafting", prerequisites=["intro-basics"])
    assert run("sync").exit_code == 0

    write("report-drafting", prerequisites=["data-basics"])
    assert run("sync").exit_code == 0
    assert [p.slug for p in stored(app, "report-drafting").prerequisites] == ["data-basics"]


def test_dry_run_reports_the_changes_and_writes_nothing(app, run, write):
    write("intro-basics")
    result = run("sync", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "created 1" in result.output
    assert "dry run: nothing was changed" in result.output
    assert stored(app, "intro-basics") is None
    assert sync_audits(app) == []


def test_a_removed_course_is_deactivated_not_deleted(app, run, write, root, make_session):
    write("intro-basics")
    write("old-course")
    assert run("sync").exit_code == 0
    make_session(course_id=stored(app, "old-course").id)

    (root / "old-course" / "course.yml").unlink()
    (root / "old-course" / "description.md").unlink()
    (root / "old-course").rmdir()
    result = run("sync")
    assert result.exit_code == 0, result.output
    assert "- 비활성화 (deactivated): old-course" in result.output
    kept = stored(app, "old-course")
    assert kept is not None and not kept.is_active
    assert stored(app, "intro-basics").is_active

    # A second sync leaves the inactive course alone; restoring the folder brings it back.
    assert "deactivated 0" in run("sync").output
    write("old-course")
    restored = run("sync")
    assert "~ 바뀜 (updated): old-course" in restored.output
    assert stored(app, "old-course").is_active


def test_validate_checks_without_touching_the_database(app, run, write):
    write("intro-basics")
    result = run("validate")
    assert result.exit_code == 0, result.output
    assert "1 courses, no errors" in result.output
    assert course_count(app) == 0


BAD_SOURCES = {
    "bad_yaml": (
        lambda write, root: write("alpha-course", raw="title: [없음\nslug: alpha-course\n"),
        "courses/alpha-course/course.yml: YAML 문법 오류 2번째 줄 (line 2)",
    ),
    "duplicate_field": (
        lambda write, root: write(
            "alpha-course",
            raw=yaml.safe_dump(course_fields("alpha-course"), allow_unicode=True) + "title: 다시\n",
        ),
        "courses/alpha-course/course.yml: title: ",
    ),
    "not_a_mapping": (
        lambda write, root: write("alpha-course", raw="- slug\n- title\n"),
        "courses/alpha-course/course.yml: '항목: 값' 형식이어야 합니다",
    ),
    "unknown_field": (
        lambda write, root: write("alpha-course", titel="오타"),
        "courses/alpha-course/course.yml: titel: 알 수 없는 항목입니다 (unknown field). "
        "'title'을(를) 뜻했나요? (did you mean 'title'?)",
    ),
    "wrong_type": (
        lambda write, root: write("alpha-course", recognised_hours="three"),
        "courses/alpha-course/course.yml: recognised_hours: 숫자여야 합니다 (must be a number)",
    ),
    "bad_enum": (
        lambda write, root: write("alpha-course", level="expert"),
        "courses/alpha-course/course.yml: level: 다음 중 하나여야 합니다: basic, applied, advanced",
    ),
    "zero_hours": (
        lambda write, root: write("alpha-course", recognised_hours=0),
        "courses/alpha-course/course.yml: recognised_hours: 0보다 커야 합니다 (must be greater than 0)",
    ),
    "missing_description": (
        lambda write, root: write("alpha-course", description=None),
        "courses/alpha-course/description.md: 파일이 없습니다 (file is missing)",
    ),
    "empty_description": (
        lambda write, root: write("alpha-course", description="  \n\n"),
        "courses/alpha-course/description.md: 내용이 비어 있습니다 (file is empty)",
    ),
    "missing_course_yml": (
        lambda write, root: (
            write("alpha-course"),
            (root / "alpha-course" / "course.yml").unlink(),
        ),
        "courses/alpha-course/course.yml: 파일이 없습니다 (file is missing)",
    ),
    "prerequisite_cycle": (
        lambda write, root: (
            write("alpha-course", prerequisites=["gamma-course"]),
            write("gamma-course", prerequisites=["alpha-course"]),
        ),
        "courses/alpha-course/course.yml: prerequisites: 선수 과정이 돌고 돕니다: "
        "alpha-course → gamma-course → alpha-course (prerequisite cycle)",
    ),
    "unknown_prerequisite": (
        lambda write, root: write("alpha-course", prerequisites=["ghost-course"]),
        "courses/alpha-course/course.yml: prerequisites: 'ghost-course' 과정이 courses/에 없습니다 "
        "(unknown course 'ghost-course')",
    ),
    "slug_not_folder": (
        lambda write, root: write("alpha-course", slug="alpha-courses"),
        "courses/alpha-course/course.yml: slug: 폴더 이름 'alpha-course'과(와) 같아야 합니다 "
        "(must equal the folder name)",
    ),
    "misspelt_file": (
        lambda write, root: (
            write("alpha-course"),
            (root / "alpha-course" / "course.yaml").touch(),
        ),
        "courses/alpha-course/course.yaml: 알 수 없는 파일입니다.",
    ),
    "impossible_date": (
        lambda write, root: write(
            "alpha-course",
            raw=yaml.safe_dump(course_fields("alpha-course", sort_order=...), allow_unicode=True)
            + "sort_order: 2026-13-45\n",
        ),
        "courses/alpha-course/course.yml: sort_order: 12번째 줄 (line 12): 날짜로 읽히지만 "
        "올바른 날짜가 아닙니다",
    ),
    "nul_escape_in_text": (
        lambda write, root: write(
            "alpha-course",
            raw=yaml.safe_dump(course_fields("alpha-course", summary=...), allow_unicode=True)
            + 'summary: "요약\\0끝"\n',
        ),
        "courses/alpha-course/course.yml: summary: 12번째 줄 (line 12): 제어 문자(U+0000)는 "
        "쓸 수 없습니다 (control character U+0000 is not allowed)",
    ),
    "control_character_in_markdown": (
        lambda write, root: write("alpha-course", description="## 소개\n\n본문\x1b[31m\n"),
        "courses/alpha-course/description.md: 3번째 줄 (line 3): 제어 문자(U+001B)는 쓸 수 "
        "없습니다",
    ),
    "not_utf8": (
        lambda write, root: (
            write("alpha-course"),
            (root / "alpha-course" / "course.yml").write_bytes("title: 한글\n".encode("cp949")),
        ),
        "courses/alpha-course/course.yml: UTF-8 인코딩이 아닙니다 (file is not UTF-8 encoded)",
    ),
}


@pytest.mark.parametrize("case", list(BAD_SOURCES))
def test_a_bad_source_exits_non_zero_naming_the_problem_and_writes_nothing(
    app, run, write, root, case
):
    write("beta-course")  # a valid course alongside: it must not be written either
    make_bad, expected = BAD_SOURCES[case]
    make_bad(write, root)

    for command in (("sync",), ("sync", "--dry-run"), ("validate",)):
        result = run(*command)
        assert result.exit_code == 1, result.output
        assert isinstance(result.exception, SystemExit)  # a clean exit, not a traceback
        assert expected in result.output
        assert "nothing was changed" in result.output
    assert course_count(app) == 0
    assert sync_audits(app) == []


def test_a_bad_source_leaves_an_earlier_sync_untouched(app, run, write):
    write("beta-course")
    assert run("sync").exit_code == 0
    write("beta-course", recognised_hours=5)
    write("alpha-course", level="expert")
    assert run("sync").exit_code == 1
    assert stored(app, "beta-course").recognised_hours == Decimal("3")
    assert stored(app, "alpha-course") is None


def test_an_empty_or_missing_folder_is_refused_so_nothing_is_deactivated(
    app, run, write, root, tmp_path
):
    write("intro-basics")
    assert run("sync").exit_code == 0
    (root / "intro-basics" / "course.yml").unlink()
    (root / "intro-basics" / "description.md").unlink()
    (root / "intro-basics").rmdir()

    result = run("sync")
    assert result.exit_code == 1
    assert "courses: 과정 폴더가 하나도 없습니다 (no course folders found)" in result.output
    missing = app.test_cli_runner().invoke(
        args=["courses", "sync", "--path", str(tmp_path / "nowhere")]
    )
    assert missing.exit_code == 1
    assert "nowhere: 폴더가 없습니다 (directory not found)" in missing.output
    assert stored(app, "intro-basics").is_active
