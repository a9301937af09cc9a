"""Bulk writes of many rows in one statement, on SQLite and PostgreSQL.

For the few operations that write thousands of rows in one request (the HR roster import).
An executemany of 20,000 rows costs seconds, mostly in per-row parameter handling; here
the rows travel as one parameter and the database builds them:

* PostgreSQL: one text array per column, turned into rows by ``unnest`` and cast to the
  columns' types;
* SQLite: one JSON array of rows, turned into rows by ``json_each``. The values are first
  passed through each column type's own bind processor, so what is stored is exactly what
  an ordinary INSERT through SQLAlchemy would store.

Rows are plain dicts keyed by column name, all with the same keys. Python-side column
defaults are not applied: give every column that has no server default. Operations call
these helpers and flush nothing else; the request or command still commits once.
"""

from __future__ import annotations

import datetime as dt
import enum
import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Column, Row, Table, bindparam, insert, text, update
from sqlalchemy.orm import Session


def _as_text(value: Any) -> str | None:
    """A value as PostgreSQL reads it back with a cast to the column's type."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, enum.Enum):
        return str(value.value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, dict | list):
        return json.dumps(value)
    return str(value)


def _keys(rows: Sequence[dict[str, Any]]) -> list[str]:
    keys = list(rows[0])
    if any(list(row) != keys for row in rows):
        raise ValueError("every row of a bulk write must have the same keys in the same order")
    return keys


def _column_texts(values: list[Any]) -> list[Any]:
    if all(v is None or v.__class__ is str for v in values):
        return values  # psycopg sends a list of str as it is
    return [_as_text(v) for v in values]


def _json_rows(session: Session, table: Table, keys: list[str], rows) -> str:
    """The rows as one JSON array of arrays of the values SQLite would be given."""
    dialect = _dialect(session)
    processors = [table.c[key].type.dialect_impl(dialect).bind_processor(dialect) for key in keys]
    converted = [
        [
            process(row[key]) if process is not None else row[key]
            for key, process in zip(keys, processors, strict=True)
        ]
        for row in rows
    ]
    return json.dumps(converted, ensure_ascii=False)


def _json_select(session: Session, table: Table, keys: list[str]) -> str:
    columns = ", ".join(
        f"json_extract(value, '$[{i}]') AS {_quote(session, table.c[key].name)}"
        for i, key in enumerate(keys)
    )
    # Only column names from the table's metadata and numbered paths reach the SQL.
    return f"SELECT {columns} FROM json_each(:rows)"  # noqa: S608


def _dialect(session: Session):
    return session.get_bind().dialect


def _unnest(session: Session, table: Table, keys: list[str], rows) -> tuple[str, dict[str, Any]]:
    """`SELECT CAST(v.c0 AS type), ... FROM unnest(CAST(:c0 AS TEXT[]), ...) AS v(c0, ...)`
    and its parameters, one text array per column."""
    dialect = _dialect(session)
    arrays = ", ".join(f"CAST(:c{i} AS TEXT[])" for i in range(len(keys)))
    names = ", ".join(f"c{i}" for i in range(len(keys)))
    casts = ", ".join(
        f"CAST(v.c{i} AS {table.c[key].type.compile(dialect=dialect)})"
        f" AS {_quote(session, table.c[key].name)}"
        for i, key in enumerate(keys)
    )
    params = {f"c{i}": _column_texts([row[key] for row in rows]) for i, key in enumerate(keys)}
    # Only column names from the table's metadata and numbered placeholders reach the SQL.
    return f"SELECT {casts} FROM unnest({arrays}) AS v({names})", params  # noqa: S608


def _quote(session: Session, name: str) -> str:
    return _dialect(session).identifier_preparer.quote(name)


def insert_rows(
    session: Session,
    table: Table,
    rows: Sequence[dict[str, Any]],
    *,
    returning: Sequence[Column] = (),
) -> list[Row]:
    """Insert rows; returns the `returning` columns of every inserted row, in no set order:
    return a unique column too, to match them up. (Asking for the parameters' order would
    make SQLAlchemy insert one row per statement on SQLite.)"""
    if not rows:
        return []
    keys = _keys(rows)
    name = _dialect(session).name
    if name == "postgresql":
        values, params = _unnest(session, table, keys, rows)
    elif name == "sqlite":
        values = _json_select(session, table, keys)
        params = {"rows": _json_rows(session, table, keys, rows)}
    else:
        statement = insert(table)
        if returning:
            return list(session.execute(statement.returning(*returning), list(rows)).all())
        session.execute(statement, list(rows))
        return []
    columns = ", ".join(_quote(session, table.c[key].name) for key in keys)
    sql = f"INSERT INTO {_quote(session, table.name)} ({columns}) {values}"
    if returning:
        sql += " RETURNING " + ", ".join(_quote(session, c.name) for c in returning)
        return list(session.execute(text(sql), params).all())
    session.execute(text(sql), params)
    return []


def update_rows(
    session: Session, table: Table, rows: Sequence[dict[str, Any]], *, key: str = "id"
) -> None:
    """Update rows found by their `key` column; every other key of a row is a column to set."""
    if not rows:
        return
    keys = _keys(rows)
    if key not in keys:
        raise ValueError(f"every row of a bulk update needs its {key!r}")
    others = [k for k in keys if k != key]
    ordered = [key, *others]
    rows = [{k: r[k] for k in ordered} for r in rows]
    name = _dialect(session).name
    if name == "postgresql":
        values, params = _unnest(session, table, ordered, rows)
    elif name == "sqlite":
        values = _json_select(session, table, ordered)
        params = {"rows": _json_rows(session, table, ordered, rows)}
    else:
        statement = (
            update(table)
            .where(table.c[key] == bindparam("_key"))
            .values({k: bindparam(k) for k in others})
        )
        session.execute(statement, [{"_key": r[key]} | {k: r[k] for k in others} for r in rows])
        return
    target = _quote(session, table.name)
    assignments = ", ".join(
        f"{_quote(session, table.c[k].name)} = new.{_quote(session, table.c[k].name)}"
        for k in others
    )
    match = (
        f"{target}.{_quote(session, table.c[key].name)} = new.{_quote(session, table.c[key].name)}"
    )
    session.execute(
        text(f"UPDATE {target} SET {assignments} FROM ({values}) AS new WHERE {match}"),  # noqa: S608
        params,
    )
