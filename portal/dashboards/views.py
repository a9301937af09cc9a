"""The dashboards (/manage/dashboards): coordinators and admins.

Each page reads its filters (bad values fall back to the default with a message), calls
one function of ``queries`` and renders the figures as charts with data tables. With
``COORDINATOR_DEPARTMENT_SCOPE`` a coordinator sees only their own department subtree.
Only aggregates are shown, no person, so nothing here is audited.
"""

from __future__ import annotations

import dataclasses
from urllib.parse import quote

from flask import Blueprint, Response, current_app, render_template
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.exceptions import Forbidden

from portal.assistant.backends import registry
from portal.auth.access import role_required
from portal.catalog.models import Course
from portal.dashboards import charts, quarterly, queries
from portal.dashboards.filters import YEAR_MIN, from_request, year_max
from portal.db import db
from portal.org.operations import department_choices
from portal.reports import access, quarterly_pdf
from portal.users.models import Role

bp = Blueprint("dashboards", __name__, url_prefix="/manage/dashboards")

PAGES = ("adoption", "departments", "sessions", "sandbox")


class _Refused(Forbidden):
    def __init__(self, message: str) -> None:
        super().__init__()
        self.user_message = message


def _page_titles() -> dict[str, str]:
    return {
        "adoption": _("도입 현황 (교육에서 실습까지)"),
        "departments": _("부서별 현황"),
        "sessions": _("교육 차수 현황"),
        "sandbox": _("AI 실습 공간 사용 현황"),
    }


def _page_descriptions() -> dict[str, str]:
    return {
        "adoption": _(
            "직원 가운데 교육을 신청하고, 수료하고, AI 실습 공간에서 연습하고, 과제를 낸 사람의 수"
        ),
        "departments": _(
            "부서별 수료율, 학습시간 목표 대비 실적, 목표 진도 달성 비율, 신규자 필수교육 이수율"
        ),
        "sessions": _("과정별 정원 충족률, 대기자 수, 불참률, 만족도"),
        "sandbox": _("사용자 수, 메시지, 토큰, 예상 비용, 개인정보 점검, 답변 평가, 절약한 시간"),
    }


def guard_kind_labels() -> dict[str, str]:
    return {
        "rrn": _("주민등록번호"),
        "arn": _("외국인등록번호"),
        "passport": _("여권번호"),
        "driver_licence": _("운전면허번호"),
        "phone": _("전화번호"),
        "email": _("전자우편 주소"),
        "brn": _("사업자등록번호"),
        "bank_account": _("계좌번호"),
        "card": _("카드번호"),
        "marker": _("분류 표시"),
    }


def period_label(filters) -> str:
    """ "2026년" or "2026년 4분기"."""
    if filters.quarter is None:
        return _("%(year)d년", year=filters.year)
    return _("%(year)d년 %(q)d분기", year=filters.year, q=filters.quarter)


def _context(page: str) -> dict:
    """Filters and their choices (three statements, four for a scoped coordinator)."""
    scoped = access.is_scoped(current_user)
    if scoped and current_user.department_id is None:
        raise _Refused(
            _("소속 부서가 없어 현황을 볼 수 없습니다. 관리자에게 소속 부서 등록을 요청하세요.")
        )
    departments = department_choices(active_only=False)
    existing = {i for i, _label in departments}
    allowed = access.allowed_departments(current_user)
    if allowed is not None:
        departments = [(i, label) for i, label in departments if i in allowed]
    courses = db.session.execute(
        select(Course.id, Course.title, Course.title_en).order_by(
            Course.sort_order, Course.title, Course.id
        )
    ).all()
    parsed = from_request(
        department_ids=existing,
        course_ids={c.id for c in courses},
        allowed_departments=allowed,
        own_department_id=current_user.department_id,
    )
    filters = parsed.filters
    labels = dict(departments)
    return {
        "page": page,
        "pages": PAGES,
        "titles": _page_titles(),
        "descriptions": _page_descriptions(),
        "filters": filters,
        "period_label": period_label(filters),
        "messages": parsed.messages,
        "departments": departments,
        "department_label": labels.get(filters.department_id) if filters.department_id else None,
        "courses": courses,
        "course_title": next((c.title for c in courses if c.id == filters.course_id), None),
        "years": list(range(year_max(), YEAR_MIN - 1, -1))[:8],
        "scoped": scoped,
        # Conversations (messages, ratings) are purged after this many days.
        "retention_days": int(current_app.config["ASSISTANT_RETENTION_DAYS"]),
    }


@bp.route("/")
@role_required(Role.COORDINATOR, Role.ADMIN)
def index():
    context = _context("index")
    return render_template("dashboards/index.html", **context)


