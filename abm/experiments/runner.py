"""Run an experiment's runs serially, in a process pool or on Dask; write, record, resume.

Layout of an output directory::

    DIR/experiment.json        the experiment and its points (rewritten by each invocation)
    DIR/manifest.jsonl         one JSON record per finished run, appended; the last wins
    DIR/runs/<run_id>.parquet  model frame of a run (Step, year, reporters, run_id, ...)
    DIR/runs/<run_id>.firms.parquet   firm frame, when firm_data = true

Workers only compute: they return the run's frames as Parquet bytes, and this process writes
each file atomically (temporary file, then rename) and then appends the run's manifest
record. So a run is finished exactly when its record says ``ok`` and its file exists; a
killed sweep loses only the runs in flight, and running it again skips finished runs.
"""

from __future__ import annotations

import contextlib
import io
import json
import multiprocessing
import os
import socket
import sys
import time
import traceback
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from abm.experiments.spec import Experiment, ExperimentError, RunSpec

EXECUTORS = ("process", "dask", "serial")
MANIFEST = "manifest.jsonl"
EXPERIMENT_JSON = "experiment.json"
RUNS = "runs"
LOCK = ".lock"
_TRACEBACK_CHARS = 6000


def _version() -> str:
    from abm import __version__

    return __version__


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


# ---------------------------------------------------------------------- one run (in a worker)
def execute(spec: RunSpec, model_factory: Callable | None = None) -> dict[str, Any]:
    """Build and run one model; never raises for a model error.

    Returns a dict with ``status`` (``"ok"`` or ``"failed"``), ``error``, ``traceback``,
    timing, host and pid, and on success the model frame (and firm frame) as Parquet bytes.
    ``model_factory(scenario=..., rng=..., **params)`` replaces ``TradeClusterModel``.
    """
    started = _now()
    t0 = time.perf_counter()
    out: dict[str, Any] = {
        "run_id": spec.run_id,
        "status": "ok",
        "error": None,
        "traceback": None,
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "model": None,
        "firms": None,
    }
    try:
        if model_factory is None:
            from abm.model import TradeClusterModel

            model_factory = TradeClusterModel
        model = model_factory(scenario=spec.scenario, rng=spec.seed, **spec.params)
        for _ in range(spec.steps):
            if not getattr(model, "running", True):
                break
            model.step()
        frame = model.model_frame()
        if spec.reporters is not None:
            frame = frame[[c for c in spec.reporters if c in frame.columns]]
        frame = frame.reset_index()
        frame.insert(0, "run_id", spec.run_id)
        frame.insert(1, "point", spec.point)
        frame.insert(2, "replicate", spec.replicate)
        out["model"] = _parquet_bytes(frame)
        if spec.firm_data:
            firms = model.firm_frame()
            if len(firms):
                firms.insert(0, "run_id", spec.run_id)
                out["firms"] = _parquet_bytes(firms)
    except Exception as exc:  # a failed run is data, not a crash of the sweep
        out.update(
            status="failed",
            error=f"{type(exc).__name__}: {exc}",
            traceback=traceback.format_exc()[-_TRACEBACK_CHARS:],
            model=None,
            firms=None,
        )
    out["duration_s"] = round(time.perf_counter() - t0, 4)
    out["started"] = started
    out["finished"] = _now()
    return out


def _parquet_bytes(frame) -> bytes:
    buf = io.BytesIO()
    frame.to_parquet(buf, index=False)
    return buf.getvalue()


def _lost(spec: RunSpec, exc: BaseException) -> dict[str, Any]:
    """The result of a run whose worker died or whose task could not be run."""
    return {
        "run_id": spec.run_id,
        "status": "failed",
        "error": f"worker failed: {type(exc).__name__}: {exc}",
        "traceback": "".join(traceback.format_exception(exc))[-_TRACEBACK_CHARS:],
        "host": None,
        "pid": None,
        "model": None,
        "firms": None,
        "duration_s": None,
        "started": None,
        "finished": _now(),
    }


