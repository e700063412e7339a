"""Stylised facts of firm dynamics, measured on a run's firm frame and model frame.

Each fact is a pure function of frames: the firm frame (one row per year and firm, columns
``year``, ``firm_id``, ``revenue``, ``productivity``, ``exporter``, ``profit``, ... as
``TradeClusterModel.firm_frame()`` returns it and ``abm run`` writes it) and the model frame
(one row per year, columns ``year``, ``output``, ``entries``, ``exits``, ``n_firms``,
``green_share``). Every function reads one run and a window of years, by default 2040-2060;
:func:`measure` computes every fact of :data:`FACTS` for one run, :func:`summarise` the mean
over runs with a 95 % interval and whether it lies in the target range. The targets and
their sources are listed in ``docs/facts.md``.

Growth rates are yearly log changes of revenue of the firms present, with positive revenue,
in both years (entrants and exiting firms drop out), minus the year's mean change (Bottazzi
and Secchi 2006), so aggregate growth does not enter the firm-level facts.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy import optimize, stats

__all__ = [
    "FACTS",
    "WINDOW",
    "Fact",
    "entry_exit_rates",
    "exporter_premia",
    "green_diffusion",
    "growth_distribution",
    "growth_rates",
    "hill_estimator",
    "logistic",
    "loss_share",
    "measure",
    "output_growth",
    "rank_size_slope",
    "size_tail_index",
    "size_volatility_bins",
    "size_volatility_slope",
    "subbotin_fit",
    "summarise",
    "top_share",
]

#: Default window of years over which the facts are measured (both ends included).
WINDOW: tuple[int, int] = (2040, 2060)

#: Share of the largest firms used by the tail estimators.
TAIL = 0.1


def _in_window(frame: pd.DataFrame, years: tuple[int, int]) -> pd.DataFrame:
    first, last = years
    return frame[(frame["year"] >= first) & (frame["year"] <= last)]


def _trend_per_decade(years: np.ndarray, values: np.ndarray) -> float:
    """Ten times the least-squares slope of ``values`` on ``years``; NaN with < 2 points."""
    ok = np.isfinite(values)
    if ok.sum() < 2 or np.ptp(years[ok]) == 0:
        return math.nan
    return float(10 * np.polyfit(years[ok], values[ok], 1)[0])


# --- firm sizes ------------------------------------------------------------------------


def _top(sizes: np.ndarray, tail: float) -> tuple[np.ndarray, int]:
    """Positive sizes sorted from the largest, and the number ``k`` in the tail."""
    x = np.asarray(sizes, dtype=float)
    x = np.sort(x[np.isfinite(x) & (x > 0)])[::-1]
    k = min(max(int(round(tail * len(x))), 2), len(x) - 1)
    return x, k


def hill_estimator(sizes: np.ndarray, tail: float = TAIL) -> float:
    """Hill (1975) estimate of the Pareto tail index of ``sizes``.

    ``alpha = k / sum(log(x_(i) / x_(k+1)), i = 1..k)`` over the ``k = tail x n`` largest
    positive sizes (at least 2). Zipf's law is ``alpha = 1`` (Axtell 2001).

    Parameters
    ----------
    sizes : array of float
        Firm sizes (any unit; zero and negative sizes are left out).
    tail : float
        Share of the largest sizes used, in (0, 1).

    Returns
    -------
    float
        The tail index (dimensionless); NaN with fewer than 3 positive sizes.
    """
    x, k = _top(sizes, tail)
    if len(x) < 3:
        return math.nan
    logs = np.log(x[:k] / x[k])
    return float(k / logs.sum()) if logs.sum() > 0 else math.nan


def rank_size_slope(sizes: np.ndarray, tail: float = TAIL) -> float:
    """Tail index from the rank-size regression of Gabaix and Ibragimov (2011).

    Least squares of ``log(rank - 1/2)`` on ``log(size)`` over the ``k = tail x n`` largest
    positive sizes (at least 2); the index is minus the slope (Zipf: 1). Parameters and
    result (the tail index, dimensionless, or NaN) as for :func:`hill_estimator`.
    """
    x, k = _top(sizes, tail)
    if len(x) < 3 or x[0] == x[k - 1]:
        return math.nan
    ranks = np.arange(1, k + 1) - 0.5
    return float(-np.polyfit(np.log(x[:k]), np.log(ranks), 1)[0])


def size_tail_index(
    firms: pd.DataFrame,
    years: tuple[int, int] = WINDOW,
    tail: float = TAIL,
    size: str = "revenue",
) -> dict[str, float]:
    """Tail index of the firm-size distribution, each year of the window, and its drift.

    Parameters
    ----------
    firms : DataFrame
        Firm frame of one run (columns ``year`` and ``size``).
    years : (int, int)
        First and last year of the window.
    tail : float
        Share of the largest firms used by the estimators.
    size : str
        Column measuring size (revenue, USD m, by default).

    Returns
    -------
    dict
        ``hill`` and ``rank_size``: mean over the years of the yearly estimates
        (dimensionless); ``hill_drift`` and ``rank_size_drift``: their linear trend, per
        decade.
    """
    rows = []
    for year, group in _in_window(firms, years).groupby("year"):
        values = group[size].to_numpy()
        rows.append((year, hill_estimator(values, tail), rank_size_slope(values, tail)))
    if not rows:
        return dict.fromkeys(("hill", "rank_size", "hill_drift", "rank_size_drift"), math.nan)
    y, hill, rank = (np.array(c, dtype=float) for c in zip(*rows, strict=True))
    return {
        "hill": float(np.nanmean(hill)) if np.isfinite(hill).any() else math.nan,
        "rank_size": float(np.nanmean(rank)) if np.isfinite(rank).any() else math.nan,
        "hill_drift": _trend_per_decade(y, hill),
        "rank_size_drift": _trend_per_decade(y, rank),
    }


def top_share(
    firms: pd.DataFrame, years: tuple[int, int] = WINDOW, share: float = 0.01
) -> dict[str, float]:
    """Revenue share of the largest firms each year, and its change per decade.

    The top group is the ``ceil(share x n)`` firms with the highest revenue in the year.

    Returns
    -------
    dict
        ``mean``: mean over the years of the top group's share of revenue (0..1);
        ``change_per_decade``: its linear trend, in percentage points per decade.
    """
    rows = []
    for year, group in _in_window(firms, years).groupby("year"):
        revenue = np.sort(np.clip(group["revenue"].to_numpy(dtype=float), 0, None))[::-1]
        total = revenue.sum()
        if total > 0:
            rows.append((year, revenue[: math.ceil(share * len(revenue))].sum() / total))
    if not rows:
        return {"mean": math.nan, "change_per_decade": math.nan}
    y, s = (np.array(c, dtype=float) for c in zip(*rows, strict=True))
    return {"mean": float(s.mean()), "change_per_decade": _trend_per_decade(y, 100 * s)}


# --- growth ----------------------------------------------------------------------------


def growth_rates(
    firms: pd.DataFrame, years: tuple[int, int] = WINDOW, size: str = "revenue"
) -> pd.DataFrame:
    """Yearly log growth of firm size over the window, net of the year's mean.

    The growth of year ``t`` is ``log(s_t / s_{t-1})`` for a firm (``firm_id``) present
    with positive size in both years, for ``t`` in (first, last] of the window.

    Returns
    -------
    DataFrame
        Columns ``year``, ``firm_id``, ``log_size`` (log of the size in ``t - 1``) and
        ``growth`` (log points, the year's mean subtracted).
    """
    first, last = years
    cols = firms.loc[(firms["year"] >= first) & (firms["year"] <= last), ["year", "firm_id", size]]
    cols = cols[cols[size] > 0]
    before = cols.assign(year=cols["year"] + 1).rename(columns={size: "before"})
    pairs = cols.merge(before, on=["year", "firm_id"])
    growth = np.log(pairs[size].to_numpy(dtype=float) / pairs["before"].to_numpy(dtype=float))
    out = pd.DataFrame(
        {
            "year": pairs["year"].to_numpy(),
            "firm_id": pairs["firm_id"].to_numpy(),
            "log_size": np.log(pairs["before"].to_numpy(dtype=float)),
            "growth": growth,
        }
    )
    out["growth"] -= out.groupby("year")["growth"].transform("mean")
    return out


def subbotin_fit(growth: np.ndarray) -> tuple[float, float, float]:
    """Maximum-likelihood fit of the Subbotin (exponential power) density.

    ``scipy.stats.gennorm`` fitted to the finite values, centred on their median and scaled
    by their s.d. for the optimiser.

    Returns
    -------
    (float, float, float)
        Shape ``b`` (1 Laplace, 2 normal), location and scale (units of ``growth``); NaN
        with fewer than 10 values or no spread.
    """
    g = np.asarray(growth, dtype=float)
    g = g[np.isfinite(g)]
    spread = g.std()
    if len(g) < 10 or spread == 0:
        return math.nan, math.nan, math.nan
    centre = float(np.median(g))
    shape, loc, scale = stats.gennorm.fit((g - centre) / spread)
    return float(shape), float(centre + loc * spread), float(scale * spread)


def growth_distribution(
    firms: pd.DataFrame, years: tuple[int, int] = WINDOW, size: str = "revenue"
) -> dict[str, float]:
    """Shape of the distribution of firm growth rates (Stanley et al. 1996).

    The density ``exp(-|g - m| ^ b / (b a ^ b))`` (Subbotin; ``scipy.stats.gennorm``,
    whose ``beta`` is ``b``) is fitted by maximum likelihood to the pooled growth rates of
    :func:`growth_rates`: ``b = 1`` is the Laplace (tent-shaped on a log scale), ``b = 2``
    the normal distribution (Bottazzi and Secchi 2006).

    Returns
    -------
    dict
        ``shape`` (b), ``location`` and ``scale`` (log points) of the fit, ``skewness``
        (sample skewness, bias-corrected), ``sd`` (log points) and ``n`` (growth rates).
    """
    g = growth_rates(firms, years, size)["growth"].to_numpy()
    shape, loc, scale = subbotin_fit(g)
    return {
        "shape": shape,
        "location": loc,
        "scale": scale,
        "skewness": float(stats.skew(g, bias=False)) if len(g) > 2 else math.nan,
        "sd": float(g.std(ddof=1)) if len(g) > 1 else math.nan,
        "n": float(len(g)),
    }


def size_volatility_bins(
    firms: pd.DataFrame, years: tuple[int, int] = WINDOW, bins: int = 10, size: str = "revenue"
) -> pd.DataFrame:
    """Standard deviation of growth by size class (equal-count bins of log size).

    Returns
    -------
    DataFrame
        One row per bin: ``log_size`` (mean log size at the start of the year),
        ``sd_growth`` (s.d. of the growth rates, log points) and ``n`` (growth rates).
    """
    g = growth_rates(firms, years, size)
    if len(g) < 2 * bins:
        bins = max(len(g) // 2, 1)
    if g.empty:
        return pd.DataFrame(columns=["log_size", "sd_growth", "n"])
    g["bin"] = pd.qcut(g["log_size"].rank(method="first"), bins, labels=False)
    out = g.groupby("bin").agg(
        log_size=("log_size", "mean"), sd_growth=("growth", "std"), n=("growth", "size")
    )
    return out.reset_index(drop=True)


def size_volatility_slope(
    firms: pd.DataFrame, years: tuple[int, int] = WINDOW, bins: int = 10, size: str = "revenue"
) -> float:
    """Slope of log s.d. of growth on log size across size bins (Stanley et al. 1996).

    Least squares over the bins of :func:`size_volatility_bins`; negative when larger firms'
    growth is less volatile (Stanley et al. find about -0.15 to -0.2).

    Returns
    -------
    float
        The slope (dimensionless, an elasticity); NaN with fewer than 3 usable bins.
    """
    b = size_volatility_bins(firms, years, bins, size)
    b = b[(b["n"] >= 2) & (b["sd_growth"] > 0)]
    if len(b) < 3:
        return math.nan
    return float(np.polyfit(b["log_size"], np.log(b["sd_growth"]), 1)[0])


# --- demography, profits, exporters ----------------------------------------------------


def entry_exit_rates(model: pd.DataFrame, years: tuple[int, int] = WINDOW) -> dict[str, float]:
    """Yearly entry and exit rates: entrants and exits over the previous year's firms.

    Parameters
    ----------
    model : DataFrame
        Model frame of one run (columns ``year``, ``entries``, ``exits``, ``n_firms``).

    Returns
    -------
    dict
        ``entry`` and ``exit``: mean over the window's years of the yearly rates (share of
        firms a year).
    """
    m = model.sort_values("year")
    base = m["n_firms"].shift(1).fillna(m["n_firms"]).to_numpy(dtype=float)
    window = ((m["year"] >= years[0]) & (m["year"] <= years[1])).to_numpy()
    if not window.any():
        return {"entry": math.nan, "exit": math.nan}
    base = base[window]
    return {
        "entry": float(np.mean(m["entries"].to_numpy(dtype=float)[window] / base)),
        "exit": float(np.mean(m["exits"].to_numpy(dtype=float)[window] / base)),
    }


def loss_share(firms: pd.DataFrame, years: tuple[int, int] = WINDOW) -> float:
    """Share of firms making a loss (profit < 0), mean over the window's years (0..1)."""
    w = _in_window(firms, years)
    if w.empty:
        return math.nan
    return float((w["profit"] < 0).groupby(w["year"]).mean().mean())


