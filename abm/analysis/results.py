"""Read a results directory into tidy pandas frames; summarise replicates."""

from __future__ import annotations

import hashlib
import warnings
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from abm.experiments.runner import (
    check_run,
    describe_left_out,
    read_experiment_json,
    read_manifest,
    run_paths,
)
from abm.parquet_read import read_frame

#: Columns that identify a run in :func:`load_results`.
ID_COLUMNS = ("run_id", "point", "replicate", "seed", "preset")


#: Columns of the manifest that describe a run (not its parameters).
MANIFEST_COLUMNS = (
    "run_id",
    "point",
    "replicate",
    "seed",
    "preset",
    "status",
    "error",
    "duration_s",
    "started",
    "finished",
    "host",
    "version",
)


def _experiment(results) -> dict:
    if isinstance(results, str | Path):
        return read_experiment_json(results) or {}
    return dict(getattr(results, "attrs", {}).get("experiment", {}) or {})


def load_manifest(out_dir: str | Path) -> pd.DataFrame:
    """One row per run (its latest record): ids, seed, status, error, duration, version, and
    one column per mode (bool) and per parameter override."""
    out_dir = Path(out_dir)
    records = read_manifest(out_dir)
    if not records and not out_dir.exists():
        raise FileNotFoundError(f"results directory not found: {out_dir}")
    rows = []
    for rec in records.values():
        rec = {"preset": rec.get("scenario"), **rec}  # records before 'preset'
        row = {k: rec.get(k) for k in MANIFEST_COLUMNS}
        row.update(rec.get("factors") or {})
        for k, v in (rec.get("params") or {}).items():
            row.setdefault(k, v)
        rows.append(row)
    frame = pd.DataFrame(rows)
    if len(frame):
        frame = frame.sort_values(["point", "replicate"], kind="stable").reset_index(drop=True)
    return frame


def load_results(
    out_dir: str | Path,
    reporters: Sequence[str] | None = None,
    params: str | Sequence[str] = "experiment",
) -> pd.DataFrame:
    """All finished runs of a results directory as one tidy frame.

    One row per run and step, with the columns ``run_id, point, replicate, seed, preset``,
    one boolean column per factorial mode, parameter columns, then ``Step, year`` and the
    reporters. Failed runs and runs whose file is missing or corrupt (its sha256 differs
    from the manifest's) are left out with a warning that counts them by reason; the runs
    left out and why are in ``frame.attrs["left_out"]`` (run id -> reason).

    Parameters
    ----------
    out_dir : path
        A directory written by ``abm experiment run`` / :func:`abm.experiments.run_experiment`.
    reporters : list of str, optional
        Reporters to read (default: every recorded one).
    params : "experiment", "varied", "all" or list of str
        Parameter columns: those the experiment sets (fixed and varied, default), only the
        varied ones, every override recorded, or the named ones.

    A varied parameter that is also a reporter name (e.g. ``carbon_price``) keeps its name for
    the parameter, and the reporter is renamed ``carbon_price_reporter``; a fixed parameter
    with a reporter's name is not added (see ``frame.attrs["experiment"]["fixed"]``).

    The experiment description (``experiment.json``) is attached as
    ``frame.attrs["experiment"]``; :func:`factorial_effects` and :func:`sobol_indices` use it.
    """
    out_dir = Path(out_dir)
    manifest = load_manifest(out_dir)
    exp = read_experiment_json(out_dir) or {}
    if not len(manifest):
        raise ValueError(f"{out_dir}: no runs recorded (no {out_dir / 'manifest.jsonl'})")
    frames, reasons = _read_runs(out_dir)
    if reasons:
        warnings.warn(f"{out_dir}: {describe_left_out(reasons)}", stacklevel=2)
    ok = manifest[~manifest["run_id"].isin(list(reasons))]
    modes = [m for m in exp.get("modes", []) if m in manifest.columns]
    names = _param_names(params, exp, manifest, modes)
    if not frames:
        raise ValueError(f"{out_dir}: no finished runs to load")
    data = _without_id_columns(pd.concat(frames, ignore_index=True))
    data, names = _separate_reporters(data, names, set(exp.get("varied", [])))
    meta = ok[["run_id", "point", "replicate", "seed", "preset", *modes, *names]].copy()
    for m in modes:
        meta[m] = meta[m].astype(bool)
    out = meta.merge(data, on="run_id", how="inner", validate="one_to_many")
    if reporters is not None:
        out = _select_reporters(out, data, meta.columns, reporters)
    out = out.sort_values(["point", "replicate", "Step"], kind="stable").reset_index(drop=True)
    out.attrs["experiment"] = exp
    out.attrs["left_out"] = reasons
    return out


