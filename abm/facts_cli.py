"""``abm facts RUN_OR_SWEEP``: the stylised facts of a run or a sweep, with targets.

``RUN_OR_SWEEP`` is a run's model file written by ``abm run`` (its firm file
``<stem>.firms.parquet`` beside it) or a sweep directory written by ``abm experiment run``
with ``firm_data = true`` (model files under ``runs/``, firm files under ``firms/``). Each
fact of :data:`abm.validation.FACTS` is measured on every run; the table gives its mean
over the runs with a 95 % interval, the target range and whether the mean meets it.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from abm.parquet_read import read_frame

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["facts", "register"]

FIRM_NEEDED = ("year", "firm_id", "revenue", "productivity", "exporter", "profit")
MODEL_NEEDED = ("year", "output", "entries", "exits", "n_firms", "green_share")
#: The default window, ``abm.validation.WINDOW`` (kept here so that ``abm`` starts without
#: importing SciPy).
YEARS = (2040, 2060)
#: Most growth rates kept per group for the density figure.
_MAX_GROWTH = 400_000


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``facts`` subcommand to an argparse subparsers object.

    Returns
    -------
    argparse.ArgumentParser
        The subcommand's parser (its ``func`` default is :func:`facts`).
    """
    parser = subparsers.add_parser(
        "facts",
        help="measure the stylised facts of firm dynamics of a run or a sweep",
        description=(
            "Measure the stylised facts (firm-size tail, growth rates, size-volatility, "
            "entry and exit, losses, exporter premia, concentration, aggregate fluctuations, "
            "green diffusion) of a run written by 'abm run' (its .firms.parquet beside it) or "
            "of a sweep directory written with firm_data = true, and compare each with its "
            "target range (docs/facts.md). Over several runs the value is the mean with a "
            "95 % interval."
        ),
    )
    parser.add_argument(
        "path", type=Path, metavar="RUN_OR_SWEEP", help="a run's .parquet file or a sweep dir"
    )
    parser.add_argument(
        "--years",
        type=parse_years,
        default=YEARS,
        metavar="FIRST-LAST",
        help=f"window of years measured, both included (default: {YEARS[0]}-{YEARS[1]})",
    )
    parser.add_argument("--json", action="store_true", help="print a JSON list of objects")
    parser.add_argument("--by-preset", action="store_true", help="one table per preset of a sweep")
    parser.add_argument(
        "--figures",
        type=Path,
        metavar="DIR",
        help="write rank-size, growth-density, size-volatility and green-diffusion PNGs",
    )
    parser.set_defaults(func=facts)
    return parser


def parse_years(text: str) -> tuple[int, int]:
    """Parse ``--years FIRST-LAST`` into two years, FIRST < LAST."""
    match = re.fullmatch(r"\s*(\d{1,4})\s*-\s*(\d{1,4})\s*", text)
    if not match or int(match[1]) >= int(match[2]):
        raise argparse.ArgumentTypeError(
            f"invalid value {text!r}; allowed: FIRST-LAST, two years with FIRST < LAST, "
            "e.g. 2040-2060"
        )
    return int(match[1]), int(match[2])


#: The runs and firms the facts' targets are stated for (docs/facts.md).
SPEC_RUNS = 10
SPEC_FIRMS = 2000


def _scale_note(runs: int, fewest: int) -> str:
    """The note for a table of fewer runs or firms than the targets are stated for."""
    if runs == 1:
        table = f"1 run of {fewest:,} firms"
    else:
        table = f"{runs} runs, the smallest of {fewest:,} firms"
    return (
        f"abm facts: note: the targets are stated for the mean over at least {SPEC_RUNS} "
        f"runs of {SPEC_FIRMS:,} firms (docs/facts.md; experiments/facts.toml runs 20); this "
        f"table has {table}, so its values scatter "
        "more (the size-tail indices, estimated on the top 10 % of firms, most)"
    )


