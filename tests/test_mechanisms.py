"""Unit tests of the firm mechanisms on small hand-built arrays: investment and finance,
exit and entry (``abm.demography``), product-mix shifts (``abm.structure``), export entry
and exit (``abm.trade``), R&D, absorptive capacity and spillovers (``abm.innovation``); and
accounting identities over a run, checked from the recorded flows, not by restating the code.
"""

import numpy as np
import pytest

from abm import TradeClusterModel, innovation, innovation_loops, structure, trade
from abm.demography import entry_weights, exiting, grow, renew
from abm.network import Ties
from abm.params import resolve
from abm.state import init_firms


def firms(n=4, **params):
    """A small drawn population whose rows the tests then set by hand."""
    p = resolve(**params)
    f = init_firms(p, np.zeros(n, np.int64), np.random.default_rng(0))
    f.capacity[:] = 10.0
    f.mix[:] = [1.0, 0.0, 0.0, 0.0]
    f.knowledge[:] = 0.0
    f.digital[:] = False
    f.net_worth[:] = 100.0
    f.profit = np.ones(n)
    f.demand = np.zeros((n, 4))
    return f, p


# ------------------------------------------------------------------ demography
def test_net_worth_grows_by_the_year_profit():
    f, p = firms()
    f.profit = np.array([3.0, -2.0, 0.0, 1.5])
    grow(f, p, np.ones((f.n, 4), bool))
    # a profit is kept after tax and dividends (retained_share), a loss is borne in full
    kept = np.array([3.0 * p.retained_share, -2.0, 0.0, 1.5 * p.retained_share])
    np.testing.assert_allclose(f.net_worth, 100.0 + kept)


def test_a_profitable_firm_invests_toward_expected_demand_a_loss_maker_does_not():
    f, p = firms(2)
    f.demand[:, 0] = 12.0  # wants 12 / target utilisation of LIB capacity
    f.profit = np.array([1.0, -1.0])
    spend = grow(f, p, np.ones((2, 4), bool))
    want = 12.0 / p.target_utilisation
    assert f.capacity[0] == pytest.approx(want)
    assert spend[0] == pytest.approx((want - 10.0 * (1 - p.depreciation)) * p.capital_cost)
    assert f.capacity[1] == pytest.approx(10.0 * (1 - p.depreciation))  # only depreciation
    assert spend[1] == 0.0


def test_the_credit_limit_caps_capacity_at_leveraged_net_worth():
    f, p = firms(1)
    f.net_worth[:] = 1.0
    f.profit = np.array([0.5])
    f.demand[:, 0] = 1000.0
    grow(f, p, np.ones((1, 4), bool))
    worth = 1.0 + p.retained_share * 0.5  # net worth after this year's retained profit
    limit = (1 + p.leverage) * worth / p.capital_cost
    assert f.capacity[0] == pytest.approx(max(limit, 10.0 * (1 - p.depreciation)))
    assert f.debt[0] == pytest.approx(max(p.capital_cost * f.capacity[0] - worth, 0.0))


def test_investment_goes_only_to_allowed_categories_and_moves_the_mix_by_mix_speed():
    f, p = firms(1)
    f.demand[:] = [[8.0, 0.0, 8.0, 0.0]]
    allowed = np.array([[True, True, False, True]])
    grow(f, p, allowed)
    assert f.mix[0, 2] == 0.0  # no technology-intensive capacity without the capability
    f2, p2 = firms(1, mix_speed=0.0)
    f2.demand[:] = [[8.0, 8.0, 0.0, 0.0]]
    grow(f2, p2, np.ones((1, 4), bool))
    np.testing.assert_allclose(f2.mix[0], [1.0, 0.0, 0.0, 0.0])  # frozen mix
    f3, p3 = firms(1, mix_speed=0.1)
    f3.demand[:] = [[0.0, 20.0, 0.0, 0.0]]
    grow(f3, p3, np.ones((1, 4), bool))
    assert f3.mix[0, 1] == pytest.approx(0.1)  # at most mix_speed a year


def test_exit_after_years_of_negative_net_worth_or_below_the_smallest_size():
    f, p = firms(3, exit_years=2)
    f.net_worth[:] = [-1.0, -1.0, 5.0]
    f.capacity[2] = p.min_capacity / 2
    assert list(exiting(f, p)) == [2]  # first year of losses: not yet
    assert list(exiting(f, p)) == [0, 1, 2]


