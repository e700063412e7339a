"""Progress bars on stderr for long work (runs, sweeps, calibrations)."""

from __future__ import annotations

import sys
from typing import Any

#: Seconds between updates when stderr is not a terminal (a log file, a batch job's output),
#: so a long sweep writes a few lines a minute instead of one per run.
LOG_INTERVAL = 30.0


def progress_bar(iterable: Any = None, *, enabled: bool = True, **kwargs: Any) -> Any:
    """A tqdm bar on stderr: live in a terminal, every ``LOG_INTERVAL`` seconds otherwise;
    ``enabled=False`` shows nothing. Other keywords go to tqdm (``total``, ``desc``, ...)."""
    from tqdm.auto import tqdm

    stream = sys.stderr
    live = bool(getattr(stream, "isatty", lambda: False)())
    kwargs.setdefault("mininterval", 0.1 if live else LOG_INTERVAL)
    return tqdm(iterable, disable=not enabled, file=stream, dynamic_ncols=live, **kwargs)
