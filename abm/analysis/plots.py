"""Figures of experiment results. Each helper returns a ``matplotlib.figure.Figure``.

Figures are built without ``pyplot``, so they are not kept alive by a global figure list and
work on headless machines; in a notebook the returned figure displays itself, and
``fig.savefig("name.png")`` writes it.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.figure import Figure
from matplotlib.ticker import EngFormatter

from abm.analysis.results import at_year, design_columns, load_results, replicate_summary


def _frame(results) -> pd.DataFrame:
    return load_results(results) if isinstance(results, str | Path) else results


def _fmt(v) -> str:
    if isinstance(v, bool | np.bool_):
        return "on" if v else "off"
    if isinstance(v, float | np.floating):
        return f"{v:g}"
    return str(v)


def point_labels(frame: pd.DataFrame, by: Sequence[str]) -> pd.Series:
    """A readable label per row from the ``by`` columns (scenario name, ``name=value``...)."""
    exp = frame.attrs.get("experiment", {}) or {}
    modes = set(exp.get("modes", []))
    parts = []
    for c in by:
        if c == "scenario":
            parts.append(frame[c].astype(str))
        elif c in modes:
            continue  # the scenario name already says which modes are on
        else:
            parts.append(c + "=" + frame[c].map(_fmt))
    if not parts:
        return pd.Series("all runs", index=frame.index)
    label = parts[0]
    for p in parts[1:]:
        label = label + ", " + p
    return label


def _figure(**kwargs) -> Figure:
    _display_in_notebooks()
    return Figure(layout="constrained", **kwargs)


def _display_in_notebooks() -> None:
    """In IPython, show a returned Figure as an image even if pyplot was never used."""
    if "IPython" not in sys.modules:
        return
    from IPython import get_ipython

    ip = get_ipython()
    fmt = getattr(getattr(ip, "display_formatter", None), "formatters", {}).get("image/png")
    if fmt is None:
        return
    try:
        fmt.lookup_by_type(Figure)
    except KeyError:
        from IPython.core.pylabtools import print_figure

        fmt.for_type(Figure, lambda fig: print_figure(fig, "png", bbox_inches="tight"))


def _new_axes(ax, figsize=(8, 4.5)):
    if ax is not None:
        return ax.figure, ax
    fig = _figure(figsize=figsize)
    return fig, fig.add_subplot()


def plot_timeseries(
    results,
    reporter: str,
    by: Sequence[str] | None = None,
    conf: float = 0.95,
    ax=None,
    max_lines: int = 16,
    title: str | None = None,
) -> Figure:
    """Mean of ``reporter`` per year with a confidence band across replicates, one line per
    point (or per group of ``by`` columns).

    With more than ``max_lines`` groups (e.g. a Sobol sample) it draws the median over all
    runs with the 5-95 % and 25-75 % ranges instead.
    """
    frame = _frame(results)
    if reporter not in frame.columns:
        raise ValueError(f"unknown reporter {reporter!r}")
    fig, ax = _new_axes(ax)
    by = design_columns(frame) if by is None else list(by)
    by = [c for c in by if frame[c].nunique() > 1] if by else []
    n_groups = frame.groupby(by).ngroups if by else 1
    if n_groups > max_lines:
        q = frame.groupby("year")[reporter].quantile([0.05, 0.25, 0.5, 0.75, 0.95]).unstack()
        ax.fill_between(q.index, q[0.05], q[0.95], alpha=0.2, color="C0", label="5-95 %")
        ax.fill_between(q.index, q[0.25], q[0.75], alpha=0.35, color="C0", label="25-75 %")
        ax.plot(q.index, q[0.5], color="C0", label=f"median of {frame['run_id'].nunique()} runs")
    else:
        stats = replicate_summary(frame, [reporter], by=by, conf=conf)
        if by:
            stats["label"] = point_labels(stats, by)
        else:
            stats["label"] = "all runs"
        groups = list(stats.groupby("label", sort=False))
        cmap = colormaps["tab20"] if len(groups) > 10 else None
        for i, (label, g) in enumerate(groups):
            color = cmap(i % 20) if cmap is not None else f"C{i}"
            ax.plot(g["year"], g["mean"], color=color, label=label, lw=1.6)
            if g["ci_low"].notna().any():
                ax.fill_between(g["year"], g["ci_low"], g["ci_high"], color=color, alpha=0.15)
    ax.set_xlabel("year")
    ax.set_ylabel(reporter)
    ax.set_title(title or f"{reporter} (mean, {conf:.0%} interval across replicates)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small", loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
    return fig


def plot_effects(
    effects: pd.DataFrame | Mapping[str, pd.DataFrame],
    max_order: int | None = None,
    title: str | None = None,
) -> Figure:
    """Bars of factorial effects (or mode contributions) with their confidence intervals.

    ``effects`` is a frame from :func:`factorial_effects` or :func:`mode_attribution`, or a
    mapping of panel titles to such frames (one panel each, side by side).
    """
    panels = dict(effects) if isinstance(effects, Mapping) else {None: effects}
    n = len(panels)
    height = max(2.5, 0.35 * max(len(e) for e in panels.values()) + 1.2)
    fig = _figure(figsize=(4.8 * n, height))
    axes = fig.subplots(1, n, squeeze=False)[0]
    for ax, (name, eff) in zip(axes, panels.items(), strict=True):
        value = "effect" if "effect" in eff.columns else "contribution"
        label = "term" if "term" in eff.columns else "mode"
        e = eff
        if max_order is not None and "order" in e.columns:
            e = e[e["order"] <= max_order]
        e = e.iloc[::-1]
        y = np.arange(len(e))
        v = e[value].to_numpy(float)
        lo = v - e["ci_low"].to_numpy(float)
        hi = e["ci_high"].to_numpy(float) - v
        err = None if np.all(np.isnan(lo)) else np.vstack([lo, hi])
        colors = ["C3" if x < 0 else "C0" for x in v]
        ax.barh(y, v, xerr=err, color=colors, alpha=0.8, capsize=3)
        ax.axvline(0, color="k", lw=0.8)
        ax.set_yticks(y, e[label])
        rep = eff.attrs.get("reporter", "")
        year = eff.attrs.get("year", "")
        ax.set_title(name or f"{rep} {year}".strip(), fontsize="medium")
        ax.set_xlabel(f"{value} ({eff.attrs.get('conf', 0.95):.0%} interval)")
        ax.xaxis.set_major_formatter(EngFormatter(sep=""))  # 2M, not 2000000
        ax.tick_params(axis="x", labelsize="small")
        ax.grid(axis="x", alpha=0.3)
    if title:
        fig.suptitle(title)
    return fig


def plot_heatmap(
    results,
    reporter: str,
    x: str,
    y: str,
    year: int | None = None,
    ax=None,
    cmap: str = "viridis",
    annotate: bool = True,
    title: str | None = None,
) -> Figure:
    """Replicate mean of ``reporter`` in one year over a 2-D grid of parameters ``x``, ``y``."""
    frame = _frame(results)
    for c in (reporter, x, y):
        if c not in frame.columns:
            raise ValueError(f"unknown column {c!r}")
    rows = at_year(frame, year)
    year = int(rows["year"].iloc[0])
    table = rows.groupby([y, x])[reporter].mean().unstack(x).sort_index(ascending=False)
    fig, ax = _new_axes(ax, figsize=(1.1 * table.shape[1] + 3, 0.7 * table.shape[0] + 1.8))
    im = ax.imshow(table.to_numpy(float), cmap=cmap, aspect="auto")
    ax.set_xticks(range(table.shape[1]), [_fmt(v) for v in table.columns])
    ax.set_yticks(range(table.shape[0]), [_fmt(v) for v in table.index])
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    fig.colorbar(im, ax=ax, label=reporter)
    if annotate:
        vals = table.to_numpy(float)
        mid = np.nanmean(vals)
        for i in range(vals.shape[0]):
            for j in range(vals.shape[1]):
                ax.text(
                    j,
                    i,
                    f"{vals[i, j]:.3g}",
                    ha="center",
                    va="center",
                    fontsize="small",
                    color="w" if vals[i, j] < mid else "k",
                )
    ax.set_title(title or f"{reporter}, {year} (mean over replicates)")
    return fig


def plot_sensitivity(indices: pd.DataFrame, title: str | None = None, ax=None) -> Figure:
    """Bars of Sobol' S1 and ST (or Morris mu* and sigma) per parameter, with intervals."""
    fig, ax = _new_axes(ax, figsize=(8, 0.45 * len(indices) + 1.5))
    if "S1" in indices.columns:
        series = [("S1", "S1_conf", "first order S1"), ("ST", "ST_conf", "total ST")]
        xlabel = "Sobol' index"
    else:
        series = [("mu_star", "mu_star_conf", "mu*"), ("sigma", None, "sigma")]
        xlabel = "elementary effect"
    order = indices.sort_values(series[1][0] if "S1" in indices.columns else "mu_star")
    y = np.arange(len(order))
    h = 0.38
    for k, (col, conf, label) in enumerate(series):
        err = order[conf].to_numpy(float) if conf else None
        ax.barh(
            y + (k - 0.5) * h,
            order[col],
            height=h,
            xerr=err,
            capsize=2,
            label=label,
            color=f"C{k}",
            alpha=0.85,
        )
    ax.set_yticks(y, order["parameter"])
    ax.axvline(0, color="k", lw=0.8)
    ax.set_xlabel(xlabel)
    ax.legend(fontsize="small", frameon=False)
    ax.grid(axis="x", alpha=0.3)
    rep = indices.attrs.get("reporter", "")
    year = indices.attrs.get("year", "")
    ax.set_title(title or f"sensitivity of {rep}, {year}")
    return fig


__all__ = ["plot_effects", "plot_heatmap", "plot_sensitivity", "plot_timeseries", "point_labels"]
