"""The low-carbon innovation performance index of a model run.

:func:`score_run` scores every step of collected run data (one or many runs);
:class:`InnovationIndex` scores one step at a time inside the model and gives
bit-for-bit the same numbers.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Container, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .system import Indicator, IndicatorSystem
from .thresholds import moving_average, threshold_score

__all__ = ["RUN_COLUMNS", "InnovationIndex", "score_run"]

#: Columns that identify a run in a frame holding several runs (first found wins).
RUN_COLUMNS: tuple[str, ...] = ("run_id", "RunId")


@dataclass(frozen=True)
class _Scored:
    values: np.ndarray  # (T, k) smoothed value (qualitative: mean rating)
    scores: np.ndarray  # (T, k) 0-100
    index: np.ndarray  # (T,)
    groups: dict[str, np.ndarray]  # input_score, output_score, dim_* -> (T,)


def _weighted_mean(
    scores: np.ndarray, weights: Sequence[float], members: Sequence[int]
) -> np.ndarray:
    """sum(w_i s_i) / sum(w_i) over members, summed in a fixed order."""
    total = np.zeros(scores.shape[0])
    weight = 0.0
    for i in members:
        total = total + weights[i] * scores[:, i]
        weight += weights[i]
    return total / weight


def _raw(
    system: IndicatorSystem,
    columns: Mapping[str, np.ndarray],
    first: Mapping[str, np.ndarray],
    carried: dict[str, tuple[float, float]] | None = None,
) -> np.ndarray:
    """Raw series of every source of the system, shape (T, m). ``carried``: the run-to-date
    totals of the cumulative sources through the step before ``columns`` (read step by step),
    updated to the last step of ``columns``; None when ``columns`` start at the run's start."""
    steps = len(next(iter(columns.values())))
    series = []
    for key, source in system.sources():
        totals = None
        if source.cumulative and carried is not None:
            totals = source.totals(columns, carried.get(key, (0.0, 0.0)))
            x, divisor = totals
            carried[key] = (float(x[-1]), 0.0 if divisor is None else float(divisor[-1]))
        series.append(source.compute(columns, first, totals))
    if not series:
        return np.zeros((steps, 0))
    return np.stack([np.broadcast_to(s, (steps,)) for s in series], axis=1)


def _ratings(indicator: Indicator, system: IndicatorSystem, evidence: np.ndarray) -> np.ndarray:
    """Expert ratings (T, H) of a qualitative indicator from smoothed evidence (T, E)."""
    lo, hi = system.grey.scale
    steps = evidence.shape[0]
    if indicator.ratings is not None:
        return np.broadcast_to(
            np.asarray(indicator.ratings, dtype=float), (steps, len(indicator.ratings))
        )
    level = np.zeros(steps)
    for k, item in enumerate(indicator.evidence):
        level = level + np.clip(evidence[:, k] / item.saturation, 0.0, 1.0)
    level = level / len(indicator.evidence)
    ratings = np.empty((steps, len(indicator.panel)))
    for h, offset in enumerate(indicator.panel):
        ratings[:, h] = lo + (hi - lo) * np.clip(level + offset, 0.0, 1.0)
    return ratings


def _score(system: IndicatorSystem, smoothed: np.ndarray) -> _Scored:
    """Scores of smoothed raw series (T, m); the same code serves runs and single steps."""
    keys = [key for key, _ in system.sources()]
    column = {key: j for j, key in enumerate(keys)}
    steps = smoothed.shape[0]
    k = len(system.indicators)
    values = np.empty((steps, k))
    scores = np.empty((steps, k))
    for i, indicator in enumerate(system.indicators):
        if indicator.kind == "quantitative":
            x = smoothed[:, column[indicator.name]]
            values[:, i] = x
            scores[:, i] = threshold_score(
                x, indicator.thresholds, indicator.direction, indicator.scores
            )
        else:
            evidence = smoothed[:, :0]
            if indicator.ratings is None:
                keys_of = [f"{indicator.name}#{e}" for e in range(len(indicator.evidence))]
                evidence = smoothed[:, [column[key] for key in keys_of]]
            ratings = _ratings(indicator, system, evidence)
            if np.all(np.isfinite(ratings)):
                scores[:, i] = system.grey.score(ratings)
            else:
                ok = np.all(np.isfinite(ratings), axis=1)
                scores[:, i] = np.nan
                if np.any(ok):
                    scores[ok, i] = system.grey.score(ratings[ok])
            total = np.zeros(steps)
            for h in range(ratings.shape[1]):
                total = total + ratings[:, h]
            values[:, i] = total / ratings.shape[1]
    weights = [system.weights[i.name] for i in system.indicators]
    everyone = range(k)
    groups = {
        f"{side}_score": _weighted_mean(
            scores, weights, [i for i, ind in enumerate(system.indicators) if ind.side == side]
        )
        for side in ("input", "output")
        if side in system.sides
    }
    for dim in system.used_dimensions:
        members = [i for i, ind in enumerate(system.indicators) if ind.dimension == dim]
        groups[f"dim_{dim}"] = _weighted_mean(scores, weights, members)
    return _Scored(values, scores, _weighted_mean(scores, weights, everyone), groups)


