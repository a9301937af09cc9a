"""The portal's input policy at the edge (docs/input-policy.md).

Every value that comes from outside passes one set of rules before a view or operation sees
it, so bad input is a clear 4xx and never a 500, on SQLite and PostgreSQL alike:

* text (query string, form keys and values, upload file names, JSON keys and strings) holds
  no NUL, no other C0/C1 control character apart from tab, line feed and carriage return, no
  lone surrogate and no Unicode noncharacter: refused with 400 by ``check_request`` (a
  ``before_request`` hook). Single-line form fields also refuse line breaks and tabs
  (``portal.core.forms.PortalForm``).
* a request body without a Content-Length (chunked) is read up to the size limit and refused
  with 413 past it (``PortalRequest``), instead of being cut silently.
* a JSON body is at most ``JSON_MAX_BYTES`` and nested at most ``JSON_MAX_DEPTH`` deep, checked
  by a scan of the raw text before it is parsed (``check_json_text``).
* integers from the query string go through ``bounded_int`` (ids 1..2³¹−1, like the path
  converter); anything else means "not given".
* dates are between ``MIN_DATE`` and ``MAX_DATE``.
* web links are checked on the raw string (``is_web_url``): ``urlsplit`` silently drops tabs
  and line breaks, so they must be refused before it runs.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import math
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Request, request
from flask_babel import gettext as _
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge
from werkzeug.utils import cached_property

# Ids are 32-bit signed integers in the database (the path converter uses the same bound).
MAX_DB_INT = 2**31 - 1
# No listing has anywhere near this many pages; a larger number is treated as "not given".
MAX_PAGE = 100_000
# The one date range the portal accepts, in forms, query strings and files alike.
MIN_DATE = dt.date(2000, 1, 1)
MAX_DATE = dt.date(2100, 12, 31)
# JSON bodies (the practice sandbox): a draft of a long report is well under a megabyte.
JSON_MAX_BYTES = 2 * 1024 * 1024
JSON_MAX_DEPTH = 32

# C0 controls except \t \n \r, DEL and C1 controls, lone surrogates (only reachable through
# JSON "\ud800" escapes; PostgreSQL's UTF-8 cannot store them) and the Unicode noncharacters.
_FORBIDDEN = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef"
    + "".join(
        f"{chr(plane * 0x10000 + 0xFFFE)}{chr(plane * 0x10000 + 0xFFFF)}" for plane in range(17)
    )
    + "]"
)
_LINE_BREAKS = re.compile("[\r\n\t\u2028\u2029]")
_DIGITS = re.compile(r"[0-9]{1,10}")
# JSON strings (with their escapes) and the brackets outside them.
_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*+"', re.DOTALL)
_JSON_BRACKETS = re.compile(r"[\[\]{}]")


class InputRefused(BadRequest):
    """400 with a message for the person (rendered by portal.core.errors as HTML or JSON)."""

    def __init__(self, message: str) -> None:
        super().__init__()
        self.user_message = message


def has_forbidden_characters(text: str) -> bool:
    """True if text holds NUL or another character no portal field accepts."""
    return _FORBIDDEN.search(text) is not None


def has_line_breaks(text: str) -> bool:
    return _LINE_BREAKS.search(text) is not None


def _refuse_text() -> InputRefused:
    return InputRefused(
        _(
            "보낸 내용에 쓸 수 없는 문자(제어 문자)가 들어 있습니다. 다른 프로그램에서 붙여 넣은 글이라면 직접 다시 입력해 주세요."
        )
    )


def _check_texts(values: Iterable[str | None]) -> None:
    for value in values:
        if value and has_forbidden_characters(value):
            raise _refuse_text()


# --- integers, dates, links ----------------------------------------------------------------


def bounded_int(
    raw: str | None, default: int | None = None, *, minimum: int = 1, maximum: int = MAX_DB_INT
) -> int | None:
    """raw as an integer in minimum..maximum (ASCII digits only), else default."""
    if raw is None:
        return default
    raw = raw.strip()
    if not _DIGITS.fullmatch(raw):
        return default
    value = int(raw)
    return value if minimum <= value <= maximum else default


def query_int(name: str, default: int | None = None, *, maximum: int = MAX_DB_INT) -> int | None:
    """A query-string id (or other positive integer); missing, malformed or too large is default."""
    return bounded_int(request.args.get(name), default, maximum=maximum)


def query_page(name: str = "page") -> int:
    """A page number from the query string: 1 unless it is a sane positive integer."""
    return bounded_int(request.args.get(name), 1, maximum=MAX_PAGE) or 1


def form_page(name: str = "page") -> int:
    """A page number posted back with a form (to return to the same page)."""
    return bounded_int(request.form.get(name), 1, maximum=MAX_PAGE) or 1


def date_in_range(day: dt.date | None) -> bool:
    return day is None or MIN_DATE <= day <= MAX_DATE


def datetime_in_range(moment: dt.datetime | None) -> bool:
    """A datetime whose local date could be within the date range.

    A day of slack either side, as an instant's date depends on the time zone: midnight of
    2000-01-01 in Seoul is still 1999-12-31 in UTC.
    """
    day = dt.timedelta(days=1)
    return moment is None or MIN_DATE - day <= moment.date() <= MAX_DATE + day


def is_web_url(raw: str) -> bool:
    """An http(s) link with a host, judged on the raw string: no whitespace or control char.

    urlsplit removes tabs and line breaks before parsing (WHATWG behaviour), so a link with
    "\\r\\n" inside would otherwise pass and break whatever is built from it later (.ics).
    """
    if not raw or any(ch.isspace() for ch in raw) or has_forbidden_characters(raw):
        return False
    try:
        parts = urlsplit(raw)
    except ValueError:  # e.g. an unbalanced "[" in the host
        return False
    return parts.scheme in ("http", "https") and bool(parts.netloc) and bool(parts.hostname)


# --- JSON ----------------------------------------------------------------------------------


def json_depth(text: str, stop_after: int | None = None) -> int:
    """The deepest bracket nesting in a JSON text, not counting brackets inside strings.

    Linear and non-recursive, so it is safe on any input; json.loads is not (RecursionError).
    With stop_after, the scan ends as soon as the nesting goes deeper than that.
    """
    depth = deepest = 0
    for bracket in _JSON_BRACKETS.finditer(_JSON_STRING.sub('""', text)):
        if bracket.group() in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if stop_after is not None and deepest > stop_after:
                    break
        else:
            depth -= 1
    return deepest


def too_deep(text: str, max_depth: int = JSON_MAX_DEPTH) -> bool:
    return json_depth(text, stop_after=max_depth) > max_depth


def check_json_text(text: str, *, max_depth: int = JSON_MAX_DEPTH) -> None:
    """Raise ValueError if text is nested deeper than json.loads can safely parse."""
    if too_deep(text, max_depth):
        raise ValueError(f"JSON nested deeper than {max_depth} levels")


def loads_limited(text: str, *, max_depth: int = JSON_MAX_DEPTH) -> Any:
    """json.loads after the depth scan; every failure is a ValueError (JSONDecodeError is one)."""
    check_json_text(text, max_depth=max_depth)
    try:
        return json.loads(text)
    except RecursionError:  # cannot happen after the scan; kept as a backstop
        raise ValueError("JSON nested too deeply") from None


def json_leaves(value: Any) -> Iterable[Any]:
    """Every key and scalar inside parsed JSON, without recursion."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            for key, inner in item.items():
                yield key
                stack.append(inner)
        elif isinstance(item, list):
            stack.extend(item)
        else:
            yield item


