"""Smoke runs of the benchmarks (tiny sizes) so they cannot rot. No timing checks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "experiments" / "benchmarks" / "bench_scale.py"
SWEEP = BENCH.with_name("bench_sweep.py")


def run_bench(script: Path, *args: str) -> subprocess.CompletedProcess:
    """Run a benchmark script in a fresh interpreter; it must exit 0."""
    proc = subprocess.run(
        [sys.executable, str(script), *args],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc


def test_bench_scale_quick(tmp_path):
    out_json = tmp_path / "bench.json"
    proc = run_bench(BENCH, "--quick", "--json", str(out_json))
    lines = proc.stdout.strip().splitlines()

    # the table: header and one row per measured configuration
    header = next(i for i, line in enumerate(lines) if line.startswith("model "))
    assert "us/agent-step" in lines[header] and "peak_MiB" in lines[header]
    body = lines[header + 2 :]
    assert any(line.startswith("Boltzmann non-spatial (REF)") for line in body)
    assert any(line.startswith("Boltzmann shipped, spatial") for line in body)
    assert sum(line.startswith("TradeClusterModel") for line in body) >= 2
    assert "[bench]" in proc.stderr  # progress goes to stderr, not into the table

    # the last four lines are the machine-readable results
    values = dict(line.split("=") for line in lines[-4:])
    assert list(values) == [
        "ratio_per_firm_step_vs_boltzmann",
        "scaling_100k_over_10k",
        "million_firms_40y_seconds",
        "million_firms_peak_gib",
    ]
    assert all(float(v) > 0 for v in values.values())
    value1 = values["ratio_per_firm_step_vs_boltzmann"]
    assert "one run of 3,000 firms x 2 steps, timed whole" in proc.stdout

    data = json.loads(out_json.read_text())
    assert data["reference"] == "boltzmann_nonspatial"
    assert data["ratio_per_firm_step_vs_boltzmann"] == pytest.approx(float(value1), rel=1e-3)
    assert all(row["peak_rss_mib"] > 0 for row in data["rows"])
    ours = [row for row in data["rows"] if row["kind"] == "trade_cluster"] + [data["million"]]
    assert not any(row["mesa_layer_built"] for row in ours)  # headless runs never build it


def test_bench_sweep_quick():
    # serial, process pool, Dask started by the sweep and a running Dask cluster: a table
    # row each, then one machine-readable efficiency per parallel executor
    proc = run_bench(SWEEP, "--quick")
    lines = proc.stdout.strip().splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("executor "))
    rows = [line.split()[0] for line in lines[header + 1 : header + 5]]
    assert rows == ["serial", "process", "dask", "dask_running_cluster"]
    values = dict(line.split("=") for line in lines[-3:])
    assert list(values) == [
        "sweep_efficiency_2_workers_process",
        "sweep_efficiency_2_workers_dask",
        "sweep_efficiency_2_workers_dask_running_cluster",
    ]
    assert all(float(v) > 0 for v in values.values())