@bp.route("/quarterly-report")
@role_required(Role.COORDINATOR, Role.ADMIN)
def quarterly_report():
    """The quarterly one-page PDF for the chosen year, quarter and department.

    The course filter does not apply: the report covers all training. A bad value or a
    missing quarter shows the overview with the message instead of a file.
    """
    context = _context("index")
    filters = dataclasses.replace(context["filters"], course_id=None)
    if filters.quarter is None:
        context["messages"].append(
            _("분기 보고서는 분기를 골라야 만들 수 있습니다. 아래에서 분기를 골라 주세요.")
        )
    if context["messages"]:
        return render_template("dashboards/index.html", **context), 400
    scope = context["department_label"] or (
        _("담당 부서 전체") if context["scoped"] else _("전체 부서")
    )
    body = quarterly_pdf.render(quarterly.build(filters, scope))
    filename = _("AI교육_분기보고_%(year)d년_%(q)d분기.pdf", year=filters.year, q=filters.quarter)
    fallback = f"ai-training-report-{filters.year}-q{filters.quarter}.pdf"
    response = Response(body, mimetype="application/pdf")
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}"
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/adoption")
@role_required(Role.COORDINATOR, Role.ADMIN)
def adoption():
    context = _context("adoption")
    funnel = queries.adoption(context["filters"])
    names = quarterly.stage_labels()
    chart = charts.bar(
        [names[s.key] for s in funnel.stages],
        [(_("사람 수"), [s.people for s in funnel.stages])],
        horizontal=True,
    )
    return render_template(
        "dashboards/adoption.html",
        funnel=funnel,
        stage_names=names,
        funnel_chart=chart,
        **context,
    )


@bp.route("/departments")
@role_required(Role.COORDINATOR, Role.ADMIN)
def departments():
    context = _context("departments")
    report = queries.departments(context["filters"])
    names = [row_name(row, context["filters"].department_id) for row in report.rows]
    rates = charts.bar(
        names,
        [
            (_("수료율"), [r.completion_rate for r in report.rows]),
            (_("목표 진도 달성 비율"), [r.on_track_rate for r in report.rows]),
            (_("필수교육 이수율"), [r.compliance_rate for r in report.rows]),
        ],
        horizontal=True,
        percent=True,
    )
    hours = charts.bar(
        names,
        [
            (_("1인당 인정 학습시간"), [_number(r.hours_per_person) for r in report.rows]),
            (_("오늘까지의 목표"), [float(report.expected_hours)] * len(report.rows)),
        ],
        horizontal=True,
    )
    return render_template(
        "dashboards/departments.html",
        report=report,
        names=names,
        rates_chart=rates,
        hours_chart=hours,
        **context,
    )


def row_name(row: queries.DepartmentRow, filtered: int | None) -> str:
    if row.is_direct:
        if filtered is None:
            return _("소속 부서 없음")
        return _("%(name)s (직속)", name=row.name)
    return row.name


def _number(value) -> float | None:
    return None if value is None else float(value)


@bp.route("/sessions")
@role_required(Role.COORDINATOR, Role.ADMIN)
def sessions():
    context = _context("sessions")
    report = queries.sessions(context["filters"])
    titles = [row.title for row in report.rows]
    rates = charts.bar(
        titles,
        [
            (_("정원 충족률"), [r.fill_rate for r in report.rows]),
            (_("불참률"), [r.no_show_rate for r in report.rows]),
        ],
        horizontal=True,
        percent=True,
    )
    satisfaction = charts.bar(
        titles, [(_("만족도 (5점 만점)"), [r.satisfaction for r in report.rows])], horizontal=True
    )
    return render_template(
        "dashboards/sessions.html",
        report=report,
        rates_chart=rates,
        satisfaction_chart=satisfaction,
        **context,
    )


@bp.route("/sandbox")
@role_required(Role.COORDINATOR, Role.ADMIN)
def sandbox():
    context = _context("sandbox")
    report = queries.sandbox(context["filters"])
    kind_labels = guard_kind_labels()
    kinds = charts.bar(
        [kind_labels.get(kind, kind) for kind, _n in report.guard_kinds],
        [(_("건수"), [n for _kind, n in report.guard_kinds])],
        horizontal=True,
    )
    ratings = charts.bar(
        [_("%(n)d점", n=score) for score in range(1, 6)],
        [(_("평가 수"), list(report.ratings))],
    )
    # The label a model is configured with (the models page shows the same); a key no
    # longer configured is shown as stored, and usage recorded without one as unknown.
    configured = registry.configured()
    model_names = {
        m.model_key: str(configured[m.model_key].label)
        if m.model_key in configured
        else m.model_key or _("알 수 없는 모델")
        for m in report.models
    }
    tokens = charts.bar(
        [model_names[m.model_key] for m in report.models],
        [
            (_("입력 토큰"), [m.prompt_tokens for m in report.models]),
            (_("출력 토큰"), [m.completion_tokens for m in report.models]),
        ],
        horizontal=True,
        stacked=True,
    )
    return render_template(
        "dashboards/sandbox.html",
        report=report,
        kind_labels=kind_labels,
        kinds_chart=kinds,
        ratings_chart=ratings,
        tokens_chart=tokens,
        model_names=model_names,
        **context,
    )
