"""The quarterly one-page report for higher authorities (분기 보고서, PDF).

Every figure comes from the dashboards' own queries with the same filters (the year, the
quarter and the department), formatted the way the dashboards show it, so the report and
the dashboards cannot disagree. Only aggregates appear: no person is named.
"""

from __future__ import annotations

from decimal import Decimal

from flask_babel import gettext as _

from portal.core.clock import today_in_seoul
from portal.core.templating import hours_text
from portal.dashboards import queries
from portal.dashboards.filters import Filters
from portal.reports.quarterly_pdf import (
    MAX_TABLE_ROWS,
    Bar,
    Bars,
    Figure,
    QuarterlyReport,
    Section,
    Table,
)


def pct(value: float | None) -> str:
    """As the dashboards' ``pct`` macro: one decimal and a percent sign, or a dash."""
    return "—" if value is None else f"{value:.1f}%"


def num(value: int | Decimal) -> str:
    return f"{value:,}"


def hours(value: Decimal) -> str:
    """The portal's one rule for hours (4, 7.5, never 4.0), with thousands separators."""
    whole, _point, fraction = hours_text(value).partition(".")
    return f"{int(whole):,}" + (f".{fraction}" if fraction else "")


def stage_labels() -> dict[str, str]:
    """The funnel's stage names, shared by the adoption dashboard and the report."""
    return {
        "staff": _("직원"),
        "enrolled": _("교육 신청(확정)"),
        "completed": _("수료"),
        "practised": _("AI 실습"),
        "submitted": _("과제 제출"),
    }


def _period(filters: Filters) -> str:
    first, last = filters.first_day, filters.last_day
    return _(
        "%(year)d년 %(q)d분기 (%(first)s ~ %(last)s)",
        year=filters.year,
        q=filters.quarter or 0,
        first=f"{first.month}. {first.day}.",
        last=f"{last.month}. {last.day}.",
    )


def build(filters: Filters, scope_label: str) -> QuarterlyReport:
    """The report's contents for a quarter (``filters.quarter`` must be set)."""
    funnel = queries.adoption(filters)
    held = queries.sessions(filters).total
    by_department = queries.departments(filters)
    sandbox = queries.sandbox(filters)
    total = by_department.total

    stage_names = stage_labels()
    bars = [
        Bar(
            stage_names[stage.key],
            _("%(n)s명 (%(pct)s)", n=num(stage.people), pct=pct(stage.percent_of_staff)),
            (stage.people / funnel.staff) if funnel.staff else 0.0,
        )
        for stage in funnel.stages
    ]
    if sandbox.cost is None:
        cost = _("알 수 없음 (가격 미설정)")
    else:
        cost = _("%(won)s원", won=num(sandbox.cost))
    sections = [
        Section(
            _("교육 실시"),
            [
                Figure(_("교육 차수"), _("%(n)s회", n=num(held.sessions))),
                Figure(
                    _("확정 인원 / 정원"),
                    f"{num(held.seats_taken)} / {num(held.capacity)}",
                    _("정원 충족률 %(pct)s", pct=pct(held.fill_rate)),
                ),
                Figure(_("불참률"), pct(held.no_show_rate)),
                Figure(
                    _("만족도 (5점 만점)"),
                    "—" if held.satisfaction is None else f"{held.satisfaction:.2f}",
                ),
            ],
        ),
        Section(
            _("수료"),
            [
                Figure(_("수료한 직원"), _("%(n)s명", n=num(total.completed))),
                Figure(_("수료율"), pct(total.completion_rate), _("확정된 직원 가운데 수료")),
                Figure(
                    _("신규자 필수교육 이수율"),
                    pct(total.compliance_rate),
                    _(
                        "기한이 지난 %(due)s건 가운데 %(done)s건",
                        due=num(total.mandatory_due),
                        done=num(total.mandatory_done),
                    ),
                ),
            ],
        ),
        Section(
            _("상시학습 (연간 누계)"),
            [
                Figure(_("인정 학습시간"), _("%(h)s시간", h=hours(total.hours))),
                Figure(
                    _("1인당 학습시간"),
                    "—"
                    if total.hours_per_person is None
                    else _("%(h)s시간", h=hours(total.hours_per_person)),
                    _("연간 목표 %(target)d시간", target=by_department.target),
                ),
                Figure(_("목표 진도 달성 직원"), pct(total.on_track_rate)),
            ],
        ),
        Section(
            _("AI 실습 활용"),
            [
                Figure(_("실습한 직원"), _("%(n)s명", n=num(sandbox.active_users))),
                Figure(_("보낸 메시지"), _("%(n)s건", n=num(sandbox.messages))),
                Figure(_("예상 비용"), cost, _("토큰 %(n)s개", n=num(sandbox.tokens))),
                Figure(
                    _("개인정보 점검"),
                    _("%(n)s건", n=num(sandbox.guard_events)),
                    _("보내기 전에 걸러 낸 결정"),
                ),
                Figure(
                    _("절약한 시간(추정)"),
                    _("%(n)s분", n=num(sandbox.time_saved.minutes_saved)),
                    _("과제 %(n)s건의 제출자 추정", n=num(sandbox.time_saved.answered)),
                ),
            ],
        ),
    ]
    rows = [
        [
            (row.name or _("(소속 없음)")) + (_(" (직속)") if row.is_direct else ""),
            num(row.staff),
            pct(row.completion_rate),
            "—" if row.hours_per_person is None else hours(row.hours_per_person),
            pct(row.on_track_rate),
            pct(row.compliance_rate),
        ]
        for row in by_department.rows
    ]
    left_out = max(len(rows) - MAX_TABLE_ROWS, 0)
    table = Table(
        _("부서별 현황"),
        [
            _("부서"),
            _("직원"),
            _("수료율"),
            _("1인당 시간"),
            _("목표 진도"),
            _("필수교육"),
        ],
        rows,
        _("그 외 %(n)d개 부서는 대시보드에 있습니다.", n=left_out) if left_out else "",
    )
    return QuarterlyReport(
        title=_("생성형 AI 역량강화 교육 분기 보고"),
        period_label=_period(filters),
        scope_label=scope_label,
        issuer=_("AI 역량강화 교육 포털"),
        issued_label=_("작성일 %(day)s", day=today_in_seoul().isoformat()),
        sections=sections,
        funnel=Bars(_("교육에서 실습까지 (직원 대비)"), bars),
        table=table,
        footnotes=[
            _("* 모든 수치는 같은 조건의 대시보드(교육 운영 > 대시보드)와 같은 집계입니다."),
            _("* 수료율·필수교육 이수율은 이 분기 기준, 학습시간과 목표 진도는 연간 기준입니다."),
            _(
                "* 예상 비용은 관리자가 정한 모델 가격으로 계산하며, 절약한 시간은 제출자가 적은 추정입니다."
            ),
        ],
    )
