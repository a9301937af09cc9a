"""HWPX export: valid OWPML packages that read back as the draft, from the DOCX's layout description."""

from __future__ import annotations

import dataclasses
import datetime
import io
import re
import zipfile

import pytest
from docx import Document
from docx.oxml.ns import qn
from lxml import etree

from portal.assistant.content import load
from portal.assistant.review.export import docx_lines, write_docx
from portal.assistant.review.hwpx_export import (
    MIMETYPE,
    build_hwpx,
    hwpx_lines,
    validate_hwpx,
    write_hwpx,
)
from portal.assistant.review.layout import (
    Blank,
    ExportMeta,
    Fonts,
    Page,
    Paragraph,
    Table,
    describe,
    reading_lines,
)
from portal.catalog import sync
from portal.paths import ROOT

HP = "{http://www.hancom.co.kr/hwpml/2011/paragraph}"
HH = "{http://www.hancom.co.kr/hwpml/2011/head}"
HC = "{http://www.hancom.co.kr/hwpml/2011/core}"
PARSER = etree.XMLParser(resolve_entities=False, no_network=True)
SHIPPED = ROOT / "courses"
DOC_TYPE_FILES = sorted((SHIPPED / "_doctypes").glob("*.yml"))

DRAFT = (
    "□ 추진배경\n"
    " ○ 생성형 AI 활용 수요 증가\n"
    "  - 중앙부처 시범 운영 결과 업무시간 20% 절감\n"
    "  ※ 출처: 행정안전부(2025)\n"
    "\n"
    "| 연도 | 이용 건수 |\n"
    "|---|---:|\n"
    "| 2024년 | 196만 건 |\n"
    "| 2025년 | 191만 건 |\n"
    "□ 추진계획\n"
    "1. 교육과정 개설\n"
    "일반 문장은\t그대로 둔다."
)


def make_meta(**changes: object) -> ExportMeta:
    values: dict[str, object] = {
        "title": "생성형 AI 역량강화 교육 추진계획",
        "doc_type_name": "기획보고서",
        "department": "디지털정책과",
        "author": "홍길동 주무관",
        "date": datetime.date(2026, 11, 27),
        "ai_disclosure": "이 문서는 생성형 AI의 도움을 받아 작성했습니다.",
        "ai_share_percent": None,
    }
    values.update(changes)
    return ExportMeta(**values)  # type: ignore[arg-type]


def parts(data: bytes) -> dict[str, etree._Element]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {
            name: etree.fromstring(archive.read(name), PARSER)
            for name in archive.namelist()
            if name.endswith((".xml", ".hpf"))
        }


def para_pr(data: bytes, paragraph_text: str) -> etree._Element:
    """The ``paraPr`` of the body paragraph with this text (the default branch's margins)."""
    xml = parts(data)
    section, header = xml["Contents/section0.xml"], xml["Contents/header.xml"]
    for paragraph in section.findall(f"{HP}p"):
        text = "".join(t.text or "" for t in paragraph.findall(f"{HP}run/{HP}t"))
        if text == paragraph_text:
            ref = paragraph.get("paraPrIDRef")
            return next(p for p in header.iter(f"{HH}paraPr") if p.get("id") == ref)
    raise AssertionError(paragraph_text)


def margin(pr: etree._Element, name: str) -> int:
    """A margin value from the HwpUnitChar branch Hancom 2014+ reads."""
    return int(pr.find(f"{HP}switch/{HP}case/{HH}margin/{HC}{name}").get("value"))


# Every document type under courses/ ---------------------------------------------------------


@pytest.fixture(scope="module")
def shipped() -> load.ContentLoadResult:
    courses = sync.load_courses(SHIPPED)
    loaded = load.load_content(SHIPPED, {course.slug for course in courses.courses})
    assert loaded.ok, "\n".join(str(error) for error in loaded.errors)
    return loaded


def sample_draft(doc_type: load.DocTypeSource, loaded: load.ContentLoadResult) -> str:
    """A draft of the type: its sections as □/○/- lines, then each exercise's model answer
    and a table copied from its source material."""
    lines = []
    for section in doc_type.data["structure"]:
        lines.append(f"□ {section['title']}")
        lines.append(f"  ○ {section['hint']}")
        lines.extend(f"    - {keyword}" for keyword in section.get("keywords", [])[:2])
    for exercise in loaded.exercises:
        if exercise.doc_type_slug != doc_type.slug:
            continue
        lines.append("")
        lines.extend((exercise.data.get("model_answer") or "").splitlines())
        table = [
            line
            for line in exercise.data["source_material"].splitlines()
            if line.strip().startswith("|")
        ]
        lines.extend(table[:6])
    return "\n".join(lines)


