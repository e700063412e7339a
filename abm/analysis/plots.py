"""Figures of experiment results. Each helper returns a ``matplotlib.figure.Figure``.

Every axis carries a plain name and a unit (from :mod:`abm.analysis.labels`), every title
says which statistic is drawn, and a figure built on a design too small to read says so in
red at its foot. Figures are built without ``pyplot``, so they are not kept alive by a global
figure list and work on headless machines; in a notebook the returned figure displays itself,
and ``fig.savefig("name.png")`` writes it.
"""

from __future__ import annotations

import contextlib
import sys
import textwrap
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from abm.extras import needs

with needs("experiments", "abm.analysis"):  # one line naming the extra without matplotlib
    from matplotlib import colormaps
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.layout_engine import ConstrainedLayoutEngine
    from matplotlib.ticker import MaxNLocator, ScalarFormatter

from abm.analysis.labels import (
    Quantity,
    decimals_for,
    floored_at_zero,
    format_number,
    parameter_quantity,
    quantity,
)
from abm.analysis.results import at_year, design_columns, load_results, replicate_summary
from abm.analysis.sensitivity import sensitivity_warnings

#: t quantile of a 95 % interval with one degree of freedom (two replicates).
_T_1DF = 12.7


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
        if c in ("scenario", "preset"):
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


def _new_axes(ax, figsize=(8, 4.5)) -> tuple[Figure, Axes]:
    if ax is not None:
        return ax.figure, ax
    fig = _figure(figsize=figsize)
    return fig, fig.add_subplot()


def add_notes(fig: Figure, notes: Sequence[str]) -> None:
    """Write warnings in red at the foot of ``fig`` (and keep them in ``fig.abm_notes``)."""
    notes = [n for n in notes if n]
    fig.abm_notes = [*getattr(fig, "abm_notes", []), *notes]  # type: ignore[attr-defined]
    if not notes:
        return
    width = max(40, int(fig.get_figwidth() * 13))
    text = "\n".join(textwrap.fill("Warning: " + n, width) for n in notes)
    lines = text.count("\n") + 1
    height = min(0.4, (lines * 0.17 + 0.1) / fig.get_figheight())
    engine = fig.get_layout_engine()
    if isinstance(engine, ConstrainedLayoutEngine):  # keep the axes clear of the notes
        engine.set(rect=(0, height, 1, 1 - height))
    fig.text(0.01, 0.01, text, color="C3", fontsize="small", va="bottom", ha="left")


def _plain_ticks(ax: Axes, axis: Literal["x", "y"] = "y") -> None:
    """Plain tick labels: no offset, no scientific notation, no SI prefixes."""
    with contextlib.suppress(AttributeError):  # categorical or non-scalar formatter
        ax.ticklabel_format(axis=axis, style="plain", useOffset=False)


def _replicates(frame: pd.DataFrame, by: Sequence[str]) -> tuple[int, int]:
    """Fewest and most finished runs per group of ``by``."""
    if not by or "run_id" not in frame.columns:
        n = frame["run_id"].nunique() if "run_id" in frame.columns else 1
        return n, n
    counts = frame.groupby(list(by))["run_id"].nunique()
    return int(counts.min()), int(counts.max())


def replicate_notes(fewest: int, conf: float = 0.95) -> list[str]:
    """Warnings on intervals across too few replicates."""
    if fewest == 1:
        return ["one run per point: no interval across replicates; run 3 or more replicates"]
    if fewest == 2 and abs(conf - 0.95) < 1e-9:
        return [
            f"2 replicates at some points: the 95 % t interval has 1 degree of freedom "
            f"(t = {_T_1DF}) and is very wide; run 5 or more replicates"
        ]
    return []


def _interval_caption(fewest: int, most: int, conf: float) -> str:
    n = f"{fewest}" if fewest == most else f"{fewest}-{most}"
    if most <= 1:
        return "one run per point (no interval)"
    return f"mean and {conf:.0%} t interval across replicates ({n} per point)"


