"""The practice sandbox's document types and exercises, synchronised from courses/.

``courses/_doctypes/<slug>.yml`` describes a kind of government document (system
prompt, outline, checklist, style rules); ``courses/<course>/exercises/<slug>.yml`` is a
실습 과제 of that course (scenario, fictional source material, rubric, model answer).
``load_content`` reads and checks them without touching the database and reports every
problem with its file and field, in the style of ``portal.catalog.sync``.
``plan_content_sync`` compares them with the database by slug and content hash;
``apply_content_sync`` upserts them and deactivates the ones that left courses/. Rows are
never deleted: drafts and submissions point at them. The course sync must have been
applied (and flushed) first in the same transaction, so exercises can find their course.
courses/README.md documents the file formats for authors.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select

from portal.assistant.models import DocType, Exercise
from portal.audit.operations import record
from portal.catalog.models import Course
from portal.catalog.sync import (
    _MISSING,
    EXERCISES_DIR,
    SLUG_PATTERN,
    SORT_ORDER_RANGE,
    Change,
    SourceError,
    _Fields,
    _read_yaml,
)
from portal.core.clock import utcnow
from portal.db import db

DOCTYPES_DIR = "_doctypes"
SUFFIX = ".yml"

# Bump when the mapping from files to columns changes, so every row re-syncs once.
SCHEMA_VERSION = 1

# What the offline coach can compute; a checklist item's `check` and a rubric's `auto`.
AUTO_CHECKS = (
    "sections",
    "gaejosik",
    "sentence-length",
    "units",
    "dates",
    "hierarchy",
    "headline",
    "none",
)
LANGUAGES = ("ko", "en", "any")
ID_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$")

NAME_MAX = 100  # DocType.name, DocType.name_en
TITLE_MAX = 200  # Exercise.title, Exercise.title_en
DESCRIPTION_MAX = 500
SYSTEM_PROMPT_MAX = 8_000
SECTION_TITLE_MAX = 100
HINT_MAX = 300
KEYWORD_MAX = 40
CHECK_TEXT_MAX = 300
SCENARIO_MAX = 8_000
SOURCE_MATERIAL_MAX = 20_000
MODEL_ANSWER_MAX = 20_000
DATE_STYLE_MAX = 40
MARKER_MAX = 4
VERSION_RANGE = (1, 1_000_000)
MINUTES_RANGE = (5, 600)
SENTENCE_RANGE = (20, 500)
SCORE_RANGE = (1, 20)
STRUCTURE_COUNT = (1, 20)
KEYWORDS_COUNT = (1, 10)
CHECKLIST_COUNT = (1, 30)
RUBRIC_COUNT = (2, 8)
HIERARCHY_MAX_LEVELS = 6

DOCTYPE_FIELDS = (
    "slug",
    "version",
    "name",
    "name_en",
    "sort_order",
    "description",
    "description_en",
    "system_prompt",
    "structure",
    "checklist",
    "style",
)
SECTION_FIELDS = ("title", "required", "hint", "keywords")
CHECK_FIELDS = ("id", "text", "check")
STYLE_FIELDS = (
    "gaejosik",
    "hierarchy",
    "max_sentence_chars",
    "units_required",
    "date_style",
    "language",
)
EXERCISE_FIELDS = (
    "slug",
    "version",
    "doc_type",
    "title",
    "title_en",
    "sort_order",
    "estimated_minutes",
    "scenario",
    "source_material",
    "rubric",
    "model_answer",
)
RUBRIC_FIELDS = ("id", "title", "description", "max_score", "auto")


@dataclass(frozen=True, eq=False)
class DocTypeSource:
    """One document type as read and checked from courses/_doctypes/<slug>.yml.

    ``data`` is what ``DocType.data`` holds: description, description_en, system_prompt,
    structure, checklist and style, with optional keys filled in.
    """

    slug: str
    version: int
    name: str
    name_en: str
    sort_order: int
    data: dict[str, Any]

    @property
    def source_hash(self) -> str:
        """SHA-256 of everything the sync writes for this document type."""
        return _hash(asdict(self))


@dataclass(frozen=True, eq=False)
class ExerciseSource:
    """One exercise as read and checked from courses/<course>/exercises/<slug>.yml.

    ``data`` is what ``Exercise.data`` holds: scenario, source_material, rubric,
    model_answer (None when absent) and estimated_minutes.
    """

    slug: str
    course_slug: str
    doc_type_slug: str
    version: int
    title: str
    title_en: str
    sort_order: int
    data: dict[str, Any]

    @property
    def source_hash(self) -> str:
        """SHA-256 of everything the sync writes, including its course and document type."""
        return _hash(asdict(self))


def _hash(payload: dict[str, Any]) -> str:
    payload = {**payload, "schema_version": SCHEMA_VERSION}
    text = json.dumps(payload, ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass
class ContentLoadResult:
    doc_types: list[DocTypeSource] = field(default_factory=list)
    exercises: list[ExerciseSource] = field(default_factory=list)
    errors: list[SourceError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass(frozen=True)
class Changes:
    """Slugs by what a sync does to them."""

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


@dataclass(frozen=True)
class ContentSyncPlan:
    doc_types: tuple[DocTypeSource, ...]
    exercises: tuple[ExerciseSource, ...]
    doc_type_changes: Changes
    exercise_changes: Changes

    @property
    def has_changes(self) -> bool:
        return self.doc_type_changes.has_changes or self.exercise_changes.has_changes


# ---------------------------------------------------------------- reading


def load_content(root: Path, course_slugs: set[str]) -> ContentLoadResult:
    """Read and check _doctypes/ and every course's exercises/; no database access.

    ``course_slugs`` are the courses that loaded without errors: an exercise must belong
    to one of them. A missing ``_doctypes/`` folder means no document types.
    """
    result = ContentLoadResult()
    label = root.name or str(root)
    if not root.is_dir():
        result.errors.append(SourceError(label, None, "폴더가 없습니다 (directory not found)"))
        return result

    doctypes_dir = root / DOCTYPES_DIR
    known_types: set[str] = set()
    if doctypes_dir.is_dir():
        where = f"{label}/{DOCTYPES_DIR}"
        for path in _yaml_files(doctypes_dir, where, result.errors):
            known_types.add(path.stem)
            doc_type = _load_doc_type(path, f"{where}/{path.name}", result.errors)
            if doc_type is not None:
                result.doc_types.append(doc_type)
    elif doctypes_dir.exists():
        result.errors.append(
            SourceError(f"{label}/{DOCTYPES_DIR}", None, "폴더여야 합니다 (must be a directory)")
        )

    styles = {doc_type.slug: doc_type.data["style"] for doc_type in result.doc_types}
    first_seen: dict[str, str] = {}
    for folder in sorted(root.iterdir()):
        if not folder.is_dir() or folder.name.startswith(("_", ".")):
            continue
        exercises_dir = folder / EXERCISES_DIR
        if not exercises_dir.is_dir():
            continue
        where = f"{label}/{folder.name}/{EXERCISES_DIR}"
        for path in _yaml_files(exercises_dir, where, result.errors):
            file_label = f"{where}/{path.name}"
            if folder.name not in course_slugs:
                result.errors.append(
                    SourceError(
                        file_label,
                        None,
                        f"과정 '{folder.name}'이(가) 오류 없이 읽히는 과정이 아닙니다. "
                        f"{folder.name}/course.yml을 먼저 고치세요 "
                        f"(course '{folder.name}' does not load; fix its course.yml first)",
                    )
                )
            # The slug must equal the file name, so a repeated file name is a repeated slug.
            if path.stem in first_seen:
                result.errors.append(
                    SourceError(
                        file_label,
                        "slug",
                        f"'{path.stem}'은(는) {first_seen[path.stem]}에서 이미 쓰고 "
                        "있습니다. 실습 과제 slug는 모든 과정을 통틀어 하나뿐이어야 합니다 "
                        "(slug already used; exercise slugs are unique across courses)",
                    )
                )
            first_seen.setdefault(path.stem, file_label)
            exercise = _load_exercise(
                path, file_label, folder.name, known_types, styles, result.errors
            )
            if exercise is not None and folder.name in course_slugs:
                result.exercises.append(exercise)
    return result


def _yaml_files(folder: Path, where: str, errors: list[SourceError]) -> list[Path]:
    """The *.yml files of a folder; anything else (but hidden files) is an error."""
    files = []
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith("."):
            continue
        if entry.is_file() and entry.suffix == SUFFIX:
            files.append(entry)
            continue
        errors.append(
            SourceError(
                f"{where}/{entry.name}",
                None,
                "알 수 없는 파일입니다. 이 폴더에는 <slug>.yml 파일만 둘 수 있습니다 "
                "(unexpected file; only <slug>.yml files are allowed here)",
            )
        )
    return files


class _Reader(_Fields):
    """The catalogue's field reader, extended for nested lists and the content rules."""

    def __init__(self, data: dict, path: str, errors: list[SourceError], prefix: str = ""):
        super().__init__(data, path, errors)
        self.prefix = prefix

    def error(self, name: str, message: str) -> None:
        super().error(f"{self.prefix}{name}", message)

    def nested(self, data: dict, prefix: str) -> _Reader:
        return _Reader(data, self.path, self.errors, prefix=f"{self.prefix}{prefix}")

    def unknown(self, allowed: tuple[str, ...]) -> None:
        for key in self.data:
            if key not in allowed:
                hint = difflib.get_close_matches(str(key), allowed, n=1)
                suggestion = (
                    f" '{hint[0]}'을(를) 뜻했나요? (did you mean '{hint[0]}'?)" if hint else ""
                )
                self.error(str(key), f"알 수 없는 항목입니다 (unknown field).{suggestion}")

    def slug(self, name: str, expected: str) -> str | None:
        slug = self.text(name, max_length=80)
        if slug is None:
            return None
        if not SLUG_PATTERN.match(slug):
            self.error(
                name,
                "영문 소문자·숫자·하이픈(-)으로 3~80자, 하이픈으로 시작하거나 끝나지 않아야 합니다 "
                "(3-80 characters of a-z, 0-9 and '-', not starting or ending with '-')",
            )
            return None
        if slug != expected:
            self.error(
                name,
                f"파일 이름 '{expected}{SUFFIX}'과(와) 같아야 합니다 (must equal the file name)",
            )
            return None
        return slug

    def block(self, name: str, *, max_length: int) -> str | None:
        """Multi-line text (Markdown or a prompt), with trailing spaces removed."""
        value = self.text(name, max_length=max_length)
        if value is None:
            return None
        return "\n".join(line.rstrip() for line in value.replace("\r\n", "\n").split("\n"))

    def optional_text(self, name: str, *, max_length: int, default: str = "") -> str | None:
        if self.data.get(name) is None:
            return default
        return self.text(name, max_length=max_length)

    def identifier(self, name: str) -> str | None:
        value = self.text(name, max_length=40)
        if value is not None and not ID_PATTERN.match(value):
            self.error(
                name,
                "영문 소문자·숫자·하이픈(-)으로 1~40자여야 합니다 "
                "(1-40 characters of a-z, 0-9 and '-')",
            )
            return None
        return value

    def auto_check(self, name: str, style: dict[str, Any] | None) -> str | None:
        value = self.data.get(name)
        if value is None:
            return "none"
        allowed = ", ".join(AUTO_CHECKS)
        if not isinstance(value, str) or value not in AUTO_CHECKS:
            self.error(name, f"다음 중 하나여야 합니다: {allowed} (must be one of: {allowed})")
            return None
        problem = _style_conflict(value, style) if style is not None else None
        if problem:
            self.error(name, problem)
            return None
        return value

    def items(self, name: str, bounds: tuple[int, int]) -> list[tuple[int, dict]] | None:
        """A list of mappings, as (1-based position, mapping) pairs."""
        value = self._get(name)
        if value is _MISSING:
            return None
        low, high = bounds
        if not isinstance(value, list) or not value:
            self.error(name, "항목의 목록이어야 합니다 (must be a non-empty list of entries)")
            return None
        if not low <= len(value) <= high:
            self.error(
                name,
                f"{low}~{high}개여야 합니다 (must have between {low} and {high} entries)",
            )
            return None
        pairs = []
        for position, item in enumerate(value, start=1):
            if isinstance(item, dict):
                pairs.append((position, item))
            else:
                self.error(
                    f"{name}[{position}]",
                    "'항목: 값' 형식이어야 합니다 (must be a mapping of fields)",
                )
        return pairs if len(pairs) == len(value) else None

    def text_list(
        self, name: str, *, max_length: int, bounds: tuple[int, int], default: Any
    ) -> list[str] | None:
        value = self._get(name, default)
        if value is _MISSING:
            return None
        low, high = bounds
        if not isinstance(value, list):
            self.error(name, "글자의 목록이어야 합니다 (must be a list of text)")
            return None
        if not low <= len(value) <= high:
            self.error(
                name,
                f"{low}~{high}개여야 합니다 (must have between {low} and {high} entries)",
            )
            return None
        result: list[str] = []
        for position, item in enumerate(value, start=1):
            if not isinstance(item, str) or not item.strip():
                self.error(
                    name,
                    f"{position}번째 값이 비어 있지 않은 글자여야 합니다 "
                    f"(item {position} must be non-empty text)",
                )
            elif len(item.strip()) > max_length:
                self.error(
                    name,
                    f"{position}번째 값이 {max_length}자를 넘습니다 "
                    f"(item {position} is longer than {max_length} characters)",
                )
            elif item.strip() in result:
                self.error(name, f"'{item.strip()}'이(가) 두 번 나옵니다 (listed twice)")
            else:
                result.append(item.strip())
        return result if len(result) == len(value) else None

    def choice_text(self, name: str, allowed: tuple[str, ...]) -> str | None:
        value = self._get(name)
        if value is _MISSING:
            return None
        if not isinstance(value, str) or value not in allowed:
            listed = ", ".join(allowed)
            self.error(name, f"다음 중 하나여야 합니다: {listed} (must be one of: {listed})")
            return None
        return value

    def duplicate(self, name: str, value: str) -> None:
        self.error(name, f"'{value}'이(가) 두 번 나옵니다 (used twice)")


