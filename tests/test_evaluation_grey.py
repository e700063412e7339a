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
    clustering_coefficients,
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


# Published example of grey fixed-weight clustering (Liu and Lin's grey
# clustering evaluation): 17 objects, 4 criteria, 3 grey classes with
# upper-measure, moderate-measure and lower-measure whitening functions per
# criterion, criterion weights (0.3, 0.25, 0.25, 0.2).
# Source: L.-A. Cotfas, "grey-systems-book", notebook
# grey-fixed-weight-clustering.ipynb and its data template
# grey-fixed-weight-clustering-template.xls (2022),
# https://github.com/liviucotfas/grey-systems-book -- the implementation follows
# the Grey Modeling Software (version 6); the published output lists the
# clustering coefficients (6 decimals) and the class of each object.
PUBLISHED_OBJECTS = [
    [22.5, 4.0, 0, 0.0],
    [79.37, 6.0, 600, 0.75],
    [144.0, 7.0, 300, 0.75],
    [300.0, 6.1, 189, 12.0],
    [456.0, 12.0, 250, 12.0],
    [189.0, 8.0, 700, 1.5],
    [369.0, 8.0, 1300, 2.25],
    [1127.11, 16.2, 550, 3.0],
    [260.0, 11.0, 600, 1.0],
    [200.0, 8.0, 600, 1.25],
    [475.0, 10.0, 1000, 0.75],
    [314.1, 8.0, 900, 0.75],
    [282.8, 7.4, 1300, 0.5],
    [240.0, 8.0, 1200, 0.5],
    [160.0, 5.0, 1000, 0.25],
    [270.0, 8.0, 1200, 0.25],
    [9.0, 1.0, 200, 0.0],
]
PUBLISHED_COEFFICIENTS = [
    [0.035714, 0.12500, 1.000000],
    [0.332143, 0.68811, 0.248780],
    [0.340107, 0.66950, 0.312500],
    [0.610714, 0.28825, 0.368750],
    [0.765625, 0.07500, 0.250000],
    [0.668321, 0.50800, 0.000000],
    [0.928571, 0.12500, 0.000000],
    [0.859375, 0.22500, 0.041667],
    [0.765000, 0.25000, 0.000000],
    [0.653571, 0.52500, 0.000000],
    [0.900000, 0.15000, 0.000000],
    [0.797321, 0.32500, 0.000000],
    [0.731343, 0.36250, 0.037500],
    [0.688571, 0.35500, 0.000000],
    [0.411429, 0.60750, 0.387500],
    [0.683571, 0.22500, 0.200000],
    [0.000000, 0.05000, 1.000000],
]
# Published classes: 1: objects 4-14 and 16; 2: objects 2, 3, 15; 3: objects 1, 17.
PUBLISHED_CLASSES = {1: [4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 16], 2: [2, 3, 15], 3: [1, 17]}


def test_published_fixed_weight_clustering_example():
    """The coefficients the grey evaluation is built on reproduce a published
    grey clustering evaluation: every coefficient to the 6 published decimals
    and every object's class. The published turning points are written
    "x1,x2,-,-" (upper measure), "x1,x2,-,x4" (moderate measure) and
    "-,-,x3,x4" (lower measure, 1 from 0); here they are
    (x1, x2, inf, inf), (x1, x2, x2, x4) and (0, 0, x3, x4)."""
    inf = math.inf
    upper = [(100, 300), (3, 10), (200, 1000), (0.25, 1.25)]
    moderate = [(50, 150, 250), (2, 6, 10), (100, 600, 1100), (0, 0.5, 1)]
    lower = [(50, 100), (4, 8), (300, 600), (0.25, 0.5)]
    functions = [
        [WhiteningFunction(x1, x2, inf, inf) for x1, x2 in upper],
        [WhiteningFunction(x1, x2, x2, x4) for x1, x2, x4 in moderate],
        [WhiteningFunction(0, 0, x3, x4) for x3, x4 in lower],
    ]
    sigma = clustering_coefficients(PUBLISHED_OBJECTS, functions, [0.3, 0.25, 0.25, 0.2])
    np.testing.assert_allclose(sigma, PUBLISHED_COEFFICIENTS, rtol=0, atol=5e-7)
    classes = sigma.argmax(axis=-1) + 1
    for k, members in PUBLISHED_CLASSES.items():
        assert sorted((np.flatnonzero(classes == k) + 1).tolist()) == members


def test_evaluation_coefficients_are_unit_weight_clustering_coefficients():
    ratings = np.array([[5, 4, 4, 3], [1, 2.5, 3, 3]], dtype=float)
    functions = [c.function for c in DEFAULT_GREY_CLASSES.classes]
    expected = clustering_coefficients(ratings, functions)
    np.testing.assert_array_equal(DEFAULT_GREY_CLASSES.coefficients(ratings), expected)
    # Expert weights: the first expert counts twice, the second not at all.
    weighted = clustering_coefficients(ratings, functions, [2, 0, 1, 1])
    for row, panel in zip(weighted, ratings, strict=True):
        again = DEFAULT_GREY_CLASSES.coefficients([panel[0], panel[0], panel[2], panel[3]])
        np.testing.assert_allclose(row, again, rtol=1e-15)


@pytest.mark.parametrize(
    ("functions", "weights", "match"),
    [
        ([[WhiteningFunction(0, 1, 2, 3)] * 2], None, "expected one or 3"),
        ([WhiteningFunction(0, 1, 2, 3)], [1, 1], "3 non-negative numbers"),
        ([WhiteningFunction(0, 1, 2, 3)], [1, -1, 1], "non-negative"),
        ([], None, "at least one grey class"),
    ],
)
def test_clustering_rejects_mismatched_functions_and_weights(functions, weights, match):
    with pytest.raises(ValueError, match=match):
        clustering_coefficients([[1.0, 2.0, 3.0]], functions, weights)


def test_hand_worked_panel_example():
    """Hand-worked example of the whole evaluation (the published example above
    covers the coefficients; every step below is exact arithmetic
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
    assert grey_score([5, 5, 5]) == 100.0  # exactly: scores stay in [0, 100]
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


def test_bad_input_messages_name_the_problem():
    with pytest.raises(ValueError, match=r"\[1, 5\]; got \[6.0\]"):
        grey_score([3, 6])
    with pytest.raises(TypeError, match="mapping of indicator name"):
        grey_evaluate([[3, 4, 5]])


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
