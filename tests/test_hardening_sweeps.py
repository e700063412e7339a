"""Sweeps under real faults: dead workers and main processes, corrupt and foreign files,
unwritable output, bad Dask addresses, huge designs, non-finite runs, self-describing files."""

from __future__ import annotations

import contextlib
import hashlib
import http.server
import json
import os
import re
import signal
import socket
import socketserver
import subprocess
import sys
import textwrap
import threading
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from abm import TradeClusterModel
from abm.analysis import load_results
from abm.cli import main
from abm.experiments import ExperimentError, parse_experiment, read_manifest, run_experiment

ROOT = Path(__file__).resolve().parents[1]
ABM = Path(sys.executable).with_name("abm")

TINY = """
name = "tiny"
steps = 2
replicates = 2
base_seed = 11
reporters = ["upgrading_index", "emissions", "green_share"]
[fixed]
n_firms = 30
[grid]
carbon_price = [10.0, 80.0]
"""


def write(tmp_path: Path, text: str = TINY, name: str = "exp.toml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def tiny(**extra):
    data = {
        "name": "tiny",
        "steps": 2,
        "replicates": 2,
        "base_seed": 11,
        "fixed": {"n_firms": 30},
        "grid": {"carbon_price": [10.0, 80.0]},
        "reporters": ["upgrading_index", "emissions", "green_share"],
    }
    data.update(extra)
    return parse_experiment(data, "tiny")


def one_error_line(err: str) -> str:
    """The single non-empty stderr line of a refused command (no traceback)."""
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


def digests(out: Path) -> dict[str, str]:
    return {
        str(p.relative_to(out)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(out.rglob("*"))
        if p.is_file() and p.name != ".lock"
    }


# ---------------------------------------------------------------------- model factories
def nan_factory(*, preset, rng, **params):
    """A model whose emissions turn NaN in the second year at carbon price 80."""
    model = TradeClusterModel(preset=preset, rng=rng, **params)
    if params.get("carbon_price") == 80.0:
        frame_of = model.model_frame

        def poisoned():
            frame = frame_of().copy()
            frame.loc[frame.index[1], "emissions"] = np.nan
            return frame

        model.model_frame = poisoned
    return model


def warning_factory(*, preset, rng, **params):
    """A model that warns while it is built."""
    warnings.warn("divide by zero in a test model", RuntimeWarning, stacklevel=1)
    return TradeClusterModel(preset=preset, rng=rng, **params)


def suicide_factory(*, preset, rng, **params):
    """The last run of ``tiny(replicates=3)`` (point 1, replicate 2) kills its own worker
    with SIGKILL (as the OOM killer would). The pool runs a sweep's first runs in the main
    process while its workers start, but never the last ``workers`` runs, so this one
    always dies in a worker, however fast the machine runs the first ones."""
    if params.get("carbon_price") == 80.0 and rng == tiny(replicates=3).runs()[-1].seed:
        os.kill(os.getpid(), signal.SIGKILL)
    return TradeClusterModel(preset=preset, rng=rng, **params)


# ---------------------------------------------------------------------- finite or failed
def test_nonfinite_run_is_failed_and_reports_count_it(tmp_path, capsys):
    summary = run_experiment(
        tiny(), tmp_path, executor="serial", progress=False, model_factory=nan_factory
    )
    assert summary.ok == 2 and sorted(summary.failed) == ["p0001_r00", "p0001_r01"]
    year = 2021  # the second year of the model (start 2020)
    assert summary.failed["p0001_r00"] == f"non-finite reporters: emissions ({year})"
    rec = read_manifest(tmp_path)["p0001_r00"]
    assert rec["status"] == "failed" and rec["nonfinite"] == {"emissions": [year]}
    assert not (tmp_path / "runs" / "p0001_r00.parquet").exists()
    with pytest.warns(UserWarning, match=r"2 runs left out: 2 failed \(non-finite reporters\)"):
        df = load_results(tmp_path)
    assert set(df["run_id"]) == {"p0000_r00", "p0000_r01"}
    assert set(df.attrs["left_out"]) == {"p0001_r00", "p0001_r01"}
    assert main(["experiment", "report", str(tmp_path), "--reporter", "emissions"]) == 0
    assert "2 runs left out: 2 failed (non-finite reporters)" in capsys.readouterr().out


def test_run_warnings_go_to_the_manifest_not_the_terminal(tmp_path, capsys):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a warning escaping the run would raise here
        summary = run_experiment(
            tiny(), tmp_path, executor="serial", progress=False, model_factory=warning_factory
        )
    assert summary.ok == 4 and capsys.readouterr().err == ""
    rec = read_manifest(tmp_path)["p0000_r00"]
    assert rec["warnings"][0] == "RuntimeWarning: divide by zero in a test model"


def test_report_survives_odd_manifest_lines(tmp_path, capsys):
    run_experiment(tiny(), tmp_path, executor="serial", progress=False)
    with open(tmp_path / "manifest.jsonl", "a") as fh:
        fh.write('{"run_id": 5, "status": "ok"}\n{"run_id": null}\n[1, 2]\n"text"\n')
        fh.write('{"run_id": "zz", "status": "ok"}\n{"run_id": "p0000_r00", "point": "0"}\n')
    assert len(read_manifest(tmp_path)) == 4
    rc = main(["experiment", "report", str(tmp_path), "--reporter", "emissions"])
    cap = capsys.readouterr()
    assert rc == 0 and "Traceback" not in cap.err and "4 finished runs" in cap.out


# ---------------------------------------------------------------------- processes
def test_a_killed_worker_fails_only_its_run(tmp_path):
    exp = tiny(replicates=3)
    summary = run_experiment(
        exp, tmp_path, workers=2, progress=False, model_factory=suicide_factory
    )
    assert list(summary.failed) == ["p0001_r02"], summary.failed
    assert "worker process died (killed by SIGKILL" in summary.failed["p0001_r02"]
    assert summary.ok == 5
    recs = read_manifest(tmp_path)
    assert sorted(r for r, v in recs.items() if v["status"] == "ok") == [
        "p0000_r00",
        "p0000_r01",
        "p0000_r02",
        "p0001_r00",
        "p0001_r01",
    ]
    again = run_experiment(exp, tmp_path, workers=2, progress=False)
    assert again.ok == 1 and again.skipped == 5 and again.success


def _session_members(sid: int) -> list[int]:
    """Pids of live (not zombie) processes in session ``sid``."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[3]) == sid and fields[0] != "Z":
            pids.append(int(entry.name))
    return pids


def _default_sigint() -> None:
    """Let Ctrl-C reach the sweep as in a terminal, also when the tests themselves run as a
    background job (whose shell ignores SIGINT, and children inherit that)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _sweep_in_its_session(
    tmp_path: Path, executor: str = "process"
) -> tuple[subprocess.Popen, Path, Path]:
    """A CLI sweep on 2 workers of ``executor`` (the pool, or a local Dask cluster it
    starts) in its own session, once its first run is recorded; the sweep's runs last long
    enough (about half a second each) that it is still running when the test signals it."""
    path = write(
        tmp_path,
        """
        name = "long"
        steps = 40
        replicates = 20
        [fixed]
        n_firms = 300
        """,
    )
    out = tmp_path / "out"
    proc = subprocess.Popen(
        [str(ABM), "experiment", "run", str(path), "--out", str(out), "--workers", "2"]
        + ["--executor", executor, "--quiet"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        preexec_fn=_default_sigint,
    )
    manifest = out / "manifest.jsonl"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not (
        manifest.exists() and manifest.read_text().count("\n") >= 1
    ):
        time.sleep(0.05)
    return proc, path, out


def _all_gone(sid: int, seconds: float = 15) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and _session_members(sid):
        time.sleep(0.1)
    return not _session_members(sid)


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
@pytest.mark.parametrize("executor", ["process", "dask"])
def test_killing_the_main_process_leaves_no_worker(tmp_path, executor):
    """Workers (and a local Dask cluster's scheduler) end with the sweep's main process."""
    proc, path, out = _sweep_in_its_session(tmp_path, executor)
    try:
        assert len(_session_members(proc.pid)) >= 3, "the workers did not start"
        os.kill(proc.pid, signal.SIGKILL)  # only the main process
        proc.communicate()
        assert _all_gone(proc.pid), "processes outlived the sweep"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    # the next invocation finishes the sweep
    assert main(["experiment", "run", str(path), "--out", str(out), "--quiet"]) == 0
    assert len(read_manifest(out)) == 20


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
@pytest.mark.parametrize("executor", ["process", "dask"])
def test_ctrl_c_stops_the_sweep_with_one_line(tmp_path, executor):
    proc, _, out = _sweep_in_its_session(tmp_path, executor)
    try:
        os.killpg(proc.pid, signal.SIGINT)  # what a terminal's Ctrl-C does
        err = proc.communicate(timeout=60)[1]
        assert _all_gone(proc.pid)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 130, err[-3000:]
    line = one_error_line(err)
    assert line.startswith("interrupted: finished runs are kept in")
    assert all(r["status"] == "ok" for r in read_manifest(out).values())


def test_ctrl_c_inside_a_compiled_loop_interrupts_the_sweep_not_the_run(tmp_path, capsys):
    """A Ctrl-C that surfaces as a SystemError from a compiled loop stops the sweep (exit
    130) instead of being recorded as a failed run; other SystemErrors fail only their run."""
    from abm.jit import interrupted

    def chained() -> SystemError:
        try:
            try:
                raise KeyboardInterrupt
            except KeyboardInterrupt as ki:
                raise SystemError("_numba_unpickle returned a result with an exception set") from ki
        except SystemError as inner:
            try:
                raise SystemError(
                    "CPUDispatcher(settle) returned a result with an exception set"
                ) from inner
            except SystemError as outer:
                return outer
        raise AssertionError  # pragma: no cover

    assert interrupted(chained()) and not interrupted(SystemError("other"))
    assert interrupted(KeyboardInterrupt()) and not interrupted(None)

    def broken(**params):
        raise chained()

    exp = parse_experiment({"name": "ki", "steps": 2, "fixed": {"n_firms": 20}}, "ki")
    with pytest.raises(KeyboardInterrupt):
        run_experiment(exp, tmp_path / "a", executor="serial", progress=False, model_factory=broken)

    def other(**params):
        raise SystemError("a real bug")

    summary = run_experiment(
        exp, tmp_path / "b", executor="serial", progress=False, model_factory=other
    )
    assert summary.ok == 0 and "SystemError: a real bug" in next(iter(summary.failed.values()))


# ---------------------------------------------------------------------- integrity
def test_a_flipped_byte_is_detected_and_rerun(tmp_path, capsys):
    path = write(tmp_path)
    out = tmp_path / "out"
    assert main(["experiment", "run", str(path), "--out", str(out), "--quiet"]) == 0
    capsys.readouterr()
    target = out / "runs" / "p0001_r00.parquet"
    good = target.read_bytes()
    broken = bytearray(good)
    broken[len(broken) // 2] ^= 0xFF
    target.write_bytes(bytes(broken))
    with pytest.warns(UserWarning, match=r"1 run left out: 1 corrupt file"):
        df = load_results(out)
    assert "p0001_r00" not in set(df["run_id"]) and df["run_id"].nunique() == 3
    assert main(["experiment", "run", str(path), "--out", str(out), "--quiet"]) == 0
    cap = capsys.readouterr()
    assert "p0001_r00: corrupt file" in cap.err and "running it again" in cap.err
    assert "1 ran ok, 3 already done" in cap.out
    assert target.read_bytes() == good  # rerun gives the same bytes
    assert load_results(out)["run_id"].nunique() == 4


def test_without_manifest_a_different_experiment_is_refused(tmp_path, capsys):
    path = write(tmp_path)
    out = tmp_path / "out"
    assert main(["experiment", "run", str(path), "--out", str(out), "--quiet"]) == 0
    (out / "manifest.jsonl").unlink()
    before = digests(out)
    other = write(tmp_path, TINY.replace("steps = 2", "steps = 3"), "other.toml")
    capsys.readouterr()
    rc = main(["experiment", "run", str(other), "--out", str(out), "--quiet"])
    cap = capsys.readouterr()
    line = one_error_line(cap.err)
    assert rc == 2 and str(out) in line and "different experiment" in line
    assert "steps 2 there, 3 now" in line
    assert "running on" not in cap.out  # a refused sweep does not announce itself first
    (out / "experiment.json").unlink()
    before.pop("experiment.json")
    rc = main(["experiment", "run", str(other), "--out", str(out), "--quiet"])
    line = one_error_line(capsys.readouterr().err)
    assert rc == 2 and "runs/p0000_r00.parquet was not written by this experiment" in line
    assert digests(out) == before  # nothing overwritten
    # the same experiment may still finish its directory
    assert main(["experiment", "run", str(path), "--out", str(out), "--quiet"]) == 0
    assert len(read_manifest(out)) == 4


# ---------------------------------------------------------------------- the output directory
def test_out_is_a_file_or_under_a_file(tmp_path, capsys):
    path = write(tmp_path)
    afile = tmp_path / "afile"
    afile.write_text("keep me")
    cases = (
        (afile, "not a directory"),
        (afile / "sub", "Not a directory"),
        (tmp_path / ("x" * 300), "File name too long"),
    )
    for out, reason in cases:
        rc = main(["experiment", "run", str(path), "--out", str(out), "--quiet"])
        line = one_error_line(capsys.readouterr().err)
        assert rc == 2 and line == f"abm experiment: error: cannot write {out}: {reason}"
    assert afile.read_text() == "keep me"


@contextlib.contextmanager
def tmpfs(where: Path, options: str):
    where.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip("cannot mount a tmpfs here")
    try:
        yield where
    finally:
        subprocess.run(["umount", str(where)], check=False)


def test_read_only_out(tmp_path, capsys):
    path = write(tmp_path)
    with tmpfs(tmp_path / "ro", "ro,size=1m") as ro:
        for out in (ro, ro / "sub"):
            rc = main(["experiment", "run", str(path), "--out", str(out), "--quiet"])
            line = one_error_line(capsys.readouterr().err)
            assert rc == 2 and line.startswith(f"abm experiment: error: cannot write {out}")
            assert "Read-only file system" in line
        assert list(ro.iterdir()) == []


def test_disk_full_mid_sweep_loses_nothing_finished(tmp_path, capsys):
    path = write(tmp_path, TINY.replace("replicates = 2", "replicates = 30") + "\n")
    with tmpfs(tmp_path / "small", "size=96k") as small:
        out = small / "out"
        rc = main(["experiment", "run", str(path), "--out", str(out), "--quiet", "--workers", "1"])
        line = one_error_line(capsys.readouterr().err)
        assert rc == 2 and "cannot write" in line and "No space left on device" in line
        assert not [p for p in out.rglob("*") if p.name.endswith(".tmp")]
        for rid, rec in read_manifest(out).items():  # every recorded run is intact
            data = (out / "runs" / f"{rid}.parquet").read_bytes()
            assert hashlib.sha256(data).hexdigest() == rec["sha256"]["model"]


# ---------------------------------------------------------------------- bounded inputs
def test_huge_design_refused_and_dry_run_in_constant_memory(tmp_path, capsys):
    grid = "".join(
        f"{n} = [{', '.join(f'{0.1 * i:.1f}' for i in range(10))}]\n"
        for n in (
            "cbam_coverage",
            "green_rd_subsidy",
            "adoption_subsidy",
            "spillover_rate",
            "platform_cost",
            "green_rd_share",
            "institute_partner_share",
        )
    )
    path = write(tmp_path, f'name = "huge"\nsteps = 2\n[grid]\n{grid}')
    out = tmp_path / "out"
    rc = main(["experiment", "run", str(path), "--out", str(out)])
    line = one_error_line(capsys.readouterr().err)
    assert rc == 2 and "10,000,000 runs" in line and "--allow-large" in line
    # the child's own peak (VmHWM, reset by exec): ru_maxrss of a forked child can carry
    # the test process's peak over, which grows with the tests run before this one
    code = (
        "import resource, sys, time; from abm.cli import main; t = time.perf_counter(); "
        f"rc = main(['experiment', 'run', {str(path)!r}, '--out', {str(out)!r}, "
        "'--dry-run', '--allow-large']); seconds = time.perf_counter() - t\n"
        "try:\n"
        "    hwm = [ln for ln in open('/proc/self/status') if ln.startswith('VmHWM:')]\n"
        "    peak = int(hwm[0].split()[1])\n"
        "except (OSError, IndexError):\n"
        "    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "print(rc, seconds, peak)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert "10000000 points x 1 replicate = 10000000 runs" in done.stdout.replace(",", "")
    rc, seconds, max_kib = done.stdout.strip().splitlines()[-1].split()
    assert rc == "0" and float(seconds) < 10 and int(max_kib) < 600_000, done.stdout
    assert not out.exists()


# ---------------------------------------------------------------------- Dask addresses
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def dask_cli(path: Path, out: Path, scheduler: str, *extra: str) -> list[str]:
    return [
        "experiment",
        "run",
        str(path),
        "--out",
        str(out),
        "--quiet",
        "--executor",
        "dask",
        "--scheduler",
        scheduler,
        *extra,
    ]


@contextlib.contextmanager
def serving(handler_or_server):
    server = handler_or_server
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class Answer400(socketserver.BaseRequestHandler):
    """A TCP service that answers every connection at once with an HTTP error."""

    def handle(self):
        self.request.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")


def test_bad_scheduler_addresses_fail_fast_with_one_line(tmp_path, capsys):
    path = write(tmp_path)
    out = tmp_path / "out"
    garbage = tmp_path / "sched.json"
    garbage.write_bytes(b"\x00\xffnot json at all{")
    no_address = tmp_path / "sched2.json"
    no_address.write_text('{"type": "Scheduler"}')
    http_server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler
    )
    bad_server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Answer400)
    dead = f"tcp://127.0.0.1:{free_port()}"
    with serving(http_server) as http_addr, serving(bad_server) as bad_addr:
        cases = {
            "": "--scheduler: invalid value ''",
            "  ": "--scheduler: invalid value '  '",
            "tcp://127.0.0.1": "invalid address 'tcp://127.0.0.1'; allowed: tcp://HOST:PORT",
            "http://127.0.0.1:80": "invalid address",
            "tcp://127.0.0.1:99999": "invalid address",
            str(tmp_path): "not a file",
            str(garbage): "not a Dask scheduler file",
            str(no_address): "not a Dask scheduler file",
            dead: "cannot connect to 127.0.0.1",
            f"tcp://{http_addr}": "not a Dask scheduler (no Dask handshake within 5 s)",
            bad_addr: "not a Dask scheduler (it answered 'HTTP/1.1')",
        }
        for address, expected in cases.items():
            t0 = time.monotonic()
            rc = main(dask_cli(path, out, address))
            seconds = time.monotonic() - t0
            line = one_error_line(capsys.readouterr().err)
            assert rc == 2 and expected in line, (address, line)
            assert line.startswith("abm experiment: error: --scheduler"), line
            assert seconds < 8, (address, seconds)
            assert not out.exists(), address  # nothing written: no .lock, runs/, json


def test_scheduler_without_workers_is_reported(tmp_path, capsys):
    from distributed import LocalCluster

    path = write(tmp_path)
    out = tmp_path / "out"
    with LocalCluster(n_workers=0, dashboard_address=None) as cluster:
        t0 = time.monotonic()
        rc = main(dask_cli(path, out, cluster.scheduler_address, "--worker-timeout", "2"))
        seconds = time.monotonic() - t0
    line = one_error_line(capsys.readouterr().err)
    assert rc == 2 and "has no workers (none joined within 2 s)" in line
    assert seconds < 15 and not out.exists()


def test_dask_scheduler_log_is_clean_and_dashboard_printed(tmp_path):
    """A separate scheduler and worker: the sweep runs, the dashboard link is printed, and
    the scheduler logs no error when the client leaves."""
    port, dash = free_port(), free_port()
    dask = Path(sys.executable).with_name("dask")
    log = open(tmp_path / "scheduler.log", "w")  # noqa: SIM115 - closed below
    procs = [
        subprocess.Popen(
            [str(dask), "scheduler", "--host", "127.0.0.1", "--port", str(port)]
            + ["--dashboard-address", f"127.0.0.1:{dash}"],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    ]
    address = f"tcp://127.0.0.1:{port}"
    try:
        procs.append(
            subprocess.Popen(
                [str(dask), "worker", address, "--nthreads", "1", "--no-dashboard"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
        )
        path = write(tmp_path)
        done = subprocess.run(
            [str(ABM), *dask_cli(path, tmp_path / "out", address, "--worker-timeout", "60")],
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert done.returncode in (0, 1), done.stderr  # 1: a run failed (model data)
        assert f"Dask dashboard: http://127.0.0.1:{dash}/status" in done.stderr
        assert len(read_manifest(tmp_path / "out")) == 4
        time.sleep(1.0)
    finally:
        for proc in reversed(procs):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(30)
        log.close()
    text = (tmp_path / "scheduler.log").read_text()
    assert "Receive client connection" in text
    assert "CommClosedError" not in text and "Traceback" not in text and "ERROR" not in text


# ---------------------------------------------------------------------- self-describing files
def docs_block(lang: str) -> str:
    text = (ROOT / "docs" / "experiments.md").read_text()
    blocks = re.findall(rf"```{lang}\n(.*?)```", text, re.S)
    return next(b for b in blocks if "runs/*.parquet" in b)


def test_run_files_describe_themselves_and_duckdb_needs_no_join(tmp_path, capsys):
    duckdb = pytest.importorskip("duckdb")
    exp = tiny(firm_data=True, grid={"carbon_price": [10.0, 80.0], "cbam_coverage": [0.0, 0.5]})
    out = tmp_path / "results" / "carbon_price"
    run_experiment(exp, out, executor="serial", progress=False)
    assert sorted(p.name for p in (out / "firms").iterdir())[0] == "p0000_r00.parquet"
    assert not list((out / "runs").glob("*firms*"))
    frame = pd.read_parquet(out / "runs" / "p0003_r01.parquet")
    spec = exp.runs()[7]
    assert list(frame.columns[:7]) == [
        "run_id",
        "point",
        "replicate",
        "seed",
        "preset",
        "param_carbon_price",
        "param_cbam_coverage",
    ]
    assert (frame["param_carbon_price"] == 80.0).all() and (frame["seed"] == spec.seed).all()
    assert "carbon_price" not in frame.columns or frame.attrs["parameters"]["carbon_price"] == 80
    assert frame.attrs["seed"] == spec.seed and frame.attrs["preset"] == "baseline"
    assert frame.attrs["parameters"]["n_firms"] == 30
    firms = pd.read_parquet(out / "firms" / "p0003_r01.parquet")
    assert (firms["param_cbam_coverage"] == 0.5).all() and (firms["run_id"] == "p0003_r01").all()

    # the DuckDB query of docs/experiments.md, run as written from the results' parent
    sql = docs_block("sql")
    got = duckdb.connect().execute(sql.replace("results/", f"{tmp_path}/results/")).df()
    df = load_results(out, params="varied")
    last = df[df["year"] == df["year"].max()]
    want = last.groupby(["carbon_price", "cbam_coverage"])["emissions"].agg(["mean", "count"])
    assert len(got) == 4 and (got["runs"] == 2).all()
    for row in got.itertuples(index=False):
        mean = want.loc[(row.param_carbon_price, row.param_cbam_coverage), "mean"]
        assert row.emissions == pytest.approx(mean, rel=1e-12)

    tidy = tmp_path / "tidy.parquet"
    assert main(["experiment", "export", str(out), "--out", str(tidy)]) == 0
    assert "model rows of 8 runs" in capsys.readouterr().out
    whole = pd.read_parquet(tidy)
    assert len(whole) == 8 * 3 and whole["run_id"].nunique() == 8
    assert {"param_carbon_price", "seed", "preset", "replicate", "emissions"} <= set(whole)
    import pyarrow.parquet as pq

    meta = json.loads(pq.read_schema(tidy).metadata[b"abm_experiment"])
    assert meta["name"] == "tiny" and meta["varied"] == ["carbon_price", "cbam_coverage"]
    assert main(["experiment", "export", str(out), "--out", str(tmp_path / "x.csv")]) == 2


def test_same_output_serial_and_pool_with_new_columns(tmp_path):
    exp = tiny(firm_data=True)
    a, b = tmp_path / "a", tmp_path / "b"
    run_experiment(exp, a, executor="serial", progress=False)
    run_experiment(exp, b, workers=2, progress=False)
    files = sorted(p.relative_to(a) for p in a.rglob("*.parquet"))
    assert len(files) == 8
    for rel in files:
        pd.testing.assert_frame_equal(pd.read_parquet(a / rel), pd.read_parquet(b / rel))
    with pytest.raises(ExperimentError, match="different experiment"):
        run_experiment(tiny(firm_data=False, steps=3), a, executor="serial", progress=False)