def _figure_folder(folder: Path) -> None:
    """Check that the figures can be drawn and make their folder (before any work)."""
    from abm.extras import MissingExtra, missing

    if "matplotlib" in missing("experiments"):  # checked before the folder is made
        raise MissingExtra("experiments", ["matplotlib"], "abm facts")
    if folder.exists() and not folder.is_dir():
        raise ValueError(f"--figures {folder}: not a directory; allowed: a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ValueError(f"--figures {folder}: cannot create it ({exc})") from None


# --- reading runs ----------------------------------------------------------------------


@dataclass
class Run:
    """One run's frames and its preset."""

    name: str
    preset: str
    firms: pd.DataFrame
    model: pd.DataFrame


_HOW = (
    "allowed: a run written by 'abm run' with firm_data on (the default), or a sweep "
    "directory written with firm_data = true"
)


def _read(path: Path, needed: tuple[str, ...], extra: tuple[str, ...] = ()) -> pd.DataFrame:
    """Read the ``needed`` (and any present ``extra``) columns of a Parquet file."""
    import pyarrow.parquet as pq

    try:
        names = pq.read_schema(path).names
    except (OSError, ValueError) as exc:
        raise ValueError(f"{path}: cannot read as Parquet ({exc}); {_HOW}") from None
    missing = [c for c in needed if c not in names]
    if missing:
        raise ValueError(f"{path}: no column {', '.join(map(repr, missing))}; {_HOW}")
    try:
        return read_frame(path, columns=[*needed, *(c for c in extra if c in names)])
    except (OSError, ValueError) as exc:
        raise ValueError(f"{path}: cannot read as Parquet ({exc}); {_HOW}") from None


def _model_file(path: Path) -> Path:
    """The model file of a run given by its model file or its firm file."""
    if path.name.endswith(".firms.parquet"):
        return path.with_name(path.name[: -len(".firms.parquet")] + ".parquet")
    return path


def _run_files(path: Path) -> tuple[list[tuple[str, Path, Path]], list[str]]:
    """(name, model file, firm file) of every run at ``path``, and runs without firm data."""
    from abm.cli import firm_path

    if not path.exists():
        raise ValueError(f"{path}: no such file or directory; {_HOW}")
    if path.is_dir():
        runs, firms = path / "runs", path / "firms"
        models = sorted(runs.glob("*.parquet")) if runs.is_dir() else []
        if not models:
            raise ValueError(f"{path}: no run files under {runs}; {_HOW}")
        pairs = [(m.stem, m, firms / m.name) for m in models]
        found = [p for p in pairs if p[2].is_file()]
        if not found:
            raise ValueError(
                f"{path}: no firm-level data (no run file has a firm file under {firms}); "
                "allowed: a sweep run with firm_data = true (or --firm-data)"
            )
        return found, [p[0] for p in pairs if not p[2].is_file()]
    if not path.name.endswith(".parquet"):
        raise ValueError(f"{path}: not a .parquet file or a directory; {_HOW}")
    model = _model_file(path)
    firms = firm_path(model)
    if not model.is_file():
        raise ValueError(f"{model}: no such file; {_HOW}")
    if not firms.is_file():
        raise ValueError(
            f"{model}: no firm-level data ({firms.name} is missing beside it); allowed: a "
            "run written with firm_data on (the default)"
        )
    return [(model.stem, model, firms)], []


def _load(name: str, model_path: Path, firm_path: Path, years: tuple[int, int]) -> Run:
    model = _read(model_path, MODEL_NEEDED, ("preset", "best_practice_share"))
    firms = _read(firm_path, FIRM_NEEDED, ("capacity",))
    if firms.empty:
        raise ValueError(f"{firm_path}: no firm rows; {_HOW}")
    preset = model.attrs.get("preset") or model.attrs.get("scenario")
    if "preset" in model and len(model):
        preset = str(model["preset"].iloc[0])
    first = max(int(model["year"].min()), int(firms["year"].min()))
    last = min(int(model["year"].max()), int(firms["year"].max()))
    if not first <= years[0] < years[1] <= last:
        raise ValueError(
            f"--years {years[0]}-{years[1]}: {model_path} covers {first}-{last}; allowed: a "
            f"window FIRST-LAST inside {first}-{last}, e.g. --years {first}-{last}"
        )
    return Run(name, str(preset or "run"), firms, model)


# --- measuring -------------------------------------------------------------------------


@dataclass
class Group:
    """Facts and figure data of the runs of one table."""

    label: str
    values: list[dict[str, float]] = field(default_factory=list)
    first_sizes: list[np.ndarray] = field(default_factory=list)
    last_sizes: list[np.ndarray] = field(default_factory=list)
    growth: list[np.ndarray] = field(default_factory=list)
    bins: list[pd.DataFrame] = field(default_factory=list)
    green: list[pd.Series] = field(default_factory=list)
    best: list[pd.Series] = field(default_factory=list)


def _collect(group: Group, run: Run, years: tuple[int, int], figures: bool) -> None:
    from abm import validation

    group.values.append(validation.measure(run.firms, run.model, years))
    path = run.model.sort_values("year").set_index("year")
    if "best_practice_share" in path:  # runs written before the reporter have none
        group.best.append(path["best_practice_share"].loc[: years[1]])
    if not figures:
        return
    for year, store in ((years[0], group.first_sizes), (years[1], group.last_sizes)):
        store.append(run.firms.loc[run.firms["year"] == year, "revenue"].to_numpy(dtype=float))
    group.growth.append(validation.growth_rates(run.firms, years)["growth"].to_numpy())
    group.bins.append(validation.size_volatility_bins(run.firms, years))
    group.green.append(path["green_share"].loc[: years[1]])


# --- output ----------------------------------------------------------------------------


def _number(value: float) -> str:
    if not np.isfinite(value):
        return "n/a"
    magnitude = abs(value)
    if magnitude >= 1000:
        return f"{value:.0f}"
    if magnitude >= 100:
        return f"{value:.1f}"
    return f"{value:.3g}"


def _value_text(row: pd.Series, boolean: bool) -> str:
    if boolean:
        if not np.isfinite(row["value"]):
            return "n/a"
        if row["runs"] == 1:
            return "yes" if row["value"] >= 0.5 else "no"
        return f"yes in {round(row['value'] * row['runs'])} of {row['runs']} runs"
    text = _number(row["value"])
    if np.isfinite(row["low"]):
        text += f" [{_number(row['low'])}, {_number(row['high'])}]"
    return text


def _table(summary: pd.DataFrame, title: str) -> str:
    from abm import validation

    facts = {f.name: f for f in validation.FACTS}
    rows = []
    for _, row in summary.iterrows():
        fact = facts[row["fact"]]
        label = row["label"] + (f" ({row['unit']})" if row["unit"] else "")
        verdict = {True: "pass", False: "FAIL", None: "-"}[row["passed"]]
        rows.append((label, _value_text(row, fact.boolean), row["target"], verdict, row["source"]))
    value_head = "value" if summary["runs"].max() <= 1 else "value [95 % interval]"
    heads = ("fact", value_head, "target", "pass", "source")
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(heads[:4])]
    lines = [title]
    for r in (heads, *rows):
        lines.append("  ".join([*(c.ljust(w) for c, w in zip(r, widths, strict=False)), r[4]]))
    scored = summary["passed"].dropna()
    lines.append(f"{int(scored.sum())} of {len(scored)} facts with a target pass.")
    return "\n".join(lines)


