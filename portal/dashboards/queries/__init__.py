"""The dashboards' figures: SQL aggregation only, a fixed number of statements per call.

A stable API for the pages and for the quarterly report: each function takes a
:class:`~portal.dashboards.filters.Filters` and returns frozen dataclasses, and needs no
request (only an app context). No function loads per-person or per-message rows: every
number is a COUNT, SUM or AVG computed by the database, and each function runs the same
number of statements whatever the size of the data.

Shared definitions:

* **Staff in scope**: active accounts whose department is the filtered department or one
  below it (every active account when no department is chosen).
* **A session of the year**: a session, not cancelled, starting within the calendar year in
  Asia/Seoul (and of the filtered course).
* **Department** always means the person's current department, sub-departments included.
"""

from portal.dashboards.queries.adoption import Funnel, FunnelStage, adoption
from portal.dashboards.queries.departments import (
    DepartmentReport,
    DepartmentRow,
    departments,
    expected_share,
)
from portal.dashboards.queries.sandbox import ModelUsage, SandboxReport, TimeSaved, sandbox
from portal.dashboards.queries.sessions import SessionsReport, SessionsRow, sessions

__all__ = [
    "DepartmentReport",
    "DepartmentRow",
    "Funnel",
    "FunnelStage",
    "ModelUsage",
    "SandboxReport",
    "SessionsReport",
    "SessionsRow",
    "TimeSaved",
    "adoption",
    "departments",
    "expected_share",
    "sandbox",
    "sessions",
]
