"""The model in the EMA Workbench: exploratory modelling and scenario discovery.

Two entry points (they need the ``ema`` extra, ``pip install 'abm-trade-clusters[ema]'``):

* :func:`model` returns a ready EMA Workbench model whose uncertainties are the registry's
  plausible ranges (``abm.params.plausible_ranges()``), not its validation bounds::

      from ema_workbench import perform_experiments
      from abm import ema

      m = ema.model(outcomes=["export_emission_intensity"], n_firms=100, replications=2)
      experiments, outcomes = perform_experiments(m, scenarios=200)

* :func:`from_sweep` turns the directory of an ``abm experiment`` sweep into EMA's
  ``(experiments, outcomes)``, so PRIM and feature scoring run on sweeps made with the
  project's own tools (on a laptop or a Dask cluster).

The preset is ``preset=`` (EMA reserves the name ``scenario`` for its sampled points).
Replication ``r`` of every EMA scenario runs with the seed
``abm.experiments.spec.seed_for(base_seed, 0, r, common=True)`` (:func:`replication_seeds`):
common random numbers, so scenarios differ by their parameters only and every result can be
run again exactly.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from abm.params import PARAMETERS, plausible_ranges, unknown_name_error, validate

#: Outcomes of :func:`model` when none are named: final-year values of these reporters.
DEFAULT_OUTCOMES = (
    "export_emission_intensity",
    "emission_intensity",
    "emissions",
    "exports",
    "green_share",
    "upgrading_index",
)

#: Name of the EMA model (a Python identifier, as EMA Workbench 3 requires).
MODEL_NAME = "trade_clusters"

_AGGREGATES = ("mean", None)


try:  # imported here, so that its warning about the optional ipyparallel is not shown
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="ipyparallel not installed")
        import ema_workbench as _ema_workbench
except ImportError:  # pragma: no cover - the test extra installs it
    _ema_workbench = None


def _workbench():
    """The ``ema_workbench`` module, or an ImportError that says how to install it."""
    if _ema_workbench is None:  # pragma: no cover
        from abm.extras import MissingExtra

        raise MissingExtra("ema", ["ema_workbench"], "abm.ema")
    return _ema_workbench


def replication_seeds(replications: int, base_seed: int = 0) -> list[int]:
    """The model seed of each replication, the same in every EMA scenario.

    Parameters
    ----------
    replications : int
        Number of replications (at least 1).
    base_seed : int
        Root of the seeds; replication ``r`` gets ``seed_for(base_seed, 0, r, common=True)``,
        as replicate ``r`` of a sweep with ``common_random_numbers = true``.
    """
    from abm.experiments.spec import seed_for

    _check_int("replications", replications, 1)
    _check_int("base_seed", base_seed, 0)
    return [seed_for(base_seed, 0, r, common=True) for r in range(replications)]


def _check_int(field: str, value: Any, low: int) -> None:
    ok = isinstance(value, int | np.integer) and not isinstance(value, bool) and value >= low
    if not ok:
        raise ValueError(f"{field}: invalid value {value!r}; allowed: an integer >= {low}")


def _reporter_names() -> list[str]:
    from abm.reporters import MODEL_REPORTERS

    return [n for n in MODEL_REPORTERS if n != "year"]


def _outcome_names(outcomes: str | Iterable[str] | None) -> list[str]:
    if outcomes is None:
        names = list(DEFAULT_OUTCOMES)
    else:
        names = [outcomes] if isinstance(outcomes, str) else list(outcomes)
    if not names:
        raise ValueError("outcomes: empty; allowed: one or more model reporters")
    allowed = _reporter_names()
    for name in names:
        if name not in allowed:
            raise unknown_name_error("outcome (model reporter)", name, allowed)
    if len(set(names)) != len(names):
        raise ValueError(f"outcomes: {names!r} names a reporter twice")
    return names


def _ranged(name: str, bounds: Any):
    """An EMA RealParameter / IntegerParameter over ``bounds`` for a registry parameter."""
    ema = _workbench()
    p = PARAMETERS[name]
    if p.kind not in (int, float):
        raise ValueError(f"uncertainty {name!r}: a {p.kind.__name__} parameter; allowed: numbers")
    try:
        lo, hi = (p.validate(v) for v in bounds)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"uncertainty {name!r}: invalid range {bounds!r}; allowed: [low, high] with low < "
            f"high, each {p.allowed()}"
        ) from exc
    if not lo < hi:
        raise ValueError(
            f"uncertainty {name!r}: invalid range {bounds!r}; allowed: [low, high] with low < high"
        )
    if p.kind is int:
        return ema.IntegerParameter(name, int(lo), int(hi))
    return ema.RealParameter(name, float(lo), float(hi))


def uncertainties(
    names: Iterable[Any] | Mapping[str, Sequence[float]] | None = None,
    exclude: Iterable[str] = (),
) -> list:
    """EMA parameters for registry parameters, over their plausible ranges by default.

    Parameters
    ----------
    names : list of names, mapping name -> (low, high), EMA parameters, or None
        None: every parameter with a plausible range (``abm.params.plausible_ranges()``)
        except those in ``exclude``. A name takes its plausible range; a mapping gives
        ranges of its own (within the validation bounds); an EMA ``RealParameter`` or
        ``IntegerParameter`` named after a registry parameter is used as it is.
    exclude : names
        Parameters left out of the default set.

    Returns
    -------
    list of ``ema_workbench.RealParameter`` / ``IntegerParameter``
    """
    ema = _workbench()
    ranges = plausible_ranges()
    if names is None:
        skip = set(exclude)
        return [_ranged(n, r) for n, r in ranges.items() if n not in skip]
    items = names.items() if isinstance(names, Mapping) else [(n, None) for n in names]
    out = []
    for name, bounds in items:
        if isinstance(name, ema.em_framework.parameters.Parameter):
            if name.name not in PARAMETERS:
                raise unknown_name_error("uncertainty (parameter)", name.name, list(PARAMETERS))
            out.append(name)
            continue
        if not isinstance(name, str) or name not in PARAMETERS:
            raise unknown_name_error("uncertainty (parameter)", str(name), list(PARAMETERS))
        if bounds is None:
            if name not in ranges:
                raise ValueError(
                    f"uncertainty {name!r}: no plausible range in the registry; give one "
                    f"({{{name!r}: (low, high)}}) or use one of: {', '.join(ranges)}"
                )
            bounds = ranges[name]
        out.append(_ranged(name, bounds))
    seen = [u.name for u in out]
    if len(set(seen)) != len(seen):
        raise ValueError(f"uncertainties: a parameter is named twice in {seen!r}")
    return out


_uncertainties = uncertainties  # model() has an argument of this name


class ModelRun:
    """The EMA model's function: one model run, returning its outcomes.

    A module-level class, so that EMA's multiprocessing evaluator can pickle it.
    """

    def __init__(
        self,
        outcomes: Sequence[str],
        steps: int,
        preset: str,
        fixed: Mapping[str, Any],
        timeseries: bool,
    ):
        self.outcomes = list(outcomes)
        self.steps = steps
        self.preset = preset
        self.fixed = dict(fixed)
        self.timeseries = timeseries

    def __call__(self, seed: int, **params: Any) -> dict[str, Any]:
        """Run the model with ``seed`` and ``params`` for ``steps`` years."""
        from abm.model import TradeClusterModel

        values = {**self.fixed, **{k: _plain(v) for k, v in params.items()}}
        model = TradeClusterModel(preset=self.preset, rng=int(seed), **values)
        for _ in range(self.steps):
            model.step()
        frame = model.model_frame()
        if self.timeseries:
            return {o: frame[o].to_numpy(float) for o in self.outcomes}
        return {o: float(frame[o].iloc[-1]) for o in self.outcomes}


def _plain(value: Any) -> Any:
    """A numpy scalar as the Python number the parameter registry expects."""
    return value.item() if isinstance(value, np.generic) else value


def _mean_of_replications(values: list) -> Any:
    """Mean over replications: a number for final-year outcomes, an array for time series."""
    return np.mean(np.asarray(values, float), axis=0)


def _outcome(kind: type, name: str, **kwargs: Any):
    from ema_workbench.em_framework.outcomes import register

    # EMA keeps one outcome class per name per session (to save results); the model built
    # last decides, so a final-year and a time-series model can be built in one session.
    register.outcomes.pop(name, None)
    return kind(name, **kwargs)


def model(
    outcomes: str | Iterable[str] | None = None,
    uncertainties: Iterable[Any] | Mapping[str, Sequence[float]] | None = None,
    steps: int = 40,
    replications: int = 1,
    preset: str = "baseline",
    n_firms: int | None = None,
    *,
    timeseries: bool = False,
    aggregate: str | None = "mean",
    base_seed: int = 0,
    name: str = MODEL_NAME,
    **fixed: Any,
):
    """A ready EMA Workbench model of the trade cluster.

    Parameters
    ----------
    outcomes : reporter name or names, optional
        Model reporters returned as outcomes (``abm.reporters.MODEL_REPORTERS``); default
        :data:`DEFAULT_OUTCOMES`.
    uncertainties : names, mapping name -> (low, high), EMA parameters, or None
        What EMA samples (see :func:`uncertainties`). None: every parameter with a plausible
        range, except those set by ``preset``, ``n_firms`` or ``fixed``.
    steps : int
        Years simulated per run (the outcomes are those of year ``start_year + steps``).
    replications : int
        Runs per EMA scenario, with the seeds of :func:`replication_seeds`. One gives an
        ``ema_workbench.Model``, more a ``ReplicatorModel``.
    preset : str
        Scenario preset of every run (``abm scenarios``), e.g. ``"policy"`` or
        ``"technology+cbam"``.
    n_firms : int, optional
        Number of firms (default: the registry's).
    timeseries : bool
        Return each outcome's time series (steps + 1 values, start year first) instead of
        its final-year value.
    aggregate : "mean" or None
        With replications: ``"mean"`` returns the mean over replications; None keeps each
        replication (outcomes gain an axis of length ``replications``).
    base_seed : int
        Root of the replication seeds.
    name : str
        EMA model name (a Python identifier).
    **fixed
        Parameters set in every run; ``firm_data`` is off unless given.

    Returns
    -------
    ema_workbench.Model or ema_workbench.ReplicatorModel
    """
    ema = _workbench()
    from abm.scenarios import scenario_values

    if "scenario" in fixed:
        raise ValueError(
            "scenario: reserved by the EMA Workbench for its sampled points; allowed: preset="
        )
    names = _outcome_names(outcomes)
    _check_int("steps", steps, 1)
    _check_int("replications", replications, 1)
    if aggregate not in _AGGREGATES:
        raise ValueError(f"aggregate: invalid value {aggregate!r}; allowed: 'mean' or None")
    preset_values = scenario_values(preset)
    if n_firms is not None:
        fixed["n_firms"] = n_firms
    fixed = {"firm_data": False, **validate(fixed)}
    if uncertainties is None:
        uncs = _uncertainties(exclude=[*fixed, *preset_values])
    else:
        uncs = _uncertainties(uncertainties)
    clash = [u.name for u in uncs if u.name in fixed]
    if clash:
        raise ValueError(
            f"uncertainty {clash[0]!r}: also fixed; allowed: a parameter is either sampled or fixed"
        )
    if not uncs:
        raise ValueError("uncertainties: none left to sample; allowed: one or more parameters")

    function = ModelRun(names, steps, preset, fixed, timeseries)
    seeds = replication_seeds(replications, base_seed)
    if replications == 1:
        m = ema.Model(name, function=function)
        m.constants = [ema.Constant("seed", seeds[0])]
        kind = ema.TimeSeriesOutcome if timeseries else ema.ScalarOutcome
        m.outcomes = [_outcome(kind, o) for o in names]
    else:
        m = ema.ReplicatorModel(name, function=function)
        m.replications = [{"seed": s} for s in seeds]
        if aggregate == "mean":
            kind = ema.TimeSeriesOutcome if timeseries else ema.ScalarOutcome
            m.outcomes = [_outcome(kind, o, function=_mean_of_replications) for o in names]
        else:
            m.outcomes = [_outcome(ema.ArrayOutcome, o) for o in names]
    m.uncertainties = uncs
    return m


def _sweep_reporters(out_dir: str | Path, reporters: Sequence[str] | None) -> list[str] | None:
    """``reporters`` with a name shared by a swept parameter read as ``<name>_reporter``."""
    from abm.experiments import read_experiment_json

    if reporters is None:
        return None
    swept = set((read_experiment_json(Path(out_dir)) or {}).get("varied", []))
    return [f"{r}_reporter" if r in swept else r for r in reporters]


def _sweep_outcome_names(frame: pd.DataFrame, reporters: list[str] | None) -> list[str]:
    """The reporters to return as outcomes (default: every recorded one), never empty."""
    from abm.analysis.results import reporter_columns

    names = list(reporters) if reporters is not None else reporter_columns(frame)
    names = [n for n in names if n not in ("year", "Step")]
    if not names:
        raise ValueError("reporters: none to return; allowed: one or more recorded reporters")
    return names


def _sweep_design(frame: pd.DataFrame, exp: Mapping[str, Any]) -> list[str]:
    """The swept parameters, then the factorial modes, or else ``preset``."""
    varied = [v for v in exp.get("varied", []) if v in frame.columns]
    modes = [m for m in exp.get("modes", []) if m in frame.columns]
    return [*varied, *modes] if modes else [*varied, "preset"]  # modes imply the preset


def _sweep_timeseries(
    frame: pd.DataFrame, names: list[str]
) -> tuple[pd.DataFrame, list[int], dict[str, np.ndarray]]:
    """One row per run and each reporter's time series (one column per year)."""
    wide = {r: frame.pivot(index="run_id", columns="year", values=r) for r in names}
    rows = frame.drop_duplicates("run_id").set_index("run_id").loc[wide[names[0]].index]
    rows = rows.reset_index()
    years = [int(y) for y in wide[names[0]].columns]
    values = {r: w.to_numpy(float) for r, w in wide.items()}
    return rows, years, values


def _sweep_at_year(
    frame: pd.DataFrame, year: int | None, names: list[str]
) -> tuple[pd.DataFrame, list[int], dict[str, np.ndarray]]:
    """One row per run and each reporter's value in ``year`` (default: the last common one)."""
    from abm.analysis import at_year

    rows = at_year(frame, year).reset_index(drop=True)
    years = [int(rows["year"].iloc[0])]
    values = {r: rows[r].to_numpy(float) for r in names}
    return rows, years, values


def _mean_over_points(
    rows: pd.DataFrame, values: dict[str, np.ndarray]
) -> tuple[pd.DataFrame, dict[str, np.ndarray], list[list], list[list]]:
    """One row per design point: outcomes averaged over its replicates, their ids and seeds."""
    order = rows.groupby("point", sort=True).head(1).index
    pos = rows["point"].to_numpy()
    points = rows.loc[order, "point"].to_numpy()
    means = {r: np.stack([v[pos == p].mean(axis=0) for p in points]) for r, v in values.items()}
    run_ids = [rows.loc[pos == p, "run_id"].tolist() for p in points]
    seeds = [rows.loc[pos == p, "seed"].tolist() for p in points]
    return rows.loc[order].reset_index(drop=True), means, run_ids, seeds


def _sweep_experiments(
    rows: pd.DataFrame, design: list[str], exp: Mapping[str, Any]
) -> pd.DataFrame:
    """EMA's experiments table: the design columns, ``scenario``, ``policy`` and ``model``.

    A factorial mode named like one of EMA's columns (the ``policy`` mode) is
    ``<name>_mode``, so that EMA's column does not overwrite it.
    """
    clash = {name: f"{name}_mode" for name in ("scenario", "policy", "model")}
    experiments = rows[design].rename(columns=clash)
    if "preset" in experiments:
        experiments["preset"] = experiments["preset"].astype("category")
    experiments["scenario"] = rows["point"].to_numpy()
    experiments["policy"] = "none"
    experiments["model"] = exp.get("name", MODEL_NAME)
    return experiments


def from_sweep(
    out_dir: str | Path,
    reporters: Sequence[str] | None = None,
    year: int | None = None,
    *,
    timeseries: bool = False,
    mean_over_replicates: bool = False,
) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """EMA's ``(experiments, outcomes)`` from an ``abm experiment`` directory.

    Parameters
    ----------
    out_dir : path
        A directory written by ``abm experiment run`` (finished runs are read with
        :func:`abm.analysis.load_results`; failed or corrupt ones are left out with a warning).
    reporters : list of str, optional
        Reporters to return as outcomes (default: every recorded one).
    year : int, optional
        Calendar year of the outcomes (default: the last year every run reached).
    timeseries : bool
        Return each reporter's time series (one row per run, one column per year) instead
        of its value in ``year``.
    mean_over_replicates : bool
        One row per design point, with outcomes averaged over its replicates, instead of
        one row per run.

    Returns
    -------
    experiments : DataFrame
        One row per run (or point): the swept parameters under their own names, one boolean
        column per factorial mode (or else ``preset``; the ``policy`` mode is
        ``policy_mode``), and EMA's ``scenario`` (the point), ``policy`` and ``model``
        columns, which PRIM and feature scoring drop. ``attrs``
        holds ``run_id`` and ``seed`` (per row; lists of the replicates' with
        ``mean_over_replicates``), ``year`` (or ``years``) and the experiment description.
    outcomes : dict of str -> ndarray
        Reporter -> values aligned with the rows (2-D with ``timeseries``). A reporter that
        shares its name with a swept parameter is ``<name>_reporter``.
    """
    from abm.analysis import load_results

    reporters = _sweep_reporters(out_dir, reporters)
    frame = load_results(out_dir, reporters=reporters, params="varied")
    exp = frame.attrs.get("experiment", {}) or {}
    names = _sweep_outcome_names(frame, reporters)
    design = _sweep_design(frame, exp)
    if timeseries:
        rows, years, values = _sweep_timeseries(frame, names)
    else:
        rows, years, values = _sweep_at_year(frame, year, names)
    run_ids, seeds = rows["run_id"].tolist(), rows["seed"].tolist()
    if mean_over_replicates:
        rows, values, run_ids, seeds = _mean_over_points(rows, values)
    experiments = _sweep_experiments(rows, design, exp)
    experiments.attrs = {
        "run_id": run_ids,
        "seed": seeds,
        "experiment": exp,
        **({"years": years} if timeseries else {"year": years[0]}),
    }
    return experiments, values


__all__ = [
    "DEFAULT_OUTCOMES",
    "MODEL_NAME",
    "ModelRun",
    "from_sweep",
    "model",
    "replication_seeds",
    "uncertainties",
]
