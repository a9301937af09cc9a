"""Redis down: the login limits fall back to the process's memory, with a warning.

The app's rate-limit storage points at a loopback port where nothing listens, as when
Redis has stopped. Pages keep answering, the login limit still stops a guesser (now
counted in memory), and the limiter logs that it fell back. Nothing is a server error.

It runs in a process of its own: the rate limiter is one object per process, shared by
every app the suite builds, and must not be left pointing at a dead Redis for the tests
after this one.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

from portal.migrate import upgrade
from portal.paths import ROOT

SCENARIO = r"""
import json, sys, uuid
from portal import create_app
from tests.conftest import csrf_token_from

url, storage = sys.argv[1], sys.argv[2]
app = create_app(
    {
        "ENV": "testing",
        "SECRET_KEY": "fallback-0123456789abcdefghijklmnop",
        "DATABASE_URL": url,
        "RATELIMIT_STORAGE_URI": storage,
        "LOGIN_RATE_LIMIT_IP": "3 per minute",
        "LOG_LEVEL": "INFO",
    },
    instance_path=sys.argv[3],
)
client = app.test_client()
environ = {"REMOTE_ADDR": "10.9.8.7"}
result = {"healthz": client.get("/healthz").status_code, "pages": [], "logins": []}
for _ in range(5):
    page = client.get("/auth/login", environ_base=environ)
    result["pages"].append(page.status_code)
    token = csrf_token_from(page.get_data(as_text=True))
    answer = client.post(
        "/auth/login",
        data={"login": "X" + uuid.uuid4().hex[:6], "password": "wrong", "csrf_token": token},
        environ_base=environ,
    )
    result["logins"].append(answer.status_code)
result["after"] = client.get("/auth/login").status_code
print(json.dumps(result))
"""


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # closed again when the socket goes


def test_logins_stay_limited_and_pages_answer_with_redis_down(tmp_path):
    url = f"sqlite:///{tmp_path / 'fallback.db'}"
    upgrade("head", url=url)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
    completed = subprocess.run(
        [
            sys.executable,
            "-c",
            SCENARIO,
            url,
            f"redis://127.0.0.1:{_closed_port()}/0",
            str(tmp_path / "instance"),
        ],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    assert result["healthz"] == 200 and result["after"] == 200
    assert result["pages"] == [200] * 5
    # three attempts a minute: the fourth and fifth are refused, none is a server error
    assert result["logins"][3:] == [429, 429], result
    assert 500 not in result["logins"], result
    # the fallback is logged, as JSON, in the portal's log
    warnings = [
        json.loads(line)
        for line in completed.stderr.splitlines()
        if line.startswith("{") and "falling back to in-memory" in line
    ]
    assert warnings and warnings[0]["logger"] == "flask-limiter"
    assert warnings[0]["level"] == "WARNING"