def normalised(text: str) -> list[str]:
    """The draft's lines as a reader compares them: whitespace folded, the Markdown separator
    row of a table (markup, not text) left out."""
    out = []
    for line in text.split("\n"):
        folded = " ".join(line.split())
        if folded and re.fullmatch(r"\|(\s*:?-+:?\s*\|)+", folded):
            continue
        out.append(folded)
    return out


def test_every_shipped_document_type_is_covered(shipped):
    assert {path.stem for path in DOC_TYPE_FILES} == {d.slug for d in shipped.doc_types}
    assert len(DOC_TYPE_FILES) >= 6


@pytest.mark.parametrize("path", DOC_TYPE_FILES, ids=lambda path: path.stem)
def test_each_document_type_exports_valid_hwpx_that_reads_back_as_the_draft(path, shipped):
    doc_type = next(d for d in shipped.doc_types if d.slug == path.stem)
    draft = sample_draft(doc_type, shipped)
    meta = make_meta(title=f"{doc_type.name} 연습", doc_type_name=doc_type.name)
    layout = describe(meta, [{"text": draft, "ai": True}])
    data = write_hwpx(layout)

    assert validate_hwpx(data) == []
    lines = hwpx_lines(data)
    assert lines == reading_lines(layout)
    # The body (between the title block and the disclosure) is the draft's text.
    body = lines[2:-1]
    assert [" ".join(line.split()) for line in body] == normalised(draft)
    # The DOCX of the same description reads back the same.
    assert docx_lines(write_docx(layout)) == lines


def test_tables_from_the_source_material_become_tables_in_both_files(shipped):
    exercise = next(e for e in shipped.exercises if e.data["source_material"].count("|---") >= 2)
    table = [line for line in exercise.data["source_material"].splitlines() if line.startswith("|")]
    layout = describe(make_meta(), [{"text": "\n".join(table[:4])}])
    assert isinstance(layout.blocks[0], Table)
    section = parts(write_hwpx(layout))["Contents/section0.xml"]
    assert len(list(section.iter(f"{HP}tbl"))) == 1
    assert len(Document(io.BytesIO(write_docx(layout))).tables) == 1


# The HWPX layout ------------------------------------------------------------------------------


def test_hwpx_package_layout_and_metadata():
    data = build_hwpx(make_meta(), [{"text": DRAFT}])
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        first = archive.infolist()[0]
        assert first.filename == "mimetype" and first.compress_type == zipfile.ZIP_STORED
        assert archive.read("mimetype") == MIMETYPE.encode()
        content = archive.read("Contents/content.hpf").decode()
        preview = archive.read("Preview/PrvText.txt")
    assert "<opf:title>생성형 AI 역량강화 교육 추진계획</opf:title>" in content
    assert ">기획보고서<" in content and "2026-11-27T00:00:00Z" in content
    # No person in the properties, and nothing left from the library's skeleton.
    assert "홍길동" not in content and "synthetic" not in content and "author" not in content
    assert preview == b""


def test_hwpx_page_is_a4_portrait_with_report_margins():
    section = parts(build_hwpx(make_meta(), [{"text": DRAFT}]))["Contents/section0.xml"]
    page = next(section.iter(f"{HP}pagePr"))
    assert abs(int(page.get("width")) - 59528) <= 1 and abs(int(page.get("height")) - 84189) <= 1
    margins = page.find(f"{HP}margin")
    mm = 7200 / 25.4
    assert int(margins.get("left")) == round(20 * mm) == int(margins.get("right"))
    assert int(margins.get("top")) == round(20 * mm)
    assert int(margins.get("bottom")) == round(15 * mm)


def test_hwpx_body_font_is_humanmyeongjo_with_batang_as_fallback_for_every_run():
    xml = parts(build_hwpx(make_meta(), [{"text": DRAFT}]))
    header, section = xml["Contents/header.xml"], xml["Contents/section0.xml"]
    hangul = next(f for f in header.iter(f"{HH}fontface") if f.get("lang") == "HANGUL")
    font = next(f for f in hangul.findall(f"{HH}font") if f.get("face") == "휴먼명조")
    assert font.find(f"{HH}substFont").get("face") == "바탕"
    chars = {c.get("id"): c for c in header.iter(f"{HH}charPr")}
    for run in section.iter(f"{HP}run"):
        if run.find(f"{HP}t") is None or not "".join(run.find(f"{HP}t").itertext()):
            continue
        ref = chars[run.get("charPrIDRef")].find(f"{HH}fontRef")
        assert ref.get("hangul") == font.get("id"), run.find(f"{HP}t").text


