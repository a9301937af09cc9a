"""`_("a literal")` in a template is a lookup in the language's kept texts (issue 14's page
speed); the page must read exactly as it did when every call translated its string."""

from __future__ import annotations

import pytest
from flask import render_template_string
from flask_babel import force_locale
from markupsafe import Markup

from portal.core.templating import PageTexts

# Strings the layout really uses, and one with a %% that formatting turns into %.
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
