"""Flask extensions, created unbound and attached in create_app."""

from __future__ import annotations

from flask_babel import Babel
from flask_limiter import Limiter
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

from portal.core.net import client_key

csrf = CSRFProtect()
babel = Babel()
login_manager = LoginManager()
# Storage comes from RATELIMIT_STORAGE_URI (memory:// by default, Redis in production).
# Keys are keyed hashes of the client address: Redis never holds a raw IP.
limiter = Limiter(key_func=client_key, default_limits=[], headers_enabled=False)
