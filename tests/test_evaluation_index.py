"""Threshold scoring, the indicator system, score_run, the tracker and the CLI."""

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from abm.evaluation import (
    IndicatorSystem,
    InnovationIndex,
    cli,
    moving_average,
    score_run,
    threshold_score,
)

#: The model's reporters (the contract with the model).
CONTRACT = {
    "output_share_LIB",
    "output_share_RIB",
    "output_share_TIB",
    "output_share_DS",
    "export_share_LIB",
    "export_share_RIB",
    "export_share_TIB",
    "export_share_DS",
    "exports",
    "upgrading_index",
    "export_hhi",
    "exporter_share",
    "digital_share",
    "green_share",
    "mean_green_level",
    "emissions",
    "emission_intensity",
    "export_emission_intensity",
    "carbon_revenue",
    "subsidies",
    "cbam_paid",
    "rd_intensity",
    "collaborations",
    "mean_knowledge",
    "n_firms",
    "entries",
    "exits",
    "green_rd_share",
    "green_rd",
    "research_funding",
    "digital_infrastructure",
    "carbon_price",
    "green_rd_subsidy_rate",
    "adoption_subsidy_rate",
    "ties_per_firm",
    "carbon_productivity",
    "output",
}


def synthetic_run(steps: int = 41, green: float = 1.0, seed: int = 0) -> pd.DataFrame:
    """A plausible run: `green` scales how far the low-carbon transition goes."""
    rng = np.random.default_rng(seed)
    t = np.arange(steps) / (steps - 1)
    noise = lambda scale: scale * rng.standard_normal(steps)  # noqa: E731
    tib = 0.15 + 0.25 * green * t
    ds = 0.05 + 0.15 * green * t
    intensity = 600.0 * (1 - 0.6 * green * t) * (1 + noise(0.02))
    frame = pd.DataFrame(
        {
            "Step": np.arange(steps),
            "year": 2020 + np.arange(steps),
            "output_share_LIB": 0.5 - 0.25 * green * t,
            "output_share_RIB": 1 - 0.5 + 0.25 * green * t - tib - ds,
            "output_share_TIB": tib,
            "output_share_DS": ds,
            "export_share_LIB": 0.55 - 0.3 * green * t,
            "export_share_RIB": 0.25 - 0.1 * green * t,
            "export_share_TIB": 0.15 + 0.3 * green * t,
            "export_share_DS": 0.05 + 0.1 * green * t,
            "exports": 300.0 * (1 + t),
            "upgrading_index": 1.7 + green * t,
            "export_hhi": 0.3,
            "exporter_share": 0.22,
            "digital_share": 0.1 + 0.5 * green * t,
            "green_share": np.clip(0.05 + 0.7 * green * t + noise(0.02), 0, 1),
            "mean_green_level": 0.1 + 0.5 * green * t,
            "emissions": 600.0 * 1500 * (1 - 0.5 * green * t),
            "emission_intensity": intensity,
            "export_emission_intensity": intensity * 1.1,
            "carbon_revenue": 10.0 * green * t,
            "subsidies": 1500.0 * 0.004 * green * t,
            "cbam_paid": 2.0,
            "rd_intensity": 0.006 + 0.02 * green * t + noise(0.0005),
            "collaborations": 300 * (0.05 + 0.4 * green * t),
            "mean_knowledge": 1.0 + 1.5 * green * t,
            "n_firms": 300 + np.round(noise(3)),
            "entries": 5,
            "exits": 5,
            "green_rd_share": 0.1 + 0.4 * green * t,
            "green_rd": 1500.0 * (1 + t) * 0.006 * (0.1 + 0.4 * green * t),
            "research_funding": 1500.0 * 0.003 * green * t,
            "digital_infrastructure": 0.2 + 0.6 * green * t,
            "carbon_price": 10 + 80 * green * t,
            "green_rd_subsidy_rate": 0.1 + 0.1 * green * t,
            "adoption_subsidy_rate": 0.05 + 0.05 * green * t,
            "ties_per_firm": 3.0 * (1 + 0.5 * green * t),
            "carbon_productivity": 1e6 / intensity,
            "output": 1500.0 * (1 + t),
        }
    )
    return frame


# ---- moving average and thresholds -------------------------------------------------


def test_moving_average_over_available_years_at_the_start():
    np.testing.assert_allclose(moving_average([1.0, 2, 3, 4, 5], 3), [1, 1.5, 2, 3, 4])
    np.testing.assert_allclose(moving_average([4.0, 8.0], 1), [4, 8])
    two = moving_average(np.array([[1.0, 10], [3, 30], [5, 50]]), 2)
    np.testing.assert_allclose(two, [[1, 10], [2, 20], [4, 40]])
    with pytest.raises(ValueError):
        moving_average([1.0, 2.0], 0)


