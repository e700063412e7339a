"""Run an experiment's runs serially, in a process pool or on Dask; write, record, resume.

Layout of an output directory::

    DIR/experiment.json         the experiment and its points (rewritten by each invocation)
    DIR/manifest.jsonl          one JSON record per finished run, appended; the last wins
    DIR/runs/<run_id>.parquet   model frame of a run: ids, swept values, Step, year, reporters
    DIR/firms/<run_id>.parquet  firm frame of a run, when firm_data = true

Workers only compute (:mod:`abm.experiments.worker`, on an executor of
:mod:`abm.experiments.executors`): they return the run's frames as Parquet bytes, and this
process writes each file atomically (temporary file, then rename) and then appends the
run's manifest record with the file's sha256. So a run is finished exactly when its record
says ``ok`` and its file exists with that digest; a killed sweep loses only the runs in
flight, and running it again skips finished runs and reruns corrupt ones.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from abm.experiments.executors import (
    CONNECT_TIMEOUT,
    WORKER_TIMEOUT,
    open_executor,
    parse_scheduler,
    probe_scheduler,
)
from abm.experiments.spec import MAX_RUNS, Experiment, ExperimentError, RunSpec
from abm.experiments.worker import (
    execute,
    id_columns,
    nonfinite,
    one_line,
    package_version,
    utc_now,
)
from abm.progress import progress_bar

EXECUTORS = ("process", "dask", "serial")
MANIFEST = "manifest.jsonl"
EXPERIMENT_JSON = "experiment.json"
RUNS = "runs"
FIRMS = "firms"
LOCK = ".lock"
#: Keys of experiment.json that decide what its runs compute (not their number or names).
_IDENTITY = (
    "preset",
    "steps",
    "base_seed",
    "common_random_numbers",
    "reporters",
    "firm_data",
    "fixed",
    "grid",
    "modes",
    "sampler",
)

Log = Callable[[str], None]


# ---------------------------------------------------------------------- files and manifest
def _cannot_write(path: Path, exc: OSError) -> ExperimentError:
    reason = exc.strerror or str(exc) or type(exc).__name__
    return ExperimentError(f"cannot write {path}: {reason}")


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the whole new one.

    An OS error (disk full, read-only, permission) raises :class:`ExperimentError`
    ``cannot write <path>: <reason>`` and leaves no temporary file behind.
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        raise _cannot_write(path, exc) from None
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()


def sha256_bytes(data: bytes) -> str:
    """Hex sha256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str | None:
    """Hex sha256 of a file's contents, or None when it cannot be read."""
    h = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
    except OSError:
        return None
    return h.hexdigest()


def read_manifest(out_dir: str | Path) -> dict[str, dict]:
    """The latest manifest record of each run.

    A torn last line (a kill while writing) and lines that are not a run's record (a string
    ``run_id`` and ``status``, integer ``point`` and ``replicate``) are skipped.
    """
    path = Path(out_dir) / MANIFEST
    records: dict[str, dict] = {}
    if not path.is_file():
        return records
    with open(path, encoding="utf-8", errors="replace") as fh:
        for line in fh:
            line = line.strip()
            if not line:
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError:
                continue
            if _is_record(rec):
                records[rec["run_id"]] = rec
    return records


def _is_record(rec: Any) -> bool:
    """A run's record: a string ``run_id`` and ``status``, integer ``point``, ``replicate``."""
    return (
        isinstance(rec, dict)
        and isinstance(rec.get("run_id"), str)
        and isinstance(rec.get("status"), str)
        and all(
            isinstance(rec.get(k), int) and not isinstance(rec.get(k), bool)
            for k in ("point", "replicate")
        )
    )


def append_manifest(out_dir: Path, record: dict) -> None:
    """Append one record as a single line, flushed to disk."""
    path = out_dir / MANIFEST
    line = json.dumps(record, default=str, separators=(",", ":")) + "\n"
    try:
        with open(path, "a+b") as fh:
            fh.seek(0, os.SEEK_END)
            if fh.tell() > 0:  # after a torn line (killed mid-write), start a fresh line
                fh.seek(-1, os.SEEK_END)
                if fh.read(1) != b"\n":
                    line = "\n" + line
            fh.write(line.encode())
            fh.flush()
            os.fsync(fh.fileno())
    except OSError as exc:
        raise _cannot_write(path, exc) from None


