"""Helpers shared by the app tests: a running server, Chromium, resident memory (no tests)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("ABM_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]
IN_CI = os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def unavailable(reason: str):
    """Skip a browser test for lack of a browser, but fail under CI."""
    if IN_CI:
        pytest.fail(f"{reason}; CI=true, so browser tests must run, not skip", pytrace=False)
    pytest.skip(reason)


def chromium_or_skip() -> str:
    if not Path(CHROMIUM).exists():
        unavailable(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    try:
        import pytest_playwright  # noqa: F401
    except ImportError:
        unavailable("pytest-playwright is not installed")
    return CHROMIUM


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def abm_command() -> list[str]:
    script = Path(sys.executable).with_name("abm")
    if script.exists():
        return [str(script)]
    found = shutil.which("abm")
    return [found] if found else [sys.executable, "-m", "abm.cli"]


def wait_served(proc: subprocess.Popen, url: str, log: Path, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            pytest.fail(f"the server exited with {proc.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"the server did not serve {url} within {timeout} s:\n{log.read_text()}")
        time.sleep(0.5)


def start_server(cmd: list[str], log: Path, env: dict | None = None) -> subprocess.Popen:
    from abm.app_server import OFFLINE_CDN

    full_env = {**os.environ, "SOLARA_ASSETS_CDN": OFFLINE_CDN, "PYTHONUNBUFFERED": "1"}
    full_env.update(env or {})
    with open(log, "wb") as out:
        return subprocess.Popen(
            cmd, stdout=out, stderr=subprocess.STDOUT, env=full_env, start_new_session=True
        )


def stop_server(proc: subprocess.Popen, log: Path) -> int:
    """Stop with Ctrl-C (SIGINT), which must end the server cleanly; return its exit code."""
    proc.send_signal(signal.SIGINT)
    try:
        return proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        pytest.fail(f"the server did not stop on Ctrl-C within 30 s:\n{log.read_text()}")


def launch(playwright, path: str):
    return playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS, headless=True)


def rss_mib(pid: int) -> float:
    """Resident memory of a process, in MiB."""
    with open(f"/proc/{pid}/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
