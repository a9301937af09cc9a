"""Admin screens for departments. Views stay thin: the rules live in portal.org.operations."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from portal.auth.access import role_required
from portal.db import db
from portal.org import operations
from portal.org.forms import NO_PARENT, DepartmentForm, EditDepartmentForm
from portal.org.models import Department
from portal.users.models import Role

bp = Blueprint("admin_org", __name__, url_prefix="/admin/departments")

# A form that failed validation comes back with 422, so the request's transaction is
# rolled back and nothing half-done can be committed.
INVALID = 422


@bp.route("/")
@role_required(Role.ADMIN)
def list_departments():
    return render_template(
        "admin/departments/list.html",
        tree=operations.department_tree(),
        kind_label=operations.kind_label,
    )


@bp.route("/new", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def create_department():
    form = DepartmentForm()
    form.set_parent_choices()
    if form.validate_on_submit():
        try:
            department = operations.create_department(form.to_input())
        except operations.DepartmentError as err:
            form.form_errors.append(str(err))
        else:
            flash(_("부서를 만들었습니다: %(name)s", name=department.name), "success")
            return redirect(url_for(".list_departments"))
    status = INVALID if form.is_submitted() else 200
    return render_template("admin/departments/form.html", form=form, department=None), status


@bp.route("/<int:dept_id>/edit", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def edit_department(dept_id: int):
    department = db.session.get(Department, dept_id) or abort(404)
    form = EditDepartmentForm(obj=department)
    form.set_parent_choices(current_parent_id=department.parent_id)
    if not form.is_submitted():
        form.parent_id.data = department.parent_id or NO_PARENT
    if form.validate_on_submit():
        try:
            changed = operations.update_department(department, form.to_input())
        except operations.DepartmentError as err:
            form.form_errors.append(str(err))
        else:
            if changed:
                flash(_("부서 정보를 고쳤습니다: %(name)s", name=department.name), "success")
            else:
                flash(_("바뀐 내용이 없습니다."), "info")
            return redirect(url_for(".list_departments"))
    status = INVALID if form.is_submitted() else 200
    return render_template("admin/departments/form.html", form=form, department=department), status
