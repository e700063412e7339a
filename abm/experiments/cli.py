"""``abm experiment run FILE`` and ``abm experiment report DIR``."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


def positive_int(text: str) -> int:
    """An argparse type: an integer >= 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"invalid value {text!r}; allowed: an integer >= 1"
        ) from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"invalid value {text!r}; allowed: an integer >= 1")
    return value


def add_executor_arguments(parser: argparse.ArgumentParser) -> None:
    """``--workers``, ``--executor`` and ``--scheduler``: where a command's runs go (the
    sweeps of ``abm experiment run`` and the simulations of ``abm calibrate``)."""
    parser.add_argument(
        "--workers", type=positive_int, help="worker processes (default: all cores)"
    )
    parser.add_argument(
        "--executor",
        choices=("process", "dask", "serial"),
        default="process",
        help="process pool (default), dask.distributed, or serial in this process",
    )
    parser.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="a running Dask scheduler (with --executor dask): its address, e.g. "
        "tcp://10.0.0.5:8786, or its scheduler file",
    )


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value <= 86400:
        raise argparse.ArgumentTypeError(
            f"invalid value {text!r}; allowed: a number of seconds in (0, 86400]"
        )
    return value


def _steps(text: str) -> int:
    from abm.experiments.spec import MAX_STEPS

    value = positive_int(text)
    if value > MAX_STEPS:
        raise argparse.ArgumentTypeError(
            f"invalid value {text!r}; allowed: an integer in [1, {MAX_STEPS}]"
        )
    return value


def _err(text: str) -> None:
    """A notice on stderr, above the progress bar if one is showing (a local Dask cluster's
    dashboard is reached while the sweep's first runs run)."""
    from tqdm import tqdm

    tqdm.write(text, file=sys.stderr)
    sys.stderr.flush()


def cmd_run(args) -> int:
    from abm.extras import require

    require("experiments")  # before the file is read or anything is written
    from abm.experiments.runner import run_experiment
    from abm.experiments.spec import MAX_RUNS, describe

    max_runs = None if args.allow_large else MAX_RUNS
    exp = _experiment(args, max_runs)
    if args.scheduler is not None and args.executor != "dask":
        raise ValueError("--scheduler needs --executor dask")
    out = Path(args.out) if args.out is not None else Path("results") / exp.name
    if args.out is not None and not args.out.strip():
        raise ValueError("--out: invalid value ''; allowed: a directory path")
    print(describe(exp), flush=True)
    if args.dry_run:
        print(f"dry run: nothing written (would write to {out})")
        return 0
    try:
        summary = run_experiment(
            exp,
            out,
            workers=args.workers,
            executor=args.executor,
            scheduler=args.scheduler,
            progress=not args.quiet,
            max_runs=max_runs,
            worker_timeout=args.worker_timeout,
            log=_err,
            on_start=lambda: print(f"running on {_executor_text(args)} -> {out}", flush=True),
        )
    except KeyboardInterrupt:
        print(
            f"interrupted: finished runs are kept in {out}; run the same command again to resume",
            file=sys.stderr,
        )
        return 130
    print(summary)
    return _report_outcome(summary, out)


def _experiment(args, max_runs: int | None):
    """The experiment file with the command line's overrides, its size checked."""
    from abm.cli import parse_sets
    from abm.experiments.spec import load_experiment

    exp = load_experiment(args.file, max_runs=max_runs)
    try:
        sets = parse_sets(args.set)
    except ValueError as exc:
        raise ValueError(f"{args.file}: {exc}") from None
    exp = exp.with_overrides(
        replicates=args.replicates,
        steps=args.steps,
        base_seed=args.base_seed,
        fixed=sets,
        sample_size=args.sample_size,
        firm_data=True if args.firm_data else None,
    )
    exp.check_size(max_runs)
    return exp


def _executor_text(args) -> str:
    """Where the runs go, in words: the executor and its workers."""
    workers = args.workers or os.cpu_count() or 1
    count = f"{workers} worker" + ("" if workers == 1 else "s")
    if args.executor == "dask":
        where = f"Dask scheduler {args.scheduler}" if args.scheduler else "a local Dask cluster"
        return where + ("" if args.scheduler else f" ({count})")
    if args.executor == "process":
        return f"a process pool ({count})"
    return "this process"


