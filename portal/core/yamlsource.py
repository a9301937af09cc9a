"""Strict reading of the YAML files authors write under courses/, shared by every loader.

``read_yaml`` refuses a key written twice (PyYAML would silently keep the last one) and
reports syntax errors with their line. :class:`FieldReader` reads one mapping field by field
and collects every problem as a :class:`SourceError` (file, field, reason) instead of
stopping at the first, so one ``flask courses validate`` run lists them all. The catalogue
(course.yml) and the assistant content (doc types, exercises) extend it with their own
fields. Nothing here touches the database.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Hashable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import yaml

# A course, document type or exercise slug: also its folder or file name.
SLUG_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{1,78}[a-z0-9]$")
SLUG_MAX = 80

# Marks a field that is absent (or null) and has no default.
MISSING = object()


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


def read_text(path: Path, label: str, errors: list[SourceError]) -> str | None:
    """A UTF-8 file (BOM allowed) with its line endings normalised to ``\\n``."""
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
    """The file's top-level mapping, or None with the problem appended to ``errors``."""
    text = read_text(path, label, errors)
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


class FieldReader:
    """Reads one YAML mapping's fields, collecting every problem with its field name.

    Each reader method returns the checked value, or None after recording why it is not
    usable; callers compare ``len(errors)`` before and after to know whether a whole file
    was read cleanly.
    """

    def __init__(self, data: dict, path: str, errors: list[SourceError]):
        self.data = data
        self.path = path
        self.errors = errors

    def error(self, name: str, message: str) -> None:
        self.errors.append(SourceError(self.path, name, message))

    def unknown(self, allowed: tuple[str, ...]) -> None:
        """Report every key not in ``allowed``, suggesting the closest allowed one."""
        for key in self.data:
            if key not in allowed:
                hint = difflib.get_close_matches(str(key), allowed, n=1)
                suggestion = (
                    f" '{hint[0]}'을(를) 뜻했나요? (did you mean '{hint[0]}'?)" if hint else ""
                )
                self.error(str(key), f"알 수 없는 항목입니다 (unknown field).{suggestion}")

    def value(self, name: str, default: Any = MISSING) -> Any:
        """The raw value, ``default`` when absent or null, or MISSING (reported) if required."""
        value = self.data.get(name, default)
        if value is MISSING or (value is None and default is MISSING):
            self.error(name, "필수 항목이 없습니다 (required field is missing)")
            return MISSING
        return default if value is None else value

    def slug_format(self, name: str, slug: str) -> bool:
        """Whether ``slug`` is a well-formed slug; reports it when not."""
        if SLUG_PATTERN.match(slug):
            return True
        self.error(
            name,
            "영문 소문자·숫자·하이픈(-)으로 3~80자, 하이픈으로 시작하거나 끝나지 않아야 합니다 "
            "(3-80 characters of a-z, 0-9 and '-', not starting or ending with '-')",
        )
        return False

    def text(self, name: str, *, max_length: int) -> str | None:
        value = self.value(name)
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
        value = self.value(name)
        if value is MISSING:
            return None
        allowed = ", ".join(member.value for member in enum_cls)
        if not isinstance(value, str) or value not in {m.value for m in enum_cls}:
            self.error(name, f"다음 중 하나여야 합니다: {allowed} (must be one of: {allowed})")
            return None
        return enum_cls(value)

    def boolean(self, name: str, *, default: Any = MISSING) -> bool | None:
        value = self.value(name, default)
        if value is MISSING:
            return None
        if not isinstance(value, bool):
            self.error(name, "true 또는 false여야 합니다 (must be true or false)")
            return None
        return value

    def integer(self, name: str, bounds: tuple[int, int], *, default: Any = MISSING) -> Any:
        value = self.value(name, default)
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
