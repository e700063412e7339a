"""Calibration and validation: targets files, parameter recovery, kill and resume, validate.

Sizes are tiny (50 firms, 200 for parameter recovery, 5 years, 2 seeds per point) so the
file runs in well under two minutes on two shared cores.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from abm.calibration import load_targets, validate
from abm.calibration.simulate import Simulator, seeds_for
from abm.cli import main

pytest.importorskip("pyabc")

ROOT = Path(__file__).resolve().parents[1]
TRUTH = {"export_fixed_cost": 3.5, "green_step": 0.12}
PRIOR = {"export_fixed_cost": (1.0, 8.0), "green_step": (0.02, 0.25)}
#: A recovered value must lie within this share of its prior range of the true value.
TOLERANCE = 0.15
#: Firms in the recovery runs: at 50 the exporter share moves in steps of 2 points, too
#: coarse to pin down the export fixed cost.
RECOVERY_FIRMS = 200
#: Points of the recovery calibration: six generations of 10 particles. With four the 95 %
#: interval of a 10-particle posterior is as wide as chance makes it (the export fixed
#: cost's spanned 93 % of its prior in one run), too few to show it narrowing.
RECOVERY_BUDGET = 60

HEAD = """
name = "recovery"
preset = "baseline"
seeds = 2
base_seed = 7

[fixed]
n_firms = {n_firms}
# a carbon price at which green results pay, so green_step shapes the green level
carbon_price = 250.0
carbon_price_growth = 0.0

[free.export_fixed_cost]
low = 1.0
high = 8.0

[free.green_step]
low = 0.02
high = 0.25
"""
MOMENT = """
[[moment]]
name = "{name}"
statistic = {{ reporter = "{reporter}", function = "{function}", {when} }}
observed = {observed!r}
interval = [{low!r}, {high!r}]
weight = 1.0
holdout = {holdout}
source = {{ author = "This model", year = 2026, title = "known-answer test", page = "1" }}
"""
#: name, reporter, function, year or period, half-width of the interval, hold-out
STATS = [
    ("exporter_share", "exporter_share", "mean", "period = [2020, 2025]", 0.03, "false"),
    ("green_level", "mean_green_level", "value", "year = 2025", 0.01, "false"),
    ("intensity_change", "emission_intensity", "change", "period = [2020, 2025]", 0.02, "false"),
    ("exports_growth", "exports", "growth_rate", "period = [2020, 2025]", 0.02, "true"),
]


def targets_text(observed: dict[str, float], n_firms: int = 50) -> str:
    """A targets file whose moments are centred on ``observed``."""
    text = HEAD.format(n_firms=n_firms)
    for name, rep, fn, when, half, hold in STATS:
        x = observed.get(name, 0.0)
        text += MOMENT.format(
            name=name,
            reporter=rep,
            function=fn,
            when=when,
            observed=x,
            low=x - half,
            high=x + half,
            holdout=hold,
        )
    return text


@pytest.fixture(scope="module")
def recovery_file(tmp_path_factory) -> Path:
    """Targets whose observed moments are the model's own at TRUTH (same seeds)."""
    folder = tmp_path_factory.mktemp("recovery")
    draft = folder / "draft.toml"
    draft.write_text(targets_text({}, RECOVERY_FIRMS), encoding="utf-8")
    targets = load_targets(draft)
    seeds = seeds_for(targets)
    with Simulator(targets, None, "serial", 1) as sim:
        sim.ensure([TRUTH], seeds)
        means = sim.moments(TRUTH, seeds).mean(axis=0)
    observed = {m.name: float(v) for m, v in zip(targets.moments, means, strict=True)}
    assert all(np.isfinite(list(observed.values())))
    path = folder / "targets.toml"
    path.write_text(targets_text(observed, RECOVERY_FIRMS), encoding="utf-8")
    return path


def read_history(out: Path) -> list[dict[str, str]]:
    with open(out / "loss_history.csv", newline="") as fh:
        return list(csv.DictReader(fh))