def _groups(frame: pd.DataFrame, by: Sequence[str] | None) -> list[str]:
    by = design_columns(frame) if by is None else list(by)
    return [c for c in by if frame[c].nunique() > 1] if by else []


def _group_stats(frame: pd.DataFrame, reporter: str, by: list[str], conf: float) -> pd.DataFrame:
    stats = replicate_summary(frame, [reporter], by=by, conf=conf)
    stats["label"] = point_labels(stats, by) if by else "all runs"
    if by and "point" in frame.columns:  # groups in design order (first point of each)
        first = frame.groupby(by, sort=False)["point"].min().rename("_first").reset_index()
        stats = stats.merge(first, on=by, how="left").sort_values(["_first", "year"])
        stats = stats.drop(columns="_first").reset_index(drop=True)
    return stats


def plot_timeseries(
    results,
    reporter: str,
    by: Sequence[str] | None = None,
    conf: float = 0.95,
    ax=None,
    max_lines: int = 16,
    title: str | None = None,
) -> Figure:
    """``reporter`` over the years: one line per point (or group of ``by`` columns) with its
    mean and t interval across replicates.

    With more than ``max_lines`` groups (e.g. a Sobol' sample) it draws the median over all
    runs pooled, with the 25-75 % and 5-95 % ranges. Bands of a bounded quantity (a share)
    are clipped to its bounds; the title says which statistic is drawn.
    """
    frame = _frame(results)
    if reporter not in frame.columns:
        raise ValueError(f"unknown reporter {reporter!r}")
    q = floored_at_zero(quantity(reporter), frame[reporter])
    fig, ax = _new_axes(ax)
    by = _groups(frame, by)
    n_groups = frame.groupby(by).ngroups if by else 1
    factor, unit = q.scaled(frame[reporter])
    notes: list[str] = []
    if n_groups > max_lines:
        qs = frame.groupby("year")[reporter].quantile([0.05, 0.25, 0.5, 0.75, 0.95]).unstack()
        qs = qs / factor
        ax.fill_between(qs.index, qs[0.05], qs[0.95], alpha=0.2, color="C0", label="5-95 %")
        ax.fill_between(qs.index, qs[0.25], qs[0.75], alpha=0.35, color="C0", label="25-75 %")
        ax.plot(qs.index, qs[0.5], color="C0", label="median")
        caption = (
            f"median, 25-75 % and 5-95 % ranges of {frame['run_id'].nunique()} runs "
            f"pooled over {n_groups} points"
        )
    else:
        stats = _group_stats(frame, reporter, by, conf)
        fewest, most = _replicates(frame, by)
        caption = _interval_caption(fewest, most, conf)
        notes += replicate_notes(fewest, conf)
        groups = list(stats.groupby("label", sort=False))
        cmap = colormaps["tab20"] if len(groups) > 10 else None
        for i, (label, g) in enumerate(groups):
            color = cmap(i % 20) if cmap is not None else f"C{i}"
            ax.plot(g["year"], g["mean"] / factor, color=color, label=label, lw=1.6)
            if g["ci_low"].notna().any():
                lo, hi = _clip(g["ci_low"], g["ci_high"], q)
                ax.fill_between(g["year"], lo / factor, hi / factor, color=color, alpha=0.15)
    ax.set_xlabel("Year")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel(_wrap(q.axis_label(unit), 45))
    _plain_ticks(ax)
    ax.set_title(title or _wrap(f"{q.label}\n{caption}", 80), fontsize="medium")
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small", loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
    add_notes(fig, notes)
    return fig


def _clip(lo: pd.Series, hi: pd.Series, q: Quantity) -> tuple[np.ndarray, np.ndarray]:
    """Interval ends within the quantity's natural bounds (a share stays in [0, 1])."""
    lo_v, hi_v = lo.to_numpy(float), hi.to_numpy(float)
    return (
        np.clip(lo_v, q.low, q.high) if (q.low is not None or q.high is not None) else lo_v,
        np.clip(hi_v, q.low, q.high) if (q.low is not None or q.high is not None) else hi_v,
    )


