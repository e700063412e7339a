"""Run an experiment's runs serially, in a process pool or on Dask; write, record, resume.

Layout of an output directory::

    DIR/experiment.json         the experiment and its points (rewritten by each invocation)
    DIR/manifest.jsonl          one JSON record per finished run, appended; the last wins
    DIR/runs/<run_id>.parquet   model frame of a run: ids, swept values, Step, year, reporters
    DIR/firms/<run_id>.parquet  firm frame of a run, when firm_data = true

Workers only compute: they return the run's frames as Parquet bytes, and this process writes
each file atomically (temporary file, then rename) and then appends the run's manifest
record with the file's sha256. So a run is finished exactly when its record says ``ok`` and
its file exists with that digest; a killed sweep loses only the runs in flight, and running
it again skips finished runs and reruns corrupt ones.

Every run file describes itself: the columns ``run_id, point, replicate, seed, preset``, one
``mode_<name>`` column per factorial mode and one ``param_<name>`` column per swept
parameter, and the Parquet metadata (``DataFrame.attrs``) with every parameter's value.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import multiprocessing
import os
import select
import signal
import socket
import sys
import threading
import time
import traceback
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field, is_dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from abm.experiments.spec import MAX_RUNS, Experiment, ExperimentError, RunSpec

EXECUTORS = ("process", "dask", "serial")
MANIFEST = "manifest.jsonl"
EXPERIMENT_JSON = "experiment.json"
RUNS = "runs"
FIRMS = "firms"
LOCK = ".lock"
#: Seconds to reach a Dask scheduler (and to hear its handshake) before giving up.
CONNECT_TIMEOUT = 5.0
#: Seconds to wait for the first worker of a Dask scheduler that has none.
WORKER_TIMEOUT = 120.0
_TRACEBACK_CHARS = 6000
_MAX_SCHEDULER_FILE = 1 << 20
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


def _version() -> str:
    from abm import __version__

    return __version__


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


# ---------------------------------------------------------------------- one run (in a worker)
def id_columns(spec: RunSpec) -> dict[str, Any]:
    """The columns that make a run file self-describing, in order.

    ``run_id, point, replicate, seed, preset``, then ``mode_<name>`` per factorial mode and
    ``param_<name>`` per swept parameter (the value the run used; the reporter of the same
    name, e.g. ``carbon_price``, keeps its own column).
    """
    cols: dict[str, Any] = {
        "run_id": spec.run_id,
        "point": spec.point,
        "replicate": spec.replicate,
        "seed": spec.seed,
        "preset": spec.preset,
    }
    cols.update({f"mode_{m}": bool(on) for m, on in spec.factors.items()})
    cols.update({f"param_{k}": v for k, v in spec.varied.items() if k != "preset"})
    return cols


def nonfinite(frame) -> dict[str, list[int]]:
    """Reporters of a model frame with NaN or infinite values, and the years they occur."""
    import numpy as np

    years = frame["year"].to_numpy() if "year" in frame.columns else np.asarray(frame.index)
    out: dict[str, list[int]] = {}
    for col in frame.columns:
        values = frame[col].to_numpy()
        if values.dtype.kind not in "fc":
            continue
        bad = ~np.isfinite(values)
        if bad.any():
            out[str(col)] = [int(y) for y in years[bad]]
    return out


def _nonfinite_text(bad: dict[str, list[int]]) -> str:
    parts = []
    for name, years in list(bad.items())[:6]:
        shown = ", ".join(map(str, years[:4])) + (
            f" +{len(years) - 4} more" if len(years) > 4 else ""
        )
        parts.append(f"{name} ({shown})")
    more = f"; +{len(bad) - 6} more reporters" if len(bad) > 6 else ""
    return "non-finite reporters: " + "; ".join(parts) + more


def _params_dict(params: Any) -> dict[str, Any]:
    raw = asdict(params) if is_dataclass(params) and not isinstance(params, type) else dict(params)
    return json.loads(json.dumps(raw, default=str))


def execute(spec: RunSpec, model_factory: Callable | None = None) -> dict[str, Any]:
    """Build and run one model; never raises for a model error.

    Returns a dict with ``status`` (``"ok"`` or ``"failed"``), ``error``, ``traceback``,
    timing, host and pid, and on success the model frame (and firm frame) as Parquet bytes.
    A run whose model reporters are not all finite is ``failed`` with the reporters and
    years in ``error`` (and ``nonfinite``). ``model_factory(preset=..., rng=..., **params)``
    replaces ``TradeClusterModel``.
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
        model = model_factory(preset=spec.preset, rng=spec.seed, **spec.params)
        for _ in range(spec.steps):
            if not getattr(model, "running", True):
                break
            model.step()
        frame = model.model_frame()
        bad = nonfinite(frame)
        if bad:
            out.update(status="failed", error=_nonfinite_text(bad), nonfinite=bad)
        else:
            ids = id_columns(spec)
            meta = _metadata(spec, model)
            if spec.reporters is not None:
                frame = frame[[c for c in spec.reporters if c in frame.columns]]
            out["model"] = _parquet_bytes(_with_ids(frame.reset_index(), ids), meta)
            if spec.firm_data:
                firms = model.firm_frame()
                if len(firms):
                    out["firms"] = _parquet_bytes(_with_ids(firms, ids), meta)
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


