"""Effects of the promotion modes in a 2^k factorial: main effects, interactions, attribution.

Factors are coded -1 (off) and +1 (on). The effect of a term (a mode, or a set of modes for
an interaction) is the classic factorial contrast: the mean response where the product of the
term's codes is +1 minus the mean where it is -1. For a main effect that is the mean change
when the mode is switched on, averaged over every combination of the other modes.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from abm.analysis.results import at_year, load_results, t_interval
from abm.scenarios import MODES

METHODS = ("auto", "regression", "replicate")


def _frame(results) -> pd.DataFrame:
    if isinstance(results, str | Path):
        return load_results(results)
    return results


def _factors(frame: pd.DataFrame, factors: Sequence[str] | None) -> list[str]:
    if factors is None:
        factors = (frame.attrs.get("experiment", {}) or {}).get("modes") or [
            m for m in MODES if m in frame.columns
        ]
    factors = list(factors)
    if not factors:
        raise ValueError(
            "no factors: pass factors=[...] naming boolean columns, or load the results of an "
            "experiment with a [factorial] table"
        )
    for f in factors:
        if f not in frame.columns:
            raise ValueError(f"factor {f!r}: no such column; columns: {', '.join(frame.columns)}")
    return factors


def _runs(
    results, reporter: str, year: int | None, factors
) -> tuple[pd.DataFrame, list, int | None]:
    frame = _frame(results)
    if reporter not in frame.columns:
        raise ValueError(f"unknown reporter {reporter!r}")
    factors = _factors(frame, factors)
    if "year" in frame.columns:
        rows = at_year(frame, year)
        year = int(rows["year"].iloc[0])
    else:  # already one row per run
        rows = frame
    cols = [c for c in ("replicate",) if c in rows.columns]
    data = rows[[*factors, *cols, reporter]].copy()
    for f in factors:
        data[f] = data[f].astype(bool)
    data = data.dropna(subset=[reporter])
    return data, factors, year


def _terms(factors: list[str], max_order: int | None) -> list[tuple[str, ...]]:
    k = len(factors)
    top = k if max_order is None else min(max_order, k)
    return [c for r in range(1, top + 1) for c in itertools.combinations(factors, r)]


def _coded(data: pd.DataFrame, term: tuple[str, ...]) -> np.ndarray:
    x = np.ones(len(data))
    for f in term:
        x = x * np.where(data[f].to_numpy(), 1.0, -1.0)
    return x


def factorial_effects(
    results,
    reporter: str,
    year: int | None = None,
    factors: Sequence[str] | None = None,
    conf: float = 0.95,
    method: str = "auto",
    max_order: int | None = None,
) -> pd.DataFrame:
    """Main effects and interactions of the factorial modes on ``reporter`` in one year.

    Parameters
    ----------
    results : DataFrame or path
        Output of :func:`load_results` (one row per run and step), or one row per run with
        boolean factor columns and the reporter.
    reporter : str
        Column to analyse, e.g. ``"upgrading_index"`` or ``"emissions"``.
    year : int, optional
        Calendar year (default: the last one).
    factors : list of str, optional
        Boolean columns (default: the experiment's modes).
    conf : float
        Confidence level of the intervals.
    method : {"auto", "regression", "replicate"}
        ``"regression"``: least squares on the +-1 coded factors with every interaction (up to
        ``max_order``); intervals from the residual (replicate) variance, so it works with an
        unbalanced design, e.g. after failed runs. ``"replicate"``: the contrast computed
        within each replicate's complete factorial, with a t interval across replicates; right
        for common random numbers (replicate r of every point shares a seed). ``"auto"``
        picks ``"replicate"`` for experiments with ``common_random_numbers`` and
        ``"regression"`` otherwise.
    max_order : int, optional
        Highest interaction order estimated (default: all).

    Returns
    -------
    DataFrame
        One row per term (``"technology"``, ``"technology:policy"``, ...): ``order``,
        ``effect``, ``se``, ``ci_low``, ``ci_high``, ``p_value``. ``attrs`` holds the
        reporter, year, method, the mean with every mode off (``baseline``) and on
        (``all_on``), the number of runs and the intervals' degrees of freedom (``df``).
    """
    if method not in METHODS:
        raise ValueError(f"method: invalid value {method!r}; allowed: {', '.join(METHODS)}")
    frame = _frame(results)
    data, factors, year = _runs(frame, reporter, year, factors)
    if method == "auto":
        crn = (frame.attrs.get("experiment", {}) or {}).get("common_random_numbers", False)
        method = "replicate" if crn and "replicate" in data.columns else "regression"
    terms = _terms(factors, max_order)
    y = data[reporter].to_numpy(float)
    if method == "regression":
        rows, df = _regression(data, y, terms, conf)
    else:
        rows, df = _replicate(data, reporter, factors, terms, conf)
    out = pd.DataFrame(
        rows, columns=["term", "order", "effect", "se", "ci_low", "ci_high", "p_value"]
    )
    off = np.all(~data[factors].to_numpy(bool), axis=1)
    on = np.all(data[factors].to_numpy(bool), axis=1)
    out.attrs.update(
        reporter=reporter,
        year=year,
        method=method,
        conf=conf,
        factors=factors,
        n_runs=len(data),
        df=df,
        baseline=float(y[off].mean()) if off.any() else math.nan,
        all_on=float(y[on].mean()) if on.any() else math.nan,
    )
    return out


def _regression(data: pd.DataFrame, y: np.ndarray, terms, conf: float) -> tuple[list[tuple], int]:
    from scipy import stats

    X = np.column_stack([np.ones(len(data))] + [_coded(data, t) for t in terms])
    n, p = X.shape
    rank = np.linalg.matrix_rank(X)
    if rank < p:
        raise ValueError(
            f"the design cannot separate {p - 1} terms with these {n} runs (some factor "
            "combinations are missing); lower max_order or complete the runs"
        )
    beta, *_ = np.linalg.lstsq(X, y, rcond=None)
    df = n - p
    if df > 0:
        resid = y - X @ beta
        sigma2 = float(resid @ resid) / df
        cov = sigma2 * np.linalg.inv(X.T @ X)
        se = 2 * np.sqrt(np.clip(np.diag(cov)[1:], 0, None))
        tq = stats.t.ppf(0.5 + conf / 2, df)
    else:
        se = np.full(p - 1, np.nan)
        tq = np.nan
    rows = []
    for i, term in enumerate(terms):
        eff = 2 * float(beta[i + 1])
        s = float(se[i])
        if df > 0 and s > 0:
            pval = float(2 * stats.t.sf(abs(eff / s), df))
        elif df > 0:
            pval = 0.0 if eff != 0 else 1.0
        else:
            pval = math.nan
        rows.append((":".join(term), len(term), eff, s, eff - tq * s, eff + tq * s, pval))
    return rows, df


def _replicate(data, reporter, factors, terms, conf) -> tuple[list[tuple], int]:
    from scipy import stats

    if "replicate" not in data.columns:
        raise ValueError("method 'replicate' needs a 'replicate' column")
    k = len(factors)
    per_term: dict[tuple, list[float]] = {t: [] for t in terms}
    for _, rep in data.groupby("replicate"):
        cells = rep.groupby(factors)[reporter].mean()
        if len(cells) < 2**k:
            continue  # incomplete factorial in this replicate (a failed run): left out
        cells = cells.reset_index()
        yy = cells[reporter].to_numpy(float)
        for t in terms:
            per_term[t].append(2 * float(np.mean(yy * _coded(cells, t))))
    rows = []
    for t in terms:
        vals = np.array(per_term[t])
        if len(vals) == 0:
            raise ValueError("no replicate holds a complete factorial; use method='regression'")
        mean, se, lo, hi = t_interval(vals, conf)
        if len(vals) > 1 and se > 0:
            pval = float(2 * stats.t.sf(abs(mean / se), len(vals) - 1))
        else:
            pval = math.nan
        rows.append((":".join(t), len(t), mean, se, lo, hi, pval))
    return rows, len(per_term[terms[0]]) - 1


def _shapley(values: dict[frozenset, float], factors: list[str]) -> dict[str, float]:
    n = len(factors)
    out = {}
    for f in factors:
        others = [g for g in factors if g != f]
        total = 0.0
        for r in range(n):
            w = math.factorial(r) * math.factorial(n - r - 1) / math.factorial(n)
            for subset in itertools.combinations(others, r):
                s = frozenset(subset)
                total += w * (values[s | {f}] - values[s])
        out[f] = total
    return out


def mode_attribution(
    results,
    reporter: str,
    year: int | None = None,
    factors: Sequence[str] | None = None,
    conf: float = 0.95,
) -> pd.DataFrame:
    """Split the change from no mode to all modes among the modes (Shapley values).

    The contribution of a mode is its marginal effect averaged over every order in which the
    modes could be switched on; the contributions add up exactly to the change between the
    all-off and all-on points, so interactions are shared out rather than left over.
    Intervals are t intervals across replicates (each replicate's complete factorial gives one
    estimate).

    Returns one row per mode and a last row ``"all modes"``: ``contribution``, ``se``,
    ``ci_low``, ``ci_high``, ``share`` (of the total change). ``attrs`` holds the number of
    complete replicates and the intervals' degrees of freedom (``df``).
    """
    frame = _frame(results)
    data, factors, year = _runs(frame, reporter, year, factors)

    def values_of(d: pd.DataFrame) -> dict[frozenset, float] | None:
        cells = d.groupby(factors)[reporter].mean()
        if len(cells) < 2 ** len(factors):
            return None
        out = {}
        for key, v in cells.items():
            key = key if isinstance(key, tuple) else (key,)
            out[frozenset(f for f, on in zip(factors, key, strict=True) if on)] = float(v)
        return out

    full = values_of(data)
    if full is None:
        raise ValueError(f"{reporter}: some mode combinations have no finished run")
    point = _shapley(full, factors)
    total = full[frozenset(factors)] - full[frozenset()]
    reps: list[dict[str, float]] = []
    if "replicate" in data.columns:
        for _, rep in data.groupby("replicate"):
            v = values_of(rep)
            if v is not None:
                s = _shapley(v, factors)
                s["all modes"] = v[frozenset(factors)] - v[frozenset()]
                reps.append(s)
    rows = []
    for name in [*factors, "all modes"]:
        est = total if name == "all modes" else point[name]
        if len(reps) > 1:
            mean, se, _, hi = t_interval(np.array([r[name] for r in reps]), conf)
            lo, hi = est - (hi - mean), est + (hi - mean)  # centred on the estimate from means
        else:
            se, lo, hi = math.nan, math.nan, math.nan
        rows.append((name, est, se, lo, hi, est / total if total else math.nan))
    out = pd.DataFrame(rows, columns=["mode", "contribution", "se", "ci_low", "ci_high", "share"])
    out.attrs.update(
        reporter=reporter,
        year=year,
        conf=conf,
        baseline=full[frozenset()],
        all_on=full[frozenset(factors)],
        replicates=len(reps),
        df=len(reps) - 1,
    )
    return out


__all__ = ["METHODS", "factorial_effects", "mode_attribution"]