def exporter_premia(firms: pd.DataFrame, years: tuple[int, int] = WINDOW) -> dict[str, float]:
    """Exporters' mean revenue and productivity over non-exporters' (Bernard et al. 2007).

    Returns
    -------
    dict
        ``revenue`` and ``productivity``: mean over the window's years of the yearly ratio
        of exporters' mean to non-exporters' mean (dimensionless); NaN when a year has no
        exporter or no non-exporter throughout.
    """
    out = {}
    w = _in_window(firms, years)
    for column in ("revenue", "productivity"):
        means = w.groupby(["year", w["exporter"].astype(bool)])[column].mean().unstack()
        if True not in means or False not in means:
            out[column] = math.nan
            continue
        ratio = (means[True] / means[False]).replace([np.inf, -np.inf], np.nan).dropna()
        out[column] = float(ratio.mean()) if len(ratio) else math.nan
    return out


# --- aggregate output and diffusion ----------------------------------------------------

#: One-sided 5 % critical value of the standard normal, used by the explosive-root test.
_Z95 = 1.645


def output_growth(model: pd.DataFrame, years: tuple[int, int] = WINDOW) -> dict[str, float]:
    """Fluctuations of aggregate output and a check for an explosive path.

    The growth of year ``t`` is ``100 log(Y_t / Y_{t-1})`` (percentage points) for ``t`` in
    (first, last]. The path is explosive when output is not finite or not positive, changes
    by a factor of 2 or more in a year, or log output has an explosive root: in the
    right-tailed Dickey-Fuller regression ``dlog Y_t = c + d log Y_{t-1}`` (Phillips, Wu and
    Yu 2011) ``d > 0`` with a t statistic above 1.645.

    Returns
    -------
    dict
        ``sd`` and ``mean`` of yearly growth (percentage points), ``autocorrelation``
        (lag 1, of growth), ``df_t`` (t statistic of ``d``) and ``explosive`` (1.0 or 0.0).
    """
    w = _in_window(model.sort_values("year"), years)
    y = w["output"].to_numpy(dtype=float)
    nan = dict.fromkeys(("sd", "mean", "autocorrelation", "df_t"), math.nan)
    if len(y) < 3:
        return {**nan, "explosive": math.nan}
    if not np.all(np.isfinite(y)) or np.any(y <= 0):
        return {**nan, "explosive": 1.0}
    log_y = np.log(y)
    g = 100 * np.diff(log_y)
    auto = float(np.corrcoef(g[:-1], g[1:])[0, 1]) if len(g) > 2 and g.std() > 0 else math.nan
    df_t = math.nan
    if len(g) >= 4:
        x = np.column_stack([np.ones(len(g)), log_y[:-1]])
        coef, *_ = np.linalg.lstsq(x, np.diff(log_y), rcond=None)
        resid = np.diff(log_y) - x @ coef
        var = resid @ resid / (len(g) - 2) * np.linalg.pinv(x.T @ x)[1, 1]
        df_t = float(coef[1] / math.sqrt(var)) if var > 0 else math.inf * np.sign(coef[1])
    explosive = bool(np.abs(g).max() >= 100 * math.log(2) or (df_t > _Z95))
    return {
        "sd": float(g.std(ddof=1)),
        "mean": float(g.mean()),
        "autocorrelation": auto,
        "df_t": df_t,
        "explosive": float(explosive),
    }


