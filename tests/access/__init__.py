"""The route x role matrix, one module per feature.

Each module defines ROUTES: a dict of endpoint -> Expect. Paths may contain
{user_id}, {dept_id}, {upload_id}, {session_id}, {course_slug}, {enrollment_id},
{notification_id} and {hours_entry_id}, filled with objects the matrix test creates (the
enrollment, the notification and the pending hours entry belong to the staff member
{user_id}, enrolled in {session_id}).
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass

from portal.users.models import Role

ADMIN = frozenset({Role.ADMIN})
COORDINATION = frozenset({Role.COORDINATOR, Role.ADMIN})


@dataclass(frozen=True)
class Expect:
    access: str | frozenset[Role]
    path: str
    method: str = "GET"
    ends_session: bool = False  # logout answers allowed callers with the login page too


def collect_matrix() -> dict[str, Expect]:
    matrix: dict[str, Expect] = {}
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        for endpoint, expect in module.ROUTES.items():
            assert endpoint not in matrix, f"{endpoint} is listed twice in tests/access"
            matrix[endpoint] = expect
    return matrix