def _style_conflict(check: str, style: dict[str, Any]) -> str | None:
    """Why an automatic check cannot apply to a document type's style, if it cannot."""
    if check == "hierarchy" and not style.get("hierarchy"):
        return (
            "문서 유형의 style.hierarchy가 비어 있어 쓸 수 없습니다 "
            "(needs a non-empty style.hierarchy)"
        )
    if check == "dates" and not style.get("date_style"):
        return (
            "문서 유형의 style.date_style이 비어 있어 쓸 수 없습니다 "
            "(needs a non-empty style.date_style)"
        )
    if check == "units" and not style.get("units_required"):
        return (
            "문서 유형의 style.units_required가 true일 때만 쓸 수 있습니다 "
            "(needs style.units_required: true)"
        )
    if check == "gaejosik" and not style.get("gaejosik"):
        return (
            "문서 유형의 style.gaejosik이 true일 때만 쓸 수 있습니다 (needs style.gaejosik: true)"
        )
    return None


def _load_doc_type(path: Path, label: str, errors: list[SourceError]) -> DocTypeSource | None:
    data = _read_yaml(path, label, errors)
    if data is None:
        return None
    before = len(errors)
    reader = _Reader(data, label, errors)
    reader.unknown(DOCTYPE_FIELDS)
    slug = reader.slug("slug", path.stem)
    version = reader.integer("version", VERSION_RANGE)
    name = reader.text("name", max_length=NAME_MAX)
    name_en = reader.text("name_en", max_length=NAME_MAX)
    sort_order = reader.integer("sort_order", SORT_ORDER_RANGE, default=0)
    description = reader.text("description", max_length=DESCRIPTION_MAX)
    description_en = reader.text("description_en", max_length=DESCRIPTION_MAX)
    system_prompt = reader.block("system_prompt", max_length=SYSTEM_PROMPT_MAX)
    structure = _read_structure(reader)
    style = _read_style(reader)
    checklist = _read_checklist(reader, style)
    if len(errors) > before:
        return None
    return DocTypeSource(
        slug=slug,
        version=version,
        name=name,
        name_en=name_en,
        sort_order=sort_order,
        data={
            "description": description,
            "description_en": description_en,
            "system_prompt": system_prompt,
            "structure": structure,
            "checklist": checklist,
            "style": style,
        },
    )


