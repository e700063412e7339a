"""docs/ODD.md describes the code as it is."""

from pathlib import Path

import numpy as np

from abm import TradeClusterModel
from abm.calibration.targets import load_targets
from abm.calibration.targets import markdown_table as targets_table
from abm.evaluation import score_run
from abm.params import markdown_table
from abm.reporters import MODEL_REPORTERS
from abm.scenarios import SCENARIOS

ROOT = Path(__file__).parents[1]
ODD = (ROOT / "docs" / "ODD.md").read_text()


def test_parameter_table_matches_the_code():
    block = ODD.split("<!-- parameters:start -->\n")[1].split("<!-- parameters:end -->")[0]
    assert block == markdown_table(), "regenerate with abm.params.markdown_table()"


def test_targets_table_matches_the_targets_file():
    block = ODD.split("<!-- targets:start -->\n")[1].split("<!-- targets:end -->")[0]
    expected = targets_table(load_targets(ROOT / "experiments" / "targets.toml"))
    assert block == expected, "regenerate with abm.calibration.targets.markdown_table()"


def test_every_reporter_and_scenario_is_documented():
    for name in MODEL_REPORTERS:
        stem = name
        if stem.endswith(("_EU", "_UK", "_ROW")) and stem.startswith("export_share_"):
            stem = "export_share_"  # the table names the first and last of the 12
        elif name[-3:] in ("LIB", "RIB", "TIB", "_DS"):
            stem = name.rsplit("_", 1)[0]
        assert f"`{stem}" in ODD, name
    for name in SCENARIOS:
        assert f"| `{name}` |" in ODD, name


def index_by_scenario_table(seeds=range(1, 6), steps: int = 40) -> str:
    """The ODD's table of the final-year index by scenario (mean over seeds)."""
    rows = ["| Scenario | Index | Input | Output |", "|---|---|---|---|"]
    for name in SCENARIOS:
        parts = []
        for seed in seeds:
            model = TradeClusterModel(scenario=name, rng=seed, firm_data=False)
            for _ in range(steps):
                model.step()
            score = score_run(model.model_frame()).iloc[-1]  # the index of the last step
            parts.append([score["innovation_index"], score["input_score"], score["output_score"]])
        index, inputs, output = np.mean(parts, axis=0)
        rows.append(f"| `{name}` | {index:.1f} | {inputs:.1f} | {output:.1f} |")
    return "\n".join(rows) + "\n"


def test_index_by_scenario_table_matches_the_model():
    block = ODD.split("<!-- index-by-scenario:start -->\n")[1].split("<!-- index-by-scenario")[0]
    expected = index_by_scenario_table()
    assert block == expected, "replace the block in docs/ODD.md with:\n" + expected


def test_calibrated_preset_row_lists_the_shipped_values():
    row = next(line for line in ODD.splitlines() if line.startswith("| `calibrated` |"))
    for name, value in SCENARIOS["calibrated"].items():
        assert f"`{name}` {value:.4g}" in row, (name, value, "docs/ODD.md section 8")
