"""The private iCal feed token: a random secret in the URL, stored only as its SHA-256."""

from __future__ import annotations

import secrets

from portal.audit.operations import record
from portal.db import db
from portal.learning.queries import token_hash
from portal.users.models import User


def regenerate_ical_token(user: User) -> str:
    """Give the user a new feed token and return it; the old feed URL stops working at once.

    Only the hash is stored, so the token can be shown this once and never again.
    """
    replaced = user.ical_token_hash is not None
    token = secrets.token_urlsafe(32)
    user.ical_token_hash = token_hash(token)
    db.session.flush()
    record(
        "ical.token_regenerated",
        target_type="user",
        target_id=user.id,
        actor_id=user.id,
        details={"replaced": replaced},
    )
    return token
