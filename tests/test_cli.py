"""The ``abm`` command line."""

import re

import pandas as pd
import pyarrow.parquet as pq
import pytest

from abm import SCENARIOS, TradeClusterModel
from abm.cli import firm_path, main, parse_sets
from abm.params import PARAMETERS


def test_parse_sets_types():
    assert parse_sets(["a=1", "b=2.5", "c=true", "d=sbm"]) == {
        "a": 1,
        "b": 2.5,
        "c": True,
        "d": "sbm",
    }
    with pytest.raises(ValueError, match="name=value"):
        parse_sets(["oops"])


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_run_writes_frames_and_summary_for_every_scenario(scenario, tmp_path, capsys):
    out = tmp_path / f"{scenario}.parquet"
    code = main(
        [
            "run",
            "--scenario",
            scenario,
            "--steps",
            "4",
            "--seed",
            "7",
            "--out",
            str(out),
            "--set",
            "n_firms=60",
            "--quiet",
        ]
    )
    assert code == 0
    model = pd.read_parquet(out)
    firms = pd.read_parquet(out.with_name(f"{scenario}.firms.parquet"))
    assert len(model) == 5 and model.Step.tolist() == [0, 1, 2, 3, 4]
    assert firms.Step.nunique() == 5 and len(firms) == 5 * 60
    text = capsys.readouterr().out
    assert "upgrading index" in text and "2024" in text
    assert re.search(r"60 firms, built in \d+\.\d s, 4 years in \d+\.\d s", text)
    # the index's rise by source: the three parts add up to the rise of the run
    parts = re.search(r"own mixes/firm growth/turnover (\S+) / (\S+) / (\S+) of (\S+)", text)
    rise = model.upgrading_index.iloc[-1] - model.upgrading_index.iloc[0]
    assert float(parts[4]) == pytest.approx(rise, abs=6e-4)
    assert sum(map(float, parts.groups()[:3])) == pytest.approx(rise, abs=2e-3)


def test_same_seed_same_parquet(tmp_path):
    a, b = tmp_path / "a.parquet", tmp_path / "b.parquet"
    for path in (a, b):
        main(
            ["run", "--steps", "3", "--seed", "5", "--n-firms", "50", "--out", str(path), "--quiet"]
        )
    pd.testing.assert_frame_equal(pd.read_parquet(a), pd.read_parquet(b))


def test_scenarios_lists_presets_and_changes(capsys):
    assert main(["scenarios"]) == 0
    text = capsys.readouterr().out
    for name in SCENARIOS:
        assert f"{name}:" in text
    assert "carbon_price = 30.0" in text


def test_params_shows_the_plausible_range_and_its_source_where_there_is_one(capsys):
    assert main(["params"]) == 0
    lines = {line.split(" = ")[0]: line for line in capsys.readouterr().out.splitlines()}
    assert list(lines) == list(PARAMETERS)
    rate = lines["foreign_abatement_rate"]
    assert rate.startswith(
        "foreign_abatement_rate = 0.02 [1/yr]: Yearly fall of other suppliers' emission "
        "intensity (exogenous world trend). Allowed: a number in [0, 0.5]. "
        "Plausible: [0.01, 0.04] (modelling choice: half to twice the 2010-2020 trend"
    )
    assert "Global Carbon Project" in rate and rate.endswith(")).")
    assert lines["n_firms"] == (
        "n_firms = 500 [firms]: Number of foreign-trade firms. "
        "Allowed: an integer in [10, 1000000]."
    )
    for name, p in PARAMETERS.items():
        assert ("Plausible: [" in lines[name]) == (p.plausible is not None), name
        if p.plausible is not None:
            assert p.plausible_source in lines[name], name


def test_unknown_scenario_is_one_clear_error(tmp_path, capsys):
    assert main(["run", "--scenario", "nope", "--out", str(tmp_path / "x.parquet")]) == 2
    err = capsys.readouterr().err
    assert "unknown scenario 'nope'" in err and "baseline" in err