def test_threshold_score_interpolates_and_clips():
    t = [0.0, 0.25, 0.6]
    np.testing.assert_allclose(
        threshold_score([-1, 0, 0.125, 0.25, 0.425, 0.6, 2], t, "higher"),
        [0, 0, 25, 50, 75, 100, 100],
    )
    np.testing.assert_allclose(
        threshold_score([100, 150, 325, 500, 1000, 5000], [150, 500, 1000], "lower"),
        [100, 100, 75, 50, 0, 0],
    )
    assert threshold_score(0.5, [0, 1], "higher", scores=[20, 80]) == pytest.approx(50)
    assert np.isnan(threshold_score(np.nan, t))


@pytest.mark.parametrize(
    ("thresholds", "kwargs"),
    [
        ([1.0], {}),
        ([2.0, 1.0], {}),
        ([0.0, 1.0], {"direction": "up"}),
        ([0.0, 1.0], {"scores": [0, 120]}),
        (5, {}),
    ],
)
def test_threshold_score_rejects_bad_settings(thresholds, kwargs):
    with pytest.raises(ValueError):
        threshold_score(0.5, thresholds, **kwargs)


@given(
    st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=20),
    st.lists(st.floats(-1e3, 1e3), min_size=2, max_size=5, unique=True),
    st.sampled_from(["higher", "lower"]),
)
@settings(max_examples=150, deadline=None)
def test_threshold_scores_stay_in_range_and_follow_direction(values, thresholds, direction):
    t = sorted(thresholds)
    if np.any(np.diff(t) <= 1e-9):
        return
    x = np.sort(np.asarray(values))
    s = threshold_score(x, t, direction)
    assert np.all((s >= 0) & (s <= 100))
    steps = np.diff(s)
    assert np.all(steps >= -1e-9) if direction == "higher" else np.all(steps <= 1e-9)


# ---- the indicator system -------------------------------------------------------------


def test_default_system_is_consistent_and_reads_only_contract_reporters():
    system = IndicatorSystem.default()
    assert set(system.required_reporters) <= CONTRACT
    assert sum(system.weights.values()) == pytest.approx(1.0)
    assert all(w > 0 for w in system.weights.values())
    assert all(result.cr < 0.1 for result in system.comparisons.values())
    assert set(system.used_dimensions) == {
        "comprehensive_utilisation",
        "pollution_control",
        "basic_support",
        "financial_support",
    }
    kinds = {i.name: i.kind for i in system.indicators}
    assert kinds["policy_support"] == kinds["cluster_cooperation"] == "qualitative"
    assert {i.side for i in system.indicators} == {"input", "output"}


DEFAULT_TOML = (Path(__file__).parents[1] / "abm" / "evaluation" / "indicators.toml").read_text()


def _broken(tmp_path: Path, old: str, new: str) -> Path:
    """The default file with `old` replaced by `new` (several pairs split by '|')."""
    text = DEFAULT_TOML
    for before, after in zip(old.split("|"), new.split("|"), strict=True):
        assert before in text
        text = text.replace(before, after, 1)
    path = tmp_path / "system.toml"
    path.write_text(text)
    return path


#: rd_intensity judged far below cluster cooperation, against the rest of its row.
INCONSISTENT = (
    '[1, 2, 3, 3],|["1/3", "1/2", 1, 1],\n]',
    '[1, 2, 3, "1/9"],|[9, "1/2", 1, 1],\n]',
)


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ("smoothing_years = 3", "smoothing_years = 0", "index.smoothing_years"),
        ('dimension = "basic_support"', 'dimension = "luck"', "indicators[0].dimension"),
        (
            "thresholds = [0.005, 0.025, 0.073]",
            "thresholds = [0.04, 0.01]",
            "indicators[0].thresholds",
        ),
        ('reporter = "rd_intensity"', "reporter = 7", "indicators[0].reporter"),
        ('direction = "higher"', 'direction = "up"', "indicators[0].direction"),
        ("thresholds = [0.005", "treshold = [0.005", "indicators[0].treshold"),
        ("smoothing_years = 3", "smoothing_years = 2.5", "index.smoothing_years"),
        ('[1, "1/2"],\n    [2, 1],', '[1, "1/2"],\n    [3, 1],', "ahp.goal.matrix"),
        (*INCONSISTENT, "ahp.input.basic_support.matrix"),
        ('items = ["input", "output"]', 'items = ["input", "outputs"]', "ahp.goal.items"),
        (
            "[ahp.output.pollution_control]",
            "[ahp.output.pollution_kontrol]",
            "ahp.output.pollution_kontrol",
        ),
        ("[ahp.goal]", "[ahp.goal]\nweights = [0.5, 0.5]", "ahp.goal.weights"),
        ("cumulative = true", 'cumulative = "yes"', "indicators[5].cumulative"),
        ("scale = 1e6", "scale = -1e6", "indicators[5].scale"),
        ("[ahp.goal]", "[ahp.gaol]\n[ahp.goal]", "ahp.gaol"),
        (
            '{ reporter = "carbon_price", saturation = 100.0 }',
            '{ reporter = "carbon_price", saturation = -1.0 }',
            "indicators[7].evidence[0].saturation",
        ),
    ],
)
def test_malformed_system_file_names_file_and_field(tmp_path, old, new, field):
    path = _broken(tmp_path, old, new)
    with pytest.raises(ValueError) as info:
        IndicatorSystem.from_toml(path)
    message = str(info.value)
    assert str(path) in message
    assert f"'{field}" in message


