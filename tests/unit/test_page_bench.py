"""bench/run.py's page ratios: which pages, which targets, and how a setup failure is reported
(not their timings, which only a benchmark run measures)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest


def _load():
    root = str(Path(__file__).resolve().parents[2])
    if root not in sys.path:  # bench/ is imported as a package from the repository root
        sys.path.insert(0, root)
    import bench.run

    return bench.run


@pytest.fixture(autouse=True)
def _isolated_transaction():
    """Overrides conftest's autouse fixture: these tests need no app and no database."""
    yield


def test_the_pages_are_the_home_page_the_catalogue_and_my_learning_with_the_home_judged():
    run = _load()
    by_name = {page.benchmark.name: page for page in run.PAGES}
    assert {name: page.path for name, page in by_name.items()} == {
        "home_throughput_ratio": "/",
        "catalogue_throughput_ratio": "/courses/",
        "my_learning_throughput_ratio": "/my/learning",
    }
    assert str(by_name["home_throughput_ratio"].benchmark.target) == ">= 0.15"
    assert by_name["catalogue_throughput_ratio"].benchmark.target.informational
    assert by_name["my_learning_throughput_ratio"].benchmark.target.informational


def test_only_pages_is_an_option():
    run = _load()
    assert run.parse_arguments(["--only", "pages"]).only == "pages"


def test_pages_that_could_not_run_fail_with_the_reason_even_without_a_target():
    run = _load()
    lines = run._page_lines(None, ["servers: RuntimeError: portal server exited with 3"])
    assert [line.name for line in lines] == [page.benchmark.name for page in run.PAGES]
    for line in lines:
        assert line.measured is None and not line.passed
        assert line.details["problems"] == ["servers: RuntimeError: portal server exited with 3"]
    assert all(not line.passed for line in run._page_lines(None, []))


def test_every_only_choice_runs_something():
    run = _load()
    parser_choices = {"pages", "streams", "import", "roster", "certificates", "dashboards", "load"}
    for choice in parser_choices:
        assert run.parse_arguments(["--only", choice]).only == choice
    arguments = run.parse_arguments(["--only", "load"])
    runs = run._runs_alone(arguments)
    assert set(runs) == parser_choices - {"pages"}
    assert runs["load"] is run.load_test.benchmarks
