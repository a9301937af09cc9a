"""Prometheus metrics at /metrics, for the city's monitoring.

What is counted:

- ``portal_requests_total{endpoint, method, status}`` and
  ``portal_request_duration_seconds{endpoint}``: every request, by the route's endpoint
  name (never the raw path, so ids do not make new series; "unmatched" for a 404), the
  duration up to the response's start (a streamed answer's body is not included);
- ``portal_open_streams``: assistant answers streaming right now;
- ``portal_guard_events_total{decision}``: the sandbox guard's decisions (blocked, masked…);
- ``portal_model_errors_total{code}``: failed model calls, by the backend's error code;
- ``portal_outbox_messages{status}``: mail waiting (pending) or given up (failed), read
  from the database when scraped.

Under gunicorn each worker is a process of its own. gunicorn.conf.py points
``PROMETHEUS_MULTIPROC_DIR`` at a fresh directory before the workers start; each worker
writes its figures there and a scrape adds them up, so any worker answers for all.
Without it (``flask run``, tests) the process's own figures are served.

Who may read it: a request from a loopback address that did not come through a proxy
(no X-Forwarded-For or Forwarded header), or one with ``Authorization: Bearer
<METRICS_TOKEN>`` when that setting is set. Anyone else gets 403. The figures name no
person.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
import time

from flask import Blueprint, Flask, Response, abort, current_app, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import func, select

from portal.auth.access import public
from portal.db import db

bp = Blueprint("metrics", __name__)

REQUESTS = Counter(
    "portal_requests_total",
    "HTTP requests answered, by endpoint, method and status code.",
    ["endpoint", "method", "status"],
)
LATENCY = Histogram(
    "portal_request_duration_seconds",
    "Time to the start of the response, by endpoint.",
    ["endpoint"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
OPEN_STREAMS = Gauge(
    "portal_open_streams",
    "Assistant answers streaming right now.",
    multiprocess_mode="livesum",
)
GUARD_EVENTS = Counter(
    "portal_guard_events_total",
    "Decisions of the sandbox guard, by decision.",
    ["decision"],
)
MODEL_ERRORS = Counter(
    "portal_model_errors_total",
    "Failed model calls, by error code.",
    ["code"],
)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.before_request(_started)
    app.after_request(_counted)


def _started() -> None:
    g._metrics_started = time.perf_counter()


def _counted(response: Response) -> Response:
    started = g.pop("_metrics_started", None)
    if started is not None:
        endpoint = request.url_rule.endpoint if request.url_rule else "unmatched"
        LATENCY.labels(endpoint).observe(time.perf_counter() - started)
        REQUESTS.labels(endpoint, request.method, str(response.status_code)).inc()
    return response


def _may_read() -> bool:
    token = current_app.config.get("METRICS_TOKEN") or ""
    if token:
        given = request.headers.get("Authorization", "")
        if given.startswith("Bearer ") and hmac.compare_digest(
            given[len("Bearer ") :].encode(), str(token).encode()
        ):
            return True
    if request.headers.get("X-Forwarded-For") or request.headers.get("Forwarded"):
        return False  # came through a proxy: the peer address says nothing about the client
    try:
        return ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        return False


class _Outbox:
    """Mail waiting and mail given up, counted when scraped, and whether the database
    answered (when it does not, the other figures are still served)."""

    def collect(self):
        from portal.notifications.models import OutboxMessage, OutboxStatus

        up = GaugeMetricFamily("portal_database_up", "1 if the database answered the scrape.")
        try:
            counts = dict(
                db.session.execute(
                    select(OutboxMessage.status, func.count(OutboxMessage.id))
                    .where(OutboxMessage.status.in_([OutboxStatus.PENDING, OutboxStatus.FAILED]))
                    .group_by(OutboxMessage.status)
                ).all()
            )
        except Exception:  # noqa: BLE001 - reported as the database being down
            db.session.rollback()
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        family = GaugeMetricFamily(
            "portal_outbox_messages", "Outbox mail by status (pending, failed).", labels=["status"]
        )
        for status in (OutboxStatus.PENDING, OutboxStatus.FAILED):
            family.add_metric([status.value], counts.get(status, 0))
        yield family


@bp.route("/metrics")
@public
def metrics():
    if not _may_read():
        abort(403)
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)
        body = generate_latest(registry)
    else:
        body = generate_latest(REGISTRY)
    outbox = CollectorRegistry()
    outbox.register(_Outbox())
    body += generate_latest(outbox)
    response = Response(body, headers={"Cache-Control": "no-store"})
    response.headers["Content-Type"] = CONTENT_TYPE_LATEST  # the text format and its version
    return response