def plot_timeseries_panels(
    results,
    reporter: str,
    by: Sequence[str] | None = None,
    conf: float = 0.95,
    ncols: int = 4,
    reference: str | None = None,
    title: str | None = None,
) -> Figure:
    """Small multiples: one panel per point (or group of ``by`` columns) with its mean and
    t interval across replicates, on shared axes, and the ``reference`` group (default: the
    first, e.g. every mode off) as a grey dashed line in every panel for comparison."""
    frame = _frame(results)
    if reporter not in frame.columns:
        raise ValueError(f"unknown reporter {reporter!r}")
    q = floored_at_zero(quantity(reporter), frame[reporter])
    by = _groups(frame, by)
    stats = _group_stats(frame, reporter, by, conf)
    groups = list(stats.groupby("label", sort=False))
    labels = [label for label, _ in groups]
    if reference is None:
        reference = labels[0]
    elif reference not in labels:
        raise ValueError(f"reference {reference!r}: no such group; groups: {', '.join(labels)}")
    ref = dict(groups)[reference]
    factor, unit = q.scaled(stats[["mean", "ci_low", "ci_high"]].to_numpy(float))
    n = len(groups)
    ncols = max(1, min(ncols, n))
    nrows = -(-n // ncols)
    fig = _figure(figsize=(2.6 * ncols + 0.8, 1.9 * nrows + 1.4))
    axes = fig.subplots(nrows, ncols, sharex=True, sharey=True, squeeze=False).ravel()
    for ax, (label, g) in zip(axes, groups, strict=False):
        if label != reference:
            ax.plot(ref["year"], ref["mean"] / factor, color="0.5", lw=1.0, ls="--")
        ax.plot(g["year"], g["mean"] / factor, color="C0", lw=1.5)
        if g["ci_low"].notna().any():
            lo, hi = _clip(g["ci_low"], g["ci_high"], q)
            ax.fill_between(g["year"], lo / factor, hi / factor, color="C0", alpha=0.2)
        ax.set_title(label, fontsize="small")
        ax.grid(alpha=0.3)
        ax.tick_params(labelsize="small")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=5))
        _plain_ticks(ax)
    for ax in axes[n:]:
        ax.set_visible(False)
    for ax in axes[max(0, n - ncols) : n]:  # the lowest panel of each column
        ax.set_xlabel("Year")
        ax.xaxis.set_tick_params(labelbottom=True)
    fewest, most = _replicates(frame, by)
    caption = _interval_caption(fewest, most, conf)
    width = int(fig.get_figwidth() * 11)
    fig.suptitle(
        title or _wrap(f"{q.label}\n{caption}; dashed: {reference}", width), fontsize="medium"
    )
    fig.supylabel(_wrap(q.axis_label(unit), 60), fontsize="medium")
    add_notes(fig, replicate_notes(fewest, conf))
    return fig


_EFFECT_CAPTIONS = {
    "effect": "effect of switching on (averaged over the other modes)",
    "contribution": "contribution to the change from no mode to all modes (Shapley)",
}