def test_inconsistent_matrix_in_file_reports_its_cr(tmp_path):
    path = _broken(tmp_path, *INCONSISTENT)
    with pytest.raises(ValueError, match=r"CR = \d\.\d+ >= 0\.1") as info:
        IndicatorSystem.from_toml(path)
    assert "check=False" not in str(info.value)  # a file cannot pass it


@pytest.mark.parametrize(
    ("old", "new", "field", "hint"),
    [
        (
            'reporter = "rd_intensity"',
            'reporter = "rd_intensty"',
            "indicators[0].reporter",
            "rd_intensity",
        ),
        ('per = "output"', 'per = "outptu"', ".per", "output"),
        (
            '{ reporter = "carbon_price", saturation = 100.0 }',
            '{ reporter = "carbon_prise", saturation = 100.0 }',
            "indicators[7].evidence[0].reporter",
            "carbon_price",
        ),
    ],
)
def test_unknown_reporter_in_file_is_caught_at_load(tmp_path, old, new, field, hint):
    path = _broken(tmp_path, old, new)
    with pytest.raises(ValueError) as info:
        IndicatorSystem.from_toml(path)
    message = str(info.value)
    assert field in message and "unknown reporter" in message
    assert f"did you mean '{hint}'" in message and "MODEL_REPORTERS" in message