def _columns(
    scored: _Scored, system: IndicatorSystem, include_values: bool
) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {"innovation_index": scored.index}
    for side in ("input", "output"):
        if f"{side}_score" in scored.groups:
            out[f"{side}_score"] = scored.groups[f"{side}_score"]
    for dim in system.used_dimensions:
        out[f"dim_{dim}"] = scored.groups[f"dim_{dim}"]
    for i, indicator in enumerate(system.indicators):
        out[f"score_{indicator.name}"] = scored.scores[:, i]
    if include_values:
        for i, indicator in enumerate(system.indicators):
            out[f"value_{indicator.name}"] = scored.values[:, i]
    return out


def _missing(system: IndicatorSystem, available: Container[str]) -> list[str]:
    return [name for name in system.required_reporters if name not in available]


def score_run(
    frame: pd.DataFrame,
    system: IndicatorSystem | None = None,
    *,
    include_values: bool = False,
    run_column: str | None = None,
) -> pd.DataFrame:
    """Score every step of collected model run data.

    Parameters
    ----------
    frame : pandas.DataFrame
        Model reporters, one row per step (``Step`` as column or index, 0 =
        initial state). Several runs may be stacked (a sweep); they are told
        apart by ``run_column`` (default: ``run_id`` or ``RunId`` if present)
        and scored separately, each from its own first step.
    system : IndicatorSystem, optional
        Indicator system (default: :meth:`IndicatorSystem.default`).
    include_values : bool, default False
        Also return ``value_<indicator>``: the smoothed raw value (qualitative
        indicators: the mean expert rating).
    run_column : str, optional
        Column identifying runs.

    Returns
    -------
    pandas.DataFrame
        Same index and row order as ``frame``, with the identifying columns
        found (run id, ``iteration``, ``Step``, ``year``) followed by
        ``innovation_index``, ``input_score``, ``output_score``,
        ``dim_<dimension>`` and ``score_<indicator>``, all on 0-100.

    Raises
    ------
    ValueError
        If reporters needed by the system are missing.
    """
    system = system or IndicatorSystem.default()
    _check_reporters(system, frame)
    run_column = _run_column(frame, run_column)
    parts = _score_runs(frame, system, run_column, include_values)
    ids = [c for c in (run_column, "iteration", "Step", "year") if c and c in frame.columns]
    out = frame[ids].copy() if ids else pd.DataFrame(index=frame.index)
    for name, values in parts.items():
        out[name] = values
    return out


def _check_reporters(system: IndicatorSystem, frame: pd.DataFrame) -> None:
    """Refuse run data without the reporters the system reads, saying what to keep."""
    missing = _missing(system, frame.columns)
    if missing:
        hint = (
            "this looks like firm-level data; score the model frame (the run's .parquet)"
            if "firm_id" in frame.columns
            else 'keep them in the run (in an experiment file: reporters = "all")'
        )
        raise ValueError(f"the run data lacks reporters needed by the index: {missing}; {hint}")


def _run_column(frame: pd.DataFrame, run_column: str | None) -> str | None:
    """The column that tells runs apart: the one given, else the first of
    :data:`RUN_COLUMNS` found, else none (a single run)."""
    if run_column is None:
        return next((c for c in RUN_COLUMNS if c in frame.columns), None)
    if run_column not in frame.columns:
        raise ValueError(f"no column {run_column!r} in the run data")
    return run_column


