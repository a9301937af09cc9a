"""read_yaml / read_text: every bad file becomes a SourceError naming file, line and field."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from portal.core.yamlsource import FieldReader, SourceError, control_character, read_text, read_yaml

DATE_HINT = "날짜로 읽히지만 올바른 날짜가 아닙니다"


def read(tmp_path: Path, text: str) -> tuple[dict | None, list[str]]:
    path = tmp_path / "item.yml"
    path.write_text(text, encoding="utf-8")
    errors: list[SourceError] = []
    data = read_yaml(path, "courses/x/item.yml", errors)
    return data, [str(error) for error in errors]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # PyYAML's timestamp resolver matches these, then datetime refuses them.
        ("a: 1\nsort_order: 2026-13-45\n", f"sort_order: 2번째 줄 (line 2): {DATE_HINT}"),
        ("when: 2026-02-30\n", f"when: 1번째 줄 (line 1): {DATE_HINT}"),
        ("when: 0000-01-01\n", f"when: 1번째 줄 (line 1): {DATE_HINT}"),
        ("when: 2026-01-01 10:00:00 +99:00\n", f"when: 1번째 줄 (line 1): {DATE_HINT}"),
        ("when: !!timestamp soon\n", f"when: 1번째 줄 (line 1): {DATE_HINT}"),
        ("2026-13-45: key\n", f"2026-13-45: 1번째 줄 (line 1): {DATE_HINT}"),
        # Explicit tags whose value the constructor cannot build.
        ("n: !!int abc\n", "n: 1번째 줄 (line 1): 값을 해석할 수 없습니다"),
        ("n: !!float abc\n", "n: 1번째 줄 (line 1): 값을 해석할 수 없습니다"),
        ("n: !!bool maybe\n", "n: 1번째 줄 (line 1): 값을 해석할 수 없습니다"),
        # Deep inside lists and mappings the field is named as the loaders name it.
        (
            "rubric:\n  - id: a\n    max_score: 3\n  - id: b\n    max_score: 2026-02-30\n",
            f"rubric[1].max_score: 5번째 줄 (line 5): {DATE_HINT}",
        ),
    ],
)
def test_a_value_pyyaml_cannot_build_is_an_error_not_a_traceback(tmp_path, text, expected):
    data, errors = read(tmp_path, text)
    assert data is None
    assert errors == [errors[0]] and errors[0].startswith(f"courses/x/item.yml: {expected}")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('title: "앞\\0뒤"\n', "title: 1번째 줄 (line 1): 제어 문자(U+0000)는 쓸 수 없습니다"),
        ('title: "\\x1b[31m"\n', "title: 1번째 줄 (line 1): 제어 문자(U+001B)"),
        ('title: "a\\rb"\n', "title: 1번째 줄 (line 1): 제어 문자(U+000D)"),
        ('title: "a\\x85b"\n', "title: 1번째 줄 (line 1): 제어 문자(U+0085)"),
        ('x:\n  y: ["ok", "a\\x01"]\n', "x.y[1]: 2번째 줄 (line 2): 제어 문자(U+0001)"),
        ('"a\\0": 1\n', "a\\x00: 1번째 줄 (line 1): 제어 문자(U+0000)"),
        # Raw control characters are refused before YAML sees them, naming the line.
        ("a: 1\ntitle: 앞\x00뒤\n", "2번째 줄 (line 2): 제어 문자(U+0000)는 쓸 수 없습니다"),
        ("title: 앞\x7f뒤\n", "1번째 줄 (line 1): 제어 문자(U+007F)"),
    ],
)
def test_control_characters_in_strings_are_refused_naming_the_field(tmp_path, text, expected):
    data, errors = read(tmp_path, text)
    assert data is None
    assert len(errors) == 1 and errors[0].startswith(f"courses/x/item.yml: {expected}")


def test_tabs_and_line_breaks_are_ordinary_text(tmp_path):
    data, errors = read(tmp_path, 'a: "열\\t값"\nb: |\n  첫 줄\n  둘째 줄\n')
    assert errors == []
    assert data == {"a": "열\t값", "b": "첫 줄\n둘째 줄\n"}


def test_nesting_too_deep_for_the_parser_is_an_error(tmp_path):
    data, errors = read(tmp_path, "a: " + "[" * 5000 + "]" * 5000 + "\n")
    assert data is None
    assert errors == ["courses/x/item.yml: 너무 깊게 중첩되어 있습니다 (nested too deeply)"]


def test_a_valid_date_where_text_is_expected_says_to_quote_it(tmp_path):
    # The loaders have no date fields: a real date (even year 1 or 9999) is refused as text.
    for value in ("0001-01-01", "9999-12-31", "2026-11-27"):
        data, errors = read(tmp_path, f"title: {value}\n")
        assert errors == [] and isinstance(data["title"], dt.date)
        problems: list[SourceError] = []
        assert (
            FieldReader(data, "courses/x/item.yml", problems).text("title", max_length=10) is None
        )
        assert [str(p) for p in problems] == [
            "courses/x/item.yml: title: 날짜로 읽혔습니다. 글자라면 따옴표로 감싸세요 "
            "(read as a date; quote it if it is text)"
        ]


def test_markdown_files_with_control_characters_are_refused(tmp_path):
    path = tmp_path / "description.md"
    path.write_text("## 소개\r\n\r\n본문\x00\n", encoding="utf-8")
    errors: list[SourceError] = []
    assert read_text(path, "courses/x/description.md", errors) is None
    assert [str(e) for e in errors] == [
        "courses/x/description.md: 3번째 줄 (line 3): 제어 문자(U+0000)는 쓸 수 없습니다 "
        "(control character U+0000 is not allowed)"
    ]
    path.write_text("## 소개\r\n\t들여쓰기\n", encoding="utf-8")
    assert read_text(path, "courses/x/description.md", errors) == "## 소개\n\t들여쓰기\n"


def test_control_character_names_the_first_one():
    assert control_character("줄\n탭\t") is None
    assert control_character("a\x00b\x01") == "U+0000"
    assert control_character("\x9f") == "U+009F"
