"""abm.ema: the model in the EMA Workbench, plausible ranges, and sweeps as EMA results."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import numpy as np
import pytest

from abm import ema  # first: it hides the EMA Workbench's warning about ipyparallel

pytest.importorskip("ema_workbench")

from ema_workbench import IntegerParameter, RealParameter, perform_experiments  # noqa: E402
from ema_workbench.analysis import feature_scoring, prim  # noqa: E402
from ema_workbench.em_framework.points import from_experiments  # noqa: E402

from abm.analysis import at_year, load_results  # noqa: E402
from abm.cli import main  # noqa: E402
from abm.params import PARAMETERS, plausible_ranges  # noqa: E402

EXPLORED = [
    "carbon_price",
    "carbon_price_growth",
    "foreign_carbon_price",
    "uk_carbon_price",
    "cbam_coverage",
    "cbam_coverage_downstream",
    "green_preference",
    "green_preference_EU",
    "green_preference_growth",
    "green_rd_subsidy",
    "adoption_subsidy",
    "research_funding",
    "digital_infrastructure",
    "collaboration_propensity",
    "income_growth_domestic",
    "income_growth_ROW",
    "income_elasticity_TIB",
    "trade_elasticity",
    "rd_boost",
]
TINY = {"n_firms": 30, "steps": 3}


# ------------------------------------------------------------------ plausible ranges
def test_plausible_ranges_are_inside_the_bounds_around_the_default_with_a_source():
    ranges = plausible_ranges()
    assert set(EXPLORED) <= set(ranges)
    for name, (lo, hi) in ranges.items():
        p = PARAMETERS[name]
        assert p.low <= lo < hi <= p.high, name
        assert lo <= p.default <= hi, name
        assert p.plausible_source.strip(), name
        # a plausible range is narrower than the validation bounds, or it adds nothing
        assert hi - lo < p.high - p.low, name


def test_a_plausible_range_outside_the_bounds_is_refused_with_the_field():
    p = PARAMETERS["carbon_price"]
    with pytest.raises(ValueError, match=r"'carbon_price': plausible range .*\[0, 2000\]"):
        dataclasses.replace(p, plausible=(-5.0, 50.0))
    with pytest.raises(ValueError, match="plausible_source is empty"):
        dataclasses.replace(p, plausible_source="")
    with pytest.raises(ValueError, match="only numeric parameters"):
        dataclasses.replace(PARAMETERS["topology"], plausible=(0.0, 1.0), plausible_source="x")


# ------------------------------------------------------------------ ema.model
def test_model_samples_every_plausible_range_by_default():
    m = ema.model(**TINY)
    ranges = plausible_ranges()
    assert [u.name for u in m.uncertainties] == list(ranges)
    for u in m.uncertainties:
        assert isinstance(u, IntegerParameter if PARAMETERS[u.name].kind is int else RealParameter)
        assert (u.lower_bound, u.upper_bound) == pytest.approx(ranges[u.name])
    assert [o.name for o in m.outcomes] == list(ema.DEFAULT_OUTCOMES)


def test_model_leaves_out_what_the_preset_and_fixed_set():
    m = ema.model(preset="policy", green_preference=20.0, **TINY)
    names = {u.name for u in m.uncertainties}
    assert "carbon_price" not in names  # the policy preset sets it
    assert "green_preference" not in names
    assert "trade_elasticity" in names
    m = ema.model(uncertainties={"carbon_price": (5, 60), "n_clusters": (2, 6)}, **TINY)
    kinds = {u.name: type(u) for u in m.uncertainties}
    assert kinds == {"carbon_price": RealParameter, "n_clusters": IntegerParameter}


def test_tiny_perform_experiments_returns_the_outcomes_reproducibly():
    m = ema.model(outcomes=["export_emission_intensity", "green_share"], **TINY)
    experiments, outcomes = perform_experiments(m, scenarios=4)
    assert len(experiments) == 4
    assert set(outcomes) == {"export_emission_intensity", "green_share"}
    for values in outcomes.values():
        assert values.shape == (4,) and np.isfinite(values).all()
    for name, (lo, hi) in plausible_ranges().items():
        assert experiments[name].between(lo, hi).all(), name
    # the same scenarios give the same outcomes (seeds do not depend on the run order)
    again = from_experiments(experiments.iloc[::-1].reset_index(drop=True))
    _, outcomes2 = perform_experiments(m, scenarios=again)
    for name, values in outcomes.items():
        np.testing.assert_array_equal(outcomes2[name][::-1], values)


def test_replications_time_series_and_their_mean():
    uncs = ["carbon_price", "cbam_coverage"]
    kept = ema.model("emissions", uncs, replications=2, aggregate=None, **TINY)
    mean = ema.model("emissions", uncs, replications=2, **TINY)
    series = ema.model("emissions", uncs, replications=2, timeseries=True, **TINY)
    experiments, each = perform_experiments(kept, scenarios=3)
    scenarios = from_experiments(experiments)
    _, averaged = perform_experiments(mean, scenarios=scenarios)
    _, paths = perform_experiments(series, scenarios=scenarios)
    assert each["emissions"].shape == (3, 2)
    assert not np.array_equal(each["emissions"][:, 0], each["emissions"][:, 1])  # two seeds
    np.testing.assert_allclose(averaged["emissions"], each["emissions"].mean(axis=1))
    assert paths["emissions"].shape == (3, TINY["steps"] + 1)
    np.testing.assert_allclose(paths["emissions"][:, -1], averaged["emissions"])
    assert ema.replication_seeds(2) == ema.replication_seeds(3)[:2]
    assert ema.replication_seeds(2, base_seed=1) != ema.replication_seeds(2)


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"outcomes": ["emisions"]}, "unknown outcome (model reporter) 'emisions'"),
        ({"uncertainties": ["carbon_prise"]}, "unknown uncertainty (parameter) 'carbon_prise'"),
        ({"uncertainties": ["n_clusters"]}, "'n_clusters': no plausible range"),
        ({"uncertainties": {"cbam_coverage": (0.5, 2.0)}}, "'cbam_coverage': invalid range"),
        ({"uncertainties": {"cbam_coverage": (0.5, 0.2)}}, "low < high"),
        ({"uncertainties": ["carbon_price"], "carbon_price": 20.0}, "also fixed"),
        ({"scenario": "policy"}, "allowed: preset="),
        ({"preset": "polcy"}, "unknown scenario 'polcy'"),
        ({"steps": 0}, "steps: invalid value 0"),
        ({"replications": 1.5}, "replications: invalid value 1.5"),
        ({"aggregate": "median"}, "aggregate: invalid value 'median'"),
        ({"green_share": 0.5}, "unknown parameter 'green_share'"),
    ],
)
def test_bad_arguments_name_the_field(kwargs, words):
    with pytest.raises(ValueError) as info:
        ema.model(**kwargs)
    assert words in str(info.value)


# ------------------------------------------------------------------ ema.from_sweep
SWEEP = """
name = "tiny_ema"
steps = 3
replicates = 2
base_seed = 3
[fixed]
n_firms = 30
[grid]
carbon_price = [5.0, 20.0, 40.0]
cbam_coverage = [0.2, 0.5]
"""


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    root = tmp_path_factory.mktemp("ema_sweep")
    (root / "tiny_ema.toml").write_text(SWEEP)
    out = root / "out"
    args = ["experiment", "run", str(root / "tiny_ema.toml"), "--out", str(out)]
    assert main([*args, "--executor", "serial", "--quiet"]) == 0
    return out


def test_from_sweep_returns_ema_shaped_results(sweep):
    experiments, outcomes = ema.from_sweep(sweep)
    assert len(experiments) == 12  # 6 points x 2 replicates
    assert list(experiments.columns[:2]) == ["carbon_price", "cbam_coverage"]
    assert {"scenario", "policy", "model"} <= set(experiments.columns)
    assert set(experiments["carbon_price"]) == {5.0, 20.0, 40.0}
    assert "carbon_price_reporter" in outcomes and "export_emission_intensity" in outcomes
    for values in outcomes.values():
        assert values.shape == (12,)
    last = at_year(load_results(sweep)).reset_index(drop=True)
    assert experiments.attrs["year"] == 2023
    assert experiments.attrs["run_id"] == last["run_id"].tolist()
    np.testing.assert_array_equal(outcomes["emissions"], last["emissions"].to_numpy())


def test_from_sweep_time_series_and_replicate_means(sweep):
    experiments, outcomes = ema.from_sweep(
        sweep, reporters=["emissions", "carbon_price"], timeseries=True
    )
    assert set(outcomes) == {"emissions", "carbon_price_reporter"}
    assert outcomes["emissions"].shape == (12, 4)
    assert experiments.attrs["years"] == [2020, 2021, 2022, 2023]
    np.testing.assert_allclose(outcomes["carbon_price_reporter"][:, 0], experiments["carbon_price"])
    points, means = ema.from_sweep(sweep, reporters=["emissions"], mean_over_replicates=True)
    assert len(points) == 6 and means["emissions"].shape == (6,)
    assert points.attrs["run_id"][1] == ["p0001_r00", "p0001_r01"]
    _, runs = ema.from_sweep(sweep, reporters=["emissions"])
    np.testing.assert_allclose(means["emissions"], runs["emissions"].reshape(6, 2).mean(axis=1))


def test_prim_and_feature_scoring_run_on_a_sweep(sweep):
    experiments, outcomes = ema.from_sweep(sweep)
    y = outcomes["export_emission_intensity"]
    high = y > np.median(y)
    box = prim.Prim(experiments, high, peel_alpha=0.1).find_box()
    assert box is not None
    assert 0 < box.mass <= 1 and 0 <= box.coverage <= 1
    assert set(box.box_lim.columns) <= {"carbon_price", "cbam_coverage"}
    scores = feature_scoring.get_feature_scores_all(experiments, {"eei": y})
    assert set(scores.index) == {"carbon_price", "cbam_coverage"}


def test_the_from_sweep_example_of_the_docs_runs(sweep):
    text = (Path(__file__).parents[1] / "docs" / "experiments.md").read_text()
    block = next(b for b in re.findall(r"```python\n(.*?)```", text, re.S) if "from_sweep(" in b)
    namespace = {"np": np, "ema": ema}
    exec(block.replace('"results/carbon_price"', repr(str(sweep))), namespace)
    assert namespace["box"] is not None and len(namespace["experiments"]) == 12


def test_from_sweep_refuses_an_empty_reporter_list(sweep):
    with pytest.raises(ValueError, match="reporters: none to return; allowed: one or more"):
        ema.from_sweep(sweep, reporters=[])


FACTORIAL = """
name = "tiny_modes"
steps = 2
replicates = 1
base_seed = 5
[fixed]
n_firms = 30
[factorial]
modes = ["technology", "policy"]
"""


def test_from_sweep_of_a_factorial_has_one_boolean_column_per_mode(tmp_path):
    (tmp_path / "tiny_modes.toml").write_text(FACTORIAL)
    out = tmp_path / "out"
    args = ["experiment", "run", str(tmp_path / "tiny_modes.toml"), "--out", str(out)]
    assert main([*args, "--executor", "serial", "--quiet"]) == 0
    experiments, outcomes = ema.from_sweep(out, reporters=["emissions"])
    assert len(experiments) == 4 and "preset" not in experiments  # modes imply the preset
    # the policy mode is not overwritten by EMA's policy column
    assert list(experiments.columns) == ["technology", "policy_mode", "scenario", "policy", "model"]
    for mode in ("technology", "policy_mode"):
        assert experiments[mode].dtype == bool and set(experiments[mode]) == {False, True}
    assert set(zip(experiments["technology"], experiments["policy_mode"], strict=True)) == {
        (False, False),
        (False, True),
        (True, False),
        (True, True),
    }
    assert (experiments["policy"] == "none").all()
    assert outcomes["emissions"].shape == (4,)
    scores = feature_scoring.get_feature_scores_all(experiments, {"e": outcomes["emissions"]})
    assert set(scores.index) == {"technology", "policy_mode"}
