"""Exports as operations: build the table, render it, and audit who exported what.

Every export writes one ``report.exported`` audit entry with its kind, format, filters and
row count (never the rows). Nothing is committed here; the request commits once.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from flask_babel import gettext as _

from portal.assistant.review.export import download_filename
from portal.audit.operations import record
from portal.core.clock import today_in_seoul
from portal.reports import queries, tabular
from portal.scheduling.models import TrainingSession


class ExportKind(enum.StrEnum):
    SESSION_ROSTER = "session-roster"
    SESSION_ATTENDANCE = "session-attendance"
    COMPLETIONS = "completions"
    HOURS = "hours"
    COMPLIANCE = "compliance"
    USAGE = "usage"


# The exports of the exports page (the two session exports live on the session pages).
ORG_KINDS = (ExportKind.COMPLETIONS, ExportKind.HOURS, ExportKind.COMPLIANCE, ExportKind.USAGE)

_BUILDERS = {
    ExportKind.COMPLETIONS: queries.completions,
    ExportKind.HOURS: queries.learning_hours,
    ExportKind.COMPLIANCE: queries.compliance,
    ExportKind.USAGE: queries.sandbox_usage,
}


def kind_label(kind: ExportKind) -> str:
    return {
        ExportKind.SESSION_ROSTER: _("신청자 명단"),
        ExportKind.SESSION_ATTENDANCE: _("출석부"),
        ExportKind.COMPLETIONS: _("수료자 현황"),
        ExportKind.HOURS: _("상시학습 시간"),
        ExportKind.COMPLIANCE: _("신규 임용자 필수교육 이수 현황"),
        ExportKind.USAGE: _("AI 실습 공간 부서별 사용량"),
    }[kind]


def kind_description(kind: ExportKind) -> str:
    return {
        ExportKind.COMPLETIONS: _(
            "과정·차수별 수료자와 인정 시간입니다. 연도는 수료일 기준입니다."
        ),
        ExportKind.HOURS: _(
            "사람마다 그 해의 인정 시간(포털·외부), 승인 대기 시간, 목표와 달성 여부입니다."
        ),
        ExportKind.COMPLIANCE: _(
            "그 해에 임용된 사람마다 필수 과정의 이수 기한과 상태(수료·신청·미수료·미신청)입니다."
        ),
        ExportKind.USAGE: _(
            "부서·월별 사용자 수, 메시지 수, 토큰 수입니다. 대화 내용은 담지 않습니다."
        ),
    }[kind]


@dataclass(frozen=True)
class ExportFile:
    body: bytes
    mimetype: str
    filename: str
    fallback: str
    rows: int


def _file(kind: ExportKind, title: str, table: queries.Table, file_format: str) -> ExportFile:
    body, mimetype = tabular.render(file_format, table.headers, table.rows, title=title)
    stamp = today_in_seoul().strftime("%Y%m%d")
    return ExportFile(
        body=body,
        mimetype=mimetype,
        filename=download_filename(f"{title} {stamp}", limit=80, extension=file_format),
        fallback=f"{kind.value}-{stamp}.{file_format}",
        rows=len(table.rows),
    )


def _audit(kind: ExportKind, file_format: str, rows: int, actor_id: int, **details) -> None:
    record(
        "report.exported",
        target_type="report",
        target_id=kind.value,
        actor_id=actor_id,
        details={"kind": kind.value, "format": file_format, "rows": rows, **details},
    )


def export_report(
    kind: ExportKind, filters: queries.ExportFilters, file_format: str, actor_id: int
) -> ExportFile:
    """One organisation-wide export (completions, hours, compliance, usage), audited."""
    table = _BUILDERS[kind](filters)
    title = kind_label(kind)
    if filters.year:
        title = f"{title} {filters.year}"
    exported = _file(kind, title, table, file_format)
    _audit(kind, file_format, exported.rows, actor_id, filters=filters.as_details())
    return exported


def export_session(
    kind: ExportKind,
    session: TrainingSession,
    department_id: int | None,
    file_format: str,
    actor_id: int,
) -> ExportFile:
    """A session's roster or attendance sheet, audited against the session."""
    builder = (
        queries.session_roster if kind is ExportKind.SESSION_ROSTER else queries.session_attendance
    )
    table = builder(session, department_id)
    title = f"{kind_label(kind)} {session.course.title} {session.round_number}"
    exported = _file(kind, title, table, file_format)
    filters = {"session_id": session.id}
    if department_id is not None:
        filters["department_id"] = department_id
    _audit(kind, file_format, exported.rows, actor_id, filters=filters)
    return exported
