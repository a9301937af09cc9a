"""courses/_synonyms.yml: checked like the courses, and used by the catalogue search."""

from __future__ import annotations

from pathlib import Path

import pytest

from portal.catalog import synonyms
from portal.paths import ROOT


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / synonyms.SYNONYMS_FILE
    path.write_text(text, encoding="utf-8")
    return path


def test_the_shipped_file_is_valid_and_covers_the_reported_words():
    loaded = synonyms.load_synonyms(ROOT / "courses" / synonyms.SYNONYMS_FILE)
    assert loaded.errors == []
    assert "챗GPT" in loaded.expand("챗지피티")
    assert "챗GPT" in loaded.expand("지피티")
    assert "AI" in loaded.expand("인공지능")


def test_a_word_expands_to_its_group_ignoring_case_and_hangul_normalisation(tmp_path):
    loaded = synonyms.load_synonyms(_write(tmp_path, "groups:\n  - [챗GPT, 챗지피티, ChatGPT]\n"))
    assert loaded.expand("chatgpt") == ("chatgpt", "챗GPT", "챗지피티")
    decomposed = "\u1103\u1166\u110b\u1175\u1110\u1165"  # 데이터 typed as jamo
    assert loaded.expand(decomposed) == (decomposed,)
    assert loaded.expand("챗지피티") == ("챗지피티", "챗GPT", "ChatGPT")
    assert loaded.expand("천문학") == ("천문학",)


def test_a_missing_file_means_no_synonyms(tmp_path):
    loaded = synonyms.load_synonyms(tmp_path / "nothing.yml")
    assert loaded.errors == [] and loaded.expand("지피티") == ("지피티",)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("groups: [\n", "YAML 문법 오류"),
        ("words: []\n", "unknown field"),
        ("groups: []\n", "must be a list of groups"),
        ("groups:\n  - [AI]\n", "groups[0]: 2번째 줄 (line 2)"),
        ("groups:\n  - [AI, 인공지능]\n  - [ai, 에이아이]\n", "groups[1]: 3번째 줄"),
        ("groups:\n  - [AI, '']\n", "not a term"),
        ("groups:\n  - [AI, 12]\n", "not a term"),
        ("groups:\n  - [AI, 인공지능, AI]\n", "같은 묶음에"),
    ],
)
def test_a_bad_file_is_reported_with_file_group_and_line(tmp_path, text, fragment):
    loaded = synonyms.load_synonyms(_write(tmp_path, text))
    assert loaded.errors
    message = "\n".join(str(error) for error in loaded.errors)
    assert message.startswith(f"{tmp_path.name}/_synonyms.yml")
    assert fragment in message
    assert loaded.groups == [] and loaded.expand("AI") == ("AI",)


def test_courses_validate_refuses_a_bad_synonym_file(app, tmp_path):
    import shutil

    root = tmp_path / "courses"
    shutil.copytree(ROOT / "courses", root)
    (root / synonyms.SYNONYMS_FILE).write_text("groups:\n  - [AI]\n", encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["courses", "validate", "--path", str(root)])
    assert result.exit_code == 1
    assert "courses/_synonyms.yml: groups[0]: 2번째 줄" in result.output
    assert "nothing was changed" in result.output


def test_search_reads_the_file_again_only_when_it_changes(tmp_path):
    path = _write(tmp_path, "groups:\n  - [가, 나]\n")
    assert synonyms.current(path).expand("가") == ("가", "나")
    assert synonyms.current(path) is synonyms.current(path)
    import os

    path.write_text("groups:\n  - [가, 다]\n", encoding="utf-8")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10_000_000))
    assert synonyms.current(path).expand("가") == ("가", "다")
    path.write_text("groups: [\n", encoding="utf-8")
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 20_000_000))
    assert synonyms.current(path).expand("가") == ("가",)  # broken: no synonyms, no error
