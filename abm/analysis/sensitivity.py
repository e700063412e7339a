"""Global sensitivity analysis of a sampler experiment with SALib (Sobol and Morris)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from abm.analysis.results import at_year, load_results


def _prepare(results, reporter: str, year: int | None, method: str):
    frame = load_results(results) if isinstance(results, str | Path) else results
    exp = frame.attrs.get("experiment", {}) or {}
    sampler = exp.get("sampler") or {}
    if sampler.get("method") != method:
        raise ValueError(
            f"{method}: these results come from a {exp.get('kind', 'unknown')!r} experiment; "
            f'run an experiment with [sampler] method = "{method}"'
        )
    if reporter not in frame.columns:
        raise ValueError(f"unknown reporter {reporter!r}")
    rows = at_year(frame, year)
    year = int(rows["year"].iloc[0])
    n_points = len(exp["points"])
    y = rows.groupby("point")[reporter].mean().reindex(range(n_points))
    missing = np.flatnonzero(y.isna().to_numpy())
    if len(missing):
        raise ValueError(
            f"{reporter}: {len(missing)} of {n_points} sample points have no finished run "
            f"(first: point {missing[0]}); run the experiment again to complete them"
        )
    return exp, sampler, y.to_numpy(float), year


def sobol_indices(
    results,
    reporter: str,
    year: int | None = None,
    conf: float = 0.95,
    num_resamples: int = 100,
    seed: int | None = 0,
) -> pd.DataFrame:
    """Sobol' first-order and total indices of ``reporter`` in one year.

    Wraps ``SALib.analyze.sobol.analyze`` for the results of a ``[sampler] method =
    "sobol"`` experiment. The response of a point is the mean over its replicates, which
    keeps the model's own randomness from being counted as a parameter's effect.

    Returns one row per parameter: ``S1``, ``S1_conf``, ``ST``, ``ST_conf`` (half-widths of
    the bootstrap intervals at ``conf``). With ``calc_second_order`` the pairwise indices are
    in ``attrs["S2"]`` (a frame with ``S2`` and ``S2_conf``).
    """
    from SALib.analyze import sobol

    exp, sampler, y, year = _prepare(results, reporter, year, "sobol")
    problem = sampler["problem"]
    second = bool(sampler.get("calc_second_order", False))
    if np.std(y) == 0:
        raise ValueError(f"{reporter}: the response does not vary across the sample")
    si = sobol.analyze(
        problem,
        y,
        calc_second_order=second,
        num_resamples=num_resamples,
        conf_level=conf,
        seed=seed,
    )
    names = problem["names"]
    out = pd.DataFrame(
        {
            "parameter": names,
            "S1": si["S1"],
            "S1_conf": si["S1_conf"],
            "ST": si["ST"],
            "ST_conf": si["ST_conf"],
        }
    )
    if second:
        pairs = []
        for i in range(len(names)):
            for j in range(i + 1, len(names)):
                pairs.append((names[i], names[j], si["S2"][i, j], si["S2_conf"][i, j]))
        out.attrs["S2"] = pd.DataFrame(
            pairs, columns=["parameter_1", "parameter_2", "S2", "S2_conf"]
        )
    out.attrs.update(reporter=reporter, year=year, conf=conf, n_points=len(y))
    return out


def morris_indices(
    results,
    reporter: str,
    year: int | None = None,
    conf: float = 0.95,
    num_resamples: int = 100,
    seed: int | None = 0,
) -> pd.DataFrame:
    """Morris elementary-effect screening of ``reporter`` in one year.

    Wraps ``SALib.analyze.morris.analyze`` for a ``[sampler] method = "morris"`` experiment
    (replicate means as the response). Returns one row per parameter: ``mu``, ``mu_star``,
    ``sigma``, ``mu_star_conf``.
    """
    from SALib.analyze import morris

    exp, sampler, y, year = _prepare(results, reporter, year, "morris")
    problem = sampler["problem"]
    X = np.array([p["sample"] for p in exp["points"]], float)
    si = morris.analyze(
        problem,
        X,
        y,
        num_resamples=num_resamples,
        conf_level=conf,
        num_levels=int(sampler.get("num_levels", 4)),
        seed=seed,
    )
    out = pd.DataFrame(
        {
            "parameter": problem["names"],
            "mu": np.asarray(si["mu"], float),
            "mu_star": np.asarray(si["mu_star"], float),
            "sigma": np.asarray(si["sigma"], float),
            "mu_star_conf": np.asarray(si["mu_star_conf"], float),
        }
    )
    out.attrs.update(reporter=reporter, year=year, conf=conf, n_points=len(y))
    return out


__all__ = ["morris_indices", "sobol_indices"]
