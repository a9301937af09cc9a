"""Staff accounts."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import Boolean, Date, ForeignKey, Integer, LargeBinary, String, false, func, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import Base, UTCDateTime, intpk, str_enum, utc_datetime
from portal.org.models import Department


class Role(enum.StrEnum):
    STAFF = "staff"
    INSTRUCTOR = "instructor"
    COORDINATOR = "coordinator"
    ADMIN = "admin"


class User(Base):
    __tablename__ = "users"

    id: Mapped[intpk]
    employee_number: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(50))
    email: Mapped[str] = mapped_column(String(254), unique=True)
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("departments.id", ondelete="RESTRICT"), index=True
    )
    grade: Mapped[str] = mapped_column(String(30), server_default="", default="")
    appointed_on: Mapped[dt.date | None] = mapped_column(Date, index=True)
    role: Mapped[Role] = mapped_column(
        str_enum(Role),
        server_default=Role.STAFF.value,
        default=Role.STAFF,
    )
    locale: Mapped[str] = mapped_column(String(5), server_default="ko", default="ko")
    is_active: Mapped[bool] = mapped_column(Boolean, server_default=true(), default=True)
    # Approves enrolments for their department (and its teams) on courses that require it.
    is_department_head: Mapped[bool] = mapped_column(Boolean, server_default=false(), default=False)
    # SHA-256 of the private iCal feed token; the token itself is shown once to the user.
    ical_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)

    password_hash: Mapped[str | None] = mapped_column(String(255))
    password_changed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    failed_login_count: Mapped[int] = mapped_column(Integer, server_default="0", default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    last_login_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[utc_datetime] = mapped_column(server_default=func.now())

    department: Mapped[Department | None] = relationship(lazy="raise")

    # Flask-Login protocol. is_active doubles as Flask-Login's flag.
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return str(self.id)

    def has_role(self, *roles: Role) -> bool:
        return self.role in roles

    def __repr__(self) -> str:
        return f"<User {self.id}>"


class RosterUpload(Base):
    """An HR roster file held between its dry run and the admin's confirmation."""

    __tablename__ = "roster_uploads"

    id: Mapped[intpk]
    uploaded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    filename: Mapped[str] = mapped_column(String(255))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[utc_datetime]
    applied_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
