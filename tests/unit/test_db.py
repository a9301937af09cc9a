"""Database layer: SQLite pragmas, IMMEDIATE writes, the append-only audit log, migrations."""

import datetime as dt

import pytest
from sqlalchemy import event, inspect, select, text

from portal.audit.models import AuditEntry, AuditLogIsAppendOnly
from portal.audit.operations import record
from portal.db import SQLITE_MMAP_BYTES, Base, db, make_engine, set_write_intent
from portal.migrate import downgrade, upgrade


def test_sqlite_runs_with_wal_foreign_keys_and_busy_timeout(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}", busy_timeout_ms=1234)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 1234
        assert conn.exec_driver_sql("PRAGMA mmap_size").scalar() == SQLITE_MMAP_BYTES
    engine.dispose()


def test_sqlite_write_transactions_begin_immediate(tmp_path):
    url = f"sqlite:///{tmp_path / 'lock.db'}"
    first, second = make_engine(url, busy_timeout_ms=50), make_engine(url, busy_timeout_ms=50)
    with first.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (x INTEGER)")
    set_write_intent(True)
    with first.connect() as a, second.connect() as b:
        a.begin()
        # A second IMMEDIATE transaction must wait for the lock (and here time out),
        # even though the first has not written anything yet.
        with pytest.raises(Exception, match="locked"):
            b.begin()
            b.exec_driver_sql("SELECT 1")
        a.rollback()
    set_write_intent(False)
    with first.connect() as a, second.connect() as b:
        a.begin()
        b.begin()
        b.exec_driver_sql("SELECT count(*) FROM t")  # readers do not block each other
        a.rollback()
        b.rollback()
    set_write_intent(True)
    first.dispose()
    second.dispose()


def test_postgresql_connections_turn_jit_off(ctx):
    # JIT compilation cost the dashboards' aggregates more than running them (portal/db.py).
    engine = make_engine("postgresql://portal@db.invalid:5432/portal")
    seen = {}

    @event.listens_for(engine, "do_connect")
    def _capture(_dialect, _record, _cargs, cparams):
        seen.update(cparams)
        raise RuntimeError("not connecting")

    with pytest.raises(Exception, match="not connecting"):
        engine.connect()
    assert "-c jit=off" in seen["options"]
    engine.dispose()
    if not db.is_sqlite:  # on the test database itself, too
        assert db.session.execute(text("SHOW jit")).scalar() == "off"


def test_naive_datetimes_are_refused(ctx):
    with pytest.raises(Exception, match="naive"):
        db.session.add(AuditEntry(occurred_at=dt.datetime(2026, 1, 1), action="x", details={}))
        db.session.flush()
    db.session.rollback()


def test_audit_entries_cannot_be_changed_or_deleted(ctx):
    entry = record("test.something", details={"n": 1})
    entry.action = "test.other"
    with pytest.raises(AuditLogIsAppendOnly):
        db.session.flush()
    db.session.rollback()
    entry = record("test.something")
    db.session.delete(entry)
    with pytest.raises(AuditLogIsAppendOnly):
        db.session.flush()
    db.session.rollback()


def test_audit_times_are_stored_and_read_back_in_utc(ctx):
    entry = record("test.time")
    db.session.expire_all()
    again = db.session.scalar(select(AuditEntry).where(AuditEntry.id == entry.id))
    assert again.occurred_at.tzinfo is not None
    assert again.occurred_at.utcoffset() == dt.timedelta(0)


def test_migrations_match_the_models_and_downgrade_cleanly(database_url, tmp_path):
    import os

    if os.environ.get("TEST_DATABASE_URL"):
        url = database_url.rsplit("/", 1)[0] + "/postgres"
        engine = make_engine(url)
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("DROP DATABASE IF EXISTS portal_migration_check"))
            conn.execute(text("CREATE DATABASE portal_migration_check"))
        engine.dispose()
        url = database_url.rsplit("/", 1)[0] + "/portal_migration_check"
    else:
        url = f"sqlite:///{tmp_path / 'migrations.db'}"
    upgrade("head", url=url)
    engine = make_engine(url)
    tables = set(inspect(engine).get_table_names())
    assert set(Base.metadata.tables) <= tables

    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    import portal.models  # noqa: F401

    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == [], f"models and migrations disagree: {diff}"
    engine.dispose()

    downgrade("base", url=url)
    engine = make_engine(url)
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    engine.dispose()
