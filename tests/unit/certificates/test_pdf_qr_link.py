"""The certificate's QR code is also a link: the annotation's URI is exactly what the QR
encodes, so a PDF viewer (or a program) reaches the same verification page as a camera."""

from __future__ import annotations

import io

from pypdf import PdfReader

from portal.certificates import pdf

CONTENT = {
    "number": "SJ-AI-2026-000042-7KQ2",
    "name": "김수료",
    "department": "디지털정책과",
    "course_title": "신규 공무원 생성형 AI 필수 과정",
    "round_number": 3,
    "starts_on": "2026-12-01",
    "ends_on": "2026-12-01",
    "hours": "4",
    "issued_on": "2026-12-02",
    "issuer": "세종특별자치시장",
}


def _link_uris(data: bytes) -> list[tuple[str, list[float]]]:
    page = PdfReader(io.BytesIO(data)).pages[0]
    found = []
    for ref in page.get("/Annots") or []:
        annotation = ref.get_object()
        if annotation.get("/Subtype") == "/Link" and "/A" in annotation:
            action = annotation["/A"].get_object()
            if action.get("/S") == "/URI":
                found.append((str(action["/URI"]), [float(v) for v in annotation["/Rect"]]))
    return found


def test_the_qr_code_links_to_exactly_the_url_it_encodes(monkeypatch):
    # An address with a port: the link must carry the same string, not a rebuilt one.
    url = "https://edu.example.go.kr:8443/verify/SJ-AI-2026-000042-7KQ2"
    encoded = []
    real_make = pdf.segno.make

    def spy(content, **kwargs):
        encoded.append(content)
        return real_make(content, **kwargs)

    monkeypatch.setattr(pdf.segno, "make", spy)
    data = pdf.render(pdf.Document(dict(CONTENT), url))

    assert encoded == [url]
    links = _link_uris(data)
    assert [uri for uri, _rect in links] == encoded
    # The link covers the printed code (bottom left of an A4 page, 28 mm square).
    x0, y0, x1, y1 = links[0][1]
    mm = 72 / 25.4
    assert abs((x1 - x0) - 28 * mm) < 0.5 and abs((y1 - y0) - 28 * mm) < 0.5
    assert x0 < 105 * mm and y1 < 60 * mm  # PDF y grows upwards: near the bottom


def test_every_certificate_in_a_zip_links_to_its_own_url():
    import zipfile

    documents = [
        pdf.Document(
            {**CONTENT, "number": number, "name": name}, f"http://localhost/verify/{number}"
        )
        for number, name in (
            ("SJ-AI-2026-000001-AAAA", "가나다"),
            ("SJ-AI-2026-000002-BBBB", "라마바"),
        )
    ]
    with zipfile.ZipFile(io.BytesIO(pdf.render_zip(documents))) as archive:
        by_name = {name: archive.read(name) for name in archive.namelist()}
    for document in documents:
        (body,) = [data for name, data in by_name.items() if document.content["number"] in name]
        assert [uri for uri, _rect in _link_uris(body)] == [document.verify_url]
