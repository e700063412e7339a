"""Stylised facts (abm.validation) on hand-built frames with known answers, and ``abm facts``."""

from __future__ import annotations

import json
import math
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from abm import validation as v
from abm.cli import main
from abm.experiments import parse_experiment, run_experiment
from abm.facts_cli import YEARS

RNG = np.random.default_rng(20240601)


def pareto(alpha: float, n: int, rng=RNG) -> np.ndarray:
    """Pareto sizes with tail index ``alpha`` and minimum 1."""
    return rng.pareto(alpha, n) + 1.0


def panel(growth: np.ndarray, years: range, n: int, start: float = 10.0) -> pd.DataFrame:
    """A firm frame of ``n`` firms whose revenue grows by ``exp(growth)`` each year."""
    g = np.asarray(growth).reshape(len(years) - 1, n)
    log_size = np.vstack([np.full(n, math.log(start)), math.log(start) + np.cumsum(g, axis=0)])
    return pd.DataFrame(
        {
            "year": np.repeat(list(years), n),
            "firm_id": np.tile(np.arange(n), len(years)),
            "revenue": np.exp(log_size).ravel(),
        }
    )


# --- tail index ------------------------------------------------------------------------


@pytest.mark.parametrize("alpha", [1.0, 1.5])
def test_hill_and_rank_size_recover_a_pareto_tail_index(alpha):
    sizes = pareto(alpha, 20_000)
    assert v.hill_estimator(sizes) == pytest.approx(alpha, abs=0.08)
    assert v.rank_size_slope(sizes) == pytest.approx(alpha, abs=0.1)


def test_tail_estimators_ignore_non_positive_sizes_and_need_three():
    sizes = pareto(1.0, 5_000)
    with_zeros = np.concatenate([sizes, np.zeros(500), -np.ones(10)])
    # the tail is a share of the positive sizes
    assert v.hill_estimator(with_zeros) == v.hill_estimator(sizes)
    assert v.rank_size_slope(with_zeros) == v.rank_size_slope(sizes)
    assert math.isnan(v.hill_estimator(np.array([3.0, 1.0])))
    assert math.isnan(v.rank_size_slope(np.array([0.0, 2.0, -1.0])))


def test_size_tail_index_and_its_drift_per_decade():
    years = range(2040, 2051)
    alphas = np.linspace(1.0, 1.5, len(years))  # +0.5 over a decade
    firms = pd.concat(
        [
            pd.DataFrame({"year": y, "firm_id": np.arange(20_000), "revenue": pareto(a, 20_000)})
            for y, a in zip(years, alphas, strict=True)
        ]
    )
    out = v.size_tail_index(firms, (2040, 2050))
    assert out["hill"] == pytest.approx(1.25, abs=0.05)
    assert out["hill_drift"] == pytest.approx(0.5, abs=0.1)
    assert out["rank_size_drift"] == pytest.approx(0.5, abs=0.15)
    stable = v.size_tail_index(firms[firms["year"] == 2040].assign(year=2041).pipe(
        lambda f: pd.concat([f.assign(year=2040), f])), (2040, 2041))  # fmt: skip
    assert stable["hill_drift"] == pytest.approx(0.0, abs=1e-9)
    assert math.isnan(v.size_tail_index(firms, (2070, 2080))["hill"])


def test_top_share_and_its_change_in_points_per_decade():
    rows = []
    for i, year in enumerate(range(2040, 2051)):
        revenue = np.ones(200)
        revenue[:2] = (100 + 10 * i) / 2  # the top 2 of 200 firms (1 %)
        rows.append(pd.DataFrame({"year": year, "firm_id": np.arange(200), "revenue": revenue}))
    firms = pd.concat(rows)
    out = v.top_share(firms, (2040, 2050))
    shares = [(100 + 10 * i) / (100 + 10 * i + 198) for i in range(11)]
    assert out["mean"] == pytest.approx(np.mean(shares))
    slope = np.polyfit(np.arange(2040, 2051), 100 * np.array(shares), 1)[0]
    assert out["change_per_decade"] == pytest.approx(10 * slope)
    assert 10 < out["change_per_decade"] < 20


# --- growth ----------------------------------------------------------------------------


