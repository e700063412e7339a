"""The running cost of abatement (DICE form): shape, prices, and firms' green choices."""

import numpy as np
import pytest

from abm import TradeClusterModel, abatement
from abm.categories import BASE_EMISSION, RIB, USD_PER_MILLION
from tests.paired import assert_direction

B, THETA = 550.0, 2.6


def test_cost_is_zero_without_abatement_and_rises_convexly():
    g = np.array([0.0, 0.25, 0.5, 0.75, 1.0])
    c = abatement.unit_cost(g, B, THETA)[:, RIB]
    assert c[0] == 0.0
    assert np.all(np.diff(c) > 0) and np.all(np.diff(c, 2) > 0)
    # full abatement of resource-intensive goods: base emissions x backstop / exponent
    assert c[-1] == pytest.approx(BASE_EMISSION[RIB] * B / THETA / USD_PER_MILLION)


def test_marginal_cost_is_the_derivative_and_reaches_the_backstop():
    g, h = 0.6, 1e-6
    c = abatement.unit_cost(np.array([g, g + h]), B, THETA)[:, RIB]
    per_tonne = (c[1] - c[0]) / h / BASE_EMISSION[RIB] * USD_PER_MILLION
    assert per_tonne == pytest.approx(abatement.marginal_cost(g, B, THETA), rel=1e-4)
    assert abatement.marginal_cost(1.0, B, THETA) == pytest.approx(B)
    assert abatement.marginal_cost(0.0, B, THETA) == 0.0


def test_cost_scales_with_base_emissions_of_the_category():
    c = abatement.unit_cost(np.array([0.5]), B, THETA)[0]
    np.testing.assert_allclose(c / c[RIB], BASE_EMISSION / BASE_EMISSION[RIB])


def test_abatement_cost_enters_unit_costs_and_prices():
    m = TradeClusterModel(rng=4, n_firms=60, firm_data=False)
    cheap = TradeClusterModel(rng=4, n_firms=60, firm_data=False, abatement_backstop=1.0)
    extra = m.unit_cost - cheap.unit_cost
    # this year's backstop prices (the 2015 values falling as in DICE)
    b, b_cheap = (x.government.current_policy.backstop for x in (m, cheap))
    assert b_cheap < b < m.params.abatement_backstop
    want = abatement.unit_cost(m.firms.green, b, 2.6) - abatement.unit_cost(
        m.firms.green, b_cheap, 2.6
    )
    np.testing.assert_allclose(extra, want, rtol=1e-9, atol=1e-15)
    # the cluster's mean price of resource-intensive goods at home carries the cost
    assert m.market.p_sellers[0, RIB] > cheap.market.p_sellers[0, RIB]


@pytest.mark.slow
def test_green_level_follows_the_carbon_price_up_to_the_backstop():
    # paired seeds, 150 firms, 30 years: at a constant carbon price below the marginal
    # abatement cost of the initial levels firms hardly abate more; the higher the price
    # the higher the mean green level, and at the backstop price (its 2015 value, above
    # the falling backstop every year of the run) firms approach full
    # decarbonisation: they emit less than 20 % of what the start-year technology emits
    # per unit of output (abatement x energy efficiency), on the mean over seeds.
    def green(seed, price):
        m = TradeClusterModel(
            rng=seed, n_firms=150, firm_data=False, carbon_price=price, carbon_price_growth=0.0
        )
        for _ in range(30):
            m.step()
        f = m.firms
        return float(f.green.mean()), float(((1.0 - f.green) * f.energy).mean())

    runs = np.array([[green(s, price) for price in (0.0, 150.0, 649.0)] for s in range(5)])
    levels, left = runs[..., 0], runs[..., 1]
    assert (np.diff(levels, axis=1) > 0).all(), levels
    assert levels[:, 0].mean() < 0.25, levels
    assert left[:, 2].mean() < 0.2, left


@pytest.mark.slow
def test_a_carbon_price_of_100_growing_6_percent_decarbonises_by_2060():
    # the benchmark path: 100 USD/t in 2020 growing 6 % a year (about 1,030 USD/t in
    # 2060, above the backstop) brings 2060 emission intensity below 10 % of its 2020 level
    # on the mean of 10 seeds (300 firms; seeds range about 0.085-0.105), and firms still
    # differ in their green levels
    def run(seed):
        m = TradeClusterModel(
            rng=seed, n_firms=300, firm_data=False, carbon_price=100.0, carbon_price_growth=0.06
        )
        for _ in range(40):
            m.step()
        e = m.model_frame().emission_intensity
        return e.iloc[-1] / e.iloc[0], m.firms.green.std()

    left, spread = np.array([run(s) for s in range(1, 11)]).T
    assert left.mean() < 0.10, left
    assert (spread > 0.01).all(), spread


@pytest.mark.slow
def test_a_falling_backstop_makes_firms_abate_more():
    # paired seeds 1-10, 500 firms, 40 years under the policy preset: with DICE's fall of
    # the backstop price (2.5 % a five-year period) abating is cheaper each year than with
    # the backstop held at its 2015 value, so the 2060 mean green level is higher (paired
    # rule: t >= 3 and 8 of 10 seeds agreeing)
    def green(seed: int, decline: float) -> float:
        m = TradeClusterModel(
            preset="policy",
            rng=seed,
            n_firms=500,
            firm_data=False,
            abatement_backstop_decline=decline,
        )
        for _ in range(40):
            m.step()
        return float(m.firms.green.mean())

    diff = [green(s, 0.00505) - green(s, 0.0) for s in range(1, 11)]
    assert_direction(np.array(diff), +1)
