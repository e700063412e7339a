"""What the page computes besides the live run: downloads and preset comparisons.

Nothing here changes the model; it reads the frames the model records
(``model_frame()``, ``firm_frame()``) and, for the compare view, runs two presets with the
same seed and size.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from abm.app.controls import Settings
from abm.app.session import free_memory
from abm.collectors import firm_columns
from abm.model import TradeClusterModel

#: The longest comparison, in years.
COMPARE_MAX_YEARS = 60


def file_stem(settings: Settings, year: int) -> str:
    """A file name stem that says which run and year a download holds."""
    return f"abm-{settings.preset}-seed{settings.seed}-{year}"


def years_csv(model) -> bytes:
    """The model frame (one row per year, every reporter) as CSV."""
    return model.model_frame().to_csv(index=True).encode()


def firms_csv(model, records: bool) -> bytes:
    """The firm frame as CSV: every year when firm records were kept, else the current year."""
    if records:
        frame = model.firm_frame()
    else:
        frame = pd.DataFrame(firm_columns(model))
        frame.insert(0, "year", model.year)
    return frame.to_csv(index=False).encode()


@dataclass(frozen=True)
class Comparison:
    """Two presets run with the same seed, size and number of years."""

    presets: tuple[str, str]
    seed: int
    years: int
    frames: Mapping[str, pd.DataFrame]  # by label "A: <preset>", "B: <preset>"


def check_years(value) -> int:
    """The number of years of a comparison, or ``ValueError`` naming the field."""
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    if not ok or not float(value).is_integer() or not 1 <= value <= COMPARE_MAX_YEARS:
        raise ValueError(
            f"Years: {value!r} is not allowed; allowed: an integer in [1, {COMPARE_MAX_YEARS}]"
        )
    return int(value)


def compare(presets: tuple[str, str], settings: Settings, years: int) -> Comparison:
    """Run ``presets`` with the seed, firm and cluster counts and topology of ``settings``.

    Each preset sets its own policy values; the models are dropped once their frames are read.
    """
    size = {k: settings.values[k] for k in ("n_firms", "n_clusters", "topology")}
    frames = {}
    for label, preset in zip(("A", "B"), presets, strict=True):
        model = TradeClusterModel(preset=preset, rng=settings.seed, firm_data=False, **size)
        for _ in range(years):
            model.step()
        frames[f"{label}: {preset}"] = model.model_frame()
        del model
        free_memory()
    return Comparison((presets[0], presets[1]), settings.seed, years, frames)


def compare_table(result: Comparison) -> pd.DataFrame:
    """The final year of each run for the compare panels, with the difference."""
    from abm.app.figures import COMPARE_PANELS, compare_series

    a, b = result.frames
    rows = []
    for column, title, unit, scale in COMPARE_PANELS:
        if column is not None and column not in result.frames[a]:
            continue
        va = float(compare_series(result.frames[a], column, scale)[-1])
        vb = float(compare_series(result.frames[b], column, scale)[-1])
        rows.append({"indicator": title, "unit": unit, a: va, b: vb, "difference": vb - va})
    return pd.DataFrame(rows)
