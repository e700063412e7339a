"""The model's seed: which values may seed its random streams (Mesa's ``rng``)."""

from __future__ import annotations

import numbers

import numpy as np

__all__ = ["RNG_ALLOWED", "check_rng"]

#: What ``rng`` may be, as said in error messages.
RNG_ALLOWED = "an integer >= 0 (Python or numpy), a numpy Generator, or None"


def check_rng(rng: object) -> int | np.random.Generator | None:
    """Return ``rng`` as Mesa's ``Model(rng=...)`` takes it, or raise ``ValueError``.

    Integers (Python or numpy) must be >= 0 and come back as a Python ``int`` (Mesa seeds
    Python's ``random`` with it, which refuses numpy integers); a numpy ``Generator`` and
    ``None`` (a fresh seed) come back unchanged. Booleans, floats, strings and anything
    else are refused with a message that names ``rng`` and what is allowed.
    """
    if rng is None or isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, numbers.Integral) and not isinstance(rng, bool | np.bool_):
        if rng < 0:
            raise ValueError(f"rng: invalid value {int(rng)}; allowed: {RNG_ALLOWED}")
        return int(rng)
    raise ValueError(f"rng: invalid value {rng!r} ({type(rng).__name__}); allowed: {RNG_ALLOWED}")
