"""Every response carries the security headers, error pages included."""

import pytest

from portal.users.models import Role

REQUIRED = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


def _assert_security_headers(response):
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "unsafe-eval" not in csp
    for name, value in REQUIRED.items():
        assert response.headers[name] == value
    assert response.headers.get("X-Request-ID")


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/auth/login", 200),
        ("/healthz", 200),
        ("/readyz", 200),
        ("/no-such-page", 404),
        ("/me", 302),
    ],
)
def test_anonymous_responses_carry_security_headers(client, path, status):
    response = client.get(path)
    assert response.status_code == status
    _assert_security_headers(response)


def test_forbidden_and_method_errors_carry_security_headers(client, as_role):
    as_role(Role.STAFF)
    response = client.get("/admin/users/")
    assert response.status_code in (403, 404)
    _assert_security_headers(response)
    response = client.get("/auth/logout")
    assert response.status_code == 405
    _assert_security_headers(response)


def test_server_error_page_carries_security_headers(make_app):
    fresh = make_app({})

    def boom():
        raise RuntimeError("boom")

    boom.access = "public"
    fresh.add_url_rule("/__boom", view_func=boom)
    response = fresh.test_client().get("/__boom")
    assert response.status_code == 500
    assert "일시적인 오류" in response.get_data(as_text=True)
    _assert_security_headers(response)


def test_logged_in_pages_are_not_cached(client, as_role):
    as_role(Role.STAFF)
    response = client.get("/")
    assert response.headers["Cache-Control"] == "no-store"
    _assert_security_headers(response)


def test_static_files_are_cacheable_but_still_protected(client):
    response = client.get("/static/css/portal.css")
    try:
        assert response.status_code == 200
        assert response.headers.get("Cache-Control") != "no-store"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    finally:
        response.close()


def test_development_has_no_hsts_and_no_host_prefix(client):
    response = client.get("/auth/login")
    assert "Strict-Transport-Security" not in response.headers
    assert "__Host-" not in response.headers.get("Set-Cookie", "")


def test_production_sends_hsts_and_host_prefixed_secure_cookie(make_app):
    prod = make_app({"ENV": "production", "SECRET_KEY": "prod-" + "0123456789abcdefghijklmnop" * 2})
    client = prod.test_client()
    response = client.get("/auth/login", base_url="https://portal.example.kr")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("__Host-portal_session=")
    assert "Secure" in cookie
    assert "HttpOnly" in cookie
    assert "Domain" not in cookie
