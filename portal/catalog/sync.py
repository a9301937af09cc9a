"""Synchronise the curriculum in courses/ into the database.

``load_courses`` reads and checks every folder without touching the database, and
reports every problem (file, field, reason) rather than stopping at the first.
``plan_sync`` compares what was read with the database by slug and content hash;
``apply_sync`` upserts, relinks prerequisites and deactivates courses that left
courses/. Courses are never deleted: sessions, enrolments and completed hours point
at them. Operations flush and never commit; the CLI command commits once.
courses/README.md documents the file format for course authors.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from sqlalchemy.orm import selectinload

from portal.audit.operations import record
from portal.catalog.models import Category, Course, Format, Level
from portal.catalog.survey_source import as_stored, read_survey
from portal.core.clock import utcnow
from portal.core.curriculum import EXERCISES_DIR, SORT_ORDER_RANGE
from portal.core.slugsync import Changes, apply_changes, plan_changes
from portal.core.yamlsource import (
    MISSING,
    SLUG_MAX,
    SLUG_PATTERN,
    FieldReader,
    SourceError,
    read_text,
    read_yaml,
)
from portal.db import db

COURSE_FILE = "course.yml"
DESCRIPTION_FILE = "description.md"
MATERIALS_FILE = "materials.md"
ALLOWED_ENTRIES = (COURSE_FILE, DESCRIPTION_FILE, MATERIALS_FILE, EXERCISES_DIR + "/")

# Bump when the mapping from files to columns changes, so every course re-syncs once.
# 2: the satisfaction survey (survey, survey_required).
SCHEMA_VERSION = 2

TITLE_MAX = 200  # Course.title and Course.title_en are VARCHAR(200)
SUMMARY_MAX = 500
MAX_HOURS = Decimal(100)
HOURS_STEP = Decimal("0.5")
MANDATORY_DAYS = (1, 365)

FIELDS = (
    "slug",
    "title",
    "title_en",
    "summary",
    "category",
    "level",
    "format",
    "recognised_hours",
    "audience",
    "prerequisites",
    "mandatory_for_new_appointees",
    "mandatory_within_days",
    "requires_approval",
    "requires_exercise",
    "sort_order",
    "survey",
    "survey_required",
)


@dataclass(frozen=True)
class CourseSource:
    """One course as read and checked from courses/<slug>/."""

    slug: str
    title: str
    title_en: str
    summary: str
    description_md: str
    category: Category
    level: Level
    format: Format
    recognised_hours: Decimal
    audience: str
    prerequisites: tuple[str, ...]
    is_mandatory_for_new: bool
    mandatory_within_days: int | None
    requires_approval: bool
    requires_exercise: bool
    sort_order: int
    # [{"key", "text", "text_en"}], rated 1–5 (portal/catalog/survey_source.py).
    survey_questions: tuple[dict[str, str], ...] = ()
    requires_survey: bool = False

    @property
    def source_hash(self) -> str:
        """SHA-256 of the content the sync writes, so whitespace-only edits stay "unchanged"."""
        payload: dict[str, Any] = asdict(self)
        payload["recognised_hours"] = str(self.recognised_hours)
        payload["prerequisites"] = sorted(self.prerequisites)
        payload["schema_version"] = SCHEMA_VERSION
        text = json.dumps(payload, ensure_ascii=False, sort_keys=True, default=str)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass
class LoadResult:
    courses: list[CourseSource] = field(default_factory=list)
    errors: list[SourceError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass(frozen=True, kw_only=True)
class SyncPlan(Changes):
    courses: tuple[CourseSource, ...]


# ---------------------------------------------------------------- reading courses/


def load_courses(root: Path) -> LoadResult:
    """Read and check every course folder under root; no database access."""
    result = LoadResult()
    label = root.name or str(root)
    if not root.is_dir():
        result.errors.append(SourceError(label, None, "폴더가 없습니다 (directory not found)"))
        return result
    folders = [
        entry
        for entry in sorted(root.iterdir())
        if entry.is_dir() and not entry.name.startswith(("_", "."))
    ]
    for folder in folders:
        course = _load_folder(folder, f"{label}/{folder.name}", result.errors)
        if course is not None:
            result.courses.append(course)
    if not folders:
        # An empty source would deactivate the whole catalogue: refuse instead.
        result.errors.append(
            SourceError(label, None, "과정 폴더가 하나도 없습니다 (no course folders found)")
        )
    known = {folder.name for folder in folders if (folder / COURSE_FILE).is_file()}
    _check_prerequisites(result.courses, known, label, result.errors)
    return result


def _load_folder(folder: Path, where: str, errors: list[SourceError]) -> CourseSource | None:
    before = len(errors)
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith(".") or entry.name in (COURSE_FILE, DESCRIPTION_FILE):
            continue
        if entry.name == MATERIALS_FILE or (entry.name == EXERCISES_DIR and entry.is_dir()):
            continue
        errors.append(
            SourceError(
                f"{where}/{entry.name}",
                None,
                "알 수 없는 파일입니다. 과정 폴더에는 "
                + ", ".join(ALLOWED_ENTRIES)
                + "만 둘 수 있습니다 (unexpected file; allowed: "
                + ", ".join(ALLOWED_ENTRIES)
                + ")",
            )
        )

    yml_path = f"{where}/{COURSE_FILE}"
    data = read_yaml(folder / COURSE_FILE, yml_path, errors)
    values = CourseReader(data, yml_path, errors).read(folder.name) if data is not None else None

    description = _read_markdown(folder / DESCRIPTION_FILE, f"{where}/{DESCRIPTION_FILE}", errors)
    materials = None
    if (folder / MATERIALS_FILE).exists():
        materials = _read_markdown(folder / MATERIALS_FILE, f"{where}/{MATERIALS_FILE}", errors)

    if len(errors) > before or values is None or description is None:
        return None
    # materials.md has no column of its own yet: it follows the description.
    values["description_md"] = description + ("\n" + materials if materials else "")
    return CourseSource(**values)


def _read_markdown(path: Path, label: str, errors: list[SourceError]) -> str | None:
    text = read_text(path, label, errors)
    if text is None:
        return None
    text = "\n".join(line.rstrip() for line in text.strip().split("\n"))
    if not text:
        errors.append(SourceError(label, None, "내용이 비어 있습니다 (file is empty)"))
        return None
    return text + "\n"


class CourseReader(FieldReader):
    """Reads course.yml's fields, collecting every problem with its field name."""

    def read(self, folder_name: str) -> dict[str, Any] | None:
        before = len(self.errors)
        self.unknown(FIELDS)

        slug = self.text("slug", max_length=SLUG_MAX)
        if slug is not None and self.slug_format("slug", slug) and slug != folder_name:
            self.error(
                "slug",
                f"폴더 이름 '{folder_name}'과(와) 같아야 합니다 (must equal the folder name)",
            )
        mandatory = self.boolean("mandatory_for_new_appointees")
        values = {
            "slug": slug,
            "title": self.text("title", max_length=TITLE_MAX),
            "title_en": self.text("title_en", max_length=TITLE_MAX),
            "summary": self.text("summary", max_length=SUMMARY_MAX),
            "category": self.choice("category", Category),
            "level": self.choice("level", Level),
            "format": self.choice("format", Format),
            "recognised_hours": self.hours("recognised_hours"),
            "audience": self.text("audience", max_length=2000),
            "prerequisites": self.slug_list("prerequisites", own_slug=slug),
            "is_mandatory_for_new": mandatory,
            "mandatory_within_days": self.within_days(mandatory),
            "requires_approval": self.boolean("requires_approval", default=False),
            "requires_exercise": self.boolean("requires_exercise", default=False),
            "sort_order": self.integer("sort_order", SORT_ORDER_RANGE, default=0),
        }
        survey = read_survey(self)
        if survey is not None:
            values["survey_questions"], values["requires_survey"] = survey
        return None if len(self.errors) > before else values

    def hours(self, name: str) -> Decimal | None:
        value = self.value(name)
        if value is MISSING:
            return None
        try:
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise InvalidOperation
            hours = Decimal(str(value))
            if not hours.is_finite():
                raise InvalidOperation
        except InvalidOperation:
            self.error(name, "숫자여야 합니다 (must be a number)")
            return None
        if hours <= 0:
            self.error(name, "0보다 커야 합니다 (must be greater than 0)")
        elif hours > MAX_HOURS:
            self.error(name, f"{MAX_HOURS} 이하여야 합니다 (must be at most {MAX_HOURS})")
        elif hours % HOURS_STEP:
            self.error(name, "0.5시간 단위여야 합니다 (must be a multiple of 0.5)")
        else:
            return hours.quantize(Decimal("0.1"))
        return None

    def within_days(self, mandatory: bool | None) -> int | None:
        name = "mandatory_within_days"
        present = self.data.get(name) is not None
        if mandatory and not present:
            self.error(
                name,
                "mandatory_for_new_appointees가 true이면 꼭 적어야 합니다 "
                "(required when mandatory_for_new_appointees is true)",
            )
        elif mandatory is False and present:
            self.error(
                name,
                "mandatory_for_new_appointees가 true일 때만 쓸 수 있습니다 "
                "(only allowed when mandatory_for_new_appointees is true)",
            )
        elif mandatory and present:
            return self.integer(name, MANDATORY_DAYS)
        return None

    def slug_list(self, name: str, *, own_slug: str | None) -> tuple[str, ...] | None:
        value = self.value(name, default=[])
        if value is MISSING:
            return None
        if not isinstance(value, list):
            self.error(name, "과정 slug의 목록이어야 합니다 (must be a list of course slugs)")
            return None
        slugs: list[str] = []
        for position, item in enumerate(value, start=1):
            if not isinstance(item, str) or not SLUG_PATTERN.match(item):
                self.error(
                    name,
                    f"{position}번째 값이 과정 slug가 아닙니다 (item {position} is not a slug)",
                )
            elif item == own_slug:
                self.error(
                    name,
                    "자기 자신을 선수 과정으로 둘 수 없습니다 (a course cannot require itself)",
                )
            elif item in slugs:
                self.error(name, f"'{item}'이(가) 두 번 나옵니다 (listed twice)")
            else:
                slugs.append(item)
        return tuple(slugs)


