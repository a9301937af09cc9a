"""build_docx: a sandbox draft becomes a government-style report that Word can open."""

from __future__ import annotations

import datetime
import io
import zipfile

import pytest
from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.text.paragraph import Paragraph

from portal.assistant.review.export import (
    BODY_FONT,
    ExportMeta,
    build_docx,
    clean_text,
    date_notation,
    download_filename,
)

DISCLOSURE = (
    "이 문서는 생성형 AI(연습 코치)의 도움을 받아 작성했으며, "
    "사실·수치를 원 자료와 대조해 검증했습니다."
)

DRAFT = (
    "□ 추진배경\n"
    " ○ 생성형 AI 활용 수요 증가\n"
    "  - 중앙부처 시범 운영 결과 업무시간 20% 절감\n"
    "  ※ 출처: 행정안전부(2025)\n"
    "\n"
    "□ 추진계획\n"
    "1. 교육과정 개설\n"
    "가. 기본과정(4시간)\n"
    "  · 실습 위주 운영\n"
    "일반 문장은 그대로 둔다."
)


def make_meta(**changes: object) -> ExportMeta:
    values: dict[str, object] = {
        "title": "생성형 AI 역량강화 교육 추진계획",
        "doc_type_name": "기획보고서",
        "department": "디지털정책과",
        "author": "홍길동 주무관",
        "date": datetime.date(2026, 11, 27),
        "ai_disclosure": DISCLOSURE,
        "ai_share_percent": None,
    }
    values.update(changes)
    return ExportMeta(**values)  # type: ignore[arg-type]


def export(draft: str = DRAFT, **changes: object) -> DocxDocument:
    data = build_docx(make_meta(**changes), [{"text": draft, "ai": False}])
    return Document(io.BytesIO(data))


def body_paragraphs(document: DocxDocument) -> list[Paragraph]:
    """The draft's paragraphs: after the title and date line, before the disclosure."""
    return document.paragraphs[2:-1]


def run_size(paragraph: Paragraph) -> float:
    sizes = {run.font.size.pt for run in paragraph.runs}
    assert len(sizes) == 1
    return sizes.pop()


def start(paragraph: Paragraph) -> int:
    """Where the first line of a paragraph begins (left indent plus first-line indent)."""
    fmt = paragraph.paragraph_format
    return (fmt.left_indent or 0) + (fmt.first_line_indent or 0)


def by_text(document: DocxDocument, text: str) -> Paragraph:
    matches = [p for p in document.paragraphs if p.text == text]
    assert len(matches) == 1, text
    return matches[0]


def has_box(paragraph: Paragraph) -> bool:
    ppr = paragraph._p.pPr
    borders = None if ppr is None else ppr.find(qn("w:pBdr"))
    if borders is None:
        return False
    return all(borders.find(qn(f"w:{side}")) is not None for side in ("top", "bottom"))


def test_title_is_centred_bold_18pt_in_a_box():
    document = export()
    title = document.paragraphs[0]
    assert title.text == "생성형 AI 역량강화 교육 추진계획"
    assert title.alignment == WD_ALIGN_PARAGRAPH.CENTER
    assert all(run.bold for run in title.runs)
    assert run_size(title) == 18
    assert has_box(title)


def test_title_is_one_line_even_if_typed_with_newlines():
    document = export(title="첫 줄\n 둘째 줄\x07")
    assert document.paragraphs[0].text == "첫 줄 둘째 줄"


def test_date_line_is_right_aligned_with_department_and_author():
    document = export()
    line = document.paragraphs[1]
    assert line.alignment == WD_ALIGN_PARAGRAPH.RIGHT
    assert line.text == "2026. 11. 27.  디지털정책과 홍길동 주무관"


def test_date_line_without_department_or_author_is_just_the_date():
    document = export(department="", author="", date=datetime.date(2026, 3, 5))
    assert document.paragraphs[1].text == "2026. 3. 5."


def test_date_notation_has_no_leading_zeros():
    assert date_notation(datetime.date(2026, 11, 27)) == "2026. 11. 27."
    assert date_notation(datetime.date(2027, 1, 9)) == "2027. 1. 9."


