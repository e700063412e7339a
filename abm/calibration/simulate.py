"""Simulations of a calibration: run on the experiment executors, cached on disk.

Each simulation is one (parameters, seed) run of the model, described by a
:class:`abm.experiments.RunSpec` and named by its digest. It runs on the executors of
``abm experiment`` (this process, a process pool, or Dask); the reporters the targets read
are stored in ``DIR/sims/<digest>.json`` as soon as the run finishes, so a calibration that
is killed and started again does not redo them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from abm.calibration.targets import Targets
from abm.experiments.spec import RunSpec, seed_for
from abm.parquet_read import read_frame
from abm.progress import progress_bar

SIMS = "sims"


def seeds_for(targets: Targets, n: int | None = None, validation: bool = False) -> list[int]:
    """The model seeds of every parameter point: the same ``n`` seeds for every point.

    Common random numbers: the points of a calibration differ only in their parameters.
    ``validation`` gives another stream of seeds (``SeedSequence`` spawn keys ``(1, r)``
    instead of ``(r,)``), not used by the calibration.
    """
    n = targets.seeds if n is None else n
    if validation:
        return [seed_for(targets.base_seed, 1, r) for r in range(n)]
    return [seed_for(targets.base_seed, 0, r, common=True) for r in range(n)]


def make_spec(targets: Targets, params: dict[str, Any], seed: int) -> RunSpec:
    """The run of ``targets``' preset with ``params`` (fixed + free) and ``seed``."""
    spec = RunSpec(
        run_id="",
        point=0,
        replicate=0,
        seed=int(seed),
        preset=targets.preset,
        params=dict(sorted({**targets.fixed, **params}.items())),
        steps=targets.steps,
        reporters=targets.reporters(),
        firm_data=False,
        experiment=targets.name,
    )
    return replace(spec, run_id=spec.digest())


