"""Login, logout, password change and session extension. Views stay thin."""

from __future__ import annotations

import time

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_login import current_user

from portal.auth import operations
from portal.auth.access import login_required, public
from portal.auth.forms import ChangePasswordForm, LoginForm
from portal.auth.passwords import password_errors, verify_password
from portal.auth.sessions import log_in, log_out
from portal.core.clock import utcnow
from portal.core.net import client_address, local_path, pseudonym
from portal.db import db, set_write_intent
from portal.extensions import limiter

bp = Blueprint("auth", __name__, url_prefix="/auth")


def _account_key() -> str:
    # Per account AND client address: a limit keyed by the account alone would let anyone
    # keep a colleague's login answering 429. Guessing spread over many addresses is the
    # account-wide lock's job (LOGIN_ACCOUNT_MAX_FAILURES). A keyed hash, so the rate-limit
    # store never holds an employee number, e-mail or address.
    login = (request.form.get("login") or "").strip().lower()
    return "acct:" + pseudonym(f"{login}\0{client_address()}", "rate-limit-account")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT_IP"], methods=["POST"])
@limiter.limit(
    lambda: current_app.config["LOGIN_RATE_LIMIT_ACCOUNT"], methods=["POST"], key_func=_account_key
)
@public
def login():
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = LoginForm()
    if form.validate_on_submit():
        # Verify first with only a read snapshot, then take the write lock for the bookkeeping.
        set_write_intent(False)
        check = operations.check_password(form.login.data, form.password.data)
        db.end_read_phase()
        result = operations.record_attempt(check, form.password.data, source=client_address())
        if result.outcome is operations.LoginOutcome.OK:
            log_in(result.user)
            return redirect(local_path(request.args.get("next")) or url_for("home.index"))
        if result.lock_scope is operations.LockScope.ACCOUNT:
            form.form_errors.append(
                _(
                    "여러 곳에서 비밀번호가 잘못 입력되어 보호를 위해 계정을 잠시 잠갔습니다. "
                    "%(until)s 이후에 다시 시도하거나, 급하면 시스템 관리자에게 잠금 해제를 요청해 주세요.",
                    until=format_datetime(result.locked_until, "HH:mm"),
                )
            )
        elif result.outcome is operations.LoginOutcome.LOCKED:
            form.form_errors.append(
                _(
                    "비밀번호를 %(count)d번 연속 잘못 입력하여 계정이 잠겼습니다. "
                    "%(until)s 이후에 다시 시도하거나, 급하면 시스템 관리자에게 잠금 해제를 요청해 주세요.",
                    count=current_app.config["LOGIN_MAX_FAILURES"],
                    until=format_datetime(result.locked_until, "HH:mm"),
                )
            )
        elif result.outcome is operations.LoginOutcome.INACTIVE:
            form.form_errors.append(
                _("사용이 중지된 계정입니다. 교육 담당자나 시스템 관리자에게 문의해 주세요.")
            )
        else:
            form.form_errors.append(
                _("사번(또는 이메일)이나 비밀번호가 맞지 않습니다. 다시 확인해 주세요.")
            )
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    log_out()
    flash(_("로그아웃했습니다."), "success")
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        if not verify_password(current_user.password_hash, form.current_password.data):
            form.current_password.errors.append(_("현재 비밀번호가 맞지 않습니다."))
        else:
            errors = password_errors(
                form.new_password.data,
                min_length=current_app.config["PASSWORD_MIN_LENGTH"],
                employee_number=current_user.employee_number,
                email=current_user.email,
            )
            if not errors:
                ended = operations.change_password(
                    current_user, form.new_password.data, keep_token=session.get("sid")
                )
                if ended:
                    flash(
                        _(
                            "비밀번호를 바꿨습니다. 다른 기기의 로그인 %(n)d건을 종료했습니다.",
                            n=ended,
                        ),
                        "success",
                    )
                else:
                    flash(_("비밀번호를 바꿨습니다."), "success")
                return redirect(url_for("home.index"))
            form.new_password.errors.extend(errors)
    return render_template("auth/change_password.html", form=form)


@bp.route("/session/timeout", methods=["POST"])
@public
def session_timeout():
    """The page's idle countdown ran out: end the session as an idle timeout.

    The page posts here instead of simply loading the login page, because a plain page
    load while the session is still (barely) valid would count as activity and renew it.
    """
    if current_user.is_authenticated:
        log_out(reason="idle_timeout")
        flash(
            _(
                "%(n)d분 동안 활동이 없어 안전을 위해 로그아웃되었습니다. 다시 로그인해 주세요.",
                n=current_app.config["SESSION_IDLE_MINUTES"],
            ),
            "info",
        )
    return redirect(url_for("auth.login"))


@bp.route("/session/extend", methods=["POST"])
@login_required
def extend_session():
    """Reset the idle timer (the KWCAG 2.2.1 'extend' button)."""
    login_session = g.login_session
    login_session.last_seen_at = utcnow()
    session["touched"] = int(time.time())
    remaining = operations.session_expires_at(login_session) - utcnow()
    return jsonify(expires_in=int(remaining.total_seconds()))
