"""HWPX(한글) download of a sandbox draft: the DOCX's checklist, personal-data check and audit."""

from __future__ import annotations

from urllib.parse import quote

from sqlalchemy import select

from portal.assistant.models import Draft
from portal.assistant.review.hwpx_export import hwpx_lines, validate_hwpx
from portal.assistant.workspace import policy
from portal.audit.models import AuditEntry
from portal.db import db
from portal.users.models import Role
from tests.conftest import Auth

CHECKED = {"facts": "y", "figures": "y", "copyright": "y", "disclosure": "y"}
HWPX = {"hwpx": "HWPX(한글) 내려받기"}
DRAFT = "□ 추진배경\n○ 필요성\n| 연도 | 건수 |\n|---|---|\n| 2025년 | 191만 건 |"


def _token(client) -> str:
    return Auth(client).csrf("/practice/")


def _write(client, draft_id: int, text: str) -> None:
    response = client.post(
        f"/practice/w/{draft_id}/draft",
        json={"segments": [{"text": text, "ai": True}], "revision": 1},
        headers={"X-CSRFToken": _token(client)},
    )
    assert response.status_code == 200, response.get_data(as_text=True)


def _export(client, draft_id: int, **fields):
    return client.post(
        f"/practice/w/{draft_id}/export", data={"csrf_token": _token(client), **fields}
    )


def _exports(app) -> list[AuditEntry]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(AuditEntry).where(AuditEntry.action == "assistant.draft_exported")
            )
        )


def test_the_export_page_offers_hwpx_beside_docx(client, as_role, make_workspace):
    draft = make_workspace(as_role(Role.STAFF))
    page = client.get(f"/practice/w/{draft.id}/export").get_data(as_text=True)
    assert 'name="docx"' in page and 'name="hwpx"' in page
    assert "HWPX(한글) 내려받기" in page and "DOCX 내려받기" in page
    assert page.index('name="docx"') < page.index('name="hwpx"')


def test_hwpx_needs_the_same_checklist_as_docx(app, client, as_role, make_workspace):
    draft = make_workspace(as_role(Role.STAFF))
    _write(client, draft.id, DRAFT)
    partial = _export(client, draft.id, facts="y", figures="y", copyright="y", **HWPX)
    assert partial.status_code == 200
    assert partial.mimetype == "text/html"
    assert "네 가지를 모두" in partial.get_data(as_text=True)
    assert _exports(app) == []
    with app.app_context():
        assert db.session.get(Draft, draft.id).verified_at is None


def test_hwpx_download_is_a_valid_report_named_like_the_docx(app, client, as_role, make_workspace):
    user = as_role(Role.STAFF, name="박서연")
    draft = make_workspace(user)
    with app.app_context():
        db.session.get(Draft, draft.id).title = "기획보고서: 2027년 공공자전거 / 활성화 계획?"
        db.session.commit()
    _write(client, draft.id, DRAFT)
    response = _export(client, draft.id, **CHECKED, **HWPX)
    assert response.status_code == 200
    assert response.mimetype == "application/hwp+zip"
    disposition = response.headers["Content-Disposition"]
    assert f'filename="draft-{draft.id}.hwpx"' in disposition
    expected = quote("기획보고서 - 2027년 공공자전거 - 활성화 계획.hwpx")
    assert f"filename*=UTF-8''{expected}" in disposition

    data = response.data
    assert validate_hwpx(data) == []
    lines = hwpx_lines(data)
    assert lines[0] == "기획보고서: 2027년 공공자전거 / 활성화 계획?"
    assert "박서연" in lines[1]
    assert lines[2:6] == ["□ 추진배경", "○ 필요성", "| 연도 | 건수 |", "| 2025년 | 191만 건 |"]
    assert "연습 코치(규칙에 따라 점검하는 도구로, 생성형 AI 모델이 아님)" in lines[-1]
    assert "연습 코치의 예시 문장을 수정 없이 넣은 분량: 전체의 약 100%" in lines[-1]

    entries = _exports(app)
    assert len(entries) == 1
    assert entries[0].details["format"] == "hwpx"
    assert entries[0].details["checked"] == sorted(CHECKED)
    assert entries[0].target_id == str(draft.id)
    with app.app_context():
        assert db.session.get(Draft, draft.id).verified_at is not None


def test_docx_and_hwpx_of_one_draft_carry_the_same_text(app, client, as_role, make_workspace):
    from portal.assistant.review.export import docx_lines

    draft = make_workspace(as_role(Role.STAFF))
    _write(client, draft.id, DRAFT)
    docx = _export(client, draft.id, **CHECKED, docx="DOCX 내려받기")
    hwpx = _export(client, draft.id, **CHECKED, **HWPX)
    assert docx.mimetype.endswith("wordprocessingml.document")
    assert hwpx.mimetype == "application/hwp+zip"
    assert docx_lines(docx.data) == hwpx_lines(hwpx.data)
    assert [entry.details["format"] for entry in _exports(app)] == ["docx", "hwpx"]


def test_hwpx_is_refused_when_the_draft_holds_personal_data(app, client, as_role, make_workspace):
    draft = make_workspace(as_role(Role.STAFF))
    _write(client, draft.id, "□ 담당자 연락처 010-2345-6789")
    response = _export(client, draft.id, **CHECKED, **HWPX)
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert "개인정보로 보이는 항목" in response.get_data(as_text=True)
    assert _exports(app) == []


def test_nobody_downloads_another_users_draft_as_hwpx(
    app, client, as_role, make_user, make_workspace
):
    owner = make_user(Role.STAFF)
    draft = make_workspace(owner)
    other = as_role(Role.STAFF)
    with app.app_context():
        policy.accept_policy(other.id)  # past the AI-use policy, so only ownership decides
        db.session.commit()
    response = _export(client, draft.id, **CHECKED, **HWPX)
    assert response.status_code == 404
    assert _exports(app) == []


def test_a_file_the_library_refuses_to_save_is_an_explained_refusal_not_a_500(
    app, client, as_role, make_workspace, monkeypatch
):
    from hwpx import HwpxDocument
    from hwpx.opc.package import HwpxPackageError

    def refuse(self, **kwargs):
        raise HwpxPackageError("editor-open safety check failed")

    monkeypatch.setattr(HwpxDocument, "to_bytes", refuse)
    draft = make_workspace(as_role(Role.STAFF))
    _write(client, draft.id, DRAFT)
    response = _export(client, draft.id, **CHECKED, **HWPX)
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert "HWPX 파일을 만들지 못했습니다" in response.get_data(as_text=True)
    assert _exports(app) == []
    with app.app_context():
        assert db.session.get(Draft, draft.id).verified_at is None
    # The DOCX still comes.
    assert _export(client, draft.id, **CHECKED, docx="DOCX 내려받기").mimetype.endswith("document")
