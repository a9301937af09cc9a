"""Admin screens for the HR roster import."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("admin_import", __name__, url_prefix="/admin/import")
