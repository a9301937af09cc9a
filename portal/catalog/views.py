"""The course catalogue and course pages for staff."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from portal.auth.access import login_required
from portal.catalog import queries
from portal.catalog.markdown import render_markdown
from portal.catalog.models import Category, Format, Level
from portal.core import inputs
from portal.core.templating import translated_labels

bp = Blueprint("catalog", __name__, url_prefix="/courses")

CATEGORY_LABELS = {
    Category.LITERACY: _l("AI 이해·윤리"),
    Category.PRACTICE: _l("업무 활용 실습"),
    Category.DATA: _l("공공데이터"),
    Category.PLANNING: _l("AI 서비스 기획"),
    Category.SPECIAL: _l("특강"),
}
LEVEL_LABELS = {
    Level.BASIC: _l("기초"),
    Level.APPLIED: _l("활용"),
    Level.ADVANCED: _l("심화"),
}
FORMAT_LABELS = {
    Format.CLASSROOM: _l("집합"),
    Format.ONLINE: _l("온라인"),
    Format.BLENDED: _l("혼합"),
}


@bp.context_processor
def _labels() -> dict[str, object]:
    # Translated once per language (a catalogue page prints three badges per course).
    return {
        "category_labels": translated_labels(CATEGORY_LABELS),
        "level_labels": translated_labels(LEVEL_LABELS),
        "format_labels": translated_labels(FORMAT_LABELS),
    }


@bp.route("/")
@login_required
def index():
    filters, errors = queries.parse_filters(request.args)
    page = queries.catalog_page(filters, inputs.query_page())
    return render_template(
        "catalog/index.html", filters=filters, errors=errors, page=page, args=filters.as_args()
    )


@bp.route("/<slug>")
@login_required
def course(slug: str):
    found = queries.course_page(slug, current_user.id)
    if found is None:
        abort(404)
    return render_template(
        "catalog/course.html",
        page=found,
        course=found.course,
        description=render_markdown(found.course.description_md),
    )
