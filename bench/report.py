"""Benchmark results: the pass/fail rule, the printed table and bench/results.json.

Standard library only, so the unit test can load this file on its own.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

NO_TARGET = "none"
_COMPARISONS = (">=", "<=", "==", NO_TARGET)


@dataclass(frozen=True)
class Target:
    """A threshold the measured value must reach: at least (>=), at most (<=) or exactly
    (==) a value. Target.none() is a figure reported for information only: it passes
    whenever it was measured."""

    comparison: str
    value: float = math.nan

    def __post_init__(self) -> None:
        if self.comparison not in _COMPARISONS:
            raise ValueError(f"comparison must be one of {_COMPARISONS}, not {self.comparison!r}")
        if self.comparison != NO_TARGET and math.isnan(self.value):
            raise ValueError(f"a {self.comparison} target needs a value")

    @classmethod
    def none(cls) -> Target:
        return cls(NO_TARGET)

    @property
    def informational(self) -> bool:
        return self.comparison == NO_TARGET

    def met_by(self, measured: float | None) -> bool:
        if measured is None or math.isnan(measured):
            return False
        if self.comparison == ">=":
            return measured >= self.value
        if self.comparison == "<=":
            return measured <= self.value
        if self.comparison == "==":
            return measured == self.value
        return True  # informational: measuring it is all that is asked

    def __str__(self) -> str:
        if self.informational:
            return NO_TARGET
        return f"{self.comparison} {self.value:g}"


@dataclass(frozen=True)
class Result:
    name: str
    measured: float | None
    unit: str
    target: Target
    passed: bool
    details: dict[str, Any] = field(default_factory=dict)
    skipped: bool = False

    def as_json(self) -> dict[str, Any]:
        data = {
            "name": self.name,
            "measured": self.measured,
            "unit": self.unit,
            "target": str(self.target),
            "passed": self.passed,
            "details": self.details,
        }
        if self.skipped:
            data["skipped"] = True
        return data


def judge(
    name: str,
    measured: float | None,
    unit: str,
    target: Target,
    details: dict[str, Any] | None = None,
    problems: Iterable[str] = (),
) -> Result:
    """PASS only when the target is met and nothing went wrong along the way
    (a failed request or login is a problem even when the number looks good)."""
    details = dict(details or {})
    problems = list(problems)
    if problems:
        details["problems"] = problems
    passed = target.met_by(measured) and not problems
    return Result(name, measured, unit, target, passed, details)


def skipped(name: str, unit: str, target: Target, reason: str) -> Result:
    """A benchmark that could not run here for a reason outside the portal (no PostgreSQL
    server, say): SKIP in the table, with the reason; it does not fail the run."""
    return Result(name, None, unit, target, True, {"skipped": reason}, skipped=True)


def _format_value(value: float | None) -> str:
    if value is None or math.isnan(value):
        return "—"
    if isinstance(value, int):  # a count
        return str(value)
    if abs(value) >= 100:
        return f"{value:.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.3f}"


# (passed, informational) -> verdict; a figure without a target fails only when missing.
_VERDICTS = {
    (True, False): "PASS",
    (True, True): "INFO",
    (False, False): "FAIL",
    (False, True): "FAIL",
}


def format_line(result: Result, name_width: int = 0) -> str:
    verdict = "SKIP" if result.skipped else _VERDICTS[(result.passed, result.target.informational)]
    line = (
        f"{result.name:<{name_width}}  {_format_value(result.measured):>8} {result.unit:<6}"
        f"  target {str(result.target):<8}  {verdict}"
    )
    problems = result.details.get("problems")
    if problems:
        line += f"  ({'; '.join(problems)})"
    elif result.skipped:
        line += f"  ({result.details.get('skipped')})"
    return line


def format_table(results: list[Result]) -> str:
    """One line per benchmark: name, measured value and unit, target, PASS/FAIL
    (INFO for a figure reported without a target)."""
    width = max((len(r.name) for r in results), default=0)
    return "\n".join(format_line(r, width) for r in results)


def write_json(results: list[Result], path: Path) -> None:
    text = json.dumps([r.as_json() for r in results], ensure_ascii=False, indent=2)
    path.write_text(text + "\n", encoding="utf-8")


def exit_code(results: list[Result]) -> int:
    """1 when any benchmark failed (or none ran), 0 otherwise; a skipped one is no failure."""
    return 0 if results and all(r.passed for r in results) else 1
