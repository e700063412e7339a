"""Market clearing: logit shares capped by capacity, demand conserved."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from abm.markets import attraction, capped_proportional, realised_demand

positive = st.floats(0.01, 100.0)


@settings(max_examples=200, deadline=None)
@given(
    arrays(float, (30, 4), elements=positive),
    arrays(float, (30, 4), elements=positive),
    arrays(float, 4, elements=st.floats(0.0, 5000.0)),
)
def test_clearing_conserves_demand_and_respects_capacity(weight, cap, demand):
    q = capped_proportional(demand, weight, cap)
    assert np.all(q >= 0)
    assert np.all(q <= cap * (1 + 1e-12))
    np.testing.assert_allclose(q.sum(0), np.minimum(demand, cap.sum(0)), rtol=1e-9, atol=1e-12)


@settings(max_examples=100, deadline=None)
@given(arrays(float, (20, 1), elements=positive), arrays(float, (20, 1), elements=positive))
def test_uncapped_firms_keep_shares_proportional_to_weight(weight, cap):
    demand = np.array([0.5 * cap.sum()])
    q = capped_proportional(demand, weight, cap)[:, 0]
    free = q < cap[:, 0] * (1 - 1e-9)
    ratio = q[free] / weight[free, 0]
    if free.sum() > 1:
        np.testing.assert_allclose(ratio, ratio[0], rtol=1e-9)
    # a capped firm would have had more at the common ratio
    if free.any():
        capped = ~free
        assert np.all(cap[capped, 0] <= ratio[0] * weight[capped, 0] * (1 + 1e-9))


def test_zero_weight_or_capacity_gets_nothing():
    weight = np.array([[1.0], [0.0], [2.0]])
    cap = np.array([[5.0], [5.0], [0.0]])
    q = capped_proportional(np.array([3.0]), weight, cap)
    assert q[1, 0] == 0 and q[2, 0] == 0 and q[0, 0] == 3.0


def test_cheaper_and_cleaner_firms_attract_more():
    price = np.array([[1.0], [1.2], [1.0]])
    emis = np.array([[100.0], [100.0], [300.0]]) * np.array([[4.0]])
    cap = np.ones((3, 1))
    w = attraction(price, emis, cap, np.ones(3, bool), beta=8.0, gamma=1.0)[:, 0]
    assert w[0] > w[1]  # cheaper wins
    assert w[0] > w[2]  # cleaner wins at equal price
    w_none = attraction(price, emis, cap, np.array([True, False, True]), 8.0, 1.0)[:, 0]
    assert w_none[1] == 0  # non-sellers attract nothing


def test_category_demand_falls_with_its_price_level():
    base = np.array([100.0, 100.0])
    d = realised_demand(base, np.array([1.0, 1.5]), np.array([1.0, 1.0]), elasticity=1.2)
    assert d[0] == 100.0 and d[1] < 100.0
    np.testing.assert_allclose(d[1], 100.0 * 1.5**-1.2)
