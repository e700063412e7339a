"""The indicator system: indicators, their mapping onto model reporters, AHP weights.

An :class:`IndicatorSystem` is read from a TOML file (the default is the package
file ``indicators.toml``). Its hierarchy is goal -> side (input, output) ->
dimension -> indicator, each level weighted by AHP; an indicator's global weight
is the product of the local weights on its path.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any, Literal, overload

import numpy as np

from abm.constraints import Constraint, ConstraintError, Flag, ListOf, Number, Table, Text

from .ahp import CR_THRESHOLD, AHPResult, ahp, global_weights
from .grey import GreyClass, GreyClasses, WhiteningFunction
from .thresholds import validate_thresholds

__all__ = ["Evidence", "Indicator", "IndicatorSystem", "Source"]

Transform = Literal["level", "fall_from_first", "growth_from_first"]
_TRANSFORMS = ("level", "fall_from_first", "growth_from_first")


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """numerator / denominator, 0 where the denominator is 0."""
    safe = np.where(denominator == 0, 1.0, denominator)
    return np.where(denominator == 0, 0.0, numerator / safe)


@dataclass(frozen=True)
class Source:
    """How a raw yearly series is read from model reporters.

    ``x_t = scale x sum(reporters)_t [/ per_t]``, then ``transform``: ``"level"``
    keeps it, ``"fall_from_first"`` gives ``1 - x_t / x_0`` and
    ``"growth_from_first"`` gives ``x_t / x_0 - 1`` (0 when ``x_0`` is 0), with
    ``x_0`` the run's first step. With ``cumulative``, the sum of the reporters and
    ``per`` are their totals from the run's first step to step ``t`` (run to date), so
    ``x_t`` is a ratio of totals, or a total without ``per``.
    """

    reporters: tuple[str, ...]
    per: str | None = None
    transform: Transform = "level"
    cumulative: bool = False
    scale: float = 1.0

    @property
    def needs(self) -> tuple[str, ...]:
        """Reporter names this source reads."""
        return self.reporters + ((self.per,) if self.per else ())

    def _parts(self, columns: Mapping[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray | None]:
        """The sum of the reporters and the divisor (None without ``per``), step by step."""
        x = np.asarray(columns[self.reporters[0]], dtype=float)
        for name in self.reporters[1:]:
            x = x + np.asarray(columns[name], dtype=float)
        if self.per is None:
            return x, None
        return x, np.asarray(columns[self.per], dtype=float)

    def _value(self, x: np.ndarray, divisor: np.ndarray | None) -> np.ndarray:
        return self.scale * (x if divisor is None else _ratio(x, divisor))

    def _level(self, columns: Mapping[str, np.ndarray]) -> np.ndarray:
        return self._value(*self._parts(columns))

    def totals(
        self, columns: Mapping[str, np.ndarray], before: tuple[float, float] = (0.0, 0.0)
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """Run-to-date totals of the reporters' sum and of the divisor at each step of
        ``columns``, continuing from ``before`` (the totals through the step before them)."""
        x, divisor = self._parts(columns)
        x = np.cumsum(x) + before[0]
        return x, None if divisor is None else np.cumsum(divisor) + before[1]

    def compute(
        self,
        columns: Mapping[str, np.ndarray],
        first: Mapping[str, np.ndarray],
        totals: tuple[np.ndarray, np.ndarray | None] | None = None,
    ) -> np.ndarray:
        """Raw series from reporter columns and the run's first-step values (``totals``: a
        cumulative source's :meth:`totals` of ``columns`` when the caller has them, as when
        reading step by step; else they run from the run's start)."""
        if self.cumulative:
            x = self._value(*(self.totals(columns) if totals is None else totals))
        else:
            x = self._level(columns)
        if self.transform == "level":
            return x
        x0 = np.broadcast_to(self._level(first), x.shape)
        if self.transform == "fall_from_first":
            return np.where(x0 == 0, 0.0, 1.0 - _ratio(x, x0))
        return np.where(x0 == 0, 0.0, _ratio(x, x0) - 1.0)


@dataclass(frozen=True)
class Evidence:
    """One piece of model evidence behind a qualitative rating: a source and the
    value at which it counts as fully achieved (``saturation``)."""

    source: Source
    saturation: float


