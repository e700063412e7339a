"""The ``abm`` command: run the model, list scenarios, serve the app, run experiments."""

from __future__ import annotations

import argparse
import contextlib
import errno
import importlib
import os
import re
import secrets
import signal
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

if TYPE_CHECKING:
    import pandas as pd

    from abm.extras import MissingExtra
    from abm.model import TradeClusterModel

#: Subcommands that live in their own modules: name -> module with ``register(subparsers)``.
PLUGINS = (
    "abm.app_server",
    "abm.experiments.cli",
    "abm.evaluation.cli",
    "abm.calibration.cli",
    "abm.facts_cli",
)


def parse_value(text: str) -> bool | int | float | str:
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


def build_model(scenario: str, seed: int | None, params: dict) -> TradeClusterModel:
    """Build one model of preset ``scenario`` (names joined by ``+``) with ``params``."""
    from abm import TradeClusterModel
    from abm.allocator import LARGE_RUN_FIRMS, tune_for_large_runs

    n = params.get("n_firms")
    n = n if isinstance(n, int) else 0  # the model checks the value itself
    tune_for_large_runs(n)
    if n >= LARGE_RUN_FIRMS:
        print(f"building {n:,} firms and settling the start-year markets...", file=sys.stderr)
    return TradeClusterModel(preset=scenario, rng=seed, **params)


def simulate(model: TradeClusterModel, steps: int, progress: bool = True) -> TradeClusterModel:
    """Step ``model`` ``steps`` years with a progress bar on stderr; return it."""
    from abm.progress import progress_bar

    for _ in progress_bar(
        range(steps), desc=f"{model.preset} {model.n_firms} firms", unit="yr", enabled=progress
    ):
        model.step()
    return model


def run_metadata(model: TradeClusterModel, seed: int | None) -> dict:
    """How a run was made: scenario, seed, every parameter and the package version.

    ``n_firms`` is the model's real count (a graph file sets it, not the parameter).
    """
    from abm import __version__

    parameters = dict(model.params)
    parameters["n_firms"] = int(model.n_firms)
    return {
        "scenario": model.preset,
        "seed": seed,
        "parameters": parameters,
        "abm_version": __version__,
    }


def firm_path(out: Path) -> Path:
    """The firm file written beside the model file ``out``: ``<stem>.firms.parquet``."""
    return out.with_name(out.stem + ".firms.parquet")


class CannotWrite(ValueError):
    """An output file cannot be written; the message is ``cannot write <path>: <reason>``."""

    def __init__(self, path: Path, reason: str):
        super().__init__(f"cannot write {path}: {reason}")
        self.path = path


def _reason(exc: OSError) -> str:
    """The one-line reason of an OS error (pyarrow's carry the errno in their text)."""
    if isinstance(exc.errno, int):
        return os.strerror(exc.errno)
    code = re.search(r"\[errno (\d+)\]", str(exc), re.IGNORECASE)
    if code is not None:
        return os.strerror(int(code.group(1)))
    return " ".join(str(exc).split()) or type(exc).__name__


