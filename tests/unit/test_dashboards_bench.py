"""bench/dashboards.py: which pages it measures, and how it judges the statement counts."""

from __future__ import annotations

import sys
from pathlib import Path

from flask import Blueprint, Flask


def _load():
    root = str(Path(__file__).resolve().parents[2])
    if root not in sys.path:  # bench/ is imported as a package from the repository root
        sys.path.insert(0, root)
    import bench.dashboards

    return bench.dashboards


def _app_with_dashboards() -> Flask:
    app = Flask(__name__)
    dashboards = Blueprint("dashboards", __name__, url_prefix="/manage/dashboards")
    for name in ("adoption", "departments", "sessions", "sandbox"):
        dashboards.add_url_rule(f"/{name}", name, lambda: "")
    dashboards.add_url_rule("/sessions/<int:session_id>", "one_session", lambda session_id: "")
    dashboards.add_url_rule("/prices", "save_prices", lambda: "", methods=["POST"])
    app.register_blueprint(dashboards)
    home = Blueprint("home", __name__)
    home.add_url_rule("/", "index", lambda: "")
    app.register_blueprint(home)
    other = Blueprint("catalog", __name__)
    other.add_url_rule("/courses", "index", lambda: "")
    app.register_blueprint(other)
    return app


def test_every_argument_free_get_dashboard_is_measured_with_the_fixed_pages_that_exist():
    bench = _load()
    pages = bench.pages_to_measure(_app_with_dashboards())
    assert pages == {
        "dashboards.adoption": "adoption",
        "dashboards.departments": "departments",
        "dashboards.sessions": "sessions",
        "dashboards.sandbox": "sandbox",
        "home.index": "home",
    }


def _figures(
    statements: int, filtered: int, ms: float = 50.0, status: int = 200, quarter_ms=None
) -> dict:
    def variant(count: int, took: float = ms) -> dict:
        return {"median_ms": took, "p95_ms": took, "statements": count, "statuses": [status]}

    return {
        "plain": variant(statements),
        "filtered": variant(filtered),
        "quarter": variant(statements, quarter_ms or ms),
        "course": variant(statements),
    }


def _lines(small: dict, big: dict) -> dict:
    bench = _load()
    measured = {"1x": {"pages": {"adoption": small}}, "10x": {"pages": {"adoption": big}}}
    results = bench._judge("sqlite", measured, {"medium": 4.0, "large": 50.0}, [])
    return {r.name: r for r in results}


def test_the_same_statement_count_at_1x_and_10x_passes_and_growth_fails():
    same = _lines(_figures(7, 8), _figures(7, 8))
    assert same["dashboard_adoption_sqlite_statement_growth"].measured == 0
    assert same["dashboard_adoption_sqlite_statement_growth"].passed
    assert same["dashboard_adoption_sqlite_ms"].passed
    assert same["dashboard_seed_large_sqlite_s"].measured == 50.0

    grown = _lines(_figures(7, 8), _figures(9, 8))
    # two more statements unfiltered, with the quarter and with the course: 2 + 2 + 2
    assert grown["dashboard_adoption_sqlite_statement_growth"].measured == 6
    assert not grown["dashboard_adoption_sqlite_statement_growth"].passed


def test_a_slow_page_or_an_error_page_fails_its_lines():
    slow = _lines(_figures(7, 8), _figures(7, 8, ms=250.0))
    assert slow["dashboard_adoption_sqlite_ms"].measured == 250.0
    assert not slow["dashboard_adoption_sqlite_ms"].passed

    broken = _lines(_figures(7, 8), _figures(7, 8, status=500))
    assert not broken["dashboard_adoption_sqlite_ms"].passed
    assert "HTTP [500]" in broken["dashboard_adoption_sqlite_ms"].details["problems"][0]


def test_a_page_is_judged_by_its_slowest_filter():
    quarter_slow = _lines(_figures(7, 8), _figures(7, 8, ms=60.0, quarter_ms=1800.0))
    line = quarter_slow["dashboard_adoption_sqlite_ms"]
    assert line.measured == 1800.0
    assert not line.passed