def plot_effects(
    effects: pd.DataFrame | Mapping[str, pd.DataFrame],
    max_order: int | None = None,
    title: str | None = None,
) -> Figure:
    """Bars of factorial effects (or mode contributions) with their confidence intervals.

    ``effects`` is a frame from :func:`factorial_effects` or :func:`mode_attribution`, or a
    mapping of panel titles to such frames (one panel each, side by side). The x axis is in
    the reporter's unit (large values in thousands, millions or billions, said in the label).
    """
    panels = dict(effects) if isinstance(effects, Mapping) else {None: effects}
    n = len(panels)
    height = max(2.8, 0.35 * max(len(e) for e in panels.values()) + 1.6)
    fig = _figure(figsize=(5.2 * n, height))
    axes = fig.subplots(1, n, squeeze=False)[0]
    notes: list[str] = []
    for ax, (name, eff) in zip(axes, panels.items(), strict=True):
        value = "effect" if "effect" in eff.columns else "contribution"
        label = "term" if "term" in eff.columns else "mode"
        e = eff
        if max_order is not None and "order" in e.columns:
            e = e[e["order"] <= max_order]
        e = e.iloc[::-1]
        rep = eff.attrs.get("reporter", "")
        q = quantity(rep) if rep else Quantity("", value, "")
        v = e[value].to_numpy(float)
        factor, unit = q.scaled(np.concatenate([v, e["ci_low"], e["ci_high"]]))
        v = v / factor
        y = np.arange(len(e))
        lo = v - e["ci_low"].to_numpy(float) / factor
        hi = e["ci_high"].to_numpy(float) / factor - v
        err = None if np.all(np.isnan(lo)) else np.vstack([lo, hi])
        if err is None:
            notes.append(f"{q.label}: no intervals (one run per point)")
        elif eff.attrs.get("df") == 1:
            notes.append(
                f"{q.label}: the intervals have 1 degree of freedom and are very wide; "
                "run 5 or more replicates"
            )
        colors = ["C3" if x < 0 else "C0" for x in v]
        ax.barh(y, v, xerr=err, color=colors, alpha=0.8, capsize=3)
        ax.axvline(0, color="k", lw=0.8)
        ax.set_yticks(y, e[label])
        conf = eff.attrs.get("conf", 0.95)
        year = eff.attrs.get("year", "")
        heading = name or f"{q.label}, {year}".strip(", ")
        ax.set_title(
            _wrap(f"{heading}\n{_EFFECT_CAPTIONS[value]};", 60)
            + f"\nbars: estimate, whiskers: {conf:.0%} interval",
            fontsize="small",
        )
        prefix = "effect on " if value == "effect" else "contribution to "
        ax.set_xlabel(_wrap(q.axis_label(unit, prefix=prefix), 45))
        _plain_ticks(ax, "x")
        ax.tick_params(axis="x", labelsize="small")
        ax.grid(axis="x", alpha=0.3)
    if title:
        fig.suptitle(title)
    add_notes(fig, notes)
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
    """Replicate mean of ``reporter`` in one year over a 2-D grid of parameters ``x``, ``y``.

    Every cell is printed in one format (same unit and number of decimals)."""
    frame = _frame(results)
    for c in (reporter, x, y):
        if c not in frame.columns:
            raise ValueError(f"unknown column {c!r}")
    q = quantity(reporter)
    rows = at_year(frame, year)
    year = int(rows["year"].iloc[0])
    table = rows.groupby([y, x])[reporter].mean().unstack(x).sort_index(ascending=False)
    factor, unit = q.scaled(table.to_numpy(float))
    vals = table.to_numpy(float) / factor
    fig, ax = _new_axes(ax, figsize=(1.1 * table.shape[1] + 3.5, 0.7 * table.shape[0] + 2.2))
    im = ax.imshow(vals, cmap=cmap, aspect="auto")
    ax.set_xticks(range(table.shape[1]), [_fmt(v) for v in table.columns])
    ax.set_yticks(range(table.shape[0]), [_fmt(v) for v in table.index])
    ax.set_xlabel(_wrap(parameter_quantity(x).axis_label(), 60))
    ax.set_ylabel(_wrap(parameter_quantity(y).axis_label(), 40))
    bar = fig.colorbar(im, ax=ax)
    bar.set_label(_wrap(q.axis_label(unit), 40))
    if isinstance(bar.formatter, ScalarFormatter):
        bar.formatter.set_useOffset(False)
    if annotate:
        digits = decimals_for(vals)
        mid = np.nanmean(vals)
        for i in range(vals.shape[0]):
            for j in range(vals.shape[1]):
                ax.text(
                    j,
                    i,
                    format_number(vals[i, j], digits),
                    ha="center",
                    va="center",
                    fontsize="small",
                    color="w" if vals[i, j] < mid else "k",
                )
    fewest, most = _replicates(rows, [x, y])
    per = f"{fewest}" if fewest == most else f"{fewest}-{most}"
    caption = f"mean of {per} replicates per cell" if most > 1 else "one run per cell"
    caption += f", in {unit}" if unit else ""
    ax.set_title(title or f"{q.label}, {year}\n{caption}", fontsize="medium")
    add_notes(fig, ["one run per cell: values are single runs"] if most <= 1 else [])
    return fig


