"""Compiled loops: numba's ``njit`` with the settings every compiled loop of the model uses.

A stage that would make many passes over its firm arrays in numpy makes one or two in a
compiled loop. The loops keep numpy's floating-point semantics: division by zero gives
``inf`` or ``nan`` (``error_model="numpy"``), no fast-math reordering, so sums are added in
the order written. Compiled code is cached next to the module (numba's ``cache=True``), so
only the first run on a machine pays the compilation.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from numba import njit as _njit


def njit(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn`` compiled in nopython mode, cached, with numpy's division semantics."""
    return _njit(cache=True, nogil=True, error_model="numpy")(fn)


def interrupted(exc: BaseException | None) -> bool:
    """Whether ``exc`` is, or was caused by, a Ctrl-C (``KeyboardInterrupt``).

    A Ctrl-C that arrives while a compiled loop runs is raised when the loop returns, as a
    ``SystemError`` ("returned a result with an exception set") caused by the
    ``KeyboardInterrupt``, possibly through further ``SystemError``s; code that turns
    exceptions into failed runs or error lines asks this first.
    """
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, KeyboardInterrupt):
            return True
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return False
