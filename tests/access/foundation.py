"""Routes of the foundation: health, login, home, admin screens."""

from portal.auth.access import AUTHENTICATED, PUBLIC
from tests.access import ADMIN, Expect

ROUTES = {
    "core.healthz": Expect(PUBLIC, "/healthz"),
    "core.readyz": Expect(PUBLIC, "/readyz"),
    # loopback (the test client is) or a token; outsiders: tests/functional/test_metrics.py
    "metrics.metrics": Expect(PUBLIC, "/metrics"),
    "core.set_locale": Expect(PUBLIC, "/locale", "POST"),
    "core.login_shortcut": Expect(PUBLIC, "/login"),
    "auth.login": Expect(PUBLIC, "/auth/login"),
    "auth.logout": Expect(AUTHENTICATED, "/auth/logout", "POST", ends_session=True),
    "auth.change_password": Expect(AUTHENTICATED, "/auth/password"),
    "auth.extend_session": Expect(AUTHENTICATED, "/auth/session/extend", "POST"),
    "auth.session_timeout": Expect(PUBLIC, "/auth/session/timeout", "POST", ends_session=True),
    "home.index": Expect(PUBLIC, "/"),
    "home.profile": Expect(AUTHENTICATED, "/me"),
    "admin_audit.search": Expect(ADMIN, "/admin/audit/"),
    "admin_audit.export": Expect(ADMIN, "/admin/audit/export.csv"),
    "admin_audit.personal_data": Expect(ADMIN, "/admin/audit/personal-data"),
    "admin_users.contact": Expect(ADMIN, "/admin/users/{user_id}/contact"),
    "admin_audit.personal_data_export": Expect(ADMIN, "/admin/audit/personal-data.csv"),
    "admin_import.upload": Expect(ADMIN, "/admin/import/"),
    "admin_import.preview": Expect(ADMIN, "/admin/import/{upload_id}"),
    "admin_import.apply": Expect(ADMIN, "/admin/import/{upload_id}/apply", "POST"),
    "admin_import.template": Expect(ADMIN, "/admin/import/template.csv"),
    "admin_users.list_users": Expect(ADMIN, "/admin/users/"),
    "admin_users.create_user": Expect(ADMIN, "/admin/users/new", "POST"),
    "admin_users.edit_user": Expect(ADMIN, "/admin/users/{user_id}/edit", "POST"),
    "admin_users.set_active": Expect(ADMIN, "/admin/users/{user_id}/active", "POST"),
    "admin_users.reset_password": Expect(ADMIN, "/admin/users/{user_id}/password", "POST"),
    "admin_users.unlock_login": Expect(ADMIN, "/admin/users/{user_id}/unlock", "POST"),
    "admin_org.list_departments": Expect(ADMIN, "/admin/departments/"),
    "admin_org.create_department": Expect(ADMIN, "/admin/departments/new", "POST"),
    "admin_org.edit_department": Expect(ADMIN, "/admin/departments/{dept_id}/edit", "POST"),
}