class RunOutput:
    """The files of one run, checked before it and replaced only when it is complete.

    :meth:`check` (no side effects) refuses an existing model or firm file unless
    ``force``; :meth:`prepare` creates missing folders and a temporary file beside each
    target, so that the folder's writability and the names are known before the
    simulation; :meth:`write` writes into the temporary files and :meth:`commit` renames
    them over the targets (and removes a firm file of an earlier run when this run records
    no firm data). :meth:`discard` removes whatever is left, including folders it made,
    so that a failed or interrupted run leaves nothing behind. Every OS error becomes a
    :class:`CannotWrite`.
    """

    def __init__(self, out: Path, force: bool = False):
        self.out = Path(out)
        self.firms = firm_path(self.out)
        self.force = force
        self.firm_data = True
        self._temps: dict[Path, Path] = {}
        self._made: list[Path] = []
        self._committed = False

    def check(self) -> None:
        """Refuse targets that are folders, not regular files, or exist without ``force``."""
        for path in (self.out, self.firms):
            if os.path.isdir(path):
                raise CannotWrite(path, os.strerror(errno.EISDIR))
            if not os.path.lexists(path):
                continue
            if not os.path.isfile(path):
                raise CannotWrite(path, "not a regular file")
            if not self.force:
                raise CannotWrite(path, "file exists; pass --force to replace it")

    def prepare(self, firm_data: bool = True) -> None:
        """Make the folder and a temporary file per target; try each new target's name."""
        self.check()
        self.firm_data = firm_data
        self._make_folder(self.out)
        for path in (self.out, self.firms) if firm_data else (self.out,):
            try:
                if not os.path.lexists(path):  # try the name itself (length, characters)
                    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
                    os.unlink(path)
                temp = path.with_name(f".{secrets.token_hex(6)}.abm-run.tmp")
                os.close(os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
            except OSError as exc:
                raise CannotWrite(path, _reason(exc)) from None
            self._temps[path] = temp

    def _make_folder(self, out: Path) -> None:
        missing = []
        folder = out.parent
        while not os.path.isdir(folder):
            if os.path.lexists(folder):
                raise CannotWrite(out, f"{folder} is not a directory")
            missing.append(folder)
            folder = folder.parent
        for folder in reversed(missing):
            try:
                os.mkdir(folder)
            except OSError as exc:
                raise CannotWrite(out, _reason(exc)) from None
            self._made.append(folder)

    def temporary(self, path: Path) -> Path:
        """The temporary file :meth:`prepare` made for the target ``path``."""
        return self._temps[path]

    def write(self, model_frame: pd.DataFrame, firm_frame: pd.DataFrame | None = None) -> None:
        """Write the frames into the temporary files and flush them to disk (without a
        firm frame, the firm file's temporary file is left as it is: written as the run
        went)."""
        frames = [(self.out, model_frame)]
        if self.firm_data and firm_frame is not None:
            frames.append((self.firms, firm_frame))
        for path, frame in frames:
            try:
                frame.to_parquet(self._temps[path], index=False)
            except OSError as exc:
                raise CannotWrite(path, _reason(exc)) from None
            self.sync(path)

    def sync(self, path: Path) -> None:
        """Flush the temporary file of the target ``path`` to disk."""
        try:
            fd = os.open(self._temps[path], os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as exc:
            raise CannotWrite(path, _reason(exc)) from None

    def commit(self) -> list[Path]:
        """Rename the written files over their targets; return the targets written."""
        if self.firm_data:
            self._rename(self.firms)
        elif os.path.lexists(self.firms):  # an earlier run's firm file, not this run's
            try:
                os.unlink(self.firms)
            except OSError as exc:
                raise CannotWrite(self.firms, f"cannot remove it: {_reason(exc)}") from None
        self._rename(self.out)
        return [self.out, self.firms] if self.firm_data else [self.out]

    def _rename(self, path: Path) -> None:
        try:
            os.replace(self._temps[path], path)
        except OSError as exc:
            raise CannotWrite(path, _reason(exc)) from None
        del self._temps[path]
        self._committed = True

    def discard(self) -> None:
        """Remove the temporary files left and, when nothing was written, the new folders."""
        for temp in self._temps.values():
            with contextlib.suppress(OSError):
                os.unlink(temp)
        self._temps.clear()
        if not self._committed:
            for folder in reversed(self._made):
                try:
                    os.rmdir(folder)
                except OSError:
                    break
        self._made.clear()


def write_frames(
    model: TradeClusterModel, out: Path, metadata: dict | None = None, force: bool = True
) -> list[Path]:
    """Write the model frame to ``out`` and, when recorded, the firm frame beside it
    (``<stem>.firms.parquet``), atomically; ``metadata`` goes into both files
    (``DataFrame.attrs``). Return the paths written."""
    output = RunOutput(Path(out), force=force)
    try:
        output.prepare(bool(model.params.firm_data))
        output.write(*_frames(model, metadata))
        return output.commit()
    finally:
        output.discard()


def _simulate_writing_firms(
    model: TradeClusterModel, steps: int, output: RunOutput, metadata: dict, progress: bool
) -> None:
    """Simulate ``steps`` years; with firm data on, each year's firm records go to the
    firm file's temporary file as they are collected (memory stays flat)."""
    from abm.firm_records import FirmRecordWriter

    if not model.params.firm_data:
        simulate(model, steps, progress=progress)
        return
    writer = FirmRecordWriter(output.temporary(output.firms), model.params.start_year, metadata)
    try:
        model.datacollector.stream_firms(writer)
        simulate(model, steps, progress=progress)
        writer.close()
        output.sync(output.firms)
    except OSError as exc:
        raise CannotWrite(output.firms, _reason(exc)) from None
    finally:
        writer.abort()  # after a failure (or an interrupt) the file is let go of


def _model_frame(model: TradeClusterModel, metadata: dict | None) -> pd.DataFrame:
    """The model frame as written, ``Step`` a column and ``metadata`` its attrs."""
    frame = model.model_frame().reset_index()
    frame.attrs.update(metadata or {})
    return frame


def _frames(model: TradeClusterModel, metadata: dict | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    frame = _model_frame(model, metadata)
    firms = model.firm_frame()
    firms.attrs.update(metadata or {})
    return frame, firms


SUMMARY = (
    ("year", "year", "{:.0f}"),
    ("upgrading index (1..4)", "upgrading_index", "{:.3f}"),
    ("rise: own mixes/firm growth/turnover", None, None),
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
    ("CBAM paid, USD m", "cbam_paid", "{:.3g}"),
    ("exports EU / UK / ROW, USD m", None, None),
    ("CBAM diversion (change since start)", "cbam_diversion", "{:+.3f}"),
    ("innovation index (0..100)", "innovation_index", "{:.1f}"),
)


def _rise_by_source(frame: pd.DataFrame) -> str:
    """The upgrading index's change since the start year from firms' own mixes (within and
    cross terms), the growth of firms (between) and entry and exit, and in all."""
    from abm.decomposition import SOURCES, accumulated

    parts = [accumulated(frame, terms)[-1] for terms in SOURCES]
    return " / ".join(f"{x:+.3f}" for x in parts) + f" of {sum(parts):+.3f}"


def summary(frame: pd.DataFrame) -> str:
    """A short text summary of the final year of a model frame."""
    last = frame.iloc[-1]
    lines = []
    for label, col, fmt in SUMMARY:
        if col is None and label.startswith("exports EU"):
            cols = [f"exports_{d}" for d in ("EU", "UK", "ROW")]
            if all(c in frame for c in cols):
                lines.append(f"  {label:<36} " + " / ".join(f"{last[c]:,.0f}" for c in cols))
        elif col is None and label.startswith("rise: own mixes"):
            if "upgrading_within" in frame:
                lines.append(f"  {label:<36} {_rise_by_source(frame)}")
        elif col is None:
            shares = "/".join(
                f"{last[f'output_share_{c}']:.1%}" for c in ("LIB", "RIB", "TIB", "DS")
            )
            lines.append(f"  {label:<36} {shares}")
        elif col in frame and fmt is not None:
            lines.append(f"  {label:<36} {fmt.format(last[col])}")
    return "\n".join(lines)


def cmd_run(args: argparse.Namespace) -> int:
    """``abm run``: check the output, build, simulate, write atomically, summarise."""
    params = parse_sets(args.set)
    if args.n_firms is not None:
        params["n_firms"] = args.n_firms
    from abm.experiments.spec import MAX_STEPS

    if not 0 <= args.steps <= MAX_STEPS:
        raise ValueError(
            f"--steps: invalid value {args.steps}; allowed: an integer in [0, {MAX_STEPS}] (years)"
        )
    if not args.out.endswith(".parquet"):
        raise ValueError(f"--out: {args.out!r} must end in .parquet")
    output = RunOutput(Path(args.out), force=args.force)
    output.check()  # before building: an existing file stops the run at once
    seed = args.seed
    if seed is None:  # draw one, so that the run can be repeated
        import numpy as np

        seed = int(np.random.SeedSequence().generate_state(1)[0])
    t0 = time.perf_counter()
    model = build_model(args.scenario, seed, params)
    built = time.perf_counter() - t0
    restore = _exit_on_sigterm()  # so that a killed run also leaves nothing behind
    try:
        output.prepare(bool(model.params.firm_data))  # folders, names, writability
        metadata = run_metadata(model, seed)
        t0 = time.perf_counter()
        _simulate_writing_firms(model, args.steps, output, metadata, not args.quiet)
        elapsed = time.perf_counter() - t0
        output.write(_model_frame(model, metadata))
        written = output.commit()
    finally:
        output.discard()
        restore()
    print(
        f"scenario {args.scenario}, seed {seed}, {model.n_firms} firms, "
        f"built in {built:.1f} s, {args.steps} years in {elapsed:.1f} s"
    )
    frame = model.model_frame()
    print(summary(frame))
    print("wrote " + ", ".join(str(p) for p in written))
    return _finite_or_error(frame)


def _finite_or_error(frame: pd.DataFrame) -> int:
    """0 when every reporter is finite, else 1 after one line on stderr naming them."""
    from abm.experiments.runner import nonfinite

    bad = nonfinite(frame)
    if not bad:
        return 0
    names = ", ".join(f"{name} (from {years[0]})" for name, years in list(bad.items())[:5])
    more = f" and {len(bad) - 5} more" if len(bad) > 5 else ""
    print(
        f"abm run: error: reporters not finite: {names}{more}; the files are kept for inspection",
        file=sys.stderr,
    )
    return 1


def _exit_on_sigterm() -> Callable[[], None]:
    """Make SIGTERM raise ``SystemExit(143)`` (clean-up runs); return the undo."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def handler(signum, frame):
        print("abm run: terminated", file=sys.stderr)
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, handler)

    def undo() -> None:
        signal.signal(signal.SIGTERM, signal.SIG_DFL if previous is None else previous)

    return undo


def integer(text: str) -> int:
    """Parse a whole-number option (``--steps``, ``--n-firms``); its range is checked where
    it is used."""
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid value {text!r}; allowed: an integer") from None


def seed_value(text: str) -> int:
    """Parse ``--seed``: an integer >= 0."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"invalid value {text!r}; allowed: an integer >= 0")
    return value


def cmd_scenarios(args: argparse.Namespace) -> int:
    """``abm scenarios``: the presets and what each changes."""
    from abm.params import PARAMETERS
    from abm.scenarios import DESCRIPTIONS, SCENARIOS

    for name, values in SCENARIOS.items():
        print(f"{name}: {DESCRIPTIONS[name]}")
        for k, v in values.items():
            print(f"    {k} = {v!r}  (default {PARAMETERS[k].default!r})")
    print("Combine presets with '+', e.g. --scenario technology+policy.")
    return 0


def cmd_params(args: argparse.Namespace) -> int:
    """``abm params``: every parameter with default, unit, bounds and plausible range."""
    from abm.params import PARAMETERS, plausible_text

    for p in PARAMETERS.values():
        unit = f" [{p.unit}]" if p.unit else ""
        plausible = f" Plausible: {plausible_text(p)}." if p.plausible is not None else ""
        print(f"{p.name} = {p.default!r}{unit}: {p.doc} Allowed: {p.allowed()}.{plausible}")
    return 0


class Parser(argparse.ArgumentParser):
    """argparse with one-line errors: ``<prog>: error: <message> (see <prog> --help)``."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    parser = Parser(prog="abm", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser(
        "run",
        help="run one model and write its frames as Parquet",
        description=(
            "Run one model and write its model frame to OUT and its firm frame to "
            "<OUT stem>.firms.parquet. Existing files are replaced only with --force."
        ),
    )
    run.add_argument(
        "--scenario",
        default="baseline",
        help="preset name, or names joined by + (default: %(default)s)",
    )
    run.add_argument(
        "--steps", type=integer, default=40, help="years to simulate (default: %(default)s)"
    )
    run.add_argument(
        "--seed",
        type=seed_value,
        default=None,
        help="seed of the model's generator, an integer >= 0 (default: drawn and printed)",
    )
    run.add_argument(
        "--out", default="run.parquet", help="model frame Parquet file (default: %(default)s)"
    )
    run.add_argument(
        "--force",
        action="store_true",
        help="replace OUT and its firm file if they exist (a firm file of an earlier run is "
        "removed when this run records no firm data)",
    )
    run.add_argument(
        "--n-firms", type=integer, default=None, metavar="N", help="shortcut for --set n_firms=N"
    )
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
        "params",
        help="list every parameter with default, unit, bounds and plausible range",
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


def _missing_extra(exc: ImportError) -> MissingExtra | None:
    """``exc`` as a :class:`~abm.extras.MissingExtra` if an extra's module is missing."""
    from abm.extras import MissingExtra, from_error

    if isinstance(exc, MissingExtra):
        return exc
    if isinstance(exc, ModuleNotFoundError):
        return from_error(exc)
    return None


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``abm`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code = int(args.func(args) or 0)
        sys.stdout.flush()  # a closed pipe shows here, not at exit
        return code
    except ImportError as exc:  # an optional feature without its extra: one line naming it
        missing = _missing_extra(exc)
        if missing is None:
            raise
        sub = getattr(args, f"{args.command}_command", None)  # e.g. 'abm experiment run'
        where = f"abm {args.command} {sub}" if sub else f"abm {args.command}"
        print(f"{where}: {missing.reason}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # e.g. 'abm params | head -1': stop quietly, like other tools
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except (ValueError, FileNotFoundError) as exc:
        print(f"abm {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # any other failure of the system: one line, no traceback
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"abm {args.command}: error: {where}{_reason(exc)}", file=sys.stderr)
        return 1
    except (KeyboardInterrupt, SystemError) as exc:
        from abm.jit import interrupted

        if not interrupted(exc):  # Ctrl-C in a compiled loop: a SystemError caused by it
            raise
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