def test_every_body_line_appears_in_order():
    document = export()
    expected = [line.strip() for line in DRAFT.split("\n")]
    assert [p.text for p in body_paragraphs(document)] == expected


def test_segments_are_concatenated_before_lines_are_split():
    segments = [
        {"text": "□ 현황", "ai": False},
        {"text": " 및 문제점\n ○ 교육", "ai": True},
        {"text": " 이수율 저조\n", "ai": False},
    ]
    document = Document(io.BytesIO(build_docx(make_meta(), segments)))
    assert [p.text for p in body_paragraphs(document)] == [
        "□ 현황 및 문제점",
        "○ 교육 이수율 저조",
        "",
    ]


def test_ai_text_is_not_highlighted_the_disclosure_covers_it():
    def document_xml(ai: bool) -> bytes:
        data = build_docx(make_meta(), [{"text": DRAFT, "ai": ai}])
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return archive.read("word/document.xml")

    assert document_xml(True) == document_xml(False)
    assert b"w:highlight" not in document_xml(True)


def test_square_lines_are_bold_and_others_are_not():
    document = export()
    for paragraph in body_paragraphs(document):
        if not paragraph.text:
            continue
        bold = all(run.bold for run in paragraph.runs)
        assert bold == paragraph.text.startswith("□"), paragraph.text


def test_font_sizes_follow_the_hierarchy():
    document = export()
    assert run_size(by_text(document, "□ 추진배경")) == 15
    assert run_size(by_text(document, "○ 생성형 AI 활용 수요 증가")) == 15
    assert run_size(by_text(document, "- 중앙부처 시범 운영 결과 업무시간 20% 절감")) == 13
    assert run_size(by_text(document, "일반 문장은 그대로 둔다.")) == 13
    assert run_size(by_text(document, "※ 출처: 행정안전부(2025)")) < 13


def test_every_run_names_the_body_font_for_east_asian_text_too():
    document = export()
    runs = [run for p in document.paragraphs for run in p.runs]
    runs += [run for p in document.sections[0].footer.paragraphs for run in p.runs]
    assert runs
    for run in runs:
        fonts = run._r.rPr.rFonts
        assert fonts.get(qn("w:eastAsia")) == BODY_FONT
        assert fonts.get(qn("w:ascii")) == BODY_FONT
        assert fonts.get(qn("w:hAnsi")) == BODY_FONT


def test_document_defaults_use_the_body_font_without_theme_fonts():
    document = export()
    fonts = document.styles.element.find(qn("w:docDefaults")).find(".//" + qn("w:rFonts"))
    assert fonts.get(qn("w:eastAsia")) == BODY_FONT
    assert fonts.get(qn("w:asciiTheme")) is None
    assert fonts.get(qn("w:eastAsiaTheme")) is None


def test_indentation_grows_with_the_hierarchy():
    document = export()
    square = by_text(document, "□ 추진배경")
    circle = by_text(document, "○ 생성형 AI 활용 수요 증가")
    dash = by_text(document, "- 중앙부처 시범 운영 결과 업무시간 20% 절감")
    dot = by_text(document, "· 실습 위주 운영")
    assert start(square) < start(circle) < start(dash) < start(dot)
    left = [p.paragraph_format.left_indent for p in (square, circle, dash, dot)]
    assert left == sorted(left) and len(set(left)) == 4
    # Hanging indent: wrapped lines align after the mark.
    for paragraph in (square, circle, dash, dot):
        assert paragraph.paragraph_format.first_line_indent < 0


def test_a_note_sits_one_level_deeper_than_the_item_before_it():
    document = export("□ 제목\n※ 제목 주석\n ○ 항목\n ※ 항목 주석")
    square_note = by_text(document, "※ 제목 주석")
    circle = by_text(document, "○ 항목")
    circle_note = by_text(document, "※ 항목 주석")
    assert start(by_text(document, "□ 제목")) < start(square_note)
    assert start(circle) < start(circle_note)
    assert start(square_note) < start(circle_note)