def test_entrants_choose_categories_by_profit_rate_and_start_small_and_young():
    w = entry_weights(np.array([0.1, 0.1, 0.3, 0.1]), 10.0)
    assert w.sum() == pytest.approx(1.0) and w.argmax() == 2
    np.testing.assert_allclose(entry_weights(np.array([0.1, 0.2, 0.3, 0.4]), 0.0), 0.25)
    # weighted by the firms making each category: equal profit rates give their shares, and
    # a category nobody makes gets no entrant however profitable it is
    present = np.array([30.0, 10.0, 0.0, 0.0])
    np.testing.assert_allclose(entry_weights(np.full(4, 0.1), 10.0, present), [0.75, 0.25, 0, 0])
    assert entry_weights(np.array([0.1, 0.1, 0.9, 0.1]), 10.0, present)[2] == 0.0
    tilted = entry_weights(np.array([0.1, 0.2, 0.1, 0.1]), 10.0, present)
    assert tilted[1] > 0.25  # tilted toward the more profitable of the categories made
    f, p = firms(40)
    f.capacity[:] = np.linspace(5, 50, 40)
    f.age[:] = 30
    f.exports_to[:] = True
    rows = np.array([3, 7])
    renew(f, rows, np.array([0.0, 0.0, 1.0, 0.0]), p, np.random.default_rng(1))
    assert (f.age[rows] == 0).all() and not f.exports_to[rows].any()
    assert (f.capacity[rows] < np.median(f.capacity)).all()
    assert (f.markup[rows] == 1.0).all() and (f.partner_firm[rows] == -1).all()


def test_entrants_start_where_the_cluster_does_or_where_their_own_knowledge_allows():
    # every survivor makes technology-intensive goods, the most profitable category; the
    # entrants' knowledge is below knowledge_TIB. By default ("cluster") an entrant may
    # start there like its parents; with "own" it starts only in what its knowledge opens
    def entrants(rule):
        f, p = firms(40, entrant_capabilities=rule, entrant_knowledge_dispersion=0.0)
        f.mix[:] = [0.1, 0.1, 0.8, 0.0]
        f.knowledge[:] = 0.5 * p.knowledge_TIB  # the survivors' mean, which entrants take
        rows = np.arange(10)
        renew(f, rows, np.array([0.0, 0.0, 1.0, 0.0]), p, np.random.default_rng(3))
        assert (f.knowledge[rows] < p.knowledge_TIB).all()
        np.testing.assert_allclose(f.mix[rows].sum(1), 1.0)
        return f.mix[rows]

    assert (entrants("cluster")[:, 2] > 0).all()
    own = entrants("own")
    assert (own[:, 2] == 0).all() and (own[:, 3] == 0).all()
    with pytest.raises(ValueError, match="entrant_capabilities.*'cluster'"):
        resolve(entrant_capabilities="parent")


def test_an_exiting_firms_partner_is_free_again_and_an_entrant_opens_its_balance_sheet():
    # firm 3 exits while partnered with firm 5 (and firm 8 with an institute and firm 9):
    # after the turnover firm 5 has no partner, firm 9 keeps its institute; the entrant's
    # debt is the capital its capacity needs beyond its net worth, as for initial firms
    f, p = firms(12)
    f.partner_firm[[3, 5, 8, 9]] = [5, 3, 9, 8]
    f.partner_inst[9] = 0
    f.partner_years[[3, 5, 8, 9]] = 2
    renew(f, np.array([3, 8]), np.full(4, 0.1), p, np.random.default_rng(1))
    assert f.partner_firm[5] == -1 and f.partner_years[5] == 0
    assert f.partner_firm[9] == -1 and f.partner_inst[9] == 0 and f.partner_years[9] == 2
    capital = p.capital_cost * f.capacity
    np.testing.assert_allclose(f.debt[[3, 8]], (capital - f.net_worth)[[3, 8]])
    start = init_firms(p, np.zeros(50, np.int64), np.random.default_rng(2))
    np.testing.assert_allclose(start.debt, p.capital_cost * start.capacity - start.net_worth)


# ------------------------------------------------------------------ structure
def test_mix_shifts_toward_the_better_margin_only_when_it_repays_the_adjustment_cost():
    def case(adjustment_cost):
        f, p = firms(1, adjustment_cost=adjustment_cost, mix_speed=0.2)
        f.mix[:] = [[0.5, 0.5, 0.0, 0.0]]
        sold = np.array([[4.0, 4.0, 0.0, 0.0]])
        margin = np.array([[0.05, 0.30, 0.0, 0.0]])  # resource-intensive goods earn more
        cost = structure.shift_mix(f, p, margin * sold)  # the margin earned
        return f, p, cost

    f, p, cost = case(0.15)
    assert f.mix[0, 1] == pytest.approx(0.5 + 0.2 * 0.5)
    assert cost[0] == pytest.approx(p.adjustment_cost * 0.2 * 0.5 * 10.0)
    f, _, cost = case(10.0)
    np.testing.assert_allclose(f.mix[0], [0.5, 0.5, 0.0, 0.0])
    assert cost[0] == 0.0


