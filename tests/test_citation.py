"""Citable: one version source, CITATION.cff (CFF 1.2), LICENSE, CHANGELOG and references."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
import yaml

import abm

ROOT = Path(__file__).parents[1]


def _citation() -> dict:
    return yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))


def test_version_has_one_source():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "version" not in project["project"]
    assert "version" in project["project"]["dynamic"]
    attr = project["tool"]["setuptools"]["dynamic"]["version"]["attr"]
    assert attr == "abm.__version__"
    assert re.fullmatch(r"\d+\.\d+\.\d+", abm.__version__)


def test_citation_version_and_changelog_match_the_package():
    assert _citation()["version"] == abm.__version__
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert "## [Unreleased]" in changelog
    heading = rf"^## \[{re.escape(abm.__version__)}\] - \d{{4}}-\d{{2}}-\d{{2}}$"
    assert re.search(heading, changelog, re.M)
    released = re.search(r"^## \[[\d.]+\] - (\S+)$", changelog, re.M).group(1)
    assert str(_citation()["date-released"]) == released


def test_citation_file_is_valid_cff_1_2():
    data = _citation()
    assert data["cff-version"] == "1.2.0"
    for key in ("message", "title", "authors"):
        assert data[key], key
    assert all("name" in a or "family-names" in a for a in data["authors"])
    assert data["license"] == "MIT"
    for ref in data.get("references", []):
        assert ref["type"] and ref["title"] and ref["authors"], ref
    try:  # the full schema, where cffconvert (which ships it) is installed
        import jsonschema
        from cffconvert.schemas import __path__ as schemas  # type: ignore[import-not-found]
    except ImportError:
        return
    import json

    schema = json.loads((Path(schemas[0]) / "1.2.0" / "schema.json").read_text())
    jsonschema.validate(data, schema)


def test_license_is_mit_as_in_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["project"]["license"] == "MIT"
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License") and "Permission is hereby granted" in text


@pytest.mark.parametrize(
    "needle",
    [
        "International Journal of Science",
        "1813-4890",
        "Optimizing Digital Trade Ecology and Enabling the Integration of Two Industries",
        "China Economic Times",
        "14th Five-Year Plan",
        "Grimm",
        "Melitz",
        "Regulation (EU) 2023/956",
        "10.21105/joss.00097",
        "10.21105/joss.07668",
    ],
)
def test_references_list_the_sources_and_the_literature(needle):
    text = " ".join((ROOT / "docs" / "references.md").read_text(encoding="utf-8").split())
    assert needle in text


def test_every_seed_is_in_the_references():
    text = (ROOT / "docs" / "references.md").read_text(encoding="utf-8")
    for seed in ("seed 000", "seed 001", "seed 002", "seed 003", "seed 004"):
        assert seed in text, seed
