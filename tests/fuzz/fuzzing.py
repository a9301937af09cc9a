"""The fuzz machinery: which routes take input, which fields they read, what to send, and
how to tell a clean refusal from a crash.

Nothing here lists routes or fields by hand:

* **Routes** come from ``app.url_map`` (:func:`discover_cases`): every rule and method except
  ``static``, so a new route is fuzzed without editing the suite.
* **Fields** come from three places, merged (:class:`RouteFuzzer`):
  the WTForms classes the view (or a helper it calls) names, found through the view's code
  object; the HTML forms on the page that hosts the form (the route's own page for a
  GET+POST route, else the first page of the role's GET routes whose ``<form action>`` posts
  to it), with their current values, options, types and limits; and the names the view's
  source reads from ``request.args``/``request.form``/``request.values`` or from its JSON
  body. GET routes also get the query keys of links and search forms on their page, plus
  :data:`GENERIC_QUERY_KEYS`.
* **Values** are the nasty catalogue (:data:`FORM_VALUES`, :data:`JSON_VALUES`, the raw
  :data:`JSON_BODIES`) plus values hypothesis draws (:func:`form_value_strategy`,
  :func:`json_value_strategy`).

Each field gets every catalogue value while the other fields keep a valid-looking baseline
(so the request gets past validation of the other fields and reaches the code that stores or
queries), then hypothesis sends a few random mixes. A response is a failure when it is a 5xx,
when an exception escapes the app, or when a 4xx is not a clean page (a whole HTML page in
the portal's layout, or a JSON object with a ``message``). Failures are collected, not raised,
so one run reports every crash of a route; :func:`format_failures` prints them with the
exception the app logged.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import inspect
import io
import itertools
import json
import logging
import re
import textwrap
import time
import traceback
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from flask_wtf import FlaskForm
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from werkzeug.exceptions import HTTPException
from werkzeug.routing import Rule
from wtforms.fields.core import UnboundField

# ---------------------------------------------------------------------------------------
# Values


@dataclass(frozen=True)
class Raw:
    """Bytes sent exactly as they are (not percent-encoded): invalid UTF-8 on the wire."""

    data: bytes


@dataclass(frozen=True)
class Nasty:
    label: str  # the value class, as the report names it
    value: Any  # str, Raw, or (for JSON) any JSON-able value


DEEP_BRACKETS = "[" * 5000 + "]" * 5000  # 10 KB of nesting

FORM_VALUES: tuple[Nasty, ...] = (
    Nasty("NUL byte", "퍼즈\x00값"),
    Nasty("control characters", "a" + "".join(map(chr, range(1, 32))) + "\x7f\x9b\u2028z"),
    Nasty("100k characters", "가" + "a" * 99_999),
    Nasty("invalid UTF-8 (percent-encoded)", b"\xff\xfe\xc3\x28\xed\xa0\x80"),
    Nasty("invalid UTF-8 (raw bytes)", Raw(b"\xff\xfe\xc3\x28\x80")),
    Nasty("CR/LF", "a\r\nSet-Cookie: fuzz=1\r\nb"),
    Nasty("int 2**31", str(2**31)),
    Nasty("int 10**20", str(10**20)),
    Nasty("int -1", "-1"),
    Nasty("date 0001-01-01", "0001-01-01"),
    Nasty("date 9999-12-31", "9999-12-31"),
    Nasty("malformed date 2026-13-45", "2026-13-45"),
)


@dataclass(frozen=True)
class JsonText:
    """A JSON value given as text: nesting too deep for ``json.dumps`` to write."""

    text: str


def dumps(payload: dict[str, Any]) -> bytes:
    """``payload`` as a JSON object; its :class:`JsonText` values are spliced in verbatim."""
    fragments = {}
    plain = {}
    for key, value in payload.items():
        if isinstance(value, JsonText):
            fragments[key] = value.text
            plain[key] = f"__fragment_{len(fragments)}__"
        else:
            plain[key] = value
    text = json.dumps(plain, ensure_ascii=True)
    for key, fragment in fragments.items():
        text = text.replace(json.dumps(plain[key]), fragment, 1)
    return text.encode()


JSON_VALUES: tuple[Nasty, ...] = (
    Nasty("NUL byte", "퍼즈\x00값"),
    Nasty("control characters", "a" + "".join(map(chr, range(1, 32))) + "\x7f"),
    Nasty("lone surrogate", "a\ud800b"),
    Nasty("100k characters", "가" + "a" * 99_999),
    Nasty("CR/LF", "a\r\nb"),
    Nasty("int 2**31", 2**31),
    Nasty("int 10**20", 10**20),
    Nasty("int -1", -1),
    Nasty("float Infinity", float("inf")),
    Nasty("float NaN", float("nan")),
    Nasty("date 9999-12-31", "9999-12-31"),
    Nasty("null", None),
    Nasty("boolean", True),
    Nasty("object", {"a": 1}),
    Nasty("list of objects", [{"text": 1}, None]),
    Nasty("deep nesting (1000 levels)", JsonText("[" * 1000 + "]" * 1000)),
)

# Whole request bodies for JSON routes; {token} is not needed, the header carries CSRF.
JSON_BODIES: tuple[Nasty, ...] = (
    Nasty("deep JSON nesting (10 KB of brackets)", Raw(DEEP_BRACKETS.encode())),
    Nasty("deep JSON nesting inside an object", Raw(b'{"text": ' + DEEP_BRACKETS.encode() + b"}")),
    Nasty("invalid UTF-8 body", Raw(b'{"text": "\xff\xfe"}')),
    Nasty("NUL in raw body", Raw(b'{"text": "a\x00b"}')),
    Nasty("not JSON", Raw(b"{'text': nope")),
    Nasty("JSON list", Raw(b"[1, 2, 3]")),
    Nasty("empty body", Raw(b"")),
    Nasty("huge number literal", Raw(b'{"text": "x", "revision": 1' + b"0" * 5000 + b"}")),
)

# Query keys the portal's list pages use; sent to every GET route.
GENERIC_QUERY_KEYS = (
    "page",
    "q",
    "department",
    "from_on",
    "to_on",
    "course_id",
    "session_id",
    "doctype",
    "status",
    "role",
    "course",
    "period",
    "next",
    "exercise",
    "all",
    "action",
    "actor",
    "kind",
    "category",
    "level",
    "format",
)


def form_value_strategy() -> st.SearchStrategy[Any]:
    """Random nasty form/query values: catalogue entries and generated ones."""
    return st.one_of(
        st.sampled_from([n.value for n in FORM_VALUES]),
        st.text(st.characters(max_codepoint=0x1F), min_size=1, max_size=20),
        st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=30),
        st.integers(min_value=-(2**80), max_value=2**80).map(str),
        st.dates(dt.date(1, 1, 1), dt.date(9999, 12, 31)).map(dt.date.isoformat),
        st.tuples(st.integers(0, 10_000), st.integers(0, 99), st.integers(0, 99)).map(
            lambda t: f"{t[0]:04d}-{t[1]:02d}-{t[2]:02d}"
        ),
        st.binary(min_size=1, max_size=12).map(Raw),
    )


def json_value_strategy() -> st.SearchStrategy[Any]:
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**80), max_value=2**80),
        st.floats(allow_nan=True, allow_infinity=True),
        st.text(max_size=30),
        st.sampled_from([n.value for n in JSON_VALUES if not isinstance(n.value, JsonText)]),
    )
    return st.recursive(
        scalars,
        lambda inner: (
            st.lists(inner, max_size=3)
            | st.dictionaries(st.sampled_from(["text", "ai", "x"]), inner, max_size=3)
        ),
        max_leaves=8,
    )


# ---------------------------------------------------------------------------------------
# HTML forms


@dataclass
class HtmlField:
    name: str
    tag: str  # input, select, textarea, button
    type: str = "text"
    value: str = ""
    checked: bool = False
    options: list[str] = field(default_factory=list)
    selected: list[str] = field(default_factory=list)
    attrs: dict[str, str] = field(default_factory=dict)


@dataclass
class HtmlForm:
    method: str
    action: str | None
    enctype: str
    fields: list[HtmlField] = field(default_factory=list)


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[HtmlForm] = []
        self.links: list[str] = []
        self._form: HtmlForm | None = None
        self._select: HtmlField | None = None
        self._textarea: HtmlField | None = None

    def handle_starttag(self, tag: str, attrs_list: list[tuple[str, str | None]]) -> None:
        attrs = {k: (v or "") for k, v in attrs_list}
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        elif tag == "form":
            self._form = HtmlForm(
                method=attrs.get("method", "get").lower(),
                action=attrs.get("action"),
                enctype=attrs.get("enctype", "application/x-www-form-urlencoded"),
            )
            self.forms.append(self._form)
        elif self._form is None or "name" not in attrs and tag != "option":
            return
        elif tag == "input":
            kind = attrs.get("type", "text").lower()
            self._form.fields.append(
                HtmlField(
                    attrs["name"],
                    "input",
                    kind,
                    attrs.get("value", ""),
                    "checked" in attrs,
                    attrs=attrs,
                )
            )
        elif tag == "button":
            self._form.fields.append(
                HtmlField(attrs["name"], "button", "submit", attrs.get("value", ""), attrs=attrs)
            )
        elif tag == "select":
            self._select = HtmlField(attrs["name"], "select", "select", attrs=attrs)
            self._form.fields.append(self._select)
        elif tag == "option" and self._select is not None:
            value = attrs.get("value", "")
            self._select.options.append(value)
            if "selected" in attrs:
                self._select.selected.append(value)
        elif tag == "textarea":
            self._textarea = HtmlField(attrs["name"], "textarea", "textarea", attrs=attrs)
            self._form.fields.append(self._textarea)

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea.value += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def parse_page(html: str) -> tuple[list[HtmlForm], list[str]]:
    parser = _FormParser()
    parser.feed(html)
    return parser.forms, parser.links


# ---------------------------------------------------------------------------------------
# What a view reads, from its code


def _unwrap(view: Callable[..., Any]) -> Callable[..., Any]:
    while hasattr(view, "__wrapped__"):
        view = view.__wrapped__
    return view


def _related_functions(view: Callable[..., Any], depth: int = 2) -> list[Callable[..., Any]]:
    """The view and the portal functions it names (helpers like ``_json_text``), transitively."""
    seen: list[Callable[..., Any]] = []
    frontier = [_unwrap(view)]
    for _ in range(depth + 1):
        nxt = []
        for func in frontier:
            if func in seen or not hasattr(func, "__code__"):
                continue
            seen.append(func)
            for name in func.__code__.co_names:
                found = func.__globals__.get(name)
                if (
                    inspect.isfunction(found)
                    and (found.__module__ or "").startswith("portal")
                    and found not in seen
                ):
                    nxt.append(_unwrap(found))
        frontier = nxt
    return seen


def _source(funcs: list[Callable[..., Any]]) -> str:
    parts = []
    for func in funcs:
        with contextlib.suppress(OSError, TypeError):
            parts.append(textwrap.dedent(inspect.getsource(func)))
    return "\n".join(parts)


def _form_classes(funcs: list[Callable[..., Any]]) -> list[type[FlaskForm]]:
    classes = []
    for func in funcs:
        for name in func.__code__.co_names:
            found = func.__globals__.get(name)
            if inspect.isclass(found) and issubclass(found, FlaskForm) and found not in classes:
                classes.append(found)
    return classes


def wtforms_fields(form_class: type[FlaskForm]) -> dict[str, str]:
    """Field name -> WTForms field class name, without instantiating the form."""
    fields = {}
    for name in dir(form_class):
        unbound = getattr(form_class, name, None)
        if isinstance(unbound, UnboundField):
            fields[name] = unbound.field_class.__name__
    return fields


_ARGS_READ = re.compile(r"request\.(?:args|values)(?:\.get\(|\[)\s*['\"]([\w-]+)['\"]")
_FORM_READ = re.compile(r"request\.(?:form|values)(?:\.get\(|\[)\s*['\"]([\w-]+)['\"]")
_KEY_READ = re.compile(r"\.get\(\s*['\"]([\w-]+)['\"]")


@dataclass
class ViewReads:
    query: list[str]
    form: list[str]
    json_keys: list[str] | None  # None: the view does not read a JSON body
    form_fields: dict[str, str]  # from WTForms classes: name -> field class
    form_reads_query: bool  # a form is bound to request.args (a search form)


def view_reads(view: Callable[..., Any]) -> ViewReads:
    funcs = _related_functions(view)
    source = _source(funcs)
    fields: dict[str, str] = {}
    for form_class in _form_classes(funcs):
        fields.update(wtforms_fields(form_class))
    json_keys = None
    if "get_json" in source or "request.json" in source:
        json_keys = sorted(set(_KEY_READ.findall(source)) - set(_FORM_READ.findall(source)))
    return ViewReads(
        query=sorted(set(_ARGS_READ.findall(source))),
        form=sorted(set(_FORM_READ.findall(source))),
        json_keys=json_keys,
        form_fields=fields,
        form_reads_query="formdata=request.args" in source,
    )


# ---------------------------------------------------------------------------------------
# Cases: one per rule and method


@dataclass(frozen=True)
class Case:
    endpoint: str
    rule: str
    method: str

    @property
    def id(self) -> str:
        return f"{self.method} {self.rule} ({self.endpoint})"


def discover_cases(app: Flask, endpoints: set[str] | None = None) -> list[Case]:
    """Every rule x method of the app (HEAD/OPTIONS and static files aside)."""
    cases = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or (endpoints is not None and rule.endpoint not in endpoints):
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            cases.append(Case(rule.endpoint, rule.rule, method))
    return sorted(cases, key=lambda c: (c.rule, c.method))


def find_rule(app: Flask, case: Case) -> Rule:
    for rule in app.url_map.iter_rules(case.endpoint):
        if rule.rule == case.rule:
            return rule
    raise LookupError(case)


# ---------------------------------------------------------------------------------------
# Sending and judging


@dataclass
class Failure:
    case: Case
    where: str  # "query", "form", "json", "path", "body"
    field: str
    label: str
    value: Any
    status: int | None
    problem: str
    logged: str = ""

    def key(self) -> tuple:
        return (self.case, self.where, self.field, self.label, self.status, self.logged[:200])


def short_repr(value: Any, limit: int = 60) -> str:
    if isinstance(value, Raw | JsonText):
        data = value.data if isinstance(value, Raw) else value.text
        text = f"{type(value).__name__}({data[:limit]!r})"
        size = len(data)
    else:
        try:
            text = repr(value)
        except RecursionError:
            text = f"<{type(value).__name__} nested too deep to print>"
        size = len(value) if isinstance(value, str | bytes | list | dict) else 0
    if len(text) > limit:
        text = text[:limit] + f"…[{size} long]"
    return text


def failure_record(f: Failure) -> dict[str, Any]:
    """One failure as a JSON-able dict (FUZZ_REPORT=<file> collects them across a run)."""
    return {
        "endpoint": f.case.endpoint,
        "method": f.case.method,
        "rule": f.case.rule,
        "where": f.where,
        "field": f.field,
        "value_class": f.label,
        "value": short_repr(f.value),
        "status": f.status,
        "problem": f.problem,
        "exception": f.logged,
    }


def format_failures(failures: list[Failure]) -> str:
    lines = [f"{len(failures)} input(s) broke the app:"]
    for f in failures:
        status = f.status if f.status is not None else "no response"
        lines.append(
            f"- {f.case.method} {f.case.rule} [{f.case.endpoint}] {f.where} {f.field!r} "
            f"<- {f.label}: {short_repr(f.value)} -> {status}: {f.problem}"
        )
        if f.logged:
            lines.append(textwrap.indent(f.logged, "      "))
    return "\n".join(lines)


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextlib.contextmanager
def captured_errors() -> Iterator[_Capture]:
    """Errors the portal logs (``logger.exception`` of the 500 handler) while inside."""
    portal_logger = logging.getLogger("portal")
    handler = _Capture()
    level, handlers = portal_logger.level, portal_logger.handlers
    # Only this handler while fuzzing: the report quotes the exception, so the JSON log
    # lines of hundreds of expected refusals and crashes would only bury it.
    portal_logger.handlers = [handler]
    if not portal_logger.isEnabledFor(logging.ERROR):
        portal_logger.setLevel(logging.ERROR)
    try:
        yield handler
    finally:
        portal_logger.handlers = handlers
        portal_logger.setLevel(level)


def describe_exception(exc: BaseException) -> str:
    """``Type: message`` and the innermost portal frame, on at most three lines."""
    message = str(exc).strip().splitlines()
    frames = [
        fr
        for fr in traceback.extract_tb(exc.__traceback__)
        if "/portal/" in fr.filename and "/site-packages/" not in fr.filename
    ]
    where = ""
    if not frames:
        frames = traceback.extract_tb(exc.__traceback__)[-1:]
        if frames:
            fr = frames[-1]
            where = f"\n  at {fr.filename}:{fr.lineno} in {fr.name}"
    elif frames:
        fr = frames[-1]
        where = f"\n  at {fr.filename.rsplit('/portal/', 1)[-1]}:{fr.lineno} in {fr.name}"
        where = where.replace("  at ", "  at portal/")
    first = message[0][:300] if message else ""
    return f"{type(exc).__module__}.{type(exc).__qualname__}: {first}{where}"


def _logged(records: list[logging.LogRecord]) -> str:
    for record in records:
        if record.exc_info and record.exc_info[1] is not None:
            return describe_exception(record.exc_info[1])
    return "; ".join(r.getMessage() for r in records)


def _encode(value: Any) -> bytes:
    if isinstance(value, Raw):
        return value.data
    if isinstance(value, bytes):
        return urllib.parse.quote_from_bytes(value, safe="").encode()
    return urllib.parse.quote(str(value).encode("utf-8", "surrogatepass"), safe="").encode()


def encode_pairs(pairs: list[tuple[str, Any]]) -> bytes:
    return b"&".join(_encode(k) + b"=" + _encode(v) for k, v in pairs)


def encode_multipart(pairs: list[tuple[str, Any]], files: set[str]) -> tuple[bytes, str]:
    boundary = "fuzz-boundary-7d1c0a"
    out = io.BytesIO()
    for name, value in pairs:
        data = (
            value.data
            if isinstance(value, Raw)
            else value
            if isinstance(value, bytes)
            else str(value).encode("utf-8", "surrogatepass")
        )
        out.write(f"--{boundary}\r\n".encode())
        if name in files:
            out.write(
                f'Content-Disposition: form-data; name="{name}"; filename="fuzz.csv"\r\n'
                "Content-Type: text/csv\r\n\r\n".encode()
            )
        else:
            out.write(f'Content-Disposition: form-data; name="{name}"\r\n\r\n'.encode())
        out.write(data + b"\r\n")
    out.write(f"--{boundary}--\r\n".encode())
    return out.getvalue(), f"multipart/form-data; boundary={boundary}"


def is_clean_refusal(response, wants_json: bool) -> str | None:
    """None when a 4xx answer is a clean page; else what is wrong with it."""
    body = response.get_data()
    mimetype = response.mimetype or ""
    if mimetype == "application/json":
        try:
            payload = json.loads(body)
        except ValueError:
            return "4xx JSON body that does not parse"
        if not isinstance(payload, dict) or "message" not in payload:
            return "4xx JSON without a message"
        return None
    if wants_json:
        return f"4xx answered a JSON request with {mimetype or 'no content type'}"
    if mimetype != "text/html":
        return f"4xx with content type {mimetype or 'none'}"
    text = body.decode("utf-8", "replace")
    if "<html" not in text or "</html>" not in text:
        return "4xx that is not a whole HTML page"
    if "Traceback (most recent call last)" in text:
        return "4xx page shows a traceback"
    return None


# ---------------------------------------------------------------------------------------
# Baseline values


_counter = itertools.count(1)


class _Token:
    def __repr__(self) -> str:
        return "<csrf token>"


TOKEN: Any = _Token()  # stands for the client's CSRF token until the request is sent


@dataclass(frozen=True)
class Fresh:
    """A made-up baseline value, made anew for each request: codes, names and e-mails stay
    unique, so a record created by one request does not make the next a duplicate."""

    name: str
    kind: str
    attrs: tuple[tuple[str, str], ...] = ()

    def make(self, password: str) -> str:
        return text_baseline(self.name, self.kind, dict(self.attrs), password)


BASE_DAY = dt.date(2027, 3, 2)


def _fit(text: str, attrs: dict[str, str]) -> str:
    limit = attrs.get("maxlength")
    return text[: int(limit)] if limit and limit.isdigit() else text


def _number(attrs: dict[str, str]) -> str:
    low = int(attrs["min"]) if attrs.get("min", "").lstrip("-").isdigit() else None
    high = int(attrs["max"]) if attrs.get("max", "").lstrip("-").isdigit() else None
    value = 10
    if low is not None:
        value = max(value, low)
    if high is not None:
        value = min(value, high)
    return str(value)


def _day_for(name: str) -> str:
    if "open" in name:
        return (BASE_DAY - dt.timedelta(days=30)).isoformat()
    if "close" in name or "deadline" in name:
        return (BASE_DAY - dt.timedelta(days=2)).isoformat()
    return BASE_DAY.isoformat()


def _time_for(name: str) -> str:
    return "12:00" if "end" in name else "10:00"


def text_baseline(name: str, kind: str, attrs: dict[str, str], password: str) -> str:
    n = next(_counter)
    if kind == "email" or "email" in name:
        return f"fuzz{n}@sejong.example.kr"
    if kind == "password" or "password" in name:
        return password
    if kind == "date" or name.endswith("_on"):
        return _day_for(name)
    if kind == "time" or name.endswith("_time"):
        return _time_for(name)
    if kind == "datetime-local":
        return f"{_day_for(name)}T{_time_for(name)}"
    if kind == "number":
        return _number(attrs)
    if kind == "url" or "url" in name or "link" in name:
        return "https://edu.sejong.example.kr/fuzz"
    if "code" in name or "number" in name:
        return _fit(f"FZ{n:06d}", attrs)
    return _fit(f"퍼즈{n}", attrs)


_WTFORMS_BASELINE = {
    "IntegerField": "10",
    "DecimalField": "1.5",
    "FloatField": "1.5",
    "DateField": BASE_DAY.isoformat(),
    "TimeField": "10:00",
    "DateTimeLocalField": f"{BASE_DAY.isoformat()}T10:00",
    "BooleanField": "y",
    "SelectField": "",
}


# Free-text fields get every string class but only one number and one date: the others are
# just short strings to a text field (a field parsed as a number or date gets them all).
TEXT_FIELD_LABELS = {
    "NUL byte",
    "control characters",
    "100k characters",
    "invalid UTF-8 (percent-encoded)",
    "invalid UTF-8 (raw bytes)",
    "CR/LF",
    "int 10**20",
    "malformed date 2026-13-45",
}
_TEXT_INPUTS = {"text", "textarea", "search", "email", "password", "tel", "url"}
_TEXT_WTFORMS = {"StringField", "TextAreaField", "PasswordField", "EmailField", "SearchField"}


JSON_BASELINE: dict[str, Any] = {
    "text": "추진배경을 두괄식으로 정리해 주세요",
    "segments": [{"text": "□ 추진배경", "ai": False}],
    "reason": "manual",
    "score": 4,
    "reasons": [],
}


# ---------------------------------------------------------------------------------------
# The fuzzer


@dataclass
class Target:
    """How to reach a case: its URL and path values, and the role's client."""

    path: str
    client: FlaskClient
    relogin: Callable[[], None]
    string_args: dict[str, str]  # path arguments that take text (not ints)
    ends_session: bool = False  # log in again after every request (logout)
    json_baseline: dict[str, Callable[[], Any] | Any] = field(default_factory=dict)