def _check_prerequisites(
    courses: list[CourseSource], known: set[str], label: str, errors: list[SourceError]
) -> None:
    for course in courses:
        for slug in course.prerequisites:
            if slug not in known:
                errors.append(
                    SourceError(
                        f"{label}/{course.slug}/{COURSE_FILE}",
                        "prerequisites",
                        f"'{slug}' 과정이 {label}/에 없습니다 (unknown course '{slug}')",
                    )
                )
    for cycle in _cycles({c.slug: c.prerequisites for c in courses}):
        path = " → ".join([*cycle, cycle[0]])
        errors.append(
            SourceError(
                f"{label}/{cycle[0]}/{COURSE_FILE}",
                "prerequisites",
                f"선수 과정이 돌고 돕니다: {path} (prerequisite cycle)",
            )
        )


def _cycles(graph: dict[str, Iterable[str]]) -> list[tuple[str, ...]]:
    """Each distinct cycle once, rotated to start at its smallest slug."""
    found: set[tuple[str, ...]] = set()
    done: set[str] = set()

    def visit(node: str, stack: list[str]) -> None:
        if node in stack:
            cycle = stack[stack.index(node) :]
            start = cycle.index(min(cycle))
            found.add(tuple(cycle[start:] + cycle[:start]))
            return
        if node in done or node not in graph:
            return
        stack.append(node)
        for nxt in graph[node]:
            visit(nxt, stack)
        stack.pop()
        done.add(node)

    for node in sorted(graph):
        visit(node, [])
    return sorted(found)


