"""Bulk writes store exactly what an ordinary ORM write stores, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, text

from portal.audit.models import AuditEntry
from portal.core import bulk
from portal.db import db
from portal.users.models import Role, User

NOW = dt.datetime(2026, 12, 6, 8, 30, 15, 123456, tzinfo=dt.UTC)


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield


def _user_values(n: int, **overrides) -> dict:
    values = {
        "employee_number": f"BULK{n:04d}",
        "name": f"대량{n}",
        "email": f"bulk{n}@sejong.example.kr",
        "role": Role.COORDINATOR,
        "locale": "ko",
        "department_id": None,
        "grade": "행정6급",
        "appointed_on": dt.date(2021, 3, 2),
        "is_active": True,
        "is_department_head": True,
        "password_hash": None,
        "password_changed_at": None,
        "failed_login_count": 0,
        "created_at": NOW,
    }
    return values | overrides


def _raw(table: str, where: str, **params) -> dict:
    # The stored values as the database driver returns them, no ORM types in between.
    row = db.session.execute(text(f"SELECT * FROM {table} WHERE {where}"), params).mappings().one()  # noqa: S608
    return dict(row)


def test_bulk_insert_stores_what_the_orm_stores(ctx):
    db.session.add(User(**_user_values(1)))
    db.session.flush()
    inserted = bulk.insert_rows(
        db.session,
        User.__table__,
        [_user_values(2), _user_values(3, appointed_on=None, is_department_head=False)],
        returning=(User.__table__.c.employee_number, User.__table__.c.id),
    )
    assert sorted(number for number, _id in inserted) == ["BULK0002", "BULK0003"]

    by_orm = _raw("users", "employee_number = :n", n="BULK0001")
    by_bulk = _raw("users", "employee_number = :n", n="BULK0002")
    for row in (by_orm, by_bulk):
        for key in ("id", "employee_number", "email", "name"):
            row.pop(key)
    assert by_bulk == by_orm

    user = db.session.scalar(select(User).where(User.employee_number == "BULK0003"))
    assert user.appointed_on is None
    assert user.is_department_head is False
    assert user.role is Role.COORDINATOR
    assert user.created_at == NOW


def test_bulk_update_changes_only_the_given_rows_and_columns(ctx):
    ids = [
        user_id
        for _number, user_id in bulk.insert_rows(
            db.session,
            User.__table__,
            [_user_values(n) for n in (4, 5, 6)],
            returning=(User.__table__.c.employee_number, User.__table__.c.id),
        )
    ]
    first, second, untouched = sorted(ids)
    bulk.update_rows(
        db.session,
        User.__table__,
        [
            {"id": first, "grade": "행정5급", "appointed_on": None, "is_department_head": False},
            {
                "id": second,
                "grade": "",
                "appointed_on": dt.date(2000, 1, 31),
                "is_department_head": True,
            },
        ],
    )
    users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(ids)))}
    assert (users[first].grade, users[first].appointed_on) == ("행정5급", None)
    assert users[first].is_department_head is False
    assert (users[second].grade, users[second].appointed_on) == ("", dt.date(2000, 1, 31))
    assert users[untouched].grade == "행정6급"
    assert users[first].name == "대량4"


def test_bulk_audit_entries_read_back_like_recorded_ones(ctx):
    from portal.audit.operations import record, record_many

    record("user.updated", target_type="user", target_id=7, details={"fields": ["name"]})
    assert (
        record_many(
            [
                {
                    "action": "user.updated",
                    "target_type": "user",
                    "target_id": 8,
                    "details": {"fields": ["name", "grade"], "한글": "값"},
                },
                {"action": "user.department_head_changed", "target_id": 9},
            ]
        )
        == 2
    )
    entries = {
        e.target_id: e
        for e in db.session.scalars(select(AuditEntry).where(AuditEntry.target_id.in_(["8", "9"])))
    }
    assert entries["8"].details == {"fields": ["name", "grade"], "한글": "값"}
    assert entries["8"].target_type == "user"
    assert entries["9"].details == {}
    assert entries["9"].target_type is None
    assert entries["8"].occurred_at.tzinfo is not None


def test_rows_with_different_keys_are_refused(ctx):
    with pytest.raises(ValueError, match="same keys"):
        bulk.insert_rows(db.session, User.__table__, [{"name": "a"}, {"email": "b"}])
