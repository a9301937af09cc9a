"""Admin screens for departments."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("admin_org", __name__, url_prefix="/admin/departments")
