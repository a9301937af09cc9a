"""The curriculum shipped in courses/: CI's check that every file validates and syncs."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal.catalog import sync
from portal.catalog.markdown import render_markdown
from portal.catalog.models import Category, Course, Level
from portal.db import db
from portal.paths import ROOT

SHIPPED = ROOT / "courses"


@pytest.fixture(scope="module")
def shipped() -> dict[str, sync.CourseSource]:
    loaded = sync.load_courses(SHIPPED)
    assert loaded.ok, "\n".join(str(error) for error in loaded.errors)
    return {course.slug: course for course in loaded.courses}


def test_every_shipped_file_validates():
    loaded = sync.load_courses(SHIPPED)
    assert loaded.errors == [], "\n".join(str(error) for error in loaded.errors)


def test_the_validate_command_accepts_the_shipped_curriculum(app):
    result = app.test_cli_runner().invoke(args=["courses", "validate"])
    assert result.exit_code == 0, result.output


def test_the_curriculum_has_at_least_eight_courses_across_every_level(shipped):
    assert len(shipped) >= 8
    assert {course.level for course in shipped.values()} == set(Level)


def test_the_seed_articles_courses_are_all_there(shipped):
    lecture = shipped["public-data-chatgpt"]
    assert lecture.title == "공공데이터 이해와 챗GPT 활용방안"
    assert (lecture.level, lecture.category) == (Level.BASIC, Category.DATA)
    assert lecture.recognised_hours == Decimal("3")

    special = shipped["chatgpt-special-lecture"]
    assert (special.category, special.level) == (Category.SPECIAL, Level.BASIC)
    assert "직원 소통의 날" in special.description_md

    for slug, topic in [
        ("hyperscale-ai-report-drafting", "기획보고서"),
        ("hyperscale-ai-translation", "번역"),
        ("hyperscale-ai-idea-discovery", "아이디어"),
    ]:
        assert shipped[slug].level is Level.APPLIED
        assert shipped[slug].category is Category.PRACTICE
        assert topic in shipped[slug].title

    consulting = shipped["ai-service-planning-consulting"]
    assert consulting.level is Level.ADVANCED and consulting.requires_approval

    assert shipped["genai-security-privacy"].level is Level.BASIC
    assert shipped["workflow-automation-prompt-design"].level is Level.ADVANCED


def test_exactly_one_course_is_mandatory_for_new_appointees_with_a_deadline(shipped):
    mandatory = [course for course in shipped.values() if course.is_mandatory_for_new]
    assert [course.slug for course in mandatory] == ["new-appointee-genai-essentials"]
    assert mandatory[0].mandatory_within_days == 90


@pytest.mark.parametrize(
    "heading", ["## 배우는 내용", "## 진행 순서", "## 준비물", "## 꼭 지켜 주세요", "## 수료 기준"]
)
def test_every_description_covers_the_agreed_sections(shipped, heading):
    missing = [slug for slug, course in shipped.items() if heading not in course.description_md]
    assert missing == []


def test_every_description_reminds_of_the_nis_guideline(shipped):
    for slug, course in shipped.items():
        text = course.description_md
        assert "국가정보원" in text, slug
        assert "비공개" in text and "개인정보" in text, slug
        assert "검증" in text, slug


def test_every_course_states_its_hours_in_the_description(shipped):
    for slug, course in shipped.items():
        hours = f"{course.recognised_hours.normalize():f}"
        assert f"인정 시간 {hours}시간" in course.description_md, slug
        assert course.audience, slug


def test_every_description_renders_without_markdown_left_over(shipped):
    for slug, course in shipped.items():
        html = str(render_markdown(course.description_md))
        assert "**" not in html, slug
        assert "<h2>" in html and "<table" in html, slug


def test_the_shipped_curriculum_syncs_with_its_prerequisites_linked(app, shipped):
    result = app.test_cli_runner().invoke(args=["courses", "sync"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        courses = {
            course.slug: course
            for course in db.session.scalars(
                select(Course).options(selectinload(Course.prerequisites))
            )
        }
    assert set(shipped) <= set(courses)
    for slug, source in shipped.items():
        assert sorted(p.slug for p in courses[slug].prerequisites) == sorted(source.prerequisites)
        assert courses[slug].source_hash == source.source_hash

    again = app.test_cli_runner().invoke(args=["courses", "sync"])
    assert f"unchanged {len(shipped)}" in again.output
