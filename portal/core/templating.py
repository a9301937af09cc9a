"""What every template can use: navigation by role, session timing, date filters."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from babel.dates import get_day_names
from babel.support import NullTranslations
from flask import Flask, current_app, g, has_request_context, request, url_for
from flask_babel import format_date, format_datetime, get_locale, get_translations
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from jinja2 import pass_context
from jinja2.ext import Extension
from jinja2.lexer import Token, TokenStream
from jinja2.runtime import Context
from markupsafe import Markup

from portal.core.clock import SEOUL
from portal.core.forms import csrf_token
from portal.users.models import Role


@dataclass(frozen=True)
class NavGroup:
    """A drop-down of the main menu; ``key`` names its list's id ("portal-nav-<key>")."""

    key: str
    label: str


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: str
    roles: frozenset[Role]
    only_department_heads: bool = False
    group: NavGroup | None = None  # None: a top-level entry


@dataclass(frozen=True)
class NavMenu:
    """A group as one user sees it: only the items they may use, in NAVIGATION's order."""

    group: NavGroup
    items: tuple[NavItem, ...]

    @property
    def endpoints(self) -> frozenset[str]:
        return frozenset(item.endpoint for item in self.items)


_ALL = frozenset(Role)
_ADMIN = frozenset({Role.ADMIN})
_COORDINATION = frozenset({Role.COORDINATOR, Role.ADMIN})
_TEACHING = frozenset({Role.INSTRUCTOR, Role.COORDINATOR, Role.ADMIN})
_INSTRUCTORS = frozenset({Role.INSTRUCTOR, Role.COORDINATOR})

# Everyone's daily items stay top-level; the coordinators' and the admins' tools sit in two
# drop-downs, so the admin's menu fits one row at 1280 px. A group shows where its first
# visible item is listed, and only with the items the user may use.
OPERATIONS = NavGroup("operations", _l("교육 운영"))
SYSTEM = NavGroup("system", _l("시스템 관리"))

# Items whose endpoint does not exist (yet) are left out, so menus show only what works.
# A new item is one line here; give it group=OPERATIONS or group=SYSTEM to put it in a
# drop-down, and its place in the list is its place in the menu.
NAVIGATION: tuple[NavItem, ...] = (
    NavItem("home.index", _l("홈"), _ALL),
    NavItem("catalog.index", _l("교육과정"), _ALL),
    NavItem("learning.my_learning", _l("나의 학습"), _ALL),
    NavItem("checkin.index", _l("출석 체크"), _ALL),
    NavItem("hours.index", _l("상시학습"), _ALL),
    NavItem("assistant.index", _l("AI 실습"), _ALL),
    NavItem("ideas.my_ideas", _l("AI 아이디어"), _ALL),
    NavItem("enrollment.approvals", _l("수강 승인"), _ALL, only_department_heads=True),
    NavItem("teaching.my_sessions", _l("내 강의"), _INSTRUCTORS),
    NavItem("practice_manage.reviews", _l("과제 검토"), _TEACHING),
    # 교육 운영 (coordinators and admins).
    NavItem("dashboards.index", _l("대시보드"), _COORDINATION, group=OPERATIONS),
    NavItem("scheduling.list_sessions", _l("교육 차수 관리"), _COORDINATION, group=OPERATIONS),
    NavItem("roster.bulk", _l("일괄 신청"), _COORDINATION, group=OPERATIONS),
    NavItem("mandatory.index", _l("신규자 필수교육"), _COORDINATION, group=OPERATIONS),
    NavItem("hours.review", _l("상시학습 승인"), _COORDINATION, group=OPERATIONS),
    NavItem("surveys.overview", _l("만족도 조사 결과"), _COORDINATION, group=OPERATIONS),
    NavItem("practice_manage.figures", _l("AI 실습 현황"), _COORDINATION, group=OPERATIONS),
    NavItem("ideas.triage", _l("아이디어 관리"), _COORDINATION, group=OPERATIONS),
    NavItem("reports.exports_page", _l("자료 내려받기"), _COORDINATION, group=OPERATIONS),
    # 시스템 관리 (admins).
    NavItem("admin_users.list_users", _l("사용자"), _ADMIN, group=SYSTEM),
    NavItem("admin_org.list_departments", _l("부서"), _ADMIN, group=SYSTEM),
    NavItem("admin_import.upload", _l("인사 명단 가져오기"), _ADMIN, group=SYSTEM),
    NavItem("notifications.outbox", _l("메일 발송함"), _ADMIN, group=SYSTEM),
    NavItem("practice_manage.models", _l("AI 모델·한도"), _ADMIN, group=SYSTEM),
    NavItem("admin_audit.search", _l("감사 기록"), _ADMIN, group=SYSTEM),
    NavItem("admin_audit.personal_data", _l("개인정보 접근 기록"), _ADMIN, group=SYSTEM),
    NavItem("home.profile", _l("내 정보"), _ALL),
)

