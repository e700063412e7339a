"""Worker processes forked from a server that has the model imported, and that end with
the sweep's main process.

multiprocessing's ``forkserver`` imports the model and loads its compiled loops once
(``abm.experiments.warm``); the pool's workers, and a local Dask cluster's scheduler and
workers, are forked from it and start ready. Forking from a single-threaded server is safe
while the main process has threads (progress bar, notebooks, Dask's event loop).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import select
import signal
import sys
import threading
import time

#: What the server imports first when a pool starts it: the model and its compiled loops.
FORKSERVER_PRELOAD = ["abm.experiments.executors", "abm.experiments.warm"]
#: What it imports when a local Dask cluster starts it: that and Dask's worker and
#: scheduler.
DASK_FORKSERVER_PRELOAD = [*FORKSERVER_PRELOAD, "distributed"]


def forkserver_context(preload: list[str]):
    """multiprocessing's ``forkserver`` context, its server started (if it is not running)
    to import ``preload`` first; ``spawn`` where there is no forkserver (Windows).

    The server ignores Ctrl-C, which is the main process's to handle: it imports the model
    before it sets its own handlers, while this process may already be running the sweep's
    first runs. A server already running keeps what it imported.
    """
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    from multiprocessing import forkserver

    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(preload)
    if threading.current_thread() is not threading.main_thread():
        forkserver.ensure_running()
        return ctx
    handler = signal.signal(signal.SIGINT, signal.SIG_IGN)  # inherited by the server
    try:
        forkserver.ensure_running()
    finally:
        if handler is not None:  # (None: a handler not set from Python, left as it was)
            signal.signal(signal.SIGINT, handler)
    return ctx


def die_with(main_pid: int) -> None:
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
