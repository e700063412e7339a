"""``abm app``'s options: bad ports and hosts stop with one line; ``--port 0`` says its port."""

from __future__ import annotations

import re
import socket
import subprocess
import urllib.request

import pytest

from tests.test_app_helpers import abm_command, start_server, stop_server, wait_served


def _app(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*abm_command(), "app", *args], capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize(
    ("args", "start"),
    [
        (["--port", "-1"], "abm app: error: --port '-1' is not allowed; allowed: an integer"),
        (["--port", "65536"], "abm app: error: --port '65536' is not allowed"),
        (["--port", "http"], "abm app: error: --port 'http' is not allowed"),
        (["--host", ""], "abm app: error: --host '' is not allowed"),
        (["--host", "no-such-host.invalid"], "abm app: error: cannot use --host"),
        (["--host", "192.0.2.1"], "abm app: error: cannot use --host '192.0.2.1'"),
    ],
)
def test_bad_options_are_one_line(args, start):
    result = _app(*args)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(start), result.stderr
    assert "Traceback" not in result.stderr
    if "--host" in args:
        assert "port" not in lines[0].lower()  # a bad host does not blame the port


def test_port_in_use_names_the_port():
    with socket.create_server(("127.0.0.1", 0)) as busy:
        port = busy.getsockname()[1]
        result = _app("--port", str(port))
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"abm app: error: port {port} on 127.0.0.1 is in use; choose another with --port"
    )


def test_port_zero_prints_the_port_served(tmp_path):
    log = tmp_path / "server.log"
    proc = start_server([*abm_command(), "app", "--port", "0"], log)
    try:
        for _ in range(120):
            match = re.search(r"serving http://127\.0\.0\.1:(\d+)/", log.read_text())
            if match or proc.poll() is not None:
                break
            import time

            time.sleep(0.5)
        assert match, log.read_text()
        port = int(match.group(1))
        assert port != 0
        url = f"http://127.0.0.1:{port}/"
        wait_served(proc, url, log)
        with urllib.request.urlopen(url, timeout=10) as response:
            assert response.status == 200
    finally:
        stop_server(proc, log)
