"""Experiment files: parsing, designs, seeds, and one clear message per bad input."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pytest

from abm.cli import main
from abm.experiments import ExperimentError, load_experiment, parse_experiment, seed_for
from abm.scenarios import MODES

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ("factorial_modes", "factorial_calibrated", "carbon_price", "sensitivity", "facts")


#: Shipped experiments that compare design points: each pairs them on common seeds.
COMPARING = ("factorial_modes", "factorial_calibrated", "carbon_price", "sensitivity")


def write(tmp_path, text: str, name: str = "exp.toml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_experiments_load(name):
    exp = load_experiment(ROOT / "experiments" / f"{name}.toml")
    assert exp.name == name
    assert exp.n_runs > 1
    runs = exp.runs()
    assert len({r.run_id for r in runs}) == len(runs)
    # paired designs: replicate r of every point shares one seed; otherwise every run has its own
    seeds = exp.replicates if exp.common_random_numbers else len(runs)
    assert len({r.seed for r in runs}) == seeds


@pytest.mark.parametrize("name", COMPARING)
def test_shipped_comparisons_pair_their_points_at_the_facts_size(name):
    # with China's fat size tail a seed sets the scale of the whole cluster, so points are
    # compared on common seeds (replicate r of every point starts from the same firms) and at
    # the 2,000 firms the facts and the calibration use
    exp = load_experiment(ROOT / "experiments" / f"{name}.toml")
    assert exp.common_random_numbers
    assert exp.fixed["n_firms"] == 2000
    runs = exp.runs()
    by_replicate = {}
    for run in runs:
        by_replicate.setdefault(run.replicate, set()).add(run.seed)
    assert all(len(seeds) == 1 for seeds in by_replicate.values())


def test_factorial_points_and_scenarios():
    exp = load_experiment(ROOT / "experiments" / "factorial_modes.toml")
    points = exp.points()
    assert len(points) == 16
    assert exp.kind == "factorial"
    assert points[0].preset == "baseline"
    assert points[-1].preset == "+".join(MODES)
    for p in points:
        active = [m for m in MODES if p.factors[m]]
        assert p.preset == ("+".join(active) or "baseline")
    assert exp.replicates == 10 and exp.steps == 40


def test_grid_is_full_factorial(tmp_path):
    path = write(
        tmp_path,
        """
        steps = 3
        replicates = 2
        [grid]
        carbon_price = [10, 50, 100]
        cbam_coverage = [0.0, 0.5]
        scenario = ["baseline", "digital"]
        """,
    )
    exp = load_experiment(path)
    points = exp.points()
    assert len(points) == 12 and exp.n_runs == 24
    combos = {(p.params["carbon_price"], p.params["cbam_coverage"], p.preset) for p in points}
    assert len(combos) == 12
    assert all(isinstance(p.params["carbon_price"], float) for p in points)  # converted


def test_sobol_and_morris_samplers(tmp_path):
    sob = load_experiment(
        write(
            tmp_path,
            """
            [sampler]
            method = "sobol"
            n = 8
            [sampler.ranges]
            carbon_price = [5, 100]
            collaboration_years = [1, 6]
            """,
        )
    )
    points = sob.points()
    assert len(points) == 8 * (2 + 2)
    assert all(isinstance(p.params["collaboration_years"], int) for p in points)
    assert all(5 <= p.params["carbon_price"] <= 100 for p in points)
    again = [p.params for p in sob.points()]
    assert again == [p.params for p in points]  # the sample is seeded
    mor = load_experiment(
        write(
            tmp_path,
            """
            [sampler]
            method = "morris"
            n = 5
            num_levels = 4
            [sampler.ranges]
            carbon_price = [5, 100]
            green_preference = [0, 3]
            rd_boost = [0.5, 2]
            """,
            "m.toml",
        )
    )
    assert len(mor.points()) == 5 * (3 + 1)


def test_seeds_depend_only_on_point_and_replicate():
    a = seed_for(42, 3, 1)
    assert a == seed_for(42, 3, 1)
    assert a != seed_for(42, 1, 3) and a != seed_for(43, 3, 1)
    assert 0 <= a < 2**63
    ss = np.random.SeedSequence(42, spawn_key=(3, 1))
    assert a == int(ss.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))
    # common random numbers: every point's replicate r shares a seed
    assert seed_for(42, 0, 2, common=True) == seed_for(42, 7, 2, common=True)


def test_overrides_change_size_only():
    exp = load_experiment(ROOT / "experiments" / "factorial_modes.toml")
    small = exp.with_overrides(replicates=2, steps=4, fixed={"n_firms": 40})
    assert small.n_runs == 32 and small.steps == 4 and small.fixed["n_firms"] == 40
    assert small.runs()[5].seed == exp.runs()[exp.replicates * 2 + 1].seed  # p0002_r01
    with pytest.raises(ExperimentError, match="set by the mode 'policy'"):
        exp.with_overrides(fixed={"carbon_price": 50.0})
    with pytest.raises(ExperimentError, match="replicates"):
        exp.with_overrides(replicates=0)


GOOD = """
name = "tiny"
steps = 3
replicates = 1
[fixed]
n_firms = 30
"""

BAD_INPUTS = {
    "malformed": (GOOD + "steps = = 4\n", ["malformed TOML"]),
    "unknown_key": (
        "replicate = 3\n[fixed]\nn_firms = 30\n",
        ["unknown key 'replicate'", "'replicates'"],
    ),
    "unknown_param": (
        GOOD + "carbon_prise = 5\n",
        ["[fixed]", "carbon_prise", "did you mean 'carbon_price'"],
    ),
    "unknown_grid_param": ("[grid]\ncbam_cover = [0.1]\n", ["[grid]", "cbam_cover"]),
    "unknown_reporter": ('reporters = ["emision"]\n', ["reporters", "'emision'", "'emissions'"]),
    "wrong_type": (
        '[grid]\ncarbon_price = [10, "high"]\n',
        ["[grid] carbon_price[1]", "'high'", "a number in"],
    ),
    "out_of_bounds": ("[fixed]\ncbam_coverage = 1.5\n", ["[fixed] cbam_coverage", "1.5", "[0, 1]"]),
    "int_not_float": ("[fixed]\nn_firms = 30.5\n", ["n_firms", "30.5", "an integer"]),
    "bad_steps": ('steps = "forty"\n', ["steps", "'forty'", "an integer in [1, 1000]"]),
    "too_many_steps": ("steps = 100000\n", ["steps", "100000", "an integer in [1, 1000]"]),
    "name_path": ('name = "../../x"\n', ["name", "'../../x'", "a file name of"]),
    "name_absolute": ('name = "/tmp/x"\n', ["name", "'/tmp/x'", "letters, digits"]),
    "name_dot": ('name = ".."\n', ["name", "'..'", "not starting with '.'"]),
    "name_not_string": ("name = 3\n", ["name", "3", "a file name"]),
    "nested_modes": (
        '[factorial]\nmodes = ["technology", "combined"]\n',
        ["[factorial] modes", "'technology' and 'combined' both set", "allowed"],
    ),
    "huge_grid": (
        "[grid]\n"
        + "".join(
            f"{n} = [{', '.join(str(0.1 * i) for i in range(10))}]\n"
            for n in (
                "cbam_coverage",
                "green_rd_subsidy",
                "adoption_subsidy",
                "spillover_rate",
                "platform_cost",
                "green_rd_share",
            )
        ),
        ["design", "1,000,000 runs", "at most 100,000", "--allow-large"],
    ),
    "huge_sobol": (
        '[sampler]\nmethod = "sobol"\nn = 16777216\n[sampler.ranges]\n'
        "carbon_price = [1, 2]\nrd_boost = [1, 2]\n",
        ["design", "67,108,864 runs", "at most 100,000"],
    ),
    "preset_and_scenario": (
        'preset = "policy"\nscenario = "policy"\n',
        ["scenario", "also given as preset"],
    ),
    "zero_replicates": ("replicates = 0\n", ["replicates", "0"]),
    "empty_grid": ("[grid]\n", ["[grid] is empty"]),
    "empty_grid_list": ("[grid]\ncarbon_price = []\n", ["[grid] carbon_price", "empty list"]),
    "bad_scenario": ('scenario = "policy+magic"\n', ["scenario", "'magic'"]),
    "bad_preset": ('preset = "policy+magic"\n', ["preset", "'magic'"]),
    "bad_mode": ('[factorial]\nmodes = ["technology", "tech"]\n', ["[factorial] modes", "'tech'"]),
    "bad_sampler": ('[sampler]\nmethod = "latin"\nn = 8\n', ["[sampler] method", "'latin'"]),
    "sobol_n": (
        '[sampler]\nmethod = "sobol"\nn = 10\n[sampler.ranges]\ncarbon_price = [1, 2]\n'
        "rd_boost = [1, 2]\n",
        ["[sampler] n", "power of 2"],
    ),
    "bad_range": (
        '[sampler]\nmethod = "sobol"\nn = 8\n[sampler.ranges]\ncarbon_price = [5, 1]\n'
        "rd_boost = [1, 2]\n",
        ["[sampler.ranges] carbon_price", "below"],
    ),
    "sample_bool": (
        '[sampler]\nmethod = "morris"\nn = 4\n[sampler.ranges]\nadaptive_carbon_price = [0, 1]\n',
        ["adaptive_carbon_price"],
    ),
    "mode_conflict": (
        '[factorial]\nmodes = ["policy"]\n[fixed]\ncarbon_price = 30.0\n',
        ["[fixed] carbon_price", "mode 'policy'"],
    ),
    "firm_data_in_fixed": ("[fixed]\nfirm_data = true\n", ["[fixed] firm_data", "top-level"]),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_input_message(tmp_path, case):
    text, expected = BAD_INPUTS[case]
    path = write(tmp_path, text)
    with pytest.raises(ExperimentError) as info:
        load_experiment(path)
    msg = str(info.value)
    assert str(path) in msg
    for part in expected:
        assert part in msg, (part, msg)
    assert "\n" not in msg.strip() or case == "malformed"


@pytest.mark.parametrize(
    "case",
    ["malformed", "unknown_param", "unknown_reporter", "wrong_type", "out_of_bounds", "empty_grid"],
)
def test_cli_bad_input_exits_nonzero_and_writes_nothing(tmp_path, capsys, case):
    text, expected = BAD_INPUTS[case]
    path = write(tmp_path, text)
    out = tmp_path / "out"
    rc = main(["experiment", "run", str(path), "--out", str(out), "--quiet"])
    err = capsys.readouterr().err
    assert rc == 2
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert lines[0].startswith("abm experiment: error: ")
    assert str(path) in err and all(p in err for p in expected)
    assert not out.exists()


def test_cli_bad_overrides(tmp_path, capsys):
    path = write(tmp_path, GOOD)
    out = tmp_path / "out"
    rc = main(["experiment", "run", str(path), "--out", str(out), "--set", "n_firmz=40"])
    err = capsys.readouterr().err
    assert rc == 2 and "n_firmz" in err and "'n_firms'" in err and str(path) in err
    rc = main(["experiment", "run", str(path), "--out", str(out), "--set", "n_firms=5"])
    err = capsys.readouterr().err
    assert rc == 2 and "n_firms" in err and "[10, 1000000]" in err
    rc = main(["experiment", "run", str(tmp_path / "missing.toml"), "--out", str(out)])
    err = capsys.readouterr().err
    assert rc == 2 and "not found" in err and "missing.toml" in err
    assert not out.exists()


def test_dry_run_writes_nothing(tmp_path, capsys):
    out = tmp_path / "out"
    rc = main(
        [
            "experiment",
            "run",
            str(ROOT / "experiments" / "factorial_modes.toml"),
            "--out",
            str(out),
            "--dry-run",
            "--replicates",
            "3",
        ]
    )
    text = capsys.readouterr().out
    assert rc == 0 and "16 points x 3 replicates = 48 runs" in text
    assert not out.exists()


def test_parse_experiment_from_mapping():
    exp = parse_experiment({"steps": 2, "grid": {"carbon_price": [1.0, 2.0]}}, "inline")
    assert exp.kind == "grid" and len(exp.points()) == 2
    with pytest.raises(ExperimentError, match=r"^inline: \[grid\] carbon_price\[0\]"):
        parse_experiment({"grid": {"carbon_price": [-1.0]}}, "inline")
