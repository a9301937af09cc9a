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

import difflib
import hashlib
import json
import re
from collections.abc import Hashable, Iterable
from dataclasses import asdict, dataclass, field
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal.audit.operations import record
from portal.catalog.models import Category, Course, Format, Level
from portal.core.clock import utcnow
from portal.db import db

COURSE_FILE = "course.yml"
DESCRIPTION_FILE = "description.md"
MATERIALS_FILE = "materials.md"
# Practice exercises live here; portal.assistant.content reads them, the course loader skips them.
EXERCISES_DIR = "exercises"
ALLOWED_ENTRIES = (COURSE_FILE, DESCRIPTION_FILE, MATERIALS_FILE, EXERCISES_DIR + "/")

# Bump when the mapping from files to columns changes, so every course re-syncs once.
SCHEMA_VERSION = 1

SLUG_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{1,78}[a-z0-9]$")
TITLE_MAX = 200  # Course.title and Course.title_en are VARCHAR(200)
SUMMARY_MAX = 500
MAX_HOURS = Decimal(100)
HOURS_STEP = Decimal("0.5")
MANDATORY_DAYS = (1, 365)
SORT_ORDER_RANGE = (-10_000, 10_000)

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
)


@dataclass(frozen=True)
class SourceError:
    """One problem in courses/: the file, the field (when there is one) and the reason."""

    path: str
    field: str | None
    message: str

    def __str__(self) -> str:
        if self.field:
            return f"{self.path}: {self.field}: {self.message}"
        return f"{self.path}: {self.message}"


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


