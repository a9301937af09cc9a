"""Reading JSON arrays inside SQL, on SQLite and PostgreSQL alike.

The guard stores an event's kinds as a JSON list; the dashboards count them in the
database, with the dialect's own table-valued function (``json_each`` on SQLite,
``json_array_elements_text`` on PostgreSQL, where the columns are ``json``).
"""

from __future__ import annotations

from sqlalchemy import func

from portal.db import db


def dialect() -> str:
    return db.session.get_bind().dialect.name


def array_elements(column, name: str):
    """A table-valued function with one text-comparable column ``value`` per list element."""
    if dialect() == "postgresql":
        return func.json_array_elements_text(column).table_valued("value").render_derived(name)
    # SQLite takes no column list after the alias; json_each's columns keep their names.
    return func.json_each(column).table_valued("value").alias(name)
