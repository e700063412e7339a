"""``abm calibrate``: ABC-SMC (pyabc) with a method-of-simulated-moments distance.

The distance of a parameter point is the weighted mean of the squared standardised
deviations of its moments from the observed ones,

    L(theta) = sum_i w_i ((m_i(theta) - o_i) / s_i)^2 / sum_i w_i,

over the moments in the loss (not hold-out), where ``m_i(theta)`` is the mean over the
targets' seeds of moment ``i`` at ``theta`` (the same seeds for every point), ``o_i`` the
observed value and ``s_i`` half the width of its interval. pyabc's ABC-SMC
(:class:`pyabc.ABCSMC`, uniform priors over the declared ranges, an adaptive Gaussian
transition, a median epsilon schedule starting at infinity) proposes the points.

The simulations run on the executors of ``abm experiment`` through a pyabc sampler that
first draws a batch of proposals, runs their simulations in parallel (skipping those already
in ``DIR/sims``), then replays the draws from the same random state and evaluates them from
the cache. pyabc's random draws never depend on the model's output, so the sequence of
points, and hence the result, depends only on the seed: it is the same serially, in a pool,
on Dask, and after a kill and restart (the finished simulations are read back, not redone).
"""

from __future__ import annotations

import contextlib
import csv
import json
import logging
import math
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from abm.calibration.simulate import Simulator, seeds_for
from abm.calibration.targets import Targets, TargetsError

#: Distance of a point whose simulations failed or whose moments are undefined.
FAIL_LOSS = 1e6
METHOD = "ABC-SMC (pyabc), method-of-simulated-moments distance"


def loss(targets: Targets, values: dict[str, float]) -> float:
    """The weighted MSM distance of a point's mean moments from the observed ones."""
    num = den = 0.0
    for m in targets.fitted:
        if m.weight == 0:
            continue
        x = values.get(m.name, math.nan)
        if not math.isfinite(x):
            return FAIL_LOSS
        num += m.weight * ((x - m.observed) / m.scale) ** 2
        den += m.weight
    return num / den if den > 0 else 0.0