def _json_rows(summary: pd.DataFrame, group: str | None, years: tuple[int, int]) -> list[dict]:
    from abm import validation

    facts = {f.name: f for f in validation.FACTS}

    def num(x: float) -> float | None:
        return float(x) if x is not None and np.isfinite(x) else None

    out = []
    for _, row in summary.iterrows():
        fact = facts[row["fact"]]
        item = {
            "fact": row["fact"],
            "label": row["label"],
            "unit": row["unit"],
            "value": num(row["value"]),
            "interval": [num(row["low"]), num(row["high"])]
            if num(row["low"]) is not None
            else None,
            "runs": int(row["runs"]),
            "target": row["target"],
            "target_low": fact.low,
            "target_high": fact.high,
            "pass": row["passed"],
            "source": row["source"],
            "years": list(years),
        }
        if group is not None:
            item["preset"] = group
        out.append(item)
    return out


# --- figures ---------------------------------------------------------------------------


def _axes() -> tuple[Figure, Axes]:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7, 5), layout="constrained")
    return fig, fig.add_subplot()


def _finish(ax: Axes, xlabel: str, ylabel: str, title: str, **legend: Any) -> None:
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(fontsize="small", **legend)


def _plot_rank_size(group: Group, years: tuple[int, int], where: str) -> Figure:
    """Rank-size plot: share of firms at least as large against revenue, log-log."""
    from abm import validation

    fig, ax = _axes()
    for year, sizes, colour in (
        (years[0], group.first_sizes, "C0"),
        (years[1], group.last_sizes, "C3"),
    ):
        x = np.sort(np.concatenate(sizes))[::-1]
        x = x[x > 0]
        if len(x):
            ax.loglog(
                x, np.arange(1, len(x) + 1) / len(x), ".", ms=2.5, color=colour, label=f"{year}"
            )
    hill = np.nanmean([v["tail_index_hill"] for v in group.values])
    x = np.sort(np.concatenate(group.last_sizes))[::-1]
    x = x[x > 0]
    if len(x) > 10 and np.isfinite(hill):
        k = max(int(validation.TAIL * len(x)), 2)
        top = np.geomspace(x[k], x[0], 20)
        anchor = (k + 1) / len(x)
        label = f"Hill, top 10 %, mean {years[0]}-{years[1]}: slope -{hill:.2f}"
        ax.loglog(top, anchor * (top / x[k]) ** -hill, "k-", lw=1.2, label=label)
        ax.loglog(top, anchor * (top / x[k]) ** -1.0, "k:", lw=1.2, label="Zipf: slope -1")
    _finish(
        ax,
        "firm revenue, USD m (log scale)",
        "share of firms with at least this revenue (log scale)",
        f"Rank-size plot of firm revenue, {where}",
    )
    return fig


