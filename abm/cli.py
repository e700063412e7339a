"""The ``abm`` command: run the model, list scenarios, serve the app, run experiments."""

from __future__ import annotations

import argparse
import importlib
import sys
import time
from pathlib import Path

#: Subcommands that live in their own modules: name -> module with ``register(subparsers)``.
PLUGINS = ("abm.app_server", "abm.experiments.cli", "abm.evaluation.cli")


def parse_value(text: str):
    """Turn a ``--set`` value into bool, int, float or str."""
    low = text.strip().lower()
    if low in ("true", "false"):
        return low == "true"
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def parse_sets(items: list[str]) -> dict:
    """Parse ``name=value`` pairs from ``--set``."""
    out = {}
    for item in items or []:
        if "=" not in item:
            raise ValueError(f"--set {item!r}: expected name=value")
        name, value = item.split("=", 1)
        out[name.strip()] = parse_value(value)
    return out


def run_model(scenario: str, steps: int, seed: int | None, params: dict, progress: bool = True):
    """Build and run one model for ``steps`` years with a progress bar; return the model."""
    from tqdm.auto import tqdm

    from abm import TradeClusterModel

    model = TradeClusterModel(scenario=scenario, rng=seed, **params)
    for _ in tqdm(
        range(steps),
        desc=f"{scenario} {model.n_firms} firms",
        unit="yr",
        disable=not progress,
        file=sys.stderr,
    ):
        model.step()
    return model


def run_metadata(model, seed: int | None) -> dict:
    """How a run was made: scenario, seed, every parameter and the package version."""
    from abm import __version__

    return {
        "scenario": model.scenario_name,
        "seed": seed,
        "parameters": dict(model.params),
        "abm_version": __version__,
    }


def write_frames(model, out: Path, metadata: dict | None = None) -> list[Path]:
    """Write the model frame to ``out`` and, when recorded, the firm frame beside it
    (``<stem>.firms.parquet``); ``metadata`` goes into both files (``DataFrame.attrs``)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    written = [out]
    frame = model.model_frame().reset_index()
    frame.attrs.update(metadata or {})
    frame.to_parquet(out, index=False)
    firms = model.firm_frame()
    if len(firms):
        path = out.with_name(out.stem + ".firms.parquet")
        firms.attrs.update(metadata or {})
        firms.to_parquet(path, index=False)
        written.append(path)
    return written


SUMMARY = (
    ("year", "year", "{:.0f}"),
    ("upgrading index (1..4)", "upgrading_index", "{:.3f}"),
    ("output shares LIB/RIB/TIB/DS", None, None),
    ("exports, USD m", "exports", "{:,.0f}"),
    ("exporter share", "exporter_share", "{:.1%}"),
    ("digital share", "digital_share", "{:.1%}"),
    ("green share", "green_share", "{:.1%}"),
    ("emissions, t CO2", "emissions", "{:,.0f}"),
    ("emission intensity, t/USD m", "emission_intensity", "{:.1f}"),
    ("export emission intensity, t/USD m", "export_emission_intensity", "{:.1f}"),
    ("carbon price, USD/t", "carbon_price", "{:.1f}"),
    ("carbon revenue, USD m", "carbon_revenue", "{:.1f}"),
    ("CBAM paid, USD m", "cbam_paid", "{:.1f}"),
    ("innovation index (0..100)", "innovation_index", "{:.1f}"),
)


def summary(frame) -> str:
    """A short text summary of the final year of a model frame."""
    last = frame.iloc[-1]
    lines = []
    for label, col, fmt in SUMMARY:
        if col is None:
            shares = "/".join(
                f"{last[f'output_share_{c}']:.1%}" for c in ("LIB", "RIB", "TIB", "DS")
            )
            lines.append(f"  {label:<36} {shares}")
        elif col in frame:
            lines.append(f"  {label:<36} {fmt.format(last[col])}")
    return "\n".join(lines)


def cmd_run(args) -> int:
    params = parse_sets(args.set)
    if args.n_firms is not None:
        params["n_firms"] = args.n_firms
    if args.steps < 0:
        raise ValueError(f"--steps: invalid value {args.steps}; allowed: 0 or more years")
    if not args.out.endswith(".parquet"):
        raise ValueError(f"--out: {args.out!r} must end in .parquet")
    seed = args.seed
    if seed is None:  # draw one, so that the run can be repeated
        import numpy as np

        seed = int(np.random.SeedSequence().generate_state(1)[0])
    t0 = time.perf_counter()
    model = run_model(args.scenario, args.steps, seed, params, progress=not args.quiet)
    elapsed = time.perf_counter() - t0
    written = write_frames(model, Path(args.out), run_metadata(model, seed))
    frame = model.model_frame()
    print(
        f"scenario {args.scenario}, seed {seed}, {model.n_firms} firms, "
        f"{args.steps} years in {elapsed:.1f} s"
    )
    print(summary(frame))
    print("wrote " + ", ".join(str(p) for p in written))
    return 0


def cmd_scenarios(args) -> int:
    from abm.params import PARAMETERS
    from abm.scenarios import DESCRIPTIONS, SCENARIOS

    for name, values in SCENARIOS.items():
        print(f"{name}: {DESCRIPTIONS[name]}")
        for k, v in values.items():
            print(f"    {k} = {v!r}  (default {PARAMETERS[k].default!r})")
    print("Combine presets with '+', e.g. --scenario technology+policy.")
    return 0


def cmd_params(args) -> int:
    from abm.params import PARAMETERS

    for p in PARAMETERS.values():
        unit = f" [{p.unit}]" if p.unit else ""
        print(f"{p.name} = {p.default!r}{unit}: {p.doc} Allowed: {p.allowed()}.")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    parser = argparse.ArgumentParser(prog="abm", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser(
        "run",
        help="run one model and write its frames as Parquet",
        description="Run one model and write its model and firm frames as Parquet.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    run.add_argument("--scenario", default="baseline", help="preset name, or names joined by +")
    run.add_argument("--steps", type=int, default=40, help="years to simulate (default 40)")
    run.add_argument(
        "--seed", type=int, default=None, help="seed of the model's generator (default: drawn)"
    )
    run.add_argument("--out", default="run.parquet", help="model frame Parquet file")
    run.add_argument("--n-firms", type=int, default=None, help="shortcut for --set n_firms=N")
    run.add_argument(
        "--set",
        action="append",
        metavar="NAME=VALUE",
        help="override a parameter (repeatable); see 'abm params'",
    )
    run.add_argument("--quiet", action="store_true", help="no progress bar")
    run.set_defaults(func=cmd_run)

    sub.add_parser("scenarios", help="list scenario presets and what they change").set_defaults(
        func=cmd_scenarios
    )
    sub.add_parser(
        "params", help="list every parameter with default, unit and bounds"
    ).set_defaults(func=cmd_params)

    for name in PLUGINS:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name and name.startswith(exc.name):
                continue
            raise
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``abm`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (ValueError, FileNotFoundError) as exc:
        print(f"abm {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