def _read_structure(reader: _Reader) -> list[dict[str, Any]] | None:
    pairs = reader.items("structure", STRUCTURE_COUNT)
    if pairs is None:
        return None
    sections: list[dict[str, Any]] = []
    titles: set[str] = set()
    for position, item in pairs:
        entry = reader.nested(item, f"structure[{position}].")
        entry.unknown(SECTION_FIELDS)
        title = entry.text("title", max_length=SECTION_TITLE_MAX)
        required = entry.boolean("required", default=True)
        hint = entry.optional_text("hint", max_length=HINT_MAX)
        keywords: list[str] | None = []
        if item.get("keywords") is not None:
            keywords = entry.text_list(
                "keywords", max_length=KEYWORD_MAX, bounds=KEYWORDS_COUNT, default=_MISSING
            )
        if title is not None and title in titles:
            entry.duplicate("title", title)
            continue
        if title is not None:
            titles.add(title)
        if None in (title, required, hint, keywords):
            continue
        sections.append(
            {"title": title, "required": required, "hint": hint, "keywords": keywords or [title]}
        )
    return sections if len(sections) == len(pairs) else None


def _read_checklist(reader: _Reader, style: dict[str, Any] | None) -> list[dict[str, Any]] | None:
    pairs = reader.items("checklist", CHECKLIST_COUNT)
    if pairs is None:
        return None
    checks: list[dict[str, Any]] = []
    ids: set[str] = set()
    for position, item in pairs:
        entry = reader.nested(item, f"checklist[{position}].")
        entry.unknown(CHECK_FIELDS)
        ident = entry.identifier("id")
        text = entry.text("text", max_length=CHECK_TEXT_MAX)
        check = entry.auto_check("check", style)
        if ident is not None and ident in ids:
            entry.duplicate("id", ident)
            continue
        if ident is not None:
            ids.add(ident)
        if None in (ident, text, check):
            continue
        checks.append({"id": ident, "text": text, "check": check})
    return checks if len(checks) == len(pairs) else None


