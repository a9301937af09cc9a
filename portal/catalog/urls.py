"""Links into the catalogue for other features' pages."""

from __future__ import annotations

from flask import current_app, url_for


def course_url(slug: str) -> str:
    """The course page in the catalogue (My learning if the catalogue is not installed)."""
    if "catalog.course" not in current_app.view_functions:
        return url_for("learning.my_learning")
    return url_for("catalog.course", slug=slug)