ROLE_LABELS = {
    Role.STAFF: _l("직원"),
    Role.INSTRUCTOR: _l("강사"),
    Role.COORDINATOR: _l("교육 담당자"),
    Role.ADMIN: _l("시스템 관리자"),
}


@dataclass(frozen=True)
class MenuLink:
    """A menu item as the header renders it: its label translated, its URL built."""

    endpoint: str
    label: str
    url: str


@dataclass(frozen=True)
class MenuGroup:
    """A drop-down as the header renders it (see NavMenu)."""

    key: str
    label: str
    links: tuple[MenuLink, ...]
    endpoints: frozenset[str]


Menu = tuple[MenuLink | MenuGroup, ...]

# The finished menus of one app, by everything a menu depends on (role, department head or
# not, language, the URL prefix the portal is served under); a handful of entries. A menu
# holds no one's data, so people with the same key share it; each worker builds its own.
_MENUS_KEY = "portal_menus"
_MENUS_KEPT = 64  # more keys than roles × 2 × languages × prefixes means something odd: start over


def _navigation(locale: str) -> Menu:
    # The user object itself, not the proxy: every attribute read through current_user
    # costs a context lookup, and this runs on every page.
    user = current_user._get_current_object()
    if not user.is_authenticated:
        return ()
    # Every page shows the menu; arranging it, translating ~10 labels and building their URLs
    # each time cost about a tenth of the home page. It is built once per key instead.
    key = (user.role, bool(user.is_department_head), locale, request.script_root)
    menus: dict = current_app.extensions.setdefault(_MENUS_KEY, {})
    menu = menus.get(key)
    if menu is None:
        if len(menus) >= _MENUS_KEPT:
            menus.clear()
        menu = menus[key] = _build_menu(
            arrange(NAVIGATION, user.role, user.is_department_head, current_app.view_functions)
        )
    return menu


def _label(text: str) -> Markup:
    # Translated now, and marked safe as the lazy string was (its __html__ is the translation):
    # the page shows exactly what it showed when the template translated it.
    return Markup(str(text))  # noqa: S704 - the catalogue is trusted, as for every template string


_LABELS_KEY = "portal_labels"


def translated_labels(labels: Mapping[Any, Any]) -> dict[Any, Markup]:
    """A module-level dict of lazy labels (enum → _l("...")), translated into this request's
    language once per process and then shared: a page printing a badge per row otherwise
    translates each lazy string again. The dict must be a constant; the language is part of
    the key, and the labels name no one."""
    key = (id(labels), str(get_locale() or "ko"))
    known: dict = current_app.extensions.setdefault(_LABELS_KEY, {})
    found = known.get(key)
    if found is None:
        found = known[key] = {value: _label(label) for value, label in labels.items()}
    return found


def _build_menu(entries: list[NavItem | NavMenu]) -> Menu:
    """The arranged entries with labels translated (current locale) and URLs built (this request)."""

    def link(item: NavItem) -> MenuLink:
        return MenuLink(item.endpoint, _label(item.label), url_for(item.endpoint))

    built: list[MenuLink | MenuGroup] = []
    for entry in entries:
        if isinstance(entry, NavMenu):
            links = tuple(link(item) for item in entry.items)
            built.append(
                MenuGroup(entry.group.key, _label(entry.group.label), links, entry.endpoints)
            )
        else:
            built.append(link(entry))
    return tuple(built)


