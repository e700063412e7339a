"""Policy: the CBAM charge, its phase-in, carbon price paths."""

import numpy as np
import pytest

from abm.categories import DOMESTIC, DS, EU, LIB, RIB, ROW, TIB, UK
from abm.params import resolve
from abm.policy import cbam_charge, cbam_phase_in, policy_of_year, price_path
from tests.conftest import run_model


def test_cbam_formula():
    embedded = np.array([0.0, 10.0, 250.0])
    got = cbam_charge(90.0, 15.0, embedded, coverage=0.4)
    np.testing.assert_allclose(got, (90.0 - 15.0) * embedded * 0.4)


def test_cbam_is_zero_when_home_price_is_higher():
    assert np.all(cbam_charge(50.0, 80.0, np.array([100.0]), 1.0) == 0)


def test_cbam_phase_in_follows_the_eu_schedule():
    expected = {
        2025: 0.0,
        2026: 0.025,
        2027: 0.05,
        2028: 0.10,
        2029: 0.225,
        2030: 0.485,
        2031: 0.61,
        2032: 0.735,
        2033: 0.86,
        2034: 1.0,
        2050: 1.0,
    }
    for year, share in expected.items():
        assert cbam_phase_in(year) == pytest.approx(share)


def test_price_path_compounds():
    assert price_path(10.0, 0.05, 2) == pytest.approx(10.0 * 1.05**2)


def test_model_charges_cbam_only_from_the_start_year():
    m = run_model(steps=8, cbam_coverage=1.0, n_firms=400, rng=3)
    df = m.model_frame()
    before = df[df.year < 2026]
    after = df[df.year >= 2027]
    assert (before.cbam_paid == 0).all()
    assert (after.cbam_paid > 0).all(), after.cbam_paid.tolist()


def test_model_cbam_matches_formula_on_embedded_emissions():
    m = run_model(steps=10, cbam_coverage=0.5, n_firms=100)
    pol, f = m.government.policy, m.firms
    expected = 0.0
    for d in (EU, UK):
        gap = pol.carbon_prices[d] - pol.carbon_price
        embedded = m.emis[:, RIB] * f.q[d, :, RIB]  # tonnes in covered (RIB) exports
        expected += cbam_charge(gap, 0.0, embedded.sum(), 0.5, cbam_phase_in(m.year, 2026 + d - 1))
    assert f.cbam_paid.sum() == pytest.approx(float(expected) / 1e6, rel=1e-9)


def test_cbam_only_on_covered_categories_and_cbam_destinations():
    p = resolve("baseline", cbam_coverage=0.6, cbam_coverage_downstream=0.2)
    pol = policy_of_year(p, 2040, None, False)
    rate = pol.cbam_rate
    assert np.all(rate[DOMESTIC] == 0) and np.all(rate[ROW] == 0)  # no CBAM at home or ROW
    assert np.all(rate[:, DS] == 0)  # digital services are never covered
    gap = pol.carbon_prices[EU] - pol.carbon_price
    assert rate[EU, RIB] == pytest.approx(0.6 * gap)
    assert rate[EU, LIB] == pytest.approx(0.2 * gap) and rate[EU, TIB] == rate[EU, LIB]
    assert rate[UK, RIB] > 0
    early = policy_of_year(p, 2026, None, False).cbam_rate
    assert early[UK].sum() == 0 and early[EU, RIB] > 0  # the UK starts a year later


def test_adaptive_price_rises_faster_when_emissions_grow_after_peak():
    kw = dict(
        steps=15, n_firms=100, peak_year=2021, carbon_price_growth=0.0, income_growth_domestic=0.1
    )
    fixed = run_model(**kw).model_frame().carbon_price
    adaptive = run_model(adaptive_carbon_price=True, **kw).model_frame().carbon_price
    assert fixed.nunique() == 1
    assert adaptive.iloc[-1] > fixed.iloc[-1]


def test_the_backstop_price_falls_as_dices_pbacktime():
    # DICE-2016R: pbacktime(t) = pback x (1 - gback)^(t - 1), five-year periods from 2015,
    # gback = 0.025; the yearly rate gives the same prices every fifth year, and the
    # marginal abatement cost firms face moves with it
    from abm.abatement import marginal_cost
    from abm.policy import backstop_price

    p = resolve("baseline")
    for period in range(1, 11):
        year = 2015 + 5 * (period - 1)
        dice = p.abatement_backstop * (1 - 0.025) ** (period - 1)
        assert backstop_price(p, year) == pytest.approx(dice, rel=1e-4)
        assert policy_of_year(p, year, None, False).backstop == backstop_price(p, year)
    early, late = (policy_of_year(p, y, None, False).backstop for y in (2020, 2060))
    assert marginal_cost(0.5, late, p.abatement_exponent) < marginal_cost(
        0.5, early, p.abatement_exponent
    )
    flat = resolve("baseline", abatement_backstop_decline=0.0)
    assert backstop_price(flat, 2060) == flat.abatement_backstop
