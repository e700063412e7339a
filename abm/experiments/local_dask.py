"""The local Dask cluster ``--executor dask`` starts: scheduler and workers forked from the
server that has the model imported (:mod:`abm.experiments.forking`).

The scheduler runs in a process of its own, not in the sweep's main process, so the main
process can run the sweep's first runs while the cluster starts without the two taking
turns on one interpreter lock. Its workers are forked, not spawned: a spawned worker
imports the model and Dask afresh (about 1.4 s) and takes about 0.45 s to shut down; a
forked one starts ready and exits at once. Measured by
``experiments/benchmarks/bench_sweep.py``.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from typing import Any

from abm.experiments.forking import DASK_FORKSERVER_PRELOAD, die_with, forkserver_context

#: Dask settings of the local cluster a sweep starts (a cluster reached with ``--scheduler``
#: keeps its own). Its processes share the machine's cores with the runs, so they look at
#: themselves less often: no statistical profiler sampling the runs every 10 ms, the
#: dashboard's system monitor every 2 s (500 ms by default, in every process), the memory
#: limit checked every 500 ms (100 ms). Measured by ``experiments/benchmarks/bench_sweep.py``
#: (60 runs of 500 firms on 2 workers): about 12.9 s -> 10.5 s.
LOCAL_CLUSTER_CONFIG = {
    "distributed.worker.profile.enabled": False,
    "distributed.admin.system-monitor.interval": "2s",
    "distributed.worker.memory.monitor-interval": "500ms",
}
_HOST = "127.0.0.1"
#: Seconds for the scheduler's process to report its address (it is forked ready, so a
#: second is ample; the server may first have to import the model, about two).
START_TIMEOUT = 60.0


def _serve_scheduler(conn, main_pid: int, options: dict, config: dict) -> None:
    """The scheduler's process: start a Scheduler, send its address (or why it failed) to
    the main process, serve until it is told to close."""
    die_with(main_pid)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the main process's to handle
    import dask
    from distributed import Scheduler

    dask.config.set(config)
    logging.getLogger("distributed").setLevel(logging.WARNING)

    async def serve() -> None:
        try:
            scheduler = await Scheduler(**options)
        except Exception as exc:
            conn.send(("failed", f"{type(exc).__name__}: {exc}"))
            return
        conn.send(("address", scheduler.address))
        conn.close()
        await scheduler.finished()

    asyncio.run(serve())


def _scheduler_class():
    """The ``ProcessInterface`` of a scheduler forked from the forkserver (a class made on
    first use: ``distributed`` is an optional dependency)."""
    from distributed.deploy.spec import ProcessInterface

    class ForkedScheduler(ProcessInterface):
        """A Dask scheduler in a process forked from the server that has Dask imported."""

        def __init__(self, **options) -> None:
            super().__init__()
            self.options = options
            self.proc: Any = None

        def _launch(self) -> str:
            import dask

            ctx = forkserver_context(DASK_FORKSERVER_PRELOAD)
            here, there = ctx.Pipe(duplex=False)
            config = dask.config.config
            proc = ctx.Process(
                target=_serve_scheduler,
                args=(there, os.getpid(), self.options, config),
                name="abm-dask-scheduler",
                daemon=True,
            )
            self.proc = proc
            proc.start()
            there.close()
            try:
                if not here.poll(START_TIMEOUT):
                    proc.kill()
                    raise RuntimeError(f"the scheduler did not answer within {START_TIMEOUT:g} s")
                kind, text = here.recv()
            except EOFError:
                proc.join(5)
                kind, text = "failed", f"its process ended (exit code {proc.exitcode})"
            finally:
                here.close()
            if kind != "address":
                raise RuntimeError(f"the scheduler did not start: {text}")
            return text

        async def start(self) -> None:
            loop = asyncio.get_running_loop()
            self.address = await loop.run_in_executor(None, self._launch)
            await super().start()

        def _join(self) -> None:
            if self.proc is None:
                return
            self.proc.join(5)
            if self.proc.is_alive():
                self.proc.kill()
                self.proc.join(5)

        async def close(self) -> None:
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(None, self._join)
            await super().close()

    return ForkedScheduler


def local_cluster(workers: int):
    """A ``dask.distributed`` cluster of ``workers`` single-threaded worker processes on
    this machine (with Nanny processes, as ``LocalCluster``), dashboard on a free local
    port, with ``LOCAL_CLUSTER_CONFIG``: the cluster ``--executor dask`` starts."""
    import dask
    from distributed import Nanny, SpecCluster
    from distributed.worker_memory import parse_memory_limit

    ctx = forkserver_context(DASK_FORKSERVER_PRELOAD)
    method = {"distributed.worker.multiprocessing-method": ctx.get_start_method()}
    scheduler = {
        "cls": _scheduler_class(),
        "options": {
            "host": _HOST,
            "port": 0,
            "protocol": "tcp://",
            "dashboard": True,
            "dashboard_address": f"{_HOST}:0",
        },
    }
    worker = {
        "cls": Nanny,
        "options": {
            "host": _HOST,
            "protocol": "tcp://",
            "nthreads": 1,
            "dashboard": False,
            "silence_logs": logging.WARN,
            "memory_limit": parse_memory_limit(
                "auto", 1, total_cores=workers, logger=logging.getLogger(__name__)
            ),
        },
    }
    with dask.config.set({**LOCAL_CLUSTER_CONFIG, **method}):
        return SpecCluster(
            workers={i: worker for i in range(workers)},
            scheduler=scheduler,
            worker=worker,
            silence_logs=logging.WARN,
            name="abm-local",
        )
