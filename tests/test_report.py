"""Reports an analyst can hand on: units on axes, stated statistics, warnings, reproducible
Sobol' tables, SALib inputs."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from abm import analysis as an
from abm.analysis.labels import decimals_for, format_number, quantity
from abm.experiments import parse_experiment, run_experiment
from abm.experiments.report import write_report
from abm.reporters import MODEL_REPORTERS


@pytest.fixture(scope="module")
def sobol_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("sobol")
    exp = parse_experiment(
        {
            "steps": 3,
            "fixed": {"n_firms": 30},
            "reporters": ["emissions", "mean_green_level", "green_share"],
            "sampler": {
                "method": "sobol",
                "n": 8,
                "seed": 3,
                "ranges": {"carbon_price": [5.0, 300.0], "green_rd_subsidy": [0.0, 0.5]},
            },
        },
        "sobol_tiny",
    )
    run_experiment(exp, out, executor="serial", progress=False)
    return out


def test_two_reports_of_one_sweep_write_identical_sobol_tables(sobol_dir, tmp_path):
    write_report(sobol_dir, dest=tmp_path / "a")
    write_report(sobol_dir, dest=tmp_path / "b")
    a = (tmp_path / "a" / "sobol.csv").read_bytes()
    assert a == (tmp_path / "b" / "sobol.csv").read_bytes()
    # and the seed matters: another seed gives other intervals (the bootstrap is really seeded)
    one = an.sobol_indices(sobol_dir, "emissions")
    other = an.sobol_indices(sobol_dir, "emissions", seed=an.BOOTSTRAP_SEED + 1)
    assert one["S1"].equals(other["S1"])
    assert not one["S1_conf"].equals(other["S1_conf"])
    with pytest.raises(ValueError, match="positive integer"):
        an.sobol_indices(sobol_dir, "emissions", seed=0)


def test_salib_inputs_reproduce_sobol_indices(sobol_dir):
    from SALib.analyze import sobol

    problem, X, Y = an.salib_inputs(sobol_dir, "emissions")
    assert problem["names"] == ["carbon_price", "green_rd_subsidy"]
    assert X.shape == (8 * (2 + 2), 2) and Y.shape == (32,)
    lows, highs = np.array(problem["bounds"]).T
    assert (X - lows).min() >= 0 and (highs - X).min() >= 0
    df = an.load_results(sobol_dir)
    last = df[df["year"] == df["year"].max()].groupby("point")["emissions"].mean()
    np.testing.assert_allclose(Y, last.to_numpy())
    si = sobol.analyze(problem, Y, calc_second_order=False, seed=an.BOOTSTRAP_SEED)
    ours = an.sobol_indices(sobol_dir, "emissions")
    np.testing.assert_allclose(ours["ST"], si["ST"])
    np.testing.assert_allclose(ours["ST_conf"], si["ST_conf"])
    problem_all, X_all, Y_all = an.salib_inputs(sobol_dir)
    assert problem_all["outputs"] == ["emissions", "mean_green_level", "green_share"]
    assert Y_all.shape == (32, 3) and np.array_equal(X_all, X)
    np.testing.assert_allclose(Y_all[:, 0], Y)


def test_small_sobol_design_is_flagged_in_figure_and_summary(sobol_dir, tmp_path):
    idx = an.sobol_indices(sobol_dir, "emissions")
    assert any("small design" in w and "n = 8" in w for w in idx.attrs["warnings"])
    fig = an.plot_sensitivity(idx)
    texts = [t.get_text() for t in fig.texts]
    assert any("small design" in t for t in texts)
    write_report(sobol_dir, dest=tmp_path)
    head = (tmp_path / "summary.txt").read_text().split("\n\n", 1)[0]
    assert "small design: base sample n = 8" in head
    assert "sobol_emissions.png" in head


def test_every_reporter_has_a_plain_name_and_a_unit():
    for name in MODEL_REPORTERS:
        q = quantity(name)
        if name == "year":
            continue
        assert q.label and q.label != name.replace("_", " "), name
        assert q.unit, name
    assert quantity("emissions").unit == "t CO2"
    assert quantity("exports").unit == "USD m"
    share = quantity("green_share")
    assert (share.unit, share.low, share.high) == ("share", 0.0, 1.0)
    assert quantity("innovation_index").unit == "0-100"
    assert quantity("carbon_price_reporter").label.endswith("this year")
    assert quantity("param_carbon_price").unit == "USD/t CO2"
    # large values are scaled in words, never with SI prefixes
    assert quantity("emissions").scaled([5.92e6]) == (1e6, "million t CO2")
    assert quantity("exports").scaled([3.0e4]) == (1e3, "USD bn")
    assert quantity("green_share").scaled([0.04]) == (1.0, "share")


def test_number_format_is_one_for_a_table():
    values = [5.92e6, 1.2e5, 3.1e4]
    digits = decimals_for(values)
    assert [format_number(v, digits) for v in values] == ["5,920,000", "120,000", "31,000"]
    assert decimals_for([0.0412, 0.003]) == 4
    assert format_number(float("nan"), 2) == "-"


def _factorial_frame(values_by_run, reporter="green_share", years=(2020, 2021, 2022)):
    """A 2^2 factorial frame with the given per-(point, replicate) values in every year."""
    rows = []
    combos = list(itertools.product((False, True), repeat=2))
    for p, combo in enumerate(combos):
        scenario = "+".join(m for m, on in zip(("technology", "policy"), combo, strict=True) if on)
        for r, v in enumerate(values_by_run[p]):
            for year in years:
                rows.append(
                    {
                        "run_id": f"p{p:04d}_r{r:02d}",
                        "point": p,
                        "replicate": r,
                        "preset": scenario or "baseline",
                        "technology": combo[0],
                        "policy": combo[1],
                        "year": year,
                        reporter: v,
                    }
                )
    frame = pd.DataFrame(rows)
    frame.attrs["experiment"] = {"modes": ["technology", "policy"], "kind": "factorial"}
    return frame


def test_share_bands_stay_within_zero_and_one():
    frame = _factorial_frame([[0.95, 0.99, 0.80], [0.01, 0.2, 0.0], [0.5, 0.6, 0.55], [1, 1, 0.7]])
    for fig in (
        an.plot_timeseries(frame, "green_share"),
        an.plot_timeseries_panels(frame, "green_share"),
    ):
        for ax in fig.axes:
            for band in ax.collections:
                ys = np.concatenate([p.vertices[:, 1] for p in band.get_paths()])
                assert ys.min() >= 0.0 and ys.max() <= 1.0
    # unclipped, the t interval of the first point would leave [0, 1]
    s = an.replicate_summary(frame, "green_share", by=["point"])
    assert s["ci_high"].max() > 1.0 and s["ci_low"].min() < 0.0


def test_timeseries_titles_say_the_statistic_and_axes_the_unit():
    frame = _factorial_frame([[1e6, 2e6, 3e6]] * 4, reporter="emissions")
    fig = an.plot_timeseries(frame, "emissions")
    ax = fig.axes[0]
    assert "mean and 95% t interval across replicates (3 per point)" in ax.get_title()
    assert ax.get_ylabel() == "Total emissions (million t CO2)"
    assert ax.yaxis.get_major_formatter().get_useOffset() is False
    fig = an.plot_timeseries(frame, "emissions", max_lines=2)  # pooled view
    assert "median, 25-75 % and 5-95 % ranges of 12 runs pooled over 4 points" in (
        fig.axes[0].get_title()
    )
    panels = an.plot_timeseries_panels(frame, "emissions")
    shown = [a for a in panels.axes if a.get_visible()]
    assert len(shown) == 4
    assert [a.get_title() for a in shown] == [
        "baseline",
        "policy",
        "technology",
        "technology+policy",
    ]
    assert "dashed: baseline" in panels.get_suptitle()


def test_effect_axes_have_units_and_no_si_prefixes():
    eff = pd.DataFrame(
        {
            "term": ["technology", "policy", "technology:policy"],
            "order": [1, 1, 2],
            "effect": [0.04, -0.02, 0.001],
            "se": [0.01, 0.01, 0.01],
            "ci_low": [0.02, -0.04, -0.02],
            "ci_high": [0.06, 0.0, 0.02],
            "p_value": [0.01, 0.05, 0.9],
        }
    )
    eff.attrs.update(reporter="green_share", year=2060, conf=0.95)
    fig = an.plot_effects(eff)
    fig.canvas.draw()
    ax = fig.axes[0]
    assert " ".join(ax.get_xlabel().split()) == (
        "effect on share of firms whose green level is at least green_threshold (share)"
    )
    ticks = [t.get_text() for t in ax.get_xticklabels()]
    assert ticks and not any(t.endswith(("m", "k", "M", "µ")) for t in ticks), ticks
    assert "95% interval" in ax.get_title()


def test_heatmap_cells_share_one_format():
    rows = []
    for i, (x, y) in enumerate(itertools.product((10.0, 50.0), (0.0, 0.5))):
        for r in range(2):
            rows.append(
                {
                    "run_id": f"p{i}_r{r}",
                    "point": i,
                    "year": 2030,
                    "carbon_price": x,
                    "cbam_coverage": y,
                    "emissions": 5.92e6 / (i + 1) + r,
                }
            )
    frame = pd.DataFrame(rows)
    fig = an.plot_heatmap(frame, "emissions", x="carbon_price", y="cbam_coverage")
    ax = fig.axes[0]
    cells = [t.get_text() for t in ax.texts]
    assert len(cells) == 4
    assert all("e+" not in c for c in cells)
    decimals = {len(c.split(".")[1]) if "." in c else 0 for c in cells}
    assert len(decimals) == 1
    assert "million t CO2" in fig.axes[1].get_ylabel()
    assert ax.get_xlabel() == "Domestic carbon price in the start year (USD/t CO2)"
    assert "mean of 2 replicates per cell" in ax.get_title()


@pytest.mark.parametrize(
    ("doc", "label", "unit", "bounds"),
    [
        ("Total exports, USD m (value at export prices).", "Total exports", "USD m", (None, None)),
        (
            "Price of X, USD m per USD m of output; the asking price when unsold.",
            "Price of X",
            "USD m per USD m of output",
            (None, None),
        ),
        ("Wage index (start year = 1); follows productivity.", "Wage index", "index", (None, None)),
        (
            "Share of X going to Y, minus that share in the start year (positive: away).",
            "Share of X going to Y, minus that share in the start year",
            "difference of shares",
            (-1.0, 1.0),
        ),
        (
            "Export concentration: Herfindahl index of firms' shares (0..1).",
            "Export concentration",
            "0-1",
            (0.0, 1.0),
        ),
        ("Mean knowledge of firms.", "Mean knowledge of firms", "model units", (None, None)),
    ],
)
def test_reporter_docstrings_give_label_unit_and_bounds(doc, label, unit, bounds):
    from abm.analysis.labels import _from_docstring

    q = _from_docstring("x", doc)
    assert (q.label, q.unit, (q.low, q.high)) == (label, unit, bounds)


def test_report_of_an_incomplete_factorial_says_so_instead_of_failing(tmp_path):
    exp = parse_experiment(
        {
            "steps": 2,
            "fixed": {"n_firms": 20},
            "factorial": {"modes": ["technology", "policy"]},
            "reporters": ["emissions"],
        },
        "holes",
    )
    run_experiment(exp, tmp_path, executor="serial", progress=False)
    (run,) = tmp_path.glob("runs/p0003_r00*.parquet")
    run.unlink()  # the all-on point is lost
    names = {p.name for p in write_report(tmp_path, dest=tmp_path / "report")}
    assert "summary.txt" in names and "effects.csv" not in names
    head = (tmp_path / "report" / "summary.txt").read_text().split("\n\n", 1)[0]
    assert "factorial effects of emissions" in head
