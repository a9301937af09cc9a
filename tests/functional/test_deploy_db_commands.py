"""`flask db current`, `flask db backup` and `flask db restore`: what they refuse, and why.

The documented procedures (a live backup, a restore, a login afterwards) run as subprocesses
in test_deployment_docs.py; these are the edges, run in-process on scratch SQLite files.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from portal.migrate import upgrade

UNREACHABLE = "postgresql+psycopg://postgres@127.0.0.1:9/none"


@pytest.fixture(scope="module")
def migrated(tmp_path_factory) -> Path:
    """A migrated portal database with one account, copied fresh by ``live``."""
    path = tmp_path_factory.mktemp("db-commands") / "template.db"
    upgrade("head", url=f"sqlite:///{path}")
    with sqlite3.connect(path) as connection:
        connection.execute(
            "INSERT INTO users (employee_number, name, email, role) "
            "VALUES ('B0001', '홍길동', 'b0001@sejong.example.kr', 'admin')"
        )
    connection.close()
    return path


@pytest.fixture
def live(migrated, tmp_path) -> Path:
    path = tmp_path / "portal.db"
    with sqlite3.connect(migrated) as source, sqlite3.connect(path) as target:
        source.backup(target)
    source.close()
    target.close()
    return path


@pytest.fixture
def cli(make_app):
    def run(url: str, *args: str, stdin: str | None = None, locale: str = "ko"):
        app = make_app({"DATABASE_URL": url, "DEFAULT_LOCALE": locale})
        return app.test_cli_runner().invoke(args=["db", *args], input=stdin)

    return run


def _accounts(path: Path) -> int:
    with sqlite3.connect(path) as connection:
        count = connection.execute("SELECT count(*) FROM users").fetchone()[0]
    connection.close()
    return count


# ------------------------------------------------------------------ current


def test_current_says_up_to_date_or_what_to_run(cli, live, tmp_path):
    result = cli(f"sqlite:///{live}", "current")
    assert result.exit_code == 0 and "(최신)" in result.output
    empty = tmp_path / "empty.db"
    result = cli(f"sqlite:///{empty}", "current")
    assert result.exit_code == 1
    assert "마이그레이션이 적용되지 않은 데이터베이스입니다" in result.output
    with sqlite3.connect(live) as connection:
        connection.execute("UPDATE alembic_version SET version_num = '0001'")
    connection.close()
    result = cli(f"sqlite:///{live}", "current")
    assert result.exit_code == 1
    assert "마이그레이션: 0001. 최신(" in result.output and "flask db upgrade" in result.output


def test_current_says_plainly_when_the_database_cannot_be_reached(cli):
    result = cli(UNREACHABLE, "current")
    assert result.exit_code == 1
    assert "데이터베이스에 연결할 수 없습니다 (OperationalError)." in result.output
    assert "Traceback" not in result.output


# ------------------------------------------------------------------ backup


def test_backup_refuses_to_overwrite_and_names_what_is_wrong(cli, live, tmp_path):
    url = f"sqlite:///{live}"
    existing = tmp_path / "already.db"
    existing.write_bytes(b"keep me")
    result = cli(url, "backup", str(existing))
    assert result.exit_code == 1 and "이미 있는 파일입니다" in result.output
    assert existing.read_bytes() == b"keep me"
    result = cli(url, "backup", str(tmp_path))
    assert result.exit_code == 1 and "폴더입니다" in result.output
    result = cli(url, "backup", str(tmp_path / "없는 폴더" / "b.db"))
    assert result.exit_code == 1 and "폴더가 없습니다. 먼저 만드세요." in result.output
    result = cli(f"sqlite:///{tmp_path / 'missing.db'}", "backup", str(tmp_path / "b.db"))
    assert result.exit_code == 1 and "데이터베이스 파일이 없습니다" in result.output
    assert not (tmp_path / "missing.db").exists()  # the backup never creates the database


def test_backup_of_a_database_that_is_not_the_portals_leaves_no_file(cli, tmp_path):
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as connection:
        connection.execute("CREATE TABLE t (x)")
    connection.close()
    result = cli(f"sqlite:///{other}", "backup", str(tmp_path / "b.db"))
    assert result.exit_code == 1 and "포털 데이터베이스가 아닙니다" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other.db"]  # no partial file


def test_backup_and_restore_send_postgresql_to_pg_dump_and_pg_restore(cli, tmp_path):
    result = cli(UNREACHABLE, "backup", str(tmp_path / "b.db"))
    assert result.exit_code == 1
    assert "SQLite 데이터베이스에만" in result.output and "pg_dump로 백업하세요" in result.output
    backup = tmp_path / "b.db"
    backup.write_bytes(b"")
    result = cli(UNREACHABLE, "restore", "--yes", str(backup))
    assert result.exit_code == 1 and "pg_restore로 복구하세요" in result.output


def test_backup_is_checked_and_readable_by_its_owner_only(cli, live, tmp_path):
    target = tmp_path / "copy.db"
    result = cli(f"sqlite:///{live}", "backup", str(target))
    assert result.exit_code == 0, result.output
    assert f"백업했습니다: {target}" in result.output and "계정 1개" in result.output
    assert target.stat().st_mode & 0o777 == 0o600
    assert _accounts(target) == 1
    assert not Path(f"{target}-wal").exists()  # one self-contained file


def test_messages_follow_the_portals_language(cli, live, tmp_path):
    result = cli(f"sqlite:///{live}", "backup", str(tmp_path), locale="en")
    assert "this is a folder" in result.output


# ------------------------------------------------------------------ restore


def test_restore_checks_the_backup_before_touching_the_database(cli, live, tmp_path):
    url = f"sqlite:///{live}"
    before = live.read_bytes()
    not_sqlite = tmp_path / "notes.txt"
    not_sqlite.write_text("백업 아님\n" * 100, encoding="utf-8")
    result = cli(url, "restore", "--yes", str(not_sqlite))
    assert result.exit_code == 1 and "SQLite 데이터베이스 파일이 아닙니다" in result.output
    result = cli(url, "restore", "--yes", str(tmp_path / "missing.db"))
    assert result.exit_code == 1 and "백업 파일이 없습니다" in result.output
    result = cli(url, "restore", "--yes", str(tmp_path))
    assert result.exit_code == 1 and "폴더입니다. 백업 파일을 주세요." in result.output
    result = cli(url, "restore", "--yes", str(live))
    assert result.exit_code == 1 and "지금 쓰는 데이터베이스 파일입니다" in result.output
    assert live.read_bytes() == before


def test_restore_asks_first_and_a_no_changes_nothing(cli, live, tmp_path):
    backup = tmp_path / "backup.db"
    assert cli(f"sqlite:///{live}", "backup", str(backup)).exit_code == 0
    with sqlite3.connect(live) as connection:
        connection.execute("DELETE FROM users")
    connection.close()
    result = cli(f"sqlite:///{live}", "restore", str(backup), stdin="n\n")
    assert result.exit_code == 1 and "계속할까요?" in result.output
    assert _accounts(live) == 0
    result = cli(f"sqlite:///{live}", "restore", str(backup), stdin="y\n")
    assert result.exit_code == 0, result.output
    assert "복구했습니다" in result.output and "계정 1개" in result.output
    assert _accounts(live) == 1


def test_restore_onto_a_new_machine_creates_the_database(cli, live, tmp_path):
    backup = tmp_path / "backup.db"
    assert cli(f"sqlite:///{live}", "backup", str(backup)).exit_code == 0
    fresh = tmp_path / "new-machine" / "portal.db"
    fresh.parent.mkdir()
    result = cli(f"sqlite:///{fresh}", "restore", "--yes", str(backup))
    assert result.exit_code == 0, result.output
    assert _accounts(fresh) == 1
    assert "(최신)" in cli(f"sqlite:///{fresh}", "current").output
