"""iCalendar (.ics) for training sessions: e-mail attachments and the private feed."""

from __future__ import annotations

from collections.abc import Iterable

from icalendar import Calendar, Event

from portal.core.clock import utcnow
from portal.scheduling.models import SessionStatus, TrainingSession

PRODID = "-//Sejong AI training portal//ko"


def _uid(session: TrainingSession) -> str:
    return f"training-session-{session.id}@ai-training-portal"


def _event(session: TrainingSession, course_title: str, *, include_link: bool) -> Event:
    event = Event()
    event.add("uid", _uid(session))
    event.add("dtstamp", utcnow())
    event.add("dtstart", session.starts_at)
    event.add("dtend", session.ends_at)
    event.add("summary", f"[{session.round_number}차] {course_title}")
    # The online link goes only to people holding a seat, as on the pages.
    link = session.online_url if include_link else ""
    location = session.place or link
    if location:
        event.add("location", location)
    if link:
        event.add("url", link)
    # SEQUENCE grows with each change, so calendars replace the old copy.
    event.add("sequence", int(session.updated_at.timestamp()) % 2_000_000_000)
    if session.status is SessionStatus.CANCELLED:
        event.add("status", "CANCELLED")
    else:
        event.add("status", "CONFIRMED")
    return event


def calendar_for(sessions: Iterable[tuple[TrainingSession, str, bool]], *, name: str) -> str:
    """A VCALENDAR with one VEVENT per (session, course title, include the online link)."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", "Asia/Seoul")
    for session, title, include_link in sessions:
        cal.add_component(_event(session, title, include_link=include_link))
    return cal.to_ical().decode("utf-8")


def session_invite(
    session: TrainingSession,
    course_title: str,
    *,
    cancelled: bool = False,
    include_link: bool = True,
) -> str:
    """The .ics attached to a confirmation (METHOD:REQUEST) or a cancellation (METHOD:CANCEL).

    include_link=False leaves out the online link, for people without a seat.
    """
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("method", "CANCEL" if cancelled else "REQUEST")
    event = _event(session, course_title, include_link=include_link and not cancelled)
    if cancelled:
        event["status"] = "CANCELLED"
    cal.add_component(event)
    return cal.to_ical().decode("utf-8")