def run_paths(out_dir: Path, run: str) -> tuple[Path, Path]:
    """Paths of a run's model frame (``runs/``) and firm frame (``firms/``)."""
    out_dir = Path(out_dir)
    return out_dir / RUNS / f"{run}.parquet", out_dir / FIRMS / f"{run}.parquet"


def check_run(out_dir: Path, rec: dict | None) -> str | None:
    """Why a recorded run cannot be used, or None when it is finished and intact.

    ``"failed: <error>"``, ``"missing file <path>"`` or ``"corrupt file <path> (sha256
    differs from the manifest)"``. Records without ``sha256`` (older versions) are trusted.
    """
    if rec is None:
        return "not run"
    if rec.get("status") != "ok":
        return f"failed: {rec.get('error')}"
    digests = rec.get("sha256") or {}
    model_path, firms_path = run_paths(out_dir, rec["run_id"])
    for kind, path in (("model", model_path), ("firms", firms_path)):
        if kind not in (rec.get("files") or []):
            continue
        if not path.is_file():
            return f"missing file {path}"
        want = digests.get(kind)
        if want is not None and sha256_file(path) != want:
            return f"corrupt file {path} (sha256 differs from the manifest)"
    return None


def left_out(out_dir: str | Path) -> dict[str, str]:
    """Recorded runs that :func:`abm.analysis.load_results` leaves out, with the reason."""
    out_dir = Path(out_dir)
    out = {}
    for rid, rec in read_manifest(out_dir).items():
        reason = check_run(out_dir, rec)
        if reason is not None:
            out[rid] = reason
    return out


def describe_left_out(reasons: dict[str, str], limit: int = 5) -> str | None:
    """One line: how many runs were left out and why, or None when none were.

    E.g. ``3 runs left out: 2 failed (non-finite reporters), 1 corrupt file: p0001_r00, ...``.
    """
    if not reasons:
        return None
    kinds: dict[str, int] = {}
    for reason in reasons.values():
        if reason.startswith("failed: non-finite"):
            kind = "failed (non-finite reporters)"
        elif reason.startswith("failed: worker"):
            kind = "failed (worker died)"
        elif reason.startswith("failed"):
            kind = "failed (error)"
        elif reason.startswith("corrupt"):
            kind = "corrupt file (sha256 differs from the manifest)"
        else:
            kind = "file missing"
        kinds[kind] = kinds.get(kind, 0) + 1
    n = len(reasons)
    ids = sorted(reasons)
    shown = ", ".join(ids[:limit]) + (", ..." if n > limit else "")
    why = ", ".join(f"{c} {k}" for k, c in kinds.items())
    return f"{n} run{'s' * (n != 1)} left out: {why}: {shown}"


def _difference(old: dict, new: dict) -> str:
    for key in new:
        if key == "params":
            a, b = old.get("params", {}) or {}, new["params"]
            for name in sorted(set(a) | set(b)):
                if a.get(name) != b.get(name):
                    return f"{name} {a.get(name)!r} there, {b.get(name)!r} now"
        elif key in old and old.get(key) != new[key]:
            return f"{key} {old.get(key)!r} there, {new[key]!r} now"
    return "different settings"


def _different(out_dir: Path, what: str) -> ExperimentError:
    return ExperimentError(
        f"{out_dir}: holds results of a different experiment ({what}); use another --out "
        "directory or delete this one"
    )


def _identity(data: dict) -> dict:
    return json.loads(json.dumps({k: data.get(k) for k in _IDENTITY if k in data}, default=str))


