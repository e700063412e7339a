"""Parameter uncertainty in experiments: replicates draw parameter sets from a posterior
sample or from intervals, paired across design points, with one clear message per bad
input."""

from __future__ import annotations

import textwrap

import pandas as pd
import pytest

from abm.experiments import ExperimentError, load_experiment, parse_experiment, run_experiment

GRID = """
name = "unc"
steps = 3
replicates = 6
base_seed = 7
[fixed]
n_firms = 40
[grid]
carbon_price = [10.0, 50.0]
"""


def write(tmp_path, text: str, name: str = "exp.toml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def posterior(tmp_path, rows: str, name: str = "posterior.csv"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(rows).lstrip())
    return path


def test_ranges_draw_one_set_per_replicate_the_same_at_every_point(tmp_path):
    text = GRID + "[uncertainty.ranges]\ntrade_elasticity = [2.0, 8.0]\nexit_years = [2, 5]\n"
    exp = load_experiment(write(tmp_path, text))
    runs = exp.runs()
    by_rep: dict[int, set] = {}
    for r in runs:
        assert 2.0 <= r.drawn["trade_elasticity"] <= 8.0
        assert isinstance(r.drawn["exit_years"], int) and 2 <= r.drawn["exit_years"] <= 5
        assert r.params["trade_elasticity"] == r.drawn["trade_elasticity"]
        by_rep.setdefault(r.replicate, set()).add(tuple(sorted(r.drawn.items())))
    assert all(len(sets) == 1 for sets in by_rep.values())  # paired across points
    assert len({next(iter(s)) for s in by_rep.values()}) == 6  # replicates differ
    again = load_experiment(write(tmp_path, text, "again.toml")).runs()
    assert [r.drawn for r in again] == [r.drawn for r in runs]  # reproducible
    other = load_experiment(write(tmp_path, text.replace("base_seed = 7", "base_seed = 8")))
    assert [r.drawn for r in other.runs()] != [r.drawn for r in runs]
    assert exp.to_dict()["uncertainty"]["ranges"]["trade_elasticity"] == [2.0, 8.0]


def test_posterior_rows_are_drawn_by_weight_from_a_path_relative_to_the_file(tmp_path, monkeypatch):
    folder = tmp_path / "calib"
    folder.mkdir()
    posterior(
        folder,
        """
        trade_elasticity,green_step,weight
        3.0,0.05,1.0
        6.0,0.20,0.0
        5.0,0.10,2.0
        """,
    )
    path = write(folder, GRID + '[uncertainty]\nposterior = "posterior.csv"\n')
    monkeypatch.chdir(tmp_path)  # the path is read from the file's folder, not from here
    exp = load_experiment(path)
    rows = {r.draw for r in exp.runs()}
    assert rows <= {0, 2} and 1 not in rows  # a row of weight 0 is never drawn
    for r in exp.runs():
        want = {0: (3.0, 0.05), 2: (5.0, 0.10)}[r.draw]
        assert (r.drawn["trade_elasticity"], r.drawn["green_step"]) == want
    assert exp.to_dict()["uncertainty"] == {
        "posterior": "posterior.csv",
        "names": ["trade_elasticity", "green_step"],
        "rows": 3,
    }


def test_run_files_record_the_draw_and_the_values_the_run_used(tmp_path):
    exp = load_experiment(
        write(tmp_path, GRID + "[uncertainty.ranges]\ntrade_elasticity = [2.0, 8.0]\n")
    )
    out = tmp_path / "out"
    run_experiment(exp, out, workers=1, executor="serial", progress=False)
    frames = [pd.read_parquet(p) for p in sorted((out / "runs").glob("*.parquet"))]
    assert len(frames) == exp.n_runs
    specs = {r.run_id: r for r in exp.runs()}
    for f in frames:
        spec = specs[f["run_id"].iloc[0]]
        assert (f["draw"] == spec.draw).all()
        assert (f["param_trade_elasticity"] == spec.drawn["trade_elasticity"]).all()


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ("[uncertainty]\nspread = 1\n", "unknown key 'spread'; allowed: posterior, ranges"),
        ("[uncertainty]\n", "give exactly one of posterior (a file) or ranges (a table)"),
        ('[uncertainty]\nposterior = "nowhere.csv"\n', "posterior: file not found"),
        ("[uncertainty.ranges]\ntrade_elastcity = [2.0, 8.0]\n", "did you mean 'trade_elasticity'"),
        ("[uncertainty.ranges]\ntrade_elasticity = [8.0, 2.0]\n", "low 8 is not below high 2"),
        ("[uncertainty.ranges]\ntrade_elasticity = [2.0, 80.0]\n", "ranges trade_elasticity high"),
        ("[uncertainty.ranges]\ntopology = [1, 2]\n", "topology is not a number"),
        ("[uncertainty.ranges]\ncarbon_price = [5.0, 20.0]\n", "carbon_price: also set by [grid]"),
        ("[uncertainty.ranges]\nn_firms = [30, 50]\n", "n_firms: also set by [fixed]"),
        ("[uncertainty.ranges]\ntrade_elasticity = 4.0\n", "allowed: [low, high]"),
    ],
)
def test_bad_uncertainty_tables_name_the_field_and_what_is_allowed(tmp_path, table, message):
    path = write(tmp_path, GRID + table)
    with pytest.raises(ExperimentError, match="uncertainty") as err:
        load_experiment(path)
    assert message in str(err.value)
    assert str(path) in str(err.value)


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ("trade_elasticity,weight\n4.0,-1\n", "weight '-1'; allowed: a number >= 0"),
        ("trade_elasticity,weight\n4.0,0\n", "weights sum to 0"),
        ("trade_elasticity\nfour\n", "trade_elasticity 'four'; allowed: a number"),
        ("trade_elasticity\n40.0\n", "posterior line 2 trade_elasticity"),
        ("trade_elasticity,green_step\n4.0\n", "line 2 has 1 values; allowed: 2"),
        ("weight\n1.0\n", "no parameter columns or no rows"),
        ("trade_elastcity\n4.0\n", "unknown parameter 'trade_elastcity'"),
    ],
)
def test_bad_posterior_files_name_the_line_and_what_is_allowed(tmp_path, rows, message):
    posterior(tmp_path, rows)
    path = write(tmp_path, GRID + '[uncertainty]\nposterior = "posterior.csv"\n')
    with pytest.raises(ExperimentError, match="posterior") as err:
        load_experiment(path)
    assert message in str(err.value)


