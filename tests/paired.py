"""The paired-seed check the statistical tests share."""

from __future__ import annotations

import numpy as np


def assert_direction(diff, sign: int) -> None:
    """Paired differences ``diff`` (one per seed, same seed and initial firms) have the sign
    ``sign``: mean t-statistic >= 3 in that direction and at least 8 seeds agree."""
    diff = np.asarray(diff, dtype=float)
    d = sign * diff
    t = d.mean() / (d.std(ddof=1) / np.sqrt(len(d)))
    assert d.mean() > 0 and t >= 3.0, f"mean {diff.mean():.4g}, t {sign * t:.2f}, diffs {diff}"
    assert (d > 0).sum() >= 8, f"only {(d > 0).sum()} of {len(d)} seeds agree: {diff}"
