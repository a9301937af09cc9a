"""Courses, as synchronised from the reviewed data in courses/."""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Table,
    Text,
    false,
    text,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import Base, UTCDateTime, intpk, str_enum


class Category(enum.StrEnum):
    LITERACY = "literacy"  # AI 이해·윤리
    PRACTICE = "practice"  # 업무 활용 실습
    DATA = "data"  # 공공데이터
    PLANNING = "planning"  # AI 서비스 기획
    SPECIAL = "special"  # 특강


class Level(enum.StrEnum):
    BASIC = "basic"  # 기초
    APPLIED = "applied"  # 활용
    ADVANCED = "advanced"  # 심화


class Format(enum.StrEnum):
    CLASSROOM = "classroom"  # 집합
    ONLINE = "online"  # 온라인
    BLENDED = "blended"  # 혼합


course_prerequisites = Table(
    "course_prerequisites",
    Base.metadata,
    Column("course_id", ForeignKey("courses.id", ondelete="CASCADE"), primary_key=True),
    Column("prerequisite_id", ForeignKey("courses.id", ondelete="CASCADE"), primary_key=True),
)


class Course(Base):
    __tablename__ = "courses"

    id: Mapped[intpk]
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200), server_default="", default="")
    summary: Mapped[str] = mapped_column(Text)
    description_md: Mapped[str] = mapped_column(Text, server_default="", default="")
    category: Mapped[Category] = mapped_column(str_enum(Category))
    level: Mapped[Level] = mapped_column(str_enum(Level))
    format: Mapped[Format] = mapped_column(str_enum(Format))
    recognised_hours: Mapped[Decimal] = mapped_column(Numeric(5, 1))
    audience: Mapped[str] = mapped_column(Text, server_default="", default="")
    is_mandatory_for_new: Mapped[bool] = mapped_column(
        Boolean, server_default=false(), default=False
    )
    mandatory_within_days: Mapped[int | None] = mapped_column(Integer)
    requires_approval: Mapped[bool] = mapped_column(Boolean, server_default=false(), default=False)
    requires_exercise: Mapped[bool] = mapped_column(Boolean, server_default=false(), default=False)
    # Satisfaction survey: [{"key", "text", "text_en"}] rated 1–5, from course.yml.
    survey_questions: Mapped[list[dict[str, Any]]] = mapped_column(
        JSON, server_default=text("'[]'"), default=list
    )
    # Completion waits for the person's survey answer only when the course says so.
    requires_survey: Mapped[bool] = mapped_column(Boolean, server_default=false(), default=False)
    sort_order: Mapped[int] = mapped_column(Integer, server_default="0", default=0)
    is_active: Mapped[bool] = mapped_column(Boolean, server_default=true(), default=True)
    # SHA-256 of the course's source files, so `flask courses sync` can tell "unchanged".
    source_hash: Mapped[str] = mapped_column(String(64))
    synced_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())

    prerequisites: Mapped[list[Course]] = relationship(
        secondary=course_prerequisites,
        primaryjoin=lambda: Course.id == course_prerequisites.c.course_id,
        secondaryjoin=lambda: Course.id == course_prerequisites.c.prerequisite_id,
        lazy="raise",
    )

    def __repr__(self) -> str:
        return f"<Course {self.slug}>"
