"""experiments/make_results.py writes docs/results.md from the headline experiments (tiny)."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

ROOT = Path(__file__).parents[1]


def _script():
    spec = importlib.util.spec_from_file_location(
        "make_results", ROOT / "experiments" / "make_results.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_make_results_writes_the_page_with_its_figures(tmp_path):
    script = _script()
    docs = tmp_path / "docs"
    argv = ["--size", "tiny", "--out", str(tmp_path / "out"), "--docs", str(docs)]
    assert script.main([*argv, "--executor", "serial"]) == 0
    page = (docs / "results.md").read_text(encoding="utf-8")
    for headline in script.HEADLINES:
        assert f"## {headline.title}" in page
        assert f"`experiments/{headline.name}.toml` at size tiny" in page
    assert "size: **tiny** (2 replicates" in page and "logical CPUs" in page
    assert "--size tiny" in page  # the command that reproduces the page
    # every figure the page shows was copied next to it
    images = re.findall(r"!\[[^]]*\]\((results/[^)]+)\)", page)
    assert len(images) >= 9
    for image in images:
        assert (docs / image).is_file(), image
    # the factorial table has one column per mode; the tiny Sobol' design is flagged
    assert "| reporter | technology | policy | linkage | consumption |" in page
    assert "small design: base sample n = 4" in page
    assert "Industrial-structure upgrading index (1-4)" in page


def test_the_page_says_when_runs_were_resumed_instead_of_timing_them():
    timing = _script()._timing
    assert timing(12.3, 0, 160) == "12 s of wall time"
    assert timing(5.0, 100, 160) == "5 s of wall time for 60 runs (100 resumed)"
    assert "all 160 runs resumed" in timing(0.2, 160, 160)