def default_population(budget: int) -> int:
    """Particles per generation: a quarter of the budget, between 4 and 100 (at most the
    budget)."""
    return int(min(budget, max(4, min(100, budget // 4))))


@dataclass
class CalibrationResult:
    """What :func:`calibrate` found and wrote."""

    out_dir: Path
    best: dict[str, float]
    best_loss: float
    posterior: dict[str, dict[str, float]]
    evaluations: int
    simulations_run: int
    simulations_reused: int
    generations: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0
    files: list[Path] = field(default_factory=list)

    def __str__(self) -> str:
        best = ", ".join(f"{k} = {v:.4g}" for k, v in self.best.items())
        return (
            f"{self.evaluations} points ({self.simulations_run} simulations run, "
            f"{self.simulations_reused} reused) in {self.seconds:.1f} s; best loss "
            f"{self.best_loss:.4g} at {best}"
        )


def _sampler_class():
    from pyabc.sampler import Sampler

    class PrefetchSampler(Sampler):
        """Runs each batch of proposals' simulations on an executor, then evaluates them.

        See the module docstring: the proposals are drawn twice from the same random state,
        once to learn which simulations are needed and once to evaluate them.
        """

        def __init__(self, calib: _Calibration) -> None:
            super().__init__()
            self.calib = calib
            self.show_progress = False

        def sample_until_n_accepted(
            self, n, simulate_one, t, *, max_eval=np.inf, all_accepted=False, ana_vars=None
        ):
            c = self.calib
            sample = self._create_empty_sample()
            used = accepted = 0
            rate = c.rates[-1] if c.rates else 1.0
            while accepted < n and used < max_eval:
                remaining = c.budget - c.evaluated
                if remaining <= 0:
                    break
                need = math.ceil((n - accepted) / max(rate, 0.05))
                batch = int(min(remaining, max(need, c.workers)))
                state = np.random.get_state()
                c.recording = []
                for _ in range(batch):
                    simulate_one()
                points, c.recording = c.recording, None
                c.sim.ensure(points, c.seeds)
                np.random.set_state(state)
                for _ in range(batch):
                    particle = simulate_one()
                    sample.append(particle)
                    used += 1
                    c.record(t, particle)
                    accepted += bool(particle.accepted)
                    if accepted >= n:
                        break
            c.rates.append(accepted / used if used else 1.0)
            self.nr_evaluations_ = used
            if accepted < n:
                sample.ok = False
            return sample

    return PrefetchSampler


class _Calibration:
    def __init__(self, targets: Targets, sim: Simulator, seeds: list[int], budget: int, workers):
        self.targets = targets
        self.sim = sim
        self.seeds = seeds
        self.budget = budget
        self.workers = workers
        self.evaluated = 0
        self.recording: list[dict] | None = None
        self.rates: list[float] = []
        self.rows: list[dict[str, Any]] = []
        self.observed = {m.name: m.observed for m in targets.fitted}
        self.say: Callable[[str], None] = lambda text: None

    def params_of(self, pars) -> dict[str, float]:
        out: dict[str, float] = {}
        for p in self.targets.free:
            v = float(pars[p.name])
            out[p.name] = int(round(v)) if p.integer else v
        return out

    def model(self, pars) -> dict[str, float]:
        params = self.params_of(pars)
        if self.recording is not None:
            self.recording.append(params)
            return dict(self.observed)
        per_seed = self.sim.moments(params, self.seeds)
        with np.errstate(all="ignore"):
            means = per_seed.mean(axis=0)  # NaN when any seed failed
        values = {m.name: float(v) for m, v in zip(self.targets.moments, means, strict=True)}
        return {k: values[k] for k in self.observed}

    def distance(self, x: dict, x0: dict) -> float:
        return loss(self.targets, x)

    def record(self, t: int, particle) -> None:
        self.evaluated += 1
        row: dict[str, Any] = {"evaluation": self.evaluated, "generation": t}
        row.update(self.params_of(particle.parameter))
        row["loss"] = float(particle.distance)
        row["accepted"] = bool(particle.accepted)
        self.rows.append(row)


def _quiet_pyabc() -> None:
    for name in ("ABC", "pyabc", "Sampler", "History", "Epsilon", "Distance", "Acceptor"):
        logging.getLogger(name).setLevel(logging.WARNING)
    for name in list(logging.root.manager.loggerDict):
        if name.startswith(("ABC", "pyabc")):
            logging.getLogger(name).setLevel(logging.WARNING)


def _weighted_quantile(x: np.ndarray, w: np.ndarray, q: float) -> float:
    order = np.argsort(x)
    x, w = x[order], w[order]
    cw = np.cumsum(w) - 0.5 * w
    cw /= w.sum()
    return float(np.interp(q, cw, x))


def calibrate(
    targets: Targets,
    out_dir: str | Path,
    budget: int,
    seeds: int | None = None,
    seed: int | None = None,
    population: int | None = None,
    workers: int = 1,
    executor: str = "process",
    scheduler: str | None = None,
    progress: bool = False,
    figures: bool = True,
    log: Callable[[str], None] | None = None,
) -> CalibrationResult:
    """Calibrate the targets' free parameters; write the results to ``out_dir``.

    Parameters
    ----------
    targets : Targets
        From :func:`abm.calibration.load_targets`.
    out_dir : path
        Output directory. Finished simulations in ``out_dir/sims`` are reused.
    budget : int
        Parameter points to evaluate (each with ``seeds`` simulations).
    seeds : int, optional
        Simulations per point (default: the targets' ``seeds``).
    seed : int, optional
        Seed of the ABC-SMC draws (default: the targets' ``base_seed``).
    population : int, optional
        Particles per generation (default: a quarter of the budget, 4 to 100).
    workers, executor, scheduler :
        As for ``abm experiment run``.
    progress : bool
        Progress bar of the simulations and one line per generation.
    figures : bool
        Write ``loss.png`` and ``posterior.png``.

    Returns
    -------
    CalibrationResult
    """
    from abm.extras import needs

    with needs("calibration", "abm calibrate"):
        import pyabc

    say = log or (lambda text: None)
    if isinstance(budget, bool) or not isinstance(budget, int) or budget < 2:
        raise TargetsError(f"--budget: invalid value {budget!r}; allowed: an integer >= 2")
    if seeds is not None and (isinstance(seeds, bool) or not 1 <= seeds <= 1000):
        raise TargetsError(f"--seeds: invalid value {seeds!r}; allowed: an integer in [1, 1000]")
    pop = population or default_population(budget)
    if pop < 2 or pop > budget:
        raise TargetsError(
            f"--population: invalid value {pop!r}; allowed: an integer in [2, budget]"
        )
    seed = targets.base_seed if seed is None else int(seed)
    seed_list = seeds_for(targets, seeds)
    t0 = time.perf_counter()
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise TargetsError(f"--out {out_dir}: not a directory")
    total = budget * len(seed_list)
    sim = Simulator(targets, out_dir, executor, workers, scheduler, progress, total, say)
    sim.open()  # reach the executor (a Dask scheduler) before anything is written
    lock = None
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        lock = _lock(out_dir)
        calib = _Calibration(targets, sim, seed_list, budget, workers)
        _quiet_pyabc()
        priors = pyabc.Distribution(
            **{p.name: pyabc.RV("uniform", p.low, p.high - p.low) for p in targets.free}
        )
        db = out_dir / "abc.db"
        for path in (db, db.with_name(db.name + "-journal")):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
        abc = pyabc.ABCSMC(
            calib.model,
            priors,
            calib.distance,
            population_size=pop,
            eps=pyabc.MedianEpsilon(initial_epsilon=np.inf),
            sampler=_sampler_class()(calib),
        )
        state = np.random.get_state()
        np.random.seed(seed % 2**32)
        try:
            with warnings.catch_warnings():
                # pyabc compares the first two epsilons (inf - inf) when it checks progress
                warnings.filterwarnings("ignore", category=RuntimeWarning, module="pyabc")
                abc.new(f"sqlite:///{db}", calib.observed)
                history = abc.run(max_total_nr_simulations=budget)
        finally:
            np.random.set_state(state)
        result = _write(targets, out_dir, calib, history, seed, pop, seed_list, budget, figures)
    finally:
        sim.close()
        if lock is not None:
            lock.close()
    result.simulations_run, result.simulations_reused = sim.ran, sim.reused
    result.seconds = time.perf_counter() - t0
    _update_summary(out_dir, result)
    return result


def _lock(out_dir: Path):
    """An exclusive lock on ``DIR/.lock`` (released when the file closes or the process ends)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: no lock
        return None
    fh = open(out_dir / ".lock", "a+")  # noqa: SIM115 - closed by the caller
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        fh.close()
        raise TargetsError(
            f"{out_dir}: another 'abm calibrate' is writing to this directory"
        ) from None
    return fh


def _posterior(history, targets: Targets) -> tuple[Any, np.ndarray, int]:
    t = history.max_t
    df, w = history.get_distribution(m=0, t=t)
    return df, np.asarray(w, dtype=float), int(t)


def _write(
    targets: Targets,
    out_dir: Path,
    calib: _Calibration,
    history,
    seed: int,
    pop: int,
    seed_list: list[int],
    budget: int,
    figures: bool,
) -> CalibrationResult:
    from abm.experiments.runner import atomic_write
    from abm.experiments.worker import package_version

    names = [p.name for p in targets.free]
    rows = calib.rows
    if not rows:
        raise TargetsError("the calibration evaluated no point; raise --budget")
    best_row = min(rows, key=lambda r: (r["loss"], r["evaluation"]))
    best = {n: best_row[n] for n in names}
    pops = history.get_all_populations()
    gens = [
        {
            "generation": int(r.t),
            "epsilon": float(r.epsilon),
            "evaluations": int(r.samples),
        }
        for r in pops.itertuples()
        if r.t >= 0
    ]
    df, w, t_last = _posterior(history, targets)
    posterior: dict[str, dict[str, float]] = {}
    for n in names:
        x = df[n].to_numpy(dtype=float)
        posterior[n] = {
            "mean": float(np.average(x, weights=w)),
            "median": _weighted_quantile(x, w, 0.5),
            "low": _weighted_quantile(x, w, 0.025),
            "high": _weighted_quantile(x, w, 0.975),
            "prior_low": next(p.low for p in targets.free if p.name == n),
            "prior_high": next(p.high for p in targets.free if p.name == n),
        }
    files: list[Path] = []
    # loss history
    hist_path = out_dir / "loss_history.csv"
    lines = [["evaluation", "generation", *names, "loss", "accepted"]]
    lines += [
        [r["evaluation"], r["generation"], *[r[n] for n in names], r["loss"], r["accepted"]]
        for r in rows
    ]
    atomic_write(hist_path, _csv(lines))
    files.append(hist_path)
    post_path = out_dir / "posterior.csv"
    plines: list[list[Any]] = [[*names, "weight"]]
    plines += [[*[float(df[n].iloc[i]) for n in names], float(w[i])] for i in range(len(w))]
    atomic_write(post_path, _csv(plines))
    files.append(post_path)
    best_path = out_dir / "best_params.toml"
    text = "# Best point of the calibration (lowest loss); not a shipped calibration.\n"
    text += f"# loss = {best_row['loss']:.6g}\n"
    text += "".join(f"{n} = {best[n]!r}\n" for n in names)
    atomic_write(best_path, text.encode())
    files.append(best_path)
    summary = {
        "targets": targets.path,
        "targets_name": targets.name,
        "method": METHOD,
        "library": f"pyabc {_pyabc_version()}",
        "abm_version": package_version(),
        "budget": budget,
        "population": pop,
        "seed": seed,
        "model_seeds": seed_list,
        "preset": targets.preset,
        "fixed": targets.fixed,
        "steps": targets.steps,
        "free": {p.name: [p.low, p.high] for p in targets.free},
        "moments": [m.name for m in targets.fitted],
        "holdout": [m.name for m in targets.holdout],
        "best": best,
        "best_loss": best_row["loss"],
        "posterior_generation": t_last,
        "posterior": posterior,
        "generations": gens,
        "evaluations": len(rows),
    }
    atomic_write(out_dir / "calibration.json", json.dumps(summary, indent=1).encode())
    files.append(out_dir / "calibration.json")
    if figures:
        files += _figures(out_dir, names, rows, df, w, best, targets)
    return CalibrationResult(
        out_dir=out_dir,
        best=best,
        best_loss=float(best_row["loss"]),
        posterior=posterior,
        evaluations=len(rows),
        simulations_run=0,
        simulations_reused=0,
        generations=gens,
        files=files,
    )


def _update_summary(out_dir: Path, result: CalibrationResult) -> None:
    from abm.experiments.runner import atomic_write

    path = out_dir / "calibration.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data.update(
        simulations_run=result.simulations_run,
        simulations_reused=result.simulations_reused,
        seconds=round(result.seconds, 2),
    )
    atomic_write(path, json.dumps(data, indent=1).encode())


def _pyabc_version() -> str:
    from importlib.metadata import version

    try:
        return version("pyabc")
    except Exception:  # pragma: no cover
        return "unknown"


def _csv(rows: list[list[Any]]) -> bytes:
    import io

    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    return buf.getvalue().encode()


def _figures(out_dir, names, rows, df, w, best, targets: Targets) -> list[Path]:
    from matplotlib import colormaps
    from matplotlib.figure import Figure

    from abm.experiments.runner import atomic_write

    written = []
    ev = np.array([r["evaluation"] for r in rows])
    ls = np.array([min(r["loss"], FAIL_LOSS) for r in rows])
    gen = np.array([r["generation"] for r in rows])
    fig = Figure(figsize=(7, 4), layout="constrained")
    ax = fig.add_subplot()
    n_gen = int(gen.max()) + 1
    cmap = colormaps["viridis"].resampled(max(n_gen, 2))
    sc = ax.scatter(ev, ls, c=gen, s=12, cmap=cmap, vmin=-0.5, vmax=n_gen - 0.5, label="point")
    ax.plot(ev, np.minimum.accumulate(ls), color="black", lw=1.2, label="best so far")
    ax.set_yscale("log")
    ax.set_xlabel("evaluation (parameter point)")
    ax.set_ylabel("loss (weighted squared standardised deviation)")
    ax.set_title("Calibration loss by evaluation")
    fig.colorbar(sc, ax=ax, label="ABC-SMC generation", ticks=range(n_gen))
    ax.legend(loc="upper right")
    written.append(_save(fig, out_dir / "loss.png", atomic_write))
    k = len(names)
    fig = Figure(figsize=(3.2 * k, 3.2), layout="constrained")
    for i, n in enumerate(names):
        ax = fig.add_subplot(1, k, i + 1)
        p = next(p for p in targets.free if p.name == n)
        ax.hist(
            df[n].to_numpy(dtype=float),
            bins=12,
            range=(p.low, p.high),
            weights=w,
            color="tab:blue",
            alpha=0.7,
        )
        ax.axvline(best[n], color="black", lw=1.2, label="best point")
        ax.set_xlim(p.low, p.high)
        ax.set_xlabel(n)
        ax.set_ylabel("posterior weight" if i == 0 else "")
        if i == 0:
            ax.legend(loc="upper right", fontsize=8)
    fig.suptitle("Marginal posteriors (last generation) over the prior ranges")
    written.append(_save(fig, out_dir / "posterior.png", atomic_write))
    if k >= 2:
        written.append(_landscape(out_dir, names, rows, df, w, targets, atomic_write))
    return written


def _landscape(out_dir, names, rows, df, w, targets: Targets, atomic_write) -> Path:
    """Loss of every evaluated point over the two best-identified parameters.

    The two parameters whose posterior 95 % interval is narrowest relative to the prior.
    """
    from matplotlib.colors import LogNorm
    from matplotlib.figure import Figure

    def narrowing(n: str) -> float:
        p = next(p for p in targets.free if p.name == n)
        x = df[n].to_numpy(dtype=float)
        width = _weighted_quantile(x, w, 0.975) - _weighted_quantile(x, w, 0.025)
        return width / (p.high - p.low)

    a, b = sorted(names, key=narrowing)[:2]
    x = np.array([r[a] for r in rows], dtype=float)
    y = np.array([r[b] for r in rows], dtype=float)
    z = np.array([max(min(r["loss"], FAIL_LOSS), 1e-9) for r in rows])
    fig = Figure(figsize=(6, 5), layout="constrained")
    ax = fig.add_subplot()
    order = np.argsort(-z)  # the lowest losses drawn last, on top
    sc = ax.scatter(x[order], y[order], c=z[order], s=18, cmap="viridis_r", norm=LogNorm())
    best = int(np.argmin(z))
    ax.scatter([x[best]], [y[best]], marker="*", s=180, color="red", label="best point")
    pa = next(p for p in targets.free if p.name == a)
    pb = next(p for p in targets.free if p.name == b)
    ax.set_xlim(pa.low, pa.high)
    ax.set_ylim(pb.low, pb.high)
    ax.set_xlabel(a)
    ax.set_ylabel(b)
    ax.set_title("Loss of every evaluated point (two best-identified parameters)")
    ax.legend(loc="upper right", fontsize=8)
    fig.colorbar(sc, ax=ax, label="loss (log scale)")
    return _save(fig, out_dir / "landscape.png", atomic_write)


def _save(fig, path: Path, atomic_write) -> Path:
    import io

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    atomic_write(path, buf.getvalue())
    return path


__all__ = ["FAIL_LOSS", "METHOD", "CalibrationResult", "calibrate", "default_population", "loss"]
