"""``abm validate``: the model against the data, moment by moment.

Runs the model at the targets' preset and fixed parameters (and optionally a parameter
file, e.g. a calibration's ``best_params.toml``) with several seeds and compares each
moment's model mean and 95 % interval over seeds with the observed value and interval.
"""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from abm.calibration.simulate import Simulator, seeds_for
from abm.calibration.targets import Targets, TargetsError, check_params, read_toml


def load_params(path: str | Path) -> dict[str, Any]:
    """Parameter values from a TOML file (``name = value``, top level or under ``[params]``).

    Each name and value is checked against the registry.
    """
    path = Path(path)
    data = read_toml(path, "parameter file")
    return check_params(data.get("params", data), f"{path}: params")


def validate(
    targets: Targets,
    params: dict[str, Any] | None = None,
    seeds: int = 10,
    preset: str | None = None,
    workers: int = 1,
    executor: str = "serial",
    fresh_seeds: bool = True,
) -> list[dict[str, Any]]:
    """The model-versus-data table: one dict per moment.

    Keys: ``name, statistic, observed, low, high, model_mean, model_se, model_low,
    model_high, inside, holdout, weight, source``; ``model_se`` is the standard error of the
    mean over the seeds (how far more seeds could move it), ``model_low`` and
    ``model_high`` are the 2.5 % and 97.5 % quantiles over the seeds, and ``inside`` says
    whether the model mean lies in the observed interval (false when the statistic is
    undefined). With ``fresh_seeds`` (the default) the seeds are not those the calibration
    uses, so the check is out of sample in the model's randomness too.
    """
    if isinstance(seeds, bool) or not isinstance(seeds, int) or not 1 <= seeds <= 1000:
        raise TargetsError(f"--seeds: invalid value {seeds!r}; allowed: an integer in [1, 1000]")
    if preset is not None:
        from abm.scenarios import scenario_values

        try:
            scenario_values(preset)
        except ValueError as exc:
            raise TargetsError(f"--preset: {exc}") from None
        targets = replace(targets, preset=preset.strip())
    params = dict(params or {})
    seed_list = seeds_for(targets, seeds, validation=fresh_seeds)
    with Simulator(targets, None, executor, workers) as sim:
        sim.ensure([params], seed_list)
        per_seed = sim.moments(params, seed_list)
    rows = []
    for j, m in enumerate(targets.moments):
        v = per_seed[:, j]
        ok = v[np.isfinite(v)]
        mean = float(ok.mean()) if len(ok) == len(v) else math.nan
        se = float(ok.std(ddof=1) / math.sqrt(len(ok))) if len(ok) == len(v) > 1 else math.nan
        lo = float(np.quantile(ok, 0.025)) if len(ok) else math.nan
        hi = float(np.quantile(ok, 0.975)) if len(ok) else math.nan
        rows.append(
            {
                "name": m.name,
                "statistic": m.statistic.describe(),
                "observed": m.observed,
                "low": m.low,
                "high": m.high,
                "model_mean": mean,
                "model_se": se,
                "model_low": lo,
                "model_high": hi,
                "inside": bool(math.isfinite(mean) and m.low <= mean <= m.high),
                "holdout": m.holdout,
                "weight": m.weight,
                "source": m.citation(),
            }
        )
    return rows


def share_inside(rows: list[dict[str, Any]], holdout: bool | None = None) -> tuple[int, int]:
    """``(inside, total)`` over the rows (only hold-out ones, or only fitted ones)."""
    sel = [r for r in rows if holdout is None or r["holdout"] == holdout]
    return sum(bool(r["inside"]) for r in sel), len(sel)


def format_table(rows: list[dict[str, Any]]) -> str:
    """The table as fixed-width text, followed by the shares of moments inside."""

    def num(x: float) -> str:
        return f"{x:.4g}" if math.isfinite(x) else "nan"

    head = (
        "moment",
        "observed [interval]",
        "model mean (s.e.) [95 % over seeds]",
        "inside",
        "source",
    )
    body = []
    for r in rows:
        body.append(
            (
                r["name"] + (" (hold-out)" if r["holdout"] else ""),
                f"{num(r['observed'])} [{num(r['low'])}, {num(r['high'])}]",
                f"{num(r['model_mean'])} ({num(r['model_se'])}) "
                f"[{num(r['model_low'])}, {num(r['model_high'])}]",
                "yes" if r["inside"] else "no",
                r["source"],
            )
        )
    widths = [max(len(h), *(len(b[i]) for b in body)) for i, h in enumerate(head[:-1])]
    lines = []
    for row in (head, *body):
        cells = [c.ljust(widths[i]) for i, c in enumerate(row[:-1])]
        lines.append("  ".join([*cells, row[-1]]))
    lines.insert(1, "-" * min(len(lines[0]) + 20, 160))
    n_in, n = share_inside(rows)
    lines.append("")
    lines.append(f"moments inside their interval: {n_in} of {n} ({n_in / n:.0%})")
    for label, flag in (("in the loss", False), ("hold-out", True)):
        k, tot = share_inside(rows, flag)
        if tot:
            lines.append(f"  {label}: {k} of {tot} ({k / tot:.0%})")
    return "\n".join(lines)


__all__ = ["format_table", "load_params", "share_inside", "validate"]
