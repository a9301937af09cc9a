"""Fuzz every route of the app with hostile input; none may answer 5xx.

The cases come from ``app.url_map`` (one per rule and method), so a new route is fuzzed
without editing this file; tests/fuzz/fuzzing.py says how fields are found and judged.
Each case sends every catalogue value (NUL and other control characters, 100k-character
strings, invalid UTF-8, CR/LF, huge and negative integers, extreme and malformed dates,
deep JSON nesting) into each field the route reads, then a few hypothesis-drawn mixes
(seeded, so every run sends the same). A failure lists the route, field, value, status and
the exception the app logged.
"""

from __future__ import annotations

import json
import os
import tempfile

import pytest

from portal import create_app
from tests.fuzz.fuzzing import discover_cases, failure_record, format_failures

# Random mixes per case, after the deterministic sweep; FUZZ_EXAMPLES raises it locally.
# FUZZ_REPORT=<file> appends every failure there as a JSON line; FUZZ_DEBUG=1 prints each
# case's plan and the status of its baseline and NUL-byte requests (FUZZ_DEBUG=2: all).
MAX_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "4"))


def _cases():
    # The URL map only: an app that never connects (in-memory SQLite, no instance files).
    with tempfile.TemporaryDirectory() as instance:
        app = create_app(
            {
                "ENV": "testing",
                "TESTING": True,
                "SECRET_KEY": "fuzz-collection-key-0123456789abcdef01234",
                "DATABASE_URL": "sqlite://",
                "LOG_LEVEL": "WARNING",
            },
            instance_path=instance,
        )
        cases = discover_cases(app)
        app.extensions["portal_db"]["engine"].dispose()
    return cases


CASES = _cases()


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_input_never_breaks_the_route(fuzz_world, case):
    fuzzer = fuzz_world.fuzzer(case, max_examples=MAX_EXAMPLES)
    failures = fuzzer.run()
    if os.environ.get("FUZZ_DEBUG"):
        print(f"\n{case.id}: {fuzzer.sent} requests; plan: {fuzzer.last_plan}")
        for where, name, label, status, took in fuzzer.statuses:
            if "baseline" in name or label.startswith("NUL") or os.environ["FUZZ_DEBUG"] == "2":
                print(f"   {status} {where} {name} {label} {took:.3f}s")
    if failures and os.environ.get("FUZZ_REPORT"):
        with open(os.environ["FUZZ_REPORT"], "a", encoding="utf-8") as report:
            for failure in failures:
                report.write(json.dumps(failure_record(failure), ensure_ascii=False) + "\n")
    if failures:
        pytest.fail(format_failures(failures), pytrace=False)


def test_every_route_is_fuzzed(app):
    """The parametrisation above was built from the same URL map the suite's app has."""
    assert {(c.endpoint, c.rule, c.method) for c in discover_cases(app)} == {
        (c.endpoint, c.rule, c.method) for c in CASES
    }