def _steps(frame: pd.DataFrame) -> np.ndarray:
    """The step of each row: the ``Step`` column or index level, else the row number."""
    if "Step" in frame.columns:
        return pd.to_numeric(frame["Step"]).to_numpy()
    if frame.index.name == "Step" or "Step" in (frame.index.names or ()):
        return pd.to_numeric(pd.Series(frame.index.get_level_values("Step"))).to_numpy()
    return np.arange(len(frame))


def _score_runs(
    frame: pd.DataFrame, system: IndicatorSystem, run_column: str | None, include_values: bool
) -> dict[str, np.ndarray]:
    """The output columns for every row of ``frame``, each run scored in step order from its
    own first step; for an empty frame, the columns with no rows."""
    steps = _steps(frame)
    runs = frame[run_column].to_numpy() if run_column else np.zeros(len(frame))
    keys = pd.Series(runs).factorize()[0] if len(frame) else np.zeros(0, dtype=int)
    data = {name: frame[name].to_numpy(dtype=float) for name in system.required_reporters}
    parts: dict[str, np.ndarray] = {}
    for run in range(int(keys.max()) + 1 if len(keys) else 0):
        rows = np.flatnonzero(keys == run)
        rows = rows[np.argsort(steps[rows], kind="stable")]
        columns = {name: values[rows] for name, values in data.items()}
        first = {name: values[:1] for name, values in columns.items()}
        smoothed = moving_average(_raw(system, columns, first), system.smoothing_years)
        for name, values in _columns(_score(system, smoothed), system, include_values).items():
            parts.setdefault(name, np.full(len(frame), np.nan))[rows] = values
    if not parts:  # an empty frame: the columns, with no rows
        empty = _score(system, np.zeros((0, len(system.sources()))))
        parts = _columns(empty, system, include_values)
    return parts


class InnovationIndex:
    """Step-by-step index tracker for the model's ``innovation_index`` reporter.

    Call :meth:`update` once per collected step, from the initial state (step
    0) on, with that step's reporter values. It keeps what the index needs of
    the past (the last n raw values for the moving average and the first
    step's values for falls and growth) and returns exactly what
    :func:`score_run` returns for the collected frame.

    Parameters
    ----------
    system : IndicatorSystem, optional
        Indicator system (default: :meth:`IndicatorSystem.default`).
    """

    def __init__(self, system: IndicatorSystem | None = None) -> None:
        self.system = system or IndicatorSystem.default()
        self._first: dict[str, np.ndarray] | None = None
        self._window: deque[np.ndarray] = deque(maxlen=self.system.smoothing_years)
        self._totals: dict[str, tuple[float, float]] = {}
        self.last: dict[str, float] = {}

    @property
    def required_reporters(self) -> tuple[str, ...]:
        """Reporter names :meth:`update` reads."""
        return self.system.required_reporters

    def reset(self) -> None:
        """Forget the history (start of a new run)."""
        self._first = None
        self._window.clear()
        self._totals = {}
        self.last = {}

    def update(self, values: Mapping[str, float]) -> float:
        """Add one step's reporter values and return the index (0-100) for it.

        Parameters
        ----------
        values : mapping of str to float
            This step's model reporters; at least :attr:`required_reporters`.

        Returns
        -------
        float
            The index. :attr:`last` holds the step's full breakdown (the
            columns of :func:`score_run` with values).
        """
        missing = _missing(self.system, values)
        if missing:
            raise ValueError(f"update() lacks reporters needed by the index: {missing}")
        columns = {
            name: np.asarray([values[name]], dtype=float) for name in self.required_reporters
        }
        if self._first is None:
            self._first = columns
        self._window.append(_raw(self.system, columns, self._first, self._totals)[0])
        smoothed = moving_average(np.stack(self._window), self.system.smoothing_years)[-1:]
        breakdown = _columns(_score(self.system, smoothed), self.system, include_values=True)
        self.last = {name: float(v[0]) for name, v in breakdown.items()}
        return self.last["innovation_index"]