def _read_style(reader: _Reader) -> dict[str, Any] | None:
    value = reader._get("style")
    if value is _MISSING:
        return None
    if not isinstance(value, dict):
        reader.error("style", "'항목: 값' 형식이어야 합니다 (must be a mapping of fields)")
        return None
    entry = reader.nested(value, "style.")
    before = len(reader.errors)
    entry.unknown(STYLE_FIELDS)
    style = {
        "gaejosik": entry.boolean("gaejosik"),
        "hierarchy": entry.text_list(
            "hierarchy", max_length=MARKER_MAX, bounds=(0, HIERARCHY_MAX_LEVELS), default=_MISSING
        ),
        "max_sentence_chars": entry.integer("max_sentence_chars", SENTENCE_RANGE),
        "units_required": entry.boolean("units_required"),
        "date_style": _date_style(entry),
        "language": entry.choice_text("language", LANGUAGES),
    }
    return None if len(reader.errors) > before else style


def _date_style(entry: _Reader) -> str | None:
    value = entry._get("date_style")
    if value is _MISSING:
        return None
    if not isinstance(value, str):
        entry.error("date_style", "문자열이어야 합니다 (must be text)")
        return None
    value = value.strip()
    if len(value) > DATE_STYLE_MAX:
        entry.error(
            "date_style",
            f"{DATE_STYLE_MAX}자 이하여야 합니다 (at most {DATE_STYLE_MAX} characters)",
        )
        return None
    return value


