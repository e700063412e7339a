"""The app's controls and the server-side checks of what the page sends (no browser)."""

from __future__ import annotations

import math

import pytest

from abm.app.controls import (
    BY_NAME,
    CONTROLS,
    SEED_MAX,
    check_seed,
    check_settings,
    pending_changes,
    preset_values,
)
from abm.params import PARAMETERS, TOPOLOGIES, resolve
from abm.scenarios import SCENARIOS


def test_controls_come_from_the_registry_and_hold_every_preset():
    for c in CONTROLS:
        p = PARAMETERS[c.name]
        assert p.doc in c.tooltip() and (p.unit in c.tooltip())
        for name in SCENARIOS:
            value = preset_values(name)[c.name]
            if c.name != "firm_data":
                assert value == resolve(name)[c.name]
            assert c.check(value) == value, (name, c.name)
    assert BY_NAME["topology"].choices == TOPOLOGIES


@pytest.mark.parametrize("text", ["-1", "abc", "1.5", str(SEED_MAX + 1), " 7x", True, 2.0])
def test_bad_seeds_are_refused_in_one_line(text):
    with pytest.raises(ValueError) as info:
        check_seed(text)
    message = str(info.value)
    assert message.startswith("Seed: ") and "allowed: an integer in [0, " in message
    assert "\n" not in message


def test_good_seeds():
    assert check_seed("7") == 7 and check_seed(" 0 ") == 0 and check_seed("") is None
    assert check_seed(SEED_MAX) == SEED_MAX
    settings = check_settings("baseline", "", preset_values("baseline"))
    assert 0 <= settings.seed < 2**31  # an empty seed draws one


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("topology", "/etc/passwd"),
        ("topology", "SBM"),
        ("n_firms", 250_000),
        ("n_firms", 99),
        ("n_firms", 500.5),
        ("n_firms", "500"),
        ("carbon_price", math.nan),
        ("carbon_price", math.inf),
        ("carbon_price", -1.0),
        ("carbon_price", 1e9),
        ("cbam_coverage", 1.5),
        ("n_clusters", True),
        ("firm_data", "yes"),
    ],
)
def test_values_outside_a_control_are_refused(name, value):
    values = {**preset_values("baseline"), name: value}
    with pytest.raises(ValueError) as info:
        check_settings("baseline", "1", values)
    message = str(info.value)
    assert message.startswith(BY_NAME[name].label + ": ") and "allowed: " in message
    assert "\n" not in message


def test_unknown_preset_and_several_faults_in_one_line():
    values = {**preset_values("baseline"), "n_firms": 5}
    with pytest.raises(ValueError) as info:
        check_settings("../x", "-1", values)
    message = str(info.value)
    assert message.count("is not allowed") == 3 and "\n" not in message
    assert message.startswith("Scenario preset: '../x' is not allowed")


def test_settings_build_a_model_and_firm_records_have_a_ceiling():
    from abm import TradeClusterModel

    values = {**preset_values("policy"), "n_firms": 120}
    settings = check_settings("policy", "7", values)
    model = TradeClusterModel(**settings.model_kwargs())
    assert model.params.carbon_price == resolve("policy")["carbon_price"]
    assert model.params.firm_data is True
    assert pending_changes(settings, "policy", "7", values) == []
    changed = {**values, "carbon_price": values["carbon_price"] + 5}
    assert pending_changes(settings, "baseline", "8", changed) == [
        "scenario",
        "seed",
        "carbon price",
    ]
    big = check_settings("baseline", "1", {**preset_values("baseline"), "n_firms": 50_000})
    assert big.model_kwargs()["firm_data"] is False


def test_run_steps_draws_and_frees_replaced_models():
    import weakref

    from abm.app.session import VIEWS, Run

    run = Run()
    settings = check_settings("baseline", "3", {**preset_values("baseline"), "n_firms": 150})
    run.build(settings)
    ms = run.step(tuple(VIEWS))
    assert ms > 0 and run.model.year == resolve("baseline")["start_year"] + 1
    for view in VIEWS:
        picture = run.picture(view)
        assert picture.data and picture.font_px >= 12.5, view
    replaced = weakref.ref(run.model)
    run.build(settings)  # Reset: the old model, its figures and frames are gone at once
    assert replaced() is None
    run.picture("network", "category")
    last = weakref.ref(run.model)
    run.release()  # the session closes
    assert run.model is None and run.settings is None and last() is None


def test_downloads_and_compare():
    from abm.app.data import check_years, compare, compare_table, firms_csv, years_csv
    from abm.app.session import Run

    run = Run()
    run.build(check_settings("baseline", "3", {**preset_values("baseline"), "n_firms": 150}))
    run.step()
    years = years_csv(run.model).decode().splitlines()
    assert len(years) == 3 and "year" in years[0]
    firms = firms_csv(run.model, records=True).decode().splitlines()
    assert len(firms) == 1 + 2 * 150 or len(firms) > 150
    snapshot = firms_csv(run.model, records=False).decode().splitlines()
    assert len(snapshot) == 1 + run.model.n_firms
    result = compare(("baseline", "policy"), run.settings, 3)
    assert list(result.frames) == ["A: baseline", "B: policy"]
    table = compare_table(result)
    assert list(table.columns) == ["indicator", "unit", "A: baseline", "B: policy", "difference"]
    for bad in (0, 61, 2.5, "5", True):
        with pytest.raises(ValueError, match="^Years: "):
            check_years(bad)