def logistic(t: np.ndarray, floor: float, ceiling: float, rate: float, middle: float) -> np.ndarray:
    """``floor + (ceiling - floor) / (1 + exp(-rate (t - middle)))``."""
    return floor + (ceiling - floor) / (1 + np.exp(-rate * (t - middle)))


def green_diffusion(
    model: pd.DataFrame, years: tuple[int, int] = WINDOW, column: str = "green_share"
) -> dict[str, float]:
    """Logistic fit of the green share's path and whether it is an S-curve (Bass 1969).

    Diffusion is a property of the whole path, so the fit covers every year of the run up
    to the window's last year. It fits ``floor + (ceiling - floor) / (1 + exp(-rate (t -
    inflection)))`` by least squares (floor and ceiling in [0, 1], rate in [0, 5] a year).
    The path is an S-curve when the fit explains at least 90 % of the variance, leaves at
    most half the squared residuals of a straight line (the bends are in the data, not only
    in the bounds), the observed share rises by at least 0.1, the inflection lies inside the
    observed years and the fitted yearly rise at the first and at the last year is at most
    half its peak, so that the slow start, the inflection and the slowdown all lie inside
    the observed years.

    Returns
    -------
    dict
        ``inflection_year``, ``rate`` (per year), ``floor``, ``ceiling`` (shares), ``r2``
        and ``s_curve`` (1.0 or 0.0).
    """
    m = model.sort_values("year")
    m = m[m["year"] <= years[1]]
    t = m["year"].to_numpy(dtype=float)
    g = m[column].to_numpy(dtype=float)
    out = dict.fromkeys(("inflection_year", "rate", "floor", "ceiling", "r2"), math.nan)
    out["s_curve"] = 0.0
    ok = np.isfinite(g)
    t, g = t[ok], g[ok]
    if len(t) < 5 or np.ptp(g) == 0:
        return out
    start = (max(g.min(), 0.0), min(g.max(), 1.0), 0.3, t[np.argmin(np.abs(g - g.mean()))])
    try:
        (floor, ceiling, rate, middle), _ = optimize.curve_fit(
            logistic,
            t,
            g,
            p0=start,
            bounds=([0, 0, 0, t[0] - 100], [1, 1, 5, t[-1] + 100]),
            maxfev=20_000,
        )
    except (RuntimeError, ValueError):
        return out
    fit = logistic(t, floor, ceiling, rate, middle)
    total = ((g - g.mean()) ** 2).sum()
    r2 = 1 - ((g - fit) ** 2).sum() / total
    ends = np.array([t[0], t[-1]])
    relative = (
        4 * np.exp(-rate * np.abs(ends - middle)) / (1 + np.exp(-rate * np.abs(ends - middle))) ** 2
    )
    line = np.polyval(np.polyfit(t, g, 1), t)
    curved = ((g - fit) ** 2).sum() <= 0.5 * ((g - line) ** 2).sum()
    inside = bool(t[0] < middle < t[-1]) and bool(np.all(relative <= 0.5))
    rises = float(g[-1] - g[0]) >= 0.1  # the observed share, not the extrapolated fit
    s_curve = r2 >= 0.9 and curved and ceiling - floor >= 0.1 and rises and inside
    out.update(
        inflection_year=float(middle),
        rate=float(rate),
        floor=float(floor),
        ceiling=float(ceiling),
        r2=float(r2),
        s_curve=float(s_curve),
    )
    return out