class SimulationCache:
    """Finished simulations of one calibration directory: ``DIR/sims/<digest>.json``.

    With ``out_dir=None`` they are kept in memory only (``abm validate`` writes nothing).
    """

    def __init__(self, out_dir: str | Path | None) -> None:
        self.dir = Path(out_dir) / SIMS if out_dir is not None else None
        self._memory: dict[str, dict] = {}

    def path(self, digest: str) -> Path:
        """The file of a simulation."""
        assert self.dir is not None, "an in-memory cache has no files"
        return self.dir / f"{digest}.json"

    def get(self, digest: str) -> dict | None:
        """The stored record of a simulation, or None when it has not finished."""
        if digest in self._memory:
            return self._memory[digest]
        if self.dir is None:
            return None
        try:
            rec = json.loads(self.path(digest).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(rec, dict) or rec.get("digest") != digest:
            return None
        self._memory[digest] = rec
        return rec

    def put(self, rec: dict, keep: bool = True) -> None:
        """Store a finished simulation atomically (in memory only when not ``keep``)."""
        from abm.experiments.runner import atomic_write

        self._memory[rec["digest"]] = rec
        if self.dir is None or not keep:
            return
        self.dir.mkdir(parents=True, exist_ok=True)
        atomic_write(self.path(rec["digest"]), json.dumps(rec, separators=(",", ":")).encode())

    def frame(self, digest: str) -> pd.DataFrame | None:
        """The stored reporters of a finished, successful simulation."""
        rec = self.get(digest)
        if rec is None or rec.get("status") != "ok":
            return None
        return pd.DataFrame(rec["series"])


def _record(spec: RunSpec, res: dict) -> dict:
    rec: dict[str, Any] = {
        "digest": spec.run_id,
        "seed": spec.seed,
        "params": spec.params,
        "status": res["status"],
        "error": res.get("error"),
        "duration_s": res.get("duration_s"),
    }
    if res["status"] == "ok":
        frame = read_frame(res["model"])
        cols = [c for c in (spec.reporters or ()) if c in frame.columns]
        rec["series"] = {c: frame[c].astype(float).tolist() for c in cols}
        rec["series"]["year"] = frame["year"].astype(int).tolist()
    return rec


class Simulator:
    """Runs the simulations a calibration asks for, on one open executor, with a cache.

    Parameters
    ----------
    targets : Targets
        What to simulate (preset, fixed parameters, steps, reporters).
    out_dir : path
        The calibration directory; finished simulations go to ``out_dir/sims``.
    executor, workers, scheduler :
        As for ``abm experiment run``: ``"process"``, ``"dask"`` or ``"serial"``.
    progress : bool
        A progress bar of the simulations on stderr.
    """

    def __init__(
        self,
        targets: Targets,
        out_dir: str | Path | None,
        executor: str = "process",
        workers: int = 1,
        scheduler: str | None = None,
        progress: bool = False,
        total: int | None = None,
        log: Callable[[str], None] | None = None,
    ) -> None:
        self.targets = targets
        self.cache = SimulationCache(out_dir)
        self.executor_name = executor
        self.workers = workers
        self.scheduler = scheduler
        self.progress = progress
        self.total = total
        self.runner: Any = None
        self.bar: Any = None
        self.ran = 0
        self.reused = 0
        self.failed = 0
        self.log = log or (lambda text: None)

    def open(self) -> None:
        """Open the executor (reach a Dask scheduler) and the progress bar."""
        from abm.experiments.executors import CONNECT_TIMEOUT, WORKER_TIMEOUT, open_executor

        self.runner = open_executor(
            self.executor_name,
            self.workers,
            self.scheduler,
            CONNECT_TIMEOUT,
            WORKER_TIMEOUT,
            on_dashboard=lambda url: self.log(f"Dask dashboard: {url}"),
        )
        self.bar = progress_bar(
            total=self.total, desc="simulations", unit="sim", enabled=self.progress
        )

    def close(self) -> None:
        """Close the progress bar and the executor (its workers end)."""
        if self.bar is not None:
            self.bar.close()
            self.bar = None
        if self.runner is not None:
            self.runner.close()
            self.runner = None

    def __enter__(self) -> Simulator:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def ensure(self, points: Sequence[dict[str, Any]], seeds: Sequence[int]) -> None:
        """Run every (point, seed) not yet in the cache; store each as it finishes."""
        pending: dict[str, RunSpec] = {}
        for params in points:
            for seed in seeds:
                spec = make_spec(self.targets, params, seed)
                if spec.run_id in pending:
                    continue
                if self.cache.get(spec.run_id) is not None:
                    self.reused += 1
                    if self.bar is not None:
                        self.bar.update(1)
                    continue
                pending[spec.run_id] = spec
        if not pending:
            return
        if self.runner is None:
            self.open()
        specs = list(pending.values())
        results = self.runner.run(specs, None, max(1, min(self.workers, len(specs))))
        try:
            for res in results:
                rec = _record(pending[res["run_id"]], res)
                # a run whose worker died (no host) failed by accident: not kept on disk, so
                # the next invocation runs it again
                lost = rec["status"] != "ok" and res.get("host") is None
                self.cache.put(rec, keep=not lost)
                self.ran += 1
                self.failed += rec["status"] != "ok"
                if lost:
                    self.log(
                        f"simulation {rec['digest']}: {rec['error']}; it counts as failed "
                        "in this calibration and runs again next time"
                    )
                if self.bar is not None:
                    self.bar.set_postfix(failed=self.failed, refresh=False)
                    self.bar.update(1)
        finally:
            close = getattr(results, "close", None)
            if close is not None:
                close()

    def moments(self, params: dict[str, Any], seeds: Sequence[int]) -> np.ndarray:
        """Every moment's statistic per seed (rows: seeds; columns: the targets' moments).

        NaN where a simulation failed or the statistic is undefined.
        """
        rows = []
        for seed in seeds:
            spec = make_spec(self.targets, params, seed)
            frame = self.cache.frame(spec.run_id)
            if frame is None:
                rows.append([np.nan] * len(self.targets.moments))
                continue
            m = self.targets.moments_of(frame)
            rows.append([m[x.name] for x in self.targets.moments])
        return np.asarray(rows, dtype=float)


__all__ = ["SIMS", "SimulationCache", "Simulator", "make_spec", "seeds_for"]
