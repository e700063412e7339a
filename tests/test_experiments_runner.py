"""The sweep runner: determinism across executors, resume, failed runs, manifest, report."""

from __future__ import annotations

import json
import math
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd
import pytest

from abm import TradeClusterModel
from abm.analysis import load_manifest, load_results
from abm.cli import main
from abm.experiments import ExperimentError, parse_experiment, read_manifest, run_experiment
from abm.experiments.local_dask import LOCAL_CLUSTER_CONFIG, local_cluster

ROOT = Path(__file__).resolve().parents[1]
ABM = Path(sys.executable).with_name("abm")


def tiny(**extra):
    """2 points x 2 replicates of a 30-firm model for 3 years, with firm data."""
    data = {
        "name": "tiny",
        "steps": 3,
        "replicates": 2,
        "base_seed": 11,
        "firm_data": True,
        "fixed": {"n_firms": 30},
        "grid": {"carbon_price": [10.0, 80.0]},
        "reporters": ["upgrading_index", "emissions", "green_share"],
    }
    data.update(extra)
    return parse_experiment(data, "tiny")


def frames(out: Path) -> dict[str, pd.DataFrame]:
    """Every run file (model and firm frames) of a results directory."""
    paths = sorted([*(out / "runs").glob("*.parquet"), *(out / "firms").glob("*.parquet")])
    return {f"{p.parent.name}/{p.name}": pd.read_parquet(p) for p in paths}


def boom_factory(*, preset, rng, **params):
    """A model factory whose second grid point raises at run time."""
    if params.get("carbon_price") == 80.0:
        raise RuntimeError("poisoned point")
    return TradeClusterModel(preset=preset, rng=rng, **params)


class Interrupt:
    """A model factory that raises KeyboardInterrupt on one run (a simulated Ctrl-C)."""

    def __init__(self, at_seed):
        self.at_seed = at_seed

    def __call__(self, *, preset, rng, **params):
        if rng == self.at_seed:
            raise KeyboardInterrupt
        return TradeClusterModel(preset=preset, rng=rng, **params)


def test_run_matches_a_direct_model_run(tmp_path):
    exp = tiny()
    summary = run_experiment(exp, tmp_path, executor="serial", progress=False)
    assert summary.ok == 4 and summary.success and summary.skipped == 0
    spec = exp.runs()[3]
    assert spec.run_id == "p0001_r01"
    model = TradeClusterModel(preset=spec.preset, rng=spec.seed, **spec.params)
    for _ in range(spec.steps):
        model.step()
    want = model.model_frame()[["year", "upgrading_index", "emissions", "green_share"]]
    got = pd.read_parquet(tmp_path / "runs" / "p0001_r01.parquet").set_index("Step")
    pd.testing.assert_frame_equal(got[want.columns], want, check_names=False)
    firms = pd.read_parquet(tmp_path / "firms" / "p0001_r01.parquet")
    assert len(firms) == 4 * model.n_firms or len(firms) > 0


def test_identical_output_serial_process_and_dask(tmp_path):
    exp = tiny()
    outs = {}
    for name, kw in {
        "serial": {"executor": "serial"},
        "process": {"executor": "process", "workers": 2},
        "dask": {"executor": "dask", "workers": 2},
    }.items():
        out = tmp_path / name
        summary = run_experiment(exp, out, progress=False, **kw)
        assert summary.ok == 4, summary.failed
        outs[name] = frames(out)
    assert len(outs["serial"]) == 8  # 4 model frames + 4 firm frames
    for name in ("process", "dask"):
        assert outs[name].keys() == outs["serial"].keys()
        for key, frame in outs["serial"].items():
            pd.testing.assert_frame_equal(outs[name][key], frame, obj=f"{name} {key}")
    seeds = {
        name: {r["run_id"]: r["seed"] for r in read_manifest(tmp_path / name).values()}
        for name in outs
    }
    assert seeds["serial"] == seeds["process"] == seeds["dask"]
    # different replicates really differ
    a, b = outs["serial"]["runs/p0000_r00.parquet"], outs["serial"]["runs/p0000_r01.parquet"]
    assert not a["emissions"].equals(b["emissions"])


