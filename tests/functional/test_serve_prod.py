"""`make serve-prod`: the production serve path refuses what is not a real deployment.

Runs the Makefile target itself (a subprocess in its own process group, on a free
loopback port). The refusals need no services. With PostgreSQL and Redis available
(TEST_DATABASE_URL and TEST_REDIS_URL, as in CI's PostgreSQL run) the last test starts
gunicorn with the committed configuration on a scratch database and checks that it
serves; without them it checks the refusal of a database that cannot be reached.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from portal import preflight
from portal.paths import ROOT
from tests.conftest import scratch_database

PG_URL = os.environ.get("TEST_DATABASE_URL")
REDIS_URL = os.environ.get("TEST_REDIS_URL")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(tmp_path: Path, **settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
    env["PORTAL_CONFIG"] = str(tmp_path / "no-config.py")  # no instance file is read
    (tmp_path / "no-config.py").write_text("", encoding="utf-8")
    env.update({f"PORTAL_{k}": v for k, v in settings.items()})
    env["PORT"] = str(_free_port())
    env["WEB_CONCURRENCY"] = "2"
    return env


def _serve(env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        ["make", "--no-print-directory", "serve-prod"],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def _refused(env: dict[str, str]) -> str:
    process = _serve(env)
    out, err = process.communicate(timeout=120)
    assert process.returncode != 0, out
    assert "gunicorn" not in out.replace("운영 서버(gunicorn)를 시작합니다", "")
    assert "운영 서버를 시작하지 않았습니다" in err
    assert "Traceback" not in out + err
    return err


def test_the_embedded_sqlite_default_is_refused(tmp_path):
    err = _refused(_env(tmp_path, SECRET_KEY=secrets.token_urlsafe(48)))
    assert "PostgreSQL이 필요합니다" in err


def test_a_placeholder_secret_key_is_refused(tmp_path):
    err = _refused(
        _env(
            tmp_path,
            SECRET_KEY="x" * 40,
            DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:5432/test",
            RATELIMIT_STORAGE_URI="redis://127.0.0.1:6379/15",
        )
    )
    assert "설정이 올바르지 않습니다" in err and "placeholder" in err


def test_per_process_rate_limits_are_refused(tmp_path):
    err = _refused(
        _env(
            tmp_path,
            SECRET_KEY=secrets.token_urlsafe(48),
            DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:5432/test",
        )
    )
    assert "Redis가 필요합니다" in err


def test_the_settings_checks_say_what_they_checked():
    config = {
        "ENV": "production",
        "DATABASE_URL": "postgresql+psycopg://portal@db.internal/portal",
        "RATELIMIT_STORAGE_URI": "redis://redis.internal:6379/0",
    }
    assert preflight.check_settings(config) == [
        "보안 키(SECRET_KEY): 설정됨, 32자 이상",
        "데이터베이스: PostgreSQL",
        "로그인 시도 제한 저장소: Redis",
    ]
    with pytest.raises(preflight.PreflightError, match="production"):
        preflight.check_settings(config | {"ENV": "development"})


@pytest.fixture(scope="module")
def prod_database(tmp_path_factory):
    if not PG_URL:
        yield None
        return
    yield from scratch_database(tmp_path_factory, "serveprod")


def test_serve_prod_serves_on_postgresql_and_redis_or_refuses_an_unreachable_database(
    tmp_path, prod_database
):
    key = secrets.token_urlsafe(48)
    if not (prod_database and REDIS_URL):
        # Without the services: a database that does not answer is refused in Korean.
        err = _refused(
            _env(
                tmp_path,
                SECRET_KEY=key,
                DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:9/none",
                RATELIMIT_STORAGE_URI="redis://127.0.0.1:9/0",
            )
        )
        assert "PostgreSQL에 연결할 수 없습니다" in err
        return
    env = _env(
        tmp_path, SECRET_KEY=key, DATABASE_URL=prod_database, RATELIMIT_STORAGE_URI=REDIS_URL
    )
    process = _serve(env)
    try:
        ready = None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and process.poll() is None:
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{env['PORT']}/readyz", timeout=2
                ) as r:
                    ready = (r.status, r.read().decode())
                    break
            except OSError:
                time.sleep(0.3)
        assert ready is not None, process.communicate(timeout=5)
        assert ready[0] == 200 and '"database":"ok"' in ready[1].replace(" ", "")
        with urllib.request.urlopen(f"http://127.0.0.1:{env['PORT']}/auth/login", timeout=5) as r:
            assert r.status == 200
            # production settings: secure cookies and HSTS
            assert "Strict-Transport-Security" in r.headers
        # /metrics adds up every worker's figures (gunicorn.conf.py's shared directory)
        with urllib.request.urlopen(f"http://127.0.0.1:{env['PORT']}/metrics", timeout=5) as r:
            text = r.read().decode()
        assert 'portal_requests_total{endpoint="core.readyz",method="GET",status="200"}' in text
        assert "portal_database_up 1.0" in text
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        out, err = process.communicate(timeout=30)
    assert "[확인] 데이터베이스: 연결됨, 마이그레이션 최신" in out
    assert "[확인] Redis: 연결됨" in out
    assert "Traceback" not in err
