"""The mandatory-training compliance page for coordinators (신규자 필수교육, /manage/mandatory)."""

from __future__ import annotations

import dataclasses

from flask import Blueprint, flash, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from portal.auth.access import role_required
from portal.core import inputs
from portal.core.pagination import paginate
from portal.enrollment.roster_operations import RosterError
from portal.org.operations import department_choices
from portal.reminders import mandatory_operations as ops
from portal.reminders import queries
from portal.reminders.forms import NextSessionForm
from portal.reminders.queries import Tab
from portal.users.models import Role

bp = Blueprint("mandatory", __name__, url_prefix="/manage/mandatory")

PER_PAGE = 50
INVALID = 422


def _tab(value: str | None) -> Tab:
    try:
        return Tab(value or Tab.ALL.value)
    except ValueError:
        return Tab.ALL


def _filters(courses):
    course_id = inputs.query_int("course", 0) or 0
    course = next((c for c in courses if c.id == course_id), courses[0] if courses else None)
    department_id = inputs.query_int("department", 0) or None
    include_sub = request.args.get("sub") != "0"
    return course, department_id, include_sub, _tab(request.args.get("tab"))


@bp.route("/")
@role_required(Role.COORDINATOR, Role.ADMIN)
def index():
    courses = queries.mandatory_courses()
    course, department_id, include_sub, tab = _filters(courses)
    page = next_session = None
    if course is not None:
        stmt = queries.tab_statement(course, tab, department_id, include_sub)
        page = paginate(stmt, inputs.query_page(), PER_PAGE, scalars=False)
        page = dataclasses.replace(page, items=queries.rows_from(course, page.items))
        next_session = queries.next_session_with_seats(course.id)
    return render_template(
        "mandatory/index.html",
        courses=courses,
        course=course,
        departments=department_choices(),
        department_id=department_id,
        include_sub=include_sub,
        tab=tab,
        tabs=TAB_LABELS(),
        page=page,
        next_session=next_session,
        form=NextSessionForm(),
    )


def TAB_LABELS() -> dict[Tab, str]:  # noqa: N802 - read at request time for the locale
    return {
        Tab.ALL: _("전체"),
        Tab.OVERDUE: _("기한 지남"),
        Tab.DUE_SOON: _("기한 임박 (14일 이내)"),
    }


@bp.route("/enrol", methods=["POST"])
@role_required(Role.COORDINATOR, Role.ADMIN)
def enrol():
    form = NextSessionForm()
    target = None
    if form.validate():
        target = ops.Target(
            course_id=form.course_id.data,
            department_id=form.department_id.data or None,
            include_sub=form.sub.data != 0,
            tab=_tab(form.tab.data),
        )
    plan = None
    error = None
    if target is None:
        error = _("요청을 처리할 수 없습니다. 목록에서 다시 시작해 주세요.")
    else:
        try:
            if request.form.get("step") == "confirm" and form.session_id.data:
                plan = ops.enrol_next_session(
                    target, form.session_id.data, form.digest.data or "", current_user.id
                )
            else:
                plan = ops.preview_next_session(target)
        except ops.bulk_ops.SelectionChanged as changed:
            error, plan = str(changed), changed.plan
        except RosterError as err:
            error = str(err)
    if plan is not None and plan.applied:
        flash(_("다음 차수에 일괄 신청했습니다. 사람마다 결과를 확인해 주세요."), "success")
    response = render_template(
        "mandatory/enrol.html", plan=plan, error=error, target=target, tabs=TAB_LABELS()
    )
    return (response, INVALID) if plan is None else response