def _load_exercise(
    path: Path,
    label: str,
    course_slug: str,
    known_types: set[str],
    styles: dict[str, dict[str, Any]],
    errors: list[SourceError],
) -> ExerciseSource | None:
    data = _read_yaml(path, label, errors)
    if data is None:
        return None
    before = len(errors)
    reader = _Reader(data, label, errors)
    reader.unknown(EXERCISE_FIELDS)
    slug = reader.slug("slug", path.stem)
    version = reader.integer("version", VERSION_RANGE)
    doc_type = reader.text("doc_type", max_length=80)
    if doc_type is not None and doc_type not in known_types:
        reader.error(
            "doc_type",
            f"'{doc_type}' 문서 유형이 {DOCTYPES_DIR}/에 없습니다 (unknown document type)",
        )
        doc_type = None
    title = reader.text("title", max_length=TITLE_MAX)
    title_en = reader.text("title_en", max_length=TITLE_MAX)
    sort_order = reader.integer("sort_order", SORT_ORDER_RANGE, default=0)
    minutes = reader.integer("estimated_minutes", MINUTES_RANGE)
    scenario = reader.block("scenario", max_length=SCENARIO_MAX)
    source_material = reader.block("source_material", max_length=SOURCE_MATERIAL_MAX)
    model_answer = None
    if data.get("model_answer") is not None:
        model_answer = reader.block("model_answer", max_length=MODEL_ANSWER_MAX)
    rubric = _read_rubric(reader, styles.get(doc_type) if doc_type else None)
    if len(errors) > before:
        return None
    return ExerciseSource(
        slug=slug,
        course_slug=course_slug,
        doc_type_slug=doc_type,
        version=version,
        title=title,
        title_en=title_en,
        sort_order=sort_order,
        data={
            "scenario": scenario,
            "source_material": source_material,
            "rubric": rubric,
            "model_answer": model_answer,
            "estimated_minutes": minutes,
        },
    )