# ---------------------------------------------------------------------- files and manifest
def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the whole new one."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def read_manifest(out_dir: str | Path) -> dict[str, dict]:
    """The latest manifest record of each run (a torn last line from a kill is skipped)."""
    path = Path(out_dir) / MANIFEST
    records: dict[str, dict] = {}
    if not path.exists():
        return records
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            line = line.strip()
            if not line:
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(rec, dict) and "run_id" in rec:
                records[rec["run_id"]] = rec
    return records


def append_manifest(out_dir: Path, record: dict) -> None:
    """Append one record as a single line, flushed to disk."""
    path = out_dir / MANIFEST
    line = json.dumps(record, default=str, separators=(",", ":")) + "\n"
    with open(path, "a+b") as fh:
        fh.seek(0, os.SEEK_END)
        if fh.tell() > 0:  # after a torn line (killed mid-write), start a fresh line
            fh.seek(-1, os.SEEK_END)
            if fh.read(1) != b"\n":
                line = "\n" + line
        fh.write(line.encode())
        fh.flush()
        os.fsync(fh.fileno())


def run_paths(out_dir: Path, run: str) -> tuple[Path, Path]:
    """Paths of a run's model frame and firm frame."""
    base = out_dir / RUNS
    return base / f"{run}.parquet", base / f"{run}.firms.parquet"


def _finished(out_dir: Path, spec: RunSpec, rec: dict | None) -> bool:
    if rec is None or rec.get("status") != "ok":
        return False
    model_path, firms_path = run_paths(out_dir, spec.run_id)
    if not model_path.exists():
        return False
    return not (spec.firm_data and "firms" in rec.get("files", []) and not firms_path.exists())


def _difference(spec: RunSpec, rec: dict) -> str:
    old = rec.get("spec") or {}
    new = spec.key()
    for key in new:
        if key == "params":
            a, b = old.get("params", {}), new["params"]
            for name in sorted(set(a) | set(b)):
                if a.get(name) != b.get(name):
                    return f"{name} {a.get(name)!r} there, {b.get(name)!r} now"
        elif old.get(key) != new[key]:
            return f"{key} {old.get(key)!r} there, {new[key]!r} now"
    return "different settings"


@contextlib.contextmanager
def _lock(out_dir: Path):
    """Hold an exclusive lock on ``DIR/.lock`` (released by the OS if the process dies)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: no lock
        yield
        return
    with open(out_dir / LOCK, "a+") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ExperimentError(
                f"{out_dir}: another 'abm experiment run' is writing to this directory"
            ) from None
        yield


# ---------------------------------------------------------------------- executors
def _serial(specs: list[RunSpec], factory, workers, scheduler) -> Iterator[dict]:
    for spec in specs:
        yield execute(spec, factory)


def _process(specs: list[RunSpec], factory, workers, scheduler) -> Iterator[dict]:
    from concurrent.futures import ProcessPoolExecutor, as_completed

    # forkserver: safe with threads in the parent (progress bar, notebooks), fast to start
    # because the server imports the model once.
    method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
    ctx = multiprocessing.get_context(method)
    if method == "forkserver":
        ctx.set_forkserver_preload(["abm.experiments.runner", "abm.model"])
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=ctx)
    try:
        futures = {pool.submit(execute, spec, factory): spec for spec in specs}
        for fut in as_completed(futures):
            spec = futures.pop(fut)
            try:
                yield fut.result()
            except Exception as exc:  # worker died (killed, out of memory) or pickling failed
                yield _lost(spec, exc)
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


def _dask(specs: list[RunSpec], factory, workers, scheduler) -> Iterator[dict]:
    try:
        from distributed import Client, LocalCluster, as_completed
    except ImportError as exc:  # pragma: no cover
        raise ExperimentError(
            "--executor dask needs dask.distributed: pip install 'dask[distributed]'"
        ) from exc
    cluster = None
    if scheduler:
        try:
            if os.path.isfile(scheduler):  # a scheduler file (dask scheduler --scheduler-file)
                client = Client(scheduler_file=scheduler, timeout="30s")
            else:
                client = Client(scheduler, timeout="30s")
        except OSError as exc:
            raise ExperimentError(
                f"--scheduler {scheduler}: cannot connect to a Dask scheduler: {exc}"
            ) from None
    else:
        cluster = LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",
        )
        client = Client(cluster)
    futures = []
    try:
        tag = uuid.uuid4().hex[:8]
        by_key = {}
        for spec in specs:
            fut = client.submit(execute, spec, factory, key=f"abm-{spec.run_id}-{tag}", pure=False)
            futures.append(fut)
            by_key[fut.key] = spec
        for fut in as_completed(futures):
            spec = by_key[fut.key]
            try:
                res = fut.result()
            except Exception as exc:  # KilledWorker, lost connection, ...
                res = _lost(spec, exc)
            fut.release()
            yield res
    finally:
        with contextlib.suppress(Exception):
            client.cancel(futures)
        client.close()
        if cluster is not None:
            cluster.close()


_EXECUTORS = {"serial": _serial, "process": _process, "dask": _dask}


# ---------------------------------------------------------------------- the sweep
@dataclass
class SweepSummary:
    """What a call of :func:`run_experiment` did."""

    out_dir: Path
    total: int
    skipped: int = 0
    ok: int = 0
    failed: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    other_versions: list[str] = field(default_factory=list)

    @property
    def success(self) -> bool:
        """True when no run of this call failed."""
        return not self.failed

    def __str__(self) -> str:
        text = (
            f"{self.total} runs: {self.ok} ran ok, {self.skipped} already done, "
            f"{len(self.failed)} failed, in {self.seconds:.1f} s -> {self.out_dir}"
        )
        return text


def default_workers() -> int:
    """Cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - macOS, Windows
        return os.cpu_count() or 1