# ---------------------------------------------------------------------- the shipped file
def test_shipped_targets_are_valid():
    from abm.reporters import MODEL_REPORTERS

    targets = load_targets(ROOT / "experiments" / "targets.toml")
    assert len(targets.moments) >= 12
    assert 2 <= len(targets.free) <= 5
    assert targets.holdout and targets.fitted
    for m in targets.moments:
        assert set(m.statistic.reporters()) <= set(MODEL_REPORTERS)
        assert m.low <= m.observed <= m.high
        assert {"author", "year", "title"} <= set(m.source)
        assert m.statistic.first_year() >= targets.start_year


# ---------------------------------------------------------------------- recovery
def test_parameter_recovery(recovery_file, tmp_path):
    """Moments made by the model at known values: the calibration finds those values."""
    out = tmp_path / "cal"
    code = main(
        [
            "calibrate",
            str(recovery_file),
            "--budget",
            str(RECOVERY_BUDGET),
            "--executor",
            "serial",
            "--out",
            str(out),
            "--quiet",
        ]
    )
    assert code == 0
    summary = json.loads((out / "calibration.json").read_text())
    for name, truth in TRUTH.items():
        lo, hi = PRIOR[name]
        est = summary["best"][name]
        assert abs(est - truth) <= TOLERANCE * (hi - lo), (name, est, truth)
        post = summary["posterior"][name]
        assert lo <= post["low"] <= post["median"] <= post["high"] <= hi
    # the posterior of the parameter with the strongest effect is narrower than its prior
    post = summary["posterior"]["export_fixed_cost"]
    assert post["high"] - post["low"] < 0.9 * (PRIOR["export_fixed_cost"][1] - 1.0)
    rows = read_history(out)
    assert len(rows) == summary["evaluations"] <= RECOVERY_BUDGET
    assert min(float(r["loss"]) for r in rows) == pytest.approx(summary["best_loss"])
    assert summary["holdout"] == ["exports_growth"]
    for name in ("loss.png", "posterior.png", "landscape.png", "posterior.csv", "best_params.toml"):
        assert (out / name).stat().st_size > 0
    # the best parameters feed abm validate
    params = (out / "best_params.toml").read_text()
    assert "export_fixed_cost" in params and "green_step" in params


# ---------------------------------------------------------------------- kill and resume
def _cli(args: list[str]) -> list[str]:
    return [sys.executable, "-c", "import sys; from abm.cli import main; sys.exit(main())", *args]


