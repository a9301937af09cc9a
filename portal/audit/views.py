"""Admin audit log search and export."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Iterator

from flask import (
    Blueprint,
    Response,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)

from portal.audit import labels, queries
from portal.audit.operations import record
from portal.auth.access import role_required
from portal.core import inputs
from portal.core.clock import SEOUL, today_in_seoul
from portal.users.models import Role

bp = Blueprint("admin_audit", __name__, url_prefix="/admin/audit")

CSV_COLUMNS = (
    "occurred_at",
    "occurred_at_kst",
    "actor_employee_number",
    "actor",
    "action",
    "action_label",
    "target_type",
    "target_id",
    "target",
    "ip",
    "details",
)
ACCESS_CSV_COLUMNS = (
    "occurred_at_utc",
    "actor_employee_number",
    "actor",
    "ip",
    "data_subjects",
    "target",
    "action",
    "action_label",
    "details",
)
_ROWS_PER_CHUNK = 500
# A cell starting with one of these would run as a formula in a spreadsheet (CSV injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@bp.route("/")
@role_required(Role.ADMIN)
def search():
    filters, errors = queries.parse_filters(request.args)
    actions = queries.known_actions()
    page = None
    if not errors:
        page = queries.search(filters, inputs.query_page())
    return render_template(
        "admin/audit/search.html",
        filters=filters,
        errors=errors,
        page=page,
        actions=[(code, labels.action_label(code)) for code in actions],
        families=queries.action_families(actions),
        args=filters.as_args(),
    )


@bp.route("/export.csv")
@role_required(Role.ADMIN)
def export():
    filters, errors = queries.parse_filters(request.args)
    if errors:
        # The search page shows the same messages next to the filters.
        return redirect(url_for(".search", **request.args.to_dict()))
    entry = record("audit.exported", details={"filters": filters.used_keys(), "format": "csv"})
    rows = queries.export_rows(filters, before_id=entry.id)
    filename = f"audit-log-{today_in_seoul():%Y%m%d}.csv"
    return Response(
        stream_with_context(_csv_chunks(rows)),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )


@bp.route("/personal-data")
@role_required(Role.ADMIN)
def personal_data():
    month, errors = queries.parse_month(request.args.get("month"))
    page = queries.personal_data_page(month, inputs.query_page())
    return render_template(
        "admin/audit/personal_data.html",
        month=month,
        errors=errors,
        page=page,
        args={"month": f"{month:%Y-%m}"},
    )


@bp.route("/personal-data.csv")
@role_required(Role.ADMIN)
def personal_data_export():
    month, errors = queries.parse_month(request.args.get("month"))
    if errors:
        return redirect(url_for(".personal_data", **request.args.to_dict()))
    entry = record(
        "audit.personal_data_exported", details={"month": f"{month:%Y-%m}", "format": "csv"}
    )
    rows = queries.personal_data_rows(month, before_id=entry.id)
    filename = f"personal-data-access-{month:%Y%m}.csv"
    return Response(
        stream_with_context(_csv_chunks(rows, ACCESS_CSV_COLUMNS, _access_cells)),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def _log_cells(row, text) -> list[str]:
    return [
        row.occurred_at.astimezone(dt.UTC).isoformat(timespec="seconds"),
        row.occurred_at.astimezone(SEOUL).strftime("%Y-%m-%d %H:%M:%S"),
        _cell(row.employee_number),
        _cell(text.actor),
        _cell(row.action),
        _cell(text.action),
        _cell(row.target_type),
        _cell(row.target_id),
        _cell(text.target),
        _cell(row.ip),
        _cell(text.details_text),
    ]


def _access_cells(row, text) -> list[str]:
    return [
        row.occurred_at.astimezone(dt.UTC).isoformat(timespec="seconds"),
        _cell(row.employee_number),
        _cell(text.actor),
        _cell(row.ip),
        _cell(", ".join(text.subjects)),
        _cell(text.target),
        _cell(row.action),
        _cell(text.action),
        _cell(text.details_text),
    ]


def _csv_chunks(rows: Iterable[tuple], header=CSV_COLUMNS, cells=_log_cells) -> Iterator[bytes]:
    """UTF-8 CSV with a byte-order mark (so Excel reads Hangul), a few hundred rows per chunk."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(header)
    for n, (row, text) in enumerate(rows, start=1):
        writer.writerow(cells(row, text))
        if n % _ROWS_PER_CHUNK == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")