def run_experiment(
    exp: Experiment,
    out_dir: str | Path,
    workers: int | None = None,
    executor: str = "process",
    scheduler: str | None = None,
    progress: bool = True,
    model_factory: Callable | None = None,
) -> SweepSummary:
    """Run every (point, replicate) of ``exp`` not yet finished in ``out_dir``.

    Parameters
    ----------
    exp : Experiment
        From :func:`abm.experiments.load_experiment` (optionally ``.with_overrides(...)``).
    out_dir : path
        Output directory; created if missing. Finished runs found there are skipped; failed
        ones are run again.
    workers : int, optional
        Worker processes (default: all cores). With ``scheduler`` it is ignored.
    executor : {"process", "dask", "serial"}
        A local process pool, ``dask.distributed`` (a ``LocalCluster``, or the cluster at
        ``scheduler``), or this process (for debugging).
    scheduler : str, optional
        Address of a running Dask scheduler, e.g. ``"tcp://10.0.0.5:8786"``, or the path of
        its scheduler file (``dask scheduler --scheduler-file``).
    progress : bool
        Show a progress bar (runs done, failed, time left) on stderr.
    model_factory : callable, optional
        ``model_factory(scenario=..., rng=..., **params)`` returning a model with ``step()``
        and ``model_frame()``; default ``TradeClusterModel``. Must be picklable for the
        process pool (a module-level function); Dask also accepts closures.

    Returns
    -------
    SweepSummary
        Counts, failed runs with their errors, and the wall time.
    """
    if executor not in EXECUTORS:
        raise ExperimentError(
            f"executor: invalid value {executor!r}; allowed: {', '.join(EXECUTORS)}"
        )
    if scheduler and executor != "dask":
        raise ExperimentError("--scheduler needs --executor dask")
    if workers is not None and (isinstance(workers, bool) or workers < 1):
        raise ExperimentError(f"workers: invalid value {workers!r}; allowed: an integer >= 1")
    t0 = time.perf_counter()
    out_dir = Path(out_dir)
    points = exp.points()
    runs = exp.runs(points)
    records = read_manifest(out_dir)

    for spec in runs:  # refuse to mix two different experiments in one directory
        rec = records.get(spec.run_id)
        if rec is not None and rec.get("digest") not in (None, spec.digest()):
            raise ExperimentError(
                f"{out_dir}: holds results of a different experiment (run {spec.run_id}: "
                f"{_difference(spec, rec)}); use another --out directory or delete this one"
            )

    (out_dir / RUNS).mkdir(parents=True, exist_ok=True)
    summary = SweepSummary(out_dir=out_dir, total=len(runs))
    with _lock(out_dir):
        records = read_manifest(out_dir)
        done = {s.run_id for s in runs if _finished(out_dir, s, records.get(s.run_id))}
        summary.skipped = len(done)
        version = _version()
        summary.other_versions = sorted({str(records[r].get("version")) for r in done} - {version})
        pending = [s for s in runs if s.run_id not in done]
        _write_experiment_json(out_dir, exp, points, version)
        if pending:
            n_workers = workers or default_workers()
            n_workers = max(1, min(n_workers, len(pending)))
            results = _EXECUTORS[executor](pending, model_factory, n_workers, scheduler)
            _consume(exp, out_dir, pending, results, summary, version, progress)
    summary.seconds = time.perf_counter() - t0
    return summary


