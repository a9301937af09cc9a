"""The one place that reads the clock, so tests can move time."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

SEOUL = ZoneInfo("Asia/Seoul")
_offset = dt.timedelta(0)


def utcnow() -> dt.datetime:
    """The current time, timezone-aware in UTC."""
    return dt.datetime.now(dt.UTC) + _offset


def today_in_seoul() -> dt.date:
    """Today's date as staff in Korea see it."""
    return utcnow().astimezone(SEOUL).date()


def advance(delta: dt.timedelta) -> None:
    """Move the portal's clock forward (tests only)."""
    global _offset
    _offset += delta


def reset() -> None:
    """Undo every advance() (tests only)."""
    global _offset
    _offset = dt.timedelta(0)
