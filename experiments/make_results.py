"""Run the headline experiments and write docs/results.md with their figures and tables.

The headline experiments of ``experiments/`` (the factorial of the four promotion modes, at
the defaults and at the calibrated parameters drawn from their posterior, the carbon-price x
CBAM grid, the Sobol' sensitivity analysis) are run at a stated size, reported
with ``abm experiment report``, and summarised in one Markdown page with the figures copied
next to it::

    .venv/bin/python experiments/make_results.py                   # full size, all cores
    .venv/bin/python experiments/make_results.py --size small      # a quicker look
    .venv/bin/python experiments/make_results.py --size tiny --out /tmp/r --docs /tmp/d

``full`` is the experiment files as written (160 + 480 + 150 + 2,560 runs of 40 years with
500 firms); re-running resumes finished runs in ``--out`` (one directory per size). The
page states the size, the machine, the package version and the time each experiment took,
and repeats every warning of the reports (a design too small to read is flagged there too).
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from abm.experiments import Experiment

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

#: Overrides of the experiment files per size (``None``: as in the file).
SIZES: dict[str, dict | None] = {
    "full": None,
    "small": {"replicates": 3, "steps": 20, "n_firms": 200, "sample_size": 32},
    "tiny": {"replicates": 2, "steps": 2, "n_firms": 20, "sample_size": 4},
}


@dataclass(frozen=True)
class Headline:
    """One experiment of the page: its file, the reporters shown and the figures kept."""

    name: str
    title: str
    reporters: tuple[str, ...]
    figures: tuple[str, ...]
    #: replicates draw parameters (``[uncertainty]``) as well as seeds
    drawn: bool = False


HEADLINES = (
    Headline(
        "factorial_modes",
        "The four promotion modes (2^4 factorial)",
        ("upgrading_index", "emissions", "emission_intensity", "green_share", "exports"),
        (
            "effects_upgrading_index.png",
            "effects_emissions.png",
            "effects_green_share.png",
            "timeseries_emissions.png",
            "timeseries_upgrading_index.png",
        ),
    ),
    Headline(
        "factorial_calibrated",
        "The four modes at the calibrated parameters, with parameter uncertainty",
        ("upgrading_index", "emissions", "emission_intensity", "green_share", "exports"),
        ("effects_upgrading_index.png", "effects_emission_intensity.png"),
        drawn=True,
    ),
    Headline(
        "carbon_price",
        "Domestic carbon price x CBAM coverage (grid)",
        ("emissions", "export_emission_intensity", "green_share", "upgrading_index", "exports"),
        (
            "heatmap_emissions.png",
            "heatmap_export_emission_intensity.png",
            "heatmap_green_share.png",
            "heatmap_exports.png",
        ),
    ),
    Headline(
        "sensitivity",
        "Global sensitivity (Sobol' indices)",
        ("upgrading_index", "emissions", "emission_intensity", "green_share"),
        ("sobol_upgrading_index.png", "sobol_emissions.png", "sobol_green_share.png"),
    ),
)


def sized(exp: Experiment, size: str) -> Experiment:
    """The experiment at ``size`` (see :data:`SIZES`)."""
    over = SIZES[size]
    if over is None:
        return exp
    return exp.with_overrides(
        replicates=over["replicates"],
        steps=over["steps"],
        fixed={"n_firms": over["n_firms"]},
        sample_size=over["sample_size"] if exp.sampler is not None else None,
    )


def machine() -> str:
    """The machine and its load, in one line."""
    try:
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:  # pragma: no cover - platforms without load averages
        load = "n/a"
    return (
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} logical CPUs, "
        f"Python {platform.python_version()}; load average (1, 5, 15 min) at the end: {load}"
    )


def _table(frame: pd.DataFrame) -> str:
    """A Markdown table of ``frame`` (strings as they are)."""
    cols = list(frame.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for _, row in frame.iterrows():
        lines.append("| " + " | ".join(str(row[c]) for c in cols) + " |")
    return "\n".join(lines)


def _estimate(v: float, lo: float, hi: float, digits: int) -> str:
    from abm.analysis.labels import format_number

    if pd.isna(lo):
        return format_number(v, digits)
    return f"{format_number(v, digits)} [{format_number(lo, digits)}, {format_number(hi, digits)}]"


def _notes(report: Path) -> list[str]:
    head = (report / "summary.txt").read_text(encoding="utf-8").split("\n\n", 1)[0]
    return [line for line in head.splitlines() if line.startswith(("warning", "note"))]


def factorial_section(report: Path, headline: Headline) -> list[str]:
    """Main effects of the modes (final year) with intervals, and the largest per reporter."""
    from abm.analysis.labels import decimals_for, quantity

    eff = pd.read_csv(report / "effects.csv")
    main = eff[eff["order"] == 1]
    year = int(main["year"].iloc[0])
    rows, lines = [], []
    for r in headline.reporters:
        sub = main[main["reporter"] == r]
        if sub.empty:
            continue
        q = quantity(r)
        digits = decimals_for(sub["effect"].abs(), 3)
        row = {"reporter": f"{q.label} ({q.unit})" if q.unit else q.label}
        for _, e in sub.iterrows():
            row[e["term"]] = _estimate(e["effect"], e["ci_low"], e["ci_high"], digits)
        rows.append(row)
        top = sub.loc[sub["effect"].abs().idxmax()]
        clear = pd.notna(top["ci_low"]) and (top["ci_low"] > 0 or top["ci_high"] < 0)
        unit = "" if q.unit[:1].isdigit() else f" {q.unit}"  # "1-4": an index, no unit
        lines.append(
            f"- {q.label}: the largest main effect is **{top['term']}** "
            f"({_estimate(top['effect'], top['ci_low'], top['ci_high'], digits)}{unit}), "
            + ("its 95 % interval excludes 0." if clear else "its 95 % interval includes 0.")
        )
    return [
        f"Main effect of switching each mode on (mean change, averaged over the other modes) "
        f"in {year}, with its 95 % interval across replicates"
        + (" (seeds and posterior draws of the calibrated parameters):" if headline.drawn else ":"),
        "",
        _table(pd.DataFrame(rows)),
        "",
        *lines,
    ]


def grid_section(report: Path, headline: Headline) -> list[str]:
    """The corners of the grid: lowest and highest carbon price and CBAM coverage."""
    from abm.analysis.labels import decimals_for, quantity

    summary = pd.read_csv(report / "summary.csv")
    params = [c for c in ("carbon_price", "cbam_coverage") if c in summary.columns]
    if len(params) < 2:
        return []
    corners = summary[
        summary[params[0]].isin([summary[params[0]].min(), summary[params[0]].max()])
        & summary[params[1]].isin([summary[params[1]].min(), summary[params[1]].max()])
    ]
    table = corners[params].copy()
    table.columns = [_column(p) for p in params]
    for r in headline.reporters:
        if f"{r}_mean" not in corners.columns:
            continue
        q = quantity(r)
        digits = decimals_for(corners[f"{r}_mean"], 3)
        name = f"{q.label} ({q.unit})" if q.unit else q.label
        table[name] = [
            _estimate(m, lo, hi, digits)
            for m, lo, hi in zip(
                corners[f"{r}_mean"], corners[f"{r}_ci_low"], corners[f"{r}_ci_high"], strict=True
            )
        ]
    return [
        "Replicate mean and 95 % interval at the corners of the grid (the carbon price is the "
        "start year's):",
        "",
        _table(table),
    ]


def sobol_section(report: Path, headline: Headline) -> list[str]:
    """First-order and total Sobol' indices per parameter and reporter."""
    path = report / "sobol.csv"
    if not path.exists():
        return ["No Sobol' indices could be computed (see the warnings above)."]
    idx = pd.read_csv(path)
    out = ["First-order (S1) and total (ST) Sobol' indices, 95 % bootstrap half-widths:", ""]
    wide = idx.assign(
        value=[
            f"{s1:.2f} +- {c1:.2f} / {st:.2f} +- {ct:.2f}"
            for s1, c1, st, ct in zip(
                idx["S1"], idx["S1_conf"], idx["ST"], idx["ST_conf"], strict=True
            )
        ]
    ).pivot(index="parameter", columns="reporter", values="value")
    wide = wide[[r for r in headline.reporters if r in wide.columns]].reset_index()
    out.append(_table(wide.rename(columns=lambda c: c if c == "parameter" else f"{c}: S1 / ST")))
    return out