def _report_outcome(summary, out: Path) -> int:
    """Notes on runs of other versions and failed runs on stderr; the exit status."""
    if summary.other_versions:
        print(
            "note: some finished runs were made with abm "
            + ", ".join(summary.other_versions)
            + "; delete the directory to rerun them with this version",
            file=sys.stderr,
        )
    if not summary.failed:
        return 0
    n = len(summary.failed)
    print(f"{n} run{'s' * (n != 1)} failed:", file=sys.stderr)
    for rid, err in list(summary.failed.items())[:20]:
        print(f"  {rid}: {err}", file=sys.stderr)
    if n > 20:
        print(f"  ... and {n - 20} more", file=sys.stderr)
    print(
        f"tracebacks are in {out / 'manifest.jsonl'}; run the same command again to "
        "retry the failed runs",
        file=sys.stderr,
    )
    return 1


def cmd_report(args) -> int:
    from abm.extras import require

    require("experiments")
    from abm.experiments.report import write_report
    from abm.experiments.runner import describe_left_out, left_out

    written = write_report(args.dir, reporters=args.reporter, year=args.year, dest=args.dest)
    summary = next(p for p in written if p.name == "summary.txt")
    head = summary.read_text(encoding="utf-8").split("\n\n", 1)[0]  # header and notes
    print(head)
    note = describe_left_out(left_out(args.dir))
    if note and "left out" not in head:
        print(note)
    for path in written:
        print(f"wrote {path}")
    return 0


def cmd_export(args) -> int:
    from abm.experiments.runner import describe_left_out, export_results

    n, reasons = export_results(args.dir, args.out, firms=args.firms)
    rows = "firm" if args.firms else "model"
    print(f"wrote {args.out}: {rows} rows of {n} run{'s' * (n != 1)}")
    note = describe_left_out(reasons)
    if note:
        print(note)
    return 0


def register(subparsers) -> None:
    """Add ``experiment run`` and ``experiment report`` to the ``abm`` command."""
    exp = subparsers.add_parser(
        "experiment",
        help="run sweeps from experiment files and report their results",
        description="Run experiment files (TOML, see docs/experiments.md) and report results.",
    )
    sub = exp.add_subparsers(dest="experiment_command", required=True)

    run = sub.add_parser(
        "run",
        help="run every (point, replicate) of an experiment file; resumable",
        description="Run every (point, replicate) of an experiment file. Finished runs in "
        "--out are skipped, so running the same command again resumes a stopped sweep.",
    )
    run.add_argument("file", help="experiment file (TOML)")
    run.add_argument("--out", help="output directory (default results/<experiment name>)")
    add_executor_arguments(run)
    run.add_argument("--replicates", type=positive_int, help="override the number of replicates")
    run.add_argument("--steps", type=_steps, help="override the number of years (at most 1000)")
    run.add_argument("--base-seed", type=int, help="override the base seed")
    run.add_argument("--sample-size", type=positive_int, help="override the sampler's n")
    run.add_argument(
        "--set",
        action="append",
        metavar="NAME=VALUE",
        help="override a fixed parameter (repeatable), e.g. --set n_firms=100",
    )
    run.add_argument(
        "--firm-data", action="store_true", help="keep the firm frame of every run (large)"
    )
    run.add_argument(
        "--worker-timeout",
        type=_seconds,
        default=120.0,
        metavar="SECONDS",
        help="with --scheduler: how long to wait for a first worker (default 120)",
    )
    run.add_argument(
        "--allow-large",
        action="store_true",
        help="run designs of more than 100,000 runs (refused otherwise)",
    )
    run.add_argument("--dry-run", action="store_true", help="validate and count runs only")
    run.add_argument("--quiet", action="store_true", help="no progress bar")
    run.set_defaults(func=cmd_run)

    rep = sub.add_parser(
        "report",
        help="write figures (PNG) and summary tables of a results directory",
        description="Write figures and summary tables of a results directory to DIR/report.",
    )
    rep.add_argument("dir", help="results directory of 'abm experiment run'")
    rep.add_argument(
        "--reporter",
        action="append",
        help="reporter to show (repeatable; default: upgrading_index, emissions, ...)",
    )
    rep.add_argument("--year", type=int, help="year of the tables (default: the last)")
    rep.add_argument("--dest", help="where to write (default DIR/report)")
    rep.set_defaults(func=cmd_report)

    exp_ = sub.add_parser(
        "export",
        help="write every finished run of a results directory into one tidy Parquet file",
        description="Write the model rows (or firm rows) of every finished run of a results "
        "directory into one Parquet file, with run ids, seeds, presets and swept values.",
    )
    exp_.add_argument("dir", help="results directory of 'abm experiment run'")
    exp_.add_argument("--out", required=True, help="the Parquet file to write")
    exp_.add_argument("--firms", action="store_true", help="export the firm rows instead")
    exp_.set_defaults(func=cmd_export)
