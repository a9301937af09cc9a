"""iCalendar (.ics) for training sessions: e-mail attachments, downloads and the private feed.

The portal publishes events; it does not run meetings. A single-session file, whether
downloaded from 나의 학습 or attached to an e-mail, is therefore an iTIP ``PUBLISH``
(RFC 5546 §3.2.1): it names the organiser (the portal's sender address) and no attendees,
and calendars simply add it, without Accept/Decline buttons whose replies nobody would
read. A ``REQUEST`` would need ATTENDEE lines and a mailbox that processes replies; the
enrolment itself is the answer here. The same event is later replaced by another PUBLISH
with the same UID and a higher SEQUENCE, or withdrawn by a ``CANCEL`` from the same
organiser. The subscription feed carries no METHOD: it is a calendar, not a message.
"""

from __future__ import annotations

from collections.abc import Iterable
from email.utils import parseaddr

from flask import current_app
from icalendar import Calendar, Event, vCalAddress, vText

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


def _organizer(sender: str) -> vCalAddress:
    """ORGANIZER from an address such as ``AI 교육 <ai-edu@example.kr>`` or a bare address."""
    name, address = parseaddr(sender)
    organizer = vCalAddress(f"mailto:{address or sender}")
    if name:
        organizer.params["cn"] = vText(name)
    return organizer


def session_invite(
    session: TrainingSession,
    course_title: str,
    *,
    cancelled: bool = False,
    include_link: bool = True,
    organizer: str | None = None,
) -> str:
    """One session as METHOD:PUBLISH (add or update) or METHOD:CANCEL (withdraw).

    Used for the e-mail attachments and the per-session download alike. ``organizer`` is
    an e-mail address, by default the portal's MAIL_FROM. include_link=False leaves out the
    online link, for people without a seat.
    """
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("method", "CANCEL" if cancelled else "PUBLISH")
    event = _event(session, course_title, include_link=include_link and not cancelled)
    event.add("organizer", _organizer(organizer or current_app.config["MAIL_FROM"]))
    if cancelled:
        event["status"] = "CANCELLED"
    cal.add_component(event)
    return cal.to_ical().decode("utf-8")