def _plot_growth_density(group: Group, years: tuple[int, int], where: str) -> Figure:
    """Growth-rate density on a log scale, the Subbotin fit and a normal of the same s.d."""
    from scipy import stats

    from abm import validation

    fig, ax = _axes()
    g = np.concatenate(group.growth) if group.growth else np.array([])
    g = g[np.isfinite(g)]
    if len(g) > _MAX_GROWTH:
        g = np.random.default_rng(0).choice(g, _MAX_GROWTH, replace=False)
    if len(g) > 10:
        lo, hi = np.quantile(g, [0.0005, 0.9995])
        density, edges = np.histogram(g, bins=80, range=(lo, hi), density=True)
        centres, shown = (edges[:-1] + edges[1:]) / 2, density > 0
        label = f"growth rates (n = {len(g):,})"
        ax.semilogy(centres[shown], density[shown], "o", ms=3.5, color="C0", label=label)
        shape, loc, scale = validation.subbotin_fit(g)
        grid = np.linspace(lo, hi, 400)
        if np.isfinite(shape):
            label = f"Subbotin fit, shape {shape:.2f}"
            ax.semilogy(grid, stats.gennorm.pdf(grid, shape, loc, scale), "C3-", label=label)
        ax.semilogy(grid, stats.norm.pdf(grid, g.mean(), g.std()), "k:", label="normal, same s.d.")
        ax.set_ylim(bottom=max(density[shown].min() / 3, 1e-4))
    _finish(
        ax,
        f"yearly log growth of revenue net of the year's mean, {years[0]}-{years[1]}",
        "density (log scale)",
        f"Firm growth rates, {where}",
    )
    return fig


