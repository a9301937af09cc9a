"""Reading JSON arrays and objects inside SQL, on SQLite and PostgreSQL alike.

The guard stores an event's kinds as a JSON list and a survey response its answers as a
JSON object; the dashboards count them in the database, so each needs the dialect's own
table-valued function (``json_each`` on SQLite, ``json_array_elements_text`` /
``json_each_text`` on PostgreSQL, where the columns are ``json``).
"""

from __future__ import annotations

from sqlalchemy import Integer, Text, and_, cast, func
from sqlalchemy.sql.elements import ColumnElement

from portal.db import db

SCORES = ("1", "2", "3", "4", "5")


def dialect() -> str:
    return db.session.get_bind().dialect.name


def array_elements(column, name: str):
    """A table-valued function with one text-comparable column ``value`` per list element."""
    if dialect() == "postgresql":
        return func.json_array_elements_text(column).table_valued("value").render_derived(name)
    # SQLite takes no column list after the alias; json_each's columns keep their names.
    return func.json_each(column).table_valued("value").alias(name)


def object_scores(column, name: str) -> tuple[object, ColumnElement[bool], ColumnElement[int]]:
    """(table, condition, score) for the object's values that are the integers 1..5.

    Matches what the survey reports count in Python: a JSON integer from 1 to 5 (not a
    boolean, a float or a string).
    """
    if dialect() == "postgresql":
        table = func.json_each(column).table_valued("key", "value").render_derived(name)
        kind = func.json_typeof(table.c.value)
        text = func.trim(cast(table.c.value, Text()))
        return table, and_(kind == "number", text.in_(SCORES)), cast(text, Integer)
    table = func.json_each(column).table_valued("key", "value", "type").alias(name)
    return (
        table,
        and_(table.c.type == "integer", table.c.value.between(1, 5)),
        table.c.value,
    )
