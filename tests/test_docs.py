"""docs/ODD.md describes the code as it is."""

from pathlib import Path

from abm.params import markdown_table
from abm.reporters import MODEL_REPORTERS
from abm.scenarios import SCENARIOS

ODD = (Path(__file__).parents[1] / "docs" / "ODD.md").read_text()


def test_parameter_table_matches_the_code():
    block = ODD.split("<!-- parameters:start -->\n")[1].split("<!-- parameters:end -->")[0]
    assert block == markdown_table(), "regenerate with abm.params.markdown_table()"


def test_every_reporter_and_scenario_is_documented():
    for name in MODEL_REPORTERS:
        stem = name.rsplit("_", 1)[0] if name[-3:] in ("LIB", "RIB", "TIB", "_DS") else name
        assert f"`{stem}" in ODD, name
    for name in SCENARIOS:
        assert f"| `{name}` |" in ODD, name