def test_unreadable_system_file(tmp_path):
    with pytest.raises(ValueError, match=r"missing\.toml"):
        IndicatorSystem.from_toml(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[index\nsmoothing_years = 3")
    with pytest.raises(ValueError, match="not valid TOML"):
        IndicatorSystem.from_toml(bad)


def test_user_thresholds_and_ratings_change_the_scores(tmp_path):
    frame = synthetic_run()
    path = _broken(tmp_path, "thresholds = [0.005, 0.025, 0.073]", "thresholds = [0.1, 0.2]")
    custom = score_run(frame, IndicatorSystem.from_toml(path))
    assert np.all(custom["score_rd_intensity"] == 0)
    base = score_run(frame)
    assert np.all(base["score_rd_intensity"].iloc[5:] > 0)
    rated = IndicatorSystem.default().with_ratings({"policy_support": [5, 5, 5]})
    np.testing.assert_allclose(score_run(frame, rated)["score_policy_support"], 100.0)
    with pytest.raises(ValueError):
        IndicatorSystem.default().with_ratings({"rd_intensity": [3]})
    with pytest.raises(ValueError, match=r"qualitative indicators: \['cluster_cooperation'"):
        IndicatorSystem.default().with_ratings({"policysupport": [3]})


def test_fixed_ratings_in_the_file_replace_the_rule(tmp_path):
    path = tmp_path / "rated.toml"
    text = DEFAULT_TOML.replace(
        'panel = [-0.10, -0.05, 0.0, 0.05, 0.10]\nevidence = [\n    { reporter = "carbon_price"',
        'ratings = [1, 1, 1]\npanel = [0.0]\nevidence = [\n    { reporter = "carbon_price"',
    )
    assert text != DEFAULT_TOML
    path.write_text(text)
    system = IndicatorSystem.from_toml(path)
    assert "carbon_price" not in system.required_reporters
    assert np.all(score_run(synthetic_run(), system)["score_policy_support"] == 0.0)


# ---- score_run and the tracker -----------------------------------------------------------


def test_score_run_gives_every_part_on_0_to_100_per_step():
    frame = synthetic_run()
    scored = score_run(frame)
    system = IndicatorSystem.default()
    assert len(scored) == len(frame)
    assert list(scored.index) == list(frame.index)
    expected = (
        ["Step", "year", "innovation_index", "input_score", "output_score"]
        + [f"dim_{d}" for d in system.used_dimensions]
        + [f"score_{n}" for n in system.names]
    )
    assert list(scored.columns) == expected
    parts = scored.drop(columns=["Step", "year"])
    assert parts.notna().all().all()
    assert ((parts >= 0) & (parts <= 100)).all().all()
    weights = np.array([system.weights[n] for n in system.names])
    recombined = scored[[f"score_{n}" for n in system.names]].to_numpy() @ weights
    np.testing.assert_allclose(scored["innovation_index"], recombined, rtol=1e-12)
    w_in = system.local_weights["goal"]["input"]
    np.testing.assert_allclose(
        scored["innovation_index"],
        w_in * scored["input_score"] + (1 - w_in) * scored["output_score"],
        rtol=1e-12,
    )


def test_tracker_matches_score_run_exactly():
    frame = synthetic_run(seed=3)
    tracker = InnovationIndex()
    assert set(tracker.required_reporters) == set(IndicatorSystem.default().required_reporters)
    values = [tracker.update(row) for row in frame.to_dict("records")]
    scored = score_run(frame, include_values=True)
    np.testing.assert_array_equal(values, scored["innovation_index"].to_numpy())
    last = scored.iloc[-1]
    for name, value in tracker.last.items():
        assert value == last[name], name
    tracker.reset()
    assert tracker.update(frame.iloc[0].to_dict()) == scored["innovation_index"].iloc[0]


def test_tracker_refuses_missing_reporters():
    with pytest.raises(ValueError, match="carbon_price"):
        InnovationIndex().update({"rd_intensity": 0.01})


def test_greener_run_scores_higher_and_index_rises_over_a_transition():
    green = score_run(synthetic_run(green=1.0))
    brown = score_run(synthetic_run(green=0.0))
    assert green["innovation_index"].iloc[-1] > brown["innovation_index"].iloc[-1] + 20
    assert green["innovation_index"].iloc[-1] > green["innovation_index"].iloc[0] + 20
    assert abs(brown["innovation_index"].iloc[-1] - brown["innovation_index"].iloc[0]) < 5


def test_stacked_runs_are_scored_separately_and_order_does_not_matter():
    a, b = synthetic_run(green=1.0, seed=1), synthetic_run(green=0.3, seed=2)
    sweep = pd.concat([a.assign(run_id=0), b.assign(run_id=1)], ignore_index=True)
    shuffled = sweep.sample(frac=1.0, random_state=0)
    scored = score_run(shuffled)
    assert list(scored.index) == list(shuffled.index)
    assert list(scored.columns[:3]) == ["run_id", "Step", "year"]
    for run, alone in ((0, score_run(a)), (1, score_run(b))):
        part = scored[scored["run_id"] == run].sort_values("Step")
        np.testing.assert_array_equal(
            part["innovation_index"].to_numpy(), alone["innovation_index"].to_numpy()
        )


def test_step_may_be_the_index():
    frame = synthetic_run()
    by_index = score_run(frame.set_index("Step").iloc[::-1])
    assert by_index.index.name == "Step"
    np.testing.assert_array_equal(
        by_index.sort_index()["innovation_index"].to_numpy(),
        score_run(frame)["innovation_index"].to_numpy(),
    )


def test_missing_reporters_are_named():
    with pytest.raises(ValueError, match=r"\['green_rd'\]"):
        score_run(synthetic_run().drop(columns=["green_rd"]))


def test_green_rd_per_tonne_is_green_rd_over_emissions_run_to_date():
    frame = synthetic_run(steps=5)
    frame["green_rd"] = [2.0, 3.0, 1.0, 0.0, 4.0]  # USD m
    frame["emissions"] = [1e6, 1e6, 5e5, 5e5, 2e6]  # t
    scored = score_run(frame, include_values=True)
    raw = 1e6 * np.cumsum(frame["green_rd"]) / np.cumsum(frame["emissions"])  # USD per t
    np.testing.assert_allclose(scored["value_green_rd_per_tonne"], moving_average(raw, 3))


def test_green_rd_per_tonne_does_not_fall_when_firms_become_green():
    # firms abate from 10 % to 90 % of their base emissions and keep their green research
    # per tonne still emitted, shifting the rest of their R&D to process innovation: the
    # green share of R&D (the indicator this one replaced) falls by 8/9, this one does not
    steps = 21
    green = np.linspace(0.1, 0.9, steps)
    frame = synthetic_run(steps=steps)
    frame["emissions"] = 1e6 * (1 - green)  # t
    frame["green_rd"] = 5.0 * (1 - green)  # USD m: 5 USD per t emitted, every year
    frame["green_rd_share"] = frame["green_rd"] / (1500.0 * frame["rd_intensity"])
    assert frame["green_rd_share"].iloc[-1] < frame["green_rd_share"].iloc[0] / 8
    scored = score_run(frame, include_values=True)
    np.testing.assert_allclose(scored["value_green_rd_per_tonne"], 5.0)
    assert scored["score_green_rd_per_tonne"].diff().dropna().ge(-1e-9).all()


def test_cumulative_sources_read_step_by_step_match_the_run(tmp_path):
    # a cumulative source without `per` (a run-to-date total) and one with a transform:
    # the tracker's running totals give score_run's numbers exactly
    path = _broken(
        tmp_path,
        'reporter = "rd_intensity"\n|{ reporter = "carbon_price", saturation = 100.0 }',
        'reporter = "subsidies"\ncumulative = true\nscale = 0.01\n'
        '|{ reporter = "cbam_paid", cumulative = true, transform = "growth_from_first", '
        "saturation = 10.0 }",
    )
    system = IndicatorSystem.from_toml(path)
    frame = synthetic_run(seed=5)
    scored = score_run(frame, system, include_values=True)
    total = 0.01 * np.cumsum(frame["subsidies"])
    np.testing.assert_allclose(scored["value_rd_intensity"], moving_average(total, 3))
    tracker = InnovationIndex(system)
    values = [tracker.update(row) for row in frame.to_dict("records")]
    np.testing.assert_array_equal(values, scored["innovation_index"].to_numpy())


def test_fall_in_emission_intensity_is_relative_to_the_first_step():
    frame = synthetic_run(steps=5)
    frame["emission_intensity"] = [500.0, 450, 400, 350, 250]
    scored = score_run(frame, include_values=True)
    raw_fall = 1 - frame["emission_intensity"] / 500.0
    np.testing.assert_allclose(scored["value_emission_intensity_fall"], moving_average(raw_fall, 3))


# ---- the CLI -----------------------------------------------------------------------


def _run_cli(argv):
    parser = argparse.ArgumentParser(prog="abm")
    cli.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["evaluate", *argv])
    return args.func(args)


def test_cli_prints_the_breakdown(tmp_path, capsys):
    path = tmp_path / "run.parquet"
    synthetic_run().to_parquet(path)
    assert _run_cli([str(path)]) == 0
    out = capsys.readouterr().out
    final = score_run(synthetic_run(), include_values=True).iloc[-1]
    assert "step 40 (year 2060)" in out
    assert f"{final['innovation_index']:.1f}" in out
    for label in (
        "Innovation input",
        "Innovation output",
        "Financial support",
        "Carbon productivity",
        "Policy support",
    ):
        assert label in out
    assert _run_cli([str(path), "--step", "5"]) == 0
    assert "step 5 (year 2025)" in capsys.readouterr().out


def test_cli_picks_a_run_from_a_sweep(tmp_path, capsys):
    path = tmp_path / "sweep.parquet"
    sweep = pd.concat([synthetic_run().assign(run_id=r) for r in (7, 8)], ignore_index=True)
    sweep.to_parquet(path)
    assert _run_cli([str(path), "--run-id", "8"]) == 0
    assert "run_id 8" in capsys.readouterr().out


@pytest.mark.parametrize(
    "problem", ["missing", "not-parquet", "no-reporters", "step", "system", "run-id"]
)
def test_cli_bad_input_exits_2_with_one_line(tmp_path, capsys, problem):
    path = tmp_path / "run.parquet"
    argv = [str(path)]
    if problem == "not-parquet":
        path.write_text("hello")
    elif problem == "no-reporters":
        synthetic_run().drop(columns=["output"]).to_parquet(path)
    else:
        synthetic_run().to_parquet(path)
    if problem == "missing":
        path.unlink(missing_ok=True)
    if problem == "step":
        argv += ["--step", "99"]
    if problem == "system":
        argv += ["--system", str(tmp_path / "nope.toml")]
    if problem == "run-id":  # a single-run file has no run ids to choose from
        argv += ["--run-id", "3"]
    with pytest.raises(SystemExit) as info:
        _run_cli(argv)
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    assert err.startswith("abm evaluate: error:")
