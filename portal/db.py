"""Database engine, declarative base, the one session per request or command, and every commit.

This module is the only place that commits (the outbox worker, which sends mail between
its own short transactions, is the one other). Operations only ``flush``. When they commit:

* **A request** commits once, after the view returned, when the response is a success
  (``_commit_or_rollback``); a 4xx or 5xx response rolls everything back.
* **A refusal worth keeping**: a view that answers 4xx but must keep what it recorded (the
  guard event of a message the personal-data guard held back) calls
  :meth:`Database.keep_writes_on_refusal` first. A 5xx still rolls back.
* **A streamed response** (the assistant's answer) commits the request's work before the
  body starts (:meth:`Database.streamed_response`); the body records its end in its own
  short transaction (:meth:`Database.stream_transaction`), usable only inside that body.
* **Slow I/O in a request** (a model call to score a submission) must never run inside an
  open write transaction, since on SQLite that holds the database's one write lock for every
  other worker. The view splits the work with :meth:`Database.transaction`: commit the
  reservation, call the model with no transaction open (:meth:`Database.ensure_idle` checks),
  then record the result in a new short transaction.
* **A CLI command** commits once at its end (:meth:`Database.command_transaction`).

SQLite runs in WAL mode with foreign keys and a busy timeout, and transactions that may
write begin IMMEDIATE, so two writers queue on the lock instead of failing half-way with
"database is locked".
"""

from __future__ import annotations

import contextvars
import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

from flask import Flask, Response, current_app, g, request, stream_with_context
from flask import session as cookie_session
from sqlalchemy import DateTime, Enum, MetaData, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError, PendingRollbackError
from sqlalchemy.orm import DeclarativeBase, Session, mapped_column, sessionmaker
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on both SQLite (which stores naive) and PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; use portal.core.clock.utcnow()")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def str_enum(enum_cls: type) -> Enum:
    """A VARCHAR column holding the enum's values (not its member names) on every database."""
    return Enum(
        enum_cls,
        native_enum=False,
        length=20,
        validate_strings=True,
        values_callable=lambda members: [m.value for m in members],
    )


intpk = Annotated[int, mapped_column(primary_key=True)]
utc_datetime = Annotated[dt.datetime, mapped_column(UTCDateTime())]

# "BEGIN IMMEDIATE" for anything that may write; plain "BEGIN" for safe requests.
_sqlite_begin: contextvars.ContextVar[str] = contextvars.ContextVar(
    "sqlite_begin", default="BEGIN IMMEDIATE"
)
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def set_write_intent(writes: bool) -> None:
    """Choose how the next SQLite transaction begins; no effect on PostgreSQL."""
    _sqlite_begin.set("BEGIN IMMEDIATE" if writes else "BEGIN")


SQLITE_MMAP_BYTES = 1 << 30


