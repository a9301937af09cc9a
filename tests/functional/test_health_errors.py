"""Health probes and error pages."""


def test_healthz_answers_without_touching_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_readyz_checks_the_database(client):
    response = client.get("/readyz")
    assert response.get_json()["database"] == "ok"


UNREACHABLE = "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1"


def test_readyz_says_503_when_the_database_is_unreachable(make_app):
    broken = make_app({"DATABASE_URL": UNREACHABLE})
    response = broken.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["status"] == "unavailable"


def test_not_found_page_is_korean_and_offers_a_way_home(client):
    response = client.get("/does-not-exist")
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert "페이지를 찾을 수 없습니다" in html
    assert 'href="/"' in html


def test_json_callers_get_json_errors(client):
    response = client.get("/does-not-exist", headers={"Accept": "application/json"})
    assert response.status_code == 404
    assert response.get_json()["error"] == 404


def test_database_outage_on_a_page_gives_503(make_app):
    broken = make_app({"DATABASE_URL": UNREACHABLE})
    client = broken.test_client()
    page = client.get("/auth/login")
    token = (
        page.get_data(as_text=True)
        .split('name="csrf_token" type="hidden" value="')[1]
        .split('"')[0]
    )
    response = client.post(
        "/auth/login", data={"login": "A1234", "password": "x", "csrf_token": token}
    )
    assert response.status_code == 503
    assert "서비스를 잠시 이용할 수 없습니다" in response.get_data(as_text=True)
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_unknown_route_under_admin_is_404_not_a_crash(client):
    assert client.get("/admin/nothing-here").status_code == 404


def test_a_failed_write_still_gets_the_portals_error_page(app, client, as_role, monkeypatch):
    """A failed flush leaves the session needing a rollback; the error page reads the
    person's session and locale all the same, so the request rolls back before it renders."""
    from portal.core import clock
    from portal.db import db
    from portal.home import queries
    from portal.users.models import Role, User

    person = as_role(Role.STAFF)

    def broken(_user):
        # A write that fails at flush (a duplicate employee number), as bad input once did.
        db.session.add(
            User(
                employee_number=person.employee_number,
                name="중복",
                email="dup@sejong.example.kr",
                role=Role.STAFF,
                grade="행정7급",
                created_at=clock.utcnow(),
            )
        )
        db.session.flush()

    monkeypatch.setattr(queries, "mandatory_due", broken)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    try:
        response = client.get("/")
    finally:
        app.config["PROPAGATE_EXCEPTIONS"] = None
    assert response.status_code in (500, 503)
    page = response.get_data(as_text=True)
    assert "오류 번호" in page or "서비스를 잠시" in page
    assert "<!doctype html>" in page.lower() and "krds" in page


def test_a_signed_in_person_gets_the_503_page_when_the_database_goes_away(
    app, client, as_role, monkeypatch
):
    """The fault scenario (tests/faults, PostgreSQL stopped) found this: loading the
    signed-in user failed, the 503 page's layout loaded them again, and the person got a
    bare 500. The page now renders as for a visitor, without touching the database."""
    from sqlalchemy.exc import OperationalError

    from portal.auth import operations
    from portal.users.models import Role

    as_role(Role.STAFF)

    def unreachable(*_args, **_kwargs):
        raise OperationalError("SELECT 1", {}, ConnectionRefusedError("connection refused"))

    monkeypatch.setattr(operations, "check_session", unreachable)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    try:
        page = client.get("/")
        api = client.get("/notifications/", headers={"Accept": "application/json"})
    finally:
        app.config["PROPAGATE_EXCEPTIONS"] = None
    assert page.status_code == 503
    html = page.get_data(as_text=True)
    assert "서비스를 잠시 이용할 수 없습니다" in html
    assert "Traceback" not in html and "OperationalError" not in html
    assert api.status_code == 503
    assert api.get_json()["error"] == 503


def test_an_exhausted_connection_pool_answers_503_with_retry_after(
    app, client, as_role, monkeypatch
):
    """The load test found it: under overload a request waited the pool's whole timeout
    for a database connection and got a 500. It is a 503 that says when to come back."""
    from sqlalchemy.exc import TimeoutError as PoolTimeout

    from portal.auth import operations
    from portal.users.models import Role

    as_role(Role.STAFF)

    def exhausted(*_args, **_kwargs):
        raise PoolTimeout("QueuePool limit of size 10 overflow 0 reached")

    monkeypatch.setattr(operations, "check_session", exhausted)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    try:
        page = client.get("/")
        with client.session_transaction() as cookie:
            cookie["locale"] = "en"
        english = client.get("/")
    finally:
        app.config["PROPAGATE_EXCEPTIONS"] = None
    assert page.status_code == 503
    assert page.headers["Retry-After"] == "5"
    assert "지금 이용하는 사람이 많아" in page.get_data(as_text=True)
    assert english.status_code == 503
    assert "Too many people are using the portal" in english.get_data(as_text=True)