def _column(param: str) -> str:
    """``carbon_price (USD/t CO2)``: a parameter's name and unit for a table header."""
    from abm.analysis.labels import parameter_quantity

    unit = parameter_quantity(param).unit
    return f"{param} ({unit})" if unit else param


SECTIONS = {
    "factorial_modes": factorial_section,
    "factorial_calibrated": factorial_section,
    "carbon_price": grid_section,
    "sensitivity": sobol_section,
}


def run_one(
    headline: Headline, size: str, out: Path, workers: int | None, executor: str
) -> tuple[Experiment, Path, float, int]:
    """Run and report one experiment; return (experiment, report dir, seconds, runs that
    were already finished in ``out`` and resumed, not run)."""
    from abm.experiments import load_experiment, run_experiment
    from abm.experiments.report import write_report

    exp = sized(load_experiment(HERE / f"{headline.name}.toml"), size)
    started = time.perf_counter()
    summary = run_experiment(
        exp, out / headline.name, workers=workers, executor=executor, progress=True
    )
    seconds = time.perf_counter() - started
    report = out / headline.name / "report"
    recorded = exp.reporters
    shown = [r for r in headline.reporters if recorded is None or r in recorded]
    write_report(out / headline.name, reporters=shown, dest=report)
    return exp, report, seconds, summary.skipped