@dataclass(frozen=True)
class Indicator:
    """An indicator of the system.

    Attributes
    ----------
    name, label : str
        Identifier and readable name.
    side : str
        ``"input"`` or ``"output"`` (keys of the system's sides).
    dimension : str
        One of the system's dimensions.
    kind : {"quantitative", "qualitative"}
    unit : str
        Unit of the smoothed value (qualitative: the rating scale).
    source : Source or None
        Reporter mapping (quantitative).
    direction : {"higher", "lower"}
        Whether larger values are better (quantitative).
    thresholds, scores : tuple of float
        Scoring breakpoints and their scores (quantitative).
    evidence, panel : tuple
        Rule that turns model state into expert ratings (qualitative).
    ratings : tuple of float or None
        Fixed expert ratings overriding the rule (qualitative).
    """

    name: str
    label: str
    side: str
    dimension: str
    kind: Literal["quantitative", "qualitative"]
    unit: str = ""
    source: Source | None = None
    direction: Literal["higher", "lower"] = "higher"
    thresholds: tuple[float, ...] = ()
    scores: tuple[float, ...] | None = None
    evidence: tuple[Evidence, ...] = ()
    panel: tuple[float, ...] = ()
    ratings: tuple[float, ...] | None = None

    @property
    def group(self) -> str:
        """Name of the indicator's (side, dimension) node in the hierarchy."""
        return f"{self.side}/{self.dimension}"


class _Fields:
    """Typed access to a TOML table with errors naming the file and field."""

    def __init__(
        self, origin: str, table: Mapping[str, Any], where: str, context: str = ""
    ) -> None:
        self.origin, self.table, self.where, self.context = origin, table, where, context

    def error(self, key: str | None, message: str) -> ValueError:
        name = f"{self.where}.{key}" if key and self.where else (key or self.where)
        return ValueError(f"{self.origin}: field '{name}'{self.context}: {message}")

    def get(self, key: str, constraint: Constraint, default: Any = ...) -> Any:
        """The value of ``key`` checked by ``constraint``; ``default`` (unchecked) if absent."""
        if key not in self.table:
            if default is ...:
                raise self.error(key, "missing")
            return default
        try:
            return constraint.check(self.table[key], key)
        except ConstraintError as exc:
            raise self.error(key, f"expected {exc.allowed}, got {exc.value!r}") from None

    def number(self, key: str, default: Any = ...) -> float:
        return self.get(key, _NUMBER, default)

    @overload
    def numbers(self, key: str) -> tuple[float, ...]: ...
    @overload
    def numbers(self, key: str, default: tuple[float, ...]) -> tuple[float, ...]: ...
    @overload
    def numbers(self, key: str, default: None) -> tuple[float, ...] | None: ...
    def numbers(self, key: str, default: Any = ...) -> tuple[float, ...] | None:
        values = self.get(key, _NUMBERS, default)
        return None if values is None else tuple(values)

    @overload
    def strings(self, key: str) -> tuple[str, ...]: ...
    @overload
    def strings(self, key: str, default: None) -> tuple[str, ...] | None: ...
    def strings(self, key: str, default: Any = ...) -> tuple[str, ...] | None:
        values = self.get(key, _NAMES, default)
        return None if values is None else tuple(values)

    def only(self, *allowed: str) -> None:
        try:
            Table(allowed).check(dict(self.table), self.where)
        except ConstraintError as exc:
            unknown = sorted(set(exc.unknown))
            message = f"unknown field; expected one of {sorted(allowed)}"
            raise self.error(unknown[0], message) from None

    def sub(self, key: str, default: Any = ...) -> _Fields:
        return _Fields(
            self.origin, self.get(key, _TABLE, default), f"{self.where}.{key}".strip(".")
        )


# The constraints of an indicator file's fields; a refused value reads "expected <words>,
# got <value>".
_TEXT = Text()
_INTEGER = Number(integer=True, strict=True)
_NUMBER = Number(strict=True)
_NUMBERS = ListOf(_NUMBER, words="a list of numbers")
_NAMES = ListOf(_TEXT, min_len=1, words="a non-empty list of names")
_LIST = ListOf()
_TABLE = Table()
_FLAG = Flag()


#: The fields of a table that reads a raw series (see :class:`Source`).
_SOURCE_FIELDS = ("reporter", "reporters", "per", "transform", "cumulative", "scale")


