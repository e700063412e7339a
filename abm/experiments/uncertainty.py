"""Parameter uncertainty in experiments: each replicate draws a parameter set.

An experiment file's ``[uncertainty]`` table gives either a calibration's posterior sample
(``posterior = "results/calibration/posterior.csv"``, the file ``abm calibrate`` writes: one
column per parameter and an optional ``weight`` column) or uniform intervals
(``[uncertainty.ranges]``, ``name = [low, high]``). Replicate ``r`` of every design point
runs with the same drawn set (as common random numbers pair the seeds), so differences
between points stay paired, and the intervals across replicates cover both the seeds and
the parameters.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from abm.params import PARAMETERS, did_you_mean

#: Keys of the ``[uncertainty]`` table.
UNCERTAINTY_KEYS = ("posterior", "ranges")
#: Spawn key of the draws' stream (apart from the seeds' keys, which are small integers).
DRAW_STREAM = 2**31 - 1


class UncertaintyError(ValueError):
    """A malformed ``[uncertainty]`` table (the message names the field)."""


@dataclass(frozen=True)
class Uncertainty:
    """Where each replicate's parameter set comes from: posterior rows or intervals."""

    names: tuple[str, ...]
    rows: tuple[tuple[float, ...], ...] = ()  # posterior sample, one row per draw
    weights: tuple[float, ...] = ()  # importance weights of the rows (all 1 if absent)
    ranges: tuple[tuple[float, float], ...] = ()  # uniform intervals, one per name
    source: str = ""  # the posterior file as the experiment gives it

    def draws(self, replicates: int, base_seed: int) -> list[tuple[int, dict[str, Any]]]:
        """``(row, parameters)`` for replicates ``0..replicates-1``: posterior rows drawn
        with probability proportional to their weights, or uniform draws in the intervals
        (``row`` is then the replicate); the same for a given seed and size."""
        rng = np.random.default_rng(np.random.SeedSequence(base_seed, spawn_key=(DRAW_STREAM,)))
        out: list[tuple[int, dict[str, Any]]] = []
        if self.rows:
            w = np.asarray(self.weights, float)
            picks = rng.choice(len(self.rows), size=replicates, p=w / w.sum())
            for r in picks.tolist():
                out.append((r, self._typed(self.rows[r])))
        else:
            u = rng.random((replicates, len(self.names)))
            lo = np.array([a for a, _ in self.ranges])
            hi = np.array([b for _, b in self.ranges])
            for i, row in enumerate(lo + u * (hi - lo)):
                out.append((i, self._typed(tuple(row.tolist()))))
        return out

    def _typed(self, values: tuple[float, ...]) -> dict[str, Any]:
        """The values as the registry's types (an integer parameter is rounded)."""
        out: dict[str, Any] = {}
        for name, x in zip(self.names, values, strict=True):
            out[name] = int(round(x)) if PARAMETERS[name].kind is int else float(x)
        return out

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready description (in ``experiment.json``)."""
        if self.rows:
            return {"posterior": self.source, "names": list(self.names), "rows": len(self.rows)}
        return {"ranges": {n: list(r) for n, r in zip(self.names, self.ranges, strict=True)}}


def parse_uncertainty(
    table: dict[str, Any], where: str, base_dir: Path | None, taken: dict[str, str]
) -> Uncertainty:
    """Validate an ``[uncertainty]`` table. ``taken`` maps the parameters the experiment
    already sets to where (``[fixed]``, ``[grid]``, ...): they cannot also be drawn."""
    unknown = [k for k in table if k not in UNCERTAINTY_KEYS]
    if unknown:
        raise UncertaintyError(
            f"{where}: [uncertainty] unknown key {unknown[0]!r}; allowed: "
            f"{', '.join(UNCERTAINTY_KEYS)}"
        )
    if ("posterior" in table) == ("ranges" in table):
        raise UncertaintyError(
            f"{where}: [uncertainty]: give exactly one of posterior (a file) or ranges (a table)"
        )
    if "posterior" in table:
        unc = _read_posterior(table["posterior"], where, base_dir)
    else:
        unc = _read_ranges(table["ranges"], where)
    for name in unc.names:
        if name in taken:
            raise UncertaintyError(
                f"{where}: [uncertainty] {name}: also set by {taken[name]}; allowed: "
                "parameters the experiment does not set"
            )
    return unc


def _parameter(name: str, where: str, field: str) -> None:
    if name not in PARAMETERS or name == "firm_data":
        raise UncertaintyError(
            f"{where}: [uncertainty] {field}: unknown parameter {name!r}"
            f"{did_you_mean(name, PARAMETERS)}; see 'abm params' for the list"
        )
    if PARAMETERS[name].kind not in (int, float):
        raise UncertaintyError(
            f"{where}: [uncertainty] {field}: {name} is not a number; allowed: numeric parameters"
        )


def _value(name: str, value: Any, where: str, field: str) -> float:
    try:
        return float(PARAMETERS[name].validate(value))
    except ValueError as exc:
        raise UncertaintyError(f"{where}: [uncertainty] {field}: {exc}") from None


def _read_posterior(path_value: Any, where: str, base_dir: Path | None) -> Uncertainty:
    path = _posterior_path(path_value, where, base_dir)
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        header = [h.strip() for h in next(reader, [])]
        lines = [row for row in reader if row]
    names = tuple(h for h in header if h != "weight")
    if not names or not lines:
        raise UncertaintyError(
            f"{where}: [uncertainty] posterior: {path} has no parameter columns or no rows; "
            "allowed: a header of parameter names (and weight) and one row per draw"
        )
    for name in names:
        _parameter(name, where, f"posterior column {name!r}")
    rows, weights = [], []
    for i, line in enumerate(lines, start=2):
        if len(line) != len(header):
            raise UncertaintyError(
                f"{where}: [uncertainty] posterior: {path} line {i} has {len(line)} values; "
                f"allowed: {len(header)}, one per column"
            )
        cells = dict(zip(header, line, strict=True))
        weights.append(_weight(cells.get("weight", "1"), where, f"{path} line {i}"))
        rows.append(tuple(_cell(n, cells[n], where, path, i) for n in names))
    if sum(weights) <= 0:
        raise UncertaintyError(
            f"{where}: [uncertainty] posterior: {path} weights sum to 0; allowed: weights "
            ">= 0 with a positive sum"
        )
    return Uncertainty(names, tuple(rows), tuple(weights), source=str(path_value))


def _posterior_path(path_value: Any, where: str, base_dir: Path | None) -> Path:
    """The posterior file, relative to ``base_dir``; it must exist."""
    if not isinstance(path_value, str) or not path_value.strip():
        raise UncertaintyError(
            f"{where}: [uncertainty] posterior: {path_value!r} is not a file name; allowed: "
            "the path of a posterior CSV (as abm calibrate writes), relative to the "
            "experiment file"
        )
    path = Path(path_value)
    if not path.is_absolute() and base_dir is not None:
        path = base_dir / path
    if not path.is_file():
        raise UncertaintyError(f"{where}: [uncertainty] posterior: file not found: {path}")
    return path


def _weight(text: str, where: str, line: str) -> float:
    """A row's importance weight: a number >= 0."""
    try:
        weight = float(text)
    except ValueError:
        weight = -1.0
    if not weight >= 0:
        raise UncertaintyError(
            f"{where}: [uncertainty] posterior: {line} weight {text!r}; allowed: a number >= 0"
        )
    return weight


