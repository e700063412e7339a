"""The numbers that draw the initial population, the institutes and the entrants, and those
of platform adoption, are registry parameters: changing one changes what it draws."""

from __future__ import annotations

import numpy as np

from abm import trade
from abm.categories import N_CAT, TIB
from abm.demography import renew
from abm.params import resolve
from abm.state import init_firms, init_institutes


def firms(**params):
    p = resolve(**params)
    return init_firms(p, np.zeros(400, np.int64), np.random.default_rng(3)), p


def test_main_share_of_initial_firms_and_entrants_is_initial_specialisation():
    f, p = firms(initial_specialisation=1.0)
    assert np.allclose(f.mix.max(1), 1.0)  # one category holds everything
    f.mix[:] = 1.0 / N_CAT  # forget the draw, then renew the first 50 rows
    rows = np.arange(50)
    renew(f, rows, np.zeros(N_CAT), p, np.random.default_rng(4))
    assert np.allclose(f.mix[rows].max(1), 1.0)
    g, _ = firms(initial_specialisation=0.5)
    top = g.mix.max(1)  # the main half plus the main category's part of the spread
    assert np.all(top >= 0.5) and top.mean() < 0.8


def test_provisional_exporters_are_the_initial_exporter_share():
    for share in (0.1, 0.4):
        f, _ = firms(initial_exporter_share=share)
        assert abs(f.exports_to[:, 0].mean() - share) <= 1 / 400


def test_dispersion_parameters_set_the_spread_of_their_draws():
    narrow, _ = firms(rd_taste_dispersion=0.05, initial_knowledge_dispersion=0.05)
    wide, _ = firms(rd_taste_dispersion=0.6, initial_knowledge_dispersion=0.6)
    assert np.log(narrow.rd_taste).std() < 0.1 < 0.4 < np.log(wide.rd_taste).std()
    assert np.log(narrow.knowledge).std() < np.log(wide.knowledge).std()


def test_institutes_start_in_their_frontier_range_with_their_places():
    p = resolve(institute_frontier=0.2, institute_frontier_spread=0.1, institute_min_places=7)
    inst = init_institutes(p, 3, np.array([10, 10, 10]), np.random.default_rng(1))
    assert np.all((inst.frontier >= 0.2) & (inst.frontier <= 0.3))
    assert np.all(inst.partner_capacity == 7)  # 10 % of 10 firms is less than 7
    p = resolve(institute_places_share=1.0, institutes_per_cluster=2)
    inst = init_institutes(p, 1, np.array([40]), np.random.default_rng(1))
    assert np.all(inst.partner_capacity == 20)  # 40 places shared by two institutes


def test_infrastructure_effect_sets_the_platform_discount():
    assert trade.platform_fee(resolve(infrastructure_effect=0.0), 1.0) == resolve().platform_cost
    half = trade.platform_fee(resolve(infrastructure_effect=0.5), 1.0)
    assert half == 0.5 * resolve().platform_cost


def test_initial_mix_weights_set_the_population_mix():
    base, _ = firms()
    tib, _ = firms(initial_mix_TIB=0.9)  # normalised with the others: TIB about 0.59
    assert tib.mix[:, TIB].mean() > base.mix[:, TIB].mean() + 0.15
    assert np.allclose(tib.mix.sum(1), 1.0)