def _plot_size_volatility(group: Group, years: tuple[int, int], where: str) -> Figure:
    """S.d. of growth by size bin, log-log, with the fitted line."""
    fig, ax = _axes()
    bins = pd.concat(group.bins, ignore_index=True) if group.bins else pd.DataFrame()
    bins = bins[(bins["n"] >= 2) & (bins["sd_growth"] > 0)] if len(bins) else bins
    if len(bins) >= 3:
        size, sd = np.exp(bins["log_size"]), bins["sd_growth"]
        each = ", each run" if len(group.values) > 1 else ""
        ax.loglog(size, sd, "o", color="C0", label=f"size bins (equal counts){each}")
        slope, icpt = np.polyfit(bins["log_size"], np.log(sd), 1)
        grid = np.geomspace(size.min(), size.max(), 50)
        ax.loglog(grid, np.exp(icpt) * grid**slope, "C3-", label=f"fit: slope {slope:.2f}")
    _finish(
        ax,
        "revenue at the start of the year, USD m (log scale)",
        "s.d. of yearly log growth (log scale)",
        f"Size and growth volatility, {years[0]}-{years[1]}, {where}",
    )
    return fig


def _mean_fit(paths: list[pd.Series], years: tuple[int, int]) -> tuple[pd.Series, dict]:
    """The runs' mean path of a share and its logistic fit up to the window's end."""
    from abm import validation

    mean = pd.concat(paths, axis=1).mean(axis=1)
    frame = pd.DataFrame({"year": mean.index, "share": mean.to_numpy()})
    return mean, validation.green_diffusion(frame, years, column="share")


def _diffusion_curve(
    ax: Axes, paths: list[pd.Series], years: tuple[int, int], label: str, colour: str
) -> None:
    """Plot a share's path(s), their mean and the mean's logistic fit on ``ax``."""
    from abm import validation

    if len(paths) > 1:
        for path in paths:
            ax.plot(path.index, path.to_numpy(), color=colour, alpha=0.25, lw=0.8)
    mean, fit = _mean_fit(paths, years)
    several = ", mean of runs" if len(paths) > 1 else ""
    ax.plot(mean.index, mean.to_numpy(), "o-", ms=3, color=colour, label=label + several)
    middle = fit["inflection_year"]
    if np.isfinite(fit["rate"]):
        t = np.linspace(mean.index.min(), mean.index.max(), 200)
        curve = validation.logistic(t, fit["floor"], fit["ceiling"], fit["rate"], middle)
        shape = "an S-curve" if fit["s_curve"] else "not an S-curve"
        ax.plot(
            t, curve, "--", color=colour, lw=1, label=f"logistic fit, R² {fit['r2']:.3f} ({shape})"
        )
        if mean.index.min() <= middle <= mean.index.max():
            ax.axvline(middle, color=colour, ls=":", lw=1, label=f"inflection {middle:.0f}")


def _plot_green_diffusion(group: Group, years: tuple[int, int], where: str) -> Figure:
    """The green share's path(s), the mean path and its logistic fit; the same for the
    share of firms at the start year's best practice, when the runs recorded it."""
    fig, ax = _axes()
    if group.green:
        _diffusion_curve(ax, group.green, years, "green share (green level >= threshold)", "C0")
    if group.best:
        _diffusion_curve(ax, group.best, years, "share at the start year's best practice", "C2")
    ax.axvspan(years[0], years[1], color="0.9", zorder=0, label="window of the other facts")
    ax.set_ylim(0, 1)
    _finish(ax, "year", "share of firms", f"Green diffusion, {where}", loc="upper left")
    return fig