def _check_json_values(payload: Any) -> None:
    for leaf in json_leaves(payload):
        if isinstance(leaf, str) and has_forbidden_characters(leaf):
            raise _refuse_text()
        # 1e999, NaN and Infinity parse to floats that int() cannot take (OverflowError).
        if isinstance(leaf, float) and not math.isfinite(leaf):
            raise InputRefused(_("보낸 숫자가 올바르지 않습니다. 다시 입력해 주세요."))


def _check_json_body() -> None:
    data = request.get_data(cache=True)
    if not data:
        return
    if len(data) > JSON_MAX_BYTES:
        raise RequestEntityTooLarge()
    text = data.decode("utf-8", errors="replace")
    if too_deep(text):
        raise InputRefused(
            _("보낸 내용의 구조가 너무 깊습니다. 페이지를 새로 고친 뒤 다시 시도해 주세요.")
        )
    # Safe to parse now; Flask caches the result, so the view's get_json() reuses it.
    payload = request.get_json(silent=True)
    _check_json_values(payload)


# --- the edge --------------------------------------------------------------------------------


class PortalRequest(Request):
    """Flask's request, refusing a body without a Content-Length past the size limit.

    Werkzeug (3.1) wraps such a stream (``wsgi.input_terminated``, set by gunicorn for
    chunked requests) in a LimitedStream whose ``readall`` stops at MAX_CONTENT_LENGTH without
    an error, so ``get_data()`` and url-encoded forms would see the body cut short. Here the
    body is read up to one byte past the limit: more than the limit is a 413, the rest is
    served from memory exactly as a body with a Content-Length would be.
    """

    @cached_property
    def stream(self):  # type: ignore[override]
        limit = self.max_content_length
        if (
            self.shallow
            or limit is None
            or self.content_length is not None
            or "wsgi.input_terminated" not in self.environ
        ):
            return super().stream
        raw = self.environ["wsgi.input"]
        body = bytearray()
        while len(body) <= limit:
            chunk = raw.read(min(64 * 1024, limit + 1 - len(body)))
            if not chunk:
                break
            body += chunk
        if len(body) > limit:
            raise RequestEntityTooLarge()
        return io.BytesIO(bytes(body))


_FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})


def check_request() -> None:
    """before_request: refuse control characters anywhere in the path, query string, form or JSON."""
    # Path segments reach the database too (slugs, tokens): "%00" decodes to NUL.
    _check_texts([request.path])
    for key, values in request.args.lists():
        _check_texts([key, *values])
    # Werkzeug reads a form (and files) only from these two kinds of body; for any other
    # request, a GET above all, both are empty and need no parser built to say so.
    if request.mimetype in _FORM_TYPES:
        for key, values in request.form.lists():
            _check_texts([key, *values])
        for key, storage in request.files.items(multi=True):
            _check_texts([key, storage.filename])
            # A file name is one line; it is shown back and recorded in the audit log.
            if storage.filename and has_line_breaks(storage.filename):
                raise _refuse_text()
    if request.is_json:
        _check_json_body()


def init_app(app: Flask) -> None:
    """Install the policy: must run before any other before_request hook that reads input."""
    app.request_class = PortalRequest
    app.before_request(check_request)
