"""Strict reading of the YAML files authors write under courses/, shared by every loader.

``read_yaml`` refuses a key written twice (PyYAML would silently keep the last one) and
reports syntax errors with their line. A value PyYAML can parse but not build (a date-like
``2026-13-45``, ``!!int abc``) and any string holding NUL or another control character are
refused with the file, line and field too, never a traceback: PostgreSQL cannot store NUL,
and nothing an author means to write needs the others. :class:`FieldReader` reads one mapping field by field
and collects every problem as a :class:`SourceError` (file, field, reason) instead of
stopping at the first, so one ``flask courses validate`` run lists them all. The catalogue
(course.yml) and the assistant content (doc types, exercises) extend it with their own
fields. Nothing here touches the database.
"""

from __future__ import annotations

import datetime as dt
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


# C0 control characters except tab and line feed (carriage returns are normalised away
# or refused), DEL and the C1 block. NUL in particular cannot be stored by PostgreSQL.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def control_character(text: str) -> str | None:
    """The first control character in ``text`` (tab and line feed allowed) as ``U+00XX``."""
    found = _CONTROL.search(text)
    return f"U+{ord(found.group()):04X}" if found else None


def _control_message(code: str) -> str:
    return f"제어 문자({code})는 쓸 수 없습니다 (control character {code} is not allowed)"


def read_text(path: Path, label: str, errors: list[SourceError]) -> str | None:
    """A UTF-8 file (BOM allowed) with its line endings normalised to ``\\n``.

    A file with a control character other than tab and line break is refused, naming the
    line: it could not be stored (NUL) or would show as garbage on a page.
    """
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
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    code = control_character(text)
    if code is not None:
        line = text.count("\n", 0, _CONTROL.search(text).start()) + 1
        errors.append(
            SourceError(label, None, f"{line}번째 줄 (line {line}): {_control_message(code)}")
        )
        return None
    return text


class _DuplicateKey(yaml.YAMLError):
    def __init__(self, key: str, line: int):
        super().__init__(key)
        self.key = key
        self.line = line


class _BadValue(yaml.YAMLError):
    """A node PyYAML parsed but whose value is refused; ``read_yaml`` names its field."""

    def __init__(self, node: yaml.Node, message: str):
        super().__init__(message)
        self.node = node
        self.message = message
        self.field: str | None = None


# What PyYAML's constructors raise on a well-formed node with an impossible value:
# ValueError for 2026-13-45 or !!int abc, OverflowError for an out-of-range timestamp,
# KeyError for !!bool maybe, AttributeError/TypeError for !!timestamp abc.
_CONSTRUCTION_ERRORS = (ValueError, OverflowError, KeyError, AttributeError, TypeError)
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys, unbuildable values and control characters."""

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep=deep)
        except yaml.YAMLError:
            raise
        except _CONSTRUCTION_ERRORS as err:
            if node.tag == _TIMESTAMP_TAG:
                message = (
                    "날짜로 읽히지만 올바른 날짜가 아닙니다. 날짜가 아니면 따옴표로 감싸세요 "
                    "(looks like a date but is not a valid one; quote it if it is text)"
                )
            else:
                message = f"값을 해석할 수 없습니다 (cannot read the value: {err})"
            raise _BadValue(node, message) from err

    def construct_yaml_str(self, node: yaml.ScalarNode) -> str:
        value = super().construct_yaml_str(node)
        code = control_character(value)
        if code is not None:
            raise _BadValue(node, _control_message(code))
        return value


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
_StrictLoader.add_constructor("tag:yaml.org,2002:str", _StrictLoader.construct_yaml_str)


def _field_of(root: yaml.Node, target: yaml.Node) -> str | None:
    """Where ``target`` sits under ``root``, as the loaders name fields: ``rubric[1].points``."""
    stack: list[tuple[yaml.Node, str]] = [(root, "")]
    while stack:
        node, path = stack.pop()
        if node is target:
            return path or None
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                key = key_node.value if isinstance(key_node, yaml.ScalarNode) else "?"
                key = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", key)
                here = f"{path}.{key}" if path else str(key)
                if key_node is target:
                    return here
                stack.append((value_node, here))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((item, f"{path}[{index}]") for index, item in enumerate(node.value))
    return None


def _load(text: str) -> Any:
    """Compose then construct, as ``yaml.load`` does, keeping the node tree for errors."""
    loader = _StrictLoader(text)
    try:
        root = loader.get_single_node()
        if root is None:
            return None
        try:
            return loader.construct_document(root)
        except _BadValue as bad:
            bad.field = _field_of(root, bad.node)
            raise
    finally:
        loader.dispose()


def read_yaml(path: Path, label: str, errors: list[SourceError]) -> dict | None:
    """The file's top-level mapping, or None with the problem appended to ``errors``."""
    text = read_text(path, label, errors)
    if text is None:
        return None
    try:
        data = _load(text)
    except _BadValue as bad:
        line = bad.node.start_mark.line + 1
        errors.append(SourceError(label, bad.field, f"{line}번째 줄 (line {line}): {bad.message}"))
        return None
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
    except RecursionError:
        errors.append(SourceError(label, None, "너무 깊게 중첩되어 있습니다 (nested too deeply)"))
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
        if isinstance(value, dt.date):
            self.error(
                name,
                "날짜로 읽혔습니다. 글자라면 따옴표로 감싸세요 (read as a date; quote it if it is text)",
            )
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
