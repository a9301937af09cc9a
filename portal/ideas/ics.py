"""iCalendar for a booked consulting slot: an e-mail attachment and a download.

As for training sessions (portal/notifications/ics.py), the file is an iTIP PUBLISH from
the portal's sender address with no attendees: calendars simply add it.
"""

from __future__ import annotations

from email.utils import parseaddr

from flask import current_app
from icalendar import Calendar, Event, vCalAddress, vText

from portal.core.clock import utcnow
from portal.ideas.models import ConsultingSlot, Idea
from portal.notifications.ics import PRODID


def consultant_label(slot: ConsultingSlot, consultant_name: str | None = None) -> str:
    if slot.consultant_user_id:
        return consultant_name or ""
    return f"{slot.consultant_name} ({slot.consultant_org})"


def slot_invite(slot: ConsultingSlot, idea: Idea, *, consultant_name: str | None = None) -> str:
    """One consulting meeting as METHOD:PUBLISH."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("method", "PUBLISH")
    event = Event()
    event.add("uid", f"consulting-slot-{slot.id}@ai-training-portal")
    event.add("dtstamp", utcnow())
    event.add("dtstart", slot.starts_at)
    event.add("dtend", slot.ends_at)
    event.add("summary", f"AI 서비스 컨설팅: {idea.title}")
    who = consultant_label(slot, consultant_name)
    if who:
        event.add("description", f"컨설턴트: {who}")
    location = slot.place or slot.online_url
    if location:
        event.add("location", location)
    if slot.online_url:
        event.add("url", slot.online_url)
    event.add("sequence", int(slot.updated_at.timestamp()) % 2_000_000_000)
    event.add("status", "CONFIRMED")
    sender = current_app.config["MAIL_FROM"]
    name, address = parseaddr(sender)
    organizer = vCalAddress(f"mailto:{address or sender}")
    if name:
        organizer.params["cn"] = vText(name)
    event.add("organizer", organizer)
    cal.add_component(event)
    return cal.to_ical().decode("utf-8")