def test_run_records_how_it_was_made_and_draws_a_seed(tmp_path, capsys):
    out = tmp_path / "r.parquet"
    assert main(["run", "--steps", "2", "--n-firms", "40", "--out", str(out), "--quiet"]) == 0
    meta = pd.read_parquet(out).attrs
    assert meta["scenario"] == "baseline" and meta["parameters"]["n_firms"] == 40
    assert isinstance(meta["seed"], int) and f"seed {meta['seed']}," in capsys.readouterr().out
    again = tmp_path / "again.parquet"
    main(
        [
            "run",
            "--steps",
            "2",
            "--n-firms",
            "40",
            "--seed",
            str(meta["seed"]),
            "--out",
            str(again),
            "--quiet",
        ]
    )
    pd.testing.assert_frame_equal(pd.read_parquet(out), pd.read_parquet(again))


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--steps", "-1"], ["--steps", "-1", "[0, 1000]"]),
        (["--steps", "1001"], ["--steps", "1001", "[0, 1000]"]),
        (["--n-firms", "5"], ["n_firms", "5", "allowed"]),
        (["--out", "x.csv"], ["--out", "x.csv", ".parquet"]),
    ],
)
def test_run_rejects_bad_steps_and_output_names(args, words, capsys):
    assert main(["run", *args, "--quiet"]) == 2
    err = capsys.readouterr().err
    assert all(w in err for w in words), err


@pytest.mark.parametrize("option", ["--steps", "--n-firms"])
def test_run_says_a_whole_number_is_allowed(option, capsys):
    with pytest.raises(SystemExit) as info:
        main(["run", option, "2.5", "--quiet"])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert f"{option}: invalid value '2.5'; allowed: an integer" in err, err


@pytest.mark.parametrize("column", ["Step", "year", "green_share"])
def test_evaluate_refuses_text_columns_in_one_line(column, tmp_path, capsys):
    out = tmp_path / "r.parquet"
    assert main(["run", "--steps", "2", "--n-firms", "30", "--seed", "1", "--out", str(out)]) == 0
    frame = pd.read_parquet(out)
    frame[column] = "lots"
    frame.to_parquet(out)
    capsys.readouterr()
    with pytest.raises(SystemExit) as info:
        main(["evaluate", str(out)])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert err.startswith(f"abm evaluate: error: {out}: column {column!r} holds ")
    assert "e.g. 'lots'; allowed: numbers" in err


def test_run_writes_firm_records_as_it_goes_the_same_as_the_firm_frame(tmp_path):
    # abm run hands each year's firm records to the file as they are collected; the file
    # reads back as the frame the model would have kept, with the run's metadata
    out = tmp_path / "r.parquet"
    args = ["run", "--steps", "4", "--seed", "11", "--n-firms", "70", "--quiet"]
    assert main([*args, "--out", str(out)]) == 0
    streamed = pd.read_parquet(firm_path(out))
    model = TradeClusterModel(rng=11, n_firms=70)
    for _ in range(4):
        model.step()
    pd.testing.assert_frame_equal(streamed, model.firm_frame())
    assert streamed.attrs["seed"] == 11 and streamed.attrs["parameters"]["n_firms"] == 70
    assert pq.ParquetFile(firm_path(out)).num_row_groups == 5  # one a year, 2020-2024


def test_unknown_names_suggest_the_names_they_begin(capsys):
    # 'tech' is too short for a close match to 'technology', but it begins it
    assert main(["run", "--scenario", "policy+tech", "--quiet"]) == 2
    assert "unknown scenario 'tech' (did you mean 'technology'?)" in capsys.readouterr().err


def test_evaluate_names_what_it_reads_when_a_file_is_not_parquet(tmp_path, capsys):
    text = tmp_path / "notes.md"
    text.write_text("# notes\n", encoding="utf-8")
    with pytest.raises(SystemExit) as info:
        main(["evaluate", str(text)])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"cannot read {text} as Parquet (" in err, err
    assert err.rstrip().endswith(
        "allowed: a run's model file written by abm run or an experiment's results"
    )