def _known_reporter(fields: _Fields, key: str, name: str) -> None:
    """Raise naming the field unless ``name`` is one of the model's reporters."""
    from abm.params import did_you_mean
    from abm.reporters import MODEL_REPORTERS

    if name not in MODEL_REPORTERS:
        raise fields.error(
            key,
            f"unknown reporter {name!r}{did_you_mean(name, MODEL_REPORTERS)}; allowed: the "
            f"{len(MODEL_REPORTERS)} model reporters of abm.reporters.MODEL_REPORTERS",
        )


def _source(fields: _Fields) -> Source:
    reporter = fields.get("reporter", _TEXT, None)
    reporters = fields.strings("reporters", None)
    if reporter is not None and reporters is None:
        names: tuple[str, ...] = (reporter,)
    elif reporter is None and reporters is not None:
        names = reporters
    else:
        raise fields.error("reporter", "give exactly one of 'reporter' or 'reporters'")
    transform = fields.get("transform", _TEXT, "level")
    if transform not in _TRANSFORMS:
        raise fields.error("transform", f"must be one of {_TRANSFORMS}, got {transform!r}")
    per = fields.get("per", _TEXT, None)
    for name in names:
        _known_reporter(fields, "reporter" if reporter is not None else "reporters", name)
    if per is not None:
        _known_reporter(fields, "per", per)
    cumulative = fields.get("cumulative", _FLAG, False)
    scale = fields.number("scale", 1.0)
    if not scale > 0 or not math.isfinite(scale):
        raise fields.error("scale", f"must be a positive number, got {scale}")
    return Source(reporters=names, per=per, transform=transform, cumulative=cumulative, scale=scale)


def _indicator(fields: _Fields, sides: Mapping[str, str], dims: Mapping[str, str]) -> Indicator:
    name = fields.get("name", _TEXT)
    side = fields.get("side", _TEXT)
    if side not in sides:
        raise fields.error("side", f"unknown side {side!r}; sides are {sorted(sides)}")
    dimension = fields.get("dimension", _TEXT)
    if dimension not in dims:
        raise fields.error(
            "dimension", f"unknown dimension {dimension!r}; dimensions are {sorted(dims)}"
        )
    kind = fields.get("kind", _TEXT, "quantitative")
    base = ("name", "label", "side", "dimension", "kind", "unit")
    if kind == "quantitative":
        fields.only(*base, *_SOURCE_FIELDS, "direction", "thresholds", "scores")
    elif kind == "qualitative":
        fields.only(*base, "ratings", "evidence", "panel")
    common = dict(
        name=name,
        label=fields.get("label", _TEXT, name),
        side=side,
        dimension=dimension,
        unit=fields.get("unit", _TEXT, ""),
    )
    if kind == "quantitative":
        direction = fields.get("direction", _TEXT)
        if direction not in ("higher", "lower"):
            raise fields.error("direction", f"must be 'higher' or 'lower', got {direction!r}")
        thresholds = fields.numbers("thresholds")
        scores = fields.numbers("scores", None)
        try:
            validate_thresholds(thresholds, scores)
        except ValueError as exc:
            raise fields.error("thresholds", str(exc)) from None
        return Indicator(
            kind="quantitative",
            source=_source(fields),
            direction=direction,
            thresholds=thresholds,
            scores=scores,
            **common,
        )
    if kind == "qualitative":
        ratings = fields.numbers("ratings", None)
        items = fields.get("evidence", _LIST, [] if ratings is not None else ...)
        evidence = []
        for k, item in enumerate(items):
            if not isinstance(item, dict):
                raise fields.error(f"evidence[{k}]", "expected a table")
            sub = _Fields(fields.origin, item, f"{fields.where}.evidence[{k}]", fields.context)
            sub.only(*_SOURCE_FIELDS, "saturation")
            saturation = sub.number("saturation")
            if not saturation > 0 or not math.isfinite(saturation):
                raise sub.error("saturation", f"must be a positive number, got {saturation}")
            evidence.append(Evidence(source=_source(sub), saturation=saturation))
        if ratings is None and not evidence:
            raise fields.error("evidence", "a qualitative indicator needs evidence or ratings")
        panel = fields.numbers("panel", (0.0,))
        if not panel:
            raise fields.error("panel", "needs at least one expert")
        if ratings is not None and not ratings:
            raise fields.error("ratings", "needs at least one expert rating")
        return Indicator(
            kind="qualitative",
            evidence=tuple(evidence),
            panel=panel,
            ratings=ratings,
            **common,
        )
    raise fields.error("kind", f"must be 'quantitative' or 'qualitative', got {kind!r}")