def _with_ids(frame, ids: dict[str, Any]):
    frame = frame.drop(columns=[c for c in ids if c in frame.columns])
    for i, (name, value) in enumerate(ids.items()):
        frame.insert(i, name, value)
    return frame


def _metadata(spec: RunSpec, model) -> dict[str, Any]:
    params = getattr(model, "params", None)
    try:
        parameters = _params_dict(params) if params is not None else dict(spec.params)
    except (TypeError, ValueError):
        parameters = json.loads(json.dumps(spec.params, default=str))
    return {
        "experiment": spec.experiment,
        "run_id": spec.run_id,
        "preset": spec.preset,
        "seed": spec.seed,
        "replicate": spec.replicate,
        "swept": json.loads(json.dumps(spec.varied, default=str)),
        "parameters": parameters,
        "steps": spec.steps,
        "digest": spec.digest(),
        "abm_version": _version(),
    }


def _parquet_bytes(frame, attrs: dict[str, Any] | None = None) -> bytes:
    frame.attrs = dict(attrs or {})
    buf = io.BytesIO()
    frame.to_parquet(buf, index=False)
    return buf.getvalue()


def _lost(spec: RunSpec, error: str, exc: BaseException | None = None) -> dict[str, Any]:
    """The result of a run whose worker died or whose task could not be run."""
    tb = "".join(traceback.format_exception(exc))[-_TRACEBACK_CHARS:] if exc else None
    return {
        "run_id": spec.run_id,
        "status": "failed",
        "error": error,
        "traceback": tb,
        "host": None,
        "pid": None,
        "model": None,
        "firms": None,
        "duration_s": None,
        "started": None,
        "finished": _now(),
    }


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

    A torn last line (a kill while writing) and lines that are not a record with a string
    ``run_id`` are skipped.
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
            if isinstance(rec, dict) and isinstance(rec.get("run_id"), str):
                records[rec["run_id"]] = rec
    return records


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
                f"{meta_path}: unreadable ({_one_line(exc)}); use another --out directory or "
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
        spec = by_id.get(path.stem)
        digest = _file_digest(path)
        if spec is None or digest != spec.digest():
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


# ---------------------------------------------------------------------- executors
class _Serial:
    """Runs in this process (debugging)."""

    dashboard: str | None = None

    def run(self, specs: list[RunSpec], factory, workers: int) -> Iterator[dict]:
        for spec in specs:
            yield execute(spec, factory)

    def close(self) -> None:
        pass


def _die_with(main_pid: int) -> None:
    """Make this worker exit as soon as the sweep's main process is gone.

    On Linux the kernel kills it when its parent dies (``PR_SET_PDEATHSIG``); and a thread
    waits on the main process (a pidfd, or polling elsewhere) and ends this process then.
    """
    if sys.platform.startswith("linux"):
        with contextlib.suppress(Exception):
            import ctypes

            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    try:
        fd = os.pidfd_open(main_pid)
    except ProcessLookupError:
        os._exit(1)
    except (AttributeError, OSError):
        fd = None

    def watch() -> None:
        if fd is not None:
            select.select([fd], [], [])  # readable once the process has exited
        else:  # pragma: no cover - no pidfd (macOS)
            while True:
                time.sleep(1.0)
                try:
                    os.kill(main_pid, 0)
                except ProcessLookupError:
                    break
                except PermissionError:
                    continue
        os._exit(1)

    threading.Thread(target=watch, name="abm-watch-main", daemon=True).start()