def arrange(
    items: tuple[NavItem, ...], role: Role, is_department_head: bool, endpoints
) -> list[NavItem | NavMenu]:
    """The menu one user sees: top-level items and non-empty groups, in ``items``' order."""
    visible = [
        item
        for item in items
        if role in item.roles
        and item.endpoint in endpoints
        and (not item.only_department_heads or is_department_head)
    ]
    entries: list[NavItem | NavMenu] = []
    placed: set[NavGroup] = set()
    for item in visible:
        if item.group is None:
            entries.append(item)
        elif item.group not in placed:
            placed.add(item.group)
            members = tuple(i for i in visible if i.group == item.group)
            entries.append(NavMenu(item.group, members))
    return entries


def thousands(value: int) -> str:
    """1234567 → "1,234,567" (kept out of message calls, which pybabel cannot read as f-strings)."""
    return f"{value:,}"


def hours_text(value: Decimal | int | float | str | None) -> str:
    """Hours as the portal shows them everywhere: 4 → "4", 7.5 → "7.5", 7.75 → "7.8".

    Whole hours have no ".0"; any other amount has one decimal (rounded half up). Used for
    every "N시간" on pages, in notices and on new certificates; None reads as 0.
    """
    amount = Decimal(str(value if value is not None else 0)).quantize(
        Decimal("0.1"), rounding=ROUND_HALF_UP
    )
    if amount == amount.to_integral_value():
        return str(int(amount))
    return f"{amount:f}"


_NUMERIC_DATETIME = "yyyy-MM-dd HH:mm"

# The pattern letters the portal's date formats use, as Babel prints them; "EEE" is the
# language's abbreviated weekday ("월", "Mon").
_FIELDS: dict[str, Callable[[dt.datetime, Mapping[int, str]], str]] = {
    "yyyy": lambda d, _days: f"{d.year:04d}",
    "MM": lambda d, _days: f"{d.month:02d}",
    "dd": lambda d, _days: f"{d.day:02d}",
    "HH": lambda d, _days: f"{d.hour:02d}",
    "mm": lambda d, _days: f"{d.minute:02d}",
    "ss": lambda d, _days: f"{d.second:02d}",
    "EEE": lambda d, days: days[d.weekday()],
}
_LITERALS = frozenset(" -:()./,")


@functools.lru_cache(maxsize=64)
def _plain_pattern(fmt: str) -> tuple[str, ...] | None:
    """A Babel pattern as fields of _FIELDS and literal characters, or None when it holds
    anything else (a quote, another field), which Babel then formats itself."""
    parts: list[str] = []
    position = 0
    while position < len(fmt):
        end = position
        while end < len(fmt) and fmt[end] == fmt[position]:
            end += 1
        run = fmt[position:end]
        if run[0].isalpha():
            if run not in _FIELDS:
                return None
            parts.append(run)
        elif run[0] in _LITERALS:
            parts.extend(run)
        else:
            return None
        position = end
    return tuple(parts)


@functools.cache
def _day_names(locale: str) -> Mapping[int, str]:
    return dict(get_day_names("abbreviated", "format", locale))


def seoul_datetime(value: dt.datetime | None, fmt: str = _NUMERIC_DATETIME) -> str:
    if value is None:
        return ""
    local = value.astimezone(SEOUL)
    pattern = _plain_pattern(fmt)
    # Babel's time zones round the offset to whole minutes, so the odd local mean time of
    # dates before 1908 (+8:27:52) still goes through Babel.
    if pattern is not None and local.utcoffset().total_seconds() % 60 == 0:
        # What Babel would print, without asking it: pages list dozens of dates, and Babel
        # resolves the locale, the time zone and the pattern for each.
        days: Mapping[int, str] = {}
        if "EEE" in pattern:
            locale = get_locale()
            if locale is None:  # no app context: Babel's own default language
                return format_datetime(local, fmt)
            days = _day_names(str(locale))
        return "".join(_FIELDS[part](local, days) if part in _FIELDS else part for part in pattern)
    return format_datetime(local, fmt)


