"""Document types and exercises from courses/: loading, checking and syncing them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import func, select

from portal.assistant.content import load as content_load
from portal.assistant.content import sync
from portal.assistant.models import DocType, Draft, Exercise
from portal.audit.models import AuditEntry
from portal.catalog.models import Course
from portal.core import clock
from portal.db import db

DESCRIPTION = "## 과정 소개\n\n실습 중심 과정입니다.\n"


def doc_type_fields(slug: str, /, **overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "slug": slug,
        "version": 1,
        "name": "기획보고서",
        "name_en": "Planning report",
        "sort_order": 10,
        "description": "사업 추진을 건의하는 보고서입니다.",
        "description_en": "A report that proposes a project.",
        "system_prompt": "당신은 기획보고서 작성을 돕습니다.\n개인정보를 묻지 않습니다.\n",
        "structure": [
            {
                "title": "추진배경",
                "required": True,
                "hint": "필요성을 2~3개 항목으로",
                "keywords": ["추진배경", "배경"],
            },
            {"title": "기대효과"},
        ],
        "checklist": [
            {"id": "headline-first", "text": "결론을 먼저 썼다", "check": "headline"},
            {"id": "figures-verified", "text": "수치를 원자료와 대조했다"},
        ],
        "style": {
            "gaejosik": True,
            "hierarchy": ["□", "○", "-"],
            "max_sentence_chars": 80,
            "units_required": True,
            "date_style": "2026. 11. 27.",
            "language": "ko",
        },
    }
    fields.update(overrides)
    return {key: value for key, value in fields.items() if value is not ...}


def exercise_fields(slug: str, /, **overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "slug": slug,
        "version": 1,
        "doc_type": "planning-report",
        "title": "자전거 활성화 계획",
        "title_en": "Public bike plan",
        "sort_order": 5,
        "estimated_minutes": 40,
        "scenario": "## 상황\n\n가상의 시 교통정책과 주무관입니다.\n",
        "source_material": "| 항목 | 값 |\n|---|---|\n| 대여소 | 412개소 |\n",
        "rubric": [
            {
                "id": "structure",
                "title": "구성",
                "description": "필수 항목이 있는가",
                "max_score": 5,
                "auto": "sections",
            },
            {"id": "figures", "title": "수치", "description": "자료와 같은가", "max_score": 4},
        ],
        "model_answer": "□ 보고 요지\n○ 대여소 40개소 신설\n",
    }
    fields.update(overrides)
    return {key: value for key, value in fields.items() if value is not ...}


def dump(fields: dict[str, Any]) -> str:
    return yaml.safe_dump(fields, allow_unicode=True, sort_keys=False)


@pytest.fixture
def root(tmp_path) -> Path:
    path = tmp_path / "courses"
    path.mkdir()
    return path


@pytest.fixture
def write_course(root):
    def writer(slug: str, **fields: Any) -> Path:
        folder = root / slug
        folder.mkdir(exist_ok=True)
        course = {
            "slug": slug,
            "title": f"과정 {slug}",
            "title_en": f"Course {slug}",
            "summary": "요약입니다.",
            "category": "practice",
            "level": "applied",
            "format": "classroom",
            "recognised_hours": 3,
            "audience": "전 직원",
            "mandatory_for_new_appointees": False,
            **fields,
        }
        (folder / "course.yml").write_text(dump(course), encoding="utf-8")
        (folder / "description.md").write_text(DESCRIPTION, encoding="utf-8")
        return folder

    return writer


@pytest.fixture
def write_doc_type(root):
    def writer(slug: str, /, *, raw: str | None = None, **fields: Any) -> Path:
        folder = root / "_doctypes"
        folder.mkdir(exist_ok=True)
        path = folder / f"{slug}.yml"
        path.write_text(raw if raw is not None else dump(doc_type_fields(slug, **fields)), "utf-8")
        return path

    return writer


@pytest.fixture
def write_exercise(root):
    def writer(course: str, slug: str, /, *, raw: str | None = None, **fields: Any) -> Path:
        folder = root / course / "exercises"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{slug}.yml"
        path.write_text(raw if raw is not None else dump(exercise_fields(slug, **fields)), "utf-8")
        return path

    return writer


@pytest.fixture
def valid(write_course, write_doc_type, write_exercise):
    """One course, one document type and one exercise, all valid."""
    write_course("report-drafting")
    write_doc_type("planning-report")
    write_exercise("report-drafting", "ex-public-bike")


def load(root: Path, courses: set[str] | None = None) -> content_load.ContentLoadResult:
    return content_load.load_content(root, {"report-drafting"} if courses is None else courses)


def only_error(root: Path, courses: set[str] | None = None):
    errors = load(root, courses).errors
    assert len(errors) == 1, errors
    return errors[0]


# ---------------------------------------------------------------- reading


def test_a_valid_doc_type_and_exercise_load_with_their_defaults_filled_in(root, valid):
    loaded = load(root)
    assert loaded.ok, loaded.errors
    (doc_type,) = loaded.doc_types
    assert (doc_type.slug, doc_type.version, doc_type.name) == ("planning-report", 1, "기획보고서")
    assert doc_type.sort_order == 10
    data = doc_type.data
    assert set(data) == {
        "description",
        "description_en",
        "system_prompt",
        "structure",
        "checklist",
        "style",
    }
    assert data["system_prompt"] == "당신은 기획보고서 작성을 돕습니다.\n개인정보를 묻지 않습니다."
    # A section without required/hint/keywords: required, no hint, its title as keyword.
    assert data["structure"][1] == {
        "title": "기대효과",
        "required": True,
        "hint": "",
        "keywords": ["기대효과"],
    }
    assert data["structure"][0]["keywords"] == ["추진배경", "배경"]
    assert data["checklist"][1]["check"] == "none"
    assert data["style"]["hierarchy"] == ["□", "○", "-"]

    (exercise,) = loaded.exercises
    assert (exercise.slug, exercise.course_slug, exercise.doc_type_slug) == (
        "ex-public-bike",
        "report-drafting",
        "planning-report",
    )
    assert exercise.data["estimated_minutes"] == 40
    assert exercise.data["rubric"][1]["auto"] == "none"
    assert exercise.data["model_answer"] == "□ 보고 요지\n○ 대여소 40개소 신설"
    assert len(exercise.source_hash) == len(doc_type.source_hash) == 64


def test_optional_fields_take_their_defaults(root, write_course, write_doc_type, write_exercise):
    write_course("report-drafting")
    write_doc_type("planning-report", sort_order=...)
    write_exercise("report-drafting", "ex-public-bike", sort_order=..., model_answer=...)
    loaded = load(root)
    assert loaded.ok, loaded.errors
    assert loaded.doc_types[0].sort_order == 0
    assert loaded.exercises[0].sort_order == 0
    assert loaded.exercises[0].data["model_answer"] is None


def test_no_doctypes_folder_means_no_content(root, write_course):
    write_course("report-drafting")
    loaded = load(root)
    assert loaded.ok and loaded.doc_types == [] and loaded.exercises == []


def test_a_whitespace_only_edit_keeps_the_same_hash(root, valid, write_exercise):
    before = load(root).exercises[0].source_hash
    fields = exercise_fields("ex-public-bike")
    fields["scenario"] = fields["scenario"].replace("\n", "   \n") + "\n\n"
    write_exercise("report-drafting", "ex-public-bike", raw=dump(fields))
    assert load(root).exercises[0].source_hash == before

    write_exercise("report-drafting", "ex-public-bike", version=2)
    assert load(root).exercises[0].source_hash != before


def test_moving_an_exercise_to_another_course_changes_its_hash(
    root, valid, write_course, write_exercise
):
    before = load(root).exercises[0].source_hash
    write_course("translation")
    (root / "report-drafting" / "exercises" / "ex-public-bike.yml").unlink()
    write_exercise("translation", "ex-public-bike")
    moved = load(root, {"report-drafting", "translation"}).exercises[0]
    assert moved.course_slug == "translation"
    assert moved.source_hash != before


STRUCTURE = doc_type_fields("x")["structure"]
STYLE = doc_type_fields("x")["style"]


@pytest.mark.parametrize(
    ("fields", "field", "fragment"),
    [
        ({"slug": "planning-reports"}, "slug", "must equal the file name"),
        ({"slug": "Planning_Report"}, "slug", "3-80 characters"),
        ({"version": 0}, "version", "between 1 and 1000000"),
        ({"version": "1"}, "version", "must be a whole number"),
        ({"version": ...}, "version", "required field is missing"),
        ({"name": ""}, "name", "must not be empty"),
        ({"name": "가" * 101}, "name", "at most 100 characters"),
        ({"name_en": 2023}, "name_en", "must be text"),
        ({"description": "가" * 501}, "description", "at most 500 characters"),
        ({"system_prompt": ...}, "system_prompt", "required field is missing"),
        ({"sort_order": 1.5}, "sort_order", "must be a whole number"),
        ({"prompt": "x"}, "prompt", "unknown field"),
        ({"structure": []}, "structure", "must be a non-empty list"),
        ({"structure": "추진배경"}, "structure", "must be a non-empty list"),
        ({"structure": ["추진배경"]}, "structure[1]", "must be a mapping"),
        ({"structure": [{"title": "배경"}, {"title": "배경"}]}, "structure[2].title", "used twice"),
        (
            {"structure": [{"titel": "배경", "title": "배경"}]},
            "structure[1].titel",
            "did you mean 'title'?",
        ),
        ({"structure": [{"title": "배경", "keywords": []}]}, "structure[1].keywords", "between 1"),
        ({"structure": [{"title": "배경", "required": "yes"}]}, "structure[1].required", "true or"),
        (
            {"structure": [{"title": "배경", "keywords": ["배경", "배경"]}]},
            "structure[1].keywords",
            "listed twice",
        ),
        (
            {"checklist": [{"id": "a", "text": "가"}, {"id": "a", "text": "나"}]},
            "checklist[2].id",
            "used twice",
        ),
        ({"checklist": [{"id": "Head_line", "text": "가"}]}, "checklist[1].id", "1-40 characters"),
        ({"checklist": [{"id": "a", "text": ""}]}, "checklist[1].text", "must not be empty"),
        (
            {"checklist": [{"id": "a", "text": "가", "check": "spelling"}]},
            "checklist[1].check",
            "must be one of: sections, gaejosik, sentence-length, units, dates, hierarchy, "
            "headline, none",
        ),
        (
            {
                "checklist": [{"id": "a", "text": "가", "check": "hierarchy"}],
                "style": {**STYLE, "hierarchy": []},
            },
            "checklist[1].check",
            "needs a non-empty style.hierarchy",
        ),
        (
            {
                "checklist": [{"id": "a", "text": "가", "check": "dates"}],
                "style": {**STYLE, "date_style": ""},
            },
            "checklist[1].check",
            "needs a non-empty style.date_style",
        ),
        ({"style": ...}, "style", "required field is missing"),
        ({"style": ["□"]}, "style", "must be a mapping"),
        ({"style": {**STYLE, "hierarchy": "□○-"}}, "style.hierarchy", "must be a list of text"),
        ({"style": {**STYLE, "hierarchy": ["□", "□"]}}, "style.hierarchy", "listed twice"),
        ({"style": {**STYLE, "hierarchy": ["□□□□□"]}}, "style.hierarchy", "longer than 4"),
        ({"style": {**STYLE, "hierarchy": [1]}}, "style.hierarchy", "must be non-empty text"),
        ({"style": {**STYLE, "language": "fr"}}, "style.language", "one of: ko, en, any"),
        ({"style": {**STYLE, "gaejosik": "yes"}}, "style.gaejosik", "true or false"),
        ({"style": {**STYLE, "max_sentence_chars": 5}}, "style.max_sentence_chars", "20 and 500"),
        ({"style": {**STYLE, "date_style": 2026}}, "style.date_style", "must be text"),
        ({"style": {**STYLE, "font": "바탕"}}, "style.font", "unknown field"),
        ({"style": {k: v for k, v in STYLE.items() if k != "language"}}, "style.language", "req"),
    ],
)
def test_each_doc_type_rule_names_the_file_and_the_field(
    root, write_doc_type, fields, field, fragment
):
    write_doc_type("planning-report", **fields)
    error = only_error(root, set())
    assert error.path == "courses/_doctypes/planning-report.yml"
    assert error.field == field
    assert fragment in error.message


@pytest.mark.parametrize(
    ("fields", "field", "fragment"),
    [
        ({"slug": "ex-other"}, "slug", "must equal the file name"),
        ({"version": -1}, "version", "between 1 and 1000000"),
        ({"doc_type": "press-release"}, "doc_type", "unknown document type"),
        ({"doc_type": ...}, "doc_type", "required field is missing"),
        ({"title": "가" * 201}, "title", "at most 200 characters"),
        ({"title_en": "  "}, "title_en", "must not be empty"),
        ({"estimated_minutes": 3}, "estimated_minutes", "between 5 and 600"),
        ({"estimated_minutes": 601}, "estimated_minutes", "between 5 and 600"),
        ({"scenario": ...}, "scenario", "required field is missing"),
        ({"source_material": ["표"]}, "source_material", "must be text"),
        ({"model_answer": ""}, "model_answer", "must not be empty"),
        ({"course": "report-drafting"}, "course", "unknown field"),
        ({"rubric": ...}, "rubric", "required field is missing"),
        ({"rubric": exercise_fields("x")["rubric"][:1]}, "rubric", "between 2 and 8"),
        ({"rubric": exercise_fields("x")["rubric"] * 5}, "rubric", "between 2 and 8"),
        (
            {"rubric": [exercise_fields("x")["rubric"][0]] * 2},
            "rubric[2].id",
            "used twice",
        ),
        (
            {
                "rubric": [
                    exercise_fields("x")["rubric"][0],
                    {"id": "b", "title": "나", "max_score": 2},
                ]
            },
            "rubric[2].description",
            "required field is missing",
        ),
        (
            {
                "rubric": [
                    exercise_fields("x")["rubric"][0],
                    {"id": "b", "title": "나", "description": "다", "max_score": 21},
                ]
            },
            "rubric[2].max_score",
            "between 1 and 20",
        ),
        (
            {
                "rubric": [
                    exercise_fields("x")["rubric"][0],
                    {"id": "b", "title": "나", "description": "다", "max_score": 0},
                ]
            },
            "rubric[2].max_score",
            "between 1 and 20",
        ),
        (
            {
                "rubric": [
                    exercise_fields("x")["rubric"][0],
                    {"id": "b", "title": "나", "description": "다", "max_score": 2, "auto": "x"},
                ]
            },
            "rubric[2].auto",
            "must be one of",
        ),
        (
            {
                "rubric": [
                    exercise_fields("x")["rubric"][0],
                    {"id": "b", "title": "나", "description": "다", "max_score": 2, "weight": 1},
                ]
            },
            "rubric[2].weight",
            "unknown field",
        ),
    ],
)
def test_each_exercise_rule_names_the_file_and_the_field(
    root, write_course, write_doc_type, write_exercise, fields, field, fragment
):
    write_course("report-drafting")
    write_doc_type("planning-report")
    write_exercise("report-drafting", "ex-public-bike", **fields)
    error = only_error(root)
    assert error.path == "courses/report-drafting/exercises/ex-public-bike.yml"
    assert error.field == field
    assert fragment in error.message


def test_a_rubric_check_must_suit_the_doc_types_style(
    root, write_course, write_doc_type, write_exercise
):
    write_course("report-drafting")
    write_doc_type("press-release", style={**STYLE, "units_required": False, "gaejosik": False})
    rubric = exercise_fields("x")["rubric"]
    write_exercise(
        "report-drafting",
        "ex-press",
        doc_type="press-release",
        rubric=[
            rubric[0],
            {**rubric[1], "auto": "units"},
            {**rubric[1], "id": "g", "auto": "gaejosik"},
        ],
    )
    errors = load(root).errors
    assert [(e.field, e.message.split(" (")[-1]) for e in errors] == [
        ("rubric[2].auto", "needs style.units_required: true)"),
        ("rubric[3].auto", "needs style.gaejosik: true)"),
    ]


def test_exercise_slugs_are_unique_across_courses(root, valid, write_course, write_exercise):
    write_course("translation")
    write_exercise("translation", "ex-public-bike")
    error = only_error(root, {"report-drafting", "translation"})
    assert error.path == "courses/translation/exercises/ex-public-bike.yml"
    assert error.field == "slug"
    assert "courses/report-drafting/exercises/ex-public-bike.yml" in error.message
    assert "unique across courses" in error.message


def test_a_repeated_slug_is_caught_even_when_the_first_file_is_broken(
    root, valid, write_course, write_exercise
):
    write_exercise("report-drafting", "ex-public-bike", title="")
    write_course("translation")
    write_exercise("translation", "ex-public-bike")
    errors = load(root, {"report-drafting", "translation"}).errors
    assert [(e.path.split("/")[1], e.field) for e in errors] == [
        ("report-drafting", "title"),
        ("translation", "slug"),
    ]


def test_an_exercise_needs_a_course_that_loads(root, valid):
    error = only_error(root, courses=set())
    assert str(error) == (
        "courses/report-drafting/exercises/ex-public-bike.yml: 과정 'report-drafting'이(가) "
        "오류 없이 읽히는 과정이 아닙니다. report-drafting/course.yml을 먼저 고치세요 "
        "(course 'report-drafting' does not load; fix its course.yml first)"
    )


def test_a_broken_doc_type_does_not_also_fail_its_exercises(root, valid, write_doc_type):
    write_doc_type("planning-report", name="")
    error = only_error(root)
    assert (error.path, error.field) == ("courses/_doctypes/planning-report.yml", "name")


def test_unexpected_files_are_errors_and_hidden_files_are_ignored(root, valid):
    (root / "_doctypes" / "press-release.yaml").write_text("slug: x\n", encoding="utf-8")
    (root / "_doctypes" / ".DS_Store").write_bytes(b"\x00")
    (root / "report-drafting" / "exercises" / "notes.md").write_text("메모", encoding="utf-8")
    (root / "report-drafting" / "exercises" / "drafts").mkdir()
    errors = load(root).errors
    assert [e.path for e in errors] == [
        "courses/_doctypes/press-release.yaml",
        "courses/report-drafting/exercises/drafts",
        "courses/report-drafting/exercises/notes.md",
    ]
    assert all("only <slug>.yml files are allowed here" in e.message for e in errors)


def test_exercises_of_underscore_folders_are_not_read(root, valid):
    hidden = root / "_drafts" / "exercises"
    hidden.mkdir(parents=True)
    (hidden / "ex-wip.yml").write_text("{{{", encoding="utf-8")
    assert load(root).ok


def test_yaml_problems_are_reported_with_the_catalogue_reader(
    root, valid, write_doc_type, write_exercise
):
    write_doc_type("planning-report", raw=dump(doc_type_fields("planning-report")) + "name: 또\n")
    write_exercise("report-drafting", "ex-public-bike", raw="title: [없음\n")
    messages = [str(error) for error in load(root).errors]
    assert len(messages) == 2
    assert messages[0].startswith("courses/_doctypes/planning-report.yml: name: ")
    assert "duplicate field" in messages[0]
    assert messages[1].startswith(
        "courses/report-drafting/exercises/ex-public-bike.yml: YAML 문법 오류"
    )


def test_a_doctypes_file_or_a_missing_root_is_an_error(root, tmp_path):
    (root / "_doctypes").write_text("", encoding="utf-8")
    assert [str(e) for e in load(root).errors] == [
        "courses/_doctypes: 폴더여야 합니다 (must be a directory)"
    ]
    missing = content_load.load_content(tmp_path / "nowhere", set())
    assert [str(e) for e in missing.errors] == ["nowhere: 폴더가 없습니다 (directory not found)"]


# ---------------------------------------------------------------- syncing


@pytest.fixture
def run(app, root):
    runner = app.test_cli_runner()

    def invoke(*args: str):
        return runner.invoke(args=["courses", *args, "--path", str(root)])

    return invoke


def doc_type_row(app, slug: str) -> DocType | None:
    with app.app_context():
        return db.session.scalar(select(DocType).where(DocType.slug == slug))


def exercise_row(app, slug: str) -> Exercise | None:
    with app.app_context():
        return db.session.scalar(select(Exercise).where(Exercise.slug == slug))


def course_id(app, slug: str) -> int:
    with app.app_context():
        return db.session.scalar(select(Course.id).where(Course.slug == slug))


def content_audits(app) -> list[AuditEntry]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(AuditEntry)
                .where(AuditEntry.action == "assistant.content_synced")
                .order_by(AuditEntry.id)
            )
        )


def counts(app) -> tuple[int, int, int]:
    with app.app_context():
        return (
            db.session.scalar(select(func.count(Course.id))),
            db.session.scalar(select(func.count(DocType.id))),
            db.session.scalar(select(func.count(Exercise.id))),
        )


def test_sync_creates_doc_types_and_exercises_after_the_courses(app, run, root, valid):
    result = run("sync")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("과정 동기화 (course sync): 새로 만듦 created 1")
    assert (
        "문서 유형 (doc types): 새로 만듦 created 1, 바뀜 updated 0, 그대로 unchanged 0, "
        "비활성화 deactivated 0" in lines
    )
    assert "  + 새로 만듦 (created): planning-report" in lines
    assert lines.index(
        "실습 과제 (exercises): 새로 만듦 created 1, 바뀜 updated 0, "
        "그대로 unchanged 0, 비활성화 deactivated 0"
    ) > lines.index("  + 새로 만듦 (created): planning-report")
    assert "  + 새로 만듦 (created): ex-public-bike" in lines

    loaded = load(root)
    doc_type = doc_type_row(app, "planning-report")
    assert doc_type.is_active and doc_type.version == 1 and doc_type.name_en == "Planning report"
    assert doc_type.data == loaded.doc_types[0].data
    assert doc_type.source_hash == loaded.doc_types[0].source_hash
    assert doc_type.synced_at is not None
    exercise = exercise_row(app, "ex-public-bike")
    assert exercise.course_id == course_id(app, "report-drafting")
    assert exercise.doc_type_id == doc_type.id
    assert exercise.data == loaded.exercises[0].data
    assert (exercise.title, exercise.sort_order, exercise.is_active) == (
        "자전거 활성화 계획",
        5,
        True,
    )

    (audit,) = content_audits(app)
    assert audit.target_type == "assistant_content"
    assert audit.details["doc_types"]["created_slugs"] == ["planning-report"]
    assert audit.details["exercises"]["created"] == 1
    assert audit.details["exercises"]["created_slugs"] == ["ex-public-bike"]

    again = run("sync")
    assert again.exit_code == 0, again.output
    assert "  = 그대로 (unchanged): planning-report" in again.output
    assert "  = 그대로 (unchanged): ex-public-bike" in again.output
    assert "실습 과제 (exercises): 새로 만듦 created 0, 바뀜 updated 0, 그대로 unchanged 1" in (
        again.output
    )
    assert len(content_audits(app)) == 1  # nothing changed, nothing to audit


def test_editing_an_exercise_reports_it_updated(app, run, valid, write_exercise):
    assert run("sync").exit_code == 0
    clock.advance(dt.timedelta(hours=1))
    write_exercise("report-drafting", "ex-public-bike", version=2, estimated_minutes=50)
    result = run("sync")
    assert result.exit_code == 0, result.output
    assert "  ~ 바뀜 (updated): ex-public-bike" in result.output
    assert "  = 그대로 (unchanged): planning-report" in result.output
    exercise = exercise_row(app, "ex-public-bike")
    assert exercise.version == 2 and exercise.data["estimated_minutes"] == 50
    assert content_audits(app)[-1].details["exercises"]["updated_slugs"] == ["ex-public-bike"]
    assert content_audits(app)[-1].details["doc_types"]["updated_slugs"] == []


def test_moving_an_exercise_relinks_its_course(app, run, root, valid, write_course, write_exercise):
    write_course("translation")
    write_exercise("report-drafting", "ex-staying")
    assert run("sync").exit_code == 0
    (root / "report-drafting" / "exercises" / "ex-public-bike.yml").unlink()
    write_exercise("translation", "ex-public-bike")
    write_exercise("report-drafting", "ex-staying", version=2)
    result = run("sync")
    assert "  ~ 바뀜 (updated): ex-public-bike" in result.output
    assert exercise_row(app, "ex-public-bike").course_id == course_id(app, "translation")
    assert exercise_row(app, "ex-staying").course_id == course_id(app, "report-drafting")


def test_removed_content_is_deactivated_not_deleted_and_comes_back(
    app, run, root, valid, make_user
):
    assert run("sync").exit_code == 0
    # A trainee's draft points at the exercise: deletion would be refused by the database.
    user = make_user()
    with app.app_context():
        exercise = db.session.scalar(select(Exercise).where(Exercise.slug == "ex-public-bike"))
        now = clock.utcnow()
        db.session.add(
            Draft(
                user_id=user.id,
                doc_type_id=exercise.doc_type_id,
                doc_type_version=1,
                exercise_id=exercise.id,
                exercise_version=1,
                title="연습",
                segments=[],
                created_at=now,
                updated_at=now,
            )
        )
        db.session.commit()

    exercise_file = root / "report-drafting" / "exercises" / "ex-public-bike.yml"
    saved_exercise = exercise_file.read_text(encoding="utf-8")
    doc_type_file = root / "_doctypes" / "planning-report.yml"
    saved_doc_type = doc_type_file.read_text(encoding="utf-8")
    exercise_file.unlink()
    doc_type_file.unlink()
    result = run("sync")
    assert result.exit_code == 0, result.output
    assert "  - 비활성화 (deactivated): planning-report" in result.output
    assert "  - 비활성화 (deactivated): ex-public-bike" in result.output
    assert "drafts and submissions are kept" in result.output
    assert not doc_type_row(app, "planning-report").is_active
    assert not exercise_row(app, "ex-public-bike").is_active
    assert counts(app) == (1, 1, 1)
    details = content_audits(app)[-1].details
    assert details["doc_types"]["deactivated_slugs"] == ["planning-report"]
    assert details["exercises"]["deactivated_slugs"] == ["ex-public-bike"]

    # Inactive rows are left alone by the next sync; restoring the files reactivates them.
    assert "비활성화 deactivated 0" in run("sync").output
    doc_type_file.write_text(saved_doc_type, encoding="utf-8")
    exercise_file.write_text(saved_exercise, encoding="utf-8")
    restored = run("sync")
    assert "  ~ 바뀜 (updated): planning-report" in restored.output
    assert "  ~ 바뀜 (updated): ex-public-bike" in restored.output
    assert doc_type_row(app, "planning-report").is_active
    assert exercise_row(app, "ex-public-bike").is_active


def test_dry_run_reports_the_content_and_writes_nothing(app, run, valid):
    result = run("sync", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "  + 새로 만듦 (created): planning-report" in result.output
    assert "  + 새로 만듦 (created): ex-public-bike" in result.output
    assert "dry run: nothing was changed" in result.output
    assert counts(app) == (0, 0, 0)
    assert content_audits(app) == []


def test_validate_checks_the_content_without_touching_the_database(app, run, valid):
    result = run("validate")
    assert result.exit_code == 0, result.output
    assert "1 courses, no errors" in result.output
    assert "1 doc types, 1 exercises, no errors" in result.output
    assert counts(app) == (0, 0, 0)


@pytest.mark.parametrize("command", [("sync",), ("sync", "--dry-run"), ("validate",)])
def test_a_content_error_exits_non_zero_and_writes_nothing(
    app, run, valid, write_exercise, command
):
    write_exercise("report-drafting", "ex-public-bike", estimated_minutes=1)
    result = run(*command)
    assert result.exit_code == 1, result.output
    assert (
        "courses/report-drafting/exercises/ex-public-bike.yml: estimated_minutes: "
        "5~600 사이여야 합니다 (must be between 5 and 600)"
    ) in result.output
    assert "오류 1개를 고친 뒤" in result.output and "nothing was changed" in result.output
    assert counts(app) == (0, 0, 0)  # not even the valid course
    assert content_audits(app) == []


@pytest.mark.parametrize(
    ("replace", "expected"),
    [
        (
            ("max_score: 4", "max_score: 2026-13-45"),
            "rubric[1].max_score: {line}번째 줄 (line {line}): 날짜로 읽히지만 올바른 날짜가 아닙니다",
        ),
        (
            ("title: 수치", 'title: "수\\0치"'),
            "rubric[1].title: {line}번째 줄 (line {line}): 제어 문자(U+0000)는 쓸 수 없습니다",
        ),
    ],
)
def test_an_unbuildable_value_in_content_is_a_clean_error(
    app, run, valid, write_exercise, replace, expected
):
    text = dump(exercise_fields("ex-public-bike")).replace(*replace)
    line = next(n for n, row in enumerate(text.splitlines(), 1) if replace[1] in row)
    expected = expected.format(line=line)
    write_exercise("report-drafting", "ex-public-bike", raw=text)
    for command in (("sync",), ("validate",)):
        result = run(*command)
        assert result.exit_code == 1, result.output
        assert isinstance(result.exception, SystemExit)
        assert f"courses/report-drafting/exercises/ex-public-bike.yml: {expected}" in result.output
    assert counts(app) == (0, 0, 0)


def test_course_and_content_errors_are_reported_together(app, run, valid, write_course):
    write_course("report-drafting", level="expert")
    result = run("validate")
    assert result.exit_code == 1
    assert "courses/report-drafting/course.yml: level: " in result.output
    assert "courses/report-drafting/exercises/ex-public-bike.yml: " in result.output
    assert "오류 2개를" in result.output


def test_apply_needs_the_courses_synced_first(ctx, root, valid):
    plan = sync.plan_content_sync(load(root))
    with pytest.raises(ValueError, match="courses not synced yet: report-drafting"):
        sync.apply_content_sync(plan)


def test_plan_refuses_content_with_errors(ctx, root, valid, write_doc_type):
    write_doc_type("planning-report", version=0)
    with pytest.raises(ValueError):
        sync.plan_content_sync(load(root))
