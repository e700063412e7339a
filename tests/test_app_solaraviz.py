"""The user's own SolaraViz page of docs/app.md: served, stepped and reset in Chromium."""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

import pytest

from tests.test_app_helpers import (
    chromium_or_skip,
    free_port,
    launch,
    start_server,
    stop_server,
    wait_served,
)

DOC = Path(__file__).resolve().parents[1] / "docs" / "app.md"


def page_code() -> str:
    """The Python block of the section "Your own SolaraViz page"."""
    section = DOC.read_text().split("## Your own SolaraViz page", 1)[1].split("\n## ", 1)[0]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_the_documented_page_is_short():
    lines = [line for line in page_code().splitlines() if line.strip()]
    assert len(lines) <= 12, lines


@pytest.mark.browser
def test_own_solaraviz_page_steps_and_resets(playwright, tmp_path):
    path = chromium_or_skip()
    script = tmp_path / "my_page.py"
    script.write_text(page_code())
    solara = Path(sys.executable).with_name("solara")
    solara_cmd = [str(solara)] if solara.exists() else [shutil.which("solara") or "solara"]
    port = free_port()
    log = tmp_path / "server.log"
    cmd = [*solara_cmd, "run", str(script), "--port", str(port), "--production", "--no-open"]
    proc = start_server(cmd, log)
    url = f"http://127.0.0.1:{port}/"
    browser = None
    try:
        wait_served(proc, url, log)
        browser = launch(playwright, path)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(60_000)
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(url)
        page.get_by_text("Time: 0.0").wait_for()
        for _ in range(2):
            page.get_by_role("button", name="Step", exact=True).click()
        page.get_by_text("Time: 2.0").wait_for()
        page.get_by_role("button", name="Reset", exact=True).click()
        page.get_by_text("Time: 0.0").wait_for()  # a new model, built by Mesa's Reset
        page.get_by_role("button", name="Step", exact=True).click()
        page.get_by_text("Time: 1.0").wait_for()
        text = page.locator("body").inner_text()
        assert "Traceback" not in text and "error" not in text.lower(), text[:2000]
        assert page.locator(".v-alert").count() == 0
        assert errors == []
    finally:
        if browser is not None:
            browser.close()
        stop_server(proc, log)
