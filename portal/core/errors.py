"""Error pages in the portal's layout, for both HTML and JSON callers."""

from __future__ import annotations

from flask import Flask, current_app, g, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException, InternalServerError, ServiceUnavailable

from portal.core.logging import logger, request_id
from portal.db import db

OVERLOAD_RETRY_AFTER_SECONDS = 5


def _messages() -> dict[int, tuple[str, str]]:
    return {
        400: (
            _("요청을 처리할 수 없습니다"),
            _("보낸 내용에 문제가 있습니다. 페이지를 새로 고친 뒤 다시 시도해 주세요."),
        ),
        403: (
            _("접근 권한이 없습니다"),
            _("이 페이지를 볼 권한이 없습니다. 필요하면 교육 담당자에게 문의해 주세요."),
        ),
        404: (
            _("페이지를 찾을 수 없습니다"),
            _(
                "주소가 바뀌었거나 없는 페이지입니다. 주소를 확인하거나 첫 화면에서 다시 찾아 주세요."
            ),
        ),
        405: (_("허용되지 않는 요청입니다"), _("이 주소에서는 그런 방식의 요청을 받지 않습니다.")),
        413: (
            _("파일이 너무 큽니다"),
            _("올린 파일이 허용 크기를 넘습니다. 파일을 나누어 다시 올려 주세요."),
        ),
        429: (
            _("요청이 너무 많습니다"),
            _("짧은 시간에 요청이 너무 많았습니다. 잠시 뒤 다시 시도해 주세요."),
        ),
        500: (
            _("일시적인 오류가 발생했습니다"),
            _(
                "문제가 기록되었습니다. 잠시 뒤 다시 시도하고, 계속되면 시스템 관리자에게 오류 번호를 알려 주세요."
            ),
        ),
        503: (
            _("서비스를 잠시 이용할 수 없습니다"),
            _("점검 중이거나 데이터베이스에 연결할 수 없습니다. 잠시 뒤 다시 시도해 주세요."),
        ),
    }


def _render(code: int, detail: str | None = None):
    title, body = _messages().get(code, _messages()[500])
    if request.accept_mimetypes.best == "application/json" or request.is_json:
        return jsonify(
            error=code, title=title, message=detail or body, request_id=request_id()
        ), code
    return (
        render_template(
            "errors/error.html",
            code=code,
            title=title,
            body=detail or body,
            request_id=request_id(),
        ),
        code,
    )


def _as_anonymous() -> None:
    """Render the error page as for a visitor who is not signed in.

    The database is unreachable, and the layout would otherwise load the signed-in user
    (their locale, their unread notices) from it: the 503 page would fail in turn and the
    person would get a bare "Internal Server Error" instead.
    """
    manager = getattr(current_app, "login_manager", None)
    if manager is not None:
        g._login_user = manager.anonymous_user()


def _unavailable_page():
    """The 503 page as a response; portal.db uses it when the commit itself fails."""
    _as_anonymous()
    return current_app.make_response(_render(ServiceUnavailable.code))


def init_app(app: Flask) -> None:
    app.extensions["portal_unavailable_page"] = _unavailable_page

    @app.errorhandler(CSRFError)
    def _csrf(_err):
        return _render(
            400,
            _("보안 확인 토큰이 없거나 만료되었습니다. 페이지를 새로 고친 뒤 다시 시도해 주세요."),
        )

    @app.errorhandler(HTTPException)
    def _http(err: HTTPException):
        if err.code is None or err.code < 400:
            return err
        # portal.core.inputs.InputRefused carries a message for the person.
        return _render(err.code, getattr(err, "user_message", None))

    @app.errorhandler(OperationalError)
    def _db_down(err):
        db.discard_failed_work()
        _as_anonymous()
        logger.error(
            "database unavailable",
            extra={"fields": {"request_id": request_id(), "error": type(err.orig).__name__}},
        )
        return _render(ServiceUnavailable.code)

    @app.errorhandler(PoolTimeout)
    def _overloaded(_err):
        # Every database connection of this worker stayed busy for the pool's whole wait:
        # the machine is overloaded. Say so, and when to come back, rather than a 500.
        db.discard_failed_work()
        logger.warning(
            "database connections exhausted", extra={"fields": {"request_id": request_id()}}
        )
        _as_anonymous()  # the page's header would wait for a connection again
        response = current_app.make_response(
            _render(
                ServiceUnavailable.code,
                _("지금 이용하는 사람이 많아 처리하지 못했습니다. 잠시 뒤 다시 시도해 주세요."),
            )
        )
        response.headers["Retry-After"] = str(OVERLOAD_RETRY_AFTER_SECONDS)
        return response

    @app.errorhandler(Exception)
    def _unexpected(err):
        db.discard_failed_work()
        logger.exception("unhandled error", extra={"fields": {"request_id": request_id()}})
        return _render(InternalServerError.code)