# ------------------------------------------------------------------ trade
def test_exporters_enter_on_expected_profit_and_leave_on_realised_loss():
    f, p = firms(4, export_review_rate=1.0)
    f.exports_to[:] = [[False] * 3, [False] * 3, [True] * 3, [True] * 3]
    expected = np.array([1.0, -1.0, 1.0, 1.0])
    realised = np.array([0.0, 0.0, 0.5, -0.5])
    review = trade.reviewing(4, p, np.random.default_rng(0))
    assert review.all()
    enter, leave = trade.update_exporters(f, 0, expected, realised, review)
    assert (enter, leave) == (1, 1)
    np.testing.assert_array_equal(f.exports_to[:, 0], [True, False, True, False])
    g, q = firms(2, export_review_rate=0.0)
    before = g.exports_to.copy()
    review = trade.reviewing(2, q, np.random.default_rng(0))
    trade.update_exporters(g, 0, np.ones(2), -np.ones(2), review)
    np.testing.assert_array_equal(g.exports_to, before)  # nobody reviews


def test_a_platform_lowers_the_fixed_export_cost():
    p = resolve(platform_export_saving=0.4)
    fixed = trade.export_fixed_cost(np.array([False, True]), p, 2.0)
    np.testing.assert_allclose(fixed, [2.0 * p.export_fixed_cost, 2.0 * p.export_fixed_cost * 0.6])


# ------------------------------------------------------------------ innovation
def test_rd_success_rises_with_spending_and_absorptive_capacity_is_bounded():
    # the first step of the R&D draw: a process project succeeds with probability
    # 1 - exp(-zeta x intensity); 20,000 firms at each intensity, tolerance 0.015 (over 4
    # standard errors of a share at this size)
    n, zeta = 20_000, 12.0
    u = np.random.default_rng(0).random((n, 2))
    none = -np.ones(n, np.int64)
    rates = []
    for x in (0.0, 0.01, 0.05, 0.2):
        _, ok, _ = innovation_loops.rd_outcomes(
            np.full(n, x), np.ones(n), np.zeros(n), none, none, np.zeros(1), np.zeros(n),
            -np.log(1.0 - u), zeta, 0.0, 0.1,
        )  # fmt: skip
        rates.append(ok.mean())
        assert abs(ok.mean() - (1.0 - np.exp(-zeta * x))) < 0.015, x
    assert rates[0] == 0.0 and np.all(np.diff(rates) > 0) and rates[-1] < 1.0
    a = innovation.absorptive_capacity(np.array([0.0, 1.0, 100.0]), 1.0)
    np.testing.assert_allclose(a[:2], [0.0, 0.5])
    assert a[2] < 1.0


def test_knowledge_spills_over_ties_to_the_laggard_only():
    f, p = firms(3, spillover_rate=0.5)
    f.knowledge[:] = [1.0, 3.0, 5.0]
    ties = Ties(3, np.array([0]), np.array([1]))  # firm 2 has no tie
    innovation.spill_over(f, ties, p)
    assert f.knowledge[0] > 1.0  # absorbs part of its neighbour's lead
    assert f.knowledge[1] == 3.0  # the leader learns nothing from a laggard
    assert f.knowledge[2] == 5.0  # no tie, no spillover


def test_no_rd_spending_no_innovation():
    m = TradeClusterModel(rng=2, n_firms=30, firm_data=False)
    f = m.firms
    f.rd_spend[:] = 0.0
    green, prod = f.green.copy(), f.productivity.copy()
    ok = innovation.do_rd(f, m.institutes, m.params, np.random.default_rng(0), m.market)
    assert not ok.any()
    np.testing.assert_array_equal(f.green, green)
    np.testing.assert_array_equal(f.productivity, prod)


# ------------------------------------------------------------------ accounting
def test_net_worth_changes_by_profit_and_the_government_pays_what_firms_receive():
    m = TradeClusterModel(rng=5, n_firms=80, firm_data=False, preset="policy")
    for _ in range(3):
        m.step()
    before = m.firms.net_worth.copy()
    ids = m.firm_ids.copy()
    m.step()
    f, gov = m.firms, m.government
    same = m.firm_ids == ids  # survivors (entrants start a new balance sheet)
    kept = np.where(f.profit > 0, m.params.retained_share * f.profit, f.profit)
    np.testing.assert_allclose(f.net_worth[same] - before[same], kept[same], atol=1e-9)
    assert gov.subsidies == pytest.approx(float(f.subsidy.sum()))
    assert gov.carbon_revenue == pytest.approx(float(f.carbon_paid.sum()))
    assert gov.budget == pytest.approx(gov.carbon_revenue - gov.subsidies - gov.spending)
    assert gov.subsidies > 0  # the policy preset pays subsidies