# --- the table of facts ----------------------------------------------------------------

Frame = Literal["firms", "model"]


@dataclass(frozen=True)
class Fact:
    """One stylised fact: how it is measured, its target range and its source.

    ``function(frame, years)`` is one of this module's functions (``frame`` the firm frame
    or the model frame, as ``frame`` says); ``key`` picks a value when it returns a dict.
    The target is the range ``[low, high]`` (``None``: unbounded; ``open_low`` /
    ``open_high``: the end itself excluded); a fact with neither bound is reported without
    a target. ``boolean`` facts are 1.0 (yes) or 0.0 (no) in a run; over runs their value
    is the share of runs.
    """

    name: str
    label: str
    unit: str
    function: Callable[..., float | dict[str, float]]
    frame: Frame
    key: str | None
    low: float | None
    high: float | None
    source: str
    open_low: bool = False
    open_high: bool = False
    boolean: bool = False

    @property
    def target(self) -> str:
        """The target range as text, e.g. ``[0.8, 1.3]``, ``< 0``, ``-`` (none)."""
        if self.boolean:
            return "-" if self.low is None else ("yes" if self.low >= 1 else "no")
        if self.low is None and self.high is None:
            return "-"
        if self.low is None:
            return f"{'<' if self.open_high else '<='} {self.high:g}"
        if self.high is None:
            return f"{'>' if self.open_low else '>='} {self.low:g}"
        left, right = "(" if self.open_low else "[", ")" if self.open_high else "]"
        return f"{left}{self.low:g}, {self.high:g}{right}"

    def passes(self, value: float) -> bool | None:
        """Whether ``value`` lies in the target range; None when there is no target or
        the value is NaN."""
        if (self.low is None and self.high is None) or not np.isfinite(value):
            return None
        below = self.low is not None and (value <= self.low if self.open_low else value < self.low)
        above = self.high is not None and (
            value >= self.high if self.open_high else value > self.high
        )
        return not (below or above)

    def value(self, frames: Mapping[str, pd.DataFrame], years: tuple[int, int]) -> float:
        """The fact measured on one run's frames (``{"firms": ..., "model": ...}``)."""
        return self.pick(self.function(frames[self.frame], years))

    def pick(self, result: float | dict[str, float]) -> float:
        """The fact's value from what its function returned: the entry ``key`` of a dict,
        else the number itself."""
        if self.key is None:
            if isinstance(result, dict):
                raise TypeError(f"fact {self.name!r}: its function returns a dict; give a key")
            return float(result)
        if not isinstance(result, dict):
            raise TypeError(
                f"fact {self.name!r}: key {self.key!r}, but its function returns a number"
            )
        return float(result[self.key])