def _cell(name: str, text: str, where: str, path: Path, i: int) -> float:
    """One parameter value of a posterior row, within the parameter's bounds."""
    try:
        x = float(text)
    except ValueError:
        raise UncertaintyError(
            f"{where}: [uncertainty] posterior: {path} line {i} {name} {text!r}; allowed: a number"
        ) from None
    value = int(round(x)) if PARAMETERS[name].kind is int else x
    return _value(name, value, where, f"posterior line {i} {name}")


def _read_ranges(table: Any, where: str) -> Uncertainty:
    if not isinstance(table, dict) or not table:
        raise UncertaintyError(
            f"{where}: [uncertainty] ranges: allowed: a table of name = [low, high], e.g. "
            "trade_elasticity = [2.0, 8.0]"
        )
    names, ranges = [], []
    for name, pair in table.items():
        _parameter(name, where, f"ranges {name}")
        if not isinstance(pair, list) or len(pair) != 2:
            raise UncertaintyError(
                f"{where}: [uncertainty] ranges {name}: {pair!r}; allowed: [low, high]"
            )
        lo = _value(name, pair[0], where, f"ranges {name} low")
        hi = _value(name, pair[1], where, f"ranges {name} high")
        if not lo < hi:
            raise UncertaintyError(
                f"{where}: [uncertainty] ranges {name}: low {lo:g} is not below high {hi:g}"
            )
        names.append(name)
        ranges.append((lo, hi))
    return Uncertainty(tuple(names), ranges=tuple(ranges))


__all__ = ["Uncertainty", "UncertaintyError", "parse_uncertainty"]
