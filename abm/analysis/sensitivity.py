"""Global sensitivity analysis of a sampler experiment with SALib (Sobol and Morris)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from abm.analysis.results import at_year, load_results, reporter_columns

#: Default seed of the bootstrap intervals, so two analyses of one sweep agree exactly.
#: (SALib's Sobol' analysis treats a seed of 0 as "no seed".)
BOOTSTRAP_SEED = 20240601

#: Below this base sample size Sobol' indices are flagged as too noisy to read.
MIN_SOBOL_N = 64

#: Below this number of trajectories Morris indices are flagged as too noisy to read.
MIN_MORRIS_N = 10

#: Confidence half-width of an index above which it is flagged as not yet stable.
MAX_SOBOL_CONF = 0.2


def _frame(results) -> pd.DataFrame:
    return load_results(results) if isinstance(results, str | Path) else results


def _sampler(frame: pd.DataFrame, method: str | None) -> tuple[dict, dict]:
    exp = frame.attrs.get("experiment", {}) or {}
    sampler = exp.get("sampler") or {}
    if method is None and sampler.get("method") not in ("sobol", "morris"):
        raise ValueError(
            f"these results come from a {exp.get('kind', 'unknown')!r} experiment; "
            'SALib inputs need an experiment with [sampler] method = "sobol" or "morris"'
        )
    if method is not None and sampler.get("method") != method:
        raise ValueError(
            f"{method}: these results come from a {exp.get('kind', 'unknown')!r} experiment; "
            f'run an experiment with [sampler] method = "{method}"'
        )
    return exp, sampler


def _responses(
    frame: pd.DataFrame, exp: dict, reporters: list[str], year: int | None
) -> tuple[np.ndarray, int]:
    """Replicate means per sample point (rows in SALib's order) and the year used."""
    for r in reporters:
        if r not in frame.columns:
            raise ValueError(f"unknown reporter {r!r}")
    rows = at_year(frame, year)
    year = int(rows["year"].iloc[0])
    n_points = len(exp["points"])
    y = rows.groupby("point")[reporters].mean().reindex(range(n_points))
    missing = np.flatnonzero(y.isna().any(axis=1).to_numpy())
    if len(missing):
        raise ValueError(
            f"{', '.join(reporters)}: {len(missing)} of {n_points} sample points have no "
            f"finished run (first: point {missing[0]}); run the experiment again to complete them"
        )
    return y.to_numpy(float), year


def salib_inputs(
    results, reporter: str | None = None, year: int | None = None
) -> tuple[dict, np.ndarray, np.ndarray]:
    """The ``(problem, X, Y)`` of a sampler experiment, ready for ``SALib.analyze``.

    ``problem`` is SALib's problem dictionary (``num_vars``, ``names``, ``bounds``); ``X`` the
    sample matrix as SALib drew it (one row per point, before integer parameters were
    rounded); ``Y`` the response per point in ``year`` (default the last), the mean over the
    point's replicates. With ``reporter`` ``Y`` is a vector; without, a matrix with one column
    per recorded reporter, named in ``problem["outputs"]``::

        from SALib.analyze import sobol
        problem, X, Y = salib_inputs("results/sensitivity", "emissions")
        sobol.analyze(problem, Y, calc_second_order=False, seed=1)
    """
    frame = _frame(results)
    exp, sampler = _sampler(frame, None)
    names = [reporter] if reporter is not None else reporter_columns(frame)
    Y, _ = _responses(frame, exp, names, year)
    problem = dict(sampler["problem"])
    X = np.array([p["sample"] for p in exp["points"]], float)
    if reporter is not None:
        return problem, X, Y[:, 0]
    problem["outputs"] = names
    return problem, X, Y


def _bootstrap_seed(seed: int | None) -> int | None:
    if seed is not None and (isinstance(seed, bool) or int(seed) <= 0):
        raise ValueError(
            f"seed: invalid value {seed!r}; allowed: a positive integer, or None for "
            "unseeded (non-reproducible) bootstrap intervals"
        )
    return None if seed is None else int(seed)


def sensitivity_warnings(indices: pd.DataFrame) -> list[str]:
    """Plain-language warnings on a Sobol' or Morris table too small or noisy to read."""
    out = []
    a = indices.attrs
    n = a.get("n")
    if "S1" in indices.columns:
        if n is not None and n < MIN_SOBOL_N:
            out.append(
                f"small design: base sample n = {n} ({a.get('n_points')} points); Sobol' "
                f"indices need n >= {MIN_SOBOL_N} (better 256 or more) to be read"
            )
        values = indices[["S1", "ST"]].to_numpy(float)
        confs = indices[["S1_conf", "ST_conf"]].to_numpy(float)
        if np.any(values < -0.05) or np.any(values > 1.05):
            out.append(
                "indices outside [0, 1]: the estimates have not converged; raise the sample size"
            )
        if np.nanmax(confs, initial=0.0) > MAX_SOBOL_CONF:
            out.append(
                f"wide intervals (half-widths above {MAX_SOBOL_CONF}): differences between "
                "parameters are not resolved; raise the sample size"
            )
    elif n is not None and n < MIN_MORRIS_N:
        out.append(f"small design: {n} Morris trajectories; screening needs {MIN_MORRIS_N} or more")
    return out


def sobol_indices(
    results,
    reporter: str,
    year: int | None = None,
    conf: float = 0.95,
    num_resamples: int = 100,
    seed: int | None = BOOTSTRAP_SEED,
) -> pd.DataFrame:
    """Sobol' first-order and total indices of ``reporter`` in one year.

    Wraps ``SALib.analyze.sobol.analyze`` for the results of a ``[sampler] method =
    "sobol"`` experiment. The response of a point is the mean over its replicates, which
    keeps the model's own randomness from being counted as a parameter's effect.

    Returns one row per parameter: ``S1``, ``S1_conf``, ``ST``, ``ST_conf`` (half-widths of
    the bootstrap intervals at ``conf``). The bootstrap is seeded (``seed``, a positive
    integer; ``None`` for a fresh draw), so the same results give the same table. With
    ``calc_second_order`` the pairwise indices are in ``attrs["S2"]`` (a frame with ``S2``
    and ``S2_conf``); ``attrs["warnings"]`` says when the design is too small to read.
    """
    from SALib.analyze import sobol

    frame = _frame(results)
    exp, sampler = _sampler(frame, "sobol")
    Y, year = _responses(frame, exp, [reporter], year)
    y = Y[:, 0]
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
        seed=_bootstrap_seed(seed),
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
    out.attrs.update(
        reporter=reporter, year=year, conf=conf, n_points=len(y), n=sampler.get("n"), seed=seed
    )
    out.attrs["warnings"] = sensitivity_warnings(out)
    return out


def morris_indices(
    results,
    reporter: str,
    year: int | None = None,
    conf: float = 0.95,
    num_resamples: int = 100,
    seed: int | None = BOOTSTRAP_SEED,
) -> pd.DataFrame:
    """Morris elementary-effect screening of ``reporter`` in one year.

    Wraps ``SALib.analyze.morris.analyze`` for a ``[sampler] method = "morris"`` experiment
    (replicate means as the response). Returns one row per parameter: ``mu``, ``mu_star``,
    ``sigma``, ``mu_star_conf`` (seeded bootstrap, as in :func:`sobol_indices`).
    """
    from SALib.analyze import morris

    frame = _frame(results)
    exp, sampler = _sampler(frame, "morris")
    Y, year = _responses(frame, exp, [reporter], year)
    problem = sampler["problem"]
    X = np.array([p["sample"] for p in exp["points"]], float)
    si = morris.analyze(
        problem,
        X,
        Y[:, 0],
        num_resamples=num_resamples,
        conf_level=conf,
        num_levels=int(sampler.get("num_levels", 4)),
        seed=_bootstrap_seed(seed),
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
    out.attrs.update(
        reporter=reporter, year=year, conf=conf, n_points=len(Y), n=sampler.get("n"), seed=seed
    )
    out.attrs["warnings"] = sensitivity_warnings(out)
    return out


__all__ = [
    "BOOTSTRAP_SEED",
    "morris_indices",
    "salib_inputs",
    "sensitivity_warnings",
    "sobol_indices",
]