@dataclass
class Plan:
    """What a case sends: baseline pairs and the fields to fuzz in each place."""

    query_keys: list[str]
    query_all_keys: list[str]
    form_pairs: list[tuple[str, Any]] | None  # None: not a form route
    form_fields: list[str]
    file_fields: set[str]
    multipart: bool
    text_fields: set[str]  # free-text inputs: one huge int and one bad date are enough there
    json_keys: list[str] | None
    json_base: dict[str, Any]
    notes: list[str] = field(default_factory=list)
    # Options as the page shows them chosen: the baseline when the first real options fail.
    alternative_pairs: list[tuple[str, Any]] | None = None


class RouteFuzzer:
    """Fuzzes one case of an app with one logged-in client."""

    def __init__(
        self,
        app: Flask,
        case: Case,
        target: Target,
        *,
        password: str,
        crawl_paths: Callable[[], list[str]] = list,
        max_examples: int = 4,
    ) -> None:
        self.app = app
        self.case = case
        self.target = target
        self.password = password
        self.crawl_paths = crawl_paths
        self.max_examples = max_examples
        self.failures: list[Failure] = []
        self.sent = 0
        self.adapter = app.url_map.bind("localhost")
        self.view = app.view_functions[case.endpoint]
        self.reads = view_reads(self.view)
        self._token: str | None = None
        self.last_plan: Plan | None = None
        self.statuses: list[tuple[str, str, str, int]] = []  # every answer, for debugging

    # -- discovery -----------------------------------------------------------------

    def _endpoint_of(self, url: str, method: str) -> str | None:
        parts = urllib.parse.urlsplit(url)
        if parts.netloc and parts.netloc != "localhost":
            return None
        try:
            endpoint, _args = self.adapter.match(parts.path or "/", method=method)
        except HTTPException:
            return None
        except Exception:  # noqa: BLE001 - a redirect rule or the like: not this route
            return None
        return endpoint

    def _page(self, path: str) -> str:
        response = self.target.client.get(path)
        if response.status_code != 200 or response.mimetype != "text/html":
            return ""
        return response.get_data(as_text=True)

    def _forms_posting_here(self, page_path: str, html: str) -> list[HtmlForm]:
        forms, _links = parse_page(html)
        here = urllib.parse.urlsplit(self.target.path).path
        found = []
        for form in forms:
            if form.method != "post":
                continue
            action = form.action if form.action else page_path
            if urllib.parse.urlsplit(action).path == here:
                found.append(form)
        return found

    def _host_form(self) -> HtmlForm | None:
        pages = []
        rule = find_rule(self.app, self.case)
        if "GET" in (rule.methods or ()):
            pages.append(self.target.path)
        pages.extend(p for p in self.crawl_paths() if p not in pages)
        for page in pages:
            html = self._page(page)
            if html:
                forms = self._forms_posting_here(page, html)
                if forms:
                    # The richest form posting here (pages may also carry a bare button).
                    return max(forms, key=lambda f: len(f.fields))
        return None

    def _query_names_from_page(self) -> list[str]:
        html = self._page(self.target.path)
        if not html:
            return []
        forms, links = parse_page(html)
        names: list[str] = []
        for form in forms:
            if form.method != "get":
                continue
            action = form.action or self.target.path
            if self._endpoint_of(action, "GET") == self.case.endpoint:
                names.extend(f.name for f in form.fields)
        for href in links:
            parts = urllib.parse.urlsplit(href)
            if parts.query and self._endpoint_of(href, "GET") == self.case.endpoint:
                names.extend(k for k, _v in urllib.parse.parse_qsl(parts.query))
        return names

    def _baseline(
        self, form: HtmlForm | None, *, as_shown: bool = False
    ) -> tuple[list[tuple[str, Any]], set[str], bool]:
        pairs: list[tuple[str, Any]] = []
        files: set[str] = set()
        seen_radio: set[str] = set()
        seen_button = False
        if form is not None:
            for f in form.fields:
                if f.tag == "select":
                    # The chosen option, else the first real one ("" and "0" are placeholders).
                    real = [o for o in f.options if o not in ("", "0")]
                    chosen = [o for o in f.selected if o not in ("", "0")]
                    choice = chosen or real[:1] or f.selected or f.options[:1] or [""]
                    if as_shown:  # the option the page shows chosen, placeholder or not
                        choice = f.selected or f.options[:1] or [""]
                    pairs.extend((f.name, v) for v in choice[:1] if f.name)
                elif f.tag == "textarea":
                    pairs.append(
                        (f.name, f.value.strip() or Fresh(f.name, "text", tuple(f.attrs.items())))
                    )
                elif f.tag == "button":
                    if not seen_button:
                        pairs.append((f.name, f.value))
                        seen_button = True
                elif f.type == "file":
                    files.add(f.name)
                    pairs.append((f.name, b"\xef\xbb\xbf"))
                elif f.type == "checkbox":
                    if f.checked:
                        pairs.append((f.name, f.value or "y"))
                elif f.type == "radio":
                    if f.name not in seen_radio and (f.checked or f.name not in dict(pairs)):
                        pairs = [(k, v) for k, v in pairs if k != f.name]
                        pairs.append((f.name, f.value))
                        seen_radio.add(f.name) if f.checked else None
                elif f.type in ("submit", "image", "reset"):
                    continue
                elif f.name == "csrf_token":
                    pairs.append((f.name, TOKEN))
                elif f.value or f.type == "hidden":
                    pairs.append((f.name, f.value))
                elif "required" in f.attrs or f.type in _TEXT_INPUTS:
                    pairs.append((f.name, Fresh(f.name, f.type, tuple(f.attrs.items()))))
                else:
                    # An optional date, time or number left empty stays empty: a made-up
                    # one could clash with the others (an enrolment window after the start).
                    pairs.append((f.name, ""))
        names = {k for k, _v in pairs}
        for name, kind in self.reads.form_fields.items():
            if name not in names and name != "csrf_token" and kind not in ("SubmitField",):
                if kind in _WTFORMS_BASELINE:
                    if _WTFORMS_BASELINE[kind]:
                        pairs.append((name, _WTFORMS_BASELINE[kind]))
                elif kind != "FileField":
                    pairs.append((name, Fresh(name, "text")))
        multipart = form is not None and "multipart" in form.enctype
        return pairs, files, multipart

    def plan(self) -> Plan:
        notes: list[str] = []
        reads = self.reads
        if self.case.method == "GET":
            bound = list(reads.form_fields) if reads.form_reads_query else []
            specific = list(dict.fromkeys(reads.query + bound + self._query_names_from_page()))
            specific = [k for k in specific if k != "csrf_token"]
            every = list(dict.fromkeys(specific + list(GENERIC_QUERY_KEYS)))
            return Plan(specific, every, None, [], set(), False, set(), None, {}, notes)
        json_keys = reads.json_keys
        if json_keys is not None:
            base = {}
            for key in json_keys:
                value = self.target.json_baseline.get(key, JSON_BASELINE.get(key, "퍼즈"))
                base[key] = value
            return Plan(
                reads.query, reads.query, None, [], set(), False, set(), json_keys, base, notes
            )
        form = self._host_form()
        if form is None:
            notes.append("no HTML form posts here; fields from the view's code only")
        pairs, files, multipart = self._baseline(form)
        alternative = self._baseline(form, as_shown=True)[0]
        for found in (pairs, alternative):
            names = {k for k, _v in found}
            for name in reads.form:
                if name not in names:
                    found.append((name, Fresh(name, "text")))
            if "csrf_token" not in {k for k, _v in found}:
                found.append(("csrf_token", TOKEN))
        fields = list(dict.fromkeys(k for k, _v in pairs))
        text = {name for name, kind in self.reads.form_fields.items() if kind in _TEXT_WTFORMS} | {
            f.name for f in (form.fields if form else []) if f.type in _TEXT_INPUTS
        }
        plan = Plan(
            reads.query, reads.query, pairs, fields, files, multipart, text, None, {}, notes
        )
        if alternative != pairs:
            plan.alternative_pairs = alternative
        return plan

    # -- sending ---------------------------------------------------------------------

    def _csrf(self) -> str:
        """The client's CSRF token (one per login session), read from a page's meta tag."""
        if self._token is None:
            # Follow redirects: an anonymous caller's "/" leads to the login page.
            page = self.target.client.get("/", follow_redirects=True)
            html = page.get_data(as_text=True)
            match = re.search(r'name="csrf-token" content="([^"]+)"', html)
            self._token = match.group(1) if match else ""
        return self._token

    def relogin(self) -> None:
        self.target.relogin()
        self._token = None

    def _record(self, where: str, name: str, label: str, value: Any, send: Callable[[], Any]):
        self.sent += 1
        wants_json = where == "json" or (where == "body" and self.reads.json_keys is not None)
        started = time.perf_counter()
        with captured_errors() as capture:
            try:
                response = send()
            except Exception as exc:  # noqa: BLE001 - anything escaping the app is a failure
                self.failures.append(
                    Failure(
                        self.case,
                        where,
                        name,
                        label,
                        value,
                        None,
                        "exception escaped the app",
                        # The 500 handler logs the first error, then may fail itself (a
                        # session left broken by a failed flush): show both.
                        (_logged(capture.records) + "\n  then, while answering: ")
                        * bool(capture.records)
                        + describe_exception(exc),
                    )
                )
                if self.target.ends_session:
                    self.relogin()
                return
        status = response.status_code
        self.statuses.append((where, name, label, status, time.perf_counter() - started))
        problem = None
        if status >= 500:
            problem = "server error"
        elif status >= 400:
            problem = is_clean_refusal(response, wants_json)
        else:
            # Read a streamed body so errors inside it surface in the log.
            with contextlib.suppress(Exception):
                response.get_data()
        response.close()
        if capture.records and problem is None:
            problem = f"{status} but the app logged an error"
        if problem:
            self.failures.append(
                Failure(
                    self.case, where, name, label, value, status, problem, _logged(capture.records)
                )
            )
        if self.target.ends_session or (
            status in (302, 303) and "/auth/login" in response.headers.get("Location", "")
        ):
            self.relogin()

    def _url(self, pairs: list[tuple[str, Any]], path: str | None = None) -> str:
        path = path or self.target.path
        if not pairs:
            return path
        return path + "?" + encode_pairs(pairs).decode("latin-1")

    def _last_status(self) -> int:
        return self.statuses[-1][3] if self.statuses else 500

    def _environ(self) -> dict[str, Any]:
        # A new client address per request: per-IP throttles (login) would otherwise answer
        # most of the sweep with 429 before the view reads a field.
        n = self.sent
        return {"REMOTE_ADDR": f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}"}

    def _get(self, pairs: list[tuple[str, Any]], path: str | None = None):
        path = path or self.target.path
        return self.target.client.get(
            path,
            query_string=encode_pairs(pairs).decode("latin-1"),
            environ_overrides=self._environ(),
        )

    def _post_form(self, plan: Plan, pairs: list[tuple[str, Any]], *, chunked: bool = False):
        pairs = [
            (
                k,
                self._csrf()
                if v is TOKEN
                else v.make(self.password)
                if isinstance(v, Fresh)
                else v,
            )
            for k, v in pairs
        ]
        if plan.multipart:
            body, content_type = encode_multipart(pairs, plan.file_fields)
        else:
            body, content_type = encode_pairs(pairs), "application/x-www-form-urlencoded"
        if chunked:
            return self.target.client.post(
                self.target.path,
                input_stream=io.BytesIO(body),
                content_type=content_type,
                headers={"Transfer-Encoding": "chunked"},
                environ_overrides={"wsgi.input_terminated": True, **self._environ()},
            )
        return self.target.client.post(
            self.target.path,
            data=body,
            content_type=content_type,
            environ_overrides=self._environ(),
        )

    def _post_json(self, body: bytes, query: list[tuple[str, Any]] | None = None):
        return self.target.client.post(
            self.target.path,
            query_string=encode_pairs(query or []).decode("latin-1"),
            data=body,
            content_type="application/json",
            headers={"X-CSRFToken": self._csrf(), "Accept": "application/json"},
            environ_overrides=self._environ(),
        )

    def _json_base(self, plan: Plan) -> dict[str, Any]:
        return {k: (v() if callable(v) else v) for k, v in plan.json_base.items()}

    @staticmethod
    def _dumps(payload: dict[str, Any]) -> bytes:
        return dumps(payload)

    # -- the sweep -------------------------------------------------------------------

    def run(self) -> list[Failure]:
        plan = self.last_plan = self.plan()
        self.sweep(plan)
        self.explore(plan)
        unique: dict[tuple, Failure] = {}
        for failure in self.failures:
            unique.setdefault(failure.key(), failure)
        self.failures = list(unique.values())
        return self.failures

    def sweep(self, plan: Plan) -> None:
        method = self.case.method
        # Text path arguments (slugs, tokens): every value in the path itself.
        for name, original in self.target.string_args.items():
            for nasty in FORM_VALUES:
                if isinstance(nasty.value, Raw):
                    encoded = nasty.value.data.decode("latin-1")
                else:
                    encoded = _encode(nasty.value).decode()
                path = self.target.path.replace(urllib.parse.quote(original, safe=""), encoded, 1)
                if method == "GET":
                    self._record(
                        "path", name, nasty.label, nasty.value, lambda p=path: self._get([], p)
                    )
        # Query parameters: each known key alone, then every key at once.
        for key in plan.query_keys:
            for nasty in FORM_VALUES:
                self._record(
                    "query",
                    key,
                    nasty.label,
                    nasty.value,
                    lambda k=key, n=nasty: self._query(plan, [(k, n.value)]),
                )
        if method == "GET":
            for nasty in FORM_VALUES:
                if nasty.label == "100k characters":
                    continue  # megabytes of URL; each known key gets it on its own above
                pairs = [(k, nasty.value) for k in plan.query_all_keys]
                self._record(
                    "query", "<every key>", nasty.label, nasty.value, lambda p=pairs: self._get(p)
                )
        if plan.form_pairs is not None:
            self._record(
                "form",
                "<baseline>",
                "valid-looking values",
                "",
                lambda: self._post_form(plan, plan.form_pairs),
            )
            if plan.alternative_pairs is not None and self._last_status() >= 400:
                alternative = plan.alternative_pairs
                self._record(
                    "form",
                    "<baseline>",
                    "options as shown",
                    "",
                    lambda: self._post_form(plan, alternative),
                )
                if self._last_status() < 400:
                    plan.form_pairs = alternative
                    plan.notes.append("baseline: options as the page shows them")
            for name in plan.form_fields:
                if name == "csrf_token":
                    continue  # any damage there is a CSRF refusal; hypothesis mixes try it
                for nasty in FORM_VALUES:
                    if name in plan.text_fields and nasty.label not in TEXT_FIELD_LABELS:
                        continue
                    pairs = self._replace(plan.form_pairs, name, nasty.value)
                    self._record(
                        "form",
                        name,
                        nasty.label,
                        nasty.value,
                        lambda p=pairs: self._post_form(plan, p),
                    )
            # The same form once as a chunked body (no Content-Length).
            self._record(
                "body",
                "<chunked>",
                "chunked transfer encoding",
                "",
                lambda: self._post_form(plan, plan.form_pairs, chunked=True),
            )
        elif plan.json_keys is not None:
            self._record(
                "json",
                "<baseline>",
                "valid-looking body",
                "",
                lambda: self._post_json(self._dumps(self._json_base(plan))),
            )
            for body in JSON_BODIES:
                self._record(
                    "body",
                    "<body>",
                    body.label,
                    body.value,
                    lambda b=body: self._post_json(b.value.data),
                )
            for key in plan.json_keys:
                for nasty in JSON_VALUES:

                    def send(k=key, n=nasty):
                        payload = self._json_base(plan)
                        payload[k] = n.value
                        return self._post_json(self._dumps(payload))

                    self._record("json", key, nasty.label, nasty.value, send)
        elif method != "GET":
            # No form, no JSON: a bare POST (a button) with CSRF.
            self._record(
                "form",
                "<bare>",
                "no fields",
                "",
                lambda: self._post_form(plan, [("csrf_token", TOKEN)]),
            )

    def _query(self, plan: Plan, pairs: list[tuple[str, Any]]):
        if self.case.method == "GET":
            return self._get(pairs)
        if plan.json_keys is not None:
            return self._post_json(self._dumps(self._json_base(plan)), pairs)
        token_pairs = plan.form_pairs or [("csrf_token", TOKEN)]
        self_path = self.target.path
        try:
            self.target.path = self._url(pairs)
            return self._post_form(plan, token_pairs)
        finally:
            self.target.path = self_path

    @staticmethod
    def _replace(pairs: list[tuple[str, Any]], name: str, value: Any) -> list[tuple[str, Any]]:
        out = [(k, value if k == name else v) for k, v in pairs]
        if name not in {k for k, _v in pairs}:
            out.append((name, value))
        return out

    def explore(self, plan: Plan) -> None:
        """A few random mixes drawn by hypothesis (seeded: the same every run)."""
        if plan.json_keys is not None:
            keys = plan.json_keys or ["text"]

            @given(st.data())
            @_settings(self.max_examples)
            def json_mix(data):
                payload = self._json_base(plan)
                chosen = data.draw(
                    st.lists(st.sampled_from(keys), min_size=1, max_size=3, unique=True)
                )
                for key in chosen:
                    payload[key] = data.draw(json_value_strategy())
                self._record(
                    "json",
                    "+".join(chosen),
                    "hypothesis mix",
                    payload,
                    lambda: self._post_json(self._dumps(payload)),
                )

            json_mix()
            return
        if plan.form_pairs is not None:
            names = plan.form_fields

            @given(st.data())
            @_settings(self.max_examples)
            def form_mix(data):
                chosen = data.draw(
                    st.lists(st.sampled_from(names), min_size=1, max_size=3, unique=True)
                )
                pairs = plan.form_pairs
                values = {}
                for name in chosen:
                    values[name] = data.draw(form_value_strategy())
                    pairs = self._replace(pairs, name, values[name])
                self._record(
                    "form",
                    "+".join(chosen),
                    "hypothesis mix",
                    values,
                    lambda: self._post_form(plan, pairs),
                )

            form_mix()
            return
        keys = plan.query_all_keys
        if keys and self.case.method == "GET":

            @given(st.data())
            @_settings(self.max_examples)
            def query_mix(data):
                chosen = data.draw(
                    st.lists(st.sampled_from(keys), min_size=1, max_size=4, unique=True)
                )
                pairs = [(k, data.draw(form_value_strategy())) for k in chosen]
                self._record(
                    "query",
                    "+".join(chosen),
                    "hypothesis mix",
                    dict(pairs),
                    lambda: self._get(pairs),
                )

            query_mix()


def _settings(max_examples: int):
    return settings(
        max_examples=max_examples,
        deadline=None,
        derandomize=True,
        database=None,
        phases=(Phase.explicit, Phase.generate),
        suppress_health_check=list(HealthCheck),
        print_blob=False,
    )
