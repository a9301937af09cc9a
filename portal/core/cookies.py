"""The session cookie: Flask's signed cookie, without redoing the same work on every request.

Every request of a logged-in person carries the same cookie until the session changes
(a login, a language switch, a flash message, the once-a-minute activity mark). Flask
builds a new signer and checks the cookie's HMAC and decodes its JSON each time; on the
home page that was about a twentieth of the request. Here the signer is built once per
key, and a cookie already verified in this process is recognised by its exact text: the
same bytes that passed the signature check under the same keys give the same data.

The cookie's age is still checked on every request, against the time it was signed, as
Flask does (``PERMANENT_SESSION_LIFETIME``). Only cookies whose values are all plain
strings, numbers, booleans or None are remembered, so no request can change a remembered
value in place (a flash message appends to a list); the others are verified as before.
"""

from __future__ import annotations

import time
from typing import Any

from flask import Flask, Request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from itsdangerous import BadSignature, URLSafeTimedSerializer

# Cookies remembered per process: more than a worker's active people; past it, start over.
VERIFIED_KEPT = 4096
_PLAIN = (str, int, float, bool, type(None))


def _plain(data: Any) -> bool:
    return isinstance(data, dict) and all(type(v) in _PLAIN for v in data.values())


class PortalSessionInterface(SecureCookieSessionInterface):
    def __init__(self) -> None:
        self._serializers: dict[tuple, URLSafeTimedSerializer] = {}
        # (keys, cookie text) → (decoded data, when it was signed, in seconds since the epoch)
        self._verified: dict[tuple, tuple[dict[str, Any], float]] = {}

    def _keys(self, app: Flask) -> tuple:
        return (app.secret_key, *(app.config["SECRET_KEY_FALLBACKS"] or ()))

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        if not app.secret_key:
            return None
        keys = self._keys(app)
        serializer = self._serializers.get(keys)
        if serializer is None:
            serializer = super().get_signing_serializer(app)
            if len(self._serializers) > 8:  # the keys changed more often than a restart would
                self._serializers.clear()
            self._serializers[keys] = serializer
        return serializer

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        serializer = self.get_signing_serializer(app)
        if serializer is None:
            return None
        text = request.cookies.get(self.get_cookie_name(app))
        if not text:
            return self.session_class()
        max_age = int(app.permanent_session_lifetime.total_seconds())
        key = (self._keys(app), text)
        known = self._verified.get(key)
        if known is not None:
            data, signed_at = known
            if 0 <= time.time() - signed_at <= max_age:
                return self.session_class(data)  # a copy: the request changes its own
            self._verified.pop(key, None)
        try:
            data, signed = serializer.loads(text, max_age=max_age, return_timestamp=True)
        except BadSignature:
            return self.session_class()
        if _plain(data):
            if len(self._verified) >= VERIFIED_KEPT:
                self._verified.clear()
            self._verified[key] = (dict(data), signed.timestamp())
        return self.session_class(data)


def init_app(app: Flask) -> None:
    app.session_interface = PortalSessionInterface()
