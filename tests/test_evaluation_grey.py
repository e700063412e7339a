"""Grey multi-level evaluation of expert ratings (abm.evaluation.grey)."""

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from abm.evaluation import (
    DEFAULT_GREY_CLASSES,
    GreyClass,
    GreyClasses,
    WhiteningFunction,
    compose,
    grey_evaluate,
    grey_score,
    grey_weights,
)

RATINGS = st.lists(st.floats(min_value=1.0, max_value=5.0), min_size=1, max_size=12)


def test_whitening_function_shapes():
    upper = WhiteningFunction(0.0, 5.0, math.inf, math.inf)
    triangle = WhiteningFunction(0.0, 3.0, 3.0, 6.0)
    lower = WhiteningFunction(0.0, 0.0, 1.0, 2.0)
    x = [-1.0, 0.0, 1.0, 1.5, 2.5, 3.0, 4.5, 5.0, 6.0, 7.0, 100.0]
    np.testing.assert_allclose(upper(x), [0, 0, 0.2, 0.3, 0.5, 0.6, 0.9, 1, 1, 1, 1])
    np.testing.assert_allclose(triangle(x), [0, 0, 1 / 3, 0.5, 5 / 6, 1, 0.5, 1 / 3, 0, 0, 0])
    np.testing.assert_allclose(lower(x), [0, 1, 1, 0.5, 0, 0, 0, 0, 0, 0, 0])


@pytest.mark.parametrize(
    "points", [(1.0, 0.0, 2.0, 3.0), (0.0, 0.0, 0.0, 0.0), (0.0, math.nan, 1.0, 2.0)]
)
def test_whitening_function_rejects_bad_turning_points(points):
    with pytest.raises(ValueError):
        WhiteningFunction(*points)


def test_hand_worked_panel_example():
    """Hand-worked example of the method (no published numerical grey example
    could be retrieved for this project; every step below is exact arithmetic
    on the default template: classes excellent (0, 5, inf), good (0, 4, 8),
    fair (0, 3, 6), poor (0, 2, 4), very poor [0, 1, 2] with values 5..1).

    Four experts rate 5, 4, 4, 3.
    f(5) = (1, 3/4, 1/3, 0, 0); f(4) = (4/5, 1, 2/3, 0, 0);
    f(3) = (3/5, 3/4, 1, 1/2, 0).
    Coefficients x = (16/5, 7/2, 8/3, 1/2, 0), total 148/15,
    weights r = (48, 52.5, 40, 7.5, 0) / 148, value z = 585/148.
    Unanimous top rating: r = (12, 9, 4, 0, 0)/25, z_hi = 108/25;
    unanimous bottom rating: r = (12, 15, 20, 30, 60)/137, z_lo = 300/137.
    Score = 100 (585/148 - 300/137) / (108/25 - 300/137)."""
    ratings = [5, 4, 4, 3]
    x = [Fraction(16, 5), Fraction(7, 2), Fraction(8, 3), Fraction(1, 2), Fraction(0)]
    total = sum(x)
    assert total == Fraction(148, 15)
    r = [xi / total for xi in x]
    z = sum(ri * c for ri, c in zip(r, [5, 4, 3, 2, 1], strict=True))
    assert z == Fraction(585, 148)
    z_hi, z_lo = Fraction(108, 25), Fraction(300, 137)
    expected = 100 * (z - z_lo) / (z_hi - z_lo)

    np.testing.assert_allclose(DEFAULT_GREY_CLASSES.coefficients(ratings), [float(v) for v in x])
    np.testing.assert_allclose(grey_weights(ratings), [float(v) for v in r])
    assert DEFAULT_GREY_CLASSES.value(grey_weights(ratings)) == pytest.approx(float(z))
    assert grey_score(ratings) == pytest.approx(float(expected), rel=1e-12)
    assert float(expected) == pytest.approx(82.7578, abs=1e-4)


def test_unanimous_extremes_score_zero_and_hundred():
    assert grey_score([5, 5, 5]) == pytest.approx(100.0)
    assert grey_score([1]) == pytest.approx(0.0)
    assert grey_score([3, 3]) == pytest.approx(grey_score([3]))


@given(RATINGS)
@settings(max_examples=150, deadline=None)
def test_grey_weights_sum_to_one_and_scores_stay_in_range(ratings):
    r = grey_weights(ratings)
    assert np.all(r >= 0)
    assert r.sum() == pytest.approx(1.0)
    assert -1e-9 <= grey_score(ratings) <= 100 + 1e-9


@given(RATINGS, st.integers(min_value=0, max_value=11), st.floats(min_value=0.0, max_value=4.0))
@settings(max_examples=150, deadline=None)
def test_raising_one_rating_never_lowers_the_score(ratings, which, rise):
    better = list(ratings)
    k = which % len(better)
    better[k] = min(5.0, better[k] + rise)
    assert grey_score(better) >= grey_score(ratings) - 1e-9


def test_composition_of_weight_vectors_equals_composition_of_scores():
    """B = a . R scored equals the a-weighted mean of the indicator scores."""
    ratings = {"policy": [4, 3.5, 5], "cooperation": [2, 3, 2.5], "climate": [1, 1.5, 4]}
    weights = {"policy": 0.5, "cooperation": 0.3, "climate": 0.2}
    result = grey_evaluate(ratings, weights)
    rows = np.stack([grey_weights(ratings[n]) for n in ratings])
    np.testing.assert_allclose(result.composite, compose(list(weights.values()), rows))
    assert result.composite.sum() == pytest.approx(1.0)
    mean_score = sum(weights[n] * result.indicator_scores[n] for n in ratings)
    assert result.score == pytest.approx(mean_score)
    assert result.value == pytest.approx(DEFAULT_GREY_CLASSES.value(result.composite))
    assert result.indicator_scores["policy"] > result.indicator_scores["cooperation"]


def test_batched_ratings_give_the_same_bits_as_single_panels():
    panels = np.array([[5, 4, 4, 3], [1, 2, 2, 1], [3, 3.5, 4, 2.5]], dtype=float)
    batched = grey_score(panels)
    assert batched.shape == (3,)
    for row, value in zip(panels, batched, strict=True):
        assert grey_score(row) == value


@pytest.mark.parametrize("ratings", [[0.5, 3], [3, 6], [math.nan], []])
def test_ratings_off_the_scale_raise(ratings):
    with pytest.raises(ValueError):
        grey_score(ratings)


def test_grey_classes_need_a_rising_order():
    inf = math.inf
    with pytest.raises(ValueError, match="outrank"):
        GreyClasses(
            classes=(
                GreyClass("high", 1.0, WhiteningFunction(0.0, 5.0, inf, inf)),
                GreyClass("low", 5.0, WhiteningFunction(0.0, 0.0, 1.0, 5.0)),
            ),
            scale=(1.0, 5.0),
        )
    with pytest.raises(ValueError, match="two"):
        GreyClasses(classes=DEFAULT_GREY_CLASSES.classes[:1])


def test_compose_rejects_weights_that_do_not_sum_to_one():
    with pytest.raises(ValueError):
        compose([0.5, 0.6], np.eye(2))