def _consume(
    exp: Experiment,
    out_dir: Path,
    pending: list[RunSpec],
    results: Iterable[dict],
    summary: SweepSummary,
    version: str,
    progress: bool,
) -> None:
    from tqdm.auto import tqdm

    specs = {s.run_id: s for s in pending}
    bar = tqdm(
        total=summary.total,
        initial=summary.skipped,
        desc=exp.name,
        unit="run",
        disable=not progress,
        file=sys.stderr,
        dynamic_ncols=True,
    )
    bar.set_postfix(failed=0, refresh=False)
    try:
        for res in results:
            spec = specs[res["run_id"]]
            files = []
            if res["status"] == "ok":
                model_path, firms_path = run_paths(out_dir, spec.run_id)
                if res.get("firms") is not None:
                    atomic_write(firms_path, res["firms"])
                    files.append("firms")
                atomic_write(model_path, res["model"])
                files.insert(0, "model")
                summary.ok += 1
            else:
                summary.failed[spec.run_id] = res["error"]
            append_manifest(out_dir, _record(exp, spec, res, files, version))
            bar.set_postfix(failed=len(summary.failed), refresh=False)
            bar.update(1)
    finally:
        close = getattr(results, "close", None)
        if close is not None:
            close()
        bar.close()


def _record(exp: Experiment, spec: RunSpec, res: dict, files: list[str], version: str) -> dict:
    return {
        "run_id": spec.run_id,
        "experiment": exp.name,
        "point": spec.point,
        "replicate": spec.replicate,
        "seed": spec.seed,
        "scenario": spec.scenario,
        "factors": spec.factors,
        "params": spec.params,
        "status": res["status"],
        "error": res["error"],
        "traceback": res["traceback"],
        "duration_s": res["duration_s"],
        "started": res["started"],
        "finished": res["finished"],
        "host": res["host"],
        "pid": res["pid"],
        "version": version,
        "files": files,
        "digest": spec.digest(),
        "spec": spec.key(),
    }


def _write_experiment_json(out_dir: Path, exp: Experiment, points, version: str) -> None:
    data = exp.to_dict()
    data["version"] = version
    data["written"] = _now()
    data["points"] = [
        {
            "point": p.index,
            "scenario": p.scenario,
            "factors": p.factors,
            "varied": p.varied,
            **({"sample": list(p.sample)} if p.sample is not None else {}),
        }
        for p in points
    ]
    atomic_write(out_dir / EXPERIMENT_JSON, json.dumps(data, indent=1, default=str).encode())


def read_experiment_json(out_dir: str | Path) -> dict | None:
    """The ``experiment.json`` of a results directory, or None."""
    path = Path(out_dir) / EXPERIMENT_JSON
    if not path.exists():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


__all__ = [
    "EXECUTORS",
    "SweepSummary",
    "append_manifest",
    "atomic_write",
    "default_workers",
    "execute",
    "read_experiment_json",
    "read_manifest",
    "run_experiment",
    "run_paths",
]