def test_numbering_and_plain_lines_are_kept_as_typed_without_auto_numbering():
    document = export()
    for text in ("1. 교육과정 개설", "가. 기본과정(4시간)", "일반 문장은 그대로 둔다."):
        paragraph = by_text(document, text)
        assert paragraph._p.pPr is None or paragraph._p.pPr.numPr is None
        assert not paragraph.paragraph_format.left_indent


def test_a_dash_without_a_space_is_not_a_bullet():
    document = export("-5% 감소\n- 항목")
    assert not by_text(document, "-5% 감소").paragraph_format.left_indent
    assert by_text(document, "- 항목").paragraph_format.left_indent > 0


def test_blank_lines_stay_as_empty_paragraphs():
    document = export("□ 하나\n\n\n□ 둘\n   \n○ 셋")
    texts = [p.text for p in body_paragraphs(document)]
    assert texts == ["□ 하나", "", "", "□ 둘", "", "○ 셋"]


def test_windows_line_endings_split_lines():
    document = export("□ 하나\r\n○ 둘\r- 셋")
    assert [p.text for p in body_paragraphs(document)] == ["□ 하나", "○ 둘", "- 셋"]


def test_footer_shows_the_page_number_through_a_page_field():
    document = export()
    footer = document.sections[0].footer
    assert not footer.is_linked_to_previous
    paragraph = footer.paragraphs[0]
    assert paragraph.alignment == WD_ALIGN_PARAGRAPH.CENTER
    instructions = [el.text.strip() for el in paragraph._p.iter(qn("w:instrText"))]
    assert instructions == ["PAGE"]
    kinds = [el.get(qn("w:fldCharType")) for el in paragraph._p.iter(qn("w:fldChar"))]
    assert kinds == ["begin", "separate", "end"]
    assert paragraph.text == "- 1 -"


def test_disclosure_is_the_last_paragraph_small_and_boxed():
    document = export()
    last = document.paragraphs[-1]
    assert last.text == DISCLOSURE
    assert run_size(last) == 10
    assert has_box(last)
    assert "%" not in last.text


def test_disclosure_shows_the_unedited_ai_share_when_given():
    last = export(ai_share_percent=37).paragraphs[-1]
    assert last.text.startswith(DISCLOSURE)
    assert "37%" in last.text
    assert "%%" not in last.text


def test_disclosure_shows_a_zero_share():
    assert "0%" in export(ai_share_percent=0).paragraphs[-1].text


@pytest.mark.parametrize("percent", [-1, 101, True])
def test_an_impossible_share_is_refused(percent):
    with pytest.raises(ValueError):
        export(ai_share_percent=percent)


def test_blank_disclosure_is_left_out_rather_than_an_empty_box():
    document = export("□ 끝", ai_disclosure="  ")
    assert document.paragraphs[-1].text == "□ 끝"


def test_control_characters_are_stripped():
    dirty = "□ 제목\x00\x01\x08\n ○ 항목\x0b\x0c\x0e\x1f끝\n - 탭\t유지\ud800"
    data = build_docx(
        make_meta(title="제목\x1b", department="과\x00", ai_disclosure=DISCLOSURE + "\x02"),
        [{"text": dirty, "ai": True}],
    )
    document = Document(io.BytesIO(data))
    assert document.paragraphs[0].text == "제목"
    assert document.paragraphs[1].text == "2026. 11. 27.  과 홍길동 주무관"
    assert [p.text for p in body_paragraphs(document)] == ["□ 제목", "○ 항목끝", "- 탭\t유지"]
    assert document.paragraphs[-1].text == DISCLOSURE


def test_clean_text_keeps_tab_newline_and_carriage_return():
    assert clean_text("a\tb\nc\rd\x00\x7f") == "a\tb\nc\rd\x7f"


def test_non_string_segment_text_is_refused():
    with pytest.raises(TypeError):
        build_docx(make_meta(), [{"text": None, "ai": False}])


