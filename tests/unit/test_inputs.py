"""The input policy's building blocks (portal/core/inputs.py, portal/core/forms.py).

Also the guards that keep the next form or view from bringing the defects back: every form
derives from PortalForm, and no view parses a query-string integer by hand.
"""

from __future__ import annotations

import datetime as dt
import importlib
import io
import pkgutil
import re
from pathlib import Path

import pytest
from flask_wtf import FlaskForm
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.test import EnvironBuilder
from wtforms import (
    DateField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Optional

import portal
from portal.core import inputs
from portal.core.forms import PortalForm

PORTAL = Path(portal.__file__).parent


# Characters ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["a\x00b", "\x01", "\x08", "\x0b", "\x0c", "\x1b[31m", "\x7f", "\x85", "\x9f", "\ud800"]
    + ["\ufdd0", "\ufffe", "\uffff", "\U0001fffe", "\U0010ffff"],
)
def test_control_characters_and_noncharacters_are_forbidden(text):
    assert inputs.has_forbidden_characters(text)


@pytest.mark.parametrize(
    "text", ["", "홍길동", "a\tb", "첫 줄\r\n둘째 줄", "\ufffd", "emoji 🙂", "\u00a0", "\u200b"]
)
def test_ordinary_text_tabs_and_line_breaks_pass_the_edge(text):
    assert not inputs.has_forbidden_characters(text)


def test_line_breaks_are_told_apart_for_single_line_fields():
    assert inputs.has_line_breaks("a\nb") and inputs.has_line_breaks("a\tb")
    assert inputs.has_line_breaks("a\u2028b")
    assert not inputs.has_line_breaks("세종시청 4층 교육장")


# Integers --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, 7),
        ("", 7),
        ("  12 ", 12),
        ("1", 1),
        ("2147483647", 2147483647),
        ("2147483648", 7),
        ("99999999999999999999", 7),
        ("0", 7),
        ("-1", 7),
        ("+3", 7),
        ("1_000", 7),
        ("１２", 7),  # full-width digits: int() takes them, the policy does not
        ("٣", 7),  # Arabic-Indic three
        ("3.0", 7),
        ("0x10", 7),
        ("9" * 5000, 7),  # past int()'s digit limit
    ],
)
def test_bounded_int(raw, expected):
    assert inputs.bounded_int(raw, 7) == expected


def test_path_ids_and_query_ids_share_one_bound(app):
    converter = app.url_map.converters["int"](app.url_map)
    assert converter.max == inputs.MAX_DB_INT == 2**31 - 1


def test_query_page_defaults_to_one(app):
    for query, page in (("", 1), ("page=3", 3), ("page=0", 1), (f"page={10**6}", 1), ("page=x", 1)):
        with app.test_request_context(f"/?{query}"):
            assert inputs.query_page() == page, query


# Dates and links ---------------------------------------------------------------------------


def test_the_date_range():
    assert inputs.date_in_range(dt.date(2000, 1, 1)) and inputs.date_in_range(dt.date(2100, 12, 31))
    assert not inputs.date_in_range(dt.date(1999, 12, 31))
    assert not inputs.date_in_range(dt.date(2101, 1, 1))
    assert inputs.date_in_range(None)


def test_instants_get_a_day_of_slack_for_time_zones():
    seoul = dt.timezone(dt.timedelta(hours=9))
    first = dt.datetime(2000, 1, 1, 0, 0, tzinfo=seoul).astimezone(dt.UTC)
    assert first.date() == dt.date(1999, 12, 31) and inputs.datetime_in_range(first)
    assert inputs.datetime_in_range(dt.datetime(2100, 12, 31, 23, 59, tzinfo=seoul))
    assert not inputs.datetime_in_range(dt.datetime(1999, 12, 30, 12, tzinfo=dt.UTC))
    assert not inputs.datetime_in_range(dt.datetime(2101, 1, 2, tzinfo=dt.UTC))


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://meet.example.org/room?id=1", True),
        ("http://10.0.0.5:8080/x", True),
        ("https://meet.example.org/a\r\nb", False),
        ("https://meet.example.org/a\nb", False),
        ("https://meet.example.org/a\tb", False),
        ("https://meet.example.org/a b", False),
        ("https://meet.example.org/a\u3000b", False),  # ideographic space
        ("https://meet.\x00example.org/", False),
        ("\thttps://meet.example.org/", False),
        ("ftp://meet.example.org/", False),
        ("javascript:alert(1)", False),
        ("https:///path-only", False),
        ("https://[::1/x", False),
        ("", False),
    ],
)
def test_web_links_are_judged_on_the_raw_string(url, ok):
    assert inputs.is_web_url(url) is ok


# JSON ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "depth"),
    [
        ("{}", 1),
        ('{"a": [1, {"b": []}]}', 4),
        ('["[[[[", "]]]"]', 1),
        ('["\\"[[[["]', 1),
        ('["\\\\", [[]]]', 3),
        ("[" * 10_000, 10_000),
        ('"unterminated [[[', 3),  # invalid JSON: counted conservatively
    ],
)
def test_json_depth_ignores_brackets_inside_strings(text, depth):
    assert inputs.json_depth(text) == depth


