"""The slug-sync toolkit in portal.core: strict YAML, field reading, plan and apply by slug.

The catalogue and the assistant content tests cover it through their loaders and syncs;
these pin the shared behaviour on its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pytest
from sqlalchemy import select

from portal.catalog.models import Category, Course, Format, Level
from portal.core.clock import utcnow
from portal.core.slugsync import Change, Changes, apply_changes, plan_changes
from portal.core.yamlsource import MISSING, FieldReader, SourceError, read_yaml
from portal.db import db
from tests.conftest import build_course


def test_read_yaml_refuses_a_key_written_twice(tmp_path):
    path = tmp_path / "x.yml"
    path.write_text("a: 1\nb: 2\na: 3\n", encoding="utf-8")
    errors: list[SourceError] = []
    assert read_yaml(path, "x.yml", errors) is None
    assert [str(e) for e in errors] == [
        "x.yml: a: 3번째 줄: 같은 항목이 두 번 나옵니다 (duplicate field, line 3)"
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- a\n- b\n", "'항목: 값' 형식이어야 합니다 (top level must be a mapping of fields)"),
        ("a: [1\n", "YAML 문법 오류"),
    ],
)
def test_read_yaml_reports_what_is_not_a_mapping(tmp_path, text, message):
    path = tmp_path / "x.yml"
    path.write_text(text, encoding="utf-8")
    errors: list[SourceError] = []
    assert read_yaml(path, "x.yml", errors) is None
    assert len(errors) == 1
    assert errors[0].path == "x.yml"
    assert errors[0].message.startswith(message)


def test_read_yaml_accepts_a_bom_and_windows_line_endings(tmp_path):
    path = tmp_path / "x.yml"
    path.write_bytes("\ufeffa: 가\r\nb: [1, 2]\r\n".encode())
    errors: list[SourceError] = []
    assert read_yaml(path, "x.yml", errors) == {"a": "가", "b": [1, 2]}
    assert errors == []


def test_field_reader_collects_every_problem_with_its_field():
    errors: list[SourceError] = []
    reader = FieldReader({"nmae": "x", "slug": "Bad_Slug", "count": "3"}, "f.yml", errors)
    reader.unknown(("name", "slug", "count"))
    assert reader.value("name") is MISSING
    assert reader.slug_format("slug", "Bad_Slug") is False
    assert reader.integer("count", (1, 5)) is None
    assert reader.boolean("flag", default=False) is False
    assert [(e.field, e.message.split(" (")[0]) for e in errors] == [
        ("nmae", "알 수 없는 항목입니다"),
        ("name", "필수 항목이 없습니다"),
        (
            "slug",
            "영문 소문자·숫자·하이픈(-)으로 3~80자, 하이픈으로 시작하거나 끝나지 않아야 합니다",
        ),
        ("count", "정수여야 합니다"),
    ]
    assert "did you mean 'name'?" in errors[0].message


def test_changes_details_name_the_slugs_that_changed():
    changes = Changes(created=("a-new",), unchanged=("b-same",), deactivated=("c-gone",))
    assert changes.has_changes
    assert changes.slugs(Change.UNCHANGED) == ("b-same",)
    assert changes.details() == {
        "created": 1,
        "updated": 0,
        "unchanged": 1,
        "deactivated": 1,
        "created_slugs": ["a-new"],
        "updated_slugs": [],
        "deactivated_slugs": ["c-gone"],
    }
    assert not Changes(unchanged=("b-same",)).has_changes


@dataclass(frozen=True)
class FakeSource:
    slug: str
    source_hash: str
    title: str = "제목"


def assign(course: Course, source: FakeSource, now) -> None:
    course.title = source.title
    course.summary = "요약"
    course.category = Category.PRACTICE
    course.level = Level.BASIC
    course.format = Format.CLASSROOM
    course.recognised_hours = Decimal("3.0")
    course.is_active = True
    course.source_hash = source.source_hash
    course.synced_at = now


def test_plan_and_apply_by_slug_and_hash(ctx):
    db.session.add_all(
        [
            build_course(slug="same-hash", source_hash="1" * 64),
            build_course(slug="new-hash", source_hash="1" * 64),
            build_course(slug="was-hidden", source_hash="1" * 64, is_active=False),
            build_course(slug="left-source", source_hash="1" * 64),
            build_course(slug="long-gone", source_hash="1" * 64, is_active=False),
        ]
    )
    db.session.flush()
    sources = [
        FakeSource("same-hash", "1" * 64),
        FakeSource("new-hash", "2" * 64, title="새 제목"),
        FakeSource("was-hidden", "1" * 64),
        FakeSource("brand-new", "3" * 64),
    ]
    changes = plan_changes(Course, sources)
    assert changes == Changes(
        created=("brand-new",),
        updated=("new-hash", "was-hidden"),
        unchanged=("same-hash",),
        deactivated=("left-source",),
    )

    rows = apply_changes(Course, sources, changes, assign, now=utcnow())
    db.session.flush()
    assert set(rows) == {
        "same-hash",
        "new-hash",
        "was-hidden",
        "left-source",
        "long-gone",
        "brand-new",
    }
    stored = {
        c.slug: (c.is_active, c.source_hash[0], c.title) for c in db.session.scalars(select(Course))
    }
    assert stored["brand-new"] == (True, "3", "제목")
    assert stored["new-hash"] == (True, "2", "새 제목")
    assert stored["was-hidden"][:2] == (True, "1")
    assert stored["left-source"][:2] == (False, "1")
    assert stored["long-gone"][:2] == (False, "1")
    assert plan_changes(Course, sources) == Changes(
        unchanged=("brand-new", "new-hash", "same-hash", "was-hidden")
    )
