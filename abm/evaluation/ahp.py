"""Analytic hierarchy process (AHP): priority weights and consistency.

Saaty's eigenvector method: the weights of n elements compared in pairs are the
principal right eigenvector of the positive reciprocal comparison matrix ``A``
(``a_ij`` = how much more important ``i`` is than ``j``, ``a_ji = 1 / a_ij``),
normalised to sum to one. Consistency is measured by

    CI = (lambda_max - n) / (n - 1),    CR = CI / RI(n),

with Saaty's random index ``RI(n)`` (the mean CI of random reciprocal matrices).
Judgements are accepted when ``CR < 0.1``.

References
----------
Saaty, T. L. (1980). *The Analytic Hierarchy Process*. McGraw-Hill.
Saaty, T. L. (2008). Decision making with the analytic hierarchy process.
*Int. J. Services Sciences* 1(1), 83-98.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
from numpy.typing import ArrayLike

__all__ = [
    "CR_THRESHOLD",
    "RANDOM_INDEX",
    "AHPResult",
    "ahp",
    "global_weights",
    "parse_judgement",
    "random_index",
]

#: Saaty's (1980) random consistency index RI(n), n = 1..10.
RANDOM_INDEX: Mapping[int, float] = {
    1: 0.0,
    2: 0.0,
    3: 0.58,
    4: 0.90,
    5: 1.12,
    6: 1.24,
    7: 1.32,
    8: 1.41,
    9: 1.45,
    10: 1.49,
}

#: Judgements are accepted when the consistency ratio is below this value.
CR_THRESHOLD = 0.1


def random_index(n: int) -> float:
    """Return Saaty's random index RI(n) for an n x n comparison matrix.

    Parameters
    ----------
    n : int
        Order of the matrix, 1 <= n <= 10.

    Raises
    ------
    ValueError
        If ``n`` is outside Saaty's table.
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n not in RANDOM_INDEX:
        raise ValueError(f"Saaty's random index is tabulated for n = 1..10, got n = {n!r}")
    return RANDOM_INDEX[int(n)]


@dataclass(frozen=True)
class AHPResult:
    """Outcome of :func:`ahp`.

    Attributes
    ----------
    weights : numpy.ndarray
        Principal-eigenvector priorities, positive, summing to one.
    lambda_max : float
        Principal eigenvalue (>= n for a positive reciprocal matrix).
    ci : float
        Consistency index ``(lambda_max - n) / (n - 1)`` (0 for n <= 2).
    cr : float
        Consistency ratio ``ci / RI(n)``; 0 for n <= 2.
    """

    weights: np.ndarray
    lambda_max: float
    ci: float
    cr: float

    @property
    def n(self) -> int:
        """Order of the comparison matrix."""
        return int(self.weights.size)

    @property
    def consistent(self) -> bool:
        """True when ``cr < 0.1`` (Saaty's acceptance rule)."""
        return bool(self.cr < CR_THRESHOLD)