_AXTELL = "Axtell 2001"
_GROWTH = "Stanley et al. 1996; Bottazzi & Secchi 2006"
_BHS = "Bartelsman, Haltiwanger & Scarpetta 2009"
_BJRS = "Bernard, Jensen, Redding & Schott 2007"
_KS = "Dosi et al. 2010; Lamperti et al. 2018"

#: The stylised facts, in the order of the table: name, label, unit, measure, target, source.
FACTS: tuple[Fact, ...] = (
    Fact("tail_index_hill", "size tail index, Hill (top 10 % by revenue)", "", size_tail_index,
         "firms", "hill", 0.8, 1.3, _AXTELL),
    Fact("tail_index_rank_size", "size tail index, rank-size slope (top 10 %)", "",
         size_tail_index, "firms", "rank_size", 0.8, 1.3, _AXTELL),
    Fact("tail_index_drift", "drift of the Hill tail index", "per decade", size_tail_index,
         "firms", "hill_drift", -0.2, 0.2, _AXTELL, open_low=True, open_high=True),
    Fact("growth_subbotin_shape", "growth rates: Subbotin shape (1 Laplace, 2 normal)", "",
         growth_distribution, "firms", "shape", 0.7, 1.5, _GROWTH),
    Fact("growth_skewness", "growth rates: skewness", "", growth_distribution, "firms",
         "skewness", -1.0, 1.0, "Bottazzi & Secchi 2006", open_low=True, open_high=True),
    Fact("size_volatility_slope", "slope of log s.d. of growth on log size", "",
         size_volatility_slope, "firms", None, None, 0.0, "Stanley et al. 1996",
         open_high=True),
    Fact("entry_rate", "entry rate", "share a year", entry_exit_rates, "model", "entry",
         0.03, 0.10, _BHS),
    Fact("exit_rate", "exit rate", "share a year", entry_exit_rates, "model", "exit", 0.03,
         0.10, _BHS),
    Fact("loss_share", "loss-making firms", "share", loss_share, "firms", None, None, 0.30,
         "project target", open_high=True),
    Fact("exporter_revenue_premium", "exporter premium: revenue", "ratio of means",
         exporter_premia, "firms", "revenue", 2.0, 10.0, _BJRS),
    Fact("exporter_productivity_premium", "exporter premium: productivity",
         "ratio of means", exporter_premia, "firms", "productivity", 1.2, 2.0, _BJRS),
    Fact("top1_share", "top-1 % revenue share", "", top_share, "firms", "mean", None,
         None, _AXTELL),
    Fact("top1_share_change", "change of the top-1 % revenue share", "points per decade",
         top_share, "firms", "change_per_decade", -5.0, 5.0, "Axtell 2001 (stable tail)",
         open_low=True, open_high=True),
    Fact("output_growth_sd", "s.d. of aggregate output growth", "points", output_growth,
         "model", "sd", 1.0, None, _KS),
    Fact("output_explosive", "explosive output path", "", output_growth, "model",
         "explosive", 0.0, 0.0, _KS, boolean=True),
    Fact("green_inflection_year", "green share: logistic inflection", "year",
         green_diffusion, "model", "inflection_year", None, None, "Bass 1969"),
    Fact("green_s_curve", "green share follows an S-curve", "", green_diffusion, "model",
         "s_curve", 1.0, 1.0, "Bass 1969", boolean=True),
)  # fmt: skip


