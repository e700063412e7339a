"""``abm calibrate TARGETS`` and ``abm validate``."""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from pathlib import Path

from abm.cli import seed_value
from abm.experiments.cli import add_executor_arguments, positive_int

DEFAULT_TARGETS = "experiments/targets.toml"


def _err(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def cmd_calibrate(args: argparse.Namespace) -> int:
    """Load and check the targets (nothing is written if they are malformed), calibrate."""
    from abm.extras import require

    require("calibration")  # pyabc and the figures' matplotlib, before anything is read
    from abm.calibration.calibrate import calibrate, default_population
    from abm.calibration.targets import load_targets

    targets = load_targets(args.targets)
    if args.scheduler is not None and args.executor != "dask":
        raise ValueError("--scheduler needs --executor dask")
    if args.budget < 2:
        raise ValueError(f"--budget: invalid value {args.budget}; allowed: an integer >= 2")
    out = Path(args.out) if args.out else Path("results") / "calibration" / targets.name
    workers = args.workers or os.cpu_count() or 1
    seeds = args.seeds or targets.seeds
    pop = args.population or default_population(args.budget)
    print(
        f"calibrating {len(targets.free)} parameters ({', '.join(p.name for p in targets.free)}) "
        f"on {len(targets.fitted)} moments ({len(targets.holdout)} hold-out); budget "
        f"{args.budget} points x {seeds} seeds, {pop} particles per generation, "
        f"{targets.steps} years; {args.executor} executor"
        + ("" if args.executor == "serial" or args.scheduler else f", {workers} workers")
        + f" -> {out}",
        flush=True,
    )
    try:
        result = calibrate(
            targets,
            out,
            budget=args.budget,
            seeds=args.seeds,
            seed=args.seed,
            population=args.population,
            workers=workers,
            executor=args.executor,
            scheduler=args.scheduler,
            progress=not args.quiet,
            log=_err,
        )
    except KeyboardInterrupt:
        _err(
            f"interrupted: finished simulations are kept in {out}; run the same command again "
            "to resume"
        )
        return 130
    print(result)
    for name, post in result.posterior.items():
        print(
            f"  {name}: best {result.best[name]:.4g}; posterior median {post['median']:.4g}, "
            f"95 % interval [{post['low']:.4g}, {post['high']:.4g}] "
            f"(prior [{post['prior_low']:.4g}, {post['prior_high']:.4g}])"
        )
    for path in result.files:
        print(f"wrote {path}")
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    """Run the model with several seeds and print the model-versus-data table."""
    from abm.calibration.targets import load_targets
    from abm.calibration.validate import format_table, load_params, share_inside, validate

    if args.targets == DEFAULT_TARGETS and not Path(DEFAULT_TARGETS).is_file():
        raise FileNotFoundError(
            f"targets file not found: {DEFAULT_TARGETS} (relative to the current directory; "
            "it ships with the project's source, not the installed package); allowed: run "
            "from the project's directory or pass --targets FILE"
        )
    targets = load_targets(args.targets)
    params = load_params(args.params) if args.params else {}
    executor = "serial" if args.workers == 1 else "process"
    rows = validate(
        targets,
        params=params,
        seeds=args.seeds,
        preset=args.preset,
        workers=args.workers,
        executor=executor,
    )
    if args.json:
        clean = [
            {
                k: (None if isinstance(v, float) and not math.isfinite(v) else v)
                for k, v in r.items()
            }
            for r in rows
        ]
        print(json.dumps(clean, indent=1))
        return 0
    n_in, n = share_inside(rows)
    preset = args.preset or targets.preset
    extra = f", parameters from {args.params}" if args.params else ""
    print(f"{targets.path}: preset {preset}{extra}, {args.seeds} seeds, {targets.steps} years")
    print(format_table(rows))
    return 0 if n else 1


def register(subparsers) -> None:
    """Add ``calibrate`` and ``validate`` to the ``abm`` command."""
    cal = subparsers.add_parser(
        "calibrate",
        help="calibrate free parameters to the moments of a targets file (ABC-SMC, pyabc)",
        description="Calibrate the free parameters of a targets file (TOML) to its weighted "
        "moments by ABC-SMC with a method-of-simulated-moments distance, with several seeds "
        "per point. Finished simulations are kept in OUT/sims, so running the same command "
        "again after an interruption does not redo them.",
    )
    cal.add_argument("targets", help="targets file (TOML), e.g. experiments/targets.toml")
    cal.add_argument(
        "--budget", type=positive_int, required=True, help="parameter points to evaluate"
    )
    cal.add_argument(
        "--seeds", type=positive_int, help="simulations per point (default: the file's seeds)"
    )
    cal.add_argument(
        "--seed", type=seed_value, help="seed of the ABC-SMC draws (default: the file's base_seed)"
    )
    cal.add_argument(
        "--population", type=positive_int, help="particles per generation (default: budget / 4)"
    )
    cal.add_argument("--out", help="output directory (default results/calibration/<targets name>)")
    add_executor_arguments(cal)
    cal.add_argument("--quiet", action="store_true", help="no progress bar")
    cal.set_defaults(func=cmd_calibrate)

    val = subparsers.add_parser(
        "validate",
        help="run the model and print the model-versus-data table of a targets file",
        description="Run the model with several seeds and compare every moment of the "
        "targets file with its observed value and interval; hold-out moments are marked.",
    )
    val.add_argument(
        "--targets",
        default=DEFAULT_TARGETS,
        help="targets file (default: %(default)s, relative to the current directory)",
    )
    val.add_argument("--preset", help="preset (default: the targets file's)")
    val.add_argument("--params", help="TOML file of parameter values, e.g. OUT/best_params.toml")
    val.add_argument("--seeds", type=positive_int, default=10, help="seeds (default: 10)")
    val.add_argument(
        "--workers", type=positive_int, default=1, help="worker processes (default: 1, serial)"
    )
    val.add_argument("--json", action="store_true", help="print the table as JSON")
    val.set_defaults(func=cmd_validate)
