"""Market clearing: logit shares capped by capacity, demand conserved."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from abm import market_loops
from abm.categories import by_category, outer_by_category, row_sum
from abm.demand import (
    calibrate_kappa,
    category_expenditure,
    cluster_share,
    expenditure_shares,
)
from abm.markets import (
    attraction,
    capped_proportional,
    column_median,
    update_scarcity,
)

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


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 40).flatmap(lambda n: arrays(float, (n, 3), elements=positive)))
def test_column_median_is_numpys_median(a):
    np.testing.assert_array_equal(column_median(a), np.median(a, axis=0))
    a[0, 1] = np.nan
    np.testing.assert_array_equal(column_median(a), np.median(a, axis=0))


@settings(max_examples=100, deadline=None)
@given(
    st.integers(1, 5).flatmap(
        lambda k: arrays(float, (7, k), elements=st.floats(-1e6, 1e6, allow_subnormal=False))
    )
)
def test_row_sum_is_numpys_row_sum(a):
    np.testing.assert_array_equal(row_sum(a), a.sum(1))
    np.testing.assert_array_equal(np.signbit(row_sum(-0.0 * np.abs(a))), np.zeros(len(a), bool))


@settings(max_examples=50, deadline=None)
@given(st.integers(1, 300), st.integers(0, 2**32 - 1))
def test_by_category_is_numpys_broadcast(n, seed):
    rng = np.random.default_rng(seed)
    a, v = rng.lognormal(0, 3, (n, 4)), rng.lognormal(0, 3, 4)
    np.testing.assert_array_equal(by_category(np.divide, a, v), a / v)
    np.testing.assert_array_equal(by_category(np.divide, a, v, first=True), v / a)
    np.testing.assert_array_equal(outer_by_category(a[:, 0], v), a[:, 0][:, None] * v)
    b = a.copy()
    by_category(np.add, b, v, out=b)
    np.testing.assert_array_equal(b, a + v)


def test_cheaper_and_cleaner_firms_attract_more():
    # three firms selling one category at home: the second dearer (higher unit cost), the
    # third as cheap as the first but dirtier; consumers pay ``wtp`` USD/t for emissions
    def effective(wtp: float) -> np.ndarray:
        price, eff, _, _ = market_loops.quote(
            np.arange(3),
            False,  # at home: no trade cost
            np.array([[1.0], [1.2], [1.0]]),  # unit cost
            np.zeros((3, 1)),  # trade cost
            np.array([[100.0], [100.0], [1500.0]]),  # t CO2 per USD m
            np.zeros(1),  # no CBAM
            np.zeros(1),  # full pass-through: no part of the mean cost
            np.ones(3),  # mark-up factors
            np.ones(1),  # normal mark-up
            1.0,  # full pass-through
            wtp / 1e6,  # WTP per t, USD m
            np.ones((3, 1)),  # capacity
        )
        assert price[0, 0] == price[2, 0] < price[1, 0]
        return eff

    w = attraction(effective(50.0), np.ones((3, 1)), np.ones(3, bool), beta=8.0)[:, 0]
    assert w[0] > w[1]  # cheaper wins
    assert w[0] > w[2]  # cleaner wins at equal price when consumers pay for it
    same = attraction(effective(0.0), np.ones((3, 1)), np.ones(3, bool), 8.0)[:, 0]
    assert same[0] == same[2]  # without willingness to pay emissions do not matter


def _demand(**kw):
    d = dict(
        weights=np.array([[0.25, 0.4, 0.28, 0.07], [0.27, 0.17, 0.46, 0.1]]),
        income_index=np.array([1.0, 1.0]),
        income_elasticity=np.array([0.7, 0.9, 1.3, 1.5]),
        price_rel=np.ones((2, 4)),
        elasticity=np.array([1.5, 1.5]),
    )
    d.update(kw)
    return d


def test_expenditure_adds_up_to_income():
    base = np.array([100.0, 40.0])
    income = np.array([1.3, 1.1])
    x = category_expenditure(base, **{k: v for k, v in _demand(income_index=income).items()})
    np.testing.assert_allclose(x.sum(1), base * income)
    assert np.all(x >= 0)


def test_engel_curves_shift_spending_to_high_elasticity_categories():
    start = expenditure_shares(**_demand())
    richer = expenditure_shares(**_demand(income_index=np.array([2.0, 2.0])))
    assert np.all(richer[:, 0] < start[:, 0])  # LIB (elasticity < 1) loses share
    assert np.all(richer[:, 3] > start[:, 3])  # DS (elasticity > 1) gains share
    same = expenditure_shares(
        **_demand(income_index=np.array([2.0, 2.0]), income_elasticity=np.ones(4))
    )
    np.testing.assert_allclose(same, start)  # homothetic: income leaves shares alone


def test_a_dearer_category_loses_expenditure_share():
    rel = np.ones((2, 4))
    rel[:, 1] = 1.2  # RIB dearer, e.g. through a carbon price
    after = expenditure_shares(**_demand(price_rel=rel))
    start = expenditure_shares(**_demand())
    assert np.all(after[:, 1] < start[:, 1])
    assert np.all(after[:, [0, 2, 3]] > start[:, [0, 2, 3]])


def test_cluster_share_falls_with_its_price_and_calibrates_exactly():
    target = np.array([[0.3, 0.02]])
    margin = np.array([[1.0, 0.4]])
    pc = np.array([[1.1, 1.2]])
    pf = np.array([[1.0, 1.0]])
    kappa = calibrate_kappa(target, margin, pc, pf, sigma=4.0)
    share, index = cluster_share(kappa, margin, pc, pf, 4.0)
    np.testing.assert_allclose(share, target)
    dearer, _ = cluster_share(kappa, margin, pc * 1.1, pf, 4.0)
    assert np.all(dearer < share)
    fewer, _ = cluster_share(kappa, margin * 0.5, pc, pf, 4.0)
    assert np.all(fewer < share)  # fewer sellers: a smaller extensive margin
    assert np.all(index <= pf)  # the cluster's varieties lower the price index


def test_firm_markup_rises_with_excess_demand_and_falls_when_idle():
    m = np.ones(3)
    nxt = update_scarcity(m, np.array([1.2, 0.85, 0.4]), target=0.85, speed=0.1)
    assert nxt[0] > 1.0 and nxt[1] == 1.0 and nxt[2] < 1.0
    assert np.all((nxt >= 0.8) & (nxt <= 1.5))


def test_a_sliver_of_extensive_margin_does_not_inflate_the_calibrated_weight():
    # a market entered by a trace of capacity (margin 1e-5) is calibrated as at MIN_MARGIN:
    # once real sellers come (margin 0.3) the cluster's share stays a small multiple of its
    # start-year target instead of taking the market
    from abm.demand import MIN_MARGIN, calibrate_kappa, cluster_share

    target, pc, pf = np.array([[0.002]]), np.array([[1.0]]), np.array([[0.95]])
    sliver = calibrate_kappa(target, np.array([[1e-5]]), pc, pf, 4.0)
    floor = calibrate_kappa(target, np.array([[MIN_MARGIN]]), pc, pf, 4.0)
    np.testing.assert_allclose(sliver, floor)
    share, _ = cluster_share(sliver, np.array([[0.3]]), pc, pf, 4.0)
    assert share[0, 0] < 30 * target[0, 0] * 1.1
