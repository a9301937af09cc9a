"""Client address, after ProxyFix has applied the trusted X-Forwarded-For hops."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import request

from portal.core import inputs


def client_address() -> str:
    return request.remote_addr or "unknown"


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
