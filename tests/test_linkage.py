"""Collaborative innovation: institutes reach firms only through partnerships, and the
enterprise-linkage mode lowers emission intensity through them (paired seeds)."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from abm import TradeClusterModel, innovation
from tests import runs
from tests.paired import assert_direction


def _year_of_innovation(m: TradeClusterModel, frontier: float | None) -> object:
    """One year's R&D and adoption on a copy of ``m``'s firms, with the institutes'
    frontiers set to ``frontier`` (None: as they are); the same draws either way."""
    f, inst = copy.deepcopy(m.firms), copy.deepcopy(m.institutes)
    if frontier is not None:
        inst.frontier[:] = frontier
    terms = innovation.green_value_terms(f, m.market)
    innovation.do_rd(f, inst, m.params, np.random.default_rng(7), m.market, terms)
    innovation.adopt(f, inst, m.ties, m.params, m.market, 0.3, np.random.default_rng(8), terms)
    return f


def test_a_firm_without_an_institute_partner_is_unaffected_by_the_institutes():
    # institutes with no knowledge (frontier 0, as if removed) or far ahead (frontier 1):
    # a firm that does not collaborate with an institute, nor has a tie to a firm that does,
    # ends the year's R&D and adoption exactly as it would with the institutes as they are;
    # partnered firms gain from their institutes, on average over three seeds' partnered
    # firms (at a carbon price of 250 USD/t, above the marginal cost of abating half of base
    # emissions, about 210 USD/t in 2020, so abating more pays): more than 0.01 of green
    # level against the institutes removed, and no less with a frontier far ahead (whose
    # step toward it can go beyond what pays, so it adds little)
    gains, extra = [], []
    for seed in (5, 6, 7):
        m = TradeClusterModel(
            rng=seed,
            n_firms=400,
            firm_data=False,
            collaboration_propensity=0.6,
            carbon_price=250.0,
            carbon_price_growth=0.0,
        )
        for _ in range(5):
            m.step()
        partnered = m.firms.partner_inst >= 0
        alone = ~partnered & (m.ties.neighbour_max(partnered.astype(float)) == 0.0)
        assert alone.sum() > 100 and partnered.sum() > 20
        base = _year_of_innovation(m, None)
        removed, ahead = _year_of_innovation(m, 0.0), _year_of_innovation(m, 1.0)
        for level, other in ((0.0, removed), (1.0, ahead)):
            for name in ("green", "productivity", "energy", "knowledge"):
                a, b = getattr(base, name), getattr(other, name)
                assert (a[alone] == b[alone]).all(), (seed, name, level)
        gains.append(base.green[partnered].mean() - removed.green[partnered].mean())
        extra.append(ahead.green[partnered].mean() - base.green[partnered].mean())
    assert np.mean(gains) > 0.01, gains
    assert np.mean(extra) >= 0.0, extra


@pytest.mark.slow
def test_the_linkage_mode_lowers_emission_intensity():
    # paired seeds 1-10, 2,000 firms, 40 years: the linkage preset (more collaboration,
    # denser ties, more spillovers, more institute places) lowers 2060 emission intensity
    # against the baseline with t <= -3 and at least 8 of 10 seeds agreeing (more pooled
    # research -> more process and green successes -> less energy and more abatement)
    def intensity(seed: int, preset: str) -> float:
        return float(runs.frame(seed, 40, 2000, preset=preset).emission_intensity.iloc[-1])

    d = [intensity(s, "linkage") - intensity(s, "baseline") for s in range(1, 11)]
    assert_direction(d, -1)
