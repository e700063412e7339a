"""AHP weights, consistency and hierarchic composition (abm.evaluation.ahp)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from abm.evaluation import ahp, global_weights, random_index

SAATY_SCALE = [1, 2, 3, 4, 5, 6, 7, 8, 9, 1 / 2, 1 / 3, 1 / 4, 1 / 5, 1 / 6, 1 / 7, 1 / 8, 1 / 9]


def consistent(w):
    w = np.asarray(w, dtype=float)
    return w[:, None] / w[None, :]


def reciprocal(items, judgements):
    """Matrix from upper-triangle judgements {(a, b): a_ab}."""
    a = np.ones((len(items), len(items)))
    for (x, y), value in judgements.items():
        i, j = items.index(x), items.index(y)
        a[i, j], a[j, i] = value, 1 / value
    return a


@pytest.mark.parametrize(
    "w", [[0.5, 0.3, 0.2], [0.1, 0.2, 0.3, 0.4], [0.05, 0.15, 0.25, 0.1, 0.2, 0.25]]
)
def test_perfectly_consistent_matrix_returns_its_weights_and_zero_cr(w):
    result = ahp(consistent(w))
    np.testing.assert_allclose(result.weights, w, rtol=1e-12)
    assert result.lambda_max == pytest.approx(len(w), abs=1e-10)
    assert result.ci == pytest.approx(0.0, abs=1e-10)
    assert result.cr == pytest.approx(0.0, abs=1e-10)


@given(st.lists(st.floats(min_value=0.01, max_value=100.0), min_size=2, max_size=9))
@settings(max_examples=60, deadline=None)
def test_consistent_matrix_recovers_any_weights(raw):
    w = np.asarray(raw) / np.sum(raw)
    result = ahp(consistent(w))
    np.testing.assert_allclose(result.weights, w, rtol=1e-8)
    assert result.cr == pytest.approx(0.0, abs=1e-8)


@given(
    st.integers(min_value=2, max_value=9).flatmap(
        lambda n: st.lists(
            st.sampled_from(SAATY_SCALE), min_size=n * (n - 1) // 2, max_size=n * (n - 1) // 2
        ).map(lambda v: (n, v))
    )
)
@settings(max_examples=80, deadline=None)
def test_weights_of_any_reciprocal_matrix_are_positive_and_sum_to_one(case):
    n, upper = case
    a = np.ones((n, n))
    a[np.triu_indices(n, 1)] = upper
    a[np.tril_indices(n, -1)] = 1 / a.T[np.tril_indices(n, -1)]
    result = ahp(a, check=False)
    assert np.all(result.weights > 0)
    assert result.weights.sum() == pytest.approx(1.0, abs=1e-12)
    assert result.lambda_max >= n - 1e-9  # Saaty: lambda_max >= n, equality iff consistent
    assert result.cr >= 0


def test_saaty_random_index_values():
    """Saaty (1980), The Analytic Hierarchy Process, random index table, n = 3..9."""
    expected = {3: 0.58, 4: 0.90, 5: 1.12, 6: 1.24, 7: 1.32, 8: 1.41, 9: 1.45}
    assert {n: random_index(n) for n in expected} == expected
    assert random_index(1) == random_index(2) == 0.0
    with pytest.raises(ValueError):
        random_index(11)


@pytest.mark.parametrize("check", [True, False])
def test_a_group_beyond_saatys_table_is_refused_clearly(check):
    """RI(n) is tabulated for n <= 10: eleven items have no consistency ratio."""
    assert ahp(consistent(np.arange(1.0, 11.0)), check=check).cr == pytest.approx(0.0, abs=1e-8)
    with pytest.raises(ValueError) as info:
        ahp(consistent(np.arange(1.0, 12.0)), check=check)
    message = str(info.value)
    assert message.startswith("11 items compared in one matrix: Saaty's random index")
    assert "tabulated only up to n = 10" in message and "groups of at most 10" in message
    assert "nan" not in message.lower()


def test_saaty_2008_drinks_example():
    """Saaty, T. L. (2008). Decision making with the analytic hierarchy process.
    Int. J. Services Sciences 1(1), 83-98, Table 2 ("Which drink is consumed
    more in the US?"): derived priorities coffee .177, wine .019, tea .042,
    beer .116, sodas .190, milk .129, water .327, consistency ratio .022.
    (The same numbers are reproduced in the AHPy test suite.)"""
    items = ["coffee", "wine", "tea", "beer", "sodas", "milk", "water"]
    a = [
        [1, 9, 5, 2, 1, 1, "1/2"],
        ["1/9", 1, "1/3", "1/9", "1/9", "1/9", "1/9"],
        ["1/5", 3, 1, "1/3", "1/4", "1/3", "1/9"],
        ["1/2", 9, 3, 1, "1/2", 1, "1/3"],
        [1, 9, 4, 2, 1, 2, "1/2"],
        [1, 9, 3, 1, "1/2", 1, "1/3"],
        [2, 9, 9, 3, 2, 3, 1],
    ]
    result = ahp(a)
    published = [0.177, 0.019, 0.042, 0.116, 0.190, 0.129, 0.327]
    assert dict(zip(items, np.round(result.weights, 3), strict=True)) == dict(
        zip(items, published, strict=True)
    )
    assert round(result.cr, 3) == 0.022


SAATY_1990_HOUSE = [
    [1, 5, 3, 7, 6, 6, "1/3", "1/4"],
    ["1/5", 1, "1/3", 5, 3, 3, "1/5", "1/7"],
    ["1/3", 3, 1, 6, 3, 4, 6, "1/5"],
    ["1/7", "1/5", "1/6", 1, "1/3", "1/4", "1/7", "1/8"],
    ["1/6", "1/3", "1/3", 3, 1, "1/2", "1/5", "1/6"],
    ["1/6", "1/3", "1/4", 4, 2, 1, "1/5", "1/6"],
    [3, 5, "1/6", 7, 5, 5, 1, "1/2"],
    [4, 7, 5, 8, 6, 6, 2, 1],
]


def test_saaty_1990_house_example_is_rejected_as_inconsistent():
    """Saaty, T. L. (1990). How to make a decision: the analytic hierarchy
    process. European Journal of Operational Research 48, 9-26: the house-buying
    example, pairwise comparisons of the eight criteria (size, transportation,
    neighbourhood, age, yard, modern facilities, general condition, financing).
    Published: priorities .173 .054 .188 .018 .031 .036 .167 .333,
    lambda_max = 9.669, C.I. = 0.238, C.R. = 0.169 -- above 0.1, so the default
    check must refuse it and name the CR."""
    with pytest.raises(ValueError, match=r"CR = 0\.169"):
        ahp(SAATY_1990_HOUSE)
    result = ahp(SAATY_1990_HOUSE, check=False)
    published = [0.173, 0.054, 0.188, 0.018, 0.031, 0.036, 0.167, 0.333]
    np.testing.assert_allclose(result.weights, published, atol=5e-4)
    assert round(result.lambda_max, 3) == 9.669
    assert round(result.ci, 3) == 0.238
    assert round(result.cr, 3) == 0.169
    assert not result.consistent


def test_inconsistent_matrix_is_rejected_unless_check_is_off():
    a = [[1, 9, "1/9"], ["1/9", 1, 9], [9, "1/9", 1]]  # a > b > c > a, strongly
    with pytest.raises(ValueError, match="CR = "):
        ahp(a)
    assert ahp(a, check=False).cr > 1


@pytest.mark.parametrize(
    ("matrix", "message"),
    [
        ([[1, 2], [0.4, 1]], "not reciprocal"),
        ([[1, -2], [-0.5, 1]], "positive"),
        ([[1, 0], [0, 1]], "positive"),
        ([[2, 1], [1, 1]], "diagonal"),
        ([[1, 2, 3], [0.5, 1, 4]], "square"),
        ([[1, 2], [0.5]], r"rows of lengths \[2, 1\]"),
        ([[1, "two"], [0.5, 1]], "judgement"),
    ],
)
def test_matrix_that_is_not_positive_reciprocal_raises(matrix, message):
    with pytest.raises(ValueError, match=message):
        ahp(matrix)


def test_leader_example_hierarchic_composition():
    """Wikipedia, "Analytic hierarchy process - leader example" (reproduced in
    the AHPy README, P. Griffith): criteria experience, education, charisma, age
    weighted .547 .127 .270 .056; candidates Tom, Dick, Harry end with global
    priorities .358, .493, .149."""
    people = ["Tom", "Dick", "Harry"]
    local = {
        "experience": reciprocal(
            people, {("Tom", "Dick"): 1 / 4, ("Tom", "Harry"): 4, ("Dick", "Harry"): 9}
        ),
        "education": reciprocal(
            people, {("Tom", "Dick"): 3, ("Tom", "Harry"): 1 / 5, ("Dick", "Harry"): 1 / 7}
        ),
        "charisma": reciprocal(
            people, {("Tom", "Dick"): 5, ("Tom", "Harry"): 9, ("Dick", "Harry"): 4}
        ),
        "age": reciprocal(
            people, {("Tom", "Dick"): 1 / 3, ("Tom", "Harry"): 5, ("Dick", "Harry"): 9}
        ),
    }
    criteria = list(local)
    goal = ahp(
        reciprocal(
            criteria,
            {
                ("experience", "education"): 4,
                ("experience", "charisma"): 3,
                ("experience", "age"): 7,
                ("education", "charisma"): 1 / 3,
                ("education", "age"): 3,
                ("charisma", "age"): 5,
            },
        )
    )
    np.testing.assert_allclose(goal.weights, [0.547, 0.127, 0.270, 0.056], atol=1e-3)
    hierarchy = {"goal": dict(zip(criteria, goal.weights, strict=True))}
    for criterion, matrix in local.items():
        hierarchy[criterion] = dict(zip(people, ahp(matrix).weights, strict=True))
    result = global_weights(hierarchy)
    np.testing.assert_allclose([result[p] for p in people], [0.358, 0.493, 0.149], atol=1e-3)
    assert sum(result[p] for p in people) == pytest.approx(1.0)
    assert result["experience"] == pytest.approx(goal.weights[0])


def test_global_weights_multiply_down_a_tree():
    tree = {"goal": {"a": 0.6, "b": 0.4}, "a": {"a1": 0.5, "a2": 0.5}, "b": {"b1": 1.0}}
    assert global_weights(tree) == pytest.approx(
        {"a": 0.6, "b": 0.4, "a1": 0.3, "a2": 0.3, "b1": 0.4}
    )


@pytest.mark.parametrize(
    "tree",
    [
        {"goal": {"a": 0.6, "b": 0.6}},
        {"goal": {"a": 1.2, "b": -0.2}},
        {"top": {"a": 1.0}},
        {"goal": {"a": 1.0}, "a": {"goal": 1.0}},
    ],
)
def test_global_weights_reject_bad_hierarchies(tree):
    with pytest.raises(ValueError):
        global_weights(tree)