# ---------------------------------------------------------------- database


def plan_sync(loaded: LoadResult) -> SyncPlan:
    """Compare the checked sources with the database by slug and content hash."""
    if not loaded.ok:
        raise ValueError("courses/ has errors; fix them before planning a sync")
    changes = plan_changes(Course, loaded.courses)
    return SyncPlan(courses=tuple(loaded.courses), **asdict(changes))


def apply_sync(plan: SyncPlan, *, actor_id: int | None = None) -> None:
    """Upsert by slug, relink prerequisites, deactivate removed courses (flush, no commit)."""
    if not plan.has_changes:
        return
    # Removed courses are kept, never deleted: sessions, enrolments and earned hours point at them.
    courses = apply_changes(
        Course,
        plan.courses,
        plan,
        _assign,
        now=utcnow(),
        options=[selectinload(Course.prerequisites)],
    )
    sources = {course.slug: course for course in plan.courses}
    for slug in (*plan.created, *plan.updated):
        courses[slug].prerequisites = [courses[p] for p in sources[slug].prerequisites]
    db.session.flush()
    record("courses.synced", target_type="course", actor_id=actor_id, details=plan.details())


def _assign(course: Course, source: CourseSource, now: dt.datetime) -> None:
    course.title = source.title
    course.title_en = source.title_en
    course.summary = source.summary
    course.description_md = source.description_md
    course.category = source.category
    course.level = source.level
    course.format = source.format
    course.recognised_hours = source.recognised_hours
    course.audience = source.audience
    course.is_mandatory_for_new = source.is_mandatory_for_new
    course.mandatory_within_days = source.mandatory_within_days
    course.requires_approval = source.requires_approval
    course.requires_exercise = source.requires_exercise
    course.sort_order = source.sort_order
    course.survey_questions = as_stored(source.survey_questions)
    course.requires_survey = source.requires_survey
    course.is_active = True
    course.source_hash = source.source_hash
    course.synced_at = now