def _param_names(
    params: str | Sequence[str], exp: dict, manifest: pd.DataFrame, modes: list[str]
) -> list[str]:
    """The parameter columns ``params`` of :func:`load_results` asks for, in the manifest."""
    if isinstance(params, str):
        if params == "experiment":
            names = [*exp.get("varied", []), *exp.get("fixed", {})]
        elif params == "varied":
            names = list(exp.get("varied", []))
        elif params == "all":
            names = [c for c in manifest.columns if c not in _MANIFEST_COLS and c not in modes]
        else:
            raise ValueError(
                f"params: invalid value {params!r}; allowed: 'experiment', 'varied', 'all' "
                "or a list of parameter names"
            )
    else:
        names = list(params)
    return [
        n for n in dict.fromkeys(names) if n not in ("scenario", "preset") and n in manifest.columns
    ]


def _without_id_columns(data: pd.DataFrame) -> pd.DataFrame:
    """The run files' frame without their own id columns (point, seed, preset, mode_*,
    param_*): those come from the manifest, with the parameters under their own names."""
    return data.drop(
        columns=[
            c
            for c in data.columns
            if c in ("point", "replicate", "seed", "preset", "scenario")
            or c.startswith(("param_", "mode_"))
        ]
    )


def _separate_reporters(
    data: pd.DataFrame, names: list[str], varied: set[str]
) -> tuple[pd.DataFrame, list[str]]:
    """Parameters that are also reporters (carbon_price, n_firms, ...): a varied parameter
    keeps the name and the reporter becomes ``<name>_reporter``; a fixed one is left out."""
    clash = [n for n in names if n in data.columns]
    data = data.rename(columns={n: f"{n}_reporter" for n in clash if n in varied})
    return data, [n for n in names if n not in clash or n in varied]


def _select_reporters(
    out: pd.DataFrame, data: pd.DataFrame, meta: Iterable[str], reporters: Sequence[str]
) -> pd.DataFrame:
    """``out`` with the run columns ``meta``, ``Step``, ``year`` and only ``reporters``."""
    missing = [r for r in reporters if r not in out.columns]
    if missing:
        raise ValueError(
            f"unknown reporter {missing[0]!r}; recorded: "
            + ", ".join(c for c in data.columns if c not in ("run_id", "Step", "year"))
        )
    return out[[*meta, "Step", "year", *[r for r in reporters if r not in ("year", "Step")]]]


def _read_runs(out_dir: Path) -> tuple[list[pd.DataFrame], dict[str, str]]:
    """The model frames of the intact finished runs, and the runs left out with the reason.

    A file whose sha256 differs from the manifest's is left out as corrupt.
    """
    frames, reasons = [], {}
    for rid, rec in sorted(read_manifest(out_dir).items()):
        if rec.get("status") != "ok":
            reasons[rid] = check_run(out_dir, rec) or "failed"
            continue
        path = run_paths(out_dir, rid)[0]
        try:
            data = path.read_bytes()
        except OSError:
            reasons[rid] = f"missing file {path}"
            continue
        want = (rec.get("sha256") or {}).get("model")
        if want is not None and hashlib.sha256(data).hexdigest() != want:
            reasons[rid] = f"corrupt file {path} (sha256 differs from the manifest)"
            continue
        frames.append(read_frame(data))
    return frames, reasons


_MANIFEST_COLS = set(MANIFEST_COLUMNS)


def load_firms(out_dir: str | Path, run_ids: Iterable[str] | None = None) -> pd.DataFrame:
    """Firm frames of the given runs (default: every run that kept firm data), stacked."""
    out_dir = Path(out_dir)
    manifest = load_manifest(out_dir)
    ok = manifest[manifest["status"] == "ok"]
    ids = list(ok["run_id"]) if run_ids is None else list(run_ids)
    frames = [read_frame(p) for p in (run_paths(out_dir, r)[1] for r in ids) if p.exists()]
    if not frames:
        return pd.DataFrame()
    return pd.concat(frames, ignore_index=True)


