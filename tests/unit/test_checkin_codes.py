"""The rotating check-in code: derived from the window's secret and the time step only."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac

from portal.attendance.checkin import (
    CODE_DIGITS,
    GRACE_SECONDS,
    code_for_step,
    code_is_valid,
    code_step,
    room_code,
)

SECRET = "ab" * 32
PERIOD = 30
# A moment exactly on a step boundary (a multiple of 30 s since the epoch).
BOUNDARY = dt.datetime(2026, 12, 7, 0, 0, 0, tzinfo=dt.UTC)


def at(seconds: float) -> dt.datetime:
    return BOUNDARY + dt.timedelta(seconds=seconds)


def test_the_boundary_is_a_step_start():
    assert int(BOUNDARY.timestamp()) % PERIOD == 0


def test_a_code_is_six_digits_and_matches_rfc4226_truncation_of_hmac_sha256():
    step = code_step(BOUNDARY, PERIOD)
    digest = hmac.new(SECRET.encode(), step.to_bytes(8, "big"), hashlib.sha256).digest()
    offset = digest[-1] & 0x0F
    expected = (int.from_bytes(digest[offset : offset + 4], "big") & 0x7FFFFFFF) % 10**6
    code = code_for_step(SECRET, step)
    assert len(code) == CODE_DIGITS and code.isdigit()
    assert code == f"{expected:06d}"


def test_the_code_stays_the_same_within_a_step_and_rotates_at_the_next():
    first = room_code(SECRET, at(0), PERIOD)
    assert first.seconds_left == PERIOD
    assert room_code(SECRET, at(29.9), PERIOD).code == first.code
    assert room_code(SECRET, at(29), PERIOD).seconds_left == 1
    later = room_code(SECRET, at(30), PERIOD)
    assert later.step == first.step + 1
    # Over many steps the codes change (a repeat of one 6-digit code is possible, not many).
    codes = {code_for_step(SECRET, first.step + i) for i in range(50)}
    assert len(codes) >= 49


def test_different_secrets_give_different_codes():
    step = code_step(BOUNDARY, PERIOD)
    assert code_for_step(SECRET, step) != code_for_step("cd" * 32, step)


def test_the_current_code_is_accepted_all_through_its_step():
    code = room_code(SECRET, at(0), PERIOD).code
    for second in (0, 1, 15, 29, 29.99):
        assert code_is_valid(SECRET, code, at(second), PERIOD)


def test_the_previous_code_is_accepted_only_within_the_grace_seconds():
    previous = room_code(SECRET, at(-1), PERIOD).code
    assert previous != room_code(SECRET, at(0), PERIOD).code
    assert code_is_valid(SECRET, previous, at(0), PERIOD)
    assert code_is_valid(SECRET, previous, at(GRACE_SECONDS - 0.01), PERIOD)
    assert not code_is_valid(SECRET, previous, at(GRACE_SECONDS), PERIOD)
    assert not code_is_valid(SECRET, previous, at(GRACE_SECONDS + 1), PERIOD)


def test_a_photographed_code_is_refused_once_it_has_rotated_past_the_grace():
    photo = room_code(SECRET, at(3), PERIOD).code
    assert code_is_valid(SECRET, photo, at(10), PERIOD)
    assert not code_is_valid(SECRET, photo, at(PERIOD + GRACE_SECONDS), PERIOD)
    assert not code_is_valid(SECRET, photo, at(2 * PERIOD), PERIOD)
    assert not code_is_valid(SECRET, photo, at(3600), PERIOD)


def test_the_grace_is_short_compared_with_the_period():
    assert 0 < GRACE_SECONDS < PERIOD // 2


def test_the_next_code_is_not_accepted_early():
    upcoming = room_code(SECRET, at(PERIOD), PERIOD).code
    assert not code_is_valid(SECRET, upcoming, at(PERIOD - 1), PERIOD)


def test_malformed_codes_are_refused():
    code = room_code(SECRET, at(0), PERIOD).code
    for bad in ("", code[:5], code + "0", "abcdef", " " + code[1:], "１２３４５６"):
        assert not code_is_valid(SECRET, bad, at(0), PERIOD)