def test_growth_rates_pair_firms_across_years_and_remove_the_years_mean():
    firms = pd.DataFrame(
        {
            "year": [2040, 2040, 2040, 2041, 2041, 2041, 2041],
            "firm_id": [1, 2, 3, 1, 2, 3, 4],  # 4 enters in 2041
            "revenue": [10.0, 20.0, 5.0, 20.0, 20.0, 0.0, 7.0],  # 3 has no revenue in 2041
        }
    )
    g = v.growth_rates(firms, (2040, 2041)).sort_values("firm_id")
    assert g["firm_id"].tolist() == [1, 2]
    raw = np.log([2.0, 1.0])
    assert g["growth"].to_numpy() == pytest.approx(raw - raw.mean())
    assert g["log_size"].to_numpy() == pytest.approx(np.log([10.0, 20.0]))


@pytest.mark.parametrize(
    ("draw", "shape"),
    [(lambda r, n: r.laplace(0, 0.1, n), 1.0), (lambda r, n: r.normal(0, 0.1, n), 2.0)],
)
def test_subbotin_shape_is_near_1_for_laplace_and_2_for_normal_growth(draw, shape):
    years, n = range(2040, 2061), 1000
    firms = panel(draw(np.random.default_rng(3), 20 * n), years, n)
    out = v.growth_distribution(firms, (2040, 2060))
    assert out["shape"] == pytest.approx(shape, abs=0.12 * shape)
    assert abs(out["skewness"]) < 0.15
    assert out["n"] == 20 * n


def test_skewness_of_skewed_growth_is_large():
    g = np.random.default_rng(4).exponential(0.1, 20_000) - 0.1  # right-skewed, skew 2
    out = v.growth_distribution(panel(g, range(2040, 2061), 1000), (2040, 2060))
    assert out["skewness"] == pytest.approx(2.0, abs=0.3)


def test_size_volatility_slope_recovers_the_scaling_exponent():
    rng = np.random.default_rng(5)
    n = 5000
    rows = []
    for firm_set, beta in (("scaling", -0.2), ("flat", 0.0)):
        size0 = np.exp(rng.uniform(0, 8, n))
        g = rng.normal(0, 0.3 * size0**beta)
        frame = pd.DataFrame(
            {
                "year": np.repeat([2040, 2041], n),
                "firm_id": np.tile(np.arange(n), 2),
                "revenue": np.concatenate([size0, size0 * np.exp(g)]),
            }
        )
        rows.append((firm_set, beta, frame))
    for _, beta, frame in rows:
        assert v.size_volatility_slope(frame, (2040, 2041)) == pytest.approx(beta, abs=0.04)
    bins = v.size_volatility_bins(rows[0][2], (2040, 2041), bins=8)
    assert len(bins) == 8 and bins["n"].sum() == n
    assert bins["log_size"].is_monotonic_increasing
    assert bins["sd_growth"].iloc[0] > bins["sd_growth"].iloc[-1]


# --- demography, losses, exporters -----------------------------------------------------


def test_entry_and_exit_rates_are_over_the_previous_years_firms():
    model = pd.DataFrame(
        {
            "year": [2039, 2040, 2041, 2042],
            "n_firms": [100, 100, 200, 200],
            "entries": [99, 5, 104, 10],
            "exits": [99, 4, 4, 20],
        }
    )
    out = v.entry_exit_rates(model, (2040, 2042))
    assert out["entry"] == pytest.approx(np.mean([5 / 100, 104 / 100, 10 / 200]))
    assert out["exit"] == pytest.approx(np.mean([4 / 100, 4 / 100, 20 / 200]))


def test_loss_share_is_the_mean_of_the_yearly_shares():
    firms = pd.DataFrame(
        {
            "year": [2040] * 4 + [2041] * 2 + [2039] * 2,
            "profit": [-1.0, 0.0, 2.0, -0.5, -3.0, 1.0, -1.0, -1.0],
        }
    )
    assert v.loss_share(firms, (2040, 2041)) == pytest.approx((2 / 4 + 1 / 2) / 2)


def test_exporter_premia_on_a_hand_built_table():
    firms = pd.DataFrame(
        {
            "year": [2040] * 4 + [2041] * 4,
            "exporter": [True, True, False, False] * 2,
            "revenue": [10.0, 30.0, 2.0, 6.0, 40.0, 40.0, 4.0, 4.0],
            "productivity": [1.5, 2.5, 1.0, 1.0, 3.0, 3.0, 1.0, 2.0],
        }
    )
    out = v.exporter_premia(firms, (2040, 2041))
    assert out["revenue"] == pytest.approx((20 / 4 + 40 / 4) / 2)
    assert out["productivity"] == pytest.approx((2.0 / 1.0 + 3.0 / 1.5) / 2)
    no_exporters = firms.assign(exporter=False)
    assert math.isnan(v.exporter_premia(no_exporters, (2040, 2041))["revenue"])


