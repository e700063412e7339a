"""Cost per firm-year of TradeClusterModel at scale, against Mesa's Boltzmann wealth model.

One command, one run on one machine::

    python experiments/benchmarks/bench_scale.py            # 1,000 to 1,000,000 firms
    python experiments/benchmarks/bench_scale.py --quick    # tiny sizes, 2 steps (smoke test)

Every measured run is a fresh child process (this script re-invoked with ``--child``), so
each peak RSS is that run's own; the parent runs them one after another (round-robin over
``--repeat`` rounds, so drift on the machine is spread over all rows), keeps the fastest
time (noise from other load only adds) and the largest peak of each row, and prints the
table. ``others`` (CPUs other processes kept busy during the row) and ``cpu/wall`` show
whether the machine was quiet; disturbed rows are named in a warning.

What is timed: ``model.step()`` x ``--steps`` after construction (construction, including
the initial collect, is reported separately as ``build_s``). Collectors are on in every
row: TradeClusterModel collects its model reporters every step; firm-level records
(``firm_data``) are off in the main rows and on in one extra row for information. The
Boltzmann models collect exactly what the shipped example collects (DataCollector with the
Gini model reporter and the per-agent Wealth reporter, plus its DataRecorder).

Reference for the ratio: Mesa 3.5 ships ``mesa.examples.basic.boltzmann_wealth_model`` as a
*spatial* model (agents move on an OrthogonalMooreGrid and give to cellmates). The ratio
compares with the non-spatial model, so it uses ``boltzmann_nonspatial``: the shipped
``BoltzmannWealth`` class (its ``step``, ``gini``, DataCollector and DataRecorder unchanged)
with the grid removed, and agents running the shipped ``MoneyAgent.step`` minus ``move()``:
an agent with wealth gives one unit to another agent drawn uniformly from all others (the
non-spatial rule of Mesa's tutorial), drawn in O(1) from a list. It is faster per agent-step
than the shipped spatial model, so it is the stricter reference; the shipped spatial model is
measured too, as shipped, and its ratio printed for information.

After the rounds, one run of ``--million`` firms (1,000,000; ``--quick``: 3,000) is timed
whole, once: the child process's wall time from interpreter start through the build and
every step, and its peak RSS. Runs of 100,000 firms or more tune glibc's allocator as
``abm run`` does (:mod:`abm.allocator`).

The last lines are machine-readable (the million-firm pair only when that run is made)::

    ratio_per_firm_step_vs_boltzmann=X   # ours per firm-step at 10,000 / reference per agent-step
    scaling_100k_over_10k=Y              # ours per step at 100,000 / per step at 10,000
    million_firms_40y_seconds=S          # the million-firm run, wall time, build included
    million_firms_peak_gib=G             # its peak RSS
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import time
from typing import Any

REF = "boltzmann_nonspatial"
SHIPPED = "boltzmann_shipped"
OURS = "trade_cluster"

LABELS = {
    OURS: "TradeClusterModel baseline",
    REF: "Boltzmann non-spatial (REF)",
    SHIPPED: "Boltzmann shipped, spatial",
}

#: The Model 2 issues' target: a firm-year at most 0.7 agent-steps of the reference.
TARGET_RATIO = 0.7
TARGET_SCALING_SLACK = 1.1  # "at most 11" for a 10x size step: linear plus 10 %
TARGET_100K_SECONDS = 120.0
TARGET_100K_GIB = 2.0
TARGET_MILLION_SECONDS = 180.0  # the one-agent-per-firm issue: 1,000,000 firms x 40 years
TARGET_MILLION_GIB = 6.0


# ---------------------------------------------------------------------------- child side
def _peak_rss_mib() -> float:
    """Peak resident set size of this process so far, MiB."""
    try:
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024
    except ImportError:  # pragma: no cover - Windows
        import psutil

        info = psutil.Process().memory_info()
        return getattr(info, "peak_wset", info.rss) / (1024 * 1024)


def _progress(msg: str) -> None:
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


def _timed_steps(model, steps: int, label: str) -> tuple[float, float]:
    """Run ``steps`` steps, report progress on stderr; return (wall, CPU) seconds taken."""
    every = max(1, steps // 4)
    c0, t0 = time.process_time(), time.perf_counter()
    for i in range(1, steps + 1):
        model.step()
        if i % every == 0 and i < steps:
            _progress(f"  {label}: step {i}/{steps} ({time.perf_counter() - t0:.1f} s)")
    return time.perf_counter() - t0, time.process_time() - c0


def run_trade(n: int, steps: int, firm_data: bool, seed: int) -> dict[str, Any]:
    """TradeClusterModel, baseline scenario, model reporters collected every step."""
    from abm import TradeClusterModel
    from abm.allocator import tune_for_large_runs

    tune_for_large_runs(n)  # as ``abm run`` does
    rss_import = _peak_rss_mib()
    t0 = time.perf_counter()
    model = TradeClusterModel(scenario="baseline", rng=seed, n_firms=n, firm_data=firm_data)
    build = time.perf_counter() - t0
    run, cpu = _timed_steps(model, steps, f"{OURS} n={n}")
    peak = _peak_rss_mib()
    frame = model.model_frame()  # after timing: check the collector really recorded
    if len(frame) != steps + 1:
        raise RuntimeError(f"model reporters: {len(frame)} rows, expected {steps + 1}")
    if firm_data and model.firm_frame().empty:
        raise RuntimeError("firm_data=True but no firm records")
    return {
        "agents": int(model.n_firms),
        "ties": int(len(model.ties.u)),
        "mesa_layer_built": model._grid is not None,  # a headless run never builds it
        "build_s": build,
        "run_s": run,
        "cpu_s": cpu,
        "peak_rss_mib": peak,
        "rss_after_import_mib": rss_import,
    }


def _nonspatial_boltzmann():
    """The shipped BoltzmannWealth without its grid (see module docstring)."""
    import mesa
    from mesa.datacollection import DataCollector
    from mesa.examples.basic.boltzmann_wealth_model.model import BoltzmannWealth
    from mesa.experimental.data_collection import DataRecorder, DatasetConfig

    class NonSpatialMoneyAgent(mesa.Agent):
        """Shipped ``MoneyAgent`` minus ``move()``: gives to a random other agent."""

        def __init__(self, model, index: int):
            super().__init__(model)
            self.index = index
            self.wealth = 1

        def give_money(self):
            others = self.model.agent_list
            i = self.random.randrange(len(others) - 1)
            other = others[i + (i >= self.index)]  # uniform over all agents but self
            other.wealth += 1
            self.wealth -= 1

        def step(self):
            if self.wealth > 0:
                self.give_money()

    class NonSpatialBoltzmannWealth(BoltzmannWealth):
        """``BoltzmannWealth.__init__`` minus the grid; ``step`` and ``gini`` inherited."""

        def __init__(self, scenario):
            mesa.Model.__init__(self, scenario=scenario)
            self.num_agents = scenario.n
            self.recorder = DataRecorder(self)
            self.data_registry.track_agents(self.agents, "agent_data", "wealth").record(
                self.recorder
            )
            self.data_registry.track_model(self, "model_data", "gini").record(
                self.recorder, configuration=DatasetConfig(start_time=4, interval=2)
            )
            self.datacollector = DataCollector(
                model_reporters={"Gini": "gini"}, agent_reporters={"Wealth": "wealth"}
            )
            self.agent_list = list(
                NonSpatialMoneyAgent.create_agents(
                    self, self.num_agents, index=list(range(self.num_agents))
                )
            )
            self.running = True
            self.datacollector.collect(self)

    return NonSpatialBoltzmannWealth


def run_boltzmann(kind: str, n: int, steps: int, seed: int) -> dict[str, Any]:
    """Boltzmann wealth model at ``n`` agents: shipped (spatial) or non-spatial."""
    from mesa.examples.basic.boltzmann_wealth_model.model import (
        BoltzmannScenario,
        BoltzmannWealth,
    )

    rss_import = _peak_rss_mib()
    side = math.isqrt(n - 1) + 1  # one agent per cell, as the shipped 100 agents on 10 x 10
    scenario = BoltzmannScenario(n=n, width=side, height=side, rng=seed)
    cls = BoltzmannWealth if kind == SHIPPED else _nonspatial_boltzmann()
    t0 = time.perf_counter()
    model = cls(scenario)
    build = time.perf_counter() - t0
    run, cpu = _timed_steps(model, steps, f"{kind} n={n}")
    peak = _peak_rss_mib()
    rows = len(model.datacollector.get_model_vars_dataframe())
    if rows != steps + 1:
        raise RuntimeError(f"Boltzmann collector: {rows} rows, expected {steps + 1}")
    if sum(a.wealth for a in model.agents) != n:
        raise RuntimeError("Boltzmann: wealth not conserved")
    out = {
        "agents": n,
        "build_s": build,
        "run_s": run,
        "cpu_s": cpu,
        "peak_rss_mib": peak,
        "rss_after_import_mib": rss_import,
    }
    if kind == SHIPPED:
        out["grid"] = f"{side}x{side}"
    return out


def child_main(spec: dict[str, Any]) -> None:
    if spec["kind"] == OURS:
        res = run_trade(spec["n"], spec["steps"], spec["firm_data"], spec["seed"])
    else:
        res = run_boltzmann(spec["kind"], spec["n"], spec["steps"], spec["seed"])
    print("RESULT " + json.dumps({**spec, **res}), flush=True)


# --------------------------------------------------------------------------- parent side
def _busy_cpu_s() -> float | None:
    """CPU seconds the whole machine has been busy since boot (None without psutil)."""
    try:
        import psutil
    except ImportError:  # pragma: no cover
        return None
    t = psutil.cpu_times()
    fields = ("user", "nice", "system", "irq", "softirq", "steal")
    return sum(getattr(t, f, 0.0) for f in fields)


def _children_cpu_s() -> float | None:
    try:
        import resource
    except ImportError:  # pragma: no cover
        return None
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run_child(spec: dict[str, Any]) -> dict[str, Any]:
    """Run one measurement in a fresh interpreter; return its result dict.

    Also records ``other_cpus``: the CPUs other processes kept busy meanwhile (machine busy
    time minus the child's own CPU time, over the child's wall time).
    """
    cmd = [sys.executable, os.path.abspath(__file__), "--child", json.dumps(spec)]
    busy0, own0, t0 = _busy_cpu_s(), _children_cpu_s(), time.perf_counter()
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, check=False)
    wall = time.perf_counter() - t0
    busy1, own1 = _busy_cpu_s(), _children_cpu_s()
    if proc.returncode != 0:
        raise SystemExit(f"benchmark child failed ({proc.returncode}): {spec}")
    line = [x for x in proc.stdout.splitlines() if x.startswith("RESULT ")][-1]
    res = json.loads(line[len("RESULT ") :])
    res["process_s"] = wall
    res["other_cpus"] = None
    if None not in (busy0, busy1, own0, own1):
        res["other_cpus"] = max(0.0, (busy1 - busy0) - (own1 - own0)) / wall
    return res


def plan(args) -> list[dict[str, Any]]:
    """The rows to measure, in order."""
    base = {"steps": args.steps, "seed": args.seed}
    specs = [
        {"kind": REF, "n": args.boltzmann_agents, "firm_data": None, **base},
        {"kind": SHIPPED, "n": args.boltzmann_agents, "firm_data": None, **base},
    ]
    for n in args.sizes:
        specs.append({"kind": OURS, "n": n, "firm_data": False, **base})
        if n == args.ref_size and args.firm_data_row:
            specs.append({"kind": OURS, "n": n, "firm_data": True, **base})
    return specs


def summarise(specs, results) -> list[dict[str, Any]]:
    rows = []
    for i, spec in enumerate(specs):
        runs = [r[i] for r in results]
        best = min(runs, key=lambda r: r["run_s"])
        run_s, cpu_s = best["run_s"], min(r["cpu_s"] for r in runs)
        n, steps = runs[0]["agents"], spec["steps"]
        rows.append(
            {
                **{k: v for k, v in runs[0].items() if k not in ("run_s", "build_s", "cpu_s")},
                "run_s": run_s,
                "cpu_s": cpu_s,
                "build_s": min(r["build_s"] for r in runs),
                "peak_rss_mib": max(r["peak_rss_mib"] for r in runs),
                "run_s_all": [r["run_s"] for r in runs],
                "run_s_median": statistics.median(r["run_s"] for r in runs),
                "cpu_over_wall": best["cpu_s"] / run_s,
                "other_cpus": best["other_cpus"],
                "s_per_step": run_s / steps,
                "us_per_agent_step": run_s / steps / n * 1e6,
                "cpu_us_per_agent_step": cpu_s / steps / n * 1e6,
            }
        )
    return rows


OTHERS_LIMIT = 0.15  # CPUs other processes may use during a row before it counts as disturbed
CPU_WALL_LIMIT = 0.9


def _disturbed(row) -> bool:
    if row["run_s"] < 0.5:  # too short to judge
        return False
    others = row["other_cpus"]
    return row["cpu_over_wall"] < CPU_WALL_LIMIT or (others is not None and others > OTHERS_LIMIT)


def _collectors(row) -> str:
    if row["kind"] == OURS:
        return "model+firm" if row["firm_data"] else "model"
    return "model+agent"


def print_table(rows) -> None:
    head = (
        f"{'model':<28} {'agents':>8} {'collectors':<11} {'steps':>5} {'build_s':>8} "
        f"{'run_s':>8} {'ms/step':>9} {'us/agent-step':>13} {'peak_MiB':>9} {'import_MiB':>10} "
        f"{'cpu/wall':>8} {'others':>6}"
    )
    print(head)
    print("-" * len(head))
    for r in rows:
        print(
            f"{LABELS[r['kind']]:<28} {r['agents']:>8,} {_collectors(r):<11} {r['steps']:>5} "
            f"{r['build_s']:>8.2f} {r['run_s']:>8.2f} {r['s_per_step'] * 1e3:>9.2f} "
            f"{r['us_per_agent_step']:>13.3f} {r['peak_rss_mib']:>9.0f} "
            f"{r['rss_after_import_mib']:>10.0f} {r['cpu_over_wall']:>8.2f} "
            + (f"{r['other_cpus']:>6.2f}" if r["other_cpus"] is not None else f"{'?':>6}")
        )


def _env() -> dict[str, Any]:
    import mesa
    import numpy

    try:
        import psutil

        mem = f"{psutil.virtual_memory().total / 2**30:.1f} GiB"
    except ImportError:  # pragma: no cover
        mem = "?"
    try:
        git = ["git", "-C", os.path.dirname(os.path.abspath(__file__))]
        head = subprocess.run(
            [*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            [*git, "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        code = head + (" + uncommitted changes" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        code = "?"
    return {
        "code": code,
        "python": platform.python_version(),
        "mesa": mesa.__version__,
        "numpy": numpy.__version__,
        "machine": f"{platform.machine()}, {os.cpu_count()} cpus, {mem}",
        "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE", "(unset)"),
    }


def _machine_load() -> str:
    """How busy the machine is apart from us: CPU use over one second and load averages."""
    parts = []
    try:
        import psutil

        parts.append(f"{psutil.cpu_percent(interval=1.0):.0f}% CPU")
    except ImportError:  # pragma: no cover
        pass
    if hasattr(os, "getloadavg"):
        parts.append("load " + "/".join(f"{x:.2f}" for x in os.getloadavg()))
    return ", ".join(parts) or "?"


def _wait_quiet(limit_s: float) -> None:
    """Wait (at most ``limit_s`` seconds) until other processes use under OTHERS_LIMIT CPU."""
    if limit_s <= 0:
        return
    try:
        import psutil
    except ImportError:  # pragma: no cover
        return
    start = time.monotonic()
    said = -math.inf
    while True:
        busy = psutil.cpu_percent(interval=1.0) / 100 * (os.cpu_count() or 1)
        waited = time.monotonic() - start
        if busy <= OTHERS_LIMIT:
            return
        if waited >= limit_s:
            _progress(f"  still busy after {waited:.0f} s ({busy:.2f} CPU); measuring anyway")
            return
        if waited - said >= 15:
            said = waited
            _progress(f"  waiting for a quiet machine: others use {busy:.2f} CPU")


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1000,10000,100000", help="firm counts, comma-separated")
    ap.add_argument("--steps", type=int, default=40, help="steps (years) per run")
    ap.add_argument("--boltzmann-agents", type=int, default=10_000, help="Boltzmann agents")
    ap.add_argument("--repeat", type=int, default=3, help="runs per row; the fastest is kept")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument(
        "--no-firm-data-row",
        dest="firm_data_row",
        action="store_false",
        help="skip the extra row with firm-level records on",
    )
    ap.add_argument(
        "--wait-quiet",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="before each row, wait up to this long for other processes to go quiet",
    )
    ap.add_argument(
        "--million",
        type=int,
        default=1_000_000,
        metavar="N",
        help="firms of the one-off large run, timed whole (build included); 0 skips it",
    )
    ap.add_argument("--quick", action="store_true", help="tiny sizes, 2 steps, 1 repeat")
    ap.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.quick:
        args.sizes, args.steps, args.boltzmann_agents, args.repeat = "100,1000", 2, 100, 1
        args.million = min(args.million, 3000)
    args.sizes = sorted({int(s) for s in str(args.sizes).split(",") if s.strip()})
    if not args.sizes or args.steps < 1 or args.repeat < 1 or args.boltzmann_agents < 2:
        ap.error("need at least one size, --steps >= 1, --repeat >= 1, --boltzmann-agents >= 2")
    # our size compared with Boltzmann: the one equal to (else nearest) its agent count
    args.ref_size = min(args.sizes, key=lambda s: (abs(s - args.boltzmann_agents), s))
    return args


def main(argv=None) -> None:
    args = parse_args(argv)
    if args.child:
        child_main(json.loads(args.child))
        return

    env = _env()
    env["machine load before"] = _machine_load()
    specs = plan(args)
    _progress(f"{len(specs)} rows x {args.repeat} round(s), each in a fresh process")
    results = []
    for k in range(args.repeat):
        got = []
        for spec in specs:
            fd = {None: "", False: " firm_data=off", True: " firm_data=on"}[spec["firm_data"]]
            _progress(f"round {k + 1}/{args.repeat}: {spec['kind']} n={spec['n']:,}{fd}")
            _wait_quiet(args.wait_quiet)
            got.append(run_child(spec))
            _progress(
                f"  done: run {got[-1]['run_s']:.2f} s, build {got[-1]['build_s']:.2f} s, "
                f"peak {got[-1]['peak_rss_mib']:.0f} MiB"
            )
        results.append(got)
    rows = summarise(specs, results)
    million = None
    if args.million:
        spec = {"kind": OURS, "n": args.million, "firm_data": False, "steps": args.steps}
        _progress(f"one run: {OURS} n={args.million:,} firm_data=off, timed whole")
        _wait_quiet(args.wait_quiet)
        million = run_child({**spec, "seed": args.seed})
        _progress(f"  done: {million['process_s']:.1f} s, peak {million['peak_rss_mib']:.0f} MiB")
    env["machine load after"] = _machine_load()

    def find(kind, n=None, firm_data=None):
        for r in rows:
            if r["kind"] == kind and (n is None or r["n"] == n) and r["firm_data"] == firm_data:
                return r
        return None

    ref, shipped = find(REF), find(SHIPPED)
    mid, big = find(OURS, args.ref_size, False), find(OURS, args.sizes[-1], False)
    mid_fd = find(OURS, args.ref_size, True)
    ratio = mid["us_per_agent_step"] / ref["us_per_agent_step"]
    scaling = big["s_per_step"] / mid["s_per_step"]
    size_factor = big["agents"] / mid["agents"]

    print("Scale benchmark: TradeClusterModel vs Mesa's Boltzmann wealth model")
    print("  " + "; ".join(f"{k} {env[k]}" for k in ("code", "python", "mesa", "numpy")))
    print("  " + "; ".join(f"{k} {env[k]}" for k in ("machine", "OPENBLAS_CORETYPE")))
    print("  " + "; ".join(f"{k}: {v}" for k, v in env.items() if k.startswith("machine load")))
    print(
        f"  {args.steps} steps per run, fastest of {args.repeat} run(s), each row in a fresh "
        "process; times exclude"
    )
    print("  construction (build_s); peak_MiB = peak RSS of that process; import_MiB = its RSS")
    print("  after imports, before the build; cpu/wall = CPU over wall time of the steps;")
    print("  others = CPUs kept busy by other processes meanwhile (0 on a quiet machine)")
    print()
    print_table(rows)
    print()
    disturbed = [r for r in rows if _disturbed(r)]
    if disturbed:
        print(
            "WARNING: other processes used the CPU during "
            + ", ".join(f"{LABELS[r['kind']].strip()} n={r['agents']:,}" for r in disturbed)
            + f" (others > {OTHERS_LIMIT} CPU or cpu/wall < {CPU_WALL_LIMIT}): those times"
            " are inflated and the ratio and scaling are unreliable; rerun on a quiet machine"
        )
    print("collectors: model = model reporters every step (firm_data off); model+firm = plus")
    print("  firm-level records every step (information only); model+agent = Boltzmann's own")
    print("  DataCollector (Gini + per-agent Wealth) and DataRecorder, as shipped.")
    print(f"reference for the ratio: {LABELS[REF]} = shipped BoltzmannWealth (step, gini,")
    print("  collectors unchanged) without its grid; agents run the shipped MoneyAgent.step")
    print("  minus move(), giving to a uniformly drawn other agent. Chosen because the ratio")
    print("  compares with the non-spatial model and Mesa 3.5 ships only a spatial one; it is the")
    print(
        f"  faster, stricter reference. Shipped spatial: {shipped['grid']} grid, "
        "one agent per cell."
    )
    print()
    print(
        f"info: ratio vs shipped spatial Boltzmann = "
        f"{mid['us_per_agent_step'] / shipped['us_per_agent_step']:.3f}"
    )
    if mid_fd is not None:
        print(
            f"info: ratio with firm_data on at {mid_fd['agents']:,} firms = "
            f"{mid_fd['us_per_agent_step'] / ref['us_per_agent_step']:.3f}"
        )
    cpu_ratio = mid["cpu_us_per_agent_step"] / ref["cpu_us_per_agent_step"]
    cpu_scaling = big["cpu_s"] / mid["cpu_s"]  # same number of steps
    print(
        f"info: on CPU time instead of wall time (disturbed less by other load): ratio = "
        f"{cpu_ratio:.3f}, scaling = {cpu_scaling:.3f}"
    )
    total_big = big["build_s"] + big["run_s"]
    print(
        f"info: {big['agents']:,} firms x {args.steps} steps: build + run = {total_big:.1f} s "
        f"(build {big['build_s']:.1f} s), peak {big['peak_rss_mib'] / 1024:.2f} GiB"
    )
    checks = [
        (f"ratio <= {TARGET_RATIO}", ratio <= TARGET_RATIO),
        (
            f"scaling <= {TARGET_SCALING_SLACK * size_factor:g}",
            scaling <= TARGET_SCALING_SLACK * size_factor,
        ),
    ]
    if big["agents"] >= 100_000 and args.steps >= 40:
        checks += [
            (f"100k x 40 steps < {TARGET_100K_SECONDS:g} s", total_big < TARGET_100K_SECONDS),
            (
                f"100k peak < {TARGET_100K_GIB:g} GiB",
                big["peak_rss_mib"] < TARGET_100K_GIB * 1024,
            ),
        ]
    if million is not None:
        whole, gib = million["process_s"], million["peak_rss_mib"] / 1024
        print(
            f"info: one run of {million['agents']:,} firms x {args.steps} steps, timed whole: "
            f"{whole:.1f} s wall (interpreter start and imports, build "
            f"{million['build_s']:.1f} s, steps {million['run_s']:.1f} s = "
            f"{million['run_s'] / args.steps:.2f} s each), peak {gib:.2f} GiB, "
            f"others {million['other_cpus'] or 0:.2f} CPU"
        )
        if million["agents"] >= 1_000_000 and args.steps >= 40:
            checks += [
                (f"1M x 40 steps < {TARGET_MILLION_SECONDS:g} s", whole < TARGET_MILLION_SECONDS),
                (f"1M peak < {TARGET_MILLION_GIB:g} GiB", gib < TARGET_MILLION_GIB),
            ]
    print("targets: " + "; ".join(f"{name}: {'ok' if ok else 'MISSED'}" for name, ok in checks))
    print(
        f"ratio uses {mid['agents']:,} firms vs {ref['agents']:,} agents ({LABELS[REF].strip()});"
        f" scaling uses {big['agents']:,} over {mid['agents']:,} firms"
    )
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(
                {
                    "env": env,
                    "args": {k: v for k, v in vars(args).items() if k != "child"},
                    "rows": rows,
                    "reference": REF,
                    "ratio_per_firm_step_vs_boltzmann": ratio,
                    "scaling_100k_over_10k": scaling,
                    "million": million,
                    "targets": dict(checks),
                },
                fh,
                indent=2,
            )
    print(f"ratio_per_firm_step_vs_boltzmann={ratio:.4f}")
    print(f"scaling_100k_over_10k={scaling:.4f}")
    if million is not None:
        print(f"million_firms_40y_seconds={million['process_s']:.1f}")
        print(f"million_firms_peak_gib={million['peak_rss_mib'] / 1024:.3f}")


if __name__ == "__main__":
    main()
