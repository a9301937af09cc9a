"""render_markdown: course descriptions become safe HTML that keeps their structure."""

from __future__ import annotations

from html.parser import HTMLParser

from markupsafe import Markup

from portal.catalog.markdown import ALLOWED_TAGS, LINK_REL, render_markdown, sanitise_html


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


# The sanitiser on its own: what reaches it is Markdown's output, but it must hold even
# for HTML that Markdown would never produce.


def test_the_sanitiser_drops_script_and_style_together_with_their_content():
    html = sanitise_html("<p>앞</p><script>alert('x')</script><style>p{color:red}</style><p>뒤</p>")
    assert html == "<p>앞</p><p>뒤</p>"


def test_the_sanitiser_keeps_the_text_of_other_disallowed_tags_but_not_the_tags():
    html = sanitise_html(
        '<iframe src="https://evil.example">틀</iframe><img src=x onerror=y><u>밑줄</u>'
    )
    assert tags(html) == []
    assert html == "틀밑줄"


def test_the_sanitiser_refuses_every_non_web_scheme_however_it_is_spelled():
    for href in (
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        "java&#x09;script:alert(1)",
        " javascript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox(1)",
        "file:///etc/passwd",
    ):
        html = sanitise_html(f'<a href="{href}">링크</a>')
        assert [attrs.get("href") for _tag, attrs in elements(html)] == [None], href


def test_the_sanitiser_keeps_web_and_mail_links_and_sets_its_own_rel():
    html = sanitise_html(
        '<a href="https://example.org" rel="opener" target="_blank" title="설명">웹</a>'
        '<a href="mailto:edu@example.go.kr">메일</a>'
    )
    assert elements(html) == [
        ("a", {"href": "https://example.org", "title": "설명", "rel": LINK_REL}),
        ("a", {"href": "mailto:edu@example.go.kr", "rel": LINK_REL}),
    ]


def test_the_sanitiser_drops_comments_and_attributes_outside_the_allow_list():
    html = sanitise_html(
        '<p id="x" class="y" style="color:red">문단<!-- 메모 --></p><td align="right">1</td>'
    )
    assert "<!--" not in html and "메모" not in html
    assert elements(html)[0] == ("p", {})


def test_raw_html_in_the_source_is_shown_as_text_not_run():
    html = render_markdown('<b onclick="x()">굵게</b> 그리고 <!-- 메모 -->')
    assert tags(html) == ["p"]
    assert "&lt;b onclick=" in html


def test_bare_urls_stop_at_korean_text_and_unbalanced_brackets():
    html = render_markdown(
        "포털(https://www.data.go.kr)에서, www.example.org/a_b_c. "
        "https://ko.wikipedia.org/wiki/A_(b)와 https://example.org에서"
    )
    links = [attrs["href"] for tag, attrs in elements(html) if tag == "a"]
    assert links == [
        "https://www.data.go.kr",
        "https://www.example.org/a_b_c",
        "https://ko.wikipedia.org/wiki/A_(b)",
        "https://example.org",
    ]
    assert ")에서," in html


def test_bare_urls_are_not_linked_inside_links_or_code_spans():
    html = render_markdown("[https://a.example](https://b.example) `https://c.example` https://")
    assert [attrs["href"] for tag, attrs in elements(html) if tag == "a"] == ["https://b.example"]


def test_a_bare_javascript_address_is_never_linked():
    html = render_markdown("javascript:alert(1) 와 <javascript:alert(1)>")
    assert "href" not in html
