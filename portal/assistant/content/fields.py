"""The format of the practice content files in courses/: fields, limits and their readers.

:class:`ContentReader` extends the shared field reader (``portal.core.yamlsource.FieldReader``)
with nested lists, identifiers and the rules that tie a checklist or rubric ``check`` to the
document type's style. The ``_read_*`` helpers read the nested parts of a file (structure,
checklist, style, rubric); :mod:`portal.assistant.content` reads whole files with them.
Every problem is reported with its file and field; nothing here touches the database.
"""

from __future__ import annotations

import re
from typing import Any

from portal.core.yamlsource import MISSING, SLUG_MAX, FieldReader, SourceError

SUFFIX = ".yml"

# What the offline coach can compute; a checklist item's `check` and a rubric's `auto`.
AUTO_CHECKS = (
    "sections",
    "gaejosik",
    "sentence-length",
    "units",
    "dates",
    "hierarchy",
    "headline",
    "figures",
    "none",
)
# Checks that need an exercise's source material: a rubric's `auto`, never a checklist item.
EXERCISE_ONLY_CHECKS = ("figures",)
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


class ContentReader(FieldReader):
    """The shared field reader, extended for nested lists and the content rules."""

    def __init__(self, data: dict, path: str, errors: list[SourceError], prefix: str = ""):
        super().__init__(data, path, errors)
        self.prefix = prefix

    def error(self, name: str, message: str) -> None:
        super().error(f"{self.prefix}{name}", message)

    def nested(self, data: dict, prefix: str) -> ContentReader:
        return ContentReader(data, self.path, self.errors, prefix=f"{self.prefix}{prefix}")

    def slug(self, name: str, expected: str) -> str | None:
        slug = self.text(name, max_length=SLUG_MAX)
        if slug is None or not self.slug_format(name, slug):
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
        value = self.value(name)
        if value is MISSING:
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
        value = self.value(name, default)
        if value is MISSING:
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
        value = self.value(name)
        if value is MISSING:
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
    if check == "figures" and (style.get("language") or "ko") != "ko":
        return (
            "한국어 문서 유형(style.language: ko)에만 쓸 수 있습니다 "
            "(needs a Korean document type, style.language: ko)"
        )
    if check == "gaejosik" and not style.get("gaejosik"):
        return (
            "문서 유형의 style.gaejosik이 true일 때만 쓸 수 있습니다 (needs style.gaejosik: true)"
        )
    return None


def read_structure(reader: ContentReader) -> list[dict[str, Any]] | None:
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
                "keywords", max_length=KEYWORD_MAX, bounds=KEYWORDS_COUNT, default=MISSING
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


def read_checklist(
    reader: ContentReader, style: dict[str, Any] | None
) -> list[dict[str, Any]] | None:
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
        if check in EXERCISE_ONLY_CHECKS:
            entry.error(
                "check",
                f"'{check}'는 원 자료가 있는 실습 과제의 rubric auto에만 쓸 수 있습니다 "
                f"('{check}' needs an exercise's source material: use it in a rubric's auto)",
            )
            check = None
        if ident is not None and ident in ids:
            entry.duplicate("id", ident)
            continue
        if ident is not None:
            ids.add(ident)
        if None in (ident, text, check):
            continue
        checks.append({"id": ident, "text": text, "check": check})
    return checks if len(checks) == len(pairs) else None


def read_style(reader: ContentReader) -> dict[str, Any] | None:
    value = reader.value("style")
    if value is MISSING:
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
            "hierarchy", max_length=MARKER_MAX, bounds=(0, HIERARCHY_MAX_LEVELS), default=MISSING
        ),
        "max_sentence_chars": entry.integer("max_sentence_chars", SENTENCE_RANGE),
        "units_required": entry.boolean("units_required"),
        "date_style": _date_style(entry),
        "language": entry.choice_text("language", LANGUAGES),
    }
    return None if len(reader.errors) > before else style


def _date_style(entry: ContentReader) -> str | None:
    value = entry.value("date_style")
    if value is MISSING:
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


def read_rubric(reader: ContentReader, style: dict[str, Any] | None) -> list[dict[str, Any]] | None:
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
