"""The allocator settings of large runs (``abm.allocator``)."""

import platform
import subprocess
import sys

import pytest


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt is glibc's")
def test_only_large_runs_tune_glibc_malloc():
    # in a child process: the settings are process-wide and would stay in the test process
    code = (
        "from abm.allocator import LARGE_RUN_FIRMS as n, tune_for_large_runs as tune; "
        "print(tune(n - 1), tune(n), tune(1_000_000))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True", "True"]
