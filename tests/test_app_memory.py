"""The app server returns the memory of replaced models and closed sessions.

Starts ``abm app``, opens the page in headless Chromium, measures one 100,000-firm model's
need as the server's growth from the first Reset at that size (firm records off), resets ten
times in all, opens and closes a second session, and checks that the server's resident
memory ends within 20 % of that one model's need above where it started.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from tests.test_app_helpers import (
    abm_command,
    chromium_or_skip,
    free_port,
    launch,
    rss_mib,
    start_server,
    stop_server,
    wait_served,
)

N_FIRMS = 100_000
RESETS = 10


def _settled_rss(pid: int, seconds: float = 2.0) -> float:
    time.sleep(seconds)
    return rss_mib(pid)


def _reset(page) -> None:
    """Press Reset (an empty seed draws a new one) and wait for the new model's network."""
    before = page.locator('[data-abm="seed"]').inner_text()
    page.get_by_role("button", name="Reset", exact=True).click()
    page.wait_for_function(
        """(before) => {
            const seed = document.querySelector('[data-abm="seed"]');
            const img = document.querySelector('.abm-view-network img');
            return seed && seed.textContent !== before && img && img.complete;
        }""",
        arg=before,
        timeout=120_000,
    )


@pytest.mark.slow
@pytest.mark.browser
def test_memory_returns_after_resets_and_a_closed_session(playwright, tmp_path, output_path):
    path = chromium_or_skip()
    port = free_port()
    log = tmp_path / "server.log"
    proc = start_server(
        [*abm_command(), "app", "--port", str(port)], log, {"SOLARA_KERNEL_CULL_TIMEOUT": "5s"}
    )
    url = f"http://127.0.0.1:{port}/"
    browser = None
    try:
        wait_served(proc, url, log)
        browser = launch(playwright, path)
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        page.set_default_timeout(120_000)
        page.goto(url)
        page.locator(".abm-view-network img").wait_for()
        start = _settled_rss(proc.pid)

        page.locator(".abm-control-seed input").fill("")
        page.locator(".abm-control-seed input").press("Enter")
        page.locator(".abm-control-firm_data .v-input--selection-controls__ripple").click()
        page.wait_for_function(
            """() => document.querySelector('.abm-control-firm_data input')
                .getAttribute('aria-checked') === 'false'"""
        )
        firms = page.locator(".abm-control-n_firms input")
        assert firms.count() == 1
        firms.fill(str(N_FIRMS))
        firms.press("Enter")
        page.wait_for_function(
            "() => (document.querySelector('.abm-pending') || {}).textContent?.includes('firms,')"
        )
        _reset(page)
        assert f"{N_FIRMS:,} firms" in page.locator(".abm-run").inner_text()
        one = _settled_rss(proc.pid)
        need = one - start
        after = [one]
        for _ in range(RESETS - 1):
            _reset(page)
            after.append(rss_mib(proc.pid))

        second = browser.new_context(viewport={"width": 1400, "height": 1000})
        other = second.new_page()
        other.goto(url)
        other.locator(".abm-view-network img").wait_for(timeout=120_000)
        with_second = rss_mib(proc.pid)
        second.close()  # the page's close beacon ends its session

        limit = start + 1.2 * need
        deadline = time.monotonic() + 60
        end = rss_mib(proc.pid)
        while end > limit and time.monotonic() < deadline:
            end = _settled_rss(proc.pid, 1.0)
        result = {
            "start_mib": start,
            "one_model_need_mib": need,
            "after_each_reset_mib": after,
            "with_second_session_mib": with_second,
            "end_mib": end,
            "limit_mib": limit,
        }
        out = Path(output_path)
        out.mkdir(parents=True, exist_ok=True)
        (out / "memory.json").write_text(json.dumps(result, indent=2))
        print(
            f"\nserver memory: start {start:.0f} MiB, one {N_FIRMS:,}-firm model "
            f"{need:.0f} MiB, after {RESETS} resets {after[-1]:.0f} MiB, with a second session "
            f"{with_second:.0f} MiB, end {end:.0f} MiB (limit {limit:.0f} MiB)"
        )
        assert need > 50, result  # the model was really built
        assert end <= limit, result
        context.close()
    finally:
        if browser is not None:
            browser.close()
        stop_server(proc, log)
