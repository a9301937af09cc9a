"""Stand-in for `flask demo seed` when that command is not available yet.

Creates the one account the benchmarks log in with (D0004, the demo password) through
the portal's own operations. Run with the benchmark's PORTAL_* environment:
`python -m bench.seed_fallback`.
"""

from __future__ import annotations

from portal import create_app
from portal.db import db
from portal.users.models import Role
from portal.users.operations import AccountInput, create_user

EMPLOYEE_NUMBER = "D0004"
PASSWORD = "Demo!2026portal"


def main() -> None:
    app = create_app()
    with app.app_context(), db.command_transaction():
        create_user(
            AccountInput(
                employee_number=EMPLOYEE_NUMBER,
                name="벤치마크 사용자",
                email="bench.d0004@example.go.kr",
                role=Role.STAFF,
            ),
            password=PASSWORD,
            min_password_length=app.config["PASSWORD_MIN_LENGTH"],
        )


if __name__ == "__main__":
    main()
