"""Calibration targets: empirical moments, the model statistics that match them, free parameters.

A targets file (TOML, e.g. ``experiments/targets.toml``) holds

* ``preset``, ``seeds`` (simulations per parameter point), ``base_seed``, ``[fixed]``
  parameters;
* ``[free.<parameter>]`` tables with ``low`` and ``high``: the parameters to calibrate and
  their uniform prior ranges, inside the parameter registry's bounds;
* ``[[moment]]`` tables: ``name``, ``statistic`` (``reporter``: a reporter or an arithmetic
  expression of reporters, ``function``, and ``year`` or ``period``), ``observed``,
  ``interval = [low, high]``, ``weight``, ``holdout`` and ``source`` (``author``, ``year``,
  ``title`` and ``table`` or ``page``).

:func:`load_targets` checks everything before anything runs: an error is one line naming the
file, the field and what is allowed.
"""

from __future__ import annotations

import ast
import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

#: Statistic functions: name -> (needs a period, description).
FUNCTIONS: dict[str, tuple[bool, str]] = {
    "value": (False, "the value in `year`"),
    "mean": (True, "the mean over the years of `period` (both ends included)"),
    "change": (True, "x(end) / x(start) - 1 over `period`"),
    "growth_rate": (True, "(x(end) / x(start)) ** (1 / years) - 1: compound annual rate"),
    "ratio_to_year": (True, "x(end) / x(start) over `period`"),
}
MAX_FREE = 5
_TOP_KEYS = ("name", "description", "preset", "seeds", "base_seed", "fixed", "free", "moment")
_MOMENT_KEYS = (
    "name",
    "statistic",
    "observed",
    "interval",
    "weight",
    "holdout",
    "source",
    "note",
)
_STAT_KEYS = ("reporter", "function", "year", "period")
_SOURCE_KEYS = ("author", "year", "title", "table", "page", "url", "note")


class TargetsError(ValueError):
    """A malformed targets file; the message names the file and the field."""


@dataclass(frozen=True)
class Statistic:
    """How a moment is computed from a model frame (one row per year)."""

    reporter: str
    function: str
    year: int | None = None
    period: tuple[int, int] | None = None

    def reporters(self) -> list[str]:
        """The reporter names the expression uses."""
        return sorted(_names(ast.parse(self.reporter, mode="eval")))

    def _span(self) -> tuple[int, int]:
        """The first and last year the statistic reads: its period, or its year twice."""
        if self.period is not None:
            return self.period
        if self.year is None:
            raise ValueError(f"statistic {self.function}({self.reporter}) has no year or period")
        return self.year, self.year

    def last_year(self) -> int:
        """The latest year the statistic reads."""
        return int(self._span()[1])

    def first_year(self) -> int:
        """The earliest year the statistic reads."""
        return int(self._span()[0])

    def describe(self) -> str:
        """E.g. ``growth_rate(exports * export_share_DS, 2020-2025)``."""
        when = str(self.year) if self.period is None else f"{self.period[0]}-{self.period[1]}"
        return f"{self.function}({self.reporter}, {when})"

    def compute(self, frame: pd.DataFrame) -> float:
        """The statistic of one model frame (columns ``year`` and the reporters).

        Returns NaN when it is undefined (a zero denominator, a year the frame lacks).
        """
        series = evaluate_expression(self.reporter, frame)
        years = frame["year"].to_numpy()
        by_year = dict(zip(years.tolist(), series.tolist(), strict=True))
        with np.errstate(all="ignore"):
            if self.function == "value":
                return float(by_year.get(self.year, np.nan))
            if self.period is None:
                raise ValueError(f"statistic {self.describe()}: {self.function!r} needs a period")
            a, b = self.period
            if self.function == "mean":
                inside = series[(years >= a) & (years <= b)]
                return float(np.mean(inside)) if len(inside) == b - a + 1 else math.nan
            x0, x1 = by_year.get(a, np.nan), by_year.get(b, np.nan)
            if not x0 or not np.isfinite(x0) or not np.isfinite(x1):
                return math.nan
            ratio = x1 / x0
            if self.function == "change":
                return float(ratio - 1.0)
            if self.function == "ratio_to_year":
                return float(ratio)
            if ratio <= 0:
                return math.nan
            return float(ratio ** (1.0 / (b - a)) - 1.0)  # growth_rate


