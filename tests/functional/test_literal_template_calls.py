"""`_("a literal")` and `url_for("endpoint", name="value")` written with literals only are
lookups in kept texts and URLs (issue 14's page speed); the page must read exactly as it
did when every call translated its string or built its URL."""

from __future__ import annotations

import pytest
from flask import render_template_string
from flask_babel import force_locale
from markupsafe import Markup

from portal.core.templating import PageTexts

# Strings the layout really uses (the %% case is checked on PageTexts itself, below).
LAYOUT_STRINGS = ["로그아웃", "본문 바로가기", "AI 역량강화 교육 포털", "알림", "홈"]


def _python_source(app, source: str, name: str | None = None) -> str:
    return app.jinja_env.compile(source, name=name, raw=True)


def test_a_literal_call_is_compiled_into_a_lookup(app):
    compiled = _python_source(app, '{{ _("로그아웃") }}')
    assert "_portal_texts" in compiled
    assert "context.call" not in compiled


@pytest.mark.parametrize(
    "source",
    [
        '{{ _("알림 (%(n)d)", n=3) }}',  # variables: formatted by the call, as before
        '{{ _("로그" "아웃") }}',  # two literals joined: not a single string token
        "{{ _(label) }}",  # not a literal
        '{{ helpers._("로그아웃") }}',  # someone else's `_`
    ],
)
def test_other_calls_stay_calls(app, source):
    assert "_portal_texts" not in _python_source(app, source)


def test_a_template_without_autoescape_is_left_alone(app):
    # Flask autoescapes .html only; a plain-text template must keep plain strings.
    assert "_portal_texts" not in _python_source(app, '{{ _("로그아웃") }}', name="mail.txt")
    assert "_portal_texts" in _python_source(app, '{{ _("로그아웃") }}', name="page.html")


@pytest.mark.parametrize("locale", ["ko", "en"])
def test_the_lookup_reads_as_the_call_did(app, locale):
    with app.test_request_context("/"), force_locale(locale):
        for string in LAYOUT_STRINGS:
            looked_up = render_template_string('{{ _("' + string + '") }}')
            # A call with a variable the text does not use still goes through the call.
            called = render_template_string('{{ _("' + string + '", unused=0) }}')
            assert looked_up == called
        if locale == "en":
            assert render_template_string('{{ _("로그아웃") }}') != "로그아웃"


def test_each_language_keeps_its_own_texts(app):
    with app.test_request_context("/"):
        with force_locale("ko"):
            korean = render_template_string('{{ _("로그아웃") }}')
        with force_locale("en"):
            english = render_template_string('{{ _("로그아웃") }}')
        with force_locale("ko"):
            again = render_template_string('{{ _("로그아웃") }}')
    assert korean == again == "로그아웃"
    assert english != korean


def test_a_template_rendered_without_the_page_context_still_translates(app):
    # No context processor (a template rendered directly, or a macro imported without
    # context): the global falls back to the current language.
    template = app.jinja_env.from_string('{{ _("로그아웃") }}')
    with app.test_request_context("/"), force_locale("en"):
        expected = render_template_string('{{ _("로그아웃", unused=0) }}')
        assert template.render() == expected


def test_kept_texts_are_safe_markup_and_format_percent_signs_once():
    texts = PageTexts({"rate": "100%% <b>done</b>", "plain": "a & b"}.get)
    assert texts["rate"] == Markup("100% <b>done</b>")
    assert isinstance(texts["plain"], Markup)
    assert texts["plain"] is texts["plain"]  # translated once, then kept


def test_escaping_around_a_kept_text_is_unchanged(app):
    with app.test_request_context("/"), force_locale("ko"):
        out = render_template_string('{{ _("로그아웃") ~ value }}', value="<script>")
    assert out == "로그아웃&lt;script&gt;"


def test_a_literal_url_for_is_compiled_into_a_lookup(app):
    compiled = _python_source(app, "{{ url_for('static', filename='css/portal.css') }}")
    assert "_portal_urls" in compiled and "context.call" not in compiled
    assert "_portal_urls" in _python_source(app, "{{ url_for('home.index') }}")


@pytest.mark.parametrize(
    "source",
    [
        "{{ url_for('courses.detail', slug=course.slug) }}",  # a variable
        "{{ url_for('.index') }}",  # relative to the blueprint of the request
        "{{ url_for('home.index', _external=True) }}",  # an option
        "{{ url_for('notifications.inbox', page=2) }}",  # not a string
        "{{ url_for(endpoint) }}",
    ],
)
def test_other_url_for_calls_stay_calls(app, source):
    assert "_portal_urls" not in _python_source(app, source)


# Each literal call, and the same call with its endpoint in a variable (which stays a call).
URL_PAIRS = [
    (
        "{{ url_for('static', filename='css/portal.css') }}",
        "{% set e = 'static' %}{{ url_for(e, filename='css/portal.css') }}",
    ),
    ("{{ url_for('home.index') }}", "{% set e = 'home.index' %}{{ url_for(e) }}"),
    (  # a query string: the & is escaped in both
        "{{ url_for('catalog.index', q='AI & 보고서', page='2') }}",
        "{% set e = 'catalog.index' %}{{ url_for(e, q='AI & 보고서', page='2') }}",
    ),
]


@pytest.mark.parametrize("prefix", ["", "/portal"])
def test_a_looked_up_url_is_the_url_the_call_builds(app, prefix):
    with app.test_request_context("/", base_url=f"http://localhost{prefix}"):
        for literal, call in URL_PAIRS:
            looked_up = render_template_string(literal)
            assert looked_up == render_template_string(call), literal
            assert looked_up.startswith(prefix + "/")
    assert "&amp;" in looked_up


def test_a_template_rendered_outside_a_request_builds_its_urls_as_before(app, monkeypatch):
    # Mail is rendered in an app context without a request: URLs are absolute there.
    monkeypatch.setitem(app.config, "SERVER_NAME", "portal.example.go.kr")
    template = app.jinja_env.from_string("{{ url_for('home.index') }}")
    with app.app_context():
        assert template.render() == app.url_for("home.index") == "http://portal.example.go.kr/"
