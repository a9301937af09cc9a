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


@pytest.mark.parametrize("locale", ["ko", "en"])
@pytest.mark.parametrize("moment", MOMENTS)
def test_the_numeric_datetime_matches_babel(app, locale, moment):
    with app.test_request_context("/"), force_locale(locale):
        expected = format_datetime(moment.astimezone(SEOUL), "yyyy-MM-dd HH:mm")
        assert seoul_datetime(moment) == expected
        # Other formats still go through Babel (a weekday name depends on the language).
        assert seoul_datetime(moment, "yyyy-MM-dd (EEE) HH:mm") == format_datetime(
            moment.astimezone(SEOUL), "yyyy-MM-dd (EEE) HH:mm"
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
