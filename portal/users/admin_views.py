"""Admin screens for user accounts. Views stay thin: the rules live in portal.users.operations."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import Select, or_, select
from sqlalchemy.orm import joinedload

from portal.auth.access import role_required
from portal.auth.operations import login_lock_status
from portal.core import inputs
from portal.core.pagination import paginate
from portal.db import db, set_write_intent
from portal.org.queries import subtree_ids
from portal.users import operations
from portal.users.forms import (
    NO_DEPARTMENT,
    CreateUserForm,
    ResetPasswordForm,
    SetActiveForm,
    UnlockLoginForm,
    UserFilterForm,
    UserForm,
)
from portal.users.models import Role, User

bp = Blueprint("admin_users", __name__, url_prefix="/admin/users")


@bp.before_request
def _contact_view_writes_its_audit_entry() -> None:
    # Unmasking an e-mail address is audited, so on SQLite that GET begins IMMEDIATE.
    if request.endpoint == "admin_users.contact":
        set_write_intent(True)


PER_PAGE = 25
# A form that failed validation comes back with 422, so the request's transaction is
# rolled back and nothing half-done can be committed.
INVALID = 422


@bp.app_template_filter("mask_email")
def mask_email(address: str | None) -> str:
    """ho***@sejong.example.kr: enough to recognise, not enough to copy (DESIGN §3.F)."""
    if not address:
        return ""
    local, at, domain = address.partition("@")
    if not at:
        return address[:2] + "***"
    return (local[:2] if len(local) > 2 else local[:1]) + "***@" + domain


def _like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _user_search(filters: dict[str, str]) -> Select:
    """Users matching the toolbar, department eager-loaded so the page needs no more queries."""
    stmt = select(User).options(joinedload(User.department)).order_by(User.name, User.id)
    if q := filters.get("q"):
        pattern = _like_pattern(q)
        stmt = stmt.where(
            or_(
                User.name.ilike(pattern, escape="\\"),
                User.employee_number.ilike(pattern, escape="\\"),
                User.email.ilike(pattern, escape="\\"),
            )
        )
    if role := filters.get("role"):
        stmt = stmt.where(User.role == Role(role))
    if department := filters.get("department"):
        stmt = stmt.where(User.department_id.in_(subtree_ids(int(department))))
    if filters.get("status") == "active":
        stmt = stmt.where(User.is_active)
    elif filters.get("status") == "inactive":
        stmt = stmt.where(User.is_active.is_(False))
    return stmt


def _get_user(user_id: int) -> User:
    return db.session.get(User, user_id) or abort(404)


@bp.route("/")
@role_required(Role.ADMIN)
def list_users():
    form = UserFilterForm(formdata=request.args)
    form.set_department_choices()
    filters = form.cleaned()
    page = paginate(_user_search(filters), inputs.query_page(), per_page=PER_PAGE)
    return render_template("admin/users/list.html", form=form, page=page, filters=filters)


@bp.route("/new", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def create_user():
    form = CreateUserForm()
    form.set_department_choices()
    if form.validate_on_submit():
        try:
            user = operations.create_user(
                form.to_input(),
                password=form.password.data or None,
                min_password_length=current_app.config["PASSWORD_MIN_LENGTH"],
            )
        except operations.AccountError as err:
            form.form_errors.append(str(err))
        else:
            if user.password_hash is None:
                flash(
                    _(
                        "사용자를 등록했습니다: %(name)s. 비밀번호를 정하기 전에는 로그인할 수 없습니다.",
                        name=user.name,
                    ),
                    "success",
                )
            else:
                flash(_("사용자를 등록했습니다: %(name)s", name=user.name), "success")
            return redirect(url_for(".edit_user", user_id=user.id))
    status = INVALID if form.is_submitted() else 200
    return render_template("admin/users/new.html", form=form), status


def _render_edit(
    user: User,
    form: UserForm | None = None,
    password_form: ResetPasswordForm | None = None,
    status: int = 200,
):
    if form is None:
        form = UserForm(obj=user, formdata=None)
        form.set_department_choices(current_id=user.department_id)
        form.department_id.data = user.department_id or NO_DEPARTMENT
    return render_template(
        "admin/users/edit.html",
        user=user,
        form=form,
        password_form=password_form or ResetPasswordForm(formdata=None),
        is_self=user.id == current_user.id,
        lock_status=login_lock_status(user.id),
    ), status


@bp.route("/<int:user_id>/contact")
@role_required(Role.ADMIN)
def contact(user_id: int):
    """The unmasked e-mail address of one account (보기), audited."""
    user = operations.view_contact(user_id, actor_id=current_user.id) or abort(404)
    return render_template("admin/users/contact.html", user=user)


@bp.route("/<int:user_id>/edit", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def edit_user(user_id: int):
    user = _get_user(user_id)
    if request.method == "GET":
        return _render_edit(user)
    form = UserForm()
    form.set_department_choices(current_id=user.department_id)
    if form.validate_on_submit():
        data = form.to_input()
        if user.id == current_user.id and data.role is not Role.ADMIN:
            # Demoting oneself would lock the admin out of this very screen.
            form.role.errors.append(_("자기 자신의 시스템 관리자 역할은 해제할 수 없습니다."))
            return _render_edit(user, form=form, status=INVALID)
        old_role = user.role
        try:
            changed = operations.update_user(user, data)
        except operations.AccountError as err:
            form.form_errors.append(str(err))
        else:
            if changed or user.role != old_role:
                flash(_("사용자 정보를 저장했습니다: %(name)s", name=user.name), "success")
            else:
                flash(_("바뀐 내용이 없습니다."), "info")
            return redirect(url_for(".edit_user", user_id=user.id))
    return _render_edit(user, form=form, status=INVALID)


@bp.route("/<int:user_id>/active", methods=["POST"])
@role_required(Role.ADMIN)
def set_active(user_id: int):
    user = _get_user(user_id)
    form = SetActiveForm()
    if not form.validate_on_submit():
        abort(400)
    active = form.active.data == "1"
    try:
        operations.set_active(user, active, acting_user_id=current_user.id)
    except operations.AccountError as err:
        flash(str(err), "error")
    else:
        if active:
            flash(_("계정을 다시 사용하게 했습니다: %(name)s", name=user.name), "success")
        else:
            flash(
                _("계정을 사용 중지하고 로그인을 모두 종료했습니다: %(name)s", name=user.name),
                "success",
            )
    return redirect(url_for(".edit_user", user_id=user.id))


@bp.route("/<int:user_id>/password", methods=["POST"])
@role_required(Role.ADMIN)
def reset_password(user_id: int):
    user = _get_user(user_id)
    password_form = ResetPasswordForm()
    if password_form.validate_on_submit():
        if user.id == current_user.id:
            password_form.new_password.errors.append(
                _("자기 비밀번호는 ‘내 정보 → 비밀번호 변경’에서 바꿔 주세요.")
            )
        else:
            try:
                operations.reset_password(
                    user,
                    password_form.new_password.data,
                    min_password_length=current_app.config["PASSWORD_MIN_LENGTH"],
                )
            except operations.AccountError as err:
                password_form.new_password.errors.append(str(err))
            else:
                flash(
                    _(
                        "새 비밀번호를 정했습니다: %(name)s. 이 사용자의 로그인은 모두 종료되었습니다.",
                        name=user.name,
                    ),
                    "success",
                )
                return redirect(url_for(".edit_user", user_id=user.id))
    return _render_edit(user, password_form=password_form, status=INVALID)


@bp.route("/<int:user_id>/unlock", methods=["POST"])
@role_required(Role.ADMIN)
def unlock_login(user_id: int):
    """Lift the login locks without changing the password (the user only mistyped)."""
    user = _get_user(user_id)
    if not UnlockLoginForm().validate_on_submit():
        abort(400)
    operations.unlock_login(user)
    flash(_("로그인 잠금을 풀었습니다: %(name)s", name=user.name), "success")
    return redirect(url_for(".edit_user", user_id=user.id))