def _worker_main(conn, main_pid: int, factory) -> None:
    """A pool worker: run the specs it is sent, one at a time, until told to stop."""
    _die_with(main_pid)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the main process's to handle
    while True:
        try:
            spec = conn.recv()
        except (EOFError, OSError):
            break
        if spec is None:
            break
        conn.send(execute(spec, factory))


def _exit_text(code: int | None) -> str:
    if code is None:
        return "still running"
    if code < 0:
        with contextlib.suppress(ValueError):
            name = signal.Signals(-code).name
            hint = " (out of memory, or killed)" if -code == signal.SIGKILL else ""
            return f"killed by {name}{hint}"
    return f"exit code {code}"


class _Worker:
    def __init__(self, ctx, factory) -> None:
        self.factory = factory
        self.conn, child = ctx.Pipe(duplex=True)
        self.proc = ctx.Process(
            target=_worker_main, args=(child, os.getpid(), factory), name="abm-worker"
        )
        self.proc.start()
        child.close()

    def stop(self, wait: float) -> None:
        with contextlib.suppress(OSError, ValueError):
            self.conn.send(None)
        self.proc.join(wait)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join(5)
        self.conn.close()
        with contextlib.suppress(ValueError):  # still running after SIGKILL: leave it to the OS
            self.proc.close()


class _Pool:
    """A process pool in which a dead worker fails only its own run and is replaced.

    Each worker runs one run at a time, sent over its own pipe; workers exit when the main
    process dies (see :func:`_die_with`).
    """

    dashboard: str | None = None

    def __init__(self) -> None:
        # forkserver: safe with threads in the parent (progress bar, notebooks), fast to start
        # because the server imports the model once.
        methods = multiprocessing.get_all_start_methods()
        method = "forkserver" if "forkserver" in methods else "spawn"
        self.ctx = multiprocessing.get_context(method)
        if method == "forkserver":
            self.ctx.set_forkserver_preload(["abm.experiments.runner", "abm.model"])
        self.workers: list[_Worker] = []
        self.busy: dict[_Worker, RunSpec] = {}

    def run(self, specs: list[RunSpec], factory, workers: int) -> Iterator[dict]:
        from multiprocessing.connection import wait

        queue = deque(specs)
        idle = [_Worker(self.ctx, factory) for _ in range(min(workers, len(specs)))]
        self.workers = list(idle)
        busy = self.busy
        while queue or busy:
            while queue and idle:
                w, spec = idle.pop(), queue.popleft()
                try:
                    w.conn.send(spec)
                except Exception as exc:  # an unpicklable factory or a worker already gone
                    idle.append(self._replace(w) if not w.proc.is_alive() else w)
                    yield _lost(spec, f"cannot send the run to a worker: {_one_line(exc)}", exc)
                    continue
                busy[w] = spec
            ready = set(wait([w.conn for w in busy] + [w.proc.sentinel for w in busy]))
            for w in [w for w in busy if w.conn in ready or w.proc.sentinel in ready]:
                spec = busy.pop(w)
                result = None
                with contextlib.suppress(EOFError, OSError):
                    if w.conn.poll():
                        result = w.conn.recv()
                if result is not None:
                    idle.append(w)
                    yield result
                    continue
                w.proc.join(5)
                why = _exit_text(w.proc.exitcode)
                if queue:  # a new worker for the runs still to do
                    idle.append(self._replace(w))
                else:
                    self._drop(w)
                yield _lost(spec, f"worker process died ({why}) while running this run")

    def _replace(self, dead: _Worker) -> _Worker:
        dead.stop(0)
        new = _Worker(self.ctx, dead.factory)
        self.workers = [new if w is dead else w for w in self.workers]
        return new

    def _drop(self, dead: _Worker) -> None:
        dead.stop(0)
        self.workers = [w for w in self.workers if w is not dead]

    def close(self) -> None:
        for w in self.workers:  # busy workers (an interrupted sweep) are killed at once
            w.stop(0 if w in self.busy else 2.0)
        self.workers, self.busy = [], {}


