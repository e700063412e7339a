"""Server time of a Step in the browser app: the model's year plus the figures a tab shows.

Runs what the app's Step button runs (``abm.app.session.Run.step``) without a browser, at
500 and 10,000 firms, for the default tab (network and key figures) and for each tab with a
time-series figure, and prints the median over a few steps. The browser test measures the
same in Chromium (``tests/test_app_browser.py``, ``step-times.json``).

    .venv/bin/python experiments/benchmarks/bench_app_step.py [--steps 10]
"""

from __future__ import annotations

import argparse
import statistics

from abm.app.controls import check_settings, preset_values
from abm.app.session import SERIES, Run

TABS = {"network": (("network", "green"),), **{name: (name,) for name in SERIES}}


def step_times(n_firms: int, steps: int) -> dict[str, float]:
    """Median server time (ms) of a Step per tab at ``n_firms`` firms."""
    values = {**preset_values("baseline"), "n_firms": n_firms}
    run = Run()
    out = {}
    for tab, views in TABS.items():
        run.build(check_settings("baseline", "1", values))
        run.step(views)  # the first step draws the tab's figure from scratch
        out[tab] = statistics.median(run.step(views) for _ in range(steps))
    run.release()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=10, help="steps timed per tab (default 10)")
    args = parser.parse_args()
    for n in (500, 10_000):
        times = step_times(n, args.steps)
        cells = ", ".join(f"{tab} {ms:.0f} ms" for tab, ms in times.items())
        print(f"Step at {n:,} firms (median of {args.steps}): {cells}")


if __name__ == "__main__":
    main()
