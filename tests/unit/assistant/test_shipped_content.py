"""The document types and exercises shipped in courses/: CI's check that they load and are safe."""

from __future__ import annotations

import re

import pytest

from portal.assistant.content import load
from portal.catalog import sync
from portal.paths import ROOT

SHIPPED = ROOT / "courses"
DOC_TYPES = {
    "planning-report": "기획보고서",
    "press-release": "보도자료",
    "meeting-report": "회의결과 보고",
    "official-letter": "공문",
    "translation": "번역",
    "idea-discovery": "아이디어 발굴",
}


@pytest.fixture(scope="module")
def shipped() -> load.ContentLoadResult:
    courses = sync.load_courses(SHIPPED)
    assert courses.ok, "\n".join(str(error) for error in courses.errors)
    loaded = load.load_content(SHIPPED, {course.slug for course in courses.courses})
    assert loaded.ok, "\n".join(str(error) for error in loaded.errors)
    return loaded


def trainee_texts(loaded: load.ContentLoadResult):
    """(exercise slug, field, text) for everything a trainee may paste into the chat."""
    for exercise in loaded.exercises:
        for key in ("scenario", "source_material", "model_answer"):
            if exercise.data[key]:
                yield exercise.slug, key, exercise.data[key]


def test_every_shipped_doc_type_and_exercise_loads_without_errors():
    courses = sync.load_courses(SHIPPED)
    loaded = load.load_content(SHIPPED, {course.slug for course in courses.courses})
    assert loaded.errors == [], "\n".join(str(error) for error in loaded.errors)


def test_the_six_document_types_are_there(shipped):
    assert {d.slug: d.name for d in shipped.doc_types} == DOC_TYPES
    orders = [d.sort_order for d in sorted(shipped.doc_types, key=lambda d: d.sort_order)]
    assert len(set(orders)) == len(orders)


def test_each_document_type_has_at_least_one_exercise(shipped):
    used = {exercise.doc_type_slug for exercise in shipped.exercises}
    assert used == set(DOC_TYPES)


def test_the_planning_report_follows_the_government_outline(shipped):
    planning = {d.slug: d for d in shipped.doc_types}["planning-report"].data
    titles = [section["title"] for section in planning["structure"]]
    for title in ["추진배경", "현황 및 문제점", "추진계획", "기대효과", "행정사항"]:
        assert title in titles
    assert titles.index("추진배경") < titles.index("추진계획") < titles.index("행정사항")
    assert planning["style"]["hierarchy"] == ["□", "○", "-"]
    assert planning["style"]["gaejosik"] is True


def test_every_system_prompt_keeps_the_safety_rules(shipped):
    for doc_type in shipped.doc_types:
        prompt = doc_type.data["system_prompt"]
        assert "개인정보" in prompt and "묻지도, 요청하지도 않습니다" in prompt, doc_type.slug
        assert "옮겨 적지 말고" in prompt, doc_type.slug  # never repeats what was pasted
        assert "[확인 필요]" in prompt, doc_type.slug  # uncertain facts are marked
        assert len(prompt) > 600, doc_type.slug  # real instructions, not a one-liner


def test_the_translation_type_works_both_ways(shipped):
    translation = {d.slug: d for d in shipped.doc_types}["translation"]
    assert translation.data["style"]["language"] == "any"
    directions = {
        e.title.split(":")[0] for e in shipped.exercises if e.doc_type_slug == "translation"
    }
    assert directions == {"번역(한→영)", "번역(영→한)"}


def test_every_exercise_is_marked_fictional_and_sits_in_a_fitting_course(shipped):
    courses = {e.slug: e.course_slug for e in shipped.exercises}
    for exercise in shipped.exercises:
        assert "가상" in exercise.data["scenario"], exercise.slug
        assert "가상" in exercise.data["source_material"], exercise.slug
    assert courses["ex-planning-public-bike"] == "hyperscale-ai-report-drafting"
    assert courses["ex-translation-waste-guide"] == "hyperscale-ai-translation"
    assert courses["ex-idea-repeat-inquiries"] == "hyperscale-ai-idea-discovery"


def test_every_model_answer_has_the_required_sections_of_its_type(shipped):
    types = {d.slug: d for d in shipped.doc_types}
    answered = [e for e in shipped.exercises if e.data["model_answer"]]
    assert len(answered) >= len(DOC_TYPES)
    for exercise in answered:
        answer = exercise.data["model_answer"]
        for section in types[exercise.doc_type_slug].data["structure"]:
            if section["required"]:
                found = any(word in answer for word in section["keywords"])
                assert found, f"{exercise.slug}: {section['title']}"


EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")
PHONE = re.compile(r"\b0\d{1,2}[-. )]?\d{3,4}[-. ]?\d{4}\b")
RESIDENT_NUMBER = re.compile(r"\b\d{6}\s*-\s*[1-8]\d{6}\b")


def test_no_contact_details_or_resident_numbers_in_exercises(shipped):
    for slug, key, text in trainee_texts(shipped):
        for pattern in (EMAIL, PHONE, RESIDENT_NUMBER):
            assert not pattern.search(text), f"{slug}.{key}: {pattern.search(text)}"


def test_the_guard_finds_no_personal_data_in_exercises(shipped):
    guard = pytest.importorskip("portal.assistant.guard.detect")
    for slug, key, text in trainee_texts(shipped):
        findings = [finding for finding in guard.scan(text) if finding.is_personal]
        assert findings == [], f"{slug}.{key}"


def test_exercise_material_carries_no_classification_markers(shipped):
    # Trainees paste this material into the chat: a marker would stop every send.
    guard = pytest.importorskip("portal.assistant.guard.detect")
    for slug, key, text in trainee_texts(shipped):
        assert guard.scan(text) == [], f"{slug}.{key}"


def test_the_shipped_content_syncs_and_then_stays_unchanged(app, shipped):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["courses", "sync"])
    assert first.exit_code == 0, first.output
    assert "문서 유형 (doc types): " in first.output
    again = runner.invoke(args=["courses", "sync"])
    assert again.exit_code == 0, again.output
    assert f"그대로 unchanged {len(shipped.doc_types)}" in again.output
    assert f"그대로 unchanged {len(shipped.exercises)}" in again.output
    validate = runner.invoke(args=["courses", "validate"])
    assert validate.exit_code == 0, validate.output
    assert f"{len(shipped.exercises)} exercises, no errors" in validate.output