def _timing(seconds: float, resumed: int, total: int) -> str:
    """The wall time of an experiment, saying how many of its runs were resumed."""
    if resumed >= total:
        return f"all {total} runs resumed from an earlier run of this script (time not recorded)"
    if resumed:
        return f"{seconds:.0f} s of wall time for {total - resumed} runs ({resumed} resumed)"
    return f"{seconds:.0f} s of wall time"


def write_page(
    docs: Path,
    size: str,
    results: list[tuple[Headline, Experiment, Path, float, int]],
    command: str,
) -> Path:
    """Write ``docs/results.md`` and copy its figures to ``docs/results/``."""
    import abm

    figdir = docs / "results"
    figdir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# Results: the headline experiments",
        "",
        "Written by `experiments/make_results.py`; do not edit by hand. Re-run it to "
        "reproduce every number and figure below:",
        "",
        "```bash",
        command,
        "```",
        "",
        f"- size: **{size}**"
        + ("" if SIZES[size] is None else f" ({_size_text(size)}; not the experiment files)"),
        f"- package version {abm.__version__}, written {stamp}",
        f"- machine: {machine()}",
        "",
        "Levels are illustrative (the model's costs and intensities are orders of magnitude, "
        "see [ODD.md](ODD.md)); read the results as comparisons between modes and policies.",
        "",
        "How to read the figures: every axis names its quantity and unit (large values in "
        "thousands, millions or billions, said in the unit) and every title the statistic "
        "drawn. Effect bars are the mean change from switching a mode on, averaged over the "
        "other modes, with 95 % intervals across replicates as whiskers. Time-series panels "
        "show one design point each (mean and 95 % t interval across replicates) against the "
        "point with every mode off, dashed. Heatmap cells are replicate means in the last "
        "year. Sobol' S1 is the share of the output's variance a parameter explains alone, ST "
        "the share including its interactions. A design too small to read is flagged in red "
        "on its figures and in the warnings of its section.",
    ]
    for headline, exp, report, seconds, resumed in results:
        n_points = len(exp.points())
        lines += [
            "",
            f"## {headline.title}",
            "",
            f"`experiments/{headline.name}.toml` at size {size}: {n_points} points x "
            f"{exp.replicates} replicates, {exp.steps} years, "
            f"{exp.fixed.get('n_firms', 'default')} firms; "
            f"{_timing(seconds, resumed, n_points * exp.replicates)}.",
        ]
        notes = _notes(report)
        if notes:
            lines += ["", *[f"> - **{n.split(':', 1)[0]}**:{n.split(':', 1)[1]}" for n in notes]]
        lines += ["", *SECTIONS[headline.name](report, headline)]
        for fig in headline.figures:
            src = report / fig
            if not src.exists():
                continue
            dest = figdir / f"{headline.name}_{fig}"
            shutil.copyfile(src, dest)
            lines += ["", f"![{headline.name}: {fig[:-4]}](results/{dest.name})"]
    path = docs / "results.md"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _size_text(size: str) -> str:
    over = SIZES[size] or {}
    return (
        f"{over['replicates']} replicates, {over['steps']} years, {over['n_firms']} firms, "
        f"Sobol' base sample {over['sample_size']}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", choices=list(SIZES), default="full", help="default: full")
    parser.add_argument(
        "--out", help="results directory (default results/headline/<size>; finished runs resume)"
    )
    parser.add_argument("--docs", default=str(ROOT / "docs"), help="where results.md goes")
    parser.add_argument("--workers", type=int, help="worker processes (default: all cores)")
    parser.add_argument(
        "--executor", choices=("process", "serial", "dask"), default="process", help="runner"
    )
    args = parser.parse_args(argv)
    out = Path(args.out) if args.out else ROOT / "results" / "headline" / args.size
    results = []
    for headline in HEADLINES:
        print(f"{headline.name}: running at size {args.size}", file=sys.stderr)
        exp, report, seconds, resumed = run_one(
            headline, args.size, out, args.workers, args.executor
        )
        results.append((headline, exp, report, seconds, resumed))
    command = ".venv/bin/python experiments/make_results.py" + (
        "" if args.size == "full" else f" --size {args.size}"
    )
    path = write_page(Path(args.docs), args.size, results, command)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
