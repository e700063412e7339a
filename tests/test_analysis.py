"""Analysis layer: effects recovered from synthetic data, summaries, Sobol, figures."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from abm import analysis as an
from abm.experiments import parse_experiment, run_experiment

FACTORS = ["technology", "policy", "linkage", "consumption"]
# Known effects (high minus low mean); the coefficient on +-1 codes is half of each.
TRUE = {
    "technology": 0.30,
    "policy": -0.20,
    "linkage": 0.10,
    "consumption": 0.0,
    "technology:policy": 0.08,
    "policy:linkage:consumption": -0.06,
}


def synthetic(replicates=12, noise=0.02, seed=1, common=False) -> pd.DataFrame:
    """One row per run in year 2060 (plus 2059) of a 2^4 design with known effects."""
    rng = np.random.default_rng(seed)
    rows = []
    combos = list(itertools.product((False, True), repeat=4))
    shared = rng.normal(0, 0.5, replicates)  # a replicate-level shock (common random numbers)
    for p, combo in enumerate(combos):
        x = dict(zip(FACTORS, (1.0 if c else -1.0 for c in combo), strict=True))
        mean = 2.0 + sum(
            eff / 2 * np.prod([x[f] for f in term.split(":")]) for term, eff in TRUE.items()
        )
        for r in range(replicates):
            y = mean + rng.normal(0, noise) + (shared[r] if common else 0.0)
            for year, value in ((2059, y - 1), (2060, y)):
                rows.append(
                    {
                        "run_id": f"p{p:04d}_r{r:02d}",
                        "point": p,
                        "replicate": r,
                        **dict(zip(FACTORS, combo, strict=True)),
                        "year": year,
                        "upgrading_index": value,
                    }
                )
    frame = pd.DataFrame(rows)
    frame.attrs["experiment"] = {"modes": FACTORS, "common_random_numbers": common}
    return frame


def test_factorial_effects_recovers_known_effects():
    eff = an.factorial_effects(synthetic(), "upgrading_index").set_index("term")
    assert len(eff) == 15 and eff.attrs["year"] == 2060 and eff.attrs["method"] == "regression"
    for term, row in eff.iterrows():
        truth = TRUE.get(term, 0.0)
        assert row["effect"] == pytest.approx(truth, abs=0.02), term
        assert row["ci_low"] <= row["effect"] <= row["ci_high"]
    for term in ("technology", "policy", "linkage", "technology:policy"):
        assert eff.loc[term, "ci_low"] <= TRUE[term] <= eff.loc[term, "ci_high"]
        assert eff.loc[term, "p_value"] < 1e-6
    assert eff.loc["consumption", "ci_low"] < 0 < eff.loc["consumption", "ci_high"]
    assert eff.attrs["baseline"] == pytest.approx(
        2.0 + sum(e / 2 * (-1) ** len(t.split(":")) for t, e in TRUE.items()), abs=0.02
    )


def test_factorial_effects_exact_without_noise_and_other_year():
    eff = an.factorial_effects(synthetic(replicates=2, noise=0.0), "upgrading_index", year=2059)
    eff = eff.set_index("term")["effect"]
    for term, value in eff.items():
        assert value == pytest.approx(TRUE.get(term, 0.0), abs=1e-9)


def test_factorial_effects_replicate_method_with_common_random_numbers():
    frame = synthetic(common=True)
    auto = an.factorial_effects(frame, "upgrading_index")
    assert auto.attrs["method"] == "replicate"
    eff = auto.set_index("term")
    for term in ("technology", "policy", "technology:policy"):
        assert eff.loc[term, "ci_low"] <= TRUE[term] <= eff.loc[term, "ci_high"]
    # the paired estimator removes the shared shock; plain regression's interval is wider
    reg = an.factorial_effects(frame, "upgrading_index", method="regression").set_index("term")
    assert (eff["ci_high"] - eff["ci_low"]).mean() < (reg["ci_high"] - reg["ci_low"]).mean()


def test_factorial_effects_unbalanced_and_max_order():
    frame = synthetic()
    frame = frame[~((frame["point"] == 3) & (frame["replicate"] == 0))]  # a failed run
    eff = an.factorial_effects(frame, "upgrading_index", max_order=2).set_index("term")
    assert len(eff) == 4 + 6
    assert eff.loc["technology", "effect"] == pytest.approx(0.30, abs=0.03)
    with pytest.raises(ValueError, match="unknown reporter"):
        an.factorial_effects(frame, "nope")
    with pytest.raises(ValueError, match="method"):
        an.factorial_effects(frame, "upgrading_index", method="anova")


def test_mode_attribution_adds_up():
    frame = synthetic(noise=0.0, replicates=2)
    att = an.mode_attribution(frame, "upgrading_index").set_index("mode")
    total = att.loc["all modes", "contribution"]
    assert att.loc[FACTORS, "contribution"].sum() == pytest.approx(total)
    assert att.loc[FACTORS, "share"].sum() == pytest.approx(1.0)
    assert total == pytest.approx(att.attrs["all_on"] - att.attrs["baseline"])
    # with no interaction involving consumption and no main effect, it gets a share only
    # through the 3-way term, split equally among policy, linkage and consumption
    assert att.loc["consumption", "contribution"] == pytest.approx(-0.06 / 3, abs=1e-9)


def test_replicate_summary_interval():
    frame = synthetic(replicates=5)
    s = an.replicate_summary(frame, "upgrading_index", by=["point"])
    assert set(s.columns) >= {"point", "year", "reporter", "mean", "ci_low", "ci_high", "n"}
    row = s[(s["point"] == 0) & (s["year"] == 2060)].iloc[0]
    vals = frame[(frame["point"] == 0) & (frame["year"] == 2060)]["upgrading_index"]
    mean, se, lo, hi = an.t_interval(vals.to_numpy())
    assert row["mean"] == pytest.approx(mean) and row["ci_low"] == pytest.approx(lo)
    assert row["n"] == 5 and lo < mean < hi


@pytest.fixture(scope="module")
def factorial_results(tmp_path_factory):
    out = tmp_path_factory.mktemp("fact")
    exp = parse_experiment(
        {
            "name": "fact",
            "steps": 4,
            "replicates": 2,
            "fixed": {"n_firms": 40},
            "factorial": {"modes": ["technology", "policy"]},
            "reporters": ["upgrading_index", "emissions", "carbon_price"],
        },
        "fact",
    )
    run_experiment(exp, out, executor="serial", progress=False)
    return out


def test_effects_plot_warns_of_one_degree_of_freedom(factorial_results):
    """Two replicates give replicate-contrast intervals 1 degree of freedom: the figure says
    so; least squares over the same 8 runs keeps 4 and says nothing."""

    def notes(eff):
        return " ".join(t.get_text() for t in an.plot_effects(eff).texts)

    pair = an.factorial_effects(factorial_results, "emissions", method="replicate")
    assert "1 degree of freedom" in notes(pair)
    fit = an.factorial_effects(factorial_results, "emissions", method="regression")
    assert fit.attrs["df"] == 8 - 4 and "degree of freedom" not in notes(fit)
    att = an.mode_attribution(factorial_results, "emissions")
    assert att.attrs["replicates"] == 2 and "1 degree of freedom" in notes(att)


def test_load_results_tidy(factorial_results):
    df = an.load_results(factorial_results)
    assert len(df) == 4 * 2 * 5
    cols = list(df.columns)
    assert cols[:7] == ["run_id", "point", "replicate", "seed", "preset", "technology", "policy"]
    assert {"Step", "year", "upgrading_index", "emissions", "carbon_price"} <= set(cols)
    assert df["technology"].dtype == bool
    assert set(df["preset"]) == {"baseline", "technology", "policy", "technology+policy"}
    assert df.attrs["experiment"]["kind"] == "factorial"
    eff = an.factorial_effects(df, "emissions")
    assert list(eff["term"]) == ["technology", "policy", "technology:policy"]
    assert an.factorial_effects(factorial_results, "emissions").equals(eff)
    assert isinstance(an.plot_effects({"emissions": eff}), Figure)
    fig = an.plot_timeseries(df, "upgrading_index")
    assert isinstance(fig, Figure) and len(fig.axes[0].lines) == 4
    m = an.load_manifest(factorial_results)
    assert len(m) == 8 and set(m["status"]) == {"ok"}


def test_varied_parameter_named_like_a_reporter(tmp_path):
    exp = parse_experiment(
        {
            "steps": 2,
            "fixed": {"n_firms": 30},
            "grid": {"carbon_price": [10.0, 40.0], "cbam_coverage": [0.1, 0.5]},
            "reporters": ["emissions", "carbon_price", "n_firms"],
        },
        "g",
    )
    run_experiment(exp, tmp_path, executor="serial", progress=False)
    df = an.load_results(tmp_path)
    assert set(df["carbon_price"]) == {10.0, 40.0}  # the grid value
    assert "carbon_price_reporter" in df.columns  # the yearly price
    assert "n_firms" in df.columns and "n_firms_reporter" not in df.columns  # fixed: reporter
    fig = an.plot_heatmap(df, "emissions", x="carbon_price", y="cbam_coverage")
    assert isinstance(fig, Figure)


def test_sobol_indices_on_a_tiny_sample(tmp_path):
    exp = parse_experiment(
        {
            "steps": 3,
            "fixed": {"n_firms": 30},
            "reporters": ["emissions", "mean_green_level"],
            "sampler": {
                "method": "sobol",
                "n": 8,
                "ranges": {"carbon_price": [5.0, 300.0], "green_step": [0.0, 0.3]},
            },
        },
        "s",
    )
    run_experiment(exp, tmp_path, workers=2, progress=False)
    idx = an.sobol_indices(tmp_path, "mean_green_level")
    assert list(idx["parameter"]) == ["carbon_price", "green_step"]
    assert {"S1", "S1_conf", "ST", "ST_conf"} <= set(idx.columns)
    assert np.isfinite(idx["ST"]).all()
    assert isinstance(an.plot_sensitivity(idx), Figure)
    from abm.experiments.report import write_report

    names = {p.name for p in write_report(tmp_path)}  # one replicate: no intervals
    assert {"sobol.csv", "sobol_emissions.png", "summary.csv"} <= names
    with pytest.raises(ValueError, match="morris"):
        an.morris_indices(tmp_path, "emissions")


def test_morris_indices(tmp_path):
    exp = parse_experiment(
        {
            "steps": 2,
            "fixed": {"n_firms": 30},
            "reporters": ["emissions"],
            "sampler": {
                "method": "morris",
                "n": 4,
                "ranges": {"carbon_price": [5.0, 300.0], "green_preference": [0.0, 3.0]},
            },
        },
        "m",
    )
    run_experiment(exp, tmp_path, executor="serial", progress=False)
    idx = an.morris_indices(tmp_path, "emissions")
    assert list(idx.columns) == ["parameter", "mu", "mu_star", "sigma", "mu_star_conf"]
    assert (idx["mu_star"] >= 0).all()