def _read_rubric(reader: _Reader, style: dict[str, Any] | None) -> list[dict[str, Any]] | None:
    pairs = reader.items("rubric", RUBRIC_COUNT)
    if pairs is None:
        return None
    criteria: list[dict[str, Any]] = []
    ids: set[str] = set()
    for position, item in pairs:
        entry = reader.nested(item, f"rubric[{position}].")
        entry.unknown(RUBRIC_FIELDS)
        ident = entry.identifier("id")
        title = entry.text("title", max_length=SECTION_TITLE_MAX)
        description = entry.text("description", max_length=DESCRIPTION_MAX)
        max_score = entry.integer("max_score", SCORE_RANGE)
        auto = entry.auto_check("auto", style)
        if ident is not None and ident in ids:
            entry.duplicate("id", ident)
            continue
        if ident is not None:
            ids.add(ident)
        if None in (ident, title, description, max_score, auto):
            continue
        criteria.append(
            {
                "id": ident,
                "title": title,
                "description": description,
                "max_score": max_score,
                "auto": auto,
            }
        )
    return criteria if len(criteria) == len(pairs) else None


# ---------------------------------------------------------------- database


def plan_content_sync(loaded: ContentLoadResult) -> ContentSyncPlan:
    """Compare the checked document types and exercises with the database."""
    if not loaded.ok:
        raise ValueError("courses/ content has errors; fix them before planning a sync")
    return ContentSyncPlan(
        doc_types=tuple(loaded.doc_types),
        exercises=tuple(loaded.exercises),
        doc_type_changes=_changes(DocType, loaded.doc_types),
        exercise_changes=_changes(Exercise, loaded.exercises),
    )


