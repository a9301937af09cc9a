"""render_markdown: course descriptions become safe HTML that keeps their structure."""

from __future__ import annotations

from html.parser import HTMLParser

from markupsafe import Markup

from portal.catalog.markdown import ALLOWED_TAGS, render_markdown


class _Tags(HTMLParser):
    """Every element and its attributes, as a browser would see them."""

    def __init__(self) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))


def elements(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Tags()
    parser.feed(str(html))
    return parser.elements


def tags(html: str) -> list[str]:
    return [tag for tag, _attrs in elements(html)]


def test_script_tags_in_the_source_never_become_elements():
    html = render_markdown(
        "안내\n\n<script>alert('x')</script>\n\n<SCRIPT src=//evil.example></SCRIPT>"
    )
    assert "script" not in tags(html)
    assert "<script" not in html.lower()


def test_event_handler_attributes_never_reach_an_element():
    source = (
        '<a href="https://example.org" onclick="steal()">링크</a>\n\n'
        '<img src="x" onerror="steal()">\n\n'
        '[제목](https://example.org "t\\" onmouseover=\\"steal()")\n\n'
        '<p onmouseover="steal()">문단</p>'
    )
    html = render_markdown(source)
    for tag, attrs in elements(html):
        assert tag in ALLOWED_TAGS | {"div"}
        assert not [name for name in attrs if name.startswith("on")], (tag, attrs)
    assert "img" not in tags(html)


def test_javascript_links_lose_their_href():
    html = render_markdown("[눌러 보세요](javascript:alert(1))")
    links = [attrs for tag, attrs in elements(html) if tag == "a"]
    assert links and all("href" not in attrs for attrs in links)


def test_headings_lists_and_emphasis_are_kept():
    html = render_markdown(
        "## 배우는 내용\n\n### 1교시\n\n- 하나\n- **둘**\n\n1. 첫째\n2. 둘째\n\n`코드`"
    )
    found = tags(html)
    for tag in ("h2", "h3", "ul", "ol", "li", "strong", "code"):
        assert tag in found
    assert "<h2>배우는 내용</h2>" in html


def test_tables_are_kept_and_wrapped_so_they_scroll_on_small_screens():
    html = render_markdown("| 시간 | 내용 |\n|:--|--:|\n| 14:00–14:50 | 1교시 |")
    assert '<div class="krds-table-wrap"><table class="tbl data">' in html
    assert html.count("</table></div>") == 1
    for tag in ("thead", "tbody", "tr", "th", "td"):
        assert tag in tags(html)
    # Alignment uses the align attribute: the CSP forbids inline styles.
    assert "style=" not in html
    assert ("th", {"align": "left"}) in elements(html)


def test_links_keep_their_href_and_get_rel_noopener():
    html = render_markdown("[공공데이터포털](https://www.data.go.kr) 참고")
    links = [attrs for tag, attrs in elements(html) if tag == "a"]
    assert links == [{"href": "https://www.data.go.kr", "rel": "noopener noreferrer"}]


def test_bare_urls_become_links_outside_code_blocks():
    html = render_markdown("자료: https://www.data.go.kr\n\n```\nhttps://not-a-link.example\n```")
    links = [attrs["href"] for tag, attrs in elements(html) if tag == "a"]
    assert links == ["https://www.data.go.kr"]


def test_the_result_is_markup_and_empty_text_renders_nothing():
    assert isinstance(render_markdown("**굵게**"), Markup)
    assert render_markdown("") == Markup("")
