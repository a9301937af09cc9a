"""The practice sandbox's document types and exercises, read from courses/.

``courses/_doctypes/<slug>.yml`` describes a kind of government document (system
prompt, outline, checklist, style rules); ``courses/<course>/exercises/<slug>.yml`` is a
실습 과제 of that course (scenario, fictional source material, rubric, model answer).
``load_content`` reads and checks them without touching the database and reports every
problem with its file and field; the field rules live in :mod:`.fields`. Writing them to
the database lives in :mod:`.sync`. courses/README.md documents the file formats for authors.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from portal.assistant.content.fields import (
    DESCRIPTION_MAX,
    DOCTYPE_FIELDS,
    EXERCISE_FIELDS,
    MINUTES_RANGE,
    MODEL_ANSWER_MAX,
    NAME_MAX,
    SCENARIO_MAX,
    SOURCE_MATERIAL_MAX,
    SUFFIX,
    SYSTEM_PROMPT_MAX,
    TITLE_MAX,
    VERSION_RANGE,
    ContentReader,
    read_checklist,
    read_rubric,
    read_structure,
    read_style,
)
from portal.core.curriculum import EXERCISES_DIR, SORT_ORDER_RANGE
from portal.core.yamlsource import SourceError, read_yaml

DOCTYPES_DIR = "_doctypes"

# Bump when the mapping from files to columns changes, so every row re-syncs once.
SCHEMA_VERSION = 1


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


def _load_doc_type(path: Path, label: str, errors: list[SourceError]) -> DocTypeSource | None:
    data = read_yaml(path, label, errors)
    if data is None:
        return None
    before = len(errors)
    reader = ContentReader(data, label, errors)
    reader.unknown(DOCTYPE_FIELDS)
    slug = reader.slug("slug", path.stem)
    version = reader.integer("version", VERSION_RANGE)
    name = reader.text("name", max_length=NAME_MAX)
    name_en = reader.text("name_en", max_length=NAME_MAX)
    sort_order = reader.integer("sort_order", SORT_ORDER_RANGE, default=0)
    description = reader.text("description", max_length=DESCRIPTION_MAX)
    description_en = reader.text("description_en", max_length=DESCRIPTION_MAX)
    system_prompt = reader.block("system_prompt", max_length=SYSTEM_PROMPT_MAX)
    structure = read_structure(reader)
    style = read_style(reader)
    checklist = read_checklist(reader, style)
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


def _load_exercise(
    path: Path,
    label: str,
    course_slug: str,
    known_types: set[str],
    styles: dict[str, dict[str, Any]],
    errors: list[SourceError],
) -> ExerciseSource | None:
    data = read_yaml(path, label, errors)
    if data is None:
        return None
    before = len(errors)
    reader = ContentReader(data, label, errors)
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
    rubric = read_rubric(reader, styles.get(doc_type) if doc_type else None)
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