def test_kill_and_resume_gives_the_uninterrupted_result(recovery_file, tmp_path):
    from abm.calibration import calibrate

    budget = "30"
    whole = tmp_path / "whole"
    calibrate(load_targets(recovery_file), whole, budget=30, executor="serial", figures=False)
    expected = read_history(whole)

    out = tmp_path / "killed"
    args = ["calibrate", str(recovery_file), "--budget", budget, "--workers", "1", "--quiet"]
    args += ["--out", str(out)]
    proc = subprocess.Popen(
        _cli(args), cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    sims = out / "sims"
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            if sims.is_dir() and len(list(sims.glob("*.json"))) >= 12:
                os.kill(proc.pid, signal.SIGKILL)
                break
            time.sleep(0.02)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(10)
    assert proc.returncode == -signal.SIGKILL, "the calibration finished before it was killed"
    assert not (out / "calibration.json").exists()
    before = {p.name: p.stat().st_mtime_ns for p in sims.glob("*.json")}
    assert len(before) < len({*(p.name for p in (whole / "sims").glob("*.json"))})

    done = subprocess.run(_cli(args), cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    summary = json.loads((out / "calibration.json").read_text())
    assert summary["simulations_reused"] >= len(before)
    for name, mtime in before.items():  # finished simulations were read, not redone
        assert (sims / name).stat().st_mtime_ns == mtime
    assert read_history(out) == expected  # same seed: the same points, losses and result


# ---------------------------------------------------------------------- malformed files
def _valid() -> str:
    return targets_text({"exporter_share": 0.25, "green_level": 0.2})


MALFORMED = [
    ('title = "known-answer test", page = "1" }', 'title = "x" }', "source.table"),
    ('source = { author = "This model", ', "source = { ", "source.author"),
    ('reporter = "exporter_share"', 'reporter = "exporter_shares"', "reporter"),
    ('function = "mean"', 'function = "median"', "function"),
    ("interval = [0.22", "interval = [0.40", "interval"),
    ("[free.green_step]", "[free.green_stepp]", "free.green_stepp"),
    ("low = 1.0\nhigh = 8.0", "low = 1.0\nhigh = 2000.0", "free.export_fixed_cost"),
    ("year = 2025 }", "year = 2015 }", "year"),
]


@pytest.mark.parametrize(("old", "new", "field"), MALFORMED)
def test_malformed_targets_fail_with_one_line_and_write_nothing(tmp_path, capsys, old, new, field):
    text = _valid()
    assert old in text
    path = tmp_path / "bad.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    out = tmp_path / "out"
    code = main(["calibrate", str(path), "--budget", "4", "--out", str(out), "--quiet"])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert len(err.splitlines()) == 1, err
    assert err.startswith("abm calibrate: error: ") and field in err, err
    assert not out.exists()


# ---------------------------------------------------------------------- validate
def test_validate_json_fields_and_share(recovery_file, capsys):
    assert main(["validate", "--targets", str(recovery_file), "--seeds", "3", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    targets = load_targets(recovery_file)
    assert [r["name"] for r in rows] == [m.name for m in targets.moments]
    keys = {"name", "observed", "low", "high", "model_mean", "model_se", "model_low", "model_high"}
    for r in rows:
        assert keys | {"inside", "source"} <= set(r)
        assert r["inside"] == (r["low"] <= r["model_mean"] <= r["high"])
        assert r["model_low"] <= r["model_mean"] <= r["model_high"]
    # the model mean is the mean over the seeds of the statistic of each run
    from abm import TradeClusterModel

    fresh = seeds_for(targets, 3, validation=True)
    assert not set(fresh) & set(seeds_for(targets, 10))  # seeds the calibration never uses
    values = []
    for seed in fresh:
        model = TradeClusterModel(
            preset="baseline",
            rng=seed,
            n_firms=RECOVERY_FIRMS,
            firm_data=False,
            carbon_price=250.0,
            carbon_price_growth=0.0,
        )
        for _ in range(targets.steps):
            model.step()
        values.append(targets.moments[0].statistic.compute(model.model_frame()))
    assert rows[0]["model_mean"] == pytest.approx(np.mean(values))
    # and its standard error says how far more seeds could move it
    assert rows[0]["model_se"] == pytest.approx(np.std(values, ddof=1) / np.sqrt(3))
    # the printed share is computed from the rows
    assert main(["validate", "--targets", str(recovery_file), "--seeds", "3"]) == 0
    text = capsys.readouterr().out
    n_in = sum(r["inside"] for r in rows)
    assert f"moments inside their interval: {n_in} of {len(rows)}" in text
    assert "model mean (s.e.) [95 % over seeds]" in text
    # at the true parameters and the targets' own seeds, every moment is its observed value
    at_truth = validate(targets, params=TRUTH, seeds=targets.seeds, fresh_seeds=False)
    for r in at_truth:
        assert r["model_mean"] == pytest.approx(r["observed"], abs=1e-12)
        assert r["inside"]


@pytest.mark.parametrize(
    ("args", "field"),
    [(["--preset", "nosuch"], "--preset"), (["--params", "PARAMS"], "green_stepp")],
)
def test_validate_bad_options_are_one_line(recovery_file, tmp_path, capsys, args, field):
    params = tmp_path / "params.toml"
    params.write_text("green_stepp = 0.1\n", encoding="utf-8")
    args = [str(params) if a == "PARAMS" else a for a in args]
    assert main(["validate", "--targets", str(recovery_file), *args]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and field in err, err


def test_validate_says_where_its_default_targets_file_is(tmp_path, monkeypatch, capsys):
    # outside the project's directory the default targets file (experiments/targets.toml,
    # relative to the current directory) is missing: one line saying so and what to do
    monkeypatch.chdir(tmp_path)
    assert main(["validate"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert "targets file not found: experiments/targets.toml (relative to" in err
    assert "allowed: run from the project's directory or pass --targets FILE" in err
