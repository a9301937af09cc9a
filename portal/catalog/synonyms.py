"""Search synonyms: groups of terms the catalogue search treats as one.

``courses/_synonyms.yml`` is reviewed data like the courses beside it::

    groups:
      - [챗GPT, 챗지피티, 지피티, ChatGPT, GPT]
      - [인공지능, AI, 에이아이]

A search word equal to any term of a group (ignoring case, Hangul composed) matches a
course that contains any term of that group. ``load_synonyms`` checks the file and reports
every problem with its file, group and line; ``flask courses validate`` and ``sync`` run it,
so a bad file never reaches production unnoticed. At search time the file is read once
and again only when it changes; a broken file there means "no synonyms" (and a warning in
the log), never a failed search.
"""

from __future__ import annotations

import logging
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from portal.core.yamlsource import SourceError, read_text, read_yaml
from portal.paths import ROOT

SYNONYMS_FILE = "_synonyms.yml"
DEFAULT_PATH = ROOT / "courses" / SYNONYMS_FILE
TERM_MAX = 50
GROUP_MAX = 20
GROUPS_MAX = 500

log = logging.getLogger(__name__)


def normalise(term: str) -> str:
    """The form terms are compared in: Hangul composed, case folded, spaces collapsed."""
    return " ".join(unicodedata.normalize("NFC", term).casefold().split())


@dataclass
class Synonyms:
    """Every group, and for each normalised term the group it belongs to."""

    groups: list[tuple[str, ...]] = field(default_factory=list)
    errors: list[SourceError] = field(default_factory=list)
    _index: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def expand(self, term: str) -> tuple[str, ...]:
        """The terms a search word stands for: its group, or just itself."""
        group = self._index.get(normalise(term))
        if group is None:
            return (term,)
        return (term, *(other for other in group if normalise(other) != normalise(term)))


def _group_lines(text: str) -> list[int]:
    """The line of each group in the (already checked) file, for error messages."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:  # pragma: no cover - read_yaml refused it first
        return []
    for key_node, value_node in getattr(root, "value", []):
        if getattr(key_node, "value", None) == "groups" and isinstance(
            value_node, yaml.SequenceNode
        ):
            return [item.start_mark.line + 1 for item in value_node.value]
    return []


def load_synonyms(path: Path, label: str | None = None) -> Synonyms:
    """Read and check the synonym file; a missing file means no synonyms, not an error."""
    result = Synonyms()
    label = label or f"{path.parent.name}/{path.name}"
    if not path.exists():
        return result
    data = read_yaml(path, label, result.errors)
    if data is None:
        return result
    lines = _group_lines(read_text(path, label, []) or "")

    def error(index: int | None, message: str) -> None:
        where = None if index is None else f"groups[{index}]"
        if index is not None and index < len(lines):
            message = f"{lines[index]}번째 줄 (line {lines[index]}): {message}"
        result.errors.append(SourceError(label, where, message))

    for key in data:
        if key != "groups":
            result.errors.append(
                SourceError(label, str(key), "알 수 없는 항목입니다 (unknown field; use 'groups')")
            )
    groups = data.get("groups")
    if not isinstance(groups, list) or not groups:
        result.errors.append(
            SourceError(label, "groups", "낱말 묶음의 목록이어야 합니다 (must be a list of groups)")
        )
        return result
    if len(groups) > GROUPS_MAX:
        error(None, f"묶음은 {GROUPS_MAX}개까지입니다 (at most {GROUPS_MAX} groups)")
        return result
    first_seen: dict[str, int] = {}
    for index, group in enumerate(groups):
        if not isinstance(group, list) or len(group) < 2:
            error(index, "낱말이 둘 이상인 목록이어야 합니다 (must be a list of two or more terms)")
            continue
        if len(group) > GROUP_MAX:
            error(index, f"한 묶음은 {GROUP_MAX}개까지입니다 (at most {GROUP_MAX} terms)")
            continue
        terms: list[str] = []
        for term in group:
            if not isinstance(term, str) or not term.strip():
                error(index, f"빈 낱말이나 글자가 아닌 값이 있습니다 (not a term: {term!r})")
                continue
            if len(term) > TERM_MAX:
                error(index, f"낱말은 {TERM_MAX}자까지입니다 (term too long: {term[:20]}…)")
                continue
            key = normalise(term)
            if key in first_seen:
                other = first_seen[key]
                where = "같은 묶음에" if other == index else f"groups[{other}]에도"
                error(
                    index,
                    f"'{term}'이(가) {where} 있습니다 (term appears twice; "
                    f"also in groups[{other}])",
                )
                continue
            first_seen[key] = index
            terms.append(" ".join(unicodedata.normalize("NFC", term).split()))
        if len(terms) >= 2:
            result.groups.append(tuple(terms))
    if result.errors:
        result.groups = []
        return result
    for group in result.groups:
        for term in group:
            result._index[normalise(term)] = group
    return result


_cache: dict[Path, tuple[int, Synonyms]] = {}


def current(path: Path = DEFAULT_PATH) -> Synonyms:
    """The synonyms for searching, re-read only when the file changes."""
    try:
        stamp = path.stat().st_mtime_ns
    except OSError:
        return Synonyms()
    cached = _cache.get(path)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    loaded = load_synonyms(path)
    if loaded.errors:
        log.warning("search synonyms ignored: %d error(s) in %s", len(loaded.errors), path.name)
    _cache[path] = (stamp, loaded)
    return loaded