_PLOTS = {
    "rank_size": _plot_rank_size,
    "growth_density": _plot_growth_density,
    "size_volatility": _plot_size_volatility,
    "green_diffusion": _plot_green_diffusion,
}


def _figures(group: Group, years: tuple[int, int], folder: Path, name: str | None) -> list[Path]:
    """Write the four figures of ``group``; ``name`` (a preset) suffixes the file names."""
    n = len(group.values)
    where = f"{group.label}, {n} run{'s' if n > 1 else ''}"
    suffix = "" if name is None else "_" + re.sub(r"[^A-Za-z0-9_.+-]", "_", name)
    written = []
    for stem, plot in _PLOTS.items():
        path = folder / f"{stem}{suffix}.png"
        try:
            plot(group, years, where).savefig(path, dpi=110)
        except OSError as exc:
            raise ValueError(f"--figures {folder}: cannot write {path.name} ({exc})") from None
        written.append(path)
    return written


def _best_practice_line(group: Group, years: tuple[int, int]) -> str:
    """A line on the diffusion of the start year's best practice (not a fact with a
    target): the logistic fit of the runs' mean share, or nothing for runs without it."""
    if not group.best:
        return ""
    mean, fit = _mean_fit(group.best, years)
    shape = "a completed S-curve" if fit["s_curve"] else "no completed S-curve"
    return (
        f"\n\nDiagnostic (no target): the share of firms at or below the start year's best "
        f"practice (the cleanest 10 %'s technology) goes {mean.iloc[0]:.2f} -> "
        f"{mean.iloc[-1]:.2f} by {mean.index[-1]}; logistic fit R² {fit['r2']:.3f}, "
        f"inflection {fit['inflection_year']:.0f}: {shape} by {years[1]}."
    )


# --- the command -----------------------------------------------------------------------


def facts(args: argparse.Namespace) -> int:
    """Run the ``facts`` subcommand: print the table (or JSON), write the figures.

    Errors (a missing file, no firm-level data, a window outside the runs' years, an
    unwritable figure folder) raise ``ValueError`` with one line naming the path or option
    and what is allowed; ``abm`` prints it and exits with status 2.
    """
    from abm import validation

    years = tuple(args.years)
    files, without = _run_files(args.path)
    if args.figures is not None:
        _figure_folder(args.figures)
    groups: dict[str, Group] = {}
    fewest = None  # firms in the smallest run
    for name, model_path, firm_file in files:
        run = _load(name, model_path, firm_file, years)
        size = int(run.firms.groupby("year").size().max())
        fewest = size if fewest is None else min(fewest, size)
        key = run.preset if args.by_preset else "all runs"
        label = f"preset {key}" if args.by_preset else args.path.name
        group = groups.setdefault(key, Group(label))
        _collect(group, run, years, args.figures is not None)
    if fewest is not None and (fewest < SPEC_FIRMS or len(files) < SPEC_RUNS):
        print(_scale_note(len(files), fewest), file=sys.stderr)
    if without:
        print(
            f"abm facts: note: {len(without)} run(s) without a firm file left out "
            f"(e.g. {without[0]})",
            file=sys.stderr,
        )
    out: list[dict] = []
    texts = []
    for key, group in groups.items():
        summary = validation.summarise(pd.DataFrame(group.values))
        preset = key if args.by_preset else None
        if args.json:
            out.extend(_json_rows(summary, preset, years))
        else:
            n = len(group.values)
            title = (
                f"Stylised facts of {args.path}{f', {group.label}' if preset else ''}, "
                f"{years[0]}-{years[1]}, {n} run{'s' if n > 1 else ''}"
            )
            texts.append(_table(summary, title) + _best_practice_line(group, years))
        if args.figures is not None:
            written = _figures(group, years, args.figures, preset)
            print("wrote " + ", ".join(str(p) for p in written), file=sys.stderr)
    if args.json:
        print(json.dumps(out, indent=2, allow_nan=False))
    else:
        print("\n\n".join(texts))
    return 0
