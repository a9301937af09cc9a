"""The satisfaction-survey part of course.yml: ``survey`` (the questions) and ``survey_required``.

Each question is rated 1–5 by the people who attended the course's session; its ``key``
names the answer in ``SurveyResponse.answers``, so a key must stay the same once answers
exist (rewording the text is fine). Every problem is reported with the file and a field
named by position, as the other loaders do (``survey[2].key``). Nothing here touches the
database. courses/README.md documents the fields for course authors.
"""

from __future__ import annotations

import re
from typing import Any

from portal.core.yamlsource import FieldReader, SourceError

QUESTION_FIELDS = ("key", "text", "text_en")
MAX_QUESTIONS = 10
QUESTION_TEXT_MAX = 200
# Lower-case letters, digits and '-', 1–40 characters; also used in form field names.
KEY_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$")


class _QuestionReader(FieldReader):
    """Reads one question's fields, naming them ``survey[n].field`` in errors."""

    def __init__(self, data: dict, path: str, errors: list[SourceError], prefix: str):
        super().__init__(data, path, errors)
        self.prefix = prefix

    def error(self, name: str, message: str) -> None:
        super().error(f"{self.prefix}{name}", message)


def read_survey(reader: FieldReader) -> tuple[tuple[dict[str, str], ...], bool] | None:
    """The course's survey questions and whether completion requires the survey, or None.

    ``survey`` is optional (no questions: the course has no survey), but a course that
    sets ``survey_required: true`` must ask at least one question.
    """
    before = len(reader.errors)
    required = reader.boolean("survey_required", default=False)
    questions = _read_questions(reader)
    if required and questions == ():
        reader.error(
            "survey_required",
            "survey에 문항이 있어야 true로 둘 수 있습니다 "
            "(survey_required needs at least one survey question)",
        )
    if len(reader.errors) > before or questions is None or required is None:
        return None
    return questions, required


def _read_questions(reader: FieldReader) -> tuple[dict[str, str], ...] | None:
    value = reader.data.get("survey")
    if value is None:
        return ()
    if not isinstance(value, list) or not value:
        reader.error(
            "survey",
            "문항의 목록이어야 합니다. 조사가 없으면 항목을 지우세요 "
            "(must be a non-empty list of questions; remove the field for no survey)",
        )
        return None
    if len(value) > MAX_QUESTIONS:
        reader.error(
            "survey",
            f"문항은 {MAX_QUESTIONS}개 이하여야 합니다 (at most {MAX_QUESTIONS} questions)",
        )
        return None
    questions: list[dict[str, str]] = []
    keys: set[str] = set()
    ok = True
    for position, item in enumerate(value, start=1):
        prefix = f"survey[{position}]."
        if not isinstance(item, dict):
            reader.error(
                f"survey[{position}]",
                "'항목: 값' 형식이어야 합니다 (key, text, text_en) "
                "(must be a mapping of key, text and text_en)",
            )
            ok = False
            continue
        entry = _QuestionReader(item, reader.path, reader.errors, prefix)
        before = len(reader.errors)
        entry.unknown(QUESTION_FIELDS)
        key = entry.text("key", max_length=40)
        if key is not None and not KEY_PATTERN.match(key):
            entry.error(
                "key",
                "영문 소문자·숫자·하이픈(-)으로 1~40자여야 합니다 "
                "(1-40 characters of a-z, 0-9 and '-')",
            )
            key = None
        elif key is not None and key in keys:
            entry.error("key", f"'{key}'이(가) 두 번 나옵니다 (duplicate question key)")
            key = None
        elif key is not None:
            keys.add(key)
        text = entry.text("text", max_length=QUESTION_TEXT_MAX)
        text_en = entry.text("text_en", max_length=QUESTION_TEXT_MAX)
        if len(reader.errors) > before or None in (key, text, text_en):
            ok = False
            continue
        questions.append({"key": key, "text": text, "text_en": text_en})
    return tuple(questions) if ok else None


def as_stored(questions: tuple[dict[str, str], ...]) -> list[dict[str, Any]]:
    """What ``Course.survey_questions`` holds: a list of fresh dicts, in order."""
    return [dict(question) for question in questions]