def parse_scheduler(scheduler: str) -> tuple[str, str, str, int]:
    """``(label, address, host, port)`` of a ``--scheduler`` value: an address or a file.

    Allowed: ``tcp://HOST:PORT``, ``tls://HOST:PORT``, ``HOST:PORT`` (tcp), or the path of a
    scheduler file (``dask scheduler --scheduler-file``) that names such an address.
    """
    allowed = "allowed: tcp://HOST:PORT, tls://HOST:PORT or the path of a Dask scheduler file"
    if not isinstance(scheduler, str) or not scheduler.strip():
        raise ExperimentError(f"--scheduler: invalid value {scheduler!r}; {allowed}")
    text = scheduler.strip()
    label = text
    if os.path.exists(text) and not os.path.isfile(text):
        raise ExperimentError(f"--scheduler {text}: not a file; {allowed}")
    if os.path.isfile(text):
        try:
            if os.path.getsize(text) > _MAX_SCHEDULER_FILE:
                raise ValueError("larger than 1 MiB")
            with open(text, encoding="utf-8") as fh:
                data = json.load(fh)
            text = data["address"]
            if not isinstance(text, str):
                raise ValueError("'address' is not a string")
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ExperimentError(
                f"--scheduler {label}: not a Dask scheduler file (JSON with an 'address'): "
                f"{_one_line(exc)}"
            ) from None
    scheme, sep, rest = text.partition("://")
    if not sep:
        scheme, rest = "tcp", text
    host, _, port_text = rest.rpartition(":")
    host = host.strip("[]")
    port = int(port_text) if port_text.isdigit() else -1
    if scheme not in ("tcp", "tls") or not host or not 0 < port < 65536 or "/" in rest:
        raise ExperimentError(f"--scheduler {label}: invalid address {text!r}; {allowed}")
    return label, f"{scheme}://{rest}", host, port