def _configure_sqlite(engine: Engine, busy_timeout_ms: int) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Hand transaction control to SQLAlchemy's "begin" event below.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        # Read the database file through a memory map rather than a read() call per page:
        # the dashboards scan tens of thousands of index pages per request, and at the large
        # demo scale (a 330 MB file) the system calls were a third of their time. Pages
        # beyond the first SQLITE_MMAP_BYTES are read as before.
        cursor.execute(f"PRAGMA mmap_size={SQLITE_MMAP_BYTES}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        # Straight to the driver: every request begins a transaction, and SQLAlchemy's
        # statement path (execution context, events, result) cost more than the BEGIN.
        connection.connection.dbapi_connection.execute(_sqlite_begin.get())


def make_engine(
    url: str, *, busy_timeout_ms: int = 15000, pool_size: int = 10, max_overflow: int = 0
) -> Engine:
    """An engine for SQLite (pragmas and IMMEDIATE writes) or PostgreSQL (psycopg 3)."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            connect_args={"timeout": busy_timeout_ms / 1000, "check_same_thread": False},
            hide_parameters=True,  # SQL errors must not carry personal data into logs
        )
        _configure_sqlite(engine, busy_timeout_ms)
    else:
        engine = create_engine(
            url,
            pool_pre_ping=True,
            # Under gevent one worker serves many requests at once and may open its whole
            # pool, so workers × (pool_size + max_overflow) must stay below PostgreSQL's
            # max_connections; beyond the pool, requests wait for a free connection.
            pool_size=pool_size,
            max_overflow=max_overflow,
            hide_parameters=True,
            # No JIT compilation: the portal's statements are short OLTP reads and the
            # dashboards' aggregates, whose estimated cost passes jit_above_cost at 20,000
            # staff; PostgreSQL then spent 1.4 of 2.1 s compiling the departments
            # dashboard's statement, which runs in well under a second without it
            # (measured at the large demo scale). See docs/deployment.md.
            connect_args={"options": "-c jit=off"},
        )
    return engine


class Database:
    """Hands out one Session per application context, from that app's own engine.

    The engine and session factory live in ``app.extensions``, so several apps (the
    test suite's and a browser test's server, say) can coexist in one process.
    """

    def init_app(self, app: Flask) -> None:
        engine = make_engine(
            app.config["DATABASE_URL"],
            busy_timeout_ms=app.config["SQLITE_BUSY_TIMEOUT_MS"],
            pool_size=app.config["DATABASE_POOL_SIZE"],
            max_overflow=app.config["DATABASE_MAX_OVERFLOW"],
        )
        app.extensions["portal_db"] = {
            "engine": engine,
            "factory": sessionmaker(bind=engine, expire_on_commit=False),
        }
        app.before_request(_choose_transaction_mode)
        app.after_request(_commit_or_rollback)
        app.teardown_appcontext(self._remove_session)

    def bind_for_tests(self, app: Flask, factory: sessionmaker[Session]) -> None:
        """Let the test suite route every session through its own connection."""
        app.extensions["portal_db"]["factory"] = factory

    @property
    def engine(self) -> Engine:
        return current_app.extensions["portal_db"]["engine"]

    @property
    def session(self) -> Session:
        session = g.get("_db_session")
        if session is None:
            session = current_app.extensions["portal_db"]["factory"]()
            g._db_session = session
        return session

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    def _remove_session(self, _exc: BaseException | None) -> None:
        session = g.pop("_db_session", None)
        if session is not None:
            session.close()

    def discard_failed_work(self) -> None:
        """The request failed with an exception: roll back now, before the error page renders.

        On PostgreSQL a failed statement leaves the transaction aborted, and the error page
        still reads (the person's locale, their session's countdown); without this it would
        fail in turn and the person would get a bare server error instead of the portal's page.
        """
        session = g.get("_db_session")
        if session is None:
            return
        try:
            session.rollback()
        except Exception:  # the database may be the thing that failed; the page must still render
            session.close()

    def end_read_phase(self) -> None:
        """End a read-only stretch of a request; the writes after it begin a fresh transaction.

        Nothing has been written yet, so rolling back loses nothing; on SQLite the next
        transaction begins IMMEDIATE, without having held the write lock while reading.
        """
        self.session.rollback()
        set_write_intent(True)

    @contextmanager
    def command_transaction(self) -> Iterator[Session]:
        """The single commit of a CLI command: commit on success, roll back on error."""
        with self._unit_of_work() as session:
            yield session

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """Commit everything the session did up to the end of the block; roll back on error.

        For a request that must wait on slow I/O (a model call) between its writes: the view
        wraps the writes before and after the wait in one block each, so that no write
        transaction is open while it waits. Work after the last block is committed with the
        request as usual.
        """
        with self._unit_of_work() as session:
            yield session

    def refresh_statistics(self) -> None:
        """After a bulk load, outside any transaction: PostgreSQL's VACUUM ANALYZE.

        Fresh planner statistics, and the visibility map that lets index-only scans skip
        the table (a freshly loaded table has none until autovacuum comes round, which at
        20,000 staff doubled the dashboards' time). SQLite has neither: nothing to do.
        """
        if self.is_sqlite:
            return
        self.session.close()
        with self.engine.connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(
                "VACUUM ANALYZE"
            )

    def ensure_idle(self) -> None:
        """Raise unless the session is outside any transaction: call it before slow I/O."""
        if g.get("_db_session") is not None and self.session.in_transaction():
            raise RuntimeError("slow I/O inside an open database transaction")

    def keep_writes_on_refusal(self) -> None:
        """Keep this request's writes even though it answers with a 4xx status.

        A refusal normally rolls back everything the request did. Call this when the
        refusal itself must be recorded (a guard event, say) and the rest of the request
        wrote nothing that the refusal should undo. A 5xx response still rolls back.
        """
        g._db_keep_on_refusal = True

    def streamed_response(self, body: Iterator[str], **response_kwargs) -> Response:
        """Commit the request's work now, and answer with ``body`` streamed after it.

        The body outlives the request's commit point, so what the request did (claiming the
        answer to stream, say) is committed before the first byte, and no transaction stays
        open while the body waits on the network. Inside the body, write only within
        :meth:`stream_transaction`.
        """
        self.session.commit()
        g._db_streaming = True
        return Response(stream_with_context(body), **response_kwargs)

    @contextmanager
    def stream_transaction(self) -> Iterator[Session]:
        """A short transaction inside the body of :meth:`streamed_response`; commits at the end."""
        if not g.get("_db_streaming"):
            raise RuntimeError("stream_transaction() belongs to the body of streamed_response()")
        with self._unit_of_work() as session:
            yield session

    @contextmanager
    def _unit_of_work(self) -> Iterator[Session]:
        set_write_intent(True)
        session = self.session
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


db = Database()


def _choose_transaction_mode() -> None:
    set_write_intent(request.method not in _SAFE_METHODS)


def _commit_or_rollback(response: Response) -> Response:
    """The one commit of a request: only when the response says it succeeded.

    A 4xx response commits too when the view asked to keep its writes
    (``db.keep_writes_on_refusal()``); a 5xx never does.
    """
    db_session = g.get("_db_session")
    if db_session is None:
        return response
    status = response.status_code
    if status < 400 or (status < 500 and g.get("_db_keep_on_refusal")):
        try:
            db_session.commit()
        except (OperationalError, PendingRollbackError) as exc:
            # PendingRollbackError: an earlier statement lost the connection and the error
            # was caught on the way (the header's unread count does that), so the lost
            # connection shows only now.
            return _commit_failed(response, exc)
    else:
        db_session.rollback()
    return response


def _commit_failed(response: Response, exc: OperationalError | PendingRollbackError) -> Response:
    """The database went away at the commit: the person gets the 503 page, not a 500.

    The view already answered (a redirect, a page, a flash saying it worked), but its
    writes are not known to be stored. The answer is rewritten in place, so the headers
    added earlier (the security headers) stay; the success flash is dropped.
    """
    db.discard_failed_work()
    current_app.logger.error(
        "database unavailable at commit",
        extra={"fields": {"error": type(getattr(exc, "orig", None) or exc).__name__}},
    )
    cookie_session.pop("_flashes", None)
    page = current_app.extensions["portal_unavailable_page"]()
    response.status_code = page.status_code
    response.set_data(page.get_data())
    response.content_type = page.content_type
    for header in ("Location", "Content-Disposition", "ETag", "Last-Modified"):
        response.headers.pop(header, None)  # not a redirect, nor a download, any more
    response.headers["Cache-Control"] = "no-store"
    return response