# --- aggregate output and diffusion ----------------------------------------------------


def test_output_growth_sd_in_points_and_a_steady_path_is_not_explosive():
    years = np.arange(2040, 2061)
    growth = np.where(np.arange(20) % 2 == 0, 0.04, 0.0)  # 4 and 0 % alternately
    output = 100 * np.exp(np.concatenate([[0.0], np.cumsum(growth)]))
    out = v.output_growth(pd.DataFrame({"year": years, "output": output}), (2040, 2060))
    assert out["sd"] == pytest.approx(np.std(100 * growth, ddof=1))
    assert out["mean"] == pytest.approx(2.0)
    assert out["autocorrelation"] == pytest.approx(-1.0)
    assert out["explosive"] == 0.0


@pytest.mark.parametrize(
    "output",
    [
        100 * np.exp(0.002 * np.arange(21) ** 2),  # growth accelerating every year
        np.r_[np.full(10, 100.0), np.full(11, 250.0)],  # more than doubles in a year
        np.r_[np.full(10, 100.0), 0.0, np.full(10, 100.0)],  # output vanishes
    ],
)
def test_explosive_paths_are_flagged(output):
    frame = pd.DataFrame({"year": np.arange(2040, 2061), "output": output})
    assert v.output_growth(frame, (2040, 2060))["explosive"] == 1.0


def test_a_logistic_green_share_is_an_s_curve_with_its_inflection():
    years = np.arange(2020, 2061)
    share = v.logistic(years, 0.01, 0.95, 0.25, 2038.0)
    share = share + np.random.default_rng(6).normal(0, 0.005, len(years))
    out = v.green_diffusion(pd.DataFrame({"year": years, "green_share": share}))
    assert out["s_curve"] == 1.0
    assert out["inflection_year"] == pytest.approx(2038, abs=0.5)
    assert out["rate"] == pytest.approx(0.25, abs=0.03)
    assert out["r2"] > 0.99


@pytest.mark.parametrize(
    "share",
    [
        np.linspace(0.05, 0.85, 41),  # a straight line: no slow start or slowdown
        v.logistic(np.arange(2020, 2061), 0.0, 1.0, 0.15, 2070.0),  # still accelerating
        np.full(41, 0.3),  # flat
        v.logistic(np.arange(2020, 2061), 0.2, 0.25, 0.5, 2040.0),  # rises by 0.05 only
    ],
)
def test_paths_that_are_not_s_curves(share):
    frame = pd.DataFrame({"year": np.arange(2020, 2061), "green_share": share})
    assert v.green_diffusion(frame)["s_curve"] == 0.0


def test_green_diffusion_uses_years_up_to_the_windows_end():
    years = np.arange(2020, 2061)
    frame = pd.DataFrame({"year": years, "green_share": v.logistic(years, 0, 1, 0.3, 2035.0)})
    # cut at 2036: the slowdown is not observed yet
    assert v.green_diffusion(frame, (2030, 2036))["s_curve"] == 0.0
    assert v.green_diffusion(frame, (2030, 2060))["s_curve"] == 1.0


# --- the table -------------------------------------------------------------------------


def test_facts_table_names_each_fact_once_with_a_target_and_a_source():
    names = [f.name for f in v.FACTS]
    assert len(names) == len(set(names))
    for fact in v.FACTS:
        assert fact.source and fact.label
    targets = {f.name: f.target for f in v.FACTS}
    assert targets["tail_index_hill"] == "[0.8, 1.3]"
    assert targets["growth_subbotin_shape"] == "[0.7, 1.5]"
    assert targets["growth_skewness"] == "(-1, 1)"
    assert targets["size_volatility_slope"] == "< 0"
    assert targets["entry_rate"] == targets["exit_rate"] == "[0.03, 0.1]"
    assert targets["loss_share"] == "< 0.3"
    assert targets["exporter_revenue_premium"] == "[2, 10]"
    assert targets["exporter_productivity_premium"] == "[1.2, 2]"
    assert targets["top1_share_change"] == "(-5, 5)"
    assert targets["output_growth_sd"] == ">= 1"
    assert targets["output_explosive"] == "no" and targets["green_s_curve"] == "yes"
    assert YEARS == v.WINDOW