def _recv_exactly(sock: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            break
        data += chunk
    return data


def probe_scheduler(label: str, address: str, host: str, port: int, timeout: float) -> None:
    """Check that a Dask scheduler answers at ``host:port`` within ``timeout`` seconds.

    A Dask server sends its handshake (a length-prefixed frame) as soon as a connection is
    accepted; anything else (silence, an HTTP answer, a closed connection) is refused with
    one line naming the address.
    """
    where = f"--scheduler {label}"
    try:
        sock = socket.create_connection((host, port), timeout=timeout)
    except TimeoutError:
        raise ExperimentError(
            f"{where}: no answer from {host}:{port} within {timeout:g} s"
        ) from None
    except OSError as exc:
        reason = exc.strerror or _one_line(exc)
        raise ExperimentError(f"{where}: cannot connect to {host}:{port}: {reason}") from None
    with sock:
        if address.startswith("tls://"):
            return  # the TLS handshake comes first; Client checks the rest
        sock.settimeout(timeout)
        try:
            head = _recv_exactly(sock, 8)
        except TimeoutError:
            raise ExperimentError(
                f"{where}: not a Dask scheduler (no Dask handshake within {timeout:g} s)"
            ) from None
        except OSError as exc:
            raise ExperimentError(f"{where}: connection failed: {_one_line(exc)}") from None
        size = int.from_bytes(head, "little") if len(head) == 8 else 0
        if not 0 < size <= 1 << 20:
            shown = head[:8].decode("latin-1").encode("unicode_escape").decode()
            answer = f"it answered {shown!r}" if head else "it closed the connection"
            raise ExperimentError(f"{where}: not a Dask scheduler ({answer})")


class _Dask:
    """``dask.distributed``: a ``LocalCluster``, or a running scheduler (checked first)."""

    def __init__(
        self,
        workers: int,
        scheduler: str | None,
        connect_timeout: float,
        worker_timeout: float,
    ) -> None:
        try:
            from distributed import Client, LocalCluster
        except ImportError as exc:  # pragma: no cover
            raise ExperimentError(
                "--executor dask needs dask.distributed: pip install 'dask[distributed]'"
            ) from exc
        self.cluster = None
        self.client = None
        if scheduler is not None:
            label, address, host, port = parse_scheduler(scheduler)
            probe_scheduler(label, address, host, port, connect_timeout)
            where = f"--scheduler {label}"
            try:
                self.client = Client(address, timeout=f"{connect_timeout}s")
            except Exception as exc:
                raise ExperimentError(
                    f"{where}: cannot connect to a Dask scheduler: {_one_line(exc)}"
                ) from None
            try:
                self.client.wait_for_workers(1, timeout=worker_timeout)
            except Exception:
                self.close()
                raise ExperimentError(
                    f"{where}: the scheduler has no workers (none joined within "
                    f"{worker_timeout:g} s); start some with 'dask worker {address}'"
                ) from None
        else:
            try:
                self.cluster = LocalCluster(
                    n_workers=workers,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address="127.0.0.1:0",
                )
                self.client = Client(self.cluster)
            except Exception as exc:
                self.close()
                raise ExperimentError(
                    f"--executor dask: cannot start a local Dask cluster: {_one_line(exc)}"
                ) from None
        self.dashboard = _dashboard(self.client)

    def run(self, specs: list[RunSpec], factory, workers: int) -> Iterator[dict]:
        from distributed import as_completed

        tag = uuid.uuid4().hex[:8]
        by_key = {}
        futures = []
        try:
            for spec in specs:
                fut = self.client.submit(
                    execute, spec, factory, key=f"abm-{spec.run_id}-{tag}", pure=False
                )
                futures.append(fut)
                by_key[fut.key] = spec
            for fut in as_completed(futures):
                spec = by_key[fut.key]
                try:
                    res = fut.result()
                except Exception as exc:  # KilledWorker, lost connection, ...
                    res = _lost(spec, f"worker failed: {_one_line(exc)}", exc)
                fut.release()
                yield res
        finally:
            unfinished = [f for f in futures if f.status in ("pending", "lost")]
            if unfinished:  # an interrupted sweep: cancel only what has not finished
                with contextlib.suppress(Exception):
                    self.client.cancel(unfinished)

    def close(self) -> None:
        if self.client is not None:
            with contextlib.suppress(Exception):
                self.client.close()
            self.client = None
        if self.cluster is not None:
            with contextlib.suppress(Exception):
                self.cluster.close()
            self.cluster = None


def _dashboard(client) -> str | None:
    try:
        import bokeh  # noqa: F401 - the dashboard needs it
    except ImportError:  # pragma: no cover
        return None
    with contextlib.suppress(Exception):
        return client.dashboard_link
    return None


def _open_executor(
    executor: str,
    workers: int,
    scheduler: str | None,
    connect_timeout: float,
    worker_timeout: float,
):
    if executor == "dask":
        return _Dask(workers, scheduler, connect_timeout, worker_timeout)
    if executor == "process":
        return _Pool()
    return _Serial()


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
    summary = SweepSummary(out_dir=out_dir, total=len(runs))
    # Reach the executor (a Dask scheduler) before anything is written.
    n_workers = workers or default_workers()
    runner = _open_executor(executor, n_workers, scheduler, connect_timeout, worker_timeout)
    try:
        summary.dashboard = runner.dashboard
        if runner.dashboard:
            say(f"Dask dashboard: {runner.dashboard}")
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
            version = _version()
            summary.other_versions = sorted(
                {str(records[r].get("version")) for r in done} - {version}
            )
            _write_experiment_json(out_dir, exp, points, version)
            if pending:
                n = max(1, min(n_workers, len(pending)))
                results = runner.run(pending, model_factory, n)
                _consume(exp, out_dir, pending, results, summary, version, progress)
    finally:
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
    if res.get("nonfinite"):
        rec["nonfinite"] = res["nonfinite"]
    return rec


def _write_experiment_json(out_dir: Path, exp: Experiment, points, version: str) -> None:
    data = exp.to_dict()
    data["version"] = version
    data["written"] = _now()
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
            table = pq.read_table(path)
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
                    f"{path}: its columns differ from the other runs' ({_one_line(exc)})"
                ) from None
            writer.write_table(table)
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
