"""The satisfaction-survey fields of course.yml (``survey``, ``survey_required``) and their sync."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from portal.catalog import sync
from portal.catalog.survey_source import MAX_QUESTIONS
from portal.paths import ROOT
from tests.unit.catalog.test_sync import DESCRIPTION, course_fields, stored

QUESTIONS = [
    {
        "key": "content",
        "text": "교육 내용에 만족하셨습니까?",
        "text_en": "Satisfied with the content?",
    },
    {
        "key": "usefulness",
        "text": "업무에 활용할 수 있겠습니까?",
        "text_en": "Useful in your work?",
    },
]


@pytest.fixture
def root(tmp_path) -> Path:
    path = tmp_path / "courses"
    path.mkdir()
    return path


@pytest.fixture
def write(root):
    """courses/<slug>/ with a course.yml (fields, or raw text) and a description."""

    def writer(folder_name: str, /, *, raw: str | None = None, **fields) -> Path:
        folder = root / folder_name
        folder.mkdir(exist_ok=True)
        text = raw or yaml.safe_dump(
            course_fields(folder_name, **fields), allow_unicode=True, sort_keys=False
        )
        (folder / "course.yml").write_text(text, encoding="utf-8")
        (folder / "description.md").write_text(DESCRIPTION, encoding="utf-8")
        return folder

    return writer


@pytest.fixture
def run(app, root):
    runner = app.test_cli_runner()
    return lambda *args: runner.invoke(args=["courses", *args, "--path", str(root)])


def _errors(root) -> list[tuple[str | None, str]]:
    return [(error.field, error.message) for error in sync.load_courses(root).errors]


def test_questions_and_the_requirement_are_read_in_order(write, root):
    write("intro-basics", survey=QUESTIONS, survey_required=True)
    (course,) = sync.load_courses(root).courses
    assert course.survey_questions == tuple(QUESTIONS)
    assert course.requires_survey is True


def test_a_course_without_survey_fields_has_no_survey(write, root):
    write("intro-basics")
    (course,) = sync.load_courses(root).courses
    assert course.survey_questions == () and course.requires_survey is False


def test_text_is_trimmed(write, root):
    write(
        "intro-basics", survey=[{"key": "content", "text": "  만족하셨습니까? ", "text_en": "Ok? "}]
    )
    (course,) = sync.load_courses(root).courses
    assert course.survey_questions == (
        {"key": "content", "text": "만족하셨습니까?", "text_en": "Ok?"},
    )


def _question(n: int, **fields) -> dict:
    question = {"key": f"q{n}", "text": f"문항 {n}", "text_en": f"Question {n}"}
    question.update(fields)
    return {k: v for k, v in question.items() if v is not ...}


@pytest.mark.parametrize(
    ("survey", "field", "fragment"),
    [
        ([_question(1), _question(2, key="q1")], "survey[2].key", "duplicate question key"),
        ([_question(1, key="Content")], "survey[1].key", "1-40 characters of a-z"),
        ([_question(1, key="내용")], "survey[1].key", "1-40 characters of a-z"),
        ([_question(1, key="a" * 41)], "survey[1].key", "at most 40 characters"),
        ([_question(1, key=3)], "survey[1].key", "must be text"),
        ([_question(1, key=...)], "survey[1].key", "required field is missing"),
        ([_question(1, text="")], "survey[1].text", "must not be empty"),
        ([_question(1, text="   ")], "survey[1].text", "must not be empty"),
        ([_question(1, text_en=...)], "survey[1].text_en", "required field is missing"),
        ([_question(1, text="가" * 201)], "survey[1].text", "at most 200 characters"),
        ([_question(1, scale=7)], "survey[1].scale", "unknown field"),
        ([_question(1, txt="x")], "survey[1].txt", "did you mean 'text'"),
        ([_question(n) for n in range(1, MAX_QUESTIONS + 2)], "survey", "at most 10 questions"),
        ([], "survey", "non-empty list"),
        ("content", "survey", "non-empty list"),
        ({"key": "content"}, "survey", "non-empty list"),
        (["교육 내용에 만족하셨습니까?"], "survey[1]", "must be a mapping"),
    ],
)
def test_each_survey_rule_names_the_file_and_the_question(write, root, survey, field, fragment):
    write("the-course", survey=survey)
    errors = sync.load_courses(root).errors
    assert len(errors) == 1, errors
    assert errors[0].path == "courses/the-course/course.yml"
    assert errors[0].field == field
    assert fragment in errors[0].message


def test_ten_questions_are_allowed(write, root):
    write("the-course", survey=[_question(n) for n in range(1, MAX_QUESTIONS + 1)])
    (course,) = sync.load_courses(root).courses
    assert len(course.survey_questions) == MAX_QUESTIONS


def test_every_bad_question_is_reported_not_only_the_first(write, root):
    write("the-course", survey=[_question(1, text=""), _question(2), _question(3, key="q2")])
    assert [field for field, _message in _errors(root)] == ["survey[1].text", "survey[3].key"]


@pytest.mark.parametrize(
    ("fields", "fragment"),
    [
        ({"survey_required": True}, "needs at least one survey question"),
        ({"survey_required": "yes", "survey": QUESTIONS}, "must be true or false"),
    ],
)
def test_survey_required_needs_questions_and_a_boolean(write, root, fields, fragment):
    write("the-course", **fields)
    ((field, message),) = _errors(root)
    assert field == "survey_required" and fragment in message


def test_a_duplicate_question_key_in_the_file_fails_the_command_with_its_line(write, root, run):
    write(
        "the-course",
        raw=(
            "slug: the-course\ntitle: 과정\ntitle_en: Course\nsummary: 요약\ncategory: practice\n"
            "level: basic\nformat: classroom\nrecognised_hours: 3\naudience: 전 직원\n"
            "mandatory_for_new_appointees: false\n"
            "survey:\n  - key: content\n    text: 만족하셨습니까?\n    text_en: Satisfied?\n"
            "  - key: content\n    text: 또 물어봅니다\n    text_en: Again\n"
        ),
    )
    result = run("validate")
    assert result.exit_code != 0
    assert "courses/the-course/course.yml: survey[2].key:" in result.output
    assert "duplicate question key" in result.output


def test_sync_stores_the_questions_and_a_change_updates_the_course(app, write, run):
    write("intro-basics", survey=QUESTIONS, survey_required=True)
    assert run("sync").exit_code == 0
    course = stored(app, "intro-basics")
    assert course.survey_questions == QUESTIONS and course.requires_survey is True

    write("intro-basics", survey=QUESTIONS[:1])
    result = run("sync")
    assert result.exit_code == 0, result.output
    assert "updated 1" in result.output
    course = stored(app, "intro-basics")
    assert course.survey_questions == QUESTIONS[:1] and course.requires_survey is False


def test_every_shipped_course_asks_three_to_five_questions():
    loaded = sync.load_courses(ROOT / "courses")
    assert loaded.ok, loaded.errors
    for course in loaded.courses:
        keys = [q["key"] for q in course.survey_questions]
        assert 3 <= len(keys) <= 5, course.slug
        assert keys[0] == "content" and "usefulness" in keys, course.slug
