"""Client address, after ProxyFix has applied the trusted X-Forwarded-For hops."""

from __future__ import annotations

from flask import request


def client_address() -> str:
    return request.remote_addr or "unknown"
