"""Accounting identities and shares."""

import numpy as np
import pytest

from abm.categories import CATEGORIES
from tests.conftest import run_model


def test_profit_is_revenue_minus_costs_plus_subsidies(small_run):
    f = small_run.firms
    np.testing.assert_allclose(f.profit, f.revenue - f.cost + f.subsidy, rtol=1e-12)


def test_carbon_revenue_is_sum_of_carbon_payments(small_run):
    m = small_run
    f = m.firms
    df = m.model_frame()
    assert df.carbon_revenue.iloc[-1] == pytest.approx(f.carbon_paid.sum(), rel=1e-12)
    expected = m.government.carbon_price * f.emissions.sum() / 1e6
    assert df.carbon_revenue.iloc[-1] == pytest.approx(expected, rel=1e-12)


def test_emissions_are_intensity_times_output(small_run):
    f = small_run.firms
    np.testing.assert_allclose(f.emissions, (small_run.emis * f.output).sum(1))


def test_sales_within_capacity():
    # capacity grows after markets clear, so check a clearing directly
    m = run_model(steps=6, n_firms=120)
    m.set_policy()
    m.compute_costs()
    m.clear_markets()
    cap = m.firms.capacity[:, None] * m.firms.mix
    assert np.all(m.firms.output <= cap * (1 + 1e-9))
    assert m.firms.output.sum() > 0


def test_shares_sum_to_one(small_run):
    df = small_run.model_frame()
    out = df[[f"output_share_{c}" for c in CATEGORIES]].sum(axis=1)
    exp = df[[f"export_share_{c}" for c in CATEGORIES]].sum(axis=1)
    np.testing.assert_allclose(out, 1.0)
    np.testing.assert_allclose(exp, 1.0)
    np.testing.assert_allclose(small_run.firms.mix.sum(1), 1.0)


def test_budget_balance_is_revenue_minus_spending(small_run):
    df = small_run.model_frame().iloc[-1]
    gov = small_run.government
    assert df.budget_balance == pytest.approx(
        df.carbon_revenue - df.subsidies - gov.spending, rel=1e-9
    )
