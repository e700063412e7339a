"""Experiment files: parse and validate a TOML experiment, expand it into points and runs.

An experiment is a base preset, fixed parameters and one design: a full-factorial grid
over parameter lists, the 2^k factorial of promotion modes (each on or off), or a SALib
sampler (Sobol or Morris) over parameter ranges. Each point is run ``replicates`` times with
seeds derived from ``base_seed`` through :class:`numpy.random.SeedSequence`, so a run's seed
depends only on (base seed, point, replicate) and never on how or where it is executed.

Every problem in a file is reported as one :class:`ExperimentError` naming the file and the
field, before anything is run or written.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from abm.constraints import Choice, Constraint, ConstraintError, Flag, Number, Table, Text
from abm.experiments.uncertainty import Uncertainty, UncertaintyError, parse_uncertainty
from abm.params import PARAMETERS, did_you_mean
from abm.reporters import MODEL_REPORTERS
from abm.scenarios import MODES, SCENARIOS, scenario_values

#: Top-level keys of an experiment file.
TOP_KEYS = (
    "name",
    "description",
    "preset",
    "scenario",
    "steps",
    "replicates",
    "base_seed",
    "reporters",
    "firm_data",
    "common_random_numbers",
    "fixed",
    "grid",
    "factorial",
    "sampler",
    "uncertainty",
)
FACTORIAL_KEYS = ("modes",)
SAMPLER_KEYS = (
    "method",
    "n",
    "seed",
    "ranges",
    "calc_second_order",
    "scramble",
    "num_levels",
    "optimal_trajectories",
)
SAMPLER_METHODS = ("sobol", "morris")
#: Parameters the runner sets itself; experiment files set them through top-level keys.
RESERVED = ("firm_data",)
#: Most years a run may simulate (``steps``); the model starts in 2020.
MAX_STEPS = 1000
#: Most runs (points x replicates) an experiment may have unless the limit is lifted
#: (``--allow-large``, ``max_runs=None``); designs are counted before they are built.
MAX_RUNS = 100_000
#: An experiment name is a file name: letters, digits, '.', '_', '-'; at most 64 characters.
NAME_PATTERN = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,63}")
#: Designs up to this many points have every point checked at load; larger ones a sample.
_CHECK_ALL_POINTS = 5000

# The constraints of an experiment file's fields (parameters have their own: Param.constraint).
_COUNT = Number(1, integer=True, strict=True)
_TWO_OR_MORE = Number(2, integer=True, strict=True)
_STEPS = Number(1, MAX_STEPS, integer=True, strict=True)
_SEED = Number(0, integer=True, strict=True)
_FLAG = Flag()
_TEXT = Text()
_NAME = Text(
    NAME_PATTERN,
    "a file name of 1-64 letters, digits, '.', '_' or '-', not starting with '.' or '-'",
)
_METHOD = Choice(SAMPLER_METHODS, words=", ".join(repr(m) for m in SAMPLER_METHODS))
_TABLE = Table()
_TOP = Table(TOP_KEYS)
_SAMPLER = Table(SAMPLER_KEYS)
_FACTORIAL = Table(FACTORIAL_KEYS)


class ExperimentError(ValueError):
    """A problem in an experiment file or its overrides; the message names file and field."""


@dataclass(frozen=True)
class Sampler:
    """A SALib sampler over named parameter ranges."""

    method: str
    n: int
    seed: int
    ranges: dict[str, tuple[float, float]]
    calc_second_order: bool = False
    scramble: bool = True
    num_levels: int = 4
    optimal_trajectories: int | None = None

    def problem(self) -> dict:
        """The SALib problem dictionary."""
        names = list(self.ranges)
        return {
            "num_vars": len(names),
            "names": names,
            "bounds": [list(self.ranges[n]) for n in names],
        }

    def sample(self) -> np.ndarray:
        """The sample matrix, one row per point (SALib's order)."""
        from abm.extras import needs

        problem = self.problem()
        if self.method == "sobol":
            with needs("experiments", "SALib designs"):
                from SALib.sample import sobol

            return sobol.sample(
                problem,
                self.n,
                calc_second_order=self.calc_second_order,
                scramble=self.scramble,
                seed=self.seed,
            )
        with needs("experiments", "SALib designs"):
            from SALib.sample import morris

        return morris.sample(
            problem,
            self.n,
            num_levels=self.num_levels,
            optimal_trajectories=self.optimal_trajectories,
            seed=self.seed,
        )

    def to_dict(self) -> dict:
        return {
            "method": self.method,
            "n": self.n,
            "seed": self.seed,
            "ranges": {k: list(v) for k, v in self.ranges.items()},
            "calc_second_order": self.calc_second_order,
            "scramble": self.scramble,
            "num_levels": self.num_levels,
            "optimal_trajectories": self.optimal_trajectories,
            "problem": self.problem(),
        }


@dataclass(frozen=True)
class Point:
    """One design point: a preset and the parameter overrides of its runs."""

    index: int
    preset: str
    params: dict[str, Any]
    factors: dict[str, bool] = field(default_factory=dict)
    varied: dict[str, Any] = field(default_factory=dict)
    sample: tuple[float, ...] | None = None


@dataclass(frozen=True)
class RunSpec:
    """Everything one run needs; picklable, so it travels to process-pool and Dask workers."""

    run_id: str
    point: int
    replicate: int
    seed: int
    preset: str
    params: dict[str, Any]
    steps: int
    reporters: tuple[str, ...] | None
    firm_data: bool
    factors: dict[str, bool] = field(default_factory=dict)
    #: The point's swept values (parameter -> value; ``preset`` when the grid varies it).
    varied: dict[str, Any] = field(default_factory=dict)
    experiment: str = ""
    #: The parameter set drawn for this replicate (``[uncertainty]``) and its posterior row.
    drawn: dict[str, Any] = field(default_factory=dict)
    draw: int | None = None

    def key(self) -> dict:
        """What determines the run's output (everything but its name)."""
        return {
            "preset": self.preset,
            "params": dict(sorted(self.params.items())),
            "steps": self.steps,
            "seed": self.seed,
            "reporters": list(self.reporters) if self.reporters is not None else None,
            "firm_data": self.firm_data,
        }

    def digest(self) -> str:
        """A short hash of :meth:`key`; resume reuses a finished run only if it matches."""
        text = json.dumps(self.key(), sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def run_id(point: int, replicate: int) -> str:
    """Stable, readable run name, e.g. ``p0003_r01``."""
    return f"p{point:04d}_r{replicate:02d}"


def seed_for(base_seed: int, point: int, replicate: int, common: bool = False) -> int:
    """The model seed of (point, replicate): a 63-bit integer from ``SeedSequence``.

    With ``common`` (common random numbers) every point's replicate ``r`` gets the same seed.
    """
    key = (replicate,) if common else (point, replicate)
    ss = np.random.SeedSequence(base_seed, spawn_key=key)
    return int(ss.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))


@dataclass(frozen=True)
class Experiment:
    """A validated experiment: what to vary, how often, for how long, what to keep."""

    name: str
    preset: str = "baseline"
    steps: int = 40
    replicates: int = 1
    base_seed: int = 0
    reporters: tuple[str, ...] | None = None
    firm_data: bool = False
    common_random_numbers: bool = False
    fixed: dict[str, Any] = field(default_factory=dict)
    grid: dict[str, list] = field(default_factory=dict)
    modes: tuple[str, ...] = ()
    sampler: Sampler | None = None
    description: str = ""
    source: str | None = None
    uncertainty: Uncertainty | None = None

    # ------------------------------------------------------------------ design
    @property
    def kind(self) -> str:
        """``"sobol"``, ``"morris"``, ``"factorial"``, ``"grid"`` or ``"single"``."""
        if self.sampler is not None:
            return self.sampler.method
        if self.modes:
            return "factorial"
        if self.grid:
            return "grid"
        return "single"

    @property
    def varied(self) -> tuple[str, ...]:
        """Names of the parameters (and ``preset``) that differ between points."""
        if self.sampler is not None:
            return tuple(self.sampler.ranges)
        return tuple(self.grid)

    @property
    def n_points(self) -> int:
        """Number of design points, counted without building the design."""
        if self.sampler is not None:
            s = self.sampler
            k = len(s.ranges)
            if s.method == "sobol":
                return s.n * (2 * k + 2 if s.calc_second_order else k + 2)
            return (s.optimal_trajectories or s.n) * (k + 1)
        return 2 ** len(self.modes) * math.prod(len(v) for v in self.grid.values())

    @property
    def n_runs(self) -> int:
        """Number of runs (points x replicates), counted without building the design."""
        return self.n_points * self.replicates

    def check_size(self, max_runs: int | None = MAX_RUNS, where: str | None = None) -> None:
        """Refuse a design of more than ``max_runs`` runs (``None``: no limit)."""
        if max_runs is not None and self.n_runs > max_runs:
            raise ExperimentError(
                f"{where or self.source or self.name}: design: {self.n_points:,} points x "
                f"{self.replicates} replicate{'s' * (self.replicates != 1)} = "
                f"{self.n_runs:,} runs; allowed: at most "
                f"{max_runs:,} (use --allow-large, or max_runs=None, to run it anyway)"
            )

    def _preset_with(self, active: list[str]) -> str:
        names = [] if self.preset == "baseline" else [self.preset]
        names += active
        return "+".join(names) if names else "baseline"

    def points(self) -> list[Point]:
        """Every design point, in a fixed order (factorial modes, then grid, or SALib's)."""
        base = {**self.fixed, "firm_data": self.firm_data}
        out: list[Point] = []
        if self.sampler is not None:
            matrix = self.sampler.sample()
            for i, row in enumerate(matrix):
                values = {}
                for name, x in zip(self.sampler.ranges, row, strict=True):
                    p = PARAMETERS[name]
                    values[name] = int(round(float(x))) if p.kind is int else float(x)
                out.append(
                    Point(
                        i,
                        self.preset,
                        {**base, **values},
                        varied=values,
                        sample=tuple(float(x) for x in row),
                    )
                )
            return out
        mode_combos = list(itertools.product((False, True), repeat=len(self.modes)))
        grid_names = list(self.grid)
        grid_combos = list(itertools.product(*(self.grid[n] for n in grid_names)))
        i = 0
        for combo in mode_combos:
            factors = dict(zip(self.modes, combo, strict=True))
            active = [m for m, on in factors.items() if on]
            for grid_values in grid_combos:
                varied = dict(zip(grid_names, grid_values, strict=True))
                preset = self._preset_with(active)
                params = dict(base)
                for k, v in varied.items():
                    if k == "preset":
                        preset = v
                    else:
                        params[k] = v
                out.append(Point(i, preset, params, factors, varied))
                i += 1
        return out

    def runs(self, points: list[Point] | None = None) -> list[RunSpec]:
        """Every (point, replicate) run with its seed, and with the parameter set drawn for
        the replicate when the experiment has ``[uncertainty]`` (the same at every point)."""
        points = self.points() if points is None else points
        draws: list[tuple[int | None, dict[str, Any]]] = [(None, {})] * self.replicates
        if self.uncertainty is not None:
            draws = list(self.uncertainty.draws(self.replicates, self.base_seed))
        return [
            RunSpec(
                run_id=run_id(p.index, r),
                point=p.index,
                replicate=r,
                seed=seed_for(self.base_seed, p.index, r, self.common_random_numbers),
                preset=p.preset,
                params={**p.params, **draws[r][1]},
                steps=self.steps,
                reporters=self.reporters,
                firm_data=self.firm_data,
                factors=dict(p.factors),
                varied=dict(p.varied),
                experiment=self.name,
                drawn=dict(draws[r][1]),
                draw=draws[r][0],
            )
            for p in points
            for r in range(self.replicates)
        ]

    # ------------------------------------------------------------------ overrides
    def with_overrides(
        self,
        *,
        replicates: int | None = None,
        steps: int | None = None,
        base_seed: int | None = None,
        fixed: Mapping[str, Any] | None = None,
        firm_data: bool | None = None,
        sample_size: int | None = None,
    ) -> Experiment:
        """A copy with a different size (for quick looks, notebooks and tests), validated."""
        where = f"{self.source or self.name} (override)"
        changes: dict[str, Any] = {}
        if replicates is not None:
            changes["replicates"] = _check(_COUNT, replicates, "replicates", where)
        if steps is not None:
            changes["steps"] = _check(_STEPS, steps, "steps", where)
        if base_seed is not None:
            changes["base_seed"] = _check(_SEED, base_seed, "base_seed", where)
        if firm_data is not None:
            changes["firm_data"] = _check(_FLAG, firm_data, "firm_data", where)
        if fixed:
            new_fixed = dict(self.fixed)
            new_fixed.update(_check_fixed(dict(fixed), where, "--set"))
            taken = [k for k in fixed if k in self.varied]
            if taken:
                raise ExperimentError(
                    f"{where}: --set {taken[0]}: this parameter is varied by the experiment's "
                    f"[{'sampler' if self.sampler else 'grid'}]; change it in the file"
                )
            _check_mode_overlap(self.modes, new_fixed, where, "--set")
            drawn = [k for k in fixed if self.uncertainty and k in self.uncertainty.names]
            if drawn:
                raise ExperimentError(
                    f"{where}: --set {drawn[0]}: this parameter is drawn by the experiment's "
                    "[uncertainty]; change it in the file"
                )
            changes["fixed"] = new_fixed
        if sample_size is not None:
            if self.sampler is None:
                raise ExperimentError(f"{where}: sample size: the experiment has no [sampler]")
            n = _check(_COUNT, sample_size, "sampler.n", where)
            changes["sampler"] = replace(self.sampler, n=_sampler_n(self.sampler.method, n, where))
        return replace(self, **changes)

    def to_dict(self) -> dict:
        """A JSON-ready description (written as ``experiment.json`` beside the results)."""
        return {
            "name": self.name,
            "description": self.description,
            "source": self.source,
            "kind": self.kind,
            "preset": self.preset,
            "steps": self.steps,
            "replicates": self.replicates,
            "base_seed": self.base_seed,
            "common_random_numbers": self.common_random_numbers,
            "reporters": list(self.reporters) if self.reporters is not None else None,
            "firm_data": self.firm_data,
            "fixed": self.fixed,
            "grid": self.grid,
            "modes": list(self.modes),
            "varied": list(self.varied),
            "sampler": self.sampler.to_dict() if self.sampler else None,
            "uncertainty": self.uncertainty.to_dict() if self.uncertainty else None,
        }


# ---------------------------------------------------------------------- validation helpers
def _check(constraint: Constraint, value, field_name: str, where: str):
    """``constraint.check(value, field_name)``; its error as an ExperimentError after ``where``."""
    try:
        return constraint.check(value, field_name)
    except ConstraintError as exc:
        raise ExperimentError(f"{where}: {exc}") from None


def _param(name: str, where: str, table: str):
    if name in RESERVED:
        raise ExperimentError(
            f"{where}: [{table}] {name}: set it with the top-level key {name} = true/false "
            f"(or --firm-data)"
        )
    if name not in PARAMETERS:
        raise ExperimentError(
            f"{where}: [{table}] unknown parameter {name!r}{did_you_mean(name, PARAMETERS)}; "
            "see 'abm params' for the list"
        )
    return PARAMETERS[name]


def _check_value(name: str, value, where: str, field_name: str):
    try:
        return PARAMETERS[name].validate(value)
    except ValueError as exc:
        raise ExperimentError(f"{where}: {field_name}: {exc}") from None


def _check_scenario(value, where: str, field_name: str) -> str:
    try:
        scenario_values(value)
    except ValueError as exc:
        raise ExperimentError(f"{where}: {field_name}: {exc}") from None
    return value.strip()


def _check_fixed(table: dict, where: str, label: str = "[fixed]") -> dict:
    out = {}
    for name, value in table.items():
        _param(name, where, "fixed" if label == "[fixed]" else label)
        out[name] = _check_value(name, value, where, f"{label} {name}")
    return out


def _mode_params(modes) -> dict[str, str]:
    owner = {}
    for m in modes:
        for k in SCENARIOS[m]:
            owner[k] = m
    return owner


def _check_mode_overlap(modes, table: Mapping, where: str, label: str) -> None:
    owner = _mode_params(modes)
    for name in table:
        if name in owner:
            raise ExperimentError(
                f"{where}: {label} {name}: this parameter is set by the mode {owner[name]!r} "
                "of [factorial]; a value here would cancel that mode's effect"
            )


def _sampler_n(method: str, n: int, where: str) -> int:
    if method == "sobol" and n & (n - 1):
        raise ExperimentError(
            f"{where}: [sampler] n: invalid value {n}; allowed for sobol: a power of 2 "
            "(e.g. 64, 128, 256), which Sobol' sequences need to converge"
        )
    return n


def _check_grid(table: dict, where: str) -> dict[str, list]:
    if not table:
        raise ExperimentError(f"{where}: [grid] is empty; give at least one parameter list")
    out: dict[str, list] = {}
    if "preset" in table and "scenario" in table:
        raise ExperimentError(
            f"{where}: [grid] scenario: also given as preset; keep one (preset, the new name)"
        )
    for name, values in table.items():
        name = "preset" if name == "scenario" else name  # the former name of preset
        if name != "preset":
            _param(name, where, "grid")
        if not isinstance(values, list):
            values = [values]
        if not values:
            raise ExperimentError(f"{where}: [grid] {name}: empty list; give at least one value")
        checked = []
        for i, v in enumerate(values):
            label = f"[grid] {name}[{i}]"
            if name == "preset":
                checked.append(_check_scenario(v, where, label))
            else:
                checked.append(_check_value(name, v, where, label))
        if len(set(map(repr, checked))) != len(checked):
            raise ExperimentError(f"{where}: [grid] {name}: repeated values {values!r}")
        out[name] = checked
    return out


def _check_sampler(table: dict, base_seed: int, where: str) -> Sampler:
    _check(_SAMPLER, table, "sampler", where)
    method = _check(_METHOD, table.get("method"), "[sampler] method", where)
    if "n" not in table:
        raise ExperimentError(f"{where}: [sampler] n: missing; give the base sample size")
    n = _sampler_n(method, _check(_COUNT, table["n"], "[sampler] n", where), where)
    seed = _check(_SEED, table.get("seed", base_seed), "[sampler] seed", where)
    ranges_in = _check(_TABLE, table.get("ranges", {}), "sampler.ranges", where)
    if not ranges_in:
        raise ExperimentError(
            f"{where}: [sampler.ranges] is empty; give name = [low, high] for each parameter"
        )
    ranges: dict[str, tuple[float, float]] = {}
    for name, rng in ranges_in.items():
        p = _param(name, where, "sampler.ranges")
        label = f"[sampler.ranges] {name}"
        if p.kind not in (int, float):
            raise ExperimentError(
                f"{where}: {label}: {p.kind.__name__} parameter cannot be sampled; "
                "use [grid] or [fixed]"
            )
        if not (isinstance(rng, list) and len(rng) == 2):
            raise ExperimentError(f"{where}: {label}: invalid value {rng!r}; allowed: [low, high]")
        lo = _check_value(name, rng[0], where, label + "[0]")
        hi = _check_value(name, rng[1], where, label + "[1]")
        if not lo < hi:
            raise ExperimentError(f"{where}: {label}: low {lo!r} must be below high {hi!r}")
        ranges[name] = (float(lo), float(hi))
    if method == "sobol" and len(ranges) < 2:
        raise ExperimentError(f"{where}: [sampler.ranges]: sobol needs at least 2 parameters")
    second = _check(
        _FLAG, table.get("calc_second_order", False), "[sampler] calc_second_order", where
    )
    scramble = _check(_FLAG, table.get("scramble", True), "[sampler] scramble", where)
    levels = _check(_TWO_OR_MORE, table.get("num_levels", 4), "[sampler] num_levels", where)
    if levels % 2:
        raise ExperimentError(
            f"{where}: [sampler] num_levels: invalid value {levels}; allowed: an even integer"
        )
    optimal = table.get("optimal_trajectories")
    if optimal is not None:
        optimal = _check(_TWO_OR_MORE, optimal, "[sampler] optimal_trajectories", where)
        if optimal >= n:
            raise ExperimentError(
                f"{where}: [sampler] optimal_trajectories: {optimal} must be below n = {n}"
            )
    return Sampler(method, n, seed, ranges, second, scramble, levels, optimal)


def parse_experiment(
    data: Mapping[str, Any],
    where: str,
    name: str | None = None,
    max_runs: int | None = MAX_RUNS,
    base_dir: Path | None = None,
) -> Experiment:
    """Validate a parsed experiment table; ``where`` prefixes every error message.

    A design of more than ``max_runs`` runs is refused (``None``: no limit); it is counted
    before it is built. A relative ``[uncertainty] posterior`` path is read from
    ``base_dir`` (the experiment file's folder; the working folder when ``None``).
    """
    data = dict(data)
    _check(_TOP, data, "", where)
    name = _check(_NAME, data.get("name", name or "experiment"), "name", where)
    description = _check(_TEXT, data.get("description", ""), "description", where)
    preset = _check_preset(data, where)
    steps = _check(_STEPS, data.get("steps", 40), "steps", where)
    replicates = _check(_COUNT, data.get("replicates", 1), "replicates", where)
    base_seed = _check(_SEED, data.get("base_seed", 0), "base_seed", where)
    firm_data = _check(_FLAG, data.get("firm_data", False), "firm_data", where)
    common = _check(_FLAG, data.get("common_random_numbers", False), "common_random_numbers", where)
    reporters = _check_reporters(data.get("reporters"), where)
    fixed = _check_fixed(_check(_TABLE, data.get("fixed", {}), "fixed", where), where)
    modes: tuple[str, ...] = ()
    if "factorial" in data:
        modes = _check_factorial(
            _check(_TABLE, data["factorial"], "factorial", where), fixed, where
        )
    grid: dict[str, list] = {}
    if "grid" in data:
        grid = _check_design_grid(_check(_TABLE, data["grid"], "grid", where), fixed, modes, where)
    sampler = None
    if "sampler" in data:
        if grid or modes:
            raise ExperimentError(
                f"{where}: [sampler]: cannot be combined with [grid] or [factorial]; "
                "use one design per file"
            )
        sampler = _check_design_sampler(
            _check(_TABLE, data["sampler"], "sampler", where), fixed, base_seed, where
        )

    uncertainty = None
    if "uncertainty" in data:
        taken = {k: "[fixed]" for k in fixed}
        taken.update({k: "[grid]" for k in grid})
        taken.update({k: "[sampler] ranges" for k in (sampler.ranges if sampler else {})})
        taken.update({k: f"[factorial] mode {m!r}" for k, m in _mode_params(modes).items()})
        try:
            uncertainty = parse_uncertainty(
                _check(_TABLE, data["uncertainty"], "uncertainty", where), where, base_dir, taken
            )
        except UncertaintyError as exc:
            raise ExperimentError(str(exc)) from None

    exp = Experiment(
        name=name,
        preset=preset,
        steps=steps,
        replicates=replicates,
        base_seed=base_seed,
        reporters=reporters,
        firm_data=firm_data,
        common_random_numbers=common,
        fixed=fixed,
        grid=grid,
        modes=modes,
        sampler=sampler,
        description=description,
        source=None,
        uncertainty=uncertainty,
    )
    exp.check_size(max_runs, where)
    _check_points(exp, where)
    return exp


def _check_preset(data: dict, where: str) -> str:
    """The preset of an experiment table (``scenario``: the former name of ``preset``)."""
    if "preset" in data and "scenario" in data:
        raise ExperimentError(
            f"{where}: scenario: also given as preset; keep one (preset, the new name)"
        )
    key = "scenario" if "scenario" in data else "preset"
    return _check_scenario(_check(_TEXT, data.get(key, "baseline"), key, where), where, key)


def _check_reporters(reporters: Any, where: str) -> tuple[str, ...] | None:
    """The reporters to keep, ``year`` first; ``None`` (absent or ``"all"``): every one."""
    if reporters is None or reporters == "all":
        return None
    if not isinstance(reporters, list) or not reporters:
        raise ExperimentError(
            f'{where}: reporters: invalid value {reporters!r}; allowed: "all" or a '
            "non-empty list of reporter names"
        )
    for r in reporters:
        if r not in MODEL_REPORTERS:
            raise ExperimentError(
                f"{where}: reporters: unknown reporter {r!r}"
                f"{did_you_mean(str(r), MODEL_REPORTERS)}; "
                f"allowed: {', '.join(MODEL_REPORTERS)}"
            )
    return tuple(dict.fromkeys(["year", *reporters]))


def _check_factorial(fact: dict, fixed: dict, where: str) -> tuple[str, ...]:
    """The modes of ``[factorial]``: known, distinct, setting different parameters and none
    of those in ``[fixed]``."""
    _check(_FACTORIAL, fact, "factorial", where)
    raw = fact.get("modes")
    if not isinstance(raw, list) or not raw:
        raise ExperimentError(
            f"{where}: [factorial] modes: invalid value {raw!r}; allowed: a non-empty list "
            f"of scenario names, e.g. {list(MODES)!r}"
        )
    allowed = [s for s in SCENARIOS if s not in ("baseline",)]
    for m in raw:
        if m not in allowed:
            raise ExperimentError(
                f"{where}: [factorial] modes: unknown mode {m!r}"
                f"{did_you_mean(str(m), allowed)}; allowed: {', '.join(allowed)}"
            )
    if len(set(raw)) != len(raw):
        raise ExperimentError(f"{where}: [factorial] modes: repeated names in {raw!r}")
    _check_disjoint_modes(raw, where)
    modes = tuple(raw)
    _check_mode_overlap(modes, fixed, where, "[fixed]")
    return modes


def _check_design_grid(
    table: dict, fixed: dict, modes: tuple[str, ...], where: str
) -> dict[str, list]:
    """``[grid]`` checked on its own and against ``[factorial]`` and ``[fixed]``."""
    grid = _check_grid(table, where)
    if modes:
        if "preset" in grid:
            raise ExperimentError(
                f"{where}: [grid] preset: cannot vary the preset together with "
                "[factorial], which sets it"
            )
        _check_mode_overlap(modes, grid, where, "[grid]")
    both = [k for k in grid if k in fixed]
    if both:
        raise ExperimentError(
            f"{where}: [grid] {both[0]}: also set in [fixed]; keep it in one table"
        )
    return grid


def _check_design_sampler(table: dict, fixed: dict, base_seed: int, where: str) -> Sampler:
    """``[sampler]`` checked on its own and against ``[fixed]``."""
    sampler = _check_sampler(table, base_seed, where)
    both = [k for k in sampler.ranges if k in fixed]
    if both:
        raise ExperimentError(
            f"{where}: [sampler.ranges] {both[0]}: also set in [fixed]; keep it in one table"
        )
    return sampler


def _check_points(exp: Experiment, where: str) -> None:
    """Every point must build a valid parameter set (catches preset + value conflicts early).

    A small design is checked point by point; a large one (or a sampler, whose values are
    each within bounds) at its first point and at one point per preset of a grid.
    """
    from abm.params import resolve

    if exp.sampler is None and exp.n_points <= _CHECK_ALL_POINTS:
        points = exp.points()
    else:
        base = {**exp.fixed, "firm_data": exp.firm_data}
        presets = exp.grid.get("preset", [exp.preset])
        points = [
            Point(0, p, {**base, **{k: v[0] for k, v in exp.grid.items() if k != "preset"}})
            for p in presets
        ]
    for p in points:
        try:
            resolve(p.preset, **p.params)
        except ValueError as exc:
            raise ExperimentError(f"{where}: point {p.index} ({p.varied}): {exc}") from None


def _check_disjoint_modes(modes: list[str], where: str) -> None:
    """Refuse factorial modes that set the same parameter (one contains or overrides another)."""
    owner: dict[str, str] = {}
    for m in modes:
        for name in SCENARIOS[m]:
            if name in owner:
                raise ExperimentError(
                    f"{where}: [factorial] modes: {owner[name]!r} and {m!r} both set {name}, "
                    "so switching one would partly switch the other; allowed: modes that set "
                    f"different parameters, e.g. {list(MODES)!r}"
                )
            owner[name] = m


def load_experiment(path: str | Path, max_runs: int | None = MAX_RUNS) -> Experiment:
    """Read and validate an experiment TOML file.

    Raises ``FileNotFoundError`` when the file is missing and :class:`ExperimentError` (a
    ``ValueError``) naming the file and the field for anything wrong inside it, including a
    design of more than ``max_runs`` runs (``None``: no limit).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"experiment file not found: {path}")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ExperimentError(f"{path}: malformed TOML: {exc}") from None
    except UnicodeDecodeError as exc:
        raise ExperimentError(f"{path}: not a UTF-8 text file: {exc}") from None
    exp = parse_experiment(data, str(path), name=path.stem, max_runs=max_runs, base_dir=path.parent)
    return replace(exp, source=str(path))


def describe(exp: Experiment) -> str:
    """One line: name, design, points, replicates, steps."""
    n_points = exp.n_points
    return (
        f"{exp.name}: {exp.kind} design, {n_points:,} point{'s' * (n_points != 1)} x "
        f"{exp.replicates} replicate{'s' * (exp.replicates != 1)} = "
        f"{n_points * exp.replicates:,} runs of {exp.steps} years"
    )


__all__ = [
    "MAX_RUNS",
    "MAX_STEPS",
    "Experiment",
    "ExperimentError",
    "Point",
    "RunSpec",
    "Sampler",
    "describe",
    "load_experiment",
    "parse_experiment",
    "run_id",
    "seed_for",
]
