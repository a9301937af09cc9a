"""The fuzz machinery catches a crash: a route planted on a separate app raises on a line
break in a one-line value and on an integer past 32 bits, and the same machinery the suite runs reports both
(with the route, field, value class, status and the logged exception), while a sibling
route that handles the same input cleanly reports nothing."""

from __future__ import annotations

import pytest
from flask import request

from portal.auth.access import PUBLIC
from tests.conftest import PASSWORD
from tests.fuzz.fuzzing import RouteFuzzer, Target, discover_cases, format_failures


def _planted(fresh):
    def planted():
        title = request.values.get("title", "")
        count = request.values.get("count", "0")
        # (A NUL byte never gets this far: the portal's input policy refuses it at the edge,
        # so the planted text bug is one the edge lets through by design.)
        if "\n" in title:
            raise ValueError("planted bug: a line break reached a header")
        if count.lstrip("-").isdigit() and int(count) >= 2**31:
            raise OverflowError("planted bug: integer out of 32-bit range")
        return f"<!doctype html><html><body>{len(title)} {len(count)}</body></html>"

    def careful():
        title = request.values.get("title", "").replace("\n", " ")
        count = request.values.get("count", "0")
        return f"<!doctype html><html><body>{len(title)} {count.isdigit()}</body></html>"

    for view in (planted, careful):
        view.access = PUBLIC
        fresh.add_url_rule(f"/__fuzz/{view.__name__}", view.__name__, view, methods=["GET", "POST"])


def _fuzz(fresh, endpoint: str):
    failures = []
    for case in discover_cases(fresh, {endpoint}):
        client = fresh.test_client()
        target = Target(
            path=f"/__fuzz/{endpoint}", client=client, relogin=lambda: None, string_args={}
        )
        failures.extend(RouteFuzzer(fresh, case, target, password=PASSWORD, max_examples=3).run())
    return failures


def _assert_clean(failures):
    # What the suite's test does with a route's failures.
    if failures:
        pytest.fail(format_failures(failures), pytrace=False)


def test_the_fuzzer_reports_a_planted_500(make_app):
    fresh = make_app({})
    _planted(fresh)
    failures = _fuzz(fresh, "planted")

    found = {(f.case.method, f.where, f.field, f.label, f.status) for f in failures}
    for method in ("GET", "POST"):
        where = "query" if method == "GET" else "form"
        assert (method, where, "title", "CR/LF", 500) in found, found
        assert (method, where, "count", "int 2**31", 500) in found, found
        assert (method, where, "count", "int 10**20", 500) in found, found
    assert all(f.status == 500 for f in failures)
    assert all("planted bug" in f.logged for f in failures)

    with pytest.raises(pytest.fail.Exception) as failed:
        _assert_clean(failures)
    report = str(failed.value)
    assert "POST /__fuzz/planted [planted] form 'title' <- CR/LF" in report
    assert "ValueError: planted bug: a line break reached a header" in report
    assert "OverflowError: planted bug: integer out of 32-bit range" in report


def test_a_route_that_copes_reports_nothing(make_app):
    fresh = make_app({})
    _planted(fresh)
    _assert_clean(_fuzz(fresh, "careful"))