def _grey(fields: _Fields) -> GreyClasses:
    fields.only("scale", "classes")
    scale = fields.numbers("scale")
    if len(scale) != 2:
        raise fields.error("scale", f"expected [lowest, highest] rating, got {list(scale)}")
    classes = []
    for k, item in enumerate(fields.get("classes", _LIST)):
        if not isinstance(item, dict):
            raise fields.error(f"classes[{k}]", "expected a table")
        sub = _Fields(fields.origin, item, f"{fields.where}.classes[{k}]")
        sub.only("name", "value", "points")
        points = sub.numbers("points")
        if len(points) != 4:
            raise sub.error("points", f"expected four turning points [a, b, c, d], got {points}")
        try:
            function = WhiteningFunction(*points)
        except ValueError as exc:
            raise sub.error("points", str(exc)) from None
        classes.append(GreyClass(sub.get("name", _TEXT), sub.number("value"), function))
    try:
        return GreyClasses(classes=tuple(classes), scale=(scale[0], scale[1]))
    except ValueError as exc:
        raise fields.error("classes", str(exc)) from None


def _comparison(fields: _Fields, expected: Sequence[str]) -> tuple[tuple[str, ...], AHPResult]:
    items = fields.strings("items")
    if sorted(items) != sorted(expected) or len(set(items)) != len(items):
        raise fields.error("items", f"must list exactly {sorted(expected)}, got {list(items)}")
    matrix = fields.get("matrix", _LIST)
    try:
        result = ahp(matrix, check=False)
    except ValueError as exc:
        raise fields.error("matrix", str(exc)) from None
    if result.n != len(items):
        raise fields.error("matrix", f"must be {len(items)} x {len(items)}, one row per item")
    if not result.consistent:
        raise fields.error(
            "matrix",
            f"inconsistent judgements: consistency ratio CR = {result.cr:.3f} >= "
            f"{CR_THRESHOLD} (Saaty's rule); revise the comparisons",
        )
    return items, result


def _smoothing_years(root: _Fields) -> int:
    """``[index] smoothing_years``: the years of the moving average, at least 1."""
    index = root.sub("index")
    index.only("smoothing_years")
    years = index.get("smoothing_years", _INTEGER)
    if years < 1:
        raise index.error("smoothing_years", f"must be >= 1, got {years}")
    return years


def _sides(root: _Fields) -> dict[str, Any]:
    """``[sides]``: the labels of exactly the sides 'input' and 'output'."""
    sides = dict(root.get("sides", _TABLE))
    if sorted(sides) != ["input", "output"]:
        raise root.error("sides", f"must define 'input' and 'output', got {sorted(sides)}")
    return sides


def _dimensions(root: _Fields) -> dict[str, Any]:
    """``[dimensions]``: the labels of at least one dimension."""
    dims = dict(root.get("dimensions", _TABLE))
    if not dims:
        raise root.error("dimensions", "define at least one dimension")
    return dims


def _indicators(
    root: _Fields, sides: Mapping[str, Any], dims: Mapping[str, Any], grey: GreyClasses
) -> list[Indicator]:
    """``[[indicators]]``: at least one, with distinct names that are not reserved and fixed
    ratings on the grey scale."""
    indicators: list[Indicator] = []
    for k, item in enumerate(root.get("indicators", _LIST)):
        if not isinstance(item, dict):
            raise root.error(f"indicators[{k}]", "expected a table")
        context = f" ({item['name']})" if isinstance(item.get("name"), str) else ""
        indicator = _indicator(_Fields(root.origin, item, f"indicators[{k}]", context), sides, dims)
        if any(i.name == indicator.name for i in indicators):
            raise root.error(f"indicators[{k}].name", f"duplicate name {indicator.name!r}")
        if indicator.name in sides or indicator.name == "goal" or "/" in indicator.name:
            raise root.error(f"indicators[{k}].name", f"reserved name {indicator.name!r}")
        _check_ratings(root, k, indicator, grey)
        indicators.append(indicator)
    if not indicators:
        raise root.error("indicators", "define at least one indicator")
    return indicators