def _wrap(text: str, width: int) -> str:
    """Wrap each line of ``text`` at ``width`` characters."""
    return "\n".join("\n".join(textwrap.wrap(line, width)) or line for line in text.split("\n"))


def plot_sensitivity(indices: pd.DataFrame, title: str | None = None, ax=None) -> Figure:
    """Bars of Sobol' S1 and ST (or Morris mu* and sigma) per parameter, with intervals.

    Warnings on a design too small to read (``indices.attrs["warnings"]``) are written on the
    figure."""
    fig, ax = _new_axes(ax, figsize=(8, 0.6 * len(indices) + 2.2))
    rep = indices.attrs.get("reporter", "")
    q = quantity(rep) if rep else Quantity("", "the response", "")
    conf = indices.attrs.get("conf", 0.95)
    series: list[tuple[str, str | None, str]]
    if "S1" in indices.columns:
        series = [("S1", "S1_conf", "first order S1"), ("ST", "ST_conf", "total ST")]
        xlabel = "Sobol' index (share of the variance of the response)"
        what = f"bars: estimate, whiskers: {conf:.0%} bootstrap interval"
        factor = 1.0
    else:
        series = [("mu_star", "mu_star_conf", "mu*"), ("sigma", None, "sigma")]
        factor, unit = q.scaled(indices[["mu_star", "sigma"]].to_numpy(float))
        xlabel = f"elementary effect ({unit})" if unit else "elementary effect"
        what = f"mu*: mean absolute effect ({conf:.0%} bootstrap interval), sigma: its spread"
    order = indices.sort_values(series[1][0] if "S1" in indices.columns else "mu_star")
    y = np.arange(len(order))
    h = 0.38
    for k, (col, cf, label) in enumerate(series):
        err = order[cf].to_numpy(float) / factor if cf else None
        ax.barh(
            y + (k - 0.5) * h,
            order[col].to_numpy(float) / factor,
            height=h,
            xerr=err,
            capsize=2,
            label=label,
            color=f"C{k}",
            alpha=0.85,
        )
    labels = [_wrap(parameter_quantity(p).label, 38) for p in order["parameter"]]
    ax.set_yticks(y, labels, fontsize="small")
    ax.axvline(0, color="k", lw=0.8)
    ax.set_xlabel(xlabel)
    _plain_ticks(ax, "x")
    ax.legend(fontsize="small", frameon=False)
    ax.grid(axis="x", alpha=0.3)
    year = indices.attrs.get("year", "")
    design = ""
    if indices.attrs.get("n") is not None:
        design = f"; n = {indices.attrs['n']}, {indices.attrs.get('n_points')} points"
    ax.set_title(
        title or _wrap(f"Sensitivity of {_lower(q.label)}, {year}\n{what}{design}", 64),
        fontsize="medium",
    )
    notes = indices.attrs.get("warnings")
    add_notes(fig, sensitivity_warnings(indices) if notes is None else notes)
    return fig


def _lower(text: str) -> str:
    return text[0].lower() + text[1:] if len(text) > 1 and not text[1].isupper() else text


__all__ = [
    "add_notes",
    "plot_effects",
    "plot_heatmap",
    "plot_sensitivity",
    "plot_timeseries",
    "plot_timeseries_panels",
    "point_labels",
    "replicate_notes",
]
