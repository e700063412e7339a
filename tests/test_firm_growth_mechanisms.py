"""Unit tests of the mechanisms behind firm growth and size: radical process results, lumpy
and size-scaled demand-appeal shocks, the Pareto tail of initial sizes, the cap on a busy
firm's price rise, entrants' prices and sizes, and entrants' records."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from abm import TradeClusterModel
from abm.demography import renew
from abm.innovation import process_gain
from abm.markets import column_median, drift_appeal, poisson_events, update_scarcity
from abm.params import resolve
from abm.state import init_firms, pareto_factor
from abm.validation import hill_estimator


def test_radical_results_are_the_stated_share_with_a_pareto_tail():
    # 400,000 successes: the share of radical results is radical_share within 0.002; every
    # radical gain is at least the incremental maximum (1); the Hill estimate of their
    # tail index (top 10 %) is radical_tail within 10 %; incremental gains stay in [0, 1]
    p = resolve(radical_share=0.05, radical_tail=3.0)
    rng = np.random.default_rng(0)
    n = 400_000
    draw = 2.0 * rng.beta(3.0, 3.0, n) - 1.0
    u, lomax = rng.random(n), rng.pareto(p.radical_tail, n)
    gain = process_gain(draw, u, lomax, p)
    radical = u < p.radical_share
    assert radical.mean() == pytest.approx(0.05, abs=0.002)
    assert gain[radical].min() >= 1.0
    assert gain[~radical].min() >= 0.0 and gain[~radical].max() <= 1.0
    assert hill_estimator(gain[radical]) == pytest.approx(3.0, rel=0.1)
    none = process_gain(draw, u, lomax, resolve(radical_share=0.0))
    assert np.array_equal(none, np.maximum(draw, 0.0))


def test_appeal_shocks_shrink_with_size_and_are_lumpy_for_the_median_firm():
    # 200,000 firms at each of five sizes (1/16 to 16 times the median): the s.d. of the
    # yearly shock falls with size at the elasticity e within 0.02 (log-log slope), and the
    # median-size firms' shocks have the excess kurtosis 3 / appeal_events of a Poisson
    # mixture of normals (3 at one opportunity a year, the Laplace's), within 0.3
    p = resolve(appeal_size_elasticity=0.15, appeal_events=1.0, appeal_persistence=0.0)
    rng = np.random.default_rng(2)
    sizes = np.repeat(2.0 ** np.arange(-4, 5, 2), 200_000)
    shock = drift_appeal(np.zeros(len(sizes)), p, rng, sizes)
    levels = np.unique(sizes)
    sd = np.array([shock[sizes == s].std() for s in levels])
    slope = np.polyfit(np.log(levels), np.log(sd), 1)[0]
    assert slope == pytest.approx(-0.15, abs=0.02)
    median = shock[sizes == 1.0]
    assert median.std() == pytest.approx(p.appeal_volatility, rel=0.02)
    assert stats.kurtosis(median) == pytest.approx(3.0, abs=0.3)
    many = drift_appeal(np.zeros(200_000), resolve(appeal_events=1000.0), rng)
    assert abs(stats.kurtosis(many)) < 0.1  # many small lumps: nearly normal


def test_poisson_events_invert_their_uniforms():
    # each draw is the Poisson quantile of its own uniform: the same uniform gives the same
    # count whatever the other rows' means, counts rise with the uniform, and over many
    # uniforms the counts have the Poisson's mean and variance (within 2 %), also above
    # the mean where the normal approximation takes over
    u = np.random.default_rng(4).random(400_000)
    for mean in (0.3, 1.0, 7.0, 400.0):
        k = poisson_events(u, np.full(len(u), mean))
        assert k.mean() == pytest.approx(mean, rel=0.02)
        assert k.var() == pytest.approx(mean, rel=0.02)
    lam = np.array([1.0, 50.0, 1.0, 3.0])
    alone = poisson_events(u[:4], np.ones(4))
    mixed = poisson_events(u[:4], lam)
    assert alone[0] == mixed[0] and alone[2] == mixed[2]
    order = np.argsort(u[:1000])
    assert np.all(np.diff(poisson_events(u[:1000][order], np.full(1000, 2.0))) >= 0)
    quantiles = stats.poisson(2.0).ppf(u[:50])
    assert quantiles.tolist() == poisson_events(u[:50], np.full(50, 2.0)).tolist()


def test_column_median_leaves_its_input_alone():
    a = np.array([[5.0], [1.0], [4.0], [2.0], [3.0]])
    before = a.copy()
    assert column_median(a)[0] == 3.0
    assert np.array_equal(a, before)


def test_initial_sizes_have_a_pareto_tail_of_the_stated_index():
    # the size factor alone: median 1 within 2 %, Hill tail index (top 10 %) within 10 %;
    # with it the initial firms' capacities have a fatter tail (index below 1.6) than with
    # a thin one (index 50: the lognormal alone, above 2)
    rng = np.random.default_rng(5)
    x = pareto_factor(rng, 200_000, 1.3)
    assert np.median(x) == pytest.approx(1.0, rel=0.02)
    assert hill_estimator(x) == pytest.approx(1.3, rel=0.1)
    cluster = np.zeros(20_000, np.int64)
    fat = init_firms(resolve(initial_size_tail=1.3), cluster, np.random.default_rng(1))
    thin = init_firms(resolve(initial_size_tail=50.0), cluster, np.random.default_rng(1))
    assert hill_estimator(fat.capacity) < 1.6 < 2.0 < hill_estimator(thin.capacity)


def test_a_busy_firm_raises_its_price_at_most_to_its_clearing_price():
    # demand 5 times capacity: the uncapped rule would double the price (the clip at 2);
    # capped, the rise is log(U / target) / sensitivity, so at the logit's sensitivity the
    # firm's own demand falls back to its target utilisation, not below it
    target, beta = 0.85, 8.0
    util = np.array([5.0, 1.2, 0.85, 0.4])
    uncapped = update_scarcity(np.ones(4), util, target, 0.1, 0.5)
    capped = update_scarcity(np.ones(4), util, target, 0.1, 0.5, beta)
    assert uncapped[0] == 2.0
    assert np.log(capped[0]) == pytest.approx(np.log(5.0 / target) / beta)
    assert 5.0 * np.exp(-beta * np.log(capped[0])) == pytest.approx(target)
    assert 1.0 < capped[1] <= uncapped[1]  # a small excess: the same direction, no more
    assert capped[2] == 1.0 and capped[3] == uncapped[3] < 1.0  # cuts are not capped


def test_entrants_price_like_incumbents_and_start_at_a_share_of_their_mean_size():
    p = resolve(entrant_size=0.3, entrant_size_dispersion=0.0)
    f = init_firms(p, np.zeros(400, np.int64), np.random.default_rng(3))
    f.markup[:] = np.random.default_rng(4).uniform(0.9, 1.3, f.n)
    rows = np.arange(20)
    alive = np.ones(f.n, bool)
    alive[rows] = False
    mean_size, markup = f.capacity[alive].mean(), np.exp(np.log(f.markup[alive]).mean())
    renew(f, rows, np.zeros(4), p, np.random.default_rng(6))
    assert np.allclose(f.capacity[rows], 0.3 * mean_size)
    assert np.allclose(f.markup[rows], markup)


def test_an_entrant_has_no_revenue_profit_or_emissions_in_its_entry_year():
    # the row an entrant takes belonged this year to a firm that left: the firm frame gives
    # the entrant zero flows in its entry year (age 0), and its own flows the year after
    m = TradeClusterModel(rng=1, n_firms=300)
    for _ in range(8):
        m.step()
    ff = m.firm_frame()
    new = ff[(ff.age == 0) & (ff.Step > 0)]
    assert len(new) > 0
    for column in ("revenue", "profit", "emissions", "exports", "rd_intensity"):
        assert (new[column] == 0.0).all(), column
    later = ff.merge(new[["firm_id", "year"]].assign(year=new.year + 1), on=["firm_id", "year"])
    assert (later.revenue > 0).mean() > 0.9