def _check_ratings(root: _Fields, k: int, indicator: Indicator, grey: GreyClasses) -> None:
    """Refuse fixed expert ratings of the k-th indicator outside the grey scale."""
    if indicator.ratings is not None:
        lo, hi = grey.scale
        if any(not lo <= r <= hi for r in indicator.ratings):
            raise root.error(f"indicators[{k}].ratings", f"must lie in [{lo}, {hi}]")


def _comparison_table(fields: _Fields | None, key: str, *children: str) -> _Fields | None:
    """The sub-table ``key`` if present, holding only a comparison and ``children``."""
    if fields is None or key not in fields.table:
        return None
    sub = fields.sub(key)
    sub.only("items", "matrix", *children)
    return sub


@dataclass
class _Weighing:
    """The AHP comparisons and local weights of the hierarchy's nodes, read from ``[ahp]``."""

    ahp: _Fields
    comparisons: dict[str, AHPResult] = field(default_factory=dict)
    local: dict[str, dict[str, float]] = field(default_factory=dict)

    def weigh(
        self, node: str, fields: _Fields | None, children: list[str], prefix: str = ""
    ) -> None:
        """Local weights of ``children`` under ``node``: 1 for a single child without a
        comparison, otherwise from the pairwise comparison in ``fields``."""
        key = node.replace("/", ".")
        if len(children) == 1 and (fields is None or "matrix" not in fields.table):
            self.local[node] = {prefix + children[0]: 1.0}
            return
        if fields is None or "matrix" not in fields.table:
            raise self.ahp.error(key, f"missing pairwise comparisons of {children}")
        order, result = _comparison(fields, children)
        self.comparisons[node] = result
        self.local[node] = {
            prefix + name: float(w) for name, w in zip(order, result.weights, strict=True)
        }


def _weights(
    ahp_fields: _Fields, sides: Mapping[str, Any], indicators: Sequence[Indicator]
) -> tuple[list[str], _Weighing]:
    """The sides that hold indicators, and the weights of goal -> side -> dimension ->
    indicator for them."""
    used_sides = [s for s in sides if any(i.side == s for i in indicators)]
    ahp_fields.only("goal", *used_sides)
    weighing = _Weighing(ahp_fields)
    weighing.weigh("goal", _comparison_table(ahp_fields, "goal"), used_sides)
    for side in used_sides:
        side_dims = list(dict.fromkeys(i.dimension for i in indicators if i.side == side))
        side_fields = _comparison_table(ahp_fields, side, *side_dims)
        weighing.weigh(side, side_fields, side_dims, prefix=f"{side}/")
        for dim in side_dims:
            members = [i.name for i in indicators if i.side == side and i.dimension == dim]
            weighing.weigh(f"{side}/{dim}", _comparison_table(side_fields, dim), members)
    return used_sides, weighing


