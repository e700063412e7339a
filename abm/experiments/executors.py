"""Where runs run: in this process, a local process pool, or ``dask.distributed``.

Each executor has ``run(specs, factory, workers)``, an iterator of the results of
:func:`abm.experiments.worker.execute` in the order they finish, and ``close()``. The process
pool replaces a worker that dies (killed, out of memory) and fails only its run; its workers
end when the main process does. A Dask scheduler given by address is checked (a handshake
within a few seconds, a worker within ``worker_timeout``) when the executor is opened,
before the sweep writes anything. The pool's workers and a local Dask cluster
(:mod:`abm.experiments.local_dask`) are forked from a server that imports the model once
(:mod:`abm.experiments.forking`); while they start, the sweep's first runs run in this
process.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import signal
import socket
import statistics
import threading
import uuid
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator

from abm.experiments.forking import (
    DASK_FORKSERVER_PRELOAD,
    FORKSERVER_PRELOAD,
    die_with,
    forkserver_context,
)
from abm.experiments.spec import ExperimentError, RunSpec
from abm.experiments.worker import execute, execute_batch, lost, one_line

#: Seconds to reach a Dask scheduler (and to hear its handshake) before giving up.
CONNECT_TIMEOUT = 5.0
#: Seconds to wait for the first worker of a Dask scheduler that has none.
WORKER_TIMEOUT = 120.0
_MAX_SCHEDULER_FILE = 1 << 20


class _Serial:
    """Runs in this process (debugging)."""

    dashboard: str | None = None

    def run(self, specs: list[RunSpec], factory, workers: int) -> Iterator[dict]:
        for spec in specs:
            yield execute(spec, factory)

    def close(self) -> None:
        pass


def _worker_main(conn, main_pid: int, factory) -> None:
    """A pool worker: run the specs it is sent, one at a time, until told to stop."""
    die_with(main_pid)
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


def _meanwhile(starter: threading.Thread, queue: deque, factory, workers: int) -> Iterator[dict]:
    """Run the queue's runs in this process while ``starter`` starts the workers, as long as
    more runs are left than ``workers``; then wait for it to end."""
    while starter.is_alive() and len(queue) > workers:
        yield execute(queue.popleft(), factory)
    starter.join()


class _Pool:
    """A process pool in which a dead worker fails only its own run and is replaced.

    Each worker runs one run at a time, sent over its own pipe; workers exit when the main
    process dies (see :func:`abm.experiments.forking.die_with`).
    """

    dashboard: str | None = None

    def __init__(self) -> None:
        # forkserver (started in run): safe with threads in the parent (progress bar,
        # notebooks), fast to start because the server imports the model once.
        self.ctx = None
        self.workers: list[_Worker] = []
        self.busy: dict[_Worker, RunSpec] = {}

    def run(self, specs: list[RunSpec], factory, workers: int) -> Iterator[dict]:
        from multiprocessing.connection import wait

        queue = deque(specs)
        idle = yield from self._start(queue, factory, min(workers, len(specs)))
        busy = self.busy
        while queue or busy:
            while queue and idle:
                w, spec = idle.pop(), queue.popleft()
                try:
                    w.conn.send(spec)
                except Exception as exc:  # an unpicklable factory or a worker already gone
                    idle.append(self._replace(w) if not w.proc.is_alive() else w)
                    yield lost(spec, f"cannot send the run to a worker: {one_line(exc)}", exc)
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
                yield lost(spec, f"worker process died ({why}) while running this run")

    def _start(self, queue: deque, factory, n: int) -> Generator[dict, None, list[_Worker]]:
        """``n`` workers: those of an earlier call still alive with the same model factory,
        and new ones; while new ones start (the forkserver imports the model first, about
        a second), run the queue's runs in this process as long as more runs are left than
        workers. Returns the workers."""
        for w in [w for w in self.workers if w.factory is not factory or not w.proc.is_alive()]:
            self._drop(w)
        failed: list[BaseException] = []
        self.ctx = forkserver_context(FORKSERVER_PRELOAD)

        def start() -> None:
            try:
                while len(self.workers) < n:
                    self.workers.append(_Worker(self.ctx, factory))
            except BaseException as exc:  # re-raised below, in the sweep's thread
                failed.append(exc)

        starter = threading.Thread(target=start, name="abm-pool-start", daemon=True)
        starter.start()
        yield from _meanwhile(starter, queue, factory, n)
        if failed:
            raise failed[0]
        return self.workers[:n]

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
                f"{one_line(exc)}"
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
        reason = exc.strerror or one_line(exc)
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
            raise ExperimentError(f"{where}: connection failed: {one_line(exc)}") from None
        size = int.from_bytes(head, "little") if len(head) == 8 else 0
        if not 0 < size <= 1 << 20:
            shown = head[:8].decode("latin-1").encode("unicode_escape").decode()
            answer = f"it answered {shown!r}" if head else "it closed the connection"
            raise ExperimentError(f"{where}: not a Dask scheduler ({answer})")


class _Dask:
    """``dask.distributed``: a ``LocalCluster``, or a running scheduler (checked first).

    A local cluster starts in a thread (its forkserver imports the model first) while the
    first call of :meth:`run` runs runs in this process, as the pool does; a failure to
    start is raised there.
    """

    def __init__(
        self,
        workers: int,
        scheduler: str | None,
        connect_timeout: float,
        worker_timeout: float,
        on_dashboard: Callable[[str], None] | None = None,
    ) -> None:
        from abm.extras import needs

        if scheduler is None:  # the server starts importing the model at once
            forkserver_context(DASK_FORKSERVER_PRELOAD)
        with needs("experiments", "--executor dask"):
            from distributed import Client
        self.cluster = None
        self.client = None
        self.dashboard: str | None = None
        self.on_dashboard = on_dashboard
        self.starter: threading.Thread | None = None
        self.failed: list[BaseException] = []
        if scheduler is not None:
            label, address, host, port = parse_scheduler(scheduler)
            probe_scheduler(label, address, host, port, connect_timeout)
            where = f"--scheduler {label}"
            try:
                self.client = Client(address, timeout=f"{connect_timeout}s")
            except Exception as exc:
                raise ExperimentError(
                    f"{where}: cannot connect to a Dask scheduler: {one_line(exc)}"
                ) from None
            try:
                self.client.wait_for_workers(1, timeout=worker_timeout)
            except Exception:
                self.close()
                raise ExperimentError(
                    f"{where}: the scheduler has no workers (none joined within "
                    f"{worker_timeout:g} s); start some with 'dask worker {address}'"
                ) from None
            self._reached()
        else:
            self.starter = threading.Thread(
                target=self._start, args=(workers,), name="abm-dask-start", daemon=True
            )
            self.starter.start()

    def _start(self, workers: int) -> None:
        from distributed import Client

        from abm.experiments.local_dask import local_cluster

        try:
            self.cluster = local_cluster(workers)
            self.client = Client(self.cluster)
        except BaseException as exc:  # re-raised by run, in the sweep's thread
            self.failed.append(exc)

    def _reached(self) -> None:
        self.dashboard = _dashboard(self.client)
        if self.dashboard and self.on_dashboard is not None:
            self.on_dashboard(self.dashboard)

    def _started(self, queue: deque, factory, workers: int) -> Iterator[dict]:
        """Run the queue's runs in this process while the local cluster starts (as long as
        more runs are left than workers); then check that it started."""
        if self.starter is None:
            return
        yield from _meanwhile(self.starter, queue, factory, workers)
        self.starter = None
        if self.failed:
            exc = self.failed[0]
            self.close()
            raise ExperimentError(
                f"--executor dask: cannot start a local Dask cluster: {one_line(exc)}"
            ) from None
        self._reached()

    def run(self, specs: list[RunSpec], factory, workers: int) -> Iterator[dict]:
        from distributed import as_completed

        queue = deque(specs)
        timed = _Durations()
        yield from timed.of(self._started(queue, factory, workers))
        client = self.client
        assert client is not None, "the Dask executor is closed"
        tag = uuid.uuid4().hex[:8]
        by_key: dict[object, list[RunSpec]] = {}
        futures = []
        done = as_completed()

        def submit() -> None:
            batch = [queue.popleft() for _ in range(timed.batch(len(queue), workers))]
            fut = client.submit(
                execute_batch, batch, factory, key=f"abm-{batch[0].run_id}-{tag}", pure=False
            )
            futures.append(fut)
            by_key[fut.key] = batch
            done.add(fut)

        try:
            while queue and len(by_key) < 2 * workers:  # one running, one waiting per worker
                submit()
            for fut in done:
                batch = by_key.pop(fut.key)
                try:
                    results = fut.result()
                except Exception as exc:  # KilledWorker, lost connection, ...
                    results = [lost(spec, f"worker failed: {one_line(exc)}", exc) for spec in batch]
                fut.release()
                if queue:
                    submit()
                yield from timed.of(results)
        finally:
            unfinished = [f for f in futures if f.status in ("pending", "lost")]
            if unfinished:  # an interrupted sweep: cancel only what has not finished
                with contextlib.suppress(Exception):
                    client.cancel(unfinished)

    def close(self) -> None:
        if self.starter is not None:  # closed before the cluster was needed
            self.starter.join()
            self.starter = None
        if self.client is not None:
            with contextlib.suppress(Exception):
                self.client.close()
            self.client = None
        if self.cluster is not None:
            with contextlib.suppress(Exception):
                self.cluster.close()
            self.cluster = None


#: Seconds of runs a Dask task should hold at least. A task costs the client, the scheduler
#: and the worker about 10 ms (``bench_sweep.py``'s running cluster: 150 runs of 0.16 s
#: took 0.75 s longer one to a task than four to a task), so shorter runs go several to a
#: task.
TASK_SECONDS = 0.5


class _Durations:
    """The durations of a sweep's finished runs, and the number of runs to send in the next
    Dask task: enough for ``TASK_SECONDS`` at their median, one until a run has finished,
    and never so many that fewer than 4 tasks a worker would be left."""

    def __init__(self) -> None:
        self.seconds: list[float] = []

    def of(self, results: Iterable[dict]) -> Iterator[dict]:
        """Pass ``results`` on, noting their durations."""
        for res in results:
            if res.get("duration_s") is not None:
                self.seconds.append(float(res["duration_s"]))
            yield res

    def batch(self, left: int, workers: int) -> int:
        """How many of the ``left`` runs to send in the next task."""
        if not self.seconds:
            return 1
        typical = statistics.median(self.seconds[-50:])
        wanted = math.ceil(TASK_SECONDS / max(typical, 1e-3))
        return max(1, min(wanted, left // (4 * workers), left))


def _dashboard(client) -> str | None:
    try:
        import bokeh  # noqa: F401 - the dashboard needs it
    except ImportError:  # pragma: no cover
        return None
    with contextlib.suppress(Exception):
        return client.dashboard_link
    return None


def open_executor(
    executor: str,
    workers: int,
    scheduler: str | None,
    connect_timeout: float,
    worker_timeout: float,
    on_dashboard: Callable[[str], None] | None = None,
):
    """The executor a sweep runs on; ``on_dashboard(url)`` is told Dask's dashboard once
    the cluster is reached."""
    if executor == "dask":
        return _Dask(workers, scheduler, connect_timeout, worker_timeout, on_dashboard)
    if executor == "process":
        return _Pool()
    return _Serial()


__all__ = [
    "CONNECT_TIMEOUT",
    "WORKER_TIMEOUT",
    "open_executor",
    "parse_scheduler",
    "probe_scheduler",
]