def test_hwpx_hierarchy_has_hanging_indents_like_the_docx():
    data = build_hwpx(make_meta(), [{"text": DRAFT}])
    heading = para_pr(data, "□ 추진배경")
    item = para_pr(data, "○ 생성형 AI 활용 수요 증가")
    dash = para_pr(data, "- 중앙부처 시범 운영 결과 업무시간 20% 절감")
    plain = para_pr(data, "1. 교육과정 개설")
    # 한글: lines start at the left margin, a negative indent hangs the lines after the first.
    # The same numbers as the DOCX's w:ind (start + hang, hanging = hang), in HWPUNIT.
    assert margin(heading, "left") == 0
    assert margin(heading, "intent") == pytest.approx(-2250, abs=5)  # 1.5 em of 15 pt
    assert heading.find(f"{HH}breakSetting").get("keepWithNext") == "1"
    assert margin(item, "left") == pytest.approx(1500, abs=5)  # level 1: 15 pt
    assert margin(item, "intent") == pytest.approx(-2250, abs=5)
    assert margin(dash, "left") == pytest.approx(3000, abs=5)  # level 2
    assert margin(dash, "intent") == pytest.approx(-1300, abs=5)  # 1 em of 13 pt
    assert margin(plain, "left") == 0 and margin(plain, "intent") == 0


def test_hwpx_title_box_stamp_footer_and_disclosure():
    data = build_hwpx(make_meta(ai_share_percent=25), [{"text": DRAFT}])
    xml = parts(data)
    section = xml["Contents/section0.xml"]
    lines = hwpx_lines(data)
    assert lines[0] == "생성형 AI 역량강화 교육 추진계획"
    assert lines[1] == "2026. 11. 27.  디지털정책과 홍길동 주무관"
    assert lines[-1].startswith("이 문서는 생성형 AI의 도움") and "25%" in lines[-1]
    title = para_pr(data, "생성형 AI 역량강화 교육 추진계획")
    assert title.find(f"{HH}align").get("horizontal") == "CENTER"
    assert title.find(f"{HH}border").get("borderFillIDRef") != "2"  # a box, not the plain fill
    assert para_pr(data, lines[1]).find(f"{HH}align").get("horizontal") == "RIGHT"
    footer = next(section.iter(f"{HP}footer"))
    footer_text = "".join(t.text or "" for t in footer.iter(f"{HP}t"))
    assert footer_text == "-  -"
    assert next(footer.iter(f"{HP}autoNum")).get("numType") == "PAGE"


def test_hwpx_table_has_a_bold_repeating_header_row():
    data = build_hwpx(make_meta(), [{"text": DRAFT}])
    xml = parts(data)
    table = next(xml["Contents/section0.xml"].iter(f"{HP}tbl"))
    assert table.get("repeatHeader") == "1" and table.get("rowCnt") == "3"
    chars = {c.get("id"): c for c in xml["Contents/header.xml"].iter(f"{HH}charPr")}
    rows = table.findall(f"{HP}tr")
    head_run = rows[0].find(f".//{HP}run")
    body_run = rows[1].find(f".//{HP}run")
    assert chars[head_run.get("charPrIDRef")].find(f"{HH}bold") is not None
    assert chars[body_run.get("charPrIDRef")].find(f"{HH}bold") is None
    assert [" ".join(line.split()) for line in hwpx_lines(data)[7:10]] == [
        "| 연도 | 이용 건수 |",
        "| 2024년 | 196만 건 |",
        "| 2025년 | 191만 건 |",
    ]


def test_empty_draft_and_blank_disclosure_still_make_a_valid_hwpx():
    data = build_hwpx(make_meta(ai_disclosure=" "), [])
    assert validate_hwpx(data) == []
    assert hwpx_lines(data) == [
        "생성형 AI 역량강화 교육 추진계획",
        "2026. 11. 27.  디지털정책과 홍길동 주무관",
    ]


def test_control_characters_never_reach_the_hwpx():
    data = build_hwpx(make_meta(title="제목\x07"), [{"text": "○ 항목\x00\x1b 끝"}])
    assert validate_hwpx(data) == []
    assert hwpx_lines(data)[0] == "제목" and hwpx_lines(data)[2] == "○ 항목 끝"


def test_a_draft_of_thousands_of_lines_exports():
    line = "○ 생성형 AI 활용 수요 증가에 따른 교육 확대 필요\n  - 세부 내용 설명 문장\n"
    data = build_hwpx(make_meta(), [{"text": line * 1500}])
    assert len(hwpx_lines(data)) == 2 + 3000 + 1 + 1


