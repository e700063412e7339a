"""What runs in a worker: build and run one model, check it, return its frames as bytes.

Nothing here writes files, so a run gives the same bytes serially, in a process pool or on
Dask. Every run file describes itself: the columns ``run_id, point, replicate, seed,
preset``, one ``mode_<name>`` column per factorial mode and one ``param_<name>`` column per
swept parameter, and the Parquet metadata (``DataFrame.attrs``) with every parameter's value.
"""

from __future__ import annotations

import io
import json
import os
import socket
import time
import traceback
import warnings
from collections.abc import Callable
from dataclasses import asdict, is_dataclass
from datetime import UTC, datetime
from typing import Any

from abm.experiments.spec import RunSpec

_TRACEBACK_CHARS = 6000
_MAX_WARNINGS = 10


def package_version() -> str:
    """The version of the ``abm`` package."""
    from abm import __version__

    return __version__


def utc_now() -> str:
    """The current UTC time, ISO 8601 to the millisecond."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def one_line(exc: BaseException) -> str:
    """``Type: first line of the message`` of an exception."""
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def id_columns(spec: RunSpec) -> dict[str, Any]:
    """The columns that make a run file self-describing, in order.

    ``run_id, point, replicate, seed, preset``, then ``mode_<name>`` per factorial mode and
    ``param_<name>`` per swept parameter (the value the run used; the reporter of the same
    name, e.g. ``carbon_price``, keeps its own column); with ``[uncertainty]``, ``draw``
    (the posterior row, or the replicate for intervals) and ``param_<name>`` per drawn
    parameter.
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
    if spec.draw is not None:  # [uncertainty]: the drawn row and the values the run used
        cols["draw"] = spec.draw
        cols.update({f"param_{k}": v for k, v in spec.drawn.items()})
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


def execute_batch(specs: list[RunSpec], model_factory: Callable | None = None) -> list[dict]:
    """:func:`execute` each of ``specs`` in turn (one task of several short runs)."""
    return [execute(spec, model_factory) for spec in specs]


def execute(spec: RunSpec, model_factory: Callable | None = None) -> dict[str, Any]:
    """Build and run one model; never raises for a model error.

    Returns a dict with ``status`` (``"ok"`` or ``"failed"``), ``error``, ``traceback``,
    timing, host and pid, and on success the model frame (and firm frame) as Parquet bytes.
    A run whose model reporters are not all finite is ``failed`` with the reporters and
    years in ``error`` (and ``nonfinite``). Warnings the run raises are not printed (a sweep
    would repeat them thousands of times) but returned in ``warnings`` (distinct messages,
    at most 10), which the manifest keeps. ``model_factory(preset=..., rng=..., **params)``
    replaces ``TradeClusterModel``.
    """
    started = utc_now()
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
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _run(spec, model_factory, out)
    seen = dict.fromkeys(f"{w.category.__name__}: {w.message}" for w in caught)
    if seen:
        out["warnings"] = list(seen)[:_MAX_WARNINGS]
    out["duration_s"] = round(time.perf_counter() - t0, 4)
    out["started"] = started
    out["finished"] = utc_now()
    return out


def _run(spec: RunSpec, model_factory: Callable | None, out: dict[str, Any]) -> None:
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
        from abm.jit import interrupted

        if interrupted(exc):  # Ctrl-C inside a compiled loop: the sweep's to handle
            raise KeyboardInterrupt from None
        out.update(
            status="failed",
            error=f"{type(exc).__name__}: {exc}",
            traceback=traceback.format_exc()[-_TRACEBACK_CHARS:],
            model=None,
            firms=None,
        )


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
        "abm_version": package_version(),
    }


def _parquet_bytes(frame, attrs: dict[str, Any] | None = None) -> bytes:
    frame.attrs = dict(attrs or {})
    buf = io.BytesIO()
    frame.to_parquet(buf, index=False)
    return buf.getvalue()


def lost(spec: RunSpec, error: str, exc: BaseException | None = None) -> dict[str, Any]:
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
        "finished": utc_now(),
    }


__all__ = [
    "execute",
    "execute_batch",
    "id_columns",
    "lost",
    "nonfinite",
    "one_line",
    "package_version",
    "utc_now",
]
