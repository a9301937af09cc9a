"""Redis down: the login limits fall back to this process's memory, with a warning.

The app's rate-limit storage points at a loopback port where nothing listens, as when
Redis has stopped. Pages keep answering, the login limit still stops a guesser (now
counted in memory), and the limiter logs that it fell back. Nothing is a server error.
"""

from __future__ import annotations

import logging
import socket
import uuid

from portal.migrate import upgrade
from tests.conftest import csrf_token_from


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # closed again when the socket goes


def test_logins_stay_limited_and_pages_answer_with_redis_down(make_app, tmp_path, caplog):
    # A database of its own: the suite's is held by the test's transaction.
    url = f"sqlite:///{tmp_path / 'fallback.db'}"
    upgrade("head", url=url)
    app = make_app(
        {
            "DATABASE_URL": url,
            "RATELIMIT_STORAGE_URI": f"redis://127.0.0.1:{_closed_port()}/0",
            "LOGIN_RATE_LIMIT_IP": "3 per minute",
        }
    )
    client = app.test_client()
    environ = {"REMOTE_ADDR": "10.9.8.7"}
    assert client.get("/healthz").status_code == 200
    statuses = []
    with caplog.at_level(logging.WARNING, logger="flask-limiter"):
        for _ in range(5):
            page = client.get("/auth/login", environ_base=environ)
            assert page.status_code == 200
            token = csrf_token_from(page.get_data(as_text=True))
            answer = client.post(
                "/auth/login",
                data={
                    "login": f"X{uuid.uuid4().hex[:6]}",
                    "password": "wrong",
                    "csrf_token": token,
                },
                environ_base=environ,
            )
            statuses.append(answer.status_code)
    assert 500 not in statuses
    assert statuses[-1] == 429, statuses  # the fourth attempt in the minute and after
    assert statuses.count(429) == 2, statuses
    assert any("falling back to in-memory" in r.getMessage() for r in caplog.records)
    # another page still answers
    assert client.get("/auth/login").status_code == 200