def test_resume_after_interrupt_runs_only_missing(tmp_path):
    exp = tiny()
    seeds = [r.seed for r in exp.runs()]
    with pytest.raises(KeyboardInterrupt):
        run_experiment(
            exp, tmp_path, executor="serial", progress=False, model_factory=Interrupt(seeds[2])
        )
    done = read_manifest(tmp_path)
    assert sorted(done) == ["p0000_r00", "p0000_r01"]
    before = {p.name: p.stat().st_mtime_ns for p in (tmp_path / "runs").glob("*.parquet")}
    summary = run_experiment(exp, tmp_path, executor="serial", progress=False)
    assert summary.skipped == 2 and summary.ok == 2 and summary.success
    after = {p.name: p.stat().st_mtime_ns for p in (tmp_path / "runs").glob("*.parquet")}
    assert all(after[k] == v for k, v in before.items())  # finished runs not rewritten
    lines = (tmp_path / "manifest.jsonl").read_text().splitlines()
    assert len(lines) == 4  # one record per run: nothing ran twice
    again = run_experiment(exp, tmp_path, executor="serial", progress=False)
    assert again.skipped == 4 and again.ok == 0
    # more replicates extend the sweep
    more = run_experiment(tiny(replicates=3), tmp_path, executor="serial", progress=False)
    assert more.skipped == 4 and more.ok == 2


