"""Departments: a tree of 실·국 → 과 → 팀."""

from __future__ import annotations

import enum

from sqlalchemy import Boolean, ForeignKey, String, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import Base, intpk, str_enum


class DepartmentKind(enum.StrEnum):
    BUREAU = "bureau"  # 실·국·본부
    DIVISION = "division"  # 과·담당관
    TEAM = "team"  # 팀


# A 과 sits under a 실·국, a 팀 under a 과.
ALLOWED_PARENT: dict[DepartmentKind, DepartmentKind | None] = {
    DepartmentKind.BUREAU: None,
    DepartmentKind.DIVISION: DepartmentKind.BUREAU,
    DepartmentKind.TEAM: DepartmentKind.DIVISION,
}


class Department(Base):
    __tablename__ = "departments"

    id: Mapped[intpk]
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[DepartmentKind] = mapped_column(str_enum(DepartmentKind))
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("departments.id", ondelete="RESTRICT"), index=True
    )
    is_active: Mapped[bool] = mapped_column(Boolean, server_default=true(), default=True)

    parent: Mapped[Department | None] = relationship(remote_side="Department.id", lazy="raise")

    def __repr__(self) -> str:
        return f"<Department {self.code} {self.name}>"