@dataclass(frozen=True)
class IndicatorSystem:
    """Indicators, hierarchy, AHP weights and scoring rules of the index.

    Build it with :meth:`default` or :meth:`from_toml`; see the package file
    ``indicators.toml`` for the format.

    Attributes
    ----------
    indicators : tuple of Indicator
    sides, dimensions : dict of str to str
        Keys and labels.
    smoothing_years : int
        Moving-average window n.
    grey : GreyClasses
        Grey classes and rating scale for the qualitative indicators.
    comparisons : dict of str to AHPResult
        AHP result of every pairwise matrix, keyed ``"goal"``, ``"<side>"`` and
        ``"<side>/<dimension>"``.
    local_weights : dict of str to dict of str to float
        The hierarchy: local weights under each node (root ``"goal"``).
    weights : dict of str to float
        Global weight of every indicator (sums to one).
    origin : str
        File the system was read from.
    """

    indicators: tuple[Indicator, ...]
    sides: dict[str, str]
    dimensions: dict[str, str]
    smoothing_years: int
    grey: GreyClasses
    comparisons: dict[str, AHPResult]
    local_weights: dict[str, dict[str, float]]
    weights: dict[str, float] = field(init=False)
    origin: str = "<memory>"
    _sources: tuple[tuple[str, Source], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        tree = global_weights(self.local_weights, root="goal")
        object.__setattr__(self, "weights", {i.name: tree[i.name] for i in self.indicators})
        series: list[tuple[str, Source]] = []
        for i in self.indicators:
            if i.kind == "quantitative" and i.source is not None:
                series.append((i.name, i.source))
        for i in self.indicators:
            if i.kind == "qualitative" and i.ratings is None:
                series.extend((f"{i.name}#{k}", e.source) for k, e in enumerate(i.evidence))
        object.__setattr__(self, "_sources", tuple(series))

    # ---- construction -------------------------------------------------------------

    @classmethod
    def default(cls) -> IndicatorSystem:
        """The default system shipped as ``abm/evaluation/indicators.toml``."""
        text = resources.files(__package__).joinpath("indicators.toml").read_text("utf-8")
        return cls.from_dict(tomllib.loads(text), origin="abm/evaluation/indicators.toml")

    @classmethod
    def from_toml(cls, path: str | Path) -> IndicatorSystem:
        """Read a system from a TOML file.

        Raises
        ------
        ValueError
            If the file cannot be read or parsed, or a field is missing or
            invalid; the message names the file and the field.
        """
        path = Path(path)
        try:
            data = tomllib.loads(path.read_text("utf-8"))
        except OSError as exc:
            raise ValueError(f"{path}: cannot read the indicator system: {exc.strerror}") from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ValueError(f"{path}: not valid TOML: {exc}") from None
        return cls.from_dict(data, origin=str(path))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], origin: str = "<dict>") -> IndicatorSystem:
        """Build a system from parsed TOML (see :meth:`from_toml`)."""
        root = _Fields(origin, data, "")
        root.only("index", "sides", "dimensions", "grey", "ahp", "indicators")
        years = _smoothing_years(root)
        sides = _sides(root)
        dims = _dimensions(root)
        grey = _grey(root.sub("grey"))
        indicators = _indicators(root, sides, dims, grey)
        used_sides, weighing = _weights(root.sub("ahp"), sides, indicators)
        return cls(
            indicators=tuple(indicators),
            sides={s: str(sides[s]) for s in used_sides},
            dimensions={d: str(v) for d, v in dims.items()},
            smoothing_years=years,
            grey=grey,
            comparisons=weighing.comparisons,
            local_weights=weighing.local,
            origin=origin,
        )

    def with_ratings(self, ratings: Mapping[str, Sequence[float]]) -> IndicatorSystem:
        """A copy with fixed expert ratings for the named qualitative indicators."""
        names = {i.name: i for i in self.indicators}
        lo, hi = self.grey.scale
        updated = []
        for indicator in self.indicators:
            if indicator.name in ratings:
                values = tuple(float(r) for r in ratings[indicator.name])
                if indicator.kind != "qualitative":
                    raise ValueError(f"{indicator.name!r} is not a qualitative indicator")
                if not values or any(not lo <= r <= hi for r in values):
                    raise ValueError(f"ratings of {indicator.name!r} must lie in [{lo}, {hi}]")
                indicator = replace(indicator, ratings=values)
            updated.append(indicator)
        unknown = set(ratings) - set(names)
        if unknown:
            qualitative = [i.name for i in self.indicators if i.kind == "qualitative"]
            raise ValueError(
                f"unknown indicators {sorted(unknown)}; qualitative indicators: {qualitative}"
            )
        return replace(self, indicators=tuple(updated))

    # ---- derived views --------------------------------------------------------------

    @property
    def names(self) -> tuple[str, ...]:
        """Indicator names in order."""
        return tuple(i.name for i in self.indicators)

    @property
    def used_dimensions(self) -> tuple[str, ...]:
        """Dimensions that hold at least one indicator, in declaration order."""
        return tuple(d for d in self.dimensions if any(i.dimension == d for i in self.indicators))

    def sources(self) -> list[tuple[str, Source]]:
        """Every raw series the system reads: (key, source), quantitative first.

        Keys are indicator names, and ``"<indicator>#<k>"`` for the k-th
        evidence item of a qualitative indicator rated by the rule.
        """
        return list(self._sources)

    @property
    def required_reporters(self) -> tuple[str, ...]:
        """Model reporters the system reads, sorted."""
        return tuple(sorted({n for _, s in self.sources() for n in s.needs}))