def parse_judgement(value: object) -> float:
    """Turn a judgement (number or a string such as ``"1/3"``) into a float.

    Raises
    ------
    ValueError
        If the value is neither a real number nor a fraction string.
    """
    if isinstance(value, bool):
        raise ValueError(f"a judgement must be a number or a fraction like '1/3', got {value!r}")
    if isinstance(value, (int, float, np.integer, np.floating)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(Fraction(value.strip()))
        except (ValueError, ZeroDivisionError):
            pass
    raise ValueError(f"a judgement must be a number or a fraction like '1/3', got {value!r}")


def _as_matrix(matrix: ArrayLike) -> np.ndarray:
    if isinstance(matrix, list | tuple):
        lengths = [len(r) if isinstance(r, list | tuple | np.ndarray) else 0 for r in matrix]
        if any(length != len(matrix) for length in lengths):
            raise ValueError(
                f"the comparison matrix must be square: {len(matrix)} rows of {len(matrix)} "
                f"judgements each, got rows of lengths {lengths}"
            )
    rows = np.asarray(matrix, dtype=object)
    if rows.ndim != 2 or rows.shape[0] != rows.shape[1] or rows.shape[0] == 0:
        raise ValueError(
            f"the comparison matrix must be square and non-empty, got shape {rows.shape}"
        )
    return np.vectorize(parse_judgement, otypes=[float])(rows)


def ahp(matrix: ArrayLike, *, check: bool = True, rtol: float = 1e-6) -> AHPResult:
    """Priority weights of a positive reciprocal pairwise-comparison matrix.

    Parameters
    ----------
    matrix : array_like, shape (n, n)
        ``a_ij`` = importance of element ``i`` relative to ``j``, usually on
        Saaty's 1-9 scale (any positive ratio is accepted); entries may be
        numbers or fraction strings such as ``"1/3"``.
    check : bool, default True
        Raise ``ValueError`` when the consistency ratio is 0.1 or more.
    rtol : float, default 1e-6
        Relative tolerance of the reciprocity test ``a_ij * a_ji == 1`` and of
        ``a_ii == 1``.

    Returns
    -------
    AHPResult
        Weights (principal eigenvector, summing to one), lambda_max, CI, CR.

    Raises
    ------
    ValueError
        If the matrix is not square, not finite and positive, not reciprocal,
        larger than 10 x 10 (the end of Saaty's random-index table, so the CR is
        undefined), or (with ``check=True``) its CR is 0.1 or more; the message
        gives the CR.
    """
    a = _as_matrix(matrix)
    n = a.shape[0]
    if not np.all(np.isfinite(a)) or np.any(a <= 0):
        raise ValueError("the comparison matrix must have finite, positive entries")
    if not np.allclose(np.diag(a), 1.0, rtol=rtol, atol=0.0):
        raise ValueError("the comparison matrix must have ones on its diagonal")
    if not np.allclose(a * a.T, 1.0, rtol=rtol, atol=0.0):
        i, j = np.unravel_index(np.argmax(np.abs(a * a.T - 1.0)), a.shape)
        raise ValueError(
            f"the comparison matrix is not reciprocal: a[{i}][{j}] * a[{j}][{i}] = "
            f"{a[i, j] * a[j, i]:.6g}, expected 1"
        )
    if n > max(RANDOM_INDEX):
        raise ValueError(
            f"{n} items compared in one matrix: Saaty's random index RI(n), which the "
            f"consistency ratio needs, is tabulated only up to n = {max(RANDOM_INDEX)}; "
            f"split the items into groups of at most {max(RANDOM_INDEX)}"
        )
    if n == 1:
        return AHPResult(weights=np.ones(1), lambda_max=1.0, ci=0.0, cr=0.0)
    eigenvalues, eigenvectors = np.linalg.eig(a)
    k = int(np.argmax(eigenvalues.real))
    lambda_max = float(eigenvalues[k].real)
    vector = np.abs(eigenvectors[:, k].real)
    weights = vector / vector.sum()
    ci = max(0.0, (lambda_max - n) / (n - 1))
    if n <= 2:
        ci, cr = 0.0, 0.0
    else:
        cr = ci / RANDOM_INDEX[n]
    if check and cr >= CR_THRESHOLD:
        raise ValueError(
            f"inconsistent judgements: consistency ratio CR = {cr:.3f} >= {CR_THRESHOLD} "
            f"(lambda_max = {lambda_max:.3f}, CI = {ci:.3f}, n = {n}); revise the comparisons "
            "or pass check=False"
        )
    return AHPResult(weights=weights, lambda_max=lambda_max, ci=ci, cr=cr)


def global_weights(
    hierarchy: Mapping[str, Mapping[str, float]], root: str = "goal"
) -> dict[str, float]:
    """Combine the local weights of a hierarchy into global weights.

    The global weight of a node is the sum, over its parents, of the parent's
    global weight times the node's local weight under that parent (Saaty's
    hierarchic composition). A node may sit under several parents, as
    alternatives do under every criterion.

    Parameters
    ----------
    hierarchy : mapping
        ``hierarchy[parent][child]`` = local weight of ``child`` under
        ``parent``; each parent's local weights must sum to one. Nodes that
        are not keys are leaves.
    root : str, default "goal"
        The top node (global weight 1, not included in the result).

    Returns
    -------
    dict
        Global weight of every node below the root. The leaves' global
        weights sum to one.

    Raises
    ------
    ValueError
        If the root is missing, a parent's local weights are negative or do not
        sum to one, or the hierarchy has a cycle.
    """
    if root not in hierarchy:
        raise ValueError(f"the root {root!r} is not a parent in the hierarchy")
    for parent, children in hierarchy.items():
        values = np.asarray(list(children.values()), dtype=float)
        if values.size == 0 or np.any(values < 0) or not np.isclose(values.sum(), 1.0):
            raise ValueError(
                f"the local weights under {parent!r} must be non-negative and sum to one, "
                f"got {dict(children)}"
            )
    # Order nodes so that every parent comes before its children (Kahn's algorithm).
    indegree: dict[str, int] = {}
    reachable = [root]
    seen = {root}
    while reachable:
        node = reachable.pop()
        for child in hierarchy.get(node, {}):
            indegree[child] = indegree.get(child, 0) + 1
            if child not in seen:
                seen.add(child)
                reachable.append(child)
    if root in indegree:
        raise ValueError("the hierarchy has a cycle through the root")
    totals: dict[str, float] = {root: 1.0}
    ready = [root]
    done = 0
    while ready:
        node = ready.pop(0)
        done += 1
        for child, local in hierarchy.get(node, {}).items():
            totals[child] = totals.get(child, 0.0) + totals[node] * float(local)
            indegree[child] -= 1
            if indegree[child] == 0:
                ready.append(child)
    if done != len(seen):
        raise ValueError("the hierarchy has a cycle")
    del totals[root]
    return totals