def measure(
    firms: pd.DataFrame,
    model: pd.DataFrame,
    years: tuple[int, int] = WINDOW,
    facts: Sequence[Fact] = FACTS,
) -> dict[str, float]:
    """Every fact of ``facts`` measured on one run; each underlying function runs once.

    Parameters
    ----------
    firms, model : DataFrame
        The run's firm frame and model frame (both with a ``year`` column).
    years : (int, int)
        First and last year of the window.

    Returns
    -------
    dict
        Fact name -> value (NaN when the data do not allow the measurement).

    Raises
    ------
    ValueError
        When a frame holds several runs (a ``run_id`` column with more than one value).
    """
    for name, frame in (("firms", firms), ("model", model)):
        if "run_id" in frame and frame["run_id"].nunique() > 1:
            raise ValueError(
                f"{name}: holds {frame['run_id'].nunique()} runs (column run_id); allowed: one "
                "run's frame (measure each run, then summarise)"
            )
    frames = {"firms": firms, "model": model}
    cache: dict[tuple[Callable, str], float | dict[str, float]] = {}
    out = {}
    for fact in facts:
        key = (fact.function, fact.frame)
        if key not in cache:
            cache[key] = fact.function(frames[fact.frame], years)
        out[fact.name] = fact.pick(cache[key])
    return out


