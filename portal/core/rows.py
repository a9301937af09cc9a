"""Column-only reads on the request's transaction, without the ORM's per-statement work."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Executable, Row, literal

from portal.db import db


def read_rows(statement: Executable, params: Mapping[str, Any]) -> Sequence[Row]:
    """The rows of a SELECT of plain columns (no entities), run on the session's connection.

    Session.execute sets up ORM loading for every statement; for a few columns that setup
    cost more than the query on the pages everyone opens (the home page). The statement runs
    in the same transaction; pending changes are flushed first, as the session's autoflush
    would. Statements selecting entities must go through the session as usual.
    """
    session = db.session
    if session.autoflush:
        session.flush()
    return session.connection().execute(statement, params).all()


def one_of(column: Any, values: Sequence[Any]) -> ColumnElement[bool]:
    """``column IN (?, ?, ...)`` with one ordinary parameter per value.

    ``column.in_(values)`` makes an "expanding" parameter, which SQLAlchemy writes into the
    SQL text anew on every execution. In a statement built once and run on every page (the
    home page, 나의 학습) that rewriting cost more than the query; for a fixed set of values
    (statuses) plain parameters give the same SQL each time and need no rewriting.
    """
    return column.in_([literal(value, type_=column.type) for value in values])