class Change(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    DEACTIVATED = "deactivated"


@dataclass(frozen=True)
class Changes:
    """Slugs by what a sync does to them (courses here; doc types and exercises too)."""

    created: tuple[str, ...] = ()
    updated: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()
    deactivated: tuple[str, ...] = ()

    @property
    def has_changes(self) -> bool:
        return bool(self.created or self.updated or self.deactivated)

    def slugs(self, change: Change) -> tuple[str, ...]:
        return getattr(self, change.value)

    def counts(self) -> dict[str, int]:
        return {change.value: len(self.slugs(change)) for change in Change}


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
    values = FieldReader(data, yml_path, errors).read(folder.name) if data is not None else None

    description = _read_markdown(folder / DESCRIPTION_FILE, f"{where}/{DESCRIPTION_FILE}", errors)
    materials = None
    if (folder / MATERIALS_FILE).exists():
        materials = _read_markdown(folder / MATERIALS_FILE, f"{where}/{MATERIALS_FILE}", errors)

    if len(errors) > before or values is None or description is None:
        return None
    # materials.md has no column of its own yet: it follows the description.
    values["description_md"] = description + ("\n" + materials if materials else "")
    return CourseSource(**values)


def _read_text(path: Path, label: str, errors: list[SourceError]) -> str | None:
    if not path.is_file():
        errors.append(SourceError(label, None, "파일이 없습니다 (file is missing)"))
        return None
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        errors.append(
            SourceError(label, None, "UTF-8 인코딩이 아닙니다 (file is not UTF-8 encoded)")
        )
        return None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _read_markdown(path: Path, label: str, errors: list[SourceError]) -> str | None:
    text = _read_text(path, label, errors)
    if text is None:
        return None
    text = "\n".join(line.rstrip() for line in text.strip().split("\n"))
    if not text:
        errors.append(SourceError(label, None, "내용이 비어 있습니다 (file is empty)"))
        return None
    return text + "\n"


class _DuplicateKey(yaml.YAMLError):
    def __init__(self, key: str, line: int):
        super().__init__(key)
        self.key = key
        self.line = line


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses a key written twice (PyYAML silently keeps the last one)."""


def _construct_unique_mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False):
    seen: set[Hashable] = set()
    for key_node, _value in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if isinstance(key, Hashable):
            if key in seen:
                raise _DuplicateKey(str(key), key_node.start_mark.line + 1)
            seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_unique_mapping
)


def read_yaml(path: Path, label: str, errors: list[SourceError]) -> dict | None:
    text = _read_text(path, label, errors)
    if text is None:
        return None
    try:
        data = yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except _DuplicateKey as dup:
        errors.append(
            SourceError(
                label,
                dup.key,
                f"{dup.line}번째 줄: 같은 항목이 두 번 나옵니다 (duplicate field, line {dup.line})",
            )
        )
        return None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" {mark.line + 1}번째 줄 (line {mark.line + 1})" if mark else ""
        problem = getattr(err, "problem", None) or str(err)
        errors.append(SourceError(label, None, f"YAML 문법 오류{where}: {problem}"))
        return None
    if not isinstance(data, dict):
        errors.append(
            SourceError(
                label, None, "'항목: 값' 형식이어야 합니다 (top level must be a mapping of fields)"
            )
        )
        return None
    return data


MISSING = object()


class FieldReader:
    """Reads course.yml's fields, collecting every problem with its field name."""

    def __init__(self, data: dict, path: str, errors: list[SourceError]):
        self.data = data
        self.path = path
        self.errors = errors

    def error(self, name: str, message: str) -> None:
        self.errors.append(SourceError(self.path, name, message))

    def read(self, folder_name: str) -> dict[str, Any] | None:
        before = len(self.errors)
        for key in self.data:
            if key not in FIELDS:
                hint = difflib.get_close_matches(str(key), FIELDS, n=1)
                suggestion = (
                    f" '{hint[0]}'을(를) 뜻했나요? (did you mean '{hint[0]}'?)" if hint else ""
                )
                self.error(str(key), f"알 수 없는 항목입니다 (unknown field).{suggestion}")

        slug = self.text("slug", max_length=80)
        if slug is not None:
            if not SLUG_PATTERN.match(slug):
                self.error(
                    "slug",
                    "영문 소문자·숫자·하이픈(-)으로 3~80자, 하이픈으로 시작하거나 끝나지 않아야 합니다 "
                    "(3-80 characters of a-z, 0-9 and '-', not starting or ending with '-')",
                )
            elif slug != folder_name:
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
        return None if len(self.errors) > before else values

    def _get(self, name: str, default: Any = MISSING) -> Any:
        value = self.data.get(name, default)
        if value is MISSING or (value is None and default is MISSING):
            self.error(name, "필수 항목이 없습니다 (required field is missing)")
            return MISSING
        return default if value is None else value

    def text(self, name: str, *, max_length: int) -> str | None:
        value = self._get(name)
        if value is MISSING:
            return None
        if not isinstance(value, str):
            self.error(name, "문자열이어야 합니다 (must be text)")
            return None
        value = value.strip()
        if not value:
            self.error(name, "비어 있으면 안 됩니다 (must not be empty)")
            return None
        if len(value) > max_length:
            self.error(name, f"{max_length}자 이하여야 합니다 (at most {max_length} characters)")
            return None
        return value

    def choice(self, name: str, enum_cls: type[StrEnum]) -> Any:
        value = self._get(name)
        if value is MISSING:
            return None
        allowed = ", ".join(member.value for member in enum_cls)
        if not isinstance(value, str) or value not in {m.value for m in enum_cls}:
            self.error(name, f"다음 중 하나여야 합니다: {allowed} (must be one of: {allowed})")
            return None
        return enum_cls(value)

    def boolean(self, name: str, *, default: Any = MISSING) -> bool | None:
        value = self._get(name, default)
        if value is MISSING:
            return None
        if not isinstance(value, bool):
            self.error(name, "true 또는 false여야 합니다 (must be true or false)")
            return None
        return value

    def integer(self, name: str, bounds: tuple[int, int], *, default: Any = MISSING) -> Any:
        value = self._get(name, default)
        if value is MISSING:
            return None
        low, high = bounds
        if isinstance(value, bool) or not isinstance(value, int):
            self.error(name, "정수여야 합니다 (must be a whole number)")
            return None
        if not low <= value <= high:
            self.error(name, f"{low}~{high} 사이여야 합니다 (must be between {low} and {high})")
            return None
        return value

    def hours(self, name: str) -> Decimal | None:
        value = self._get(name)
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
        value = self._get(name, default=[])
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
    stored = {
        slug: (source_hash, is_active)
        for slug, source_hash, is_active in db.session.execute(
            select(Course.slug, Course.source_hash, Course.is_active)
        )
    }
    created, updated, unchanged = [], [], []
    for course in sorted(loaded.courses, key=lambda c: c.slug):
        if course.slug not in stored:
            created.append(course.slug)
        elif stored[course.slug] == (course.source_hash, True):
            unchanged.append(course.slug)
        else:
            updated.append(course.slug)  # changed, or back in courses/ after deactivation
    present = {course.slug for course in loaded.courses}
    deactivated = sorted(
        slug for slug, (_hash, is_active) in stored.items() if is_active and slug not in present
    )
    return SyncPlan(
        courses=tuple(loaded.courses),
        created=tuple(created),
        updated=tuple(updated),
        unchanged=tuple(unchanged),
        deactivated=tuple(deactivated),
    )


def apply_sync(plan: SyncPlan, *, actor_id: int | None = None) -> None:
    """Upsert by slug, relink prerequisites, deactivate removed courses (flush, no commit)."""
    if not plan.has_changes:
        return
    existing = {
        course.slug: course
        for course in db.session.scalars(select(Course).options(selectinload(Course.prerequisites)))
    }
    sources = {course.slug: course for course in plan.courses}
    now = utcnow()
    for slug in plan.created:
        course = Course(slug=slug)
        db.session.add(course)
        existing[slug] = course
    for slug in (*plan.created, *plan.updated):
        _assign(existing[slug], sources[slug], now)
    for slug in (*plan.created, *plan.updated):
        existing[slug].prerequisites = [existing[p] for p in sources[slug].prerequisites]
    for slug in plan.deactivated:
        # Kept, never deleted: sessions, enrolments and earned hours still point at it.
        existing[slug].is_active = False
    db.session.flush()
    record(
        "courses.synced",
        target_type="course",
        actor_id=actor_id,
        details={
            **plan.counts(),
            "created_slugs": list(plan.created),
            "updated_slugs": list(plan.updated),
            "deactivated_slugs": list(plan.deactivated),
        },
    )


def _assign(course: Course, source: CourseSource, now) -> None:
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
    course.is_active = True
    course.source_hash = source.source_hash
    course.synced_at = now