def test_a_drawn_parameter_cannot_be_overridden_or_be_a_factorial_modes_parameter(tmp_path):
    exp = load_experiment(
        write(tmp_path, GRID + "[uncertainty.ranges]\ntrade_elasticity = [2.0, 8.0]\n")
    )
    with pytest.raises(ExperimentError, match="drawn by the experiment's"):
        exp.with_overrides(fixed={"trade_elasticity": 4.0})
    assert exp.with_overrides(replicates=2).n_runs == 4  # fewer replicates, fewer draws
    data = {
        "name": "modes",
        "factorial": {"modes": ["policy"]},
        "uncertainty": {"ranges": {"carbon_price": [5.0, 20.0]}},
    }
    with pytest.raises(ExperimentError, match="also set by \\[factorial\\] mode 'policy'"):
        parse_experiment(data, "modes.toml")


def test_the_report_says_the_intervals_cover_parameter_uncertainty(tmp_path):
    from abm.experiments.report import write_report

    exp = load_experiment(
        write(tmp_path, GRID + "[uncertainty.ranges]\ntrade_elasticity = [2.0, 8.0]\n")
    )
    out = tmp_path / "out"
    run_experiment(exp, out, workers=1, executor="serial", progress=False)
    write_report(out)
    text = (out / "report" / "summary.txt").read_text()
    assert "replicates also draw trade_elasticity from intervals" in text