# Our validator catches broken packages --------------------------------------------------------


def rebuild(data: bytes, *, change=None, drop=(), mimetype_compressed=False, order=None) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as source:
        entries = [(info.filename, source.read(info.filename)) for info in source.infolist()]
    if order:
        entries.sort(key=order)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for name, payload in entries:
            if name in drop:
                continue
            if change and name in change:
                payload = change[name](payload)
            stored = name == "mimetype" and not mimetype_compressed
            target.writestr(name, payload, zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED)
    return out.getvalue()


@pytest.mark.parametrize(
    ("breakage", "message"),
    [
        ({"drop": ("Contents/header.xml",)}, "missing part Contents/header.xml"),
        ({"mimetype_compressed": True}, "mimetype is compressed"),
        ({"order": lambda entry: entry[0] != "version.xml"}, "mimetype is not the first entry"),
        (
            {"change": {"Contents/section0.xml": lambda b: b.replace(b"</hs:sec>", b"")}},
            "not well-formed",
        ),
        (
            {
                "change": {
                    "Contents/section0.xml": lambda b: b.replace(
                        b'charPrIDRef="0"', b'charPrIDRef="999"', 1
                    )
                }
            },
            "charPrIDRef=999 is not defined",
        ),
    ],
)
def test_validation_reports_broken_packages(breakage, message):
    good = build_hwpx(make_meta(), [{"text": DRAFT}])
    problems = validate_hwpx(rebuild(good, **breakage))
    assert any(message in problem for problem in problems), problems


def test_validation_refuses_what_is_not_a_zip():
    assert validate_hwpx(b"not a zip") == ["not a ZIP archive"]


# One description, two files -------------------------------------------------------------------


def test_a_change_to_the_description_changes_both_files():
    layout = describe(make_meta(), [{"text": DRAFT}])
    changed = dataclasses.replace(
        layout,
        fonts=Fonts(body="바탕", fallback="굴림"),
        page=Page(left_mm=30),
        blocks=tuple(
            dataclasses.replace(block, start=block.start + 30)
            if isinstance(block, Paragraph) and block.kind == "item"
            else block
            for block in layout.blocks
        ),
    )
    before_docx, after_docx = (Document(io.BytesIO(write_docx(x))) for x in (layout, changed))
    before_hwpx, after_hwpx = (write_hwpx(x) for x in (layout, changed))

    # The body font.
    def docx_font(document) -> set[str]:
        return {fonts.get(qn("w:eastAsia")) for fonts in document.element.body.iter(qn("w:rFonts"))}

    assert docx_font(before_docx) == {"휴먼명조"} and docx_font(after_docx) == {"바탕"}
    faces = parts(after_hwpx)["Contents/header.xml"]
    hangul = next(f for f in faces.iter(f"{HH}fontface") if f.get("lang") == "HANGUL")
    face = next(f for f in hangul.findall(f"{HH}font") if f.get("face") == "바탕")
    assert face.find(f"{HH}substFont").get("face") == "굴림"

    # The left margin.
    assert round(before_docx.sections[0].left_margin.mm) == 20
    assert round(after_docx.sections[0].left_margin.mm) == 30
    for data, expected in ((before_hwpx, 20), (after_hwpx, 30)):
        page = next(parts(data)["Contents/section0.xml"].iter(f"{HP}pagePr"))
        assert int(page.find(f"{HP}margin").get("left")) == round(expected * 7200 / 25.4)

    # An indent: the ○ line moves 30 pt in both.
    item = "○ 생성형 AI 활용 수요 증가"

    def docx_left(document) -> int:
        paragraph = next(p for p in document.paragraphs if p.text == item)
        return paragraph.paragraph_format.left_indent.pt

    assert docx_left(after_docx) - docx_left(before_docx) == pytest.approx(30, abs=0.1)
    moved = margin(para_pr(after_hwpx, item), "left") - margin(para_pr(before_hwpx, item), "left")
    assert moved == pytest.approx(3000, abs=5)  # 30 pt in HWPUNIT


def test_blank_lines_and_plain_lines_are_described_once_for_both():
    layout = describe(make_meta(), [{"text": "첫 줄\n\n| a | b |\n| 줄 |"}])
    assert [type(block) for block in layout.blocks] == [Paragraph, Blank, Paragraph, Paragraph]
    assert hwpx_lines(write_hwpx(layout))[2:6] == ["첫 줄", "", "| a | b |", "| 줄 |"]
