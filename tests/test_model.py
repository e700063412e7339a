"""The public API: reporters, agents, determinism, batch_run."""

import mesa
import numpy as np
import pandas as pd
import pytest

from abm import TradeClusterModel
from abm.agents import ForeignTradeFirm, Government, ResearchInstitute
from tests.conftest import run_model

REPORTERS = [
    "output_share_LIB",
    "output_share_RIB",
    "output_share_TIB",
    "output_share_DS",
    "export_share_LIB",
    "export_share_RIB",
    "export_share_TIB",
    "export_share_DS",
    "exports",
    "upgrading_index",
    "export_hhi",
    "exporter_share",
    "digital_share",
    "green_share",
    "mean_green_level",
    "best_practice_share",
    "emissions",
    "emission_intensity",
    "export_emission_intensity",
    "carbon_revenue",
    "subsidies",
    "cbam_paid",
    "rd_intensity",
    "collaborations",
    "mean_knowledge",
    "n_firms",
    "entries",
    "exits",
]


def test_collector_records_named_reporters_for_every_step_and_initial_state(small_run):
    df = small_run.model_frame()
    assert set(REPORTERS) <= set(df.columns)
    assert len(df) == small_run.steps + 1
    assert df.year.tolist() == list(range(2020, 2020 + small_run.steps + 1))
    assert np.isfinite(df[REPORTERS].to_numpy(float)).all()


def test_best_practice_share_counts_firms_at_the_start_years_cleanest_decile():
    # technology emission factors energy x (1 - green) of 1.0, 0.9, ..., 0.1 (twenty firms,
    # each twice): the cleanest 10 % (two firms at 0.1) set the benchmark at 0.1; the grid's
    # path does not enter, and a firm that gets cleaner joins the share
    from types import SimpleNamespace

    from abm.reporters import best_practice, best_practice_share

    factor = np.repeat(np.arange(10, 0, -1) / 10, 2)
    firms = SimpleNamespace(energy=np.full(20, 2.0), green=1.0 - factor / 2.0)
    m = SimpleNamespace(firms=firms, start_best_practice=best_practice(firms))
    assert m.start_best_practice == pytest.approx(0.1)
    assert best_practice_share(m) == pytest.approx(2 / 20)
    firms.energy[:4] = 0.1  # factors 0.1 x (1 - green) <= 0.1
    assert best_practice_share(m) == pytest.approx(6 / 20)


def test_agents_of_three_types_are_views_on_the_arrays(small_run):
    m = small_run
    firms = m.agents_by_type[ForeignTradeFirm]
    assert len(firms) == m.n_firms
    assert len(m.agents_by_type[ResearchInstitute]) == m.institutes.n
    assert len(m.agents_by_type[Government]) == 1
    a = m.firm_agents[7]
    assert a.green_level == m.firms.green[7]
    assert a.capacity == m.firms.capacity[7]
    assert abs(sum(a.mix.values()) - 1) < 1e-12
    assert a.main_category in ("LIB", "RIB", "TIB", "DS")
    mean_green = firms.agg("green_level", np.mean)
    assert mean_green == pytest.approx(np.mean(m.firms.green), rel=1e-12)  # summation order


def test_partners_are_agents(small_run):
    m = small_run
    rows = np.flatnonzero(m.firms.partner_firm >= 0)
    assert len(rows) > 0
    a = m.firm_agents[rows[0]]
    assert any(isinstance(p, ForeignTradeFirm) for p in a.partners)
    inst_rows = np.flatnonzero(m.firms.partner_inst >= 0)
    assert len(inst_rows) > 0
    inst = m.firm_agents[inst_rows[0]].partners[-1]
    assert isinstance(inst, ResearchInstitute)
    assert m.firm_agents[inst_rows[0]] in inst.partners


def test_firm_frame_is_long_and_tidy(small_run):
    ff = small_run.firm_frame()
    n = small_run.n_firms
    assert len(ff) == n * (small_run.steps + 1)
    assert {"Step", "year", "firm_id", "green_level", "capacity", "exporter"} <= set(ff.columns)
    assert ff.groupby("Step").size().eq(n).all()


def test_firm_data_off_records_no_firm_rows():
    m = run_model(steps=2, n_firms=50, firm_data=False)
    assert m.firm_frame().empty
    assert len(m.model_frame()) == 3


def test_same_seed_same_frames_different_seed_differs():
    a = run_model(steps=6, rng=42)
    b = run_model(steps=6, rng=42)
    c = run_model(steps=6, rng=43)
    pd.testing.assert_frame_equal(a.model_frame(), b.model_frame())
    pd.testing.assert_frame_equal(a.firm_frame(), b.firm_frame())
    assert not a.model_frame().equals(c.model_frame())


def test_batch_run_returns_named_reporters():
    rows = mesa.batch_run(
        TradeClusterModel,
        parameters={"n_firms": [40], "carbon_price": [10.0, 50.0], "firm_data": [False]},
        rng=[1, 2],
        max_steps=3,
        data_collection_period=1,
        display_progress=False,
    )
    df = pd.DataFrame(rows)
    assert len(df) == 2 * 2 * 4
    assert set(REPORTERS) <= set(df.columns)
    last = df[df.Step == 3]
    assert last.groupby("carbon_price").emission_intensity.mean().is_monotonic_decreasing


def test_every_scenario_runs():
    from abm import SCENARIOS

    for name in SCENARIOS:
        df = run_model(steps=3, n_firms=60, scenario=name).model_frame()
        assert len(df) == 4 and np.isfinite(df.upgrading_index).all()


def test_entrants_agents_are_seated_when_looked_at_with_the_ids_they_entered_with():
    # turnover does not create Mesa agents until agents are looked at; then every firm row
    # has one agent whose id is the row's firm_id, exited firms' agents are gone, and
    # looking at the agents during a run does not change the run's ids or outputs
    looked = TradeClusterModel(rng=3, n_firms=300, firm_data=False)
    unseen = TradeClusterModel(rng=3, n_firms=300, firm_data=False)
    for _ in range(12):
        looked.step()
        unseen.step()
        agents = looked.firm_agents
        assert [a.unique_id for a in agents] == looked.firm_ids.tolist()
    assert np.array_equal(looked.firm_ids, unseen.firm_ids)
    assert looked.model_frame().equals(unseen.model_frame())
    assert len(set(unseen.firm_ids.tolist()) - set(range(1, 301))) > 0  # firms turned over
    firms = list(unseen.agents_by_type[ForeignTradeFirm])
    assert sorted(a.unique_id for a in firms) == sorted(unseen.firm_ids.tolist())
    assert all(a.model is unseen for a in firms)
