"""How well a sweep uses 2 cores: the same sweep serially, on a process pool and on Dask.

One command, one run on one machine::

    python experiments/benchmarks/bench_sweep.py            # experiments/carbon_price.toml
    python experiments/benchmarks/bench_sweep.py --quick    # 8 tiny runs (smoke test)

The sweep is the smallest one the project ships, ``experiments/carbon_price.toml``: 150 runs
of 2,000 firms x 40 years (a 5 x 6 grid of the domestic carbon price and CBAM coverage, 5
replicates). It runs through ``abm.experiments.run_experiment``, each time into a fresh
directory: serially, on the process pool with 2 workers and on a local Dask cluster of 2
workers. Each time is the wall time of the whole call, so it includes starting and stopping
the workers (and the cluster) and writing the run files: what a user waits for. The
efficiency of an executor is ``serial time / (2 x its time)``: 1 when two workers halve the
time, less by what starting the workers, handing out runs and collecting results cost; that
cost is printed as core-seconds (``2 x its time - serial time``), which is what a sweep of
any other length pays too. The load average before and after is printed; other load on the
machine lowers both efficiencies, so the sweeps run in ``--repeat`` rounds (3; the
executors in turn in each round) and the fastest time of each is kept, as
``bench_scale.py`` does; the slowest is printed beside it.

Each parallel executor starts cold: the forkserver that the pool's workers and the local
Dask cluster's processes are forked from (``abm.experiments.forking``) is stopped before
each, so each pays for importing the model once, as a fresh ``abm experiment run`` does.

The last lines are machine-readable::

    sweep_efficiency_2_workers_process=X                # pool started by the sweep
    sweep_efficiency_2_workers_dask=Y                   # local cluster started by the sweep
    sweep_efficiency_2_workers_dask_running_cluster=Z   # a running cluster (--scheduler)

The third sweep reaches an already running local cluster through its scheduler address
(``--scheduler``), after a tiny warm-up sweep, as when one cluster serves several sweeps:
it measures handing out runs and collecting results without the cluster's start-up.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from abm.experiments import load_experiment, parse_experiment, run_experiment  # noqa: E402

#: Targets of the issue on sweeps that use every core (printed as ok / MISSED).
TARGETS = {"process": 0.85, "dask": 0.8, "dask_running_cluster": 0.8}
#: The full size: the smallest sweep the project ships.
EXPERIMENT = ROOT / "experiments" / "carbon_price.toml"
QUICK = {
    "name": "bench_sweep",
    "steps": 5,
    "replicates": 4,
    "base_seed": 1,
    "fixed": {"n_firms": 40},
    "grid": {"carbon_price": [10.0, 20.0]},
}


def sweep(quick: bool) -> object:
    """The benchmark's experiment: the shipped carbon-price sweep, or a tiny one."""
    if quick:
        return parse_experiment(dict(QUICK), "bench_sweep")
    return load_experiment(EXPERIMENT)


def stop_forkserver() -> None:
    """Stop multiprocessing's forkserver, so that the next executor starts it afresh."""
    from multiprocessing import forkserver

    stop = getattr(forkserver._forkserver, "_stop", None)  # Python 3.12+
    if stop is not None:
        stop()


def timed(exp, executor: str, workers: int, scheduler: str | None = None) -> tuple[float, int]:
    """Wall seconds of one whole sweep on ``executor`` and the number of runs that ran ok."""
    with tempfile.TemporaryDirectory(prefix="bench_sweep_") as out:
        start = time.perf_counter()
        summary = run_experiment(
            exp, out, workers=workers, executor=executor, scheduler=scheduler, progress=False
        )
        seconds = time.perf_counter() - start
    return seconds, summary.ok


def on_running_cluster(exp, warm_up) -> tuple[float, int]:
    """The sweep on a local Dask cluster that is already running, with workers that have
    already run a (tiny) sweep: as on a cluster kept for several sweeps."""
    from distributed import Client

    from abm.experiments.local_dask import local_cluster

    cluster = local_cluster(2)
    client = Client(cluster)
    try:
        timed(warm_up, "dask", 2, cluster.scheduler_address)
        return timed(exp, "dask", 2, cluster.scheduler_address)
    finally:
        client.close()
        cluster.close()


def one_round(exp, n_runs: int) -> dict[str, float] | None:
    """Each executor's wall time for the sweep once (None if a run did not finish)."""
    times: dict[str, float] = {}
    for executor, workers in (("serial", 1), ("process", 2), ("dask", 2)):
        stop_forkserver()
        seconds, ok = timed(exp, executor, workers)
        if ok != n_runs:
            print(f"error: {executor}: only {ok} of {n_runs} runs finished", file=sys.stderr)
            return None
        times[executor] = seconds
    seconds, ok = on_running_cluster(exp, sweep(quick=True))
    if ok != n_runs:
        print(f"error: dask (running cluster): only {ok} of {n_runs} runs", file=sys.stderr)
        return None
    times["dask_running_cluster"] = seconds
    return times


def main(argv: list[str] | None = None) -> int:
    """Run the sweeps and print the table and the efficiencies."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes (smoke test)")
    parser.add_argument(
        "--repeat", type=int, default=None, help="rounds, the fastest kept (default 3; quick 1)"
    )
    args = parser.parse_args(argv)
    repeat = args.repeat or (1 if args.quick else 3)
    exp = sweep(args.quick)
    n_runs = exp.n_runs
    n_firms = exp.fixed.get("n_firms", "default")
    print(
        f"sweep: {exp.name}, {n_runs} runs of {n_firms} firms x {exp.steps} years, fastest of "
        f"{repeat} round(s); {platform.system()} {platform.machine()}, {os.cpu_count()} "
        f"logical CPUs, Python {platform.python_version()}; load average before: "
        f"{', '.join(f'{x:.1f}' for x in os.getloadavg())}"
    )
    rounds: list[dict[str, float]] = []
    for r in range(repeat):
        got = one_round(exp, n_runs)
        if got is None:
            return 1
        rounds.append(got)
        print(
            f"round {r + 1}: " + ", ".join(f"{k} {v:.2f} s" for k, v in got.items()),
            file=sys.stderr,
            flush=True,
        )
    times = {k: min(r[k] for r in rounds) for k in rounds[0]}
    slowest = {k: max(r[k] for r in rounds) for k in rounds[0]}
    print(f"load average after: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print()
    print(
        f"{'executor':22s} {'workers':>7s} {'seconds':>8s} {'slowest':>8s} {'s per run':>9s} "
        f"{'efficiency':>10s} {'overhead core-s':>15s}"
    )
    eff = {}
    for executor, seconds in times.items():
        workers = 1 if executor == "serial" else 2
        e = times["serial"] / (workers * seconds)
        eff[executor] = e
        overhead = workers * seconds - times["serial"]
        print(
            f"{executor:22s} {workers:7d} {seconds:8.2f} {slowest[executor]:8.2f} "
            f"{seconds / n_runs:9.3f} {e:10.3f} {overhead:15.2f}"
        )
    print()
    print(
        "seconds: the fastest round (other load only adds time); slowest: the slowest round;\n"
        "efficiency = serial seconds / (workers x seconds); overhead = workers x seconds - "
        "serial seconds"
    )
    verdicts = [
        f"{name} >= {target}: {'ok' if eff[name] >= target else 'MISSED'}"
        for name, target in TARGETS.items()
    ]
    print("targets: " + "; ".join(verdicts) + ("" if not args.quick else " (quick sizes)"))
    for name in TARGETS:
        print(f"sweep_efficiency_2_workers_{name}={eff[name]:.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
