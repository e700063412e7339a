"""Grey multi-level evaluation of qualitative indicators from expert ratings.

Each of ``H`` experts rates an indicator on a rating scale (default 1-5).
Grey classes ``e = 1..g`` (default: excellent, good, fair, poor, very poor)
each have a whitening weight function ``f_e`` and a class value ``c_e``.

* grey evaluation coefficient of class e: ``x_e = sum_h f_e(d_h)``
* total grey evaluation coefficient: ``x = sum_e x_e``
* grey evaluation weight (vector over classes): ``r_e = x_e / x``
* up the hierarchy with AHP weights ``a``: ``B = a . R`` (R stacks the r rows)
* value ``z = B . c`` and score ``100 (z - z_lo) / (z_hi - z_lo)``, where
  ``z_lo`` and ``z_hi`` are the values of a panel rating unanimously at the
  bottom and at the top of the scale.

The score is an affine map of ``B``, so composing the weight vectors up the
hierarchy and composing the scores give the same result.

The coefficient ``x_e`` is a grey fixed-weight clustering coefficient
``sigma_k = sum_j eta_j f_j^k(x_j)`` (Liu and Lin) with the experts as the
criteria, one whitening function per class and unit weights;
:func:`clustering_coefficients` computes the general form and both use it.

References
----------
Liu, S. and Lin, Y. (2010). *Grey Systems: Theory and Applications*, ch. on
grey clustering evaluation (whitenization weight functions). Springer.
Cotfas, L.-A. (2022). grey-systems-book, grey fixed-weight clustering notebook
(the published example reproduced in the tests).
Seed 000, section 5.3 (evaluation sample matrix of expert ratings).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike

__all__ = [
    "DEFAULT_GREY_CLASSES",
    "GreyClass",
    "GreyClasses",
    "GreyEvaluation",
    "WhiteningFunction",
    "clustering_coefficients",
    "compose",
    "grey_evaluate",
    "grey_score",
    "grey_weights",
]


@dataclass(frozen=True)
class WhiteningFunction:
    """Trapezoidal whitening weight function with turning points a <= b <= c <= d.

    ``f(x)`` is 0 outside ``[a, d]``, rises linearly from 0 at ``a`` to 1 at
    ``b``, is 1 on ``[b, c]`` and falls linearly to 0 at ``d``. ``c = d = inf``
    gives an upper-measure function; ``a = b`` a lower-measure one (1 from
    ``a``); ``b = c`` a triangular one.
    """

    a: float
    b: float
    c: float
    d: float

    def __post_init__(self) -> None:
        points = (self.a, self.b, self.c, self.d)
        if any(math.isnan(p) for p in points) or not (
            self.a <= self.b <= self.c <= self.d and self.a < self.d
        ):
            raise ValueError(f"whitening turning points need a <= b <= c <= d, a < d; got {points}")
        if (math.isinf(self.a) and self.a > 0) or (math.isinf(self.b) and not math.isinf(self.c)):
            raise ValueError(f"invalid infinite turning points {points}")

    def __call__(self, x: ArrayLike) -> np.ndarray:
        """Whitening weight of ``x`` (array in, array out)."""
        x = np.asarray(x, dtype=float)
        out = np.zeros_like(x)
        if self.b > self.a:
            rising = (x >= self.a) & (x < self.b)
            out = np.where(rising, (x - self.a) / (self.b - self.a), out)
        out = np.where((x >= self.b) & (x <= self.c), 1.0, out)
        if self.d > self.c:
            falling = (x > self.c) & (x <= self.d)
            out = np.where(falling, (self.d - x) / (self.d - self.c), out)
        return out


@dataclass(frozen=True)
class GreyClass:
    """A grey class: name, value ``c_e`` on the rating scale, whitening function."""

    name: str
    value: float
    function: WhiteningFunction


@dataclass(frozen=True)
class GreyClasses:
    """The grey classes of an evaluation and the experts' rating scale.

    Parameters
    ----------
    classes : tuple of GreyClass
        At least two classes with distinct values.
    scale : (float, float)
        Lowest and highest admissible rating.
    """

    classes: tuple[GreyClass, ...]
    scale: tuple[float, float] = (1.0, 5.0)
    _bounds: tuple[float, float] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if len(self.classes) < 2:
            raise ValueError("a grey evaluation needs at least two grey classes")
        lo, hi = self.scale
        if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
            raise ValueError(
                f"the rating scale must be two finite numbers lo < hi, got {self.scale}"
            )
        values = [c.value for c in self.classes]
        if len(set(values)) != len(values):
            raise ValueError(f"grey class values must be distinct, got {values}")
        for end in (lo, hi):
            if _sum_last(self._raw_coefficients(np.asarray([end])))[()] <= 0:
                raise ValueError(f"the rating {end} lies outside every grey class")
        z_lo = float(self.value(self.weights([lo])))
        z_hi = float(self.value(self.weights([hi])))
        if not z_hi > z_lo:
            raise ValueError(
                "a panel rating at the top of the scale must outrank one at the bottom"
            )
        object.__setattr__(self, "_bounds", (z_lo, z_hi))

    @property
    def names(self) -> tuple[str, ...]:
        """Class names in order."""
        return tuple(c.name for c in self.classes)

    @property
    def values(self) -> np.ndarray:
        """Class values ``c_e``."""
        return np.asarray([c.value for c in self.classes], dtype=float)

    def _checked(self, ratings: ArrayLike) -> np.ndarray:
        d = np.asarray(ratings, dtype=float)
        if d.ndim == 0 or d.shape[-1] == 0:
            raise ValueError("ratings need at least one expert (last axis)")
        lo, hi = self.scale
        off = d[np.isnan(d) | (d < lo) | (d > hi)]
        if off.size:
            raise ValueError(
                f"ratings must lie on the rating scale [{lo:g}, {hi:g}]; got {off[:5].tolist()}"
            )
        return d

    def _raw_coefficients(self, d: np.ndarray) -> np.ndarray:
        return clustering_coefficients(d, [c.function for c in self.classes])

    def coefficients(self, ratings: ArrayLike) -> np.ndarray:
        """Grey evaluation coefficients ``x_e = sum_h f_e(d_h)``.

        Parameters
        ----------
        ratings : array_like, shape (..., H)
            Ratings of H experts (last axis).

        Returns
        -------
        numpy.ndarray, shape (..., g)
        """
        return self._raw_coefficients(self._checked(ratings))

    def weights(self, ratings: ArrayLike) -> np.ndarray:
        """Grey evaluation weight vector ``r_e = x_e / sum_e x_e`` (sums to one).

        Raises
        ------
        ValueError
            If a rating lies outside the scale or all coefficients are zero.
        """
        x = self.coefficients(ratings)
        total = _sum_last(x)
        if np.any(total <= 0):
            raise ValueError("the ratings fall outside every grey class")
        return x / total[..., None]

    def value(self, weights: ArrayLike) -> np.ndarray:
        """Whitened value ``z = r . c`` of grey weight vector(s) on the rating scale."""
        r = np.asarray(weights, dtype=float)
        z = np.zeros(r.shape[:-1])
        for e, c in enumerate(self.values):
            z = z + r[..., e] * c
        return z

    def score_of(self, weights: ArrayLike) -> np.ndarray:
        """Score 0-100 of grey weight vector(s): ``100 (z - z_lo) / (z_hi - z_lo)``."""
        z_lo, z_hi = self._bounds
        score = 100.0 * (self.value(weights) - z_lo) / (z_hi - z_lo)
        return np.clip(score, 0.0, 100.0)  # in range by construction; clip rounding only

    def score(self, ratings: ArrayLike) -> np.ndarray:
        """Score 0-100 of expert ratings (last axis = experts)."""
        return self.score_of(self.weights(ratings))


def clustering_coefficients(
    values: ArrayLike,
    functions: Sequence[WhiteningFunction | Sequence[WhiteningFunction]],
    weights: Sequence[float] | None = None,
) -> np.ndarray:
    """Grey fixed-weight clustering coefficients ``sigma_k = sum_j eta_j f_j^k(x_j)``.

    Parameters
    ----------
    values : array_like, shape (..., m)
        Observations of m criteria (last axis); for an expert panel, the ratings.
    functions : sequence over the K grey classes
        Per class either one whitening function for every criterion or a
        sequence of m functions, one per criterion.
    weights : sequence of m float, optional
        Fixed clustering weights ``eta_j`` (default: 1 each, which gives the
        grey evaluation coefficients of :meth:`GreyClasses.coefficients`).

    Returns
    -------
    numpy.ndarray, shape (..., K)
        Coefficients per class; ``argmax`` over the last axis is the grey class
        an object belongs to.
    """
    x = np.asarray(values, dtype=float)
    if x.ndim == 0 or x.shape[-1] == 0:
        raise ValueError("clustering needs at least one criterion (last axis of values)")
    m = x.shape[-1]
    if len(functions) == 0:
        raise ValueError("clustering needs at least one grey class")
    eta = np.ones(m) if weights is None else np.asarray(weights, dtype=float)
    if eta.shape != (m,) or not np.all(np.isfinite(eta)) or np.any(eta < 0):
        raise ValueError(
            f"weights must be {m} non-negative numbers, one per criterion; "
            f"got {np.ravel(eta).tolist()}"
        )
    out = np.zeros((*x.shape[:-1], len(functions)))
    for k, per_class in enumerate(functions):
        if isinstance(per_class, WhiteningFunction):
            f_values = per_class(x)
        else:
            if len(per_class) != m:
                raise ValueError(
                    f"grey class {k} has {len(per_class)} whitening functions; "
                    f"expected one or {m} (one per criterion)"
                )
            f_values = np.stack([f(x[..., j]) for j, f in enumerate(per_class)], axis=-1)
        out[..., k] = _sum_last(eta * f_values)  # criteria summed in a fixed order
    return out


def _sum_last(x: np.ndarray) -> np.ndarray:
    """Sum over the last axis in a fixed order (the same bits for any batch shape)."""
    total = np.zeros(x.shape[:-1])
    for e in range(x.shape[-1]):
        total = total + x[..., e]
    return total


def _template() -> GreyClasses:
    inf = math.inf
    return GreyClasses(
        classes=(
            GreyClass("excellent", 5.0, WhiteningFunction(0.0, 5.0, inf, inf)),
            GreyClass("good", 4.0, WhiteningFunction(0.0, 4.0, 4.0, 8.0)),
            GreyClass("fair", 3.0, WhiteningFunction(0.0, 3.0, 3.0, 6.0)),
            GreyClass("poor", 2.0, WhiteningFunction(0.0, 2.0, 2.0, 4.0)),
            GreyClass("very poor", 1.0, WhiteningFunction(0.0, 0.0, 1.0, 2.0)),
        ),
        scale=(1.0, 5.0),
    )


#: Five grey classes on a 1-5 rating scale: excellent ``[0, 5, inf)``, good,
#: fair, poor triangular ``(0, k, 2k)`` and very poor ``[0, 1, 2]``.
DEFAULT_GREY_CLASSES: GreyClasses = _template()


def grey_weights(ratings: ArrayLike, classes: GreyClasses = DEFAULT_GREY_CLASSES) -> np.ndarray:
    """Grey evaluation weight vector(s) of expert ratings; see :class:`GreyClasses`."""
    return classes.weights(ratings)


def grey_score(ratings: ArrayLike, classes: GreyClasses = DEFAULT_GREY_CLASSES) -> np.ndarray:
    """Score 0-100 of expert ratings (last axis = experts); see :class:`GreyClasses`."""
    return classes.score(ratings)


def compose(weights: Sequence[float], vectors: ArrayLike) -> np.ndarray:
    """One level up the hierarchy: ``B = a . R``.

    Parameters
    ----------
    weights : sequence of float
        AHP weights of the m children (summing to one).
    vectors : array_like, shape (m, g)
        Grey evaluation weight vectors of the children, one row each.

    Returns
    -------
    numpy.ndarray, shape (g,)
    """
    a = np.asarray(weights, dtype=float)
    r = np.asarray(vectors, dtype=float)
    if r.ndim != 2 or a.shape != (r.shape[0],):
        raise ValueError("compose needs one weight per row of the grey weight matrix")
    if np.any(a < 0) or not np.isclose(a.sum(), 1.0):
        raise ValueError(f"weights must be non-negative and sum to one, got {a.tolist()}")
    out = np.zeros(r.shape[1])
    for i in range(r.shape[0]):
        out = out + a[i] * r[i]
    return out


@dataclass(frozen=True)
class GreyEvaluation:
    """Result of :func:`grey_evaluate`.

    Attributes
    ----------
    coefficients : dict of str to numpy.ndarray
        Grey evaluation coefficients ``x_e`` per indicator.
    weights : dict of str to numpy.ndarray
        Grey evaluation weight vectors ``r`` per indicator (rows of R).
    composite : numpy.ndarray
        ``B = a . R``, the group's grey weight vector.
    value : float
        ``z = B . c`` on the rating scale.
    score : float
        0-100 score of the group.
    indicator_scores : dict of str to float
        0-100 score of each indicator.
    """

    coefficients: dict[str, np.ndarray]
    weights: dict[str, np.ndarray]
    composite: np.ndarray
    value: float
    score: float
    indicator_scores: dict[str, float]


def grey_evaluate(
    ratings: Mapping[str, ArrayLike],
    weights: Mapping[str, float] | None = None,
    classes: GreyClasses = DEFAULT_GREY_CLASSES,
) -> GreyEvaluation:
    """Grey evaluation of a group of qualitative indicators.

    Parameters
    ----------
    ratings : mapping of str to array_like
        Expert ratings per indicator (one number per expert).
    weights : mapping of str to float, optional
        AHP weights of the indicators (default: equal).
    classes : GreyClasses
        Grey classes and rating scale.

    Returns
    -------
    GreyEvaluation
    """
    if not isinstance(ratings, Mapping):
        raise TypeError(
            "grey_evaluate needs a mapping of indicator name to expert ratings, "
            f"e.g. {{'policy_support': [4, 3, 5]}}; got {type(ratings).__name__}"
        )
    names = list(ratings)
    if not names:
        raise ValueError("grey_evaluate needs at least one indicator")
    if weights is None:
        a = [1.0 / len(names)] * len(names)
    else:
        missing = set(names) ^ set(weights)
        if missing:
            raise ValueError(f"weights and ratings name different indicators: {sorted(missing)}")
        a = [float(weights[n]) for n in names]
    coefficients = {n: classes.coefficients(np.ravel(ratings[n])) for n in names}
    vectors = {n: classes.weights(np.ravel(ratings[n])) for n in names}
    composite = compose(a, np.stack([vectors[n] for n in names]))
    return GreyEvaluation(
        coefficients=coefficients,
        weights=vectors,
        composite=composite,
        value=float(classes.value(composite)),
        score=float(classes.score_of(composite)),
        indicator_scores={n: float(classes.score_of(vectors[n])) for n in names},
    )
