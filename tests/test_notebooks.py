"""The notebooks are stored with the outputs of a full-size run and run top to bottom small.

The stored outputs come from ``experiments/run_notebooks.py`` (``ABM_NOTEBOOK_SIZE=full``):
every code cell has outputs unless it only imports, assigns or defines, none is an error,
the cells ran in order, and the size printed by the first code cell is ``full``. The
execution test runs each notebook with ``ABM_NOTEBOOK_SIZE=small`` with nbclient (like
``pytest --nbmake notebooks/``, as part of the normal test run; marked slow: about a minute
and a half) and does not write it back.
"""

from __future__ import annotations

import ast
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))

#: Statements that print nothing: a cell made only of these may have no outputs.
SILENT = (
    ast.Import,
    ast.ImportFrom,
    ast.Assign,
    ast.AnnAssign,
    ast.AugAssign,
    ast.FunctionDef,
    ast.ClassDef,
)


def may_be_silent(source: str) -> bool:
    """True when a cell only imports, assigns, defines or calls ``set_option``."""
    for node in ast.parse(source).body:
        if isinstance(node, SILENT):
            continue
        call = node.value if isinstance(node, ast.Expr) else None
        if (
            isinstance(call, ast.Call)
            and isinstance(call.func, ast.Attribute)
            and call.func.attr == "set_option"
        ):
            continue
        return False
    return True


def code_cells(nb: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    return [cell for cell in nb.cells if cell.cell_type == "code"]


def stdout(cell: nbformat.NotebookNode) -> str:
    return "".join(
        out.text for out in cell.outputs if out.output_type == "stream" and out.name == "stdout"
    )


def test_there_are_notebooks():
    names = {p.name for p in NOTEBOOKS}
    assert {"01_quickstart.ipynb", "02_factorial_modes.ipynb", "03_sensitivity.ipynb"} <= names


def test_may_be_silent():
    assert may_be_silent("import os\nx = 1\npd.set_option('a', 1)\ndef f():\n    print(1)")
    assert not may_be_silent("x = 1\nx")
    assert not may_be_silent("print(1)")
    assert not may_be_silent("for r in rs:\n    display(r)")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_stored_with_full_size_outputs(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    cells = code_cells(nb)
    # one run, top to bottom
    assert [c.execution_count for c in cells] == list(range(1, len(cells) + 1)), path.name
    for k, cell in enumerate(cells):
        assert cell.outputs or may_be_silent(cell.source), f"{path.name}: code cell {k} no output"
        errors = [out for out in cell.outputs if out.output_type == "error"]
        assert not errors, f"{path.name}: code cell {k} has an error output"
        assert "execution" not in cell.metadata, f"{path.name}: timings stored"
    # no view of a progress-bar widget, no path of the run's temporary directory
    text = nbformat.writes(nb)
    assert "widget-view" not in text and "abm-notebooks-" not in text, path.name
    # the first code cell chooses the size and prints it
    assert 'os.environ.get("ABM_NOTEBOOK_SIZE", "full")' in cells[0].source, path.name
    assert stdout(cells[0]).startswith("size: full "), path.name


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_executes_small(path, tmp_path, monkeypatch):
    from nbclient import NotebookClient

    # the kernel inherits the environment: the small size, and the notebooks' temporary
    # results in pytest's tmp_path
    monkeypatch.setenv("ABM_NOTEBOOK_SIZE", "small")
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()  # raises CellExecutionError naming the failing cell; nb is not written
    errors = [out for cell in code_cells(nb) for out in cell.outputs if out.output_type == "error"]
    assert not errors
    assert stdout(code_cells(nb)[0]).startswith("size: small "), path.name