@dataclass(frozen=True)
class Moment:
    """One empirical moment and the model statistic that matches it."""

    name: str
    statistic: Statistic
    observed: float
    low: float
    high: float
    weight: float
    source: dict[str, Any]
    holdout: bool = False
    note: str = ""

    @property
    def scale(self) -> float:
        """The half-width of the interval: the unit of a moment's deviation in the loss."""
        return max((self.high - self.low) / 2.0, 1e-12)

    def citation(self) -> str:
        """``Author (year), title, table/page``."""
        s = self.source
        if s.get("table"):
            where = f"table {s['table']}"
        else:
            page = str(s["page"])
            where = f"p. {page}" if page[:1].isdigit() else page
        return f"{s['author']} ({s['year']}), {s['title']}, {where}"


@dataclass(frozen=True)
class FreeParameter:
    """A parameter to calibrate and its uniform prior range."""

    name: str
    low: float
    high: float
    integer: bool = False


@dataclass(frozen=True)
class Targets:
    """A validated targets file."""

    path: str
    name: str
    preset: str
    seeds: int
    base_seed: int
    fixed: dict[str, Any]
    free: tuple[FreeParameter, ...]
    moments: tuple[Moment, ...]
    start_year: int
    description: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def steps(self) -> int:
        """Years to simulate: from the start year to the latest year a moment reads."""
        return max(m.statistic.last_year() for m in self.moments) - self.start_year

    @property
    def fitted(self) -> tuple[Moment, ...]:
        """The moments in the loss (not hold-out)."""
        return tuple(m for m in self.moments if not m.holdout)

    @property
    def holdout(self) -> tuple[Moment, ...]:
        """The hold-out moments: reported by validation, not used in the loss."""
        return tuple(m for m in self.moments if m.holdout)

    def reporters(self) -> tuple[str, ...]:
        """Every reporter the moments read, with ``year``, sorted."""
        names = {"year"}
        for m in self.moments:
            names.update(m.statistic.reporters())
        return tuple(sorted(names))

    def moments_of(self, frame: pd.DataFrame) -> dict[str, float]:
        """Every moment's statistic of one model frame."""
        return {m.name: m.statistic.compute(frame) for m in self.moments}


# ---------------------------------------------------------------------- expressions
_OPS = (ast.Add, ast.Sub, ast.Mult, ast.Div)


def _names(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def check_expression(text: str) -> ast.Expression:
    """Parse a reporter expression: reporter names, numbers, ``+ - * /`` and brackets.

    Raises ``ValueError`` naming an unknown reporter (with close matches) or a construct
    that is not allowed.
    """
    from abm.params import did_you_mean
    from abm.reporters import MODEL_REPORTERS

    allowed = "allowed: a reporter of abm.reporters.MODEL_REPORTERS, or reporters and numbers "
    allowed += "joined by + - * / (e.g. 'exports * export_share_DS')"
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"invalid value {text!r}; {allowed}")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError:
        raise ValueError(f"invalid expression {text!r}; {allowed}") from None
    for node in ast.walk(tree):
        if isinstance(node, ast.Expression | ast.Load | ast.Name | ast.operator | ast.unaryop):
            if isinstance(node, ast.operator) and not isinstance(node, _OPS):
                raise ValueError(f"operator not allowed in {text!r}; {allowed}")
            continue
        if isinstance(node, ast.BinOp | ast.UnaryOp):
            continue
        if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
            continue
        raise ValueError(f"not allowed in {text!r}: {type(node).__name__}; {allowed}")
    for name in sorted(_names(tree)):
        if name not in MODEL_REPORTERS or name == "year":
            raise ValueError(
                f"unknown reporter {name!r}{did_you_mean(name, MODEL_REPORTERS)}; {allowed}"
            )
    return tree


def evaluate_expression(text: str, frame: pd.DataFrame) -> np.ndarray:
    """The values of a reporter expression in each row of ``frame``."""
    tree = ast.parse(text.strip(), mode="eval")

    def ev(node: ast.AST) -> np.ndarray | float:
        if isinstance(node, ast.Expression):
            return ev(node.body)
        if isinstance(node, ast.Name):
            return frame[node.id].to_numpy(dtype=float)
        if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
            return float(node.value)
        if isinstance(node, ast.UnaryOp):
            v = ev(node.operand)
            return -v if isinstance(node.op, ast.USub) else v
        if isinstance(node, ast.BinOp):
            a, b = ev(node.left), ev(node.right)
            if isinstance(node.op, ast.Add):
                return a + b
            if isinstance(node.op, ast.Sub):
                return a - b
            if isinstance(node.op, ast.Mult):
                return a * b
            return np.divide(a, b)
        raise ValueError(f"not allowed: {type(node).__name__}")  # pragma: no cover

    with np.errstate(all="ignore"):
        out = ev(tree)
    return np.broadcast_to(np.asarray(out, dtype=float), (len(frame),)).copy()


