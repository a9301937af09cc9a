"""AI service idea pages: staff submit and book, coordinators triage and offer slots.

Thin views: parse, check access, call one operation (portal.ideas.operations). An idea the
caller may not read is not found (404) on every URL, the same as a missing id.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.assistant.models import DocType
from portal.auth.access import login_required, role_required
from portal.core.clock import utcnow
from portal.core.inputs import query_int, query_page
from portal.db import db
from portal.ideas import operations as ops
from portal.ideas import queries
from portal.ideas.forms import (
    NONE,
    BookForm,
    IdeaForm,
    OutcomeForm,
    SlotForm,
    TransitionForm,
    WithdrawForm,
)
from portal.ideas.ics import slot_invite
from portal.ideas.labels import GRADE_LABELS, NEXT_STEP_LABELS, STATUS_LABELS
from portal.ideas.models import IdeaDataGrade, IdeaStatus, NextStep
from portal.org.operations import department_choices
from portal.users.models import Role, User

bp = Blueprint("ideas", __name__, url_prefix="/ideas")

COORDINATION = (Role.COORDINATOR, Role.ADMIN)


def _me() -> User:
    return db.session.get(User, current_user.id)


def _labels() -> dict:
    return {
        "status_labels": STATUS_LABELS,
        "grade_labels": GRADE_LABELS,
        "next_step_labels": NEXT_STEP_LABELS,
        "statuses": list(IdeaStatus),
    }


def _status_arg() -> IdeaStatus | None:
    try:
        return IdeaStatus(request.args.get("status", ""))
    except ValueError:
        return None


# --- staff -------------------------------------------------------------------------


@bp.route("/")
@login_required
def my_ideas():
    return render_template(
        "ideas/mine.html",
        page=queries.my_ideas(current_user.id, query_page()),
        consulting=queries.consulting_ideas(current_user.id),
        **_labels(),
    )


def _idea_form(user: User, *, include_id: int | None = None) -> tuple[IdeaForm, set[int]]:
    form = IdeaForm()
    choices = department_choices(include_ids=[include_id] if include_id else ())
    form.department_id.choices = [(NONE, _("부서를 고르세요")), *choices]
    return form, {dept_id for dept_id, _label in choices}


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new_idea():
    user = _me()
    draft_id = query_int("draft")
    draft = None
    if draft_id is not None:
        draft = ops.source_draft(user, draft_id) or abort(404)
    form, department_ids = _idea_form(user)
    if request.method == "GET":
        form.department_id.data = user.department_id or NONE
        form.data_grade.data = IdeaDataGrade.PUBLIC.value
        if draft is not None:
            doc_type = db.session.get(DocType, draft.doc_type_id)
            for name, value in ops.prefill_from_draft(draft, doc_type.data).items():
                getattr(form, name).data = value
    if form.validate_on_submit():
        try:
            idea = ops.submit_idea(
                user,
                form.to_input(department_ids),
                source_draft_id=draft.id if draft else None,
            )
        except ops.IdeaError as err:
            form.form_errors.append(str(err))
        else:
            flash(_("아이디어를 제출했습니다. 교육 담당자가 검토한 뒤 알려 드립니다."), "success")
            if idea.data_grade is IdeaDataGrade.CONFIDENTIAL:
                flash(
                    _("기밀 등급 데이터는 AI 실습 공간에 절대 입력하지 마세요."),
                    "warning",
                )
            return redirect(url_for(".detail", idea_id=idea.id))
    return render_template("ideas/form.html", form=form, idea=None, draft=draft)


@bp.route("/<int:idea_id>/edit", methods=["GET", "POST"])
@login_required
def edit(idea_id: int):
    user = _me()
    idea = queries.own_idea(idea_id, user) or abort(404)
    if not ops.may_edit(idea, user):
        abort(404)
    form, department_ids = _idea_form(user, include_id=idea.department_id)
    if request.method == "GET":
        form.process(obj=idea)
        form.department_id.data = idea.department_id or NONE
        form.data_grade.data = idea.data_grade.value
    if form.validate_on_submit():
        try:
            ops.edit_idea(idea, user, form.to_input(department_ids))
        except ops.IdeaError as err:
            form.form_errors.append(str(err))
        else:
            flash(_("아이디어를 고쳤습니다."), "success")
            return redirect(url_for(".detail", idea_id=idea.id))
    return render_template("ideas/form.html", form=form, idea=idea, draft=None)


@bp.route("/<int:idea_id>")
@login_required
def detail(idea_id: int):
    user = _me()
    idea = queries.visible_idea(idea_id, user) or abort(404)
    is_owner = idea.submitter_id == user.id
    is_coordinator = ops.is_coordinator(user)
    is_consultant = queries.is_consultant_of(idea.id, user.id)
    # Other staff reading a shared idea see the idea, not its history or bookings.
    insider = is_owner or is_coordinator or is_consultant
    transition = None
    if is_coordinator:
        transition = TransitionForm(formdata=None)
        transition.set_choices(idea.status)
        transition.seen.data = idea.status.value
    booked = queries.booked_slots(idea.id) if insider else []
    return render_template(
        "ideas/detail.html",
        idea=idea,
        department=queries.department_name(idea.department_id),
        submitter=queries.submitter_name(idea),
        is_owner=is_owner,
        is_coordinator=is_coordinator,
        insider=insider,
        may_edit=ops.may_edit(idea, user),
        history=queries.history(idea.id) if insider else [],
        booked=booked,
        upcoming=ops.upcoming_booking(idea.id) if is_owner else None,
        bookable=queries.bookable_slots(idea) if is_owner else [],
        outcomes={o.slot_id: o for o in queries.outcomes(idea.id)} if insider else {},
        may_record={row.slot.id for row in booked if ops.may_record_outcome(row.slot, user)},
        transition=transition,
        book_form=BookForm(formdata=None),
        now=utcnow(),
        **_labels(),
    )


@bp.route("/<int:idea_id>/slots/<int:slot_id>/book", methods=["POST"])
@login_required
def book(idea_id: int, slot_id: int):
    user = _me()
    queries.own_idea(idea_id, user) or abort(404)
    form = BookForm()
    if not form.validate():
        abort(400)
    try:
        ops.book(idea_id, slot_id, user)
    except ops.IdeaError as err:
        flash(str(err), "error")
    else:
        flash(_("컨설팅 시간을 예약했습니다. 일정 파일(.ics)을 받아 두세요."), "success")
    return redirect(url_for(".detail", idea_id=idea_id))


@bp.route("/<int:idea_id>/slots/<int:slot_id>/cancel", methods=["POST"])
@login_required
def cancel_booking(idea_id: int, slot_id: int):
    user = _me()
    queries.own_idea(idea_id, user) or abort(404)
    form = BookForm()
    if not form.validate():
        abort(400)
    try:
        ops.cancel_booking(idea_id, slot_id, user)
    except ops.IdeaError as err:
        flash(str(err), "error")
    else:
        flash(_("컨설팅 예약을 취소했습니다. 다른 시간을 예약할 수 있습니다."), "success")
    return redirect(url_for(".detail", idea_id=idea_id))


@bp.route("/<int:idea_id>/slots/<int:slot_id>/consulting.ics")
@login_required
def slot_ics(idea_id: int, slot_id: int):
    user = _me()
    idea = queries.visible_idea(idea_id, user) or abort(404)
    insider = idea.submitter_id == user.id or ops.is_coordinator(user)
    if not (insider or queries.is_consultant_of(idea.id, user.id)):
        abort(404)
    slot = queries.booked_slot(idea.id, slot_id) or abort(404)
    consultant = db.session.get(User, slot.consultant_user_id) if slot.consultant_user_id else None
    body = slot_invite(slot, idea, consultant_name=consultant.name if consultant else None)
    return Response(
        body,
        mimetype="text/calendar",
        headers={"Content-Disposition": f'attachment; filename="consulting-{slot.id}.ics"'},
    )


@bp.route("/<int:idea_id>/slots/<int:slot_id>/outcome", methods=["GET", "POST"])
@login_required
def outcome(idea_id: int, slot_id: int):
    user = _me()
    idea = queries.visible_idea(idea_id, user) or abort(404)
    slot = queries.booked_slot(idea.id, slot_id) or abort(404)
    if not ops.may_record_outcome(slot, user):
        abort(404)
    form = OutcomeForm()
    if form.validate_on_submit():
        try:
            ops.record_outcome(
                idea.id, slot.id, user, form.advice.data, NextStep(form.next_step.data)
            )
        except ops.IdeaError as err:
            form.form_errors.append(str(err))
        else:
            flash(_("컨설팅 결과를 기록했습니다. 제출한 분에게 알림이 갑니다."), "success")
            return redirect(url_for(".detail", idea_id=idea.id))
    return render_template("ideas/outcome.html", form=form, idea=idea, slot=slot)


@bp.route("/board")
@login_required
def board():
    department_id = query_int("department")
    status = _status_arg()
    return render_template(
        "ideas/board.html",
        page=queries.board(department_id, status, query_page()),
        departments=queries.department_filter_choices(shared_only=True),
        department_id=department_id,
        status=status,
        **_labels(),
    )


# --- coordinators ------------------------------------------------------------------


@bp.route("/manage/")
@role_required(*COORDINATION)
def triage():
    department_id = query_int("department")
    status = _status_arg()
    return render_template(
        "ideas/triage.html",
        page=queries.triage(department_id, status, query_page()),
        departments=queries.department_filter_choices(shared_only=False),
        department_id=department_id,
        status=status,
        **_labels(),
    )


@bp.route("/manage/<int:idea_id>/status", methods=["POST"])
@role_required(*COORDINATION)
def change_status(idea_id: int):
    user = _me()
    idea = queries.visible_idea(idea_id, user) or abort(404)
    form = TransitionForm()
    form.to_status.choices = [(s.value, STATUS_LABELS[s]) for s in IdeaStatus]
    seen = form.seen_status()
    if not form.validate() or seen is None:
        messages = [e for errors in form.errors.values() for e in errors]
        flash(" ".join(str(m) for m in messages) or _("요청을 처리할 수 없습니다."), "error")
        return redirect(url_for(".detail", idea_id=idea.id))
    try:
        ops.change_status(idea.id, seen, IdeaStatus(form.to_status.data), form.reason.data, user)
    except ops.IdeaError as err:
        flash(str(err), "error")
    else:
        flash(_("상태를 바꿨습니다. 제출한 분에게 알림이 갑니다."), "success")
    return redirect(url_for(".detail", idea_id=idea.id))


@bp.route("/manage/slots", methods=["GET", "POST"])
@role_required(*COORDINATION)
def slots():
    form = SlotForm()
    form.set_choices(queries.consultant_choices(), queries.consulting_choices())
    if request.method == "GET":
        offered_for = query_int("idea")
        if offered_for:
            form.offered_for_idea_id.data = offered_for
    if form.validate_on_submit():
        try:
            ops.offer_slot(_me(), form.to_input())
        except ops.IdeaError as err:
            form.form_errors.append(str(err))
        else:
            flash(_("컨설팅 시간을 열었습니다."), "success")
            return redirect(url_for(".slots"))
    past = request.args.get("period") == "past"
    return render_template(
        "ideas/slots.html",
        form=form,
        page=queries.slot_list(query_page(), past=past),
        past=past,
        withdraw_form=WithdrawForm(formdata=None),
        **_labels(),
    )


@bp.route("/manage/slots/<int:slot_id>/withdraw", methods=["POST"])
@role_required(*COORDINATION)
def withdraw(slot_id: int):
    form = WithdrawForm()
    if not form.validate():
        abort(400)
    try:
        ops.withdraw_slot(slot_id, _me())
    except ops.IdeaError as err:
        flash(str(err), "error")
    else:
        flash(_("컨설팅 시간을 지웠습니다."), "success")
    return redirect(url_for(".slots"))


@bp.route("/manage/overview")
@role_required(*COORDINATION)
def overview():
    counts = queries.ideas_by_status_and_department()
    table: dict[str, dict[IdeaStatus, int]] = {}
    for row in counts:
        table.setdefault(row.department or _("부서 미지정"), {})[row.status] = row.count
    return render_template(
        "ideas/overview.html",
        table=table,
        totals={s: sum(r.count for r in counts if r.status is s) for s in IdeaStatus},
        pilot_hours=queries.pilot_hours_saved(),
        pilots=queries.pilot_count(),
        **_labels(),
    )
