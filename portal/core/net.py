"""Client address, after ProxyFix has applied the trusted X-Forwarded-For hops."""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import urlsplit

from flask import current_app, request

from portal.core import inputs


def client_address() -> str:
    return request.remote_addr or "unknown"


def pseudonym(value: str, purpose: str) -> str:
    """A keyed hash of an identifier (client address, login name) for counters and keys.

    Rate-limit keys in Redis and login-failure rows must not hold raw addresses or
    employee numbers. A plain SHA-256 would not do: IPv4 addresses and patterned employee
    numbers are few enough to hash them all. The key is the app's SECRET_KEY, so the
    pseudonym cannot be reversed without it; rotating the key only resets counters.
    """
    key = current_app.secret_key
    key_bytes = key if isinstance(key, bytes) else str(key).encode()
    message = f"{purpose}\0{value}".encode()
    return hmac.new(key_bytes, message, hashlib.sha256).hexdigest()[:40]


def client_key() -> str:
    """The rate-limit key of the client address, without the address itself."""
    return "ip:" + pseudonym(client_address(), "client-address")


def local_path(target: str | None) -> str | None:
    """target if it is a path on this site, else None: no open redirects via ?next=.

    "//host" and "/\\host" are refused because browsers treat them as other sites, and so is
    any line break or control character: it cannot go into a Location header (a 500).
    """
    if not target or "\\" in target or not target.startswith("/") or target.startswith("//"):
        return None
    if inputs.has_line_breaks(target) or inputs.has_forbidden_characters(target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target
