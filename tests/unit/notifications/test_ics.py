"""Calendar files: one event per session, and the online link only for people with a seat."""

from icalendar import Calendar

from portal.db import db
from portal.notifications.ics import calendar_for, session_invite
from portal.scheduling.models import TrainingSession

LINK = "https://meet.sejong.example.kr/room/ai-1"


def _session(app, make_session) -> TrainingSession:
    session = make_session(place="", online_url=LINK)
    with app.app_context():
        return db.session.get(TrainingSession, session.id)


def test_invite_for_a_confirmed_seat_carries_the_online_link(app, make_session):
    session = _session(app, make_session)
    event = Calendar.from_ical(session_invite(session, "챗GPT 특강")).walk("VEVENT")[0]
    assert str(event["url"]) == LINK
    assert event["dtstart"].dt == session.starts_at.replace(microsecond=0)


def test_invite_without_a_seat_leaves_the_link_out(app, make_session):
    session = _session(app, make_session)
    text = session_invite(session, "챗GPT 특강", include_link=False)
    assert LINK not in text


def test_cancellation_is_a_cancel_without_the_link(app, make_session):
    session = _session(app, make_session)
    cal = Calendar.from_ical(session_invite(session, "챗GPT 특강", cancelled=True))
    assert cal["method"] == "CANCEL"
    assert LINK not in cal.to_ical().decode()


def test_feed_shows_the_link_only_on_events_with_a_seat(app, make_session):
    seated, waiting = _session(app, make_session), _session(app, make_session)
    cal = Calendar.from_ical(
        calendar_for([(seated, "A", True), (waiting, "[대기] B", False)], name="AI 교육 일정")
    )
    events = {str(e["summary"]): e for e in cal.walk("VEVENT")}
    assert len(events) == 2
    assert any("url" in e for e in events.values())
    assert sum("url" in e for e in events.values()) == 1
