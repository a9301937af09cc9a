"""Calendar files: one event per session, and the online link only for people with a seat.

A single-session file (download or e-mail attachment) is an iTIP PUBLISH from the portal's
sender address with no attendees, or a CANCEL from the same organiser; the feed has no METHOD.
"""

import pytest
from icalendar import Calendar

from portal.db import db
from portal.notifications.ics import calendar_for, session_invite
from portal.scheduling.models import TrainingSession

LINK = "https://meet.sejong.example.kr/room/ai-1"


@pytest.fixture
def session(app, make_session, ctx) -> TrainingSession:
    made = make_session(place="", online_url=LINK)
    return db.session.get(TrainingSession, made.id)


def _parse(text: str):
    cal = Calendar.from_ical(text)
    [event] = cal.walk("VEVENT")
    return cal, event


def test_invite_for_a_confirmed_seat_carries_the_online_link(session):
    _cal, event = _parse(session_invite(session, "챗GPT 특강"))
    assert str(event["url"]) == LINK
    assert event["dtstart"].dt == session.starts_at.replace(microsecond=0)


def test_invite_without_a_seat_leaves_the_link_out(session):
    text = session_invite(session, "챗GPT 특강", include_link=False)
    assert LINK not in text


def test_an_invite_is_a_publish_from_the_portal_with_no_attendees(app, session):
    cal, event = _parse(session_invite(session, "챗GPT 특강"))
    assert cal["method"] == "PUBLISH"
    assert str(event["organizer"]) == "mailto:" + app.config["MAIL_FROM"]
    assert "attendee" not in event  # RFC 5546 §3.2.1: a PUBLISH has none
    assert event["status"] == "CONFIRMED"
    assert "sequence" in event and "dtstamp" in event


def test_the_organizer_keeps_a_display_name(session):
    _cal, event = _parse(
        session_invite(session, "챗GPT 특강", organizer="세종 AI 교육 <ai-edu@sejong.example.kr>")
    )
    assert str(event["organizer"]) == "mailto:ai-edu@sejong.example.kr"
    assert event["organizer"].params["cn"] == "세종 AI 교육"


def test_cancellation_is_a_cancel_from_the_same_organizer_without_the_link(app, session):
    published, before = _parse(session_invite(session, "챗GPT 특강"))
    cal, event = _parse(session_invite(session, "챗GPT 특강", cancelled=True))
    assert cal["method"] == "CANCEL"
    assert event["status"] == "CANCELLED"
    assert str(event["uid"]) == str(before["uid"])
    assert str(event["organizer"]) == str(before["organizer"])
    assert "attendee" not in event
    assert LINK not in cal.to_ical().decode()


def test_feed_shows_the_link_only_on_events_with_a_seat(app, make_session):
    with app.app_context():
        seated = db.session.get(TrainingSession, make_session(place="", online_url=LINK).id)
        waiting = db.session.get(TrainingSession, make_session(place="", online_url=LINK).id)
        cal = Calendar.from_ical(
            calendar_for([(seated, "A", True), (waiting, "[대기] B", False)], name="AI 교육 일정")
        )
    assert "method" not in cal  # a subscription, not an iTIP message
    events = {str(e["summary"]): e for e in cal.walk("VEVENT")}
    assert len(events) == 2
    assert sum("url" in e for e in events.values()) == 1
