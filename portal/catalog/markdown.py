"""Course descriptions from courses/*.md rendered to safe HTML for the course pages.

The curriculum is reviewed data, but it is still rendered as if it were untrusted:
raw HTML in the Markdown is shown as text, and the HTML that Markdown produces is
cleaned again with an allow-list (headings, paragraphs, lists, tables, code, links)
by nh3, the Python binding of the Rust sanitiser ammonia.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as etree
from functools import lru_cache

import markdown as markdown_lib
import nh3
from markdown.inlinepatterns import InlineProcessor
from markdown.util import AtomicString
from markupsafe import Markup

ALLOWED_TAGS = frozenset(
    {
        "h1", "h2", "h3", "h4", "h5", "h6",
        "p", "br", "hr", "blockquote",
        "ul", "ol", "li", "dl", "dt", "dd",
        "strong", "em", "b", "i", "code", "pre", "kbd", "sub", "sup",
        "table", "thead", "tbody", "tr", "th", "td",
        "a",
    }
)  # fmt: skip
# "rel" is not listed: nh3 sets it on every link itself (LINK_REL) and drops the source's.
ALLOWED_ATTRIBUTES = {
    "a": frozenset({"href", "title"}),
    "th": frozenset({"align"}),
    "td": frozenset({"align"}),
    "ol": frozenset({"start"}),
}
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})
LINK_REL = "noopener noreferrer"
# Elements removed together with their text; any other disallowed tag is dropped and its
# text kept (Markdown has already turned raw HTML from the source into text).
DROP_WITH_CONTENT = frozenset({"script", "style"})

# Tables scroll inside KRDS's wrapper, so a course page still works 360 px wide.
_TABLE_OPEN = '<div class="krds-table-wrap"><table class="tbl data">'
_TABLE_CLOSE = "</table></div>"

# A bare http(s):// or www. address in running text. ASCII URL characters only, so a
# Korean particle written straight after the address ("https://example.org에서") is not
# swallowed; trailing punctuation and unbalanced closing brackets are trimmed below.
_BARE_URL = r"(?<![\w/@.:%-])((?:https?://|www\.)[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+)"
_TRAILING = ".,;:!?'\"*_"


def _trim(url: str) -> str:
    """Drop sentence punctuation and closing brackets that the address did not open."""
    closers = {")": "(", "]": "["}
    while url:
        last = url[-1]
        opener = closers.get(last)
        unbalanced = opener is not None and url.count(last) > url.count(opener)
        if last not in _TRAILING and not unbalanced:
            break
        url = url[:-1]
    return url


class _BareUrlProcessor(InlineProcessor):
    """Bare addresses in text become links; code spans and blocks are already stashed."""

    ANCESTOR_EXCLUDES = ("a", "code", "pre")

    def handleMatch(self, m: re.Match[str], data: str):  # Markdown names it so
        url = _trim(m.group(1))
        if "." not in url.split("//", 1)[-1].split("/", 1)[0]:
            return None, None, None  # "https://" alone or a host without a dot
        link = etree.Element("a")
        link.set("href", url if url.startswith("http") else f"https://{url}")
        link.text = AtomicString(url)
        return link, m.start(1), m.start(1) + len(url)


def _markdown() -> markdown_lib.Markdown:
    md = markdown_lib.Markdown(
        extensions=["tables", "sane_lists", "fenced_code"],
        # align="..." rather than style="text-align: ...": the CSP forbids inline styles.
        extension_configs={"tables": {"use_align_attribute": True}},
        output_format="html",
    )
    # Raw HTML in the source is shown as text instead of being passed through.
    md.preprocessors.deregister("html_block")
    md.inlinePatterns.deregister("html")
    # After Markdown's own links and <autolinks> (priority 120), before emphasis.
    md.inlinePatterns.register(_BareUrlProcessor(_BARE_URL, md), "bare_url", 115)
    return md


def sanitise_html(html: str) -> str:
    """HTML → HTML with only the allow-listed tags, attributes and URL schemes left."""
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        clean_content_tags=set(DROP_WITH_CONTENT),
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(ALLOWED_PROTOCOLS),
        link_rel=LINK_REL,
        strip_comments=True,
    )


@lru_cache(maxsize=256)
def render_markdown(text: str) -> Markup:
    """Markdown → sanitised HTML: headings, lists, tables and links kept; scripts and on* dropped."""
    html = sanitise_html(_markdown().convert(text or ""))
    # After cleaning, a literal "<table>" can only be a real tag: text is escaped as &lt;.
    html = html.replace("<table>", _TABLE_OPEN).replace("</table>", _TABLE_CLOSE)
    return Markup(html)  # noqa: S704 - sanitised above