def design_columns(frame: pd.DataFrame) -> list[str]:
    """Columns that describe a design point (scenario, modes, varied parameters)."""
    exp = frame.attrs.get("experiment", {}) or {}
    cols = ["preset", "scenario", *exp.get("modes", []), *exp.get("varied", [])]
    return [c for c in dict.fromkeys(cols) if c in frame.columns and c != "point"]


def at_year(frame: pd.DataFrame, year: int | None = None) -> pd.DataFrame:
    """Rows of one calendar year (default: the last year every run reached)."""
    if year is None:
        year = int(frame.groupby("run_id")["year"].max().min())
    rows = frame[frame["year"] == year]
    if rows.empty:
        years = sorted(frame["year"].unique())
        raise ValueError(f"year {year}: not in the results; years {years[0]}..{years[-1]}")
    out = rows.copy()
    out.attrs = dict(frame.attrs)
    return out


def t_interval(values: np.ndarray, conf: float = 0.95) -> tuple[float, float, float, float]:
    """Mean, standard error, and a t-based confidence interval of ``values``."""
    from scipy import stats

    v = np.asarray(values, float)
    v = v[~np.isnan(v)]
    n = len(v)
    if n == 0:
        return (np.nan, np.nan, np.nan, np.nan)
    mean = float(v.mean())
    if n < 2:
        return (mean, np.nan, np.nan, np.nan)
    se = float(v.std(ddof=1) / np.sqrt(n))
    h = float(stats.t.ppf(0.5 + conf / 2, n - 1) * se)
    return (mean, se, mean - h, mean + h)


def replicate_summary(
    frame: pd.DataFrame,
    reporters: str | Sequence[str] | None = None,
    by: Sequence[str] | None = None,
    conf: float = 0.95,
) -> pd.DataFrame:
    """Mean and t-based confidence interval across replicates, per point and year.

    Returns a long frame: the ``by`` columns (default: ``point`` and the design columns),
    ``year``, ``reporter``, ``mean``, ``sd``, ``n``, ``se``, ``ci_low``, ``ci_high``.
    """
    if reporters is None:
        reporters = reporter_columns(frame)
    elif isinstance(reporters, str):
        reporters = [reporters]
    missing = [r for r in reporters if r not in frame.columns]
    if missing:
        raise ValueError(f"unknown reporter {missing[0]!r}")
    by = ["point", *design_columns(frame)] if by is None else list(by)
    keys = [*by, "year"]
    long = frame[[*keys, *reporters]].melt(id_vars=keys, var_name="reporter", value_name="v")
    g = long.groupby([*keys, "reporter"], sort=True, dropna=False)["v"]
    out = g.agg(mean="mean", sd="std", n="count").reset_index()
    from scipy import stats

    out["se"] = out["sd"] / np.sqrt(out["n"])
    tq = stats.t.ppf(0.5 + conf / 2, np.maximum(out["n"] - 1, 1))
    half = np.where(out["n"] > 1, tq * out["se"], np.nan)
    out["ci_low"] = out["mean"] - half
    out["ci_high"] = out["mean"] + half
    out.attrs = dict(frame.attrs)
    return out


def reporter_columns(frame: pd.DataFrame) -> list[str]:
    """Numeric columns of a results frame that are reporters (not ids, modes or parameters)."""
    exp = frame.attrs.get("experiment", {}) or {}
    skip = {
        *ID_COLUMNS,
        "Step",
        "year",
        *exp.get("modes", []),
        *exp.get("varied", []),
        *exp.get("fixed", {}),
    }
    return [
        c
        for c in frame.columns
        if c not in skip
        and pd.api.types.is_numeric_dtype(frame[c])
        and not pd.api.types.is_bool_dtype(frame[c])
    ]


__all__ = [
    "at_year",
    "design_columns",
    "load_firms",
    "load_manifest",
    "load_results",
    "replicate_summary",
    "reporter_columns",
    "t_interval",
]