def seoul_date(value: dt.date | None) -> str:
    if value is None:
        return ""
    if type(value) is dt.date:  # a datetime is a date too; Babel moves it to Seoul first
        return f"{value.year:04d}-{value.month:02d}-{value.day:02d}"
    return format_date(value, "yyyy-MM-dd")


def _translations() -> NullTranslations:
    """Flask-Babel's translations for this request, looked up once per locale.

    Flask-Babel resolves the context, domain and locale again for every message; a page has
    dozens. The result is kept beside Flask-Babel's own per-request locale and reused only
    while that very locale object is current, so `refresh()` and `force_locale()` still work.
    """
    try:
        babel_context = g._flask_babel
        if babel_context.portal_translations[0] is babel_context.babel_locale:
            return babel_context.portal_translations[1]
    except (AttributeError, RuntimeError):  # nothing cached yet, or no app context
        pass
    translations = get_translations()
    babel_context = getattr(g, "_flask_babel", None) if g else None
    locale = getattr(babel_context, "babel_locale", None)
    if locale is not None:
        babel_context.portal_translations = (locale, translations)
    return translations


def _install_gettext(app: Flask) -> None:
    # The same callables Flask-Babel installs (newstyle, so Jinja still escapes and formats
    # the same way), only with the translations looked up through the per-request cache.
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: _translations().ugettext(s),
        ngettext=lambda s, p, n: _translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: _translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _translations().unpgettext(c, s, p, n),
    )
    # Templates call `_` dozens of times per page; Jinja's alias for it goes through two more
    # context calls (alias → newstyle wrapper → callable) to do what this does directly.
    app.jinja_env.globals["_"] = _template_gettext


@pass_context
def _template_gettext(context: Context, string: str, /, **variables: Any) -> str:
    """Jinja's newstyle `_()`: translate, mark safe under autoescape, always %-format."""
    # The page's translations, looked up once by the context processor below; a template
    # whose context does not have them (a macro imported without context) asks Babel.
    gettext = context.parent.get(_GETTEXT_KEY) or _translations().ugettext
    translated = gettext(string)
    if context.eval_ctx.autoescape:
        translated = Markup(translated)  # noqa: S704 - the catalogue is trusted, as in Jinja
    if not variables and "%" not in translated:
        return translated  # what `% {}` would give back, without formatting (most calls)
    return translated % variables


_GETTEXT_KEY = "_portal_gettext"
_TEXTS_NAME = "_portal_texts"


class PageTexts(dict):
    """The templates' fixed strings in one language, each translated once per process.

    ``_("literal")`` in a template is compiled into a lookup here (see
    :class:`LiteralCalls`); a miss translates the string exactly as :func:`_template_gettext`
    does with no variables under autoescape, and keeps the result. One per translations
    object, so a language never sees another's text.
    """

    __slots__ = ("_gettext",)

    def __init__(self, gettext: Callable[[str], str]) -> None:
        super().__init__()
        self._gettext = gettext

    def __missing__(self, string: str) -> Markup:
        translated = Markup(self._gettext(string))  # noqa: S704 - the catalogue is trusted
        if "%" in translated:
            translated = translated % {}  # "%%" becomes "%", as the formatting call gives
        self[string] = translated
        return translated


def page_texts() -> PageTexts:
    """This request's language's :class:`PageTexts` (kept on Flask-Babel's translations)."""
    translations = _translations()
    texts = getattr(translations, "_portal_page_texts", None)
    if texts is None:
        texts = PageTexts(translations.ugettext)
        translations._portal_page_texts = texts
    return texts


