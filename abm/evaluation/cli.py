"""``abm evaluate RUN.parquet``: print the innovation index breakdown of a run."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, NoReturn

import pandas as pd

from abm.parquet_read import read_frame

from .index import RUN_COLUMNS, score_run
from .system import IndicatorSystem

__all__ = ["evaluate", "register"]


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``evaluate`` subcommand to an argparse subparsers object.

    Parameters
    ----------
    subparsers : argparse._SubParsersAction
        As returned by ``ArgumentParser.add_subparsers()``.

    Returns
    -------
    argparse.ArgumentParser
        The subcommand's parser (its ``func`` default is :func:`evaluate`).
    """
    parser = subparsers.add_parser(
        "evaluate",
        help="print the low-carbon innovation performance index of a run",
        description=(
            "Score a model run (Parquet file written by 'abm run') with the low-carbon "
            "innovation performance index and print its breakdown for one step."
        ),
    )
    parser.add_argument("run", type=Path, metavar="RUN.parquet", help="model run data")
    parser.add_argument(
        "--system", type=Path, metavar="FILE", help="indicator system TOML (default: built in)"
    )
    parser.add_argument("--step", type=int, metavar="N", help="step to show (default: the last)")
    parser.add_argument("--run-id", metavar="ID", help="run to show when the file holds several")
    parser.set_defaults(func=evaluate)
    return parser


def _fail(message: str) -> NoReturn:
    print(f"abm evaluate: error: {message}", file=sys.stderr)
    raise SystemExit(2)


def _number(value: float) -> str:
    if pd.isna(value):
        return "n/a"
    magnitude = abs(value)
    if magnitude == 0 or 0.01 <= magnitude < 1e5:
        return f"{value:.4g}" if magnitude < 1 else f"{value:,.2f}"
    return f"{value:.3e}"


def evaluate(args: argparse.Namespace) -> int:
    """Run the ``evaluate`` subcommand; print the breakdown to stdout.

    Errors (unreadable file, bad indicator system, missing reporters, unknown
    step or run) print one line on stderr and exit with status 2.
    """
    system = _system(args.system)
    frame = _read_run(args.run)
    frame, note = _chosen_run(frame, args.run_id, args.run)
    _check_numeric(frame, ["Step", "year", *system.required_reporters], args.run)
    try:
        scored = score_run(frame, system, include_values=True)
    except ValueError as exc:
        _fail(f"{args.run}: {exc}")
    if scored.empty:
        _fail(f"{args.run}: no rows")
    row, step = _row_at_step(scored, args.step, args.run)
    print(_report(system, row, args.run, step, note))
    return 0


def _system(path: Path | None) -> IndicatorSystem:
    """The indicator system of ``--system``, or the built-in one."""
    try:
        return IndicatorSystem.from_toml(path) if path else IndicatorSystem.default()
    except ValueError as exc:
        _fail(str(exc))


def _read_run(path: Path) -> pd.DataFrame:
    """The run's model frame, with ``Step`` as a column."""
    if not Path(path).is_file():
        _fail(f"no such file: {path}")
    try:
        frame = read_frame(path)
    except (OSError, ValueError, ImportError) as exc:  # pyarrow errors derive from these
        _fail(
            f"cannot read {path} as Parquet ({exc}); allowed: a run's model file written by "
            "abm run or an experiment's results"
        )
    if "Step" not in frame.columns and frame.index.name == "Step":
        frame = frame.reset_index()
    return frame


def _chosen_run(frame: pd.DataFrame, run_id: str | None, path: Path) -> tuple[pd.DataFrame, str]:
    """The rows of the run ``--run-id`` names (default: the first) and a note saying which."""
    run_column = next((c for c in RUN_COLUMNS if c in frame.columns), None)
    if run_column is None:
        if run_id is not None:
            _fail(f"--run-id {run_id}: {path} holds a single run (no run ids)")
        return frame, ""
    note = ""
    runs = list(pd.unique(frame[run_column]))
    if run_id is not None:
        chosen = [r for r in runs if str(r) == run_id]
        if not chosen:
            _fail(f"no run {run_id!r} in {path}; runs are {runs[:10]}")
        run = chosen[0]
    else:
        run = runs[0] if runs else None
        if len(runs) > 1:
            note = f" (first of {len(runs)} runs; choose one with --run-id)"
    return frame[frame[run_column] == run], f", {run_column} {run}" + note


def _row_at_step(scored: pd.DataFrame, step: int | None, path: Path) -> tuple[pd.Series, int]:
    """The scored row of ``step`` (default: the last step) and the step."""
    steps = scored["Step"] if "Step" in scored.columns else pd.Series(range(len(scored)))
    steps = steps.to_numpy()
    step = int(steps.max()) if step is None else step
    rows = [i for i, s in enumerate(steps) if s == step]
    if not rows:
        _fail(f"no step {step} in {path}; steps run {int(steps.min())}..{int(steps.max())}")
    return scored.iloc[rows[-1]], step


def _check_numeric(frame: pd.DataFrame, columns: list[str], path: Path) -> None:
    """Stop with one line at the first of ``columns`` (those present) that is not numeric."""
    for column in dict.fromkeys(columns):
        if column in frame.columns and not pd.api.types.is_numeric_dtype(frame[column]):
            values = frame[column].dropna()
            example = f", e.g. {values.iloc[0]!r}" if len(values) else ""
            _fail(
                f"{path}: column {column!r} holds {frame[column].dtype} values{example}; "
                "allowed: numbers (the model frame that 'abm run' writes)"
            )


def _report(system: IndicatorSystem, row: pd.Series, path: Path, step: int, note: str) -> str:
    year = f" (year {int(row['year'])})" if "year" in row and pd.notna(row["year"]) else ""
    width = 36
    lines = [
        f"Low-carbon innovation performance index: {path.name}, step {step}{year}{note}",
        f"{'':{width}} {'value':>12}  {'unit':<30} {'score':>6} {'weight':>7}",
        f"{'Innovation index':{width}} {'':>12}  {'':<30} {row['innovation_index']:6.1f} {1:7.3f}",
    ]
    goal = system.local_weights["goal"]
    for side, side_label in system.sides.items():
        lines.append(
            f"  {side_label:{width - 2}} {'':>12}  {'':<30} {row[f'{side}_score']:6.1f} "
            f"{goal[side]:7.3f}"
        )
        for group, _ in system.local_weights[side].items():
            dim = group.split("/", 1)[1]
            members = [i for i in system.indicators if i.side == side and i.dimension == dim]
            dim_weight = sum(system.weights[i.name] for i in members)
            dim_score = sum(system.weights[i.name] * row[f"score_{i.name}"] for i in members)
            label = system.dimensions[dim]
            lines.append(
                f"    {label:{width - 4}} {'':>12}  {'':<30} {dim_score / dim_weight:6.1f} "
                f"{dim_weight:7.3f}"
            )
            for indicator in members:
                lines.append(
                    f"      {indicator.label:{width - 6}} "
                    f"{_number(row[f'value_{indicator.name}']):>12}  {indicator.unit:<30.30} "
                    f"{row[f'score_{indicator.name}']:6.1f} {system.weights[indicator.name]:7.3f}"
                )
    lines.append("Dimensions across both sides:")
    for dim in system.used_dimensions:
        lines.append(
            f"  {system.dimensions[dim]:{width - 2}} {'':>12}  {'':<30} {row[f'dim_{dim}']:6.1f}"
        )
    lines.append(
        f"Scores 0-100; values smoothed over {system.smoothing_years} years; weights are global "
        f"AHP weights; system: {system.origin}"
    )
    return "\n".join(lines)