def _guard(out_dir: Path, exp: Experiment, runs: list[RunSpec], records: dict[str, dict]) -> None:
    """Refuse to write an experiment into a directory that holds another one's results.

    Checked against the manifest's records, ``experiment.json`` and, when there is no
    manifest, the run files' own metadata.
    """
    if not out_dir.exists():
        return
    if not out_dir.is_dir():
        raise ExperimentError(f"cannot write {out_dir}: not a directory")
    for spec in runs:
        rec = records.get(spec.run_id)
        if rec is not None and rec.get("digest") not in (None, spec.digest()):
            what = f"run {spec.run_id}: {_difference(rec.get('spec') or {}, spec.key())}"
            raise _different(out_dir, what)
    meta_path = out_dir / EXPERIMENT_JSON
    if meta_path.exists():
        try:
            old = json.loads(meta_path.read_text(encoding="utf-8"))
            if not isinstance(old, dict):
                raise ValueError("not a JSON object")
        except (OSError, ValueError) as exc:
            raise ExperimentError(
                f"{meta_path}: unreadable ({one_line(exc)}); use another --out directory or "
                "delete this one"
            ) from None
        old_id, new_id = _identity(old), _identity(exp.to_dict())
        if "preset" not in old and "scenario" in old:
            old_id["preset"] = old["scenario"]
        if any(old_id[k] != new_id[k] for k in old_id if k in new_id):
            raise _different(out_dir, f"{EXPERIMENT_JSON}: {_difference(old_id, new_id)}")
    if records:
        return
    by_id = {s.run_id: s for s in runs}
    for path in sorted((out_dir / RUNS).glob("*.parquet")):
        match = by_id.get(path.stem)
        if match is None or _file_digest(path) != match.digest():
            raise _different(out_dir, f"{RUNS}/{path.name} was not written by this experiment")


def _file_digest(path: Path) -> str | None:
    """The run digest recorded in a run file's Parquet metadata, or None."""
    import pyarrow.parquet as pq

    try:
        meta = pq.read_schema(path).metadata or {}
        attrs = json.loads(meta.get(b"PANDAS_ATTRS", b"{}"))
    except Exception:  # not Parquet, truncated, foreign metadata
        return None
    return attrs.get("digest") if isinstance(attrs, dict) else None


def _prepare(out_dir: Path, firm_data: bool) -> None:
    """Create the output folders; any OS error is ``cannot write <path>: <reason>``."""
    for path in (out_dir, out_dir / RUNS, *((out_dir / FIRMS,) if firm_data else ())):
        try:
            path.mkdir(parents=True, exist_ok=True)
        except FileExistsError:
            raise ExperimentError(f"cannot write {path}: not a directory") from None
        except OSError as exc:
            raise _cannot_write(path, exc) from None
    probe = out_dir / RUNS / f".write-test.{os.getpid()}.tmp"
    try:
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise _cannot_write(out_dir / RUNS, exc) from None


