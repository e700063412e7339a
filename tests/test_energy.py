"""Energy efficiency and the grid: process innovation saves energy and the grid gets cleaner,
which lower costs and emissions.

Unit tests on small arrays, then paired seeds (same seed, same initial firms): 10 seeds of
300 firms over 40 years; a direction holds when the mean paired difference has t >= 3 and
at least 8 of 10 seeds agree.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest

from abm import TradeClusterModel
from abm.categories import BASE_EMISSION, RIB, USD_PER_MILLION, emission_intensity, energy_cost
from abm.innovation import do_rd
from abm.markets import unit_costs
from tests.paired import assert_direction

SEEDS = range(1, 11)


def test_energy_use_scales_emissions_and_the_energy_part_of_unit_cost():
    green = np.array([0.0, 0.5, 0.5])
    energy = np.array([1.0, 1.0, 0.5])
    e = emission_intensity(green, energy)
    np.testing.assert_allclose(e[:, RIB], BASE_EMISSION[RIB] * np.array([1.0, 0.5, 0.25]))
    prod = np.ones(3)
    start = unit_costs(prod, e, 0.0, energy=np.ones(3), energy_price=100.0)
    saved = start - unit_costs(prod, e, 0.0, energy=energy, energy_price=100.0)
    # half the energy saves half the start-year energy cost, base emissions x 100 USD/t
    np.testing.assert_allclose(saved[2], 0.5 * BASE_EMISSION * 100.0 / USD_PER_MILLION)
    np.testing.assert_allclose(saved[:2], 0.0, atol=1e-15)
    np.testing.assert_allclose(energy_cost(100.0), BASE_EMISSION * 1e-4)


def test_only_a_process_success_lowers_energy_use_and_it_never_rises():
    m = TradeClusterModel(rng=3, n_firms=400, firm_data=False)
    f = m.firms
    f.revenue[:] = 1.0
    f.rd_spend[:] = 0.1  # 10 % of revenue
    f.rd_spend[:200] = 0.0  # no R&D, no success
    before = f.energy.copy()
    for _ in range(5):
        do_rd(f, m.institutes, m.params, np.random.default_rng(1))
    assert (f.energy[:200] == before[:200]).all()
    assert (f.energy <= before).all() and (f.energy[200:] < before[200:]).sum() > 50
    # a success saves at most the support's width: x / (1 + width) per year
    assert (f.energy[200:] >= before[200:] / (1.0 + m.params.energy_draw_width) ** 5).all()


@cache
def runs(**params) -> tuple[tuple[float, float], ...]:
    """(2060 emission intensity, 2060 mean energy use) of each seed's run."""
    out = []
    for seed in SEEDS:
        m = TradeClusterModel(rng=seed, n_firms=300, firm_data=False, **params)
        for _ in range(40):
            m.step()
        last = m.model_frame().iloc[-1]
        out.append((float(last.emission_intensity), float(last.mean_energy_use)))
    return tuple(out)


def assert_lower(a: np.ndarray, b: np.ndarray) -> None:
    """``a`` below ``b`` in paired seeds (:func:`tests.paired.assert_direction`)."""
    assert_direction(a - b, -1)


@pytest.mark.slow
def test_energy_innovation_lowers_emission_intensity():
    # without energy-efficiency draws energy use stays at 1 and 2060 emission intensity is
    # higher in paired seeds; with them energy use per unit of output falls by at least a
    # tenth over 40 years (about 0.5-1 %/yr: Lamperti et al. 2018 report energy efficiency
    # improving with labour productivity)
    default, off = np.array(runs()), np.array(runs(energy_draw_width=0.0))
    assert (off[:, 1] == 1.0).all()
    assert default[:, 1].mean() < 0.9, default[:, 1]
    assert_lower(default[:, 0], off[:, 0])


@pytest.mark.slow
def test_more_rd_saves_more_energy():
    # the technology mode's R&D effort reaches emissions through process innovation too:
    # a doubled R&D effort lowers 2060 energy use per unit of output in paired seeds
    assert_lower(np.array(runs(rd_boost=2.0))[:, 1], np.array(runs())[:, 1])


def test_the_grid_path_cleans_the_power_share_of_energy():
    # energy_carbon = 1 - power_share x (1 - (1 - rate)^t): 1 at the start, the fossil share
    # (1 - power_share) in the limit, and 1 throughout without decarbonisation
    from abm.params import resolve
    from abm.policy import energy_carbon

    p = resolve("baseline")
    assert energy_carbon(p, 0) == 1.0
    assert energy_carbon(p, 10) == pytest.approx(
        1.0 - p.power_share * (1.0 - (1.0 - p.grid_decarbonisation) ** 10)
    )
    assert energy_carbon(p, 2000) == pytest.approx(1.0 - p.power_share)
    assert energy_carbon(resolve("baseline", grid_decarbonisation=0.0), 40) == 1.0


@pytest.mark.slow
def test_a_cleaner_grid_lowers_emission_intensity():
    # holding the grid at its 2020 mix raises 2060 emission intensity in paired seeds
    assert_lower(np.array(runs())[:, 0], np.array(runs(grid_decarbonisation=0.0))[:, 0])
