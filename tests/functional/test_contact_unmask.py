"""Issue 11: e-mails are masked on the admin user list; unmasking is admin-only and audited."""

from __future__ import annotations

from sqlalchemy import select

from portal.audit.models import AuditEntry
from portal.db import db
from portal.users.models import Role


def _entries(app) -> list[AuditEntry]:
    with app.app_context():
        return list(
            db.session.scalars(select(AuditEntry).where(AuditEntry.action == "user.contact_viewed"))
        )


def test_an_admin_unmasks_one_email_and_the_look_is_audited(app, client, as_role, make_user):
    admin = as_role(Role.ADMIN)
    person = make_user(name="가림이", email="hongildong@sejong.example.kr")
    listing = client.get("/admin/users/?q=가림이").get_data(as_text=True)
    assert "ho***@sejong.example.kr" in listing
    assert "hongildong@sejong.example.kr" not in listing
    assert f"/admin/users/{person.id}/contact" in listing
    assert _entries(app) == []

    page = client.get(f"/admin/users/{person.id}/contact")
    assert page.status_code == 200
    assert "hongildong@sejong.example.kr" in page.get_data(as_text=True)
    (entry,) = _entries(app)
    assert entry.actor_id == admin.id and entry.target_id == str(person.id)
    assert client.get("/admin/users/99999999/contact").status_code == 404


def test_coordinators_cannot_unmask(app, client, as_role, make_user):
    as_role(Role.COORDINATOR)
    person = make_user()
    assert client.get(f"/admin/users/{person.id}/contact").status_code == 403
    assert _entries(app) == []
