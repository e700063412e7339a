"""Invariants over random valid parameters (hypothesis)."""

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from abm import TradeClusterModel
from abm.categories import CATEGORIES

params = st.fixed_dictionaries(
    {
        "n_firms": st.integers(10, 80),
        "n_clusters": st.integers(1, 6),
        "institutes_per_cluster": st.integers(0, 3),
        "topology": st.sampled_from(["sbm", "small_world", "scale_free"]),
        "carbon_price": st.floats(0, 300),
        "carbon_price_growth": st.floats(-0.1, 0.2),
        "foreign_carbon_price": st.floats(0, 300),
        "cbam_coverage": st.floats(0, 1),
        "green_preference": st.floats(0, 200),
        "green_rd_subsidy": st.floats(0, 1),
        "adoption_subsidy": st.floats(0, 1),
        "research_funding": st.floats(0, 50),
        "collaboration_propensity": st.floats(0, 1),
        "digital_infrastructure": st.floats(0, 1),
        "income_elasticity_TIB": st.floats(0.0, 3.0),
        "cbam_coverage_downstream": st.floats(0, 1),
        "preset": st.sampled_from(["baseline", "policy", "combined", "cbam"]),
    }
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(params, st.integers(0, 2**31 - 1))
def test_state_stays_valid(kw, seed):
    m = TradeClusterModel(rng=seed, firm_data=False, **kw)
    for _ in range(6):
        m.step()
        f = m.firms
        assert np.all(f.capacity >= 0)
        assert np.all((f.green >= 0) & (f.green <= 1))
        assert np.all(f.mix >= -1e-12)
        np.testing.assert_allclose(f.mix.sum(1), 1.0)
        for arr in (f.revenue, f.profit, f.net_worth, f.emissions, f.knowledge, f.productivity):
            assert np.all(np.isfinite(arr))
    df = m.model_frame()
    assert np.isfinite(df.drop(columns=["year"]).to_numpy(float)).all()
    for kind in ("output", "export"):
        s = df[[f"{kind}_share_{c}" for c in CATEGORIES]]
        assert ((s >= 0) & (s <= 1)).all().all()
        total = s.sum(axis=1)
        assert np.all(np.isclose(total, 1.0) | np.isclose(total, 0.0))