def test_docs_list_every_fact_with_its_source():
    doc = (Path(__file__).parents[1] / "docs" / "facts.md").read_text()
    rows = {}
    for line in doc.splitlines():
        found = re.match(r"\| [^|]*\(`([a-z0-9_]+)`\) \|", line)
        if found:
            rows[found[1]] = line
    assert set(rows) == {f.name for f in v.FACTS}
    for fact in v.FACTS:
        first_author = fact.source.split()[0]
        assert first_author in rows[fact.name] or fact.low is fact.high is None, fact.name


def test_passes_respects_open_and_closed_ends():
    facts = {f.name: f for f in v.FACTS}
    slope, hill, skew = (
        facts[k] for k in ("size_volatility_slope", "tail_index_hill", "growth_skewness")
    )
    assert slope.passes(-0.01) and not slope.passes(0.0)
    assert hill.passes(0.8) and hill.passes(1.3) and not hill.passes(1.31)
    assert skew.passes(0.99) and not skew.passes(-1.0)
    assert hill.passes(math.nan) is None and facts["top1_share"].passes(0.2) is None


def test_summarise_gives_the_mean_a_t_interval_and_shares_of_runs():
    values = pd.DataFrame(
        {f.name: [1.0, 1.2, 1.4] for f in v.FACTS} | {"output_explosive": [0.0, 1.0, 0.0]}
    )
    table = v.summarise(values).set_index("fact")
    hill = table.loc["tail_index_hill"]
    half = stats.t.ppf(0.975, 2) * 0.2 / math.sqrt(3)
    assert hill["value"] == pytest.approx(1.2) and hill["runs"] == 3
    assert (hill["low"], hill["high"]) == pytest.approx((1.2 - half, 1.2 + half))
    assert hill["passed"] is True
    assert table.loc["output_explosive", "value"] == pytest.approx(1 / 3)
    assert table.loc["output_explosive", "passed"] is False
    assert math.isnan(table.loc["output_explosive", "low"])
    single = v.summarise(values.iloc[:1]).set_index("fact")
    assert math.isnan(single.loc["tail_index_hill", "low"])


def test_measure_on_a_small_model_gives_every_fact():
    from abm import TradeClusterModel

    model = TradeClusterModel(rng=2, n_firms=80)
    for _ in range(6):
        model.step()
    frame = model.model_frame()
    values = v.measure(model.firm_frame(), frame, (2021, 2026))
    assert list(values) == [f.name for f in v.FACTS]
    for name in ("tail_index_hill", "loss_share", "output_growth_sd", "entry_rate"):
        assert np.isfinite(values[name]), name
    assert values["output_explosive"] in (0.0, 1.0)
    two = pd.concat([model.firm_frame().assign(run_id="a"), model.firm_frame().assign(run_id="b")])
    with pytest.raises(ValueError, match="firms: holds 2 runs"):
        v.measure(two, frame, (2021, 2026))


# --- the command -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def run_file(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("facts") / "run.parquet"
    argv = ["run", "--n-firms", "60", "--steps", "6", "--seed", "1", "--out", str(out)]
    assert main([*argv, "--quiet"]) == 0
    return out


@pytest.fixture(scope="module")
def sweep_dir(tmp_path_factory) -> Path:
    exp = parse_experiment(
        {
            "name": "facts",
            "steps": 6,
            "replicates": 2,
            "base_seed": 3,
            "firm_data": True,
            "fixed": {"n_firms": 40},
            "grid": {"preset": ["baseline", "policy"]},
        },
        "facts",
    )
    out = tmp_path_factory.mktemp("sweep") / "facts"
    run_experiment(exp, out, workers=1, executor="serial", progress=False)
    return out


def test_facts_prints_a_table_of_every_fact(run_file, capsys):
    assert main(["facts", str(run_file), "--years", "2021-2026"]) == 0
    out, err = capsys.readouterr()
    assert f"Stylised facts of {run_file}, 2021-2026, 1 run" in out
    # a small single run is told that the targets are stated for 10 runs of 2,000 firms
    assert "mean over at least 10 runs of 2,000 firms" in err and "this table has 1 run of " in err
    for fact in v.FACTS:
        assert fact.label in out and fact.source in out
    lines = [line for line in out.splitlines() if line.startswith("size tail index, Hill")]
    assert len(lines) == 1 and ("pass" in lines[0] or "FAIL" in lines[0])
    table, diagnostic = out.rstrip().rsplit("\n\n", 1)
    assert table.endswith("facts with a target pass.")
    # below it, the diffusion of the start year's best practice, without a target
    assert diagnostic.startswith("Diagnostic (no target): the share of firms at or below")
    assert diagnostic.endswith("no completed S-curve by 2026.")


