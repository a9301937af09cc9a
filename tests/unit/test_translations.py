"""Korean is the source language; English must be complete."""

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).parents[2]
METHOD_MAP = [("portal/**.py", "python"), ("templates/**.html", "jinja2")]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}


def _not_hidden(dirpath: str) -> bool:
    # Babel skips folders beginning with "_" by default, which would hide
    # templates/_macros and templates/_partials from this test.
    name = Path(dirpath).name
    return not name.startswith(".") and name not in {"__pycache__", "node_modules"}


def _source_messages() -> dict[str, str]:
    found = {}
    for filename, lineno, message, _comments, _ctx in extract_from_dir(
        str(ROOT),
        METHOD_MAP,
        keywords=KEYWORDS,
        comment_tags=(),
        directory_filter=_not_hidden,
    ):
        msgid = message[0] if isinstance(message, tuple) else message
        if msgid:
            found.setdefault(msgid, f"{filename}:{lineno}")
    return found


def test_every_korean_string_has_an_english_translation():
    with (ROOT / "portal/translations/en/LC_MESSAGES/messages.po").open("rb") as f:
        catalog = read_po(f)
    translated = {m.id: m.string for m in catalog if m.id}
    untranslated = {
        msgid: where
        for msgid, where in _source_messages().items()
        if not translated.get(msgid)
        or (isinstance(translated[msgid], str) and not translated[msgid].strip())
    }
    assert not untranslated, "strings without English: " + "; ".join(
        f"{where}: {msgid!r}" for msgid, where in list(untranslated.items())[:20]
    )


def test_english_translations_keep_their_placeholders():
    import re

    with (ROOT / "portal/translations/en/LC_MESSAGES/messages.po").open("rb") as f:
        catalog = read_po(f)
    placeholder = re.compile(r"%\((\w+)\)[sd]")
    for message in catalog:
        if not message.id or not message.string or isinstance(message.id, tuple):
            continue
        assert set(placeholder.findall(message.id)) == set(placeholder.findall(message.string)), (
            message.id
        )
