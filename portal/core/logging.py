"""Structured JSON logs with a request id. Only ids and codes are logged, never names,
e-mails, passwords, form bodies or query strings."""

from __future__ import annotations

import json
import logging
import re
import secrets
import sys
import time

from flask import Flask, Response, g, request
from flask_login import current_user

_REQUEST_ID_OK = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
logger = logging.getLogger("portal")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        payload.update(getattr(record, "fields", {}))
        if record.exc_info:
            payload["exc"] = self.formatException(record.exc_info)
        return json.dumps(payload, ensure_ascii=False)


def init_app(app: Flask) -> None:
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonFormatter())
        logger.addHandler(handler)
        logger.propagate = False
        # The rate limiter's own warnings (its storage, Redis, unreachable or back) go to
        # the same structured log.
        limiter_log = logging.getLogger("flask-limiter")
        limiter_log.addHandler(handler)
        limiter_log.propagate = False
    logger.setLevel(app.config["LOG_LEVEL"])
    logging.getLogger("flask-limiter").setLevel(app.config["LOG_LEVEL"])
    app.before_request(_start)
    app.after_request(_finish)


def request_id() -> str | None:
    return g.get("request_id")


def _start() -> None:
    incoming = request.headers.get("X-Request-ID", "")
    # A new id is 32 hex digits, as uuid4().hex gave, without building a UUID object.
    g.request_id = incoming if _REQUEST_ID_OK.match(incoming) else secrets.token_hex(16)
    g.request_started = time.perf_counter()


def _finish(response: Response) -> Response:
    rid = g.get("request_id")
    if rid:
        response.headers["X-Request-ID"] = rid
    started = g.get("request_started")
    try:
        user_id = current_user.id if current_user.is_authenticated else None
    except Exception:  # noqa: BLE001 - loading the user failed; log the request anyway
        user_id = None
    logger.info(
        "request",
        extra={
            "fields": {
                "request_id": rid,
                "method": request.method,
                # The route pattern, not the URL: ids and search words stay out of the log.
                "route": request.url_rule.rule if request.url_rule else None,
                "status": response.status_code,
                "ms": round((time.perf_counter() - started) * 1000, 1) if started else None,
                "user_id": user_id,
            }
        },
    )
    return response
