"""The date filters' shortcut for the portal's numeric formats prints exactly what Babel
prints, in both languages and on both sides of midnight in Seoul."""

from __future__ import annotations

import datetime as dt

import pytest
from flask_babel import force_locale, format_date, format_datetime

from portal.core.clock import SEOUL
from portal.core.templating import seoul_date, seoul_datetime

MOMENTS = [
    dt.datetime(2026, 12, 7, 5, 0, tzinfo=dt.UTC),
    dt.datetime(2026, 12, 31, 14, 59, 59, tzinfo=dt.UTC),  # 23:59 in Seoul
    dt.datetime(2026, 12, 31, 15, 0, tzinfo=dt.UTC),  # midnight in Seoul, next year
    dt.datetime(2027, 1, 1, 0, 0, tzinfo=SEOUL),
    dt.datetime(999, 3, 4, 1, 2, tzinfo=dt.UTC),  # a year of three digits is padded
    dt.datetime(2026, 6, 1, 9, 5, tzinfo=dt.timezone(dt.timedelta(hours=-5))),
]


# Every pattern the templates and views pass to seoul_datetime, and a few the shortcut must
# leave to Babel (a quoted word, a field it does not know, a wider weekday).
PATTERNS = [
    "yyyy-MM-dd HH:mm",
    "yyyy-MM-dd (EEE) HH:mm",
    "yyyy-MM-dd (EEE)",
    "MM-dd (EEE) HH:mm",
    "MM-dd HH:mm",
    "yyyy-MM-dd HH:mm:ss",
    "yyyy-MM-dd",
    "HH:mm",
    "yyyy. MM. dd.",
    "yyyy-MM-dd'T'HH:mm",
    "EEEE HH:mm",
    "a h:mm",
    "yyyyy-M-d",
]


@pytest.mark.parametrize("locale", ["ko", "en"])
@pytest.mark.parametrize("moment", MOMENTS)
def test_the_date_patterns_match_babel(app, locale, moment):
    with app.test_request_context("/"), force_locale(locale):
        assert seoul_datetime(moment) == format_datetime(
            moment.astimezone(SEOUL), "yyyy-MM-dd HH:mm"
        )
        for pattern in PATTERNS:
            expected = format_datetime(moment.astimezone(SEOUL), pattern)
            assert seoul_datetime(moment, pattern) == expected, pattern


def test_every_weekday_is_named_as_babel_names_it(app):
    monday = dt.datetime(2026, 12, 7, 1, 0, tzinfo=dt.UTC)
    for locale in ("ko", "en"):
        with app.test_request_context("/"), force_locale(locale):
            for offset in range(7):
                moment = monday + dt.timedelta(days=offset)
                pattern = "yyyy-MM-dd (EEE) HH:mm"
                assert seoul_datetime(moment, pattern) == format_datetime(
                    moment.astimezone(SEOUL), pattern
                )


@pytest.mark.parametrize("locale", ["ko", "en"])
@pytest.mark.parametrize(
    "day", [dt.date(2026, 12, 7), dt.date(2027, 1, 1), dt.date(999, 3, 4), dt.date(2026, 2, 28)]
)
def test_the_numeric_date_matches_babel(app, locale, day):
    with app.test_request_context("/"), force_locale(locale):
        assert seoul_date(day) == format_date(day, "yyyy-MM-dd")


def test_a_datetime_given_as_a_date_is_still_moved_to_seoul(app):
    late_utc = dt.datetime(2026, 12, 31, 16, 0, tzinfo=dt.UTC)  # already 1 January in Seoul
    with app.test_request_context("/"):
        assert seoul_date(late_utc) == format_date(late_utc, "yyyy-MM-dd") == "2027-01-01"


def test_nothing_prints_nothing(app):
    with app.test_request_context("/"):
        assert seoul_datetime(None) == "" and seoul_date(None) == ""