def test_loads_limited_refuses_deep_nesting_without_recursing():
    with pytest.raises(ValueError, match="nested"):
        inputs.loads_limited("[" * 100_000 + "]" * 100_000)
    assert inputs.loads_limited('{"a": [[1]]}') == {"a": [[1]]}


def test_model_scoring_answers_nested_too_deeply_are_a_value_error():
    from portal.assistant.review.scoring import parse_scoring

    with pytest.raises(ValueError, match="중첩"):
        parse_scoring('{"criteria": ' + "[" * 50_000 + "]" * 50_000 + "}", {"rubric": []})


def test_json_leaves_walks_keys_and_scalars():
    assert sorted(map(str, inputs.json_leaves({"a": [1, {"b": "c"}], "d": None}))) == sorted(
        ["a", "1", "b", "c", "d", "None"]
    )


# Bodies without a length -----------------------------------------------------------------


def _unsized_request(app, body: bytes, *, terminated: bool = True) -> inputs.PortalRequest:
    environ = EnvironBuilder(
        path="/", method="POST", data=body, content_type="application/octet-stream"
    ).get_environ()
    environ.pop("CONTENT_LENGTH", None)
    environ["wsgi.input"] = io.BytesIO(body)
    if terminated:
        environ["wsgi.input_terminated"] = True
    request = inputs.PortalRequest(environ)
    request.max_content_length = 100  # type: ignore[misc]
    return request


def test_werkzeug_alone_cuts_an_unsized_body_silently(app):
    """Why PortalRequest exists (Werkzeug 3.1). If this starts failing, Werkzeug refuses such
    bodies itself and PortalRequest.stream may be dropped."""
    from flask import Request

    request = _unsized_request(app, b"x" * 150)
    plain = Request(request.environ)
    plain.max_content_length = 100  # type: ignore[misc]
    assert plain.get_data() == b"x" * 100


def test_an_unsized_body_up_to_the_limit_is_read_whole(app):
    assert _unsized_request(app, b"x" * 100).get_data() == b"x" * 100
    assert _unsized_request(app, b"").get_data() == b""


def test_an_unsized_body_past_the_limit_is_refused_not_cut(app):
    with pytest.raises(RequestEntityTooLarge):
        _unsized_request(app, b"x" * 101).get_data()


def test_an_unterminated_unsized_body_stays_empty_as_werkzeug_makes_it(app):
    # Without wsgi.input_terminated a server that cannot frame the body gives none at all.
    assert _unsized_request(app, b"x" * 101, terminated=False).get_data() == b""


def test_the_app_uses_the_portal_request(app):
    assert app.request_class is inputs.PortalRequest


# Forms -----------------------------------------------------------------------------------


class _Sample(PortalForm):
    class Meta:
        csrf = False

    name = StringField(validators=[Optional()])
    secret = PasswordField()
    notes = TextAreaField()
    token = HiddenField()
    day = DateField(validators=[Optional()])
    count = IntegerField(validators=[Optional()])
    choice = SelectField(coerce=int, validate_choice=False, validators=[Optional()])


def _errors(app, **data) -> dict:
    from werkzeug.datastructures import MultiDict

    with app.test_request_context("/"):
        form = _Sample(formdata=MultiDict(data))
        form.validate()
        return form.errors


def test_single_line_fields_refuse_line_breaks_but_text_areas_keep_them(app):
    errors = _errors(app, name="a\r\nb", secret="p\nq", notes="첫 줄\r\n\t둘째 줄", token="x\ny")
    assert set(errors) == {"name", "secret", "token"}


def test_form_fields_refuse_control_characters_outside_a_request_hook(app):
    assert set(_errors(app, name="a\x00b", notes="a\x0bb")) == {"name", "notes"}


def test_form_dates_and_integers_are_bounded(app):
    errors = _errors(app, day="0001-01-01", count="2147483648", choice="99999999999999999999")
    assert set(errors) == {"day", "count", "choice"}
    assert _errors(app, day="2026-12-10", count="-5", choice="3") == {}


def _all_portal_modules() -> None:
    for info in pkgutil.walk_packages([str(PORTAL)], prefix="portal."):
        importlib.import_module(info.name)


def _subclasses(cls: type) -> set[type]:
    found = set()
    for sub in cls.__subclasses__():
        found |= {sub, *_subclasses(sub)}
    return found


def test_every_portal_form_derives_from_portal_form():
    _all_portal_modules()
    offenders = sorted(
        f"{form.__module__}.{form.__qualname__}"
        for form in _subclasses(FlaskForm)
        if form.__module__.startswith("portal.") and not issubclass(form, PortalForm)
    )
    assert offenders == [], "derive these forms from portal.core.forms.PortalForm"


_HAND_PARSED_INT = re.compile(r"type\s*=\s*int\b|\bint\(\s*request\.")


def test_no_view_parses_a_request_integer_by_hand():
    offenders = [
        f"{path.relative_to(PORTAL.parent)}:{number}"
        for path in sorted(PORTAL.rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if _HAND_PARSED_INT.search(line)
    ]
    assert offenders == [], "use portal.core.inputs.query_int / query_page"


@pytest.mark.parametrize("target", ["/a\r\nb", "/a\nb", "/\t/evil.example", "/a\x00b", "/a\x85"])
def test_redirect_targets_with_line_breaks_or_controls_are_refused(target):
    from portal.core.net import local_path

    assert local_path(target) is None