@contextlib.contextmanager
def _lock(out_dir: Path):
    """Hold an exclusive lock on ``DIR/.lock`` (released by the OS if the process dies)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: no lock
        yield
        return
    try:
        fh = open(out_dir / LOCK, "a+")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise _cannot_write(out_dir / LOCK, exc) from None
    with fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ExperimentError(
                f"{out_dir}: another 'abm experiment run' is writing to this directory"
            ) from None
        yield


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
    #: Finished runs whose file was missing or corrupt, run again (run id -> reason).
    rerun: dict[str, str] = field(default_factory=dict)
    dashboard: str | None = None

    @property
    def success(self) -> bool:
        """True when no run of this call failed."""
        return not self.failed

    def __str__(self) -> str:
        return (
            f"{self.total} runs: {self.ok} ran ok, {self.skipped} already done, "
            f"{len(self.failed)} failed, in {self.seconds:.1f} s -> {self.out_dir}"
        )


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
    *,
    max_runs: int | None = MAX_RUNS,
    connect_timeout: float = CONNECT_TIMEOUT,
    worker_timeout: float = WORKER_TIMEOUT,
    log: Log | None = None,
    on_start: Callable[[], None] | None = None,
) -> SweepSummary:
    """Run every (point, replicate) of ``exp`` not yet finished in ``out_dir``.

    Parameters
    ----------
    exp : Experiment
        From :func:`abm.experiments.load_experiment` (optionally ``.with_overrides(...)``).
    out_dir : path
        Output directory; created if missing. Finished runs found there are skipped; failed
        ones, and finished ones whose file is missing or corrupt, are run again. A directory
        holding another experiment's results is refused.
    workers : int, optional
        Worker processes (default: all cores). With ``scheduler`` it is ignored.
    executor : {"process", "dask", "serial"}
        A local process pool, ``dask.distributed`` (a ``LocalCluster``, or the cluster at
        ``scheduler``), or this process (for debugging).
    scheduler : str, optional
        Address of a running Dask scheduler, e.g. ``"tcp://10.0.0.5:8786"``, or the path of
        its scheduler file. It is reached (within ``connect_timeout`` seconds) and must have
        a worker (within ``worker_timeout``) before anything is written.
    progress : bool
        Show a progress bar (runs done, failed, time left) on stderr.
    model_factory : callable, optional
        ``model_factory(preset=..., rng=..., **params)`` returning a model with ``step()``
        and ``model_frame()``; default ``TradeClusterModel``. Must be picklable for the
        process pool (a module-level function); Dask also accepts closures.
    max_runs : int or None
        Refuse a design of more runs (``None``: no limit).
    log : callable, optional
        Called with each notice (the Dask dashboard, corrupt files run again).
    on_start : callable, optional
        Called once the design and ``out_dir`` are checked, before the executor starts.

    Returns
    -------
    SweepSummary
        Counts, failed runs with their errors, and the wall time.
    """
    if executor not in EXECUTORS:
        raise ExperimentError(
            f"executor: invalid value {executor!r}; allowed: {', '.join(EXECUTORS)}"
        )
    if scheduler is not None and executor != "dask":
        raise ExperimentError("--scheduler needs --executor dask")
    if workers is not None and (isinstance(workers, bool) or workers < 1):
        raise ExperimentError(f"workers: invalid value {workers!r}; allowed: an integer >= 1")
    say = log or (lambda text: None)
    t0 = time.perf_counter()
    out_dir = Path(out_dir)
    try:
        out_dir.exists()  # a name too long, a loop of links, no permission to look
    except OSError as exc:
        raise _cannot_write(out_dir, exc) from None
    exp.check_size(max_runs)
    if scheduler is not None:
        parse_scheduler(scheduler)
    points = exp.points()
    runs = exp.runs(points)
    records = read_manifest(out_dir)
    _guard(out_dir, exp, runs, records)
    if on_start is not None:
        on_start()
    summary = SweepSummary(out_dir=out_dir, total=len(runs))
    # Reach the executor (a Dask scheduler) before anything is written.
    n_workers = workers or default_workers()
    runner = open_executor(
        executor,
        n_workers,
        scheduler,
        connect_timeout,
        worker_timeout,
        on_dashboard=lambda url: say(f"Dask dashboard: {url}"),
    )
    try:
        _prepare(out_dir, exp.firm_data)
        with _lock(out_dir):
            records = read_manifest(out_dir)
            pending = []
            for spec in runs:
                rec = records.get(spec.run_id)
                why = check_run(out_dir, rec)
                if why is None:
                    continue
                pending.append(spec)
                if rec is not None and rec.get("status") == "ok":
                    summary.rerun[spec.run_id] = why
                    say(f"{spec.run_id}: {why}; running it again")
            done = {s.run_id for s in runs} - {s.run_id for s in pending}
            summary.skipped = len(done)
            version = package_version()
            summary.other_versions = sorted(
                {str(records[r].get("version")) for r in done} - {version}
            )
            _write_experiment_json(out_dir, exp, points, version)
            if pending:
                n = max(1, min(n_workers, len(pending)))
                results = runner.run(pending, model_factory, n)
                _consume(exp, out_dir, pending, results, summary, version, progress)
    finally:
        summary.dashboard = runner.dashboard
        runner.close()
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
    specs = {s.run_id: s for s in pending}
    bar = progress_bar(
        total=summary.total,
        initial=summary.skipped,
        desc=exp.name,
        unit="run",
        enabled=progress,
    )
    bar.set_postfix(failed=0, refresh=False)
    try:
        for res in results:
            spec = specs[res["run_id"]]
            files: list[str] = []
            digests: dict[str, str] = {}
            model_path, firms_path = run_paths(out_dir, spec.run_id)
            if res["status"] == "ok":
                if res.get("firms") is not None:
                    atomic_write(firms_path, res["firms"])
                    files.append("firms")
                    digests["firms"] = sha256_bytes(res["firms"])
                atomic_write(model_path, res["model"])
                files.insert(0, "model")
                digests["model"] = sha256_bytes(res["model"])
                summary.ok += 1
            else:
                summary.failed[spec.run_id] = res["error"]
                for path in (model_path, firms_path):  # a stale file of an earlier attempt
                    with contextlib.suppress(OSError):
                        path.unlink()
            append_manifest(out_dir, _record(exp, spec, res, files, digests, version))
            bar.set_postfix(failed=len(summary.failed), refresh=False)
            bar.update(1)
    finally:
        close = getattr(results, "close", None)
        if close is not None:
            close()
        bar.close()


def _record(
    exp: Experiment,
    spec: RunSpec,
    res: dict,
    files: list[str],
    digests: dict[str, str],
    version: str,
) -> dict:
    rec = {
        "run_id": spec.run_id,
        "experiment": exp.name,
        "point": spec.point,
        "replicate": spec.replicate,
        "seed": spec.seed,
        "preset": spec.preset,
        "factors": spec.factors,
        "params": spec.params,
        "varied": spec.varied,
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
        "sha256": digests,
        "digest": spec.digest(),
        "spec": spec.key(),
    }
    for key in ("nonfinite", "warnings"):
        if res.get(key):
            rec[key] = res[key]
    return rec


def _write_experiment_json(out_dir: Path, exp: Experiment, points, version: str) -> None:
    data = exp.to_dict()
    data["version"] = version
    data["written"] = utc_now()
    data["points"] = [
        {
            "point": p.index,
            "preset": p.preset,
            "factors": p.factors,
            "varied": p.varied,
            **({"sample": list(p.sample)} if p.sample is not None else {}),
        }
        for p in points
    ]
    atomic_write(out_dir / EXPERIMENT_JSON, json.dumps(data, indent=1, default=str).encode())


def read_experiment_json(out_dir: str | Path) -> dict | None:
    """The ``experiment.json`` of a results directory, or None (missing or unreadable)."""
    path = Path(out_dir) / EXPERIMENT_JSON
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


# ---------------------------------------------------------------------- export
def export_results(out_dir: str | Path, dest: str | Path, firms: bool = False) -> tuple[int, dict]:
    """Write every intact finished run of ``out_dir`` into one tidy Parquet file ``dest``.

    The model rows of all runs (or their firm rows with ``firms``), with the run files' own
    columns (ids, ``mode_*``, ``param_*``, reporters); ``experiment.json`` goes into the
    file's metadata. Runs are streamed, one at a time, into a temporary file that is renamed
    to ``dest`` at the end. Returns the number of runs written and the runs left out (run
    id -> reason).
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    from abm.parquet_read import read_table

    out_dir, dest = Path(out_dir), Path(dest)
    if not out_dir.is_dir():
        raise FileNotFoundError(f"results directory not found: {out_dir}")
    if dest.suffix.lower() != ".parquet":
        raise ExperimentError(f"--out {dest}: allowed: a path ending in .parquet")
    records = read_manifest(out_dir)
    if not records:
        raise ExperimentError(f"{out_dir}: no runs recorded (no {MANIFEST})")
    reasons = left_out(out_dir)
    kind = 1 if firms else 0
    ids = sorted(r for r in records if r not in reasons)
    paths = [run_paths(out_dir, r)[kind] for r in ids]
    paths = [p for p in paths if p.is_file()]
    if not paths:
        raise ExperimentError(f"{out_dir}: no finished runs{' with firm data' * firms} to export")
    exp = read_experiment_json(out_dir) or {}
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.tmp")
    writer = None
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        for path in paths:
            table = read_table(path)
            table = table.replace_schema_metadata(None)
            if writer is None:
                schema = table.schema.with_metadata(
                    {b"abm_experiment": json.dumps(exp, default=str).encode()}
                )
                writer = pq.ParquetWriter(tmp, schema)
            try:
                table = table.select(writer.schema.names).cast(writer.schema)
            except (KeyError, ValueError, pa.ArrowInvalid) as exc:
                raise ExperimentError(
                    f"{path}: its columns differ from the other runs' ({one_line(exc)})"
                ) from None
            writer.write_table(table)
        if writer is not None:
            writer.close()
            writer = None
        os.replace(tmp, dest)
    except OSError as exc:
        raise _cannot_write(dest, exc) from None
    finally:
        if writer is not None:
            with contextlib.suppress(Exception):
                writer.close()
        with contextlib.suppress(OSError):
            tmp.unlink()
    return len(paths), reasons


__all__ = [
    "CONNECT_TIMEOUT",
    "EXECUTORS",
    "WORKER_TIMEOUT",
    "SweepSummary",
    "append_manifest",
    "atomic_write",
    "check_run",
    "default_workers",
    "describe_left_out",
    "execute",
    "export_results",
    "id_columns",
    "left_out",
    "nonfinite",
    "parse_scheduler",
    "probe_scheduler",
    "read_experiment_json",
    "read_manifest",
    "run_experiment",
    "run_paths",
    "sha256_file",
]
