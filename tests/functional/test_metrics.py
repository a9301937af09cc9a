"""/metrics: Prometheus text for loopback or a token holder, refused to anyone else."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from portal.assistant.guard import detect
from portal.assistant.guard.events import record_guard_event
from portal.assistant.models import GuardDecision
from portal.core.clock import utcnow
from portal.db import db
from portal.notifications.models import OutboxMessage, OutboxStatus
from portal.users.models import Role, User

OUTSIDE = {"REMOTE_ADDR": "203.0.113.7"}


def _samples(text: str) -> dict[tuple[str, tuple], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def _value(samples, name: str, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_loopback_reads_request_counts_latencies_and_the_outbox(app, client, make_user):
    before = _samples(client.get("/metrics").get_data(as_text=True))
    client.get("/healthz")
    client.get("/healthz")
    client.get("/no/such/page")
    user = make_user(Role.STAFF)
    with app.app_context():
        db.session.add(
            OutboxMessage(
                user_id=user.id,
                kind="test",
                to_address="a@sejong.example.kr",
                subject="제목",
                body_text="본문",
                status=OutboxStatus.FAILED,
                created_at=utcnow(),
                next_attempt_at=utcnow(),
            )
        )
        db.session.commit()
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain; version=")
    assert response.headers["Cache-Control"] == "no-store"
    after = _samples(response.get_data(as_text=True))
    ok = {"endpoint": "core.healthz", "method": "GET", "status": "200"}
    assert (
        _value(after, "portal_requests_total", **ok) - _value(before, "portal_requests_total", **ok)
        == 2
    )
    missing = {"endpoint": "unmatched", "method": "GET", "status": "404"}
    assert _value(after, "portal_requests_total", **missing) >= 1
    assert _value(after, "portal_request_duration_seconds_count", endpoint="core.healthz") >= 2
    assert _value(after, "portal_database_up") == 1
    assert _value(after, "portal_outbox_messages", status="failed") >= 1
    assert ("portal_open_streams", ()) in after
    # nothing personal: no address, no subject
    assert "sejong.example.kr" not in response.get_data(as_text=True)


def test_guard_decisions_are_counted(app, client, make_user):
    user = make_user(Role.STAFF)
    before = _value(
        _samples(client.get("/metrics").get_data(as_text=True)),
        "portal_guard_events_total",
        decision="blocked",
    )
    text = "주민등록번호 900101-1234567 을 넣었습니다"
    with app.app_context():
        person = db.session.get(User, user.id)
        record_guard_event(person, None, GuardDecision.BLOCKED, text, detect.scan(text))
        db.session.commit()
    after = _value(
        _samples(client.get("/metrics").get_data(as_text=True)),
        "portal_guard_events_total",
        decision="blocked",
    )
    assert after == before + 1


def test_an_outside_address_is_refused(client):
    response = client.get("/metrics", environ_base=OUTSIDE)
    assert response.status_code == 403
    assert "portal_" not in response.get_data(as_text=True)


def test_a_request_through_a_proxy_is_refused_even_from_loopback(client):
    for header in ({"X-Forwarded-For": "127.0.0.1"}, {"Forwarded": "for=127.0.0.1"}):
        assert client.get("/metrics", headers=header).status_code == 403


def test_the_token_lets_a_monitoring_server_elsewhere_read_it(make_app):
    token = "metrics-token-0123456789abcdef"
    other = make_app({"METRICS_TOKEN": token})
    client = other.test_client()
    good = client.get(
        "/metrics", environ_base=OUTSIDE, headers={"Authorization": f"Bearer {token}"}
    )
    assert good.status_code == 200 and "portal_requests_total" in good.get_data(as_text=True)
    for wrong in ("Bearer nope", f"Basic {token}", token):
        refused = client.get("/metrics", environ_base=OUTSIDE, headers={"Authorization": wrong})
        assert refused.status_code == 403
    assert client.get("/metrics", environ_base=OUTSIDE).status_code == 403
