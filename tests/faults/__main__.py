"""`python -m tests.faults [NAME ...]`: run the fault scenarios (all of them by default).

Exits 0 when every check of every scenario passed, 1 otherwise, 2 when the lab itself
could not be started. `make faults` runs this; .ci/run runs `make faults` in CI.
"""

from __future__ import annotations

import argparse
import sys
import time
import traceback

from tests.faults.scenarios import SCENARIOS, Lab, ScenarioFailed
from tests.faults.stack import say


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.faults", description=__doc__)
    parser.add_argument(
        "names",
        nargs="*",
        choices=[[], *SCENARIOS],
        metavar="NAME",
        help=f"scenarios to run, of: {', '.join(SCENARIOS)}",
    )
    names = parser.parse_args(argv).names or list(SCENARIOS)
    started = time.monotonic()
    lab = Lab()
    outcomes: dict[str, str] = {}
    try:
        try:
            lab.start()
        except Exception:  # noqa: BLE001 - the lab's own failure is reported, not a scenario's
            traceback.print_exc()
            say("the lab could not be started; no scenario ran")
            return 2
        for name in names:
            say(f"=== scenario: {name}")
            try:
                checks = SCENARIOS[name](lab)
                checks.finish()
                outcomes[name] = f"passed ({checks.passed} checks)"
            except ScenarioFailed as failed:
                outcomes[name] = f"FAILED: {failed}"
            except Exception as err:  # noqa: BLE001 - one broken scenario must not hide the rest
                traceback.print_exc()
                outcomes[name] = f"FAILED with {type(err).__name__}: {err}"
                if lab.portal is not None:
                    say("the server's log ends:\n" + lab.portal.log_tail(40))
    finally:
        lab.stop()
    say(f"=== summary ({time.monotonic() - started:.0f} s)")
    for name, outcome in outcomes.items():
        say(f"{name}: {outcome}")
    return 0 if all(o.startswith("passed") for o in outcomes.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
