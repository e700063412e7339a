"""Experiments: sweeps over parameters, seeds and the four promotion modes.

An experiment is a TOML file (see ``docs/experiments.md``)::

    from abm.experiments import load_experiment, run_experiment

    exp = load_experiment("experiments/factorial_modes.toml").with_overrides(replicates=3)
    summary = run_experiment(exp, "results/factorial", workers=2)

and its results are read with :mod:`abm.analysis`.
"""

from abm.experiments.runner import (
    EXECUTORS,
    SweepSummary,
    execute,
    export_results,
    left_out,
    read_experiment_json,
    read_manifest,
    run_experiment,
)
from abm.experiments.spec import (
    MAX_RUNS,
    MAX_STEPS,
    Experiment,
    ExperimentError,
    Point,
    RunSpec,
    Sampler,
    describe,
    load_experiment,
    parse_experiment,
    run_id,
    seed_for,
)

__all__ = [
    "EXECUTORS",
    "MAX_RUNS",
    "MAX_STEPS",
    "Experiment",
    "ExperimentError",
    "Point",
    "RunSpec",
    "Sampler",
    "SweepSummary",
    "describe",
    "execute",
    "export_results",
    "left_out",
    "load_experiment",
    "parse_experiment",
    "read_experiment_json",
    "read_manifest",
    "run_experiment",
    "run_id",
    "seed_for",
]
