"""Certificate numbers: ``{prefix}-{year}-{serial:06d}-{check}``, e.g. SJ-AI-2026-000123-7KQ2.

* ``prefix`` is CERTIFICATE_NUMBER_PREFIX; ``year`` is the Seoul calendar year of issue.
* ``serial`` counts the certificates issued in that year, from 1. The next serial is one
  more than the year's highest; two issues racing for the same serial are kept apart by
  the unique index on ``certificates.number`` (the loser retries, see
  ``operations.issue``), so no counter table is needed on either database.
* ``check`` is four characters of Crockford base32 taken from an HMAC-SHA256 of the rest
  of the number under SECRET_KEY. The public verification page shows a name, so numbers
  must not be guessable from the serial alone: each serial has 32**4 (about a million)
  possible checks and only the holder of the certificate knows the right one, and the
  page is rate-limited. The check is deterministic, so two racing issues of one serial
  produce the same number and collide on the unique index instead of both succeeding.

Verification looks the number up as stored; it never recomputes the check, so rotating
SECRET_KEY changes only the checks of numbers issued afterwards. See docs/certificates.md.
"""

from __future__ import annotations

import hashlib
import hmac
import re

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.certificates.models import Certificate

# Crockford's base32: no I, L, O or U, so a number read aloud or retyped is unambiguous.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CHECK_LENGTH = 4
SERIAL_DIGITS = 6
MAX_LENGTH = 40  # the column's length

# A prefix of letters and digits in dash-separated groups, a year, a serial, a check.
PATTERN = re.compile(
    r"^(?P<prefix>[A-Z0-9]+(?:-[A-Z0-9]+)*)-(?P<year>\d{4})-(?P<serial>\d{6,9})-(?P<check>[0-9A-Z]{4})$"
)
# Dashes people paste from word processors, and the spaces they type between groups.
_DASHES = str.maketrans({"‐": "-", "‑": "-", "‒": "-", "–": "-", "—": "-", "−": "-", "－": "-"})
# Crockford's decoding of the letters people confuse with digits.
_CONFUSABLES = str.maketrans({"O": "0", "I": "1", "L": "1"})


def check_code(secret: str | bytes, prefix: str, year: int, serial: int) -> str:
    key = secret if isinstance(secret, bytes) else secret.encode()
    message = f"certificate-number\0{prefix}-{year}-{serial:0{SERIAL_DIGITS}d}".encode()
    digest = hmac.new(key, message, hashlib.sha256).digest()
    value = int.from_bytes(digest[:4], "big")
    chars = []
    for _ in range(CHECK_LENGTH):
        value, index = divmod(value, len(ALPHABET))
        chars.append(ALPHABET[index])
    return "".join(chars)


def format_number(secret: str | bytes, prefix: str, year: int, serial: int) -> str:
    check = check_code(secret, prefix, year, serial)
    return f"{prefix}-{year}-{serial:0{SERIAL_DIGITS}d}-{check}"


def normalise(raw: str | None) -> str | None:
    """The number as stored, from what someone typed; None when it cannot be a number.

    Case, surrounding and inner spaces and typographic dashes are forgiven, and so are
    O/I/L typed for 0/1 in the check part. Anything else is refused before any lookup.
    """
    if not raw or len(raw) > MAX_LENGTH * 2:
        return None
    text = "".join(raw.split()).translate(_DASHES).upper()
    if len(text) > MAX_LENGTH:
        return None
    head, sep, check = text.rpartition("-")
    if not sep:
        return None
    text = f"{head}-{check.translate(_CONFUSABLES)}"
    return text if PATTERN.match(text) else None


def next_serial(session: Session, prefix: str, year: int) -> int:
    """One more than the highest serial issued in ``year`` under ``prefix`` (1 for the first)."""
    stem = f"{prefix}-{year}-"
    escaped = stem.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    # Serials are zero-padded, so the longest and then greatest number holds the highest.
    last = session.scalar(
        select(Certificate.number)
        .where(Certificate.number.like(escaped + "%", escape="\\"))
        .order_by(func.length(Certificate.number).desc(), Certificate.number.desc())
        .limit(1)
    )
    if last is None:
        return 1
    match = PATTERN.match(last)
    return int(match.group("serial")) + 1 if match else 1
