"""The production pre-flight: `make serve-prod` runs it before gunicorn starts.

``python -m portal.preflight`` reads the portal's settings as production does
(``PORTAL_ENV=production``, the PORTAL_* variables or PORTAL_CONFIG) and checks that they
describe a real deployment, not the embedded default:

- a secret key of at least 32 characters that is not a placeholder (the settings refuse
  the rest: portal.config);
- PostgreSQL, reachable, with every migration applied (several app processes and
  machines share one database; SQLite is for one machine);
- Redis for the rate limits, reachable (with ``memory://`` each worker would keep its
  own count, and the login limits would multiply by the number of workers);
- ``SSL_CERT_FILE`` / ``SSL_CERT_DIR``, when set (a model server behind a city's internal
  CA: docs/deployment.md), name a CA bundle that loads; otherwise the first model call
  would fail instead of the start.

Each check prints one line in Korean. The first that fails prints why and how to fix it
and exits with status 2, so nothing starts. It connects, reads and disconnects; it
changes nothing (migrations stay a separate, deliberate step: docs/deployment.md).
"""

from __future__ import annotations

import os
import ssl
import sys
from collections.abc import Mapping
from pathlib import Path

from portal.config import ConfigError, load_config
from portal.paths import ROOT

REDIS_SCHEMES = ("redis://", "rediss://", "redis+sentinel://", "redis+cluster://")


class PreflightError(Exception):
    """A setting that would make production unsafe or broken; its text says how to fix it."""


def check_settings(config: dict) -> list[str]:
    """The checks that need no network; returns the lines to print, raises on a failure."""
    if config["ENV"] != "production":
        raise PreflightError(
            "PORTAL_ENV가 production이 아닙니다. 운영 서버는 PORTAL_ENV=production으로 시작합니다."
        )
    lines = ["보안 키(SECRET_KEY): 설정됨, 32자 이상"]
    url = str(config["DATABASE_URL"])
    if not url.startswith(("postgresql://", "postgresql+psycopg://")):
        raise PreflightError(
            "운영 서버에는 PostgreSQL이 필요합니다. PORTAL_DATABASE_URL을 "
            "postgresql+psycopg://사용자:비밀번호@호스트/DB이름 형식으로 설정하세요 "
            "(SQLite는 한 대의 PC에서 쓰는 기본 설정입니다)."
        )
    lines.append("데이터베이스: PostgreSQL")
    storage = str(config["RATELIMIT_STORAGE_URI"])
    if not storage.startswith(REDIS_SCHEMES):
        raise PreflightError(
            "운영 서버에는 Redis가 필요합니다. PORTAL_RATELIMIT_STORAGE_URI를 "
            "redis://호스트:6379/0 형식으로 설정하세요 (memory://이면 작업 프로세스마다 "
            "로그인 시도 횟수를 따로 세어 제한이 약해집니다)."
        )
    lines.append("로그인 시도 제한 저장소: Redis")
    return lines


def check_database(url: str) -> str:
    """PostgreSQL answers and every migration is applied."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    from portal.db import make_engine
    from portal.migrate import alembic_config

    engine = make_engine(url, pool_size=1)
    try:
        with engine.connect() as connection:
            current = set(MigrationContext.configure(connection).get_current_heads())
    except Exception as error:  # noqa: BLE001 - any failure: not reachable, said plainly
        raise PreflightError(
            f"PostgreSQL에 연결할 수 없습니다 ({type(error).__name__}). 서버가 켜져 있는지, "
            "PORTAL_DATABASE_URL의 호스트·DB이름·사용자가 맞는지 확인하세요."
        ) from None
    finally:
        engine.dispose()
    heads = set(ScriptDirectory.from_config(alembic_config(url)).get_heads())
    if current != heads:
        raise PreflightError(
            "데이터베이스에 적용되지 않은 변경(마이그레이션)이 있습니다. 먼저 한 곳에서 "
            "`.venv/bin/flask db upgrade`를 실행하세요 (docs/deployment.md의 '업그레이드')."
        )
    return "데이터베이스: 연결됨, 마이그레이션 최신"


def check_redis(uri: str) -> str:
    import redis

    try:
        client = redis.Redis.from_url(uri, socket_connect_timeout=3, socket_timeout=3)
        client.ping()
        client.close()
    except Exception as error:  # noqa: BLE001 - any failure: not reachable, said plainly
        raise PreflightError(
            f"Redis에 연결할 수 없습니다 ({type(error).__name__}). 서버가 켜져 있는지, "
            "PORTAL_RATELIMIT_STORAGE_URI가 맞는지 확인하세요."
        ) from None
    return "Redis: 연결됨"


def check_ca_bundle(environ: Mapping[str, str]) -> str:
    """Check that the CA certificates TLS clients will trust (model servers, SMTP, Redis) load.

    ``SSL_CERT_FILE`` replaces the system's store for the model client (httpx2) rather than
    adding to it, so it must be a whole bundle: the system's CAs and the internal one.
    """
    cafile = environ.get("SSL_CERT_FILE")
    capath = environ.get("SSL_CERT_DIR")
    if not cafile and not capath:
        return "TLS 인증서: 시스템 기본 저장소"
    if cafile:
        fix = (
            "내부 인증기관(CA) 인증서를 포함한 묶음 파일(PEM)의 경로를 지정하거나, 필요 없으면 "
            "SSL_CERT_FILE을 지우세요 (docs/deployment.md의 '내부 인증기관')."
        )
        path = Path(cafile)
        if not path.is_file():
            raise PreflightError(f"SSL_CERT_FILE이 가리키는 파일이 없습니다: {cafile}. {fix}")
        if not os.access(path, os.R_OK):
            raise PreflightError(f"SSL_CERT_FILE을 읽을 권한이 없습니다: {cafile}. {fix}")
        try:
            count = ssl.create_default_context(cafile=cafile).cert_store_stats()["x509"]
        except (OSError, ValueError):
            count = 0
        if count == 0:
            raise PreflightError(f"SSL_CERT_FILE에 인증서(PEM)가 없습니다: {cafile}. {fix}")
        return f"TLS 인증서: SSL_CERT_FILE {cafile}, 인증서 {count}개"
    missing = [part for part in str(capath).split(os.pathsep) if not Path(part).is_dir()]
    if missing:
        raise PreflightError(
            f"SSL_CERT_DIR이 가리키는 폴더가 없습니다: {', '.join(missing)}. 인증서 폴더의 "
            "경로를 지정하거나, 필요 없으면 SSL_CERT_DIR을 지우세요."
        )
    return f"TLS 인증서: SSL_CERT_DIR {capath}"


def main(instance_path: Path | None = None) -> int:
    try:
        try:
            config = load_config(instance_path or ROOT / "instance")
        except ConfigError as error:
            raise PreflightError(f"설정이 올바르지 않습니다: {error}") from None
        lines = check_settings(config)
        for line in lines:
            print(f"[확인] {line}")
        print(f"[확인] {check_ca_bundle(os.environ)}")
        print(f"[확인] {check_database(str(config['DATABASE_URL']))}")
        print(f"[확인] {check_redis(str(config['RATELIMIT_STORAGE_URI']))}")
    except PreflightError as error:
        print(f"[중단] {error}", file=sys.stderr)
        print("[중단] 운영 서버를 시작하지 않았습니다.", file=sys.stderr)
        return 2
    print("[확인] 운영 서버(gunicorn)를 시작합니다.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
