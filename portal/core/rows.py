"""Column-only reads on the request's transaction, without the ORM's per-statement work."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Executable, Row

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
