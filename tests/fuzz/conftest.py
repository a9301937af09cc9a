"""Fixtures of the fuzz suite: who calls each route and which objects its path points at.

Each fuzz test runs in the suite's usual rolled-back transaction (tests/conftest.py
``_isolated_transaction``): every request commits to a savepoint of it, so whatever the
fuzzed requests create or change is gone when the test ends. Paths are filled from the
shared ``targets`` fixture (tests/fixtures/targets.py) through the route matrix's own paths
(tests/access), so they point where the matrix test points.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from werkzeug.exceptions import HTTPException

from portal.auth.access import AUTHENTICATED, PUBLIC
from portal.db import db
from portal.users.models import Role, User
from tests.access import collect_matrix
from tests.conftest import PASSWORD, Auth
from tests.fuzz.fuzzing import Case, RouteFuzzer, Target, discover_cases, find_rule

MATRIX = collect_matrix()

# Which of the roles a view allows the suite calls it as: the coordinator where they may
# (they see every session and submission, unlike an instructor), else the admin.
ROLE_PREFERENCE = (Role.COORDINATOR, Role.ADMIN, Role.INSTRUCTOR, Role.STAFF)


def caller_for(view: Callable[..., Any]) -> str | Role | None:
    """``None`` (anonymous) for public views, "owner" for any logged-in user (the staff
    member who owns the targets), "department head", or a role the view admits."""
    access = getattr(view, "access", None)
    if access == PUBLIC:
        return None
    if access == AUTHENTICATED:
        return "owner"
    if not access:
        return "department head"
    return next(role for role in ROLE_PREFERENCE if role in access)


def path_values(app: Flask, case: Case, targets: dict[str, Any]) -> dict[str, Any]:
    """The path arguments of a case: the matrix's path for its endpoint, matched back
    through the URL map; unknown arguments fall back to a target of that name, or 1."""
    rule = find_rule(app, case)
    adapter = app.url_map.bind("localhost")
    values: dict[str, Any] = {}
    expect = MATRIX.get(case.endpoint)
    if expect is not None:
        try:
            _endpoint, values = adapter.match(expect.path.format(**targets), method=expect.method)
        except (HTTPException, KeyError):
            values = {}
    for arg in rule.arguments:
        if arg not in values:
            values[arg] = targets.get(arg, 1 if arg.endswith("_id") else "fuzz")
    values.update(rule.defaults or {})
    return values


@dataclass
class FuzzWorld:
    app: Flask
    targets: dict[str, Any]
    make_user: Callable[..., User]
    make_session: Callable[..., Any]
    make_course: Callable[..., Any]
    department_id: int

    def approval_request(self) -> int:
        """A request awaiting the department head: from a member of their department for
        a course that needs approval (the matrix's enrolment is nobody's to approve)."""
        from portal.enrollment import operations as ops

        course = self.make_course(requires_approval=True)
        session = self.make_session(course_id=course.id)
        requester = self.make_user(Role.STAFF, department_id=self.department_id)
        with self.app.app_context():
            user = db.session.get(User, requester.id)
            enrollment_id = ops.enrol(session.id, user, ops.Actor(user.id)).enrollment.id
            db.session.commit()
        return enrollment_id

    def caller(self, who: str | Role | None):
        """A client logged in as ``who`` and a function that logs it in again."""
        client = self.app.test_client()
        if who is None:
            return client, lambda: None
        if who == "owner":
            with self.app.app_context():
                login = db.session.get(User, self.targets["user_id"]).employee_number
        elif who == "department head":
            login = self.make_user(
                Role.STAFF, department_id=self.department_id, is_department_head=True
            ).employee_number
        else:
            login = self.make_user(who).employee_number

        def relogin() -> None:
            if client.get("/auth/login").status_code != 200:
                return  # still logged in: the request did not end the session
            response = Auth(client).login(login, PASSWORD)
            assert response.status_code == 302, f"could not log {who} in again"

        relogin()
        return client, relogin

    def fuzzer(self, case: Case, *, max_examples: int) -> RouteFuzzer:
        view = self.app.view_functions[case.endpoint]
        who = caller_for(view)
        client, relogin = self.caller(who)
        targets = self.targets
        if who == "department head":
            targets = dict(targets, enrollment_id=self.approval_request())
        values = path_values(self.app, case, targets)
        rule = find_rule(self.app, case)
        adapter = self.app.url_map.bind("localhost")
        path = adapter.build(case.endpoint, values, method=case.method)
        expect = MATRIX.get(case.endpoint)
        target = Target(
            path=path,
            client=client,
            relogin=relogin,
            string_args={
                k: v
                for k, v in values.items()
                if isinstance(v, str) and k in rule.arguments and k not in (rule.defaults or {})
            },
            ends_session=bool(expect and expect.ends_session),
            json_baseline={"revision": self._revision},
        )
        return RouteFuzzer(
            self.app,
            case,
            target,
            password=PASSWORD,
            crawl_paths=lambda: self.get_pages(case, who),
            max_examples=max_examples,
        )

    def _revision(self) -> int:
        from portal.assistant.models import Draft

        with self.app.app_context():
            return db.session.get(Draft, self.targets["draft_id"]).revision

    def get_pages(self, case: Case, who: str | Role | None) -> list[str]:
        """GET pages the caller may open, the route's own blueprint first: where to look
        for the form that posts to a POST-only route."""
        blueprint = case.endpoint.split(".")[0]
        pages = []
        for other in discover_cases(self.app):
            if other.method != "GET" or caller_for(self.app.view_functions[other.endpoint]) != who:
                continue
            values = path_values(self.app, other, self.targets)
            adapter = self.app.url_map.bind("localhost")
            url = adapter.build(other.endpoint, values, method="GET")
            if url.endswith((".csv", ".ics")) or "/export" in url:
                continue
            pages.append((other.endpoint.split(".")[0] != blueprint, url))
        return [url for _first, url in sorted(pages, key=lambda p: p[0])]


@pytest.fixture
def fuzz_world(app, targets, make_user, make_workspace, make_session, make_course) -> FuzzWorld:
    """The targets, with the draft swapped for one still being written (the matrix's is
    submitted, which freezes it: its draft routes would refuse before reading a field)."""
    with app.app_context():
        user = db.session.get(User, targets["user_id"])
    draft = make_workspace(user)
    return FuzzWorld(
        app,
        dict(targets, draft_id=draft.id),
        make_user,
        make_session,
        make_course,
        targets["dept_id"],
    )