def summarise(
    values: pd.DataFrame, facts: Sequence[Fact] = FACTS, conf: float = 0.95
) -> pd.DataFrame:
    """Mean of each fact over runs, its interval and whether it meets the target.

    Parameters
    ----------
    values : DataFrame
        One row per run, one column per fact (as :func:`measure` returns them).
    conf : float
        Confidence level of the t interval of the mean (needs two runs or more).

    Returns
    -------
    DataFrame
        One row per fact: ``fact``, ``label``, ``unit``, ``value`` (mean over runs with a
        finite value; for a boolean fact, the share of runs where it holds), ``low``,
        ``high`` (interval; NaN with one run and for boolean facts), ``runs``, ``target``,
        ``passed`` (bool, or None without a target or value) and ``source``.
    """
    rows = []
    for fact in facts:
        v = values[fact.name].to_numpy(dtype=float) if fact.name in values else np.array([])
        v = v[np.isfinite(v)]
        mean = float(v.mean()) if len(v) else math.nan
        low = high = math.nan
        if len(v) >= 2 and not fact.boolean:
            half = stats.t.ppf(0.5 + conf / 2, len(v) - 1) * v.std(ddof=1) / math.sqrt(len(v))
            low, high = mean - half, mean + half
        rows.append(
            {
                "fact": fact.name,
                "label": fact.label,
                "unit": fact.unit,
                "value": mean,
                "low": low,
                "high": high,
                "runs": len(v),
                "target": fact.target,
                "passed": fact.passes(mean),
                "source": fact.source,
            }
        )
    return pd.DataFrame(rows)