def test_facts_json_fields(run_file, capsys):
    assert main(["facts", str(run_file), "--years", "2021-2026", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["fact"] for r in rows] == [f.name for f in v.FACTS]
    fields = {"fact", "label", "unit", "value", "interval", "runs", "target", "target_low",
              "target_high", "pass", "source", "years"}  # fmt: skip
    for row in rows:
        assert set(row) == fields
        assert row["years"] == [2021, 2026] and row["runs"] in (0, 1)
        assert row["interval"] is None
        assert row["value"] is None or isinstance(row["value"], float)
        assert row["pass"] in (True, False, None)
    by_name = {r["fact"]: r for r in rows}
    assert by_name["tail_index_hill"]["target_low"] == 0.8
    assert by_name["top1_share"]["pass"] is None


def test_facts_accepts_the_firm_file_and_writes_the_figures(run_file, tmp_path, capsys):
    firm_file = run_file.with_name("run.firms.parquet")
    folder = tmp_path / "figures" / "new"
    assert main(["facts", str(firm_file), "--years", "2020-2026", "--figures", str(folder)]) == 0
    for stem in ("rank_size", "growth_density", "size_volatility", "green_diffusion"):
        png = folder / f"{stem}.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000


def test_facts_on_a_sweep_pooled_and_by_preset(sweep_dir, tmp_path, capsys):
    assert main(["facts", str(sweep_dir), "--years", "2021-2026", "--json"]) == 0
    pooled = json.loads(capsys.readouterr().out)
    assert len(pooled) == len(v.FACTS) and all("preset" not in r for r in pooled)
    hill = next(r for r in pooled if r["fact"] == "tail_index_hill")
    assert hill["runs"] == 4 and hill["interval"][0] < hill["value"] < hill["interval"][1]
    assert main(["facts", str(sweep_dir), "--years", "2021-2026", "--json", "--by-preset"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {r["preset"] for r in rows} == {"baseline", "policy"}
    assert all(r["runs"] <= 2 for r in rows)
    figures = tmp_path / "figures"
    argv = ["facts", str(sweep_dir), "--years", "2021-2026", "--by-preset", "--figures"]
    assert main([*argv, str(figures)]) == 0
    out = capsys.readouterr().out
    assert "preset baseline, 2021-2026, 2 runs" in out and "value [95 % interval]" in out
    names = {p.name for p in figures.iterdir()}
    assert {"rank_size_baseline.png", "green_diffusion_policy.png"} <= names and len(names) == 8


def error_of(argv, capsys) -> str:
    """Run ``abm`` expecting exit status 2 and one line on stderr; return that line."""
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse's own errors
        code = exc.code
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    return err


def test_errors_name_the_path_or_option_and_what_is_allowed(run_file, sweep_dir, tmp_path, capsys):
    missing = tmp_path / "none.parquet"
    err = error_of(["facts", str(missing)], capsys)
    assert str(missing) in err and "no such file" in err and "allowed:" in err

    alone = tmp_path / "alone.parquet"
    shutil.copy(run_file, alone)
    err = error_of(["facts", str(alone), "--years", "2021-2026"], capsys)
    assert "no firm-level data" in err and "alone.firms.parquet" in err and "allowed:" in err

    err = error_of(["facts", str(run_file)], capsys)  # default window: 2040-2060
    assert "--years 2040-2060" in err and "2020-2026" in err and "allowed:" in err

    err = error_of(["facts", str(run_file), "--years", "2026-2021"], capsys)
    assert "--years" in err and "allowed: FIRST-LAST" in err

    empty = tmp_path / "sweep"
    shutil.copytree(sweep_dir / "runs", empty / "runs")
    err = error_of(["facts", str(empty), "--years", "2021-2026"], capsys)
    assert "no firm-level data" in err and "firm_data = true" in err

    short = tmp_path / "short.parquet"
    pd.read_parquet(run_file).drop(columns="output").to_parquet(short)
    shutil.copy(run_file.with_name("run.firms.parquet"), tmp_path / "short.firms.parquet")
    err = error_of(["facts", str(short), "--years", "2021-2026"], capsys)
    assert str(short) in err and "'output'" in err

    not_dir = tmp_path / "file.txt"
    not_dir.write_text("x")
    err = error_of(
        ["facts", str(run_file), "--years", "2021-2026", "--figures", str(not_dir)], capsys
    )
    assert "--figures" in err and "not a directory" in err
