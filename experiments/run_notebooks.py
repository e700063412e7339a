"""Execute the notebooks at full size and store them with their outputs.

Every notebook in ``notebooks/`` (or the ones named) is run top to bottom with nbclient
(kernel ``python3``, working directory ``notebooks/``) with ``ABM_NOTEBOOK_SIZE=full``, and
written back in place with its outputs, so a reader sees the results of a full-size run::

    .venv/bin/python experiments/run_notebooks.py                        # all notebooks
    .venv/bin/python experiments/run_notebooks.py 02_factorial_modes     # one of them

Progress goes to the terminal: the notebook, each code cell as it starts and, while a long
cell runs, a line a minute, with the time elapsed. The notebooks' temporary results go to a
temporary directory, removed at the end. Volatile metadata (execution timings) and progress
bars are not stored, so a re-run changes only what the model computes (and the seconds a
sweep took); images are kept. A notebook that fails is not written back: the error names the
cell, and the script exits with status 1 after running the others.

On the reference machine of the README (a virtual machine with 2 vCPUs), shared with other
jobs, the five notebooks took about 20 minutes at full size: 01_quickstart a few seconds,
02_factorial_modes about a minute (160 runs), 04_calibration about a minute and a half (a
calibration of budget 200, then 120 runs), 03_sensitivity 3-6 minutes (640 runs: its
full size is a quarter of experiments/sensitivity.toml, which would take about 25 minutes),
05_scenario_discovery 11 minutes (2,000 runs). CI runs the notebooks at
``ABM_NOTEBOOK_SIZE=small`` (``tests/test_notebooks.py``) without writing them back.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
#: Cell metadata that changes from run to run without the results changing.
VOLATILE = ("execution", "collapsed", "scrolled")
WIDGET = "application/vnd.jupyter.widget-view+json"
#: Seconds between two "still running" lines while a long cell runs.
HEARTBEAT = 60


def minutes(seconds: float) -> str:
    """``m:ss``."""
    m, s = divmod(round(seconds), 60)
    return f"{m}:{s:02d}"


def select(names: list[str]) -> list[Path]:
    """The notebooks named (with or without ``.ipynb``), or all of them."""
    every = sorted(NOTEBOOKS.glob("*.ipynb"))
    if not names:
        return every
    chosen = []
    for name in names:
        stem = Path(name).name.removesuffix(".ipynb")
        match = [p for p in every if p.stem == stem]
        if not match:
            known = ", ".join(p.stem for p in every)
            raise SystemExit(f"no notebook {name!r} in notebooks/ (there are: {known})")
        chosen += match
    return chosen


def strip_volatile(nb: nbformat.NotebookNode) -> None:
    """Drop timings and view state so that re-runs give small diffs."""
    for cell in nb.cells:
        for key in VOLATILE:
            cell.metadata.pop(key, None)
        if cell.cell_type == "code":
            # progress bars drawn as widgets: their state is not stored, so they show as text
            cell.outputs = [out for out in cell.outputs if WIDGET not in out.get("data", {})]
    nb.metadata.pop("widgets", None)


def run(path: Path, timeout: int | None) -> float:
    """Execute one notebook and write it back; the seconds it took."""
    nb = nbformat.read(path, as_version=4)
    n_code = sum(cell.cell_type == "code" for cell in nb.cells)
    start = time.monotonic()
    done = 0

    def on_cell_execute(cell, cell_index, **_):
        nonlocal done
        if cell.cell_type == "code":
            done += 1
            print(
                f"  cell {done}/{n_code} (#{cell_index}), {minutes(time.monotonic() - start)}",
                flush=True,
            )

    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
        record_timing=False,
        on_cell_execute=on_cell_execute,
    )
    stop = threading.Event()

    def heartbeat():
        while not stop.wait(HEARTBEAT):
            print(f"  ... {minutes(time.monotonic() - start)}", flush=True)

    threading.Thread(target=heartbeat, daemon=True).start()
    try:
        client.execute()
    finally:
        stop.set()
    strip_volatile(nb)
    nbformat.validate(nb)
    nbformat.write(nb, path)
    return time.monotonic() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", help="notebook names (default: all)")
    parser.add_argument(
        "--timeout", type=int, default=None, help="seconds per cell (default: no limit)"
    )
    args = parser.parse_args(argv)
    paths = select(args.notebooks)

    failed = []
    total = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="abm-notebooks-") as tmp:
        # the kernels inherit these: full size, temporary results in tmp
        os.environ["ABM_NOTEBOOK_SIZE"] = "full"
        os.environ["TMPDIR"] = tmp
        for k, path in enumerate(paths, 1):
            print(f"[{k}/{len(paths)}] {path.name} (full size)", flush=True)
            try:
                seconds = run(path, args.timeout)
            except (CellExecutionError, CellTimeoutError, DeadKernelError) as err:
                failed.append(path.name)
                print(f"  FAILED, not written back:\n{err}", file=sys.stderr, flush=True)
                continue
            print(f"  done in {minutes(seconds)}, written to notebooks/{path.name}", flush=True)
    elapsed = minutes(time.monotonic() - total)
    print(f"{len(paths) - len(failed)} of {len(paths)} notebooks in {elapsed}")
    if failed:
        print("failed: " + ", ".join(failed), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
