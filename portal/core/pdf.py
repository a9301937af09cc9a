"""PDF documents with Korean text (certificates, sign-in sheets), drawn with fpdf2.

The fonts are Nanum Myeongjo (serif, for certificates) and Nanum Gothic (sans, for
tables), TrueType files under the SIL Open Font License that `make setup` copies from
npm packages into portal/static/vendor/fonts. Nothing depends on fonts installed on
the server; when the files are missing the portal says which command installs them.
"""

from __future__ import annotations

from pathlib import Path

from fpdf import FPDF

from portal.paths import ROOT

FONT_DIR = ROOT / "portal" / "static" / "vendor" / "fonts"

SERIF = "NanumMyeongjo"
SANS = "NanumGothic"


class FontsMissing(RuntimeError):
    """The Korean fonts were not installed (run `make setup`)."""


def font_file(family: str, style: str = "Regular") -> Path:
    path = FONT_DIR / f"{family}-{style}.ttf"
    if not path.is_file():
        raise FontsMissing(f"{path} is missing; run `make setup` to install the PDF fonts")
    return path


def korean_pdf(orientation: str = "portrait") -> FPDF:
    """An A4 document with both Korean families (regular and bold) registered."""
    pdf = FPDF(orientation=orientation, unit="mm", format="A4")
    for family in (SERIF, SANS):
        pdf.add_font(family, "", str(font_file(family, "Regular")))
        pdf.add_font(family, "B", str(font_file(family, "Bold")))
    pdf.set_creator("AI training portal")
    return pdf


def to_bytes(pdf: FPDF) -> bytes:
    return bytes(pdf.output())
