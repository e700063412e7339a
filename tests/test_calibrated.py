"""The shipped calibration (``abm/calibrated.toml``) and its preset ``calibrated``."""

from __future__ import annotations

import pytest

from abm import SCENARIOS, TradeClusterModel
from abm.calibration import load_targets
from abm.calibration.validate import load_params, share_inside, validate
from abm.params import resolve
from abm.scenarios import calibration

TARGETS = "experiments/targets.toml"


def test_the_preset_holds_the_calibrated_values_inside_their_priors_and_intervals():
    cal = calibration()
    targets = load_targets(TARGETS)
    assert set(cal["params"]) == {f.name for f in targets.free}
    for f in targets.free:
        value = cal["params"][f.name]
        low, high = cal["intervals"][f.name]
        # the lowest-loss point lies in the prior; it may fall outside the posterior's
        # central 95 % interval (overhead, pulled to the top of its prior by turnover)
        assert f.low <= value <= f.high, f.name
        assert f.low <= low < high <= f.high, f.name
        assert resolve("calibrated")[f.name] == value
    assert dict(SCENARIOS["calibrated"]) == cal["params"]


def test_the_file_is_a_parameter_file_for_abm_validate():
    assert load_params("abm/calibrated.toml") == calibration()["params"]


def test_the_calibration_composes_with_every_mode():
    # no calibrated parameter is one a mode sets, so 'calibrated+policy' keeps both
    for mode in ("technology", "policy", "linkage", "consumption"):
        assert not set(SCENARIOS["calibrated"]) & set(SCENARIOS[mode]), mode
        both = resolve(f"calibrated+{mode}")
        for name, value in {**SCENARIOS["calibrated"], **SCENARIOS[mode]}.items():
            assert both[name] == value
    m = TradeClusterModel(preset="calibrated+policy", rng=1, n_firms=50, firm_data=False)
    m.step()
    assert m.params.export_fixed_cost == calibration()["params"]["export_fixed_cost"]


@pytest.mark.slow
def test_the_calibrated_preset_fits_the_moments_the_file_reports():
    # fresh seeds (not the calibration's): at least as many moments inside their interval
    # as the file states, less one for seed noise, with 6 seeds of 500 firms
    rows = validate(load_targets(TARGETS), load_params("abm/calibrated.toml"), seeds=6)
    inside, total = share_inside(rows)
    stated = calibration()["calibration"]["moments_inside"]
    assert total == calibration()["calibration"]["moments"]
    assert inside >= stated - 1, [r["name"] for r in rows if not r["inside"]]