def test_empty_draft_still_produces_a_valid_document():
    data = build_docx(make_meta(), [])
    assert zipfile.is_zipfile(io.BytesIO(data))
    document = Document(io.BytesIO(data))
    assert [p.text for p in document.paragraphs] == [
        "생성형 AI 역량강화 교육 추진계획",
        "2026. 11. 27.  디지털정책과 홍길동 주무관",
        DISCLOSURE,
    ]
    again = Document(io.BytesIO(build_docx(make_meta(), [{"text": "", "ai": False}])))
    assert len(again.paragraphs) == 3


def test_page_is_a4_portrait_with_report_margins():
    section = export().sections[0]
    assert section.page_width.mm == pytest.approx(210, abs=0.1)
    assert section.page_height.mm == pytest.approx(297, abs=0.1)
    assert section.top_margin.mm == pytest.approx(20, abs=0.1)
    assert section.bottom_margin.mm == pytest.approx(15, abs=0.1)
    assert section.left_margin.mm == pytest.approx(20, abs=0.1)
    assert section.right_margin.mm == pytest.approx(20, abs=0.1)
    assert section.footer_distance < section.bottom_margin


def test_core_properties_hold_title_and_subject_but_no_person():
    data = build_docx(make_meta(), [{"text": DRAFT, "ai": True}])
    props = Document(io.BytesIO(data)).core_properties
    assert props.title == "생성형 AI 역량강화 교육 추진계획"
    assert props.subject == "기획보고서"
    assert props.author == ""
    assert props.last_modified_by == ""
    assert props.comments == ""
    assert props.created == datetime.datetime(2026, 11, 27, tzinfo=datetime.UTC)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        core = archive.read("docProps/core.xml").decode()
    assert "lastModifiedBy" not in core
    assert "홍길동" not in core
    assert "python-docx" not in core


def test_a_large_draft_exports():
    line_block = (
        "□ 추진배경\n ○ 현황 및 문제점을 구체적인 수치와 함께 적는다\n  - 세부 내용 1,234건\n\n"
    )
    draft = line_block * (200_000 // len(line_block.encode()) + 1)
    assert len(draft.encode()) >= 200_000
    document = export(draft)
    body = body_paragraphs(document)
    assert len(body) == draft.count("\n") + 1
    assert body[0].text == "□ 추진배경"
    assert document.paragraphs[-1].text == DISCLOSURE


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        (
            "기획보고서: 2027년 공공자전거 이용 활성화 계획",
            "기획보고서 - 2027년 공공자전거 이용 활성화 계획.docx",
        ),
        ("번역(영→한): 자매도시 서한", "번역(영→한) - 자매도시 서한.docx"),
        ('"교육" 안내?', "교육 안내.docx"),
        ("a/b\\c|d", "a - b - c - d.docx"),
        ("제목\x00\r\n끝", "제목 끝.docx"),
        (":: ..", "draft.docx"),
        ("가" * 80, "가" * 60 + ".docx"),
    ],
)
def test_download_filename_keeps_names_browsers_accept(title, expected):
    assert download_filename(title) == expected


def test_a_markdown_table_becomes_a_table_with_a_bold_repeating_header():
    document = export("□ 현황\n| 항목 | 현황 |\n|---|:--|\n| 대여소 | 412개소 |\n○ 끝")
    assert len(document.tables) == 1
    rows = document.tables[0].rows
    assert [cell.text for cell in rows[0].cells] == ["항목", "현황"]
    assert [cell.text for cell in rows[1].cells] == ["대여소", "412개소"]
    assert rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None
    assert all(run.bold for run in rows[0].cells[0].paragraphs[0].runs)
    assert not any(run.bold for run in rows[1].cells[0].paragraphs[0].runs)
    texts = [p.text for p in body_paragraphs(export("| 항목 | 현황 |\n|---|:--|\n| a | b |"))]
    assert not any("|" in text for text in texts)


def test_pipes_without_a_separator_row_stay_text_as_typed():
    document = export("| 항목 | 현황 |\n| 대여소 | 412개소 |")
    assert document.tables == []
    assert [p.text for p in body_paragraphs(document)][:2] == [
        "| 항목 | 현황 |",
        "| 대여소 | 412개소 |",
    ]