class _CurrentPageTexts:
    """The global fallback for templates rendered without the context processor's value
    (a macro imported without context): looks up the current language on every use."""

    def __getitem__(self, string: str) -> Markup:
        return page_texts()[string]


class KnownUrls(dict):
    """URLs of ``url_for("endpoint", name="value", ...)`` calls written with literals only,
    each built once per process and served prefix (see :class:`LiteralCalls`). The key is
    the call's strings in order: the endpoint, then each name and its value."""

    __slots__ = ("_build",)

    def __init__(self, build: Callable[..., str]) -> None:
        super().__init__()
        self._build = build

    def __missing__(self, key: tuple[str, ...]) -> str:
        url = self._build(key[0], **dict(zip(key[1::2], key[2::2], strict=True)))
        self[key] = url
        return url


_KNOWN_URLS_KEY = "portal_known_urls"


def known_urls() -> KnownUrls:
    """This request's :class:`KnownUrls`: one per prefix the portal is served under."""
    by_prefix: dict = current_app.extensions.setdefault(_KNOWN_URLS_KEY, {})
    prefix = request.script_root
    urls = by_prefix.get(prefix)
    if urls is None:
        urls = by_prefix[prefix] = KnownUrls(current_app.url_for)
    return urls


class _UrlsBuiltNow:
    """The global fallback (outside a request, as for mail, or without the page context):
    every URL is built on the spot, as ``url_for`` would."""

    def __getitem__(self, key: tuple[str, ...]) -> str:
        return current_app.jinja_env.globals["url_for"](
            key[0], **dict(zip(key[1::2], key[2::2], strict=True))
        )


_URLS_NAME = "_portal_urls"


class LiteralCalls(Extension):
    """Compiles ``_("a literal")`` into ``_portal_texts["a literal"]``, and
    ``url_for("endpoint", name="value")`` with literals only into a lookup in
    ``_portal_urls``, in autoescaped templates.

    A page calls ``_`` dozens of times and ``url_for`` a dozen or more; each call went through
    Jinja's context call and the work behind it (the translations lookup and a new Markup,
    or the URL cache's checks) for a result that never changes within a language or a
    served prefix. Other calls (with variables, a relative endpoint, an option such as
    ``_external``), and templates without autoescape (where ``_`` must stay a plain
    string), are left as they are. Message extraction reads the template source, so it
    still finds every ``_()``.
    """

    def filter_stream(self, stream: TokenStream) -> Any:
        autoescape = self.environment.autoescape
        if not (autoescape(stream.name) if callable(autoescape) else autoescape):
            yield from stream
            return
        previous = None
        while not stream.eos:
            token = next(stream)
            if (
                token.type == "name"
                and token.value in ("_", "url_for")
                and (previous is None or previous.type != "dot")
                and stream.current.type == "lparen"
            ):
                consumed, literals = _read_literal_call(stream, keywords=token.value == "url_for")
                if literals is not None and token.value == "_" and len(literals) == 1:
                    yield from _lookup(token, _TEXTS_NAME, literals[0], as_tuple=False)
                elif literals is not None and token.value == "url_for" and _plain_url(literals):
                    yield from _lookup(token, _URLS_NAME, *literals, as_tuple=True)
                else:
                    yield token
                    yield from consumed
                previous = consumed[-1]
                continue
            yield token
            previous = token
        yield from stream


def _read_literal_call(
    stream: TokenStream, *, keywords: bool
) -> tuple[list[Token], list[str] | None]:
    """Consume ``("a")``, or with keywords ``("a", name="b", ...)``; return the tokens taken
    and the strings in order, or None for the strings at the first token that does not fit
    (left in the stream)."""
    consumed = [next(stream)]  # the "("
    literals: list[str] = []
    if stream.current.type != "string":
        return consumed, None
    consumed.append(next(stream))
    literals.append(consumed[-1].value)
    while stream.current.type != "rparen":
        if not (keywords and stream.current.type == "comma" and stream.look().type == "name"):
            return consumed, None
        consumed.append(next(stream))  # ","
        consumed.append(next(stream))  # the name
        literals.append(consumed[-1].value)
        if stream.current.type != "assign":
            return consumed, None
        consumed.append(next(stream))
        if stream.current.type != "string":
            return consumed, None
        consumed.append(next(stream))
        literals.append(consumed[-1].value)
    consumed.append(next(stream))  # the ")"
    return consumed, literals


