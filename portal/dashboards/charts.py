"""Chart specifications for the dashboards, as plain data the page embeds as JSON.

``static/js/dashboards.js`` turns each spec into a Chart.js chart; the same numbers are in
the data table beside every chart, so nothing depends on the chart being drawn.
"""

from __future__ import annotations

from typing import Any

Spec = dict[str, Any]


def bar(
    labels: list[str],
    series: list[tuple[str, list[float | int | None]]],
    *,
    horizontal: bool = False,
    percent: bool = False,
    stacked: bool = False,
) -> Spec:
    """A bar chart: one dataset per (label, values) pair."""
    return {
        "kind": "bar",
        "labels": labels,
        "datasets": [{"label": label, "data": values} for label, values in series],
        "horizontal": horizontal,
        "percent": percent,
        "stacked": stacked,
    }


def doughnut(labels: list[str], values: list[int]) -> Spec:
    return {
        "kind": "doughnut",
        "labels": labels,
        "datasets": [{"label": "", "data": values}],
        "horizontal": False,
        "percent": False,
        "stacked": False,
    }
