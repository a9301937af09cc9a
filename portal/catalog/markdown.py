"""Course descriptions from courses/*.md rendered to safe HTML for the course pages.

The curriculum is reviewed data, but it is still rendered as if it were untrusted:
raw HTML in the Markdown is shown as text, and the HTML that Markdown produces is
cleaned again with an allow-list (headings, paragraphs, lists, tables, code, links).
"""

from __future__ import annotations

from functools import lru_cache, partial

import markdown as markdown_lib
from bleach.linkifier import LinkifyFilter
from bleach.sanitizer import Cleaner
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
ALLOWED_ATTRIBUTES = {
    "a": ["href", "title", "rel"],
    "th": ["align"],
    "td": ["align"],
    "ol": ["start"],
}
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})
LINK_REL = "noopener noreferrer"

# Tables scroll inside KRDS's wrapper, so a course page still works 360 px wide.
_TABLE_OPEN = '<div class="krds-table-wrap"><table class="tbl data">'
_TABLE_CLOSE = "</table></div>"


def _set_rel(attrs: dict, new: bool = False) -> dict:
    attrs[(None, "rel")] = LINK_REL
    return attrs


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
    return md


def _clean(html: str) -> str:
    # A Cleaner per call: bleach documents its instances as not thread-safe.
    cleaner = Cleaner(
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        protocols=ALLOWED_PROTOCOLS,
        strip=True,
        strip_comments=True,
        # Bare URLs become links too; every link gets rel="noopener noreferrer".
        filters=[partial(LinkifyFilter, callbacks=[_set_rel], skip_tags=["pre", "code"])],
    )
    return cleaner.clean(html)


@lru_cache(maxsize=256)
def render_markdown(text: str) -> Markup:
    """Markdown → sanitised HTML: headings, lists, tables and links kept; scripts and on* dropped."""
    html = _clean(_markdown().convert(text or ""))
    # After cleaning, a literal "<table>" can only be a real tag: text is escaped as &lt;.
    html = html.replace("<table>", _TABLE_OPEN).replace("</table>", _TABLE_CLOSE)
    return Markup(html)  # noqa: S704 - sanitised above