# ---------------------------------------------------------------------- parsing
def _number(value: Any, where: str, allowed: str = "a finite number") -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise TargetsError(f"{where}: invalid value {value!r}; allowed: {allowed}")
    return float(value)


def _year(value: Any, where: str, start: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TargetsError(f"{where}: invalid value {value!r}; allowed: an integer year")
    if value < start:
        raise TargetsError(
            f"{where}: year {value} is before the model's start year {start}; allowed: a "
            f"year >= {start} (express earlier data as a rate over model years)"
        )
    return int(value)


def _keys(table: dict, allowed: tuple[str, ...], where: str) -> None:
    from abm.params import did_you_mean

    for key in table:
        if key not in allowed:
            raise TargetsError(
                f"{where}: unknown key {key!r}{did_you_mean(key, allowed)}; allowed: "
                + ", ".join(allowed)
            )


def _statistic(raw: Any, where: str, start: int) -> Statistic:
    if not isinstance(raw, dict):
        raise TargetsError(
            f"{where}: missing or not a table; allowed: a table with reporter, function and "
            "year or period"
        )
    _keys(raw, _STAT_KEYS, where)
    if "reporter" not in raw:
        raise TargetsError(f"{where}.reporter: missing; allowed: a model reporter name")
    try:
        check_expression(raw["reporter"])
    except ValueError as exc:
        raise TargetsError(f"{where}.reporter: {exc}") from None
    function = raw.get("function")
    if function not in FUNCTIONS:
        raise TargetsError(
            f"{where}.function: unknown statistic {function!r}; allowed: " + ", ".join(FUNCTIONS)
        )
    needs_period = FUNCTIONS[function][0]
    if needs_period:
        if "year" in raw or "period" not in raw:
            raise TargetsError(
                f"{where}.period: function {function!r} needs period = [start, end] (and no year)"
            )
        p = raw["period"]
        if not isinstance(p, list) or len(p) != 2:
            raise TargetsError(
                f"{where}.period: invalid value {p!r}; allowed: [start year, end year]"
            )
        a, b = _year(p[0], f"{where}.period[0]", start), _year(p[1], f"{where}.period[1]", start)
        if b <= a:
            raise TargetsError(
                f"{where}.period: invalid value {p!r}; allowed: start year < end year"
            )
        return Statistic(raw["reporter"].strip(), function, None, (a, b))
    if "period" in raw or "year" not in raw:
        raise TargetsError(f"{where}.year: function {function!r} needs year = Y (and no period)")
    return Statistic(raw["reporter"].strip(), function, _year(raw["year"], f"{where}.year", start))


def _source(raw: Any, where: str) -> dict[str, Any]:
    if raw is None:
        raise TargetsError(
            f"{where}: missing; allowed: a table with author, year, title and table or page"
        )
    if not isinstance(raw, dict):
        raise TargetsError(
            f"{where}: invalid value {raw!r}; allowed: a table with author, year, title and "
            "table or page"
        )
    _keys(raw, _SOURCE_KEYS, where)
    for key in ("author", "title"):
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            raise TargetsError(f"{where}.{key}: missing or empty; allowed: a non-empty string")
    if isinstance(raw.get("year"), bool) or not isinstance(raw.get("year"), int):
        raise TargetsError(
            f"{where}.year: missing or invalid ({raw.get('year')!r}); allowed: the year of "
            "publication, an integer"
        )
    if not any(
        isinstance(raw.get(k), str | int) and str(raw[k]).strip() for k in ("table", "page")
    ):
        raise TargetsError(f"{where}.table: missing; allowed: a table or page (give one of them)")
    return dict(raw)


def _moment(raw: Any, i: int, start: int, seen: set[str]) -> Moment:
    where = f"moment[{i}]"
    if not isinstance(raw, dict):
        raise TargetsError(f"{where}: invalid value; allowed: a [[moment]] table")
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip() or not name.replace("_", "a").isalnum():
        raise TargetsError(f"{where}.name: invalid value {name!r}; allowed: letters, digits and _")
    if name in seen:
        raise TargetsError(f"{where}.name: {name!r} is used twice; allowed: unique names")
    seen.add(name)
    where = f"moment {name!r}"
    _keys(raw, _MOMENT_KEYS, where)
    stat = _statistic(raw.get("statistic"), f"{where}: statistic", start)
    if "observed" not in raw:
        raise TargetsError(f"{where}: observed: missing; allowed: a finite number")
    observed = _number(raw["observed"], f"{where}: observed")
    interval = raw.get("interval")
    if not isinstance(interval, list) or len(interval) != 2:
        raise TargetsError(
            f"{where}: interval: missing or invalid ({interval!r}); allowed: [low, high]"
        )
    low = _number(interval[0], f"{where}: interval[0]")
    high = _number(interval[1], f"{where}: interval[1]")
    if not low < high:
        raise TargetsError(
            f"{where}: interval: low {low:g} > high {high:g}; allowed: [low, high] with low < high"
        )
    if not low <= observed <= high:
        raise TargetsError(
            f"{where}: observed {observed:g} outside interval [{low:g}, {high:g}]; allowed: "
            "low <= observed <= high"
        )
    weight = _number(raw.get("weight", 1.0), f"{where}: weight", "a number >= 0")
    if weight < 0:
        raise TargetsError(f"{where}: weight: invalid value {weight:g}; allowed: a number >= 0")
    holdout = raw.get("holdout", False)
    if not isinstance(holdout, bool):
        raise TargetsError(f"{where}: holdout: invalid value {holdout!r}; allowed: true or false")
    source = _source(raw.get("source"), f"{where}: source")
    note = raw.get("note", "")
    if not isinstance(note, str):
        raise TargetsError(f"{where}: note: invalid value {note!r}; allowed: a string")
    return Moment(name, stat, observed, low, high, weight, source, holdout, note)


def _free(raw: Any, fixed: dict[str, Any], where: str) -> tuple[FreeParameter, ...]:
    from abm.params import PARAMETERS, did_you_mean

    if not isinstance(raw, dict) or not raw:
        raise TargetsError(
            f"{where}: missing or empty; allowed: [free.<parameter>] tables with low and high"
        )
    if len(raw) > MAX_FREE:
        raise TargetsError(
            f"{where}: {len(raw)} free parameters; allowed: 1 to {MAX_FREE} (a larger set "
            "is not identified by these moments)"
        )
    out = []
    for name, rng in raw.items():
        at = f"free.{name}"
        if name not in PARAMETERS:
            raise TargetsError(
                f"{at}: unknown parameter {name!r}{did_you_mean(name, PARAMETERS)}; allowed: "
                "a parameter of 'abm params'"
            )
        p = PARAMETERS[name]
        if p.kind not in (int, float):
            raise TargetsError(f"{at}: parameter {name!r} is not numeric; allowed: a number")
        if name in fixed:
            raise TargetsError(f"{at}: {name!r} is also in [fixed]; allowed: one of the two")
        if not isinstance(rng, dict):
            raise TargetsError(f"{at}: invalid value {rng!r}; allowed: a table with low, high")
        _keys(rng, ("low", "high"), at)
        if "low" not in rng or "high" not in rng:
            raise TargetsError(f"{at}: missing low or high; allowed: low = A, high = B")
        lo, hi = _number(rng["low"], f"{at}.low"), _number(rng["high"], f"{at}.high")
        if not lo < hi:
            raise TargetsError(f"{at}: prior range low {lo:g} > high {hi:g}; allowed: low < high")
        if p.low is None or p.high is None:
            raise TargetsError(f"{at}: parameter {name!r} has no registry bounds")
        if lo < p.low or hi > p.high:
            raise TargetsError(
                f"{at}: prior range [{lo:g}, {hi:g}] outside the registry bounds "
                f"[{p.low:g}, {p.high:g}]; allowed: a range within them"
            )
        out.append(FreeParameter(name, lo, hi, p.kind is int))
    return tuple(out)


def check_params(table: Any, where: str) -> dict[str, Any]:
    """Check a table of parameter values against the registry; return the converted values.

    Raises :class:`TargetsError` naming ``<where>.<name>``, the value and what is allowed.
    """
    from abm.params import PARAMETERS, did_you_mean

    if not isinstance(table, dict):
        raise TargetsError(f"{where}: invalid value; allowed: a table name = value")
    out = {}
    for key, value in table.items():
        if key not in PARAMETERS:
            raise TargetsError(
                f"{where}.{key}: unknown parameter {key!r}{did_you_mean(key, PARAMETERS)}; "
                "allowed: a parameter of 'abm params'"
            )
        try:
            out[key] = PARAMETERS[key].validate(value)
        except ValueError as exc:
            raise TargetsError(f"{where}.{key}: {exc}") from None
    return out


def parse_targets(data: dict[str, Any], path: str = "<targets>") -> Targets:
    """Validate the parsed TOML of a targets file; raise :class:`TargetsError` otherwise."""
    from abm.params import PARAMETERS
    from abm.scenarios import scenario_values

    try:
        return _parse(data, path, PARAMETERS, scenario_values)
    except TargetsError as exc:
        raise TargetsError(f"{path}: {exc}") from None


def _parse(data, path, PARAMETERS, scenario_values) -> Targets:
    _keys(data, _TOP_KEYS, "top level")
    name = data.get("name", Path(path).stem)
    if not isinstance(name, str) or not name:
        raise TargetsError(f"name: invalid value {name!r}; allowed: a non-empty string")
    preset = data.get("preset", "baseline")
    try:
        scenario_values(preset)
    except (ValueError, AttributeError) as exc:
        raise TargetsError(f"preset: {exc}") from None
    seeds = data.get("seeds", 4)
    if isinstance(seeds, bool) or not isinstance(seeds, int) or not 1 <= seeds <= 1000:
        raise TargetsError(f"seeds: invalid value {seeds!r}; allowed: an integer in [1, 1000]")
    base_seed = data.get("base_seed", 0)
    if isinstance(base_seed, bool) or not isinstance(base_seed, int) or base_seed < 0:
        raise TargetsError(f"base_seed: invalid value {base_seed!r}; allowed: an integer >= 0")
    fixed = check_params(data.get("fixed", {}), "fixed")
    fixed.setdefault("firm_data", False)
    free = _free(data.get("free"), fixed, "free")
    start = int(fixed.get("start_year", scenario_values(preset).get("start_year", 0)) or 0)
    if not start:
        start = int(PARAMETERS["start_year"].default)
    raw_moments = data.get("moment")
    if not isinstance(raw_moments, list) or not raw_moments:
        raise TargetsError("moment: missing; allowed: one or more [[moment]] tables")
    seen: set[str] = set()
    moments = tuple(_moment(m, i, start, seen) for i, m in enumerate(raw_moments))
    if not any(not m.holdout and m.weight > 0 for m in moments):
        raise TargetsError(
            "moment: every moment is hold-out or has weight 0; allowed: at least one in the loss"
        )
    desc = data.get("description", "")
    if not isinstance(desc, str):
        raise TargetsError(f"description: invalid value {desc!r}; allowed: a string")
    return Targets(
        path=str(path),
        name=name,
        preset=preset.strip(),
        seeds=seeds,
        base_seed=base_seed,
        fixed=fixed,
        free=free,
        moments=moments,
        start_year=start,
        description=desc,
    )


def load_targets(path: str | Path) -> Targets:
    """Read and validate a targets file (TOML).

    Raises
    ------
    TargetsError
        One line naming the file, the field and what is allowed.
    FileNotFoundError
        When the file does not exist.
    """
    path = Path(path)
    return parse_targets(read_toml(path, "targets file"), str(path))


def read_toml(path: Path, kind: str) -> dict[str, Any]:
    """The table of a TOML file; a missing file or bad TOML is one line naming ``path``."""
    if not path.is_file():
        raise FileNotFoundError(f"{kind} not found: {path}")
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise TargetsError(f"{path}: not valid TOML: {exc}") from None


def _g(x: float) -> str:
    return f"{x:.4g}"


def markdown_table(targets: Targets) -> str:
    """The moments and free parameters of ``targets`` as Markdown tables (docs/ODD.md, 9.1)."""
    lines = [
        "| moment | model statistic | observed [interval] | weight | source |",
        "|---|---|---|---|---|",
    ]
    for m in targets.moments:
        name = f"`{m.name}`" + (" (hold-out)" if m.holdout else "")
        stat = m.statistic.describe().replace("|", "\\|")
        interval = f"{_g(m.observed)} [{_g(m.low)}, {_g(m.high)}]"
        lines.append(f"| {name} | `{stat}` | {interval} | {_g(m.weight)} | {m.citation()} |")
    lines += ["", "| free parameter | prior (uniform) |", "|---|---|"]
    lines += [f"| `{f.name}` | [{_g(f.low)}, {_g(f.high)}] |" for f in targets.free]
    return "\n".join(lines) + "\n"


__all__ = [
    "FUNCTIONS",
    "FreeParameter",
    "Moment",
    "Statistic",
    "Targets",
    "TargetsError",
    "check_expression",
    "check_params",
    "evaluate_expression",
    "load_targets",
    "markdown_table",
    "parse_targets",
    "read_toml",
]