def test_killed_sweep_resumes(tmp_path):
    """SIGKILL a CLI sweep mid-way; the next invocation runs only what is missing."""
    path = tmp_path / "sweep.toml"
    path.write_text(
        textwrap.dedent(
            """
            name = "killme"
            steps = 10
            replicates = 15
            base_seed = 5
            reporters = ["emissions"]
            [fixed]
            n_firms = 60
            [grid]
            carbon_price = [10.0, 60.0]
            """
        )
    )
    out = tmp_path / "out"
    cmd = [str(ABM), "experiment", "run", str(path), "--out", str(out), "--workers", "2"]
    proc = subprocess.Popen(
        [*cmd, "--quiet"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    manifest = out / "manifest.jsonl"
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            if manifest.exists() and manifest.read_text().count("\n") >= 3:
                break
            time.sleep(0.02)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    first = read_manifest(out)
    assert 3 <= len(first) < 30, "the sweep should have been killed mid-way"
    assert all(r["status"] == "ok" for r in first.values())
    head = manifest.read_bytes()
    rc = main([*cmd[1:], "--quiet"])
    assert rc == 0
    records = read_manifest(out)
    assert len(records) == 30
    assert manifest.read_bytes().startswith(head.rstrip(b"\n").rsplit(b"\n", 1)[0])
    assert sum(1 for ln in manifest.read_text().splitlines() if ln.strip()) <= 30 + 1
    assert all(r["status"] == "ok" for r in records.values())
    for rid, rec in first.items():
        assert records[rid]["finished"] == rec["finished"]  # not rerun
    df = load_results(out)
    assert df["run_id"].nunique() == 30 and len(df) == 30 * 11


def test_failing_run_recorded_and_others_finish(tmp_path):
    exp = tiny(firm_data=False)
    summary = run_experiment(exp, tmp_path, workers=2, progress=False, model_factory=boom_factory)
    assert summary.ok == 2
    assert sorted(summary.failed) == ["p0001_r00", "p0001_r01"]
    assert all("RuntimeError: poisoned point" in e for e in summary.failed.values())
    m = load_manifest(tmp_path)
    bad = m[m["status"] == "failed"]
    assert list(bad["run_id"]) == ["p0001_r00", "p0001_r01"]
    rec = read_manifest(tmp_path)["p0001_r00"]
    assert "poisoned point" in rec["traceback"] and rec["duration_s"] is not None
    assert not (tmp_path / "runs" / "p0001_r00.parquet").exists()
    with pytest.warns(UserWarning, match="2 failed"):
        df = load_results(tmp_path)
    assert set(df["point"]) == {0}
    # the next invocation retries the failed runs only
    again = run_experiment(exp, tmp_path, executor="serial", progress=False)
    assert again.skipped == 2 and again.ok == 2 and again.success


def test_cli_failed_run_exit_code_and_message(tmp_path, capsys):
    broken = tmp_path / "broken.graphml"
    broken.write_text("this is not a graph")
    path = tmp_path / "exp.toml"
    path.write_text(
        f'name = "withbroken"\nsteps = 2\n[fixed]\nn_firms = 30\n'
        f'[grid]\ntopology = ["sbm", "{broken}"]\n'
    )
    out = tmp_path / "out"
    rc = main(["experiment", "run", str(path), "--out", str(out), "--workers", "2", "--quiet"])
    cap = capsys.readouterr()
    assert rc == 1
    assert "1 run failed" in cap.err and "p0001_r00" in cap.err
    assert "graph file" in cap.err
    assert "2 runs: 1 ran ok" in cap.out
    recs = read_manifest(out)
    assert recs["p0000_r00"]["status"] == "ok" and recs["p0001_r00"]["status"] == "failed"
    assert "graph file" in recs["p0001_r00"]["error"]


def test_manifest_contents_and_version(tmp_path):
    from abm import __version__

    exp = tiny()
    run_experiment(exp, tmp_path, executor="serial", progress=False)
    rec = read_manifest(tmp_path)["p0001_r00"]
    for key in ("seed", "params", "status", "duration_s", "version", "started", "finished"):
        assert key in rec
    assert rec["version"] == __version__ and rec["params"]["carbon_price"] == 80.0
    assert rec["files"] == ["model", "firms"]
    meta = json.loads((tmp_path / "experiment.json").read_text())
    assert meta["kind"] == "grid" and len(meta["points"]) == 2
    assert not list(tmp_path.glob("runs/.*tmp"))


def test_torn_manifest_line_is_tolerated(tmp_path):
    exp = tiny()
    run_experiment(exp, tmp_path, executor="serial", progress=False)
    manifest = tmp_path / "manifest.jsonl"
    lines = manifest.read_text().splitlines(keepends=True)
    manifest.write_text("".join(lines[:3]) + lines[3][:40])  # killed while writing run 4
    assert len(read_manifest(tmp_path)) == 3
    summary = run_experiment(exp, tmp_path, executor="serial", progress=False)
    assert summary.skipped == 3 and summary.ok == 1
    assert len(read_manifest(tmp_path)) == 4


def test_refuses_a_different_experiment_in_same_dir(tmp_path):
    run_experiment(tiny(), tmp_path, executor="serial", progress=False)
    with pytest.raises(ExperimentError, match="different experiment.*steps 3 there, 4 now"):
        run_experiment(tiny(steps=4), tmp_path, executor="serial", progress=False)


def test_report_writes_figures_and_tables(tmp_path, capsys):
    fact = parse_experiment(
        {
            "name": "fact",
            "steps": 3,
            "replicates": 2,
            "fixed": {"n_firms": 30},
            "factorial": {"modes": ["technology", "policy"]},
        },
        "fact",
    )
    out = tmp_path / "fact"
    run_experiment(fact, out, executor="serial", progress=False)
    rc = main(["experiment", "report", str(out)])
    text = capsys.readouterr().out
    assert rc == 0
    names = {p.name for p in (out / "report").iterdir()}
    assert {"summary.csv", "summary.txt", "effects.csv", "attribution.csv"} <= names
    assert "effects_upgrading_index.png" in names and "timeseries_emissions.png" in names
    assert "wrote" in text
    assert "experiment fact (factorial)" in text and "8 finished runs, 4 points" in text
    assert re.search(r"2 replicate\S* at some points", text)
    summary = pd.read_csv(out / "report" / "summary.csv")
    assert len(summary) == 4 and "upgrading_index_mean" in summary.columns

    grid = tiny(firm_data=False, grid={"carbon_price": [10.0, 80.0], "cbam_coverage": [0.0, 0.5]})
    gout = tmp_path / "grid"
    run_experiment(grid, gout, executor="serial", progress=False)
    assert main(["experiment", "report", str(gout), "--reporter", "emissions"]) == 0
    assert (gout / "report" / "heatmap_emissions.png").exists()
    assert main(["experiment", "report", str(gout), "--reporter", "nope"]) == 2
    assert main(["experiment", "report", str(tmp_path / "missing")]) == 2


def test_cli_on_an_existing_dask_cluster(tmp_path, capsys):
    """--executor dask --scheduler ADDRESS uses a running cluster; output as serial."""
    from distributed import LocalCluster

    path = tmp_path / "exp.toml"
    path.write_text("steps = 2\nreplicates = 2\nbase_seed = 3\n[fixed]\nn_firms = 30\n")
    run_experiment(
        parse_experiment(
            {"steps": 2, "replicates": 2, "base_seed": 3, "fixed": {"n_firms": 30}}, "x"
        ),
        tmp_path / "serial",
        executor="serial",
        progress=False,
    )
    with LocalCluster(n_workers=1, threads_per_worker=1, dashboard_address=None) as cluster:
        rc = main(
            [
                "experiment",
                "run",
                str(path),
                "--out",
                str(tmp_path / "dask"),
                "--quiet",
                "--executor",
                "dask",
                "--scheduler",
                cluster.scheduler_address,
            ]
        )
    assert rc == 0
    assert "Dask scheduler tcp://" in capsys.readouterr().out
    a, b = frames(tmp_path / "serial"), frames(tmp_path / "dask")
    assert a.keys() == b.keys() and len(a) == 2
    for key in a:
        pd.testing.assert_frame_equal(a[key], b[key])
    assert (
        main(
            [
                "experiment",
                "run",
                str(path),
                "--out",
                str(tmp_path / "x"),
                "--scheduler",
                "tcp://127.0.0.1:1",
            ]
        )
        == 2
    )  # needs --executor dask


def test_the_local_dask_cluster_watches_itself_less_and_leaves_the_callers_config():
    """The cluster ``--executor dask`` starts runs its workers with LOCAL_CLUSTER_CONFIG
    (no profiler sampling the runs, slower monitors) and restores the caller's settings."""
    import dask
    from distributed import Client

    keys = list(LOCAL_CLUSTER_CONFIG)

    def settings() -> dict:
        import dask

        return {key: dask.config.get(key) for key in keys}

    before = settings()
    assert before != LOCAL_CLUSTER_CONFIG  # dask's defaults differ
    with local_cluster(1) as cluster, Client(cluster) as client:
        seen = list(client.run(settings).values())
    assert seen == [LOCAL_CLUSTER_CONFIG]
    assert settings() == before
    assert dask.config.get("distributed.worker.profile.enabled") is True


def test_the_local_dask_cluster_has_its_scheduler_in_a_process_that_ends_with_it():
    """The scheduler of the cluster ``--executor dask`` starts runs in its own process (not
    the sweep's), with the same settings and a dashboard that answers; closing the cluster
    ends that process and the workers'."""
    import urllib.request

    from distributed import Client

    def settings() -> dict:
        import dask

        return {key: dask.config.get(key) for key in LOCAL_CLUSTER_CONFIG}

    with local_cluster(2) as cluster, Client(cluster) as client:
        scheduler_pid = client.run_on_scheduler(os.getpid)
        worker_pids = list(client.run(os.getpid).values())
        assert client.run_on_scheduler(settings) == LOCAL_CLUSTER_CONFIG
        with urllib.request.urlopen(client.dashboard_link, timeout=10) as page:
            assert page.status == 200
    assert scheduler_pid != os.getpid() and len(set(worker_pids)) == 2

    def alive(pid: int) -> bool:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        stat = Path(f"/proc/{pid}/stat")
        return not (stat.exists() and stat.read_text().rsplit(")", 1)[1].split()[0] == "Z")

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(map(alive, [scheduler_pid, *worker_pids])):
        time.sleep(0.05)
    assert not any(map(alive, [scheduler_pid, *worker_pids]))


def test_a_scheduler_that_cannot_start_says_why():
    """A local cluster whose scheduler fails to start raises with the scheduler's reason."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    from abm.experiments.local_dask import _scheduler_class

    scheduler = _scheduler_class()(host="256.0.0.1", port=0, dashboard=False)
    with ThreadPoolExecutor(1) as thread:  # its own event loop (a test may run one here)
        started = thread.submit(lambda: asyncio.run(scheduler.start()))
        with pytest.raises(RuntimeError, match=r"the scheduler did not start: gaierror"):
            started.result()
    scheduler.proc.join(10)
    assert scheduler.proc.exitcode == 0


def test_a_dask_task_holds_several_runs_when_runs_are_short(tmp_path, monkeypatch):
    """Runs shorter than TASK_SECONDS go several to a Dask task once one has finished (a
    task's cost would swamp them); the output is the serial one."""
    from distributed import Client, get_task_stream

    from abm.experiments import executors

    # runs of a few hundredths of a second take more than the default half second on a
    # busy machine: a minute keeps the check independent of the machine's speed
    monkeypatch.setattr(executors, "TASK_SECONDS", 60.0)
    exp = tiny(replicates=12)  # 24 runs
    run_experiment(exp, tmp_path / "serial", executor="serial", progress=False)
    with local_cluster(2) as cluster, Client(cluster) as client:
        with get_task_stream(client) as stream:
            summary = run_experiment(
                exp,
                tmp_path / "dask",
                executor="dask",
                scheduler=cluster.scheduler_address,
                progress=False,
            )
        tasks = {t["key"] for t in stream.data if str(t["key"]).startswith("abm-")}
    assert summary.ok == 24
    assert 4 <= len(tasks) < 24  # the first four alone, then several to a task
    a, b = frames(tmp_path / "serial"), frames(tmp_path / "dask")
    assert a.keys() == b.keys()
    for key, frame in a.items():
        pd.testing.assert_frame_equal(b[key], frame, obj=key)


def test_the_runs_in_a_dask_task_follow_their_median_duration():
    """One run to a task until a duration is known; then enough for TASK_SECONDS, never
    fewer than 4 tasks a worker left, never more than are left."""
    from abm.experiments.executors import TASK_SECONDS, _Durations

    timed = _Durations()
    assert timed.batch(100, 2) == 1
    list(timed.of([{"duration_s": 0.16}, {"duration_s": 0.15}, {"duration_s": None}]))
    assert timed.batch(138, 2) == math.ceil(TASK_SECONDS / 0.155) == 4
    assert timed.batch(12, 2) == 1  # 12 // (4 x 2)
    list(timed.of([{"duration_s": 3.0}] * 10))
    assert timed.batch(1000, 2) == 1  # long runs: one to a task