def _plain_url(literals: list[str]) -> bool:
    endpoint, names = literals[0], literals[1::2]
    return not endpoint.startswith(".") and not any(name.startswith("_") for name in names)


def _lookup(at: Token, mapping: str, *key: str, as_tuple: bool) -> list[Token]:
    """``mapping["key"]``, or ``mapping[("a", "b",)]`` (a tuple, even of one string)."""
    line = at.lineno
    tokens = [Token(line, "name", mapping), Token(line, "lbracket", "[")]
    if not as_tuple:
        tokens.append(Token(line, "string", key[0]))
    else:
        tokens.append(Token(line, "lparen", "("))
        for part in key:
            tokens += [Token(line, "string", part), Token(line, "comma", ",")]
        tokens.append(Token(line, "rparen", ")"))
    tokens.append(Token(line, "rbracket", "]"))
    return tokens


_URLS_KEPT = 4096  # URLs remembered per process; past it, start over
_PLAIN_URL_VALUES = (str, int)


def _install_url_for(app: Flask) -> None:
    """Templates' url_for, remembering each URL built from plain values in this process.

    A page builds a dozen or more URLs (the layout's stylesheets and scripts, its forms, a
    link per card); each goes through Werkzeug's rule matching. A URL without a host part
    depends only on the endpoint, the values and the prefix the portal is served under, so
    the same call gives the same text on every page. Calls with options (``_external``,
    ``_anchor``...), relative endpoints (".name") or other kinds of value are built as usual,
    and so are calls outside a request (mail), whose URLs are absolute.
    """
    build = app.url_for
    urls: dict[tuple, str] = {}

    def url_for(endpoint: str, /, **values: Any) -> str:
        if not has_request_context() or endpoint[:1] == ".":
            return build(endpoint, **values)
        for name, value in values.items():
            if name[:1] == "_" or type(value) not in _PLAIN_URL_VALUES:
                return build(endpoint, **values)
        key = (request.script_root, endpoint, *values.items())
        url = urls.get(key)
        if url is None:
            url = build(endpoint, **values)
            if len(urls) >= _URLS_KEPT:
                urls.clear()
            urls[key] = url
        return url

    app.jinja_env.globals["url_for"] = url_for


def init_app(app: Flask) -> None:
    """Filters, the cached gettext callables and the common template context (after Babel)."""
    _install_gettext(app)
    _install_url_for(app)
    app.jinja_env.add_extension(LiteralCalls)
    app.jinja_env.globals[_TEXTS_NAME] = _CurrentPageTexts()
    app.jinja_env.globals[_URLS_NAME] = _UrlsBuiltNow()
    # After CSRFProtect.init_app, whose own global this replaces.
    app.jinja_env.globals["csrf_token"] = csrf_token
    app.jinja_env.filters["seoul_datetime"] = seoul_datetime
    app.jinja_env.filters["seoul_date"] = seoul_date
    app.jinja_env.filters["hours"] = hours_text
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    @app.context_processor
    def _globals():
        locale = str(get_locale() or "ko")
        return {
            _GETTEXT_KEY: _translations().ugettext,
            _TEXTS_NAME: page_texts(),
            _URLS_NAME: known_urls() if has_request_context() else _UrlsBuiltNow(),
            # Flask-WTF's context processor hands templates its own csrf_token; this one runs
            # after it, so the signed-once token of portal.core.forms wins.
            "csrf_token": csrf_token,
            "navigation": _navigation(locale),
            "current_locale": locale,
            "role_labels": ROLE_LABELS,
            "idle_warning_seconds": current_app.config["SESSION_IDLE_WARNING_SECONDS"],
            "current_path": request.full_path.rstrip("?") if request else "/",
        }
