"""Sandbox pages for coordinators (figures, acceptances) and admins (models, limits).

Coordinators see counts, tokens, guard-event kinds and policy acceptances, never the
text of a conversation. The instructors' review pages are in ``review/views.py``.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from portal.assistant.access import page_number
from portal.assistant.backends import registry
from portal.assistant.blueprint import manage_bp
from portal.assistant.errors import SandboxError
from portal.assistant.manage import operations, queries
from portal.assistant.manage.forms import LimitsForm, ModelPriceForm, ModelSettingForm
from portal.assistant.workspace import policy, quotas
from portal.auth.access import role_required
from portal.core import inputs
from portal.db import db, set_write_intent
from portal.org.models import Department
from portal.users.models import Role


@manage_bp.route("/figures")
@role_required(Role.COORDINATOR, Role.ADMIN)
def figures():
    since = queries.month_start()
    accepted, total = queries.acceptance_counts(policy.policy_version())
    return render_template(
        "assistant/figures.html",
        usage=queries.usage_by_department(since),
        kinds=queries.guard_kinds(since),
        time_saved=queries.time_saved(since),
        ratings=queries.rating_summary(since),
        accepted=accepted,
        total=total,
        since=since,
    )


@manage_bp.route("/acceptances")
@role_required(Role.COORDINATOR, Role.ADMIN)
def acceptances():
    department_id = inputs.query_int("department")
    departments = list(db.session.scalars(select(Department).order_by(Department.name)))
    return render_template(
        "assistant/acceptances.html",
        page=queries.acceptances(page_number(), department_id, policy.policy_version()),
        departments=departments,
        department_id=department_id,
        version=policy.policy_version(),
    )


@manage_bp.before_request
def _models_page_may_write() -> None:
    # Opening the models screen may audit a configuration change, so on SQLite its GET
    # begins the transaction IMMEDIATE.
    if request.endpoint == "practice_manage.models":
        set_write_intent(True)


@manage_bp.route("/models", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def models():
    if request.method == "POST" and request.form.get("action") == "prices":
        return _save_prices()
    if request.method == "POST":
        form = ModelSettingForm()
        key = request.form.get("key", "")
        if form.validate_on_submit():
            try:
                operations.set_model(key, enabled=form.enabled.data)
            except SandboxError as exc:
                flash(exc.message, "error")
            else:
                flash(_("모델 설정을 저장했습니다."), "success")
        else:
            flash(_("요청이 올바르지 않습니다. 다시 시도하세요."), "error")
        return redirect(url_for("practice_manage.models"))
    # The screen shows the configured internal flags; a change since they were last seen is
    # audited now, before an admin acts on it.
    changed = operations.record_internal_changes()
    return _models_page(changed=changed)


def _models_page(*, changed: list[str], failed: tuple[str, ModelPriceForm] | None = None):
    """The models screen; ``failed`` is a refused price form, shown again with its errors."""
    choices = registry.choices()
    prices = queries.model_prices()
    forms = {}
    for choice in choices:
        if choice.is_offline:
            continue
        if failed and failed[0] == choice.key:
            forms[choice.key] = failed[1]
            continue
        input_price, output_price = prices.get(choice.key, (None, None))
        forms[choice.key] = ModelPriceForm(
            formdata=None,
            data={
                "input_price": operations.price_text(input_price) or "",
                "output_price": operations.price_text(output_price) or "",
            },
        )
    return render_template(
        "assistant/models.html",
        choices=choices,
        changed=changed,
        prices={
            key: tuple(operations.price_display(v) for v in pair) for key, pair in prices.items()
        },
        price_forms=forms,
    ), (400 if failed else 200)


def _save_prices():
    form = ModelPriceForm()
    key = request.form.get("key", "")
    if form.csrf_token.errors or not form.validate_on_submit():
        choice = registry.choice(key)
        if form.csrf_token.errors or choice is None or choice.is_offline:
            flash(_("요청이 올바르지 않습니다. 다시 시도하세요."), "error")
            return redirect(url_for("practice_manage.models"))
        return _models_page(changed=[], failed=(key, form))
    input_price, output_price = form.prices()
    try:
        changed = operations.set_prices(key, input_price=input_price, output_price=output_price)
    except SandboxError as exc:
        flash(exc.message, "error")
    else:
        if changed:
            flash(_("모델 가격을 저장했습니다."), "success")
        else:
            flash(_("모델 가격이 그대로여서 바꾸지 않았습니다."), "info")
    return redirect(url_for("practice_manage.models"))


@manage_bp.route("/limits", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def limits():
    current = quotas.current_limits()
    form = LimitsForm(obj=current)
    if form.validate_on_submit():
        try:
            operations.set_limits({name: form[name].data for name in quotas.LIMIT_RANGES})
        except SandboxError as exc:
            form.form_errors.append(exc.message)
        else:
            flash(_("한도를 저장했습니다. 다음 메시지부터 적용됩니다."), "success")
            return redirect(url_for("practice_manage.limits"))
    return render_template("assistant/limits.html", form=form, ranges=quotas.LIMIT_RANGES)
