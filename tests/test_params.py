"""Parameters, scenarios and bad input."""

import subprocess
import sys

import pytest

from abm import SCENARIOS, TradeClusterModel
from abm.params import PARAMETERS, markdown_table, plausible_text, resolve
from abm.scenarios import DESCRIPTIONS, MODES

REQUIRED = [
    "n_firms",
    "n_clusters",
    "institutes_per_cluster",
    "topology",
    "start_year",
    "carbon_price",
    "carbon_price_growth",
    "foreign_carbon_price",
    "cbam_coverage",
    "green_preference",
    "green_rd_subsidy",
    "adoption_subsidy",
    "research_funding",
    "collaboration_propensity",
    "digital_infrastructure",
]


def test_required_parameters_exist_with_docs_units_and_bounds():
    for name in REQUIRED:
        p = PARAMETERS[name]
        assert p.doc
        if p.kind in (int, float):
            assert p.low is not None and p.high is not None and p.low <= p.default <= p.high


def test_every_default_validates():
    for p in PARAMETERS.values():
        assert p.validate(p.default) == p.default


def test_scenarios_are_the_eight_presets_the_calibration_and_described():
    assert list(SCENARIOS) == [
        "baseline",
        "technology",
        "policy",
        "linkage",
        "consumption",
        "digital",
        "cbam",
        "combined",
        "calibrated",
    ]
    assert set(DESCRIPTIONS) == set(SCENARIOS)
    assert set(MODES) <= set(SCENARIOS)


def test_explicit_keywords_override_the_scenario():
    assert resolve("policy").carbon_price == SCENARIOS["policy"]["carbon_price"]
    assert resolve("policy", carbon_price=5.0).carbon_price == 5.0
    m = TradeClusterModel(scenario="policy", carbon_price=5.0, n_firms=30, rng=1)
    assert m.government.carbon_price == 5.0


def test_scenarios_compose_with_plus():
    p = resolve("technology+policy")
    assert p.rd_boost == SCENARIOS["technology"]["rd_boost"]
    assert p.carbon_price == SCENARIOS["policy"]["carbon_price"]
    combined = resolve("combined")
    modes = [n for n in SCENARIOS if n not in ("baseline", "combined", "calibrated")]
    every = resolve("+".join(modes))
    assert dict(combined) == dict(every)


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"carbon_prise": 10.0}, ["carbon_prise", "carbon_price", "allowed"]),
        ({"carbon_price": -1.0}, ["carbon_price", "-1.0", "[0, 2000]"]),
        ({"cbam_coverage": 1.5}, ["cbam_coverage", "1.5", "[0, 1]"]),
        ({"n_firms": 12.5}, ["n_firms", "12.5", "integer"]),
        ({"n_firms": "many"}, ["n_firms", "'many'"]),
        ({"firm_data": 1}, ["firm_data", "true or false"]),
        ({"topology": "torus"}, ["topology", "torus", "'sbm'", "'small_world'", "'scale_free'"]),
        ({"scenario": "greenwash"}, ["scenario", "greenwash", "baseline", "combined"]),
        ({"scenario": "policy+nope"}, ["scenario", "nope"]),
    ],
)
def test_bad_input_names_field_value_and_allowed(kwargs, words):
    with pytest.raises(ValueError) as err:
        TradeClusterModel(rng=1, **kwargs)
    msg = str(err.value)
    for w in words:
        assert w in msg, (w, msg)


def test_cli_turns_bad_input_into_one_line_and_nonzero_exit(tmp_path):
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "abm.cli",
            "run",
            "--set",
            "cbam_coverage=2",
            "--steps",
            "1",
            "--out",
            str(tmp_path / "r.parquet"),
            "--quiet",
        ],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "cbam_coverage" in lines[0]
    assert "Traceback" not in out.stderr
    assert not (tmp_path / "r.parquet").exists()


def test_the_parameter_table_has_a_plausible_range_column_with_its_source():
    rows = markdown_table().splitlines()
    assert rows[0].split(" | ")[4] == "plausible range (source)"
    cells = {row.split(" | ")[0].strip("| `"): row.split(" | ") for row in rows[2:]}
    assert len(cells) == len(PARAMETERS)
    assert all(len(row) == 7 for row in cells.values())  # no cell holds a '|'
    assert cells["trade_elasticity"][4] == (
        "[2, 8] (Head & Mayer (2014), Simonovska & Waugh (2014): estimates about 2-8)"
    )
    assert cells["n_firms"][4] == "-"
    assert plausible_text(PARAMETERS["n_firms"]) == ""
    assert plausible_text(PARAMETERS["income_growth_EU"]).startswith("[0.005, 0.02] (IMF")


def test_params_are_a_frozen_typed_dataclass_generated_from_the_registry():
    import dataclasses
    import pickle
    from pathlib import Path

    import abm.param_fields
    from abm.params import PARAMETERS, Params, fields_source, resolve

    # the typed fields are the registry's, in its order, with its types
    assert Path(abm.param_fields.__file__).read_text(encoding="utf-8") == fields_source()
    fields = dataclasses.fields(Params)
    assert [f.name for f in fields] == list(PARAMETERS)
    assert all(f.type == PARAMETERS[f.name].kind.__name__ for f in fields)
    p = resolve("policy", n_firms=42)
    assert p.n_firms == 42 and p["carbon_price"] == p.carbon_price == 30.0
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.carbon_price = 1.0  # type: ignore[misc]
    with pytest.raises(KeyError):
        p["no_such_parameter"]
    assert dict(p) == {name: getattr(p, name) for name in PARAMETERS}
    assert Params.of({**p, "n_firms": 7}).n_firms == 7
    assert pickle.loads(pickle.dumps(p)) == p