def _changes(model: type[DocType] | type[Exercise], sources: list[Any]) -> Changes:
    stored = {
        slug: (source_hash, is_active)
        for slug, source_hash, is_active in db.session.execute(
            select(model.slug, model.source_hash, model.is_active)
        )
    }
    created, updated, unchanged = [], [], []
    for source in sorted(sources, key=lambda s: s.slug):
        if source.slug not in stored:
            created.append(source.slug)
        elif stored[source.slug] == (source.source_hash, True):
            unchanged.append(source.slug)
        else:
            updated.append(source.slug)  # changed, or back in courses/ after deactivation
    present = {source.slug for source in sources}
    deactivated = sorted(
        slug for slug, (_hash, active) in stored.items() if active and slug not in present
    )
    return Changes(tuple(created), tuple(updated), tuple(unchanged), tuple(deactivated))


def apply_content_sync(plan: ContentSyncPlan, *, actor_id: int | None = None) -> None:
    """Upsert document types then exercises by slug, deactivate removed ones (flush only)."""
    if not plan.has_changes:
        return
    now = utcnow()
    doc_types = {row.slug: row for row in db.session.scalars(select(DocType))}
    _upsert(doc_types, DocType, plan.doc_types, plan.doc_type_changes, now, _assign_doc_type)
    db.session.flush()

    needed = {source.course_slug for source in plan.exercises}
    course_ids = dict(
        db.session.execute(select(Course.slug, Course.id).where(Course.slug.in_(needed))).all()
    )
    missing = needed - set(course_ids)
    if missing:
        raise ValueError(f"courses not synced yet: {', '.join(sorted(missing))}")
    type_ids = {slug: row.id for slug, row in doc_types.items()}
    exercises = {row.slug: row for row in db.session.scalars(select(Exercise))}

    def assign_exercise(row: Exercise, source: ExerciseSource, when) -> None:
        row.course_id = course_ids[source.course_slug]
        row.doc_type_id = type_ids[source.doc_type_slug]
        row.version = source.version
        row.title = source.title
        row.title_en = source.title_en
        row.data = source.data
        row.sort_order = source.sort_order
        row.is_active = True
        row.source_hash = source.source_hash
        row.synced_at = when

    _upsert(exercises, Exercise, plan.exercises, plan.exercise_changes, now, assign_exercise)
    db.session.flush()
    record(
        "assistant.content_synced",
        target_type="assistant_content",
        actor_id=actor_id,
        details={
            "doc_types": _details(plan.doc_type_changes),
            "exercises": _details(plan.exercise_changes),
        },
    )


def _upsert(existing: dict, model: type, sources, changes: Changes, now, assign) -> None:
    by_slug = {source.slug: source for source in sources}
    for slug in changes.created:
        row = model(slug=slug)
        db.session.add(row)
        existing[slug] = row
    for slug in (*changes.created, *changes.updated):
        assign(existing[slug], by_slug[slug], now)
    for slug in changes.deactivated:
        # Kept, never deleted: drafts and submissions still point at it.
        existing[slug].is_active = False


def _assign_doc_type(row: DocType, source: DocTypeSource, now) -> None:
    row.version = source.version
    row.name = source.name
    row.name_en = source.name_en
    row.data = source.data
    row.sort_order = source.sort_order
    row.is_active = True
    row.source_hash = source.source_hash
    row.synced_at = now


def _details(changes: Changes) -> dict[str, Any]:
    return {
        **changes.counts(),
        "created_slugs": list(changes.created),
        "updated_slugs": list(changes.updated),
        "deactivated_slugs": list(changes.deactivated),
    }
