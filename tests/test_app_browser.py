"""The browser app, tested in a real headless Chromium against a running ``abm app``.

The browser tests start ``abm app`` on a free port, drive Debian's Chromium
(``/usr/bin/chromium``, never a Playwright download) with pytest-playwright's ``playwright``
fixture and check what a user sees: every view, Step, scenario + Reset, no error text, no
request leaving the machine. They save screenshots under the test's output folder
(``test-results/<test id>/``) and measure how long a step takes to show, at 500, 10,000
and 100,000 firms. Without the browser they are skipped, except under ``CI=true``, where they fail.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("ABM_CHROMIUM", "/usr/bin/chromium")
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
VIEWPORT = {"width": 1600, "height": 1480}
VIEWS = ("network", "key-figures", "industrial", "trade", "emissions", "government")
PLOTS = ("network", "industrial", "trade", "emissions", "government")


def _unavailable(reason: str):
    """Skip a browser test for lack of a browser, but fail under CI."""
    if IN_CI:
        pytest.fail(f"{reason}; CI=true, so browser tests must run, not skip", pytrace=False)
    pytest.skip(reason)


# ----------------------------------------------------------------------------- unit checks
# Fast checks of the page's plumbing, without a browser or a server.


def test_preset_moves_every_control_into_its_slider():
    from abm.app.controls import CONTROLS, preset_values
    from abm.params import resolve
    from abm.scenarios import SCENARIOS

    for name in SCENARIOS:
        values = preset_values(name)
        params = resolve(name)
        for c in CONTROLS:
            assert values[c.name] == params[c.name]
            if not c.is_select:
                assert c.low <= values[c.name] <= c.high, (name, c.name)


def test_app_model_maps_controls_to_model_keywords():
    import solara
    from mesa.experimental.scenarios import Scenario

    from abm.app.controls import AppModel, model_kwargs, pending_changes, preset_values

    values = {**preset_values("policy"), "n_firms": 120}
    kwargs = model_kwargs("policy", "7", values)
    kwargs["carbon_price"] = solara.reactive(values["carbon_price"])  # as Mesa passes it first
    model = AppModel(**kwargs, scenario=Scenario())
    assert model.scenario_name == "policy"
    assert model.params.carbon_price == 30.0
    assert model.params.research_funding == 6.0
    assert model.seed == 7
    assert model.params.firm_data is False
    assert pending_changes(model, "policy", "7", values) == []
    values["carbon_price"] = 55.0
    assert pending_changes(model, "baseline", "8", values) == ["scenario", "seed", "carbon price"]


def test_app_command_defaults_and_offline_settings():
    from abm.app_server import OFFLINE_CDN, missing_assets, offline_environment
    from abm.cli import build_parser

    args = build_parser().parse_args(["app"])
    assert (args.port, args.host) == (8765, "127.0.0.1")
    args = build_parser().parse_args(["app", "--port", "9000", "--host", "0.0.0.0"])
    assert (args.port, args.host) == (9000, "0.0.0.0")
    env = offline_environment({"SOLARA_THEME_LOADER": "solara"})
    assert env["SOLARA_ASSETS_PROXY"] == "true"
    assert env["SOLARA_ASSETS_CDN"] == OFFLINE_CDN
    assert env["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] == "false"
    assert env["SOLARA_THEME_LOADER"] == "solara"
    assert missing_assets() == [], "solara-assets is not installed"


# ----------------------------------------------------------------------------- fixtures


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _abm_command() -> list[str]:
    script = Path(sys.executable).with_name("abm")
    if script.exists():
        return [str(script)]
    found = shutil.which("abm")
    return [found] if found else [sys.executable, "-m", "abm.cli"]


@pytest.fixture(scope="module")
def chromium_path() -> str:
    if not Path(CHROMIUM).exists():
        _unavailable(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    try:
        import pytest_playwright  # noqa: F401
    except ImportError:
        _unavailable("pytest-playwright is not installed")
    return CHROMIUM


@pytest.fixture(scope="module")
def app_url(chromium_path, tmp_path_factory):
    """``abm app`` on a free port; stopped with Ctrl-C (SIGINT), which must end it cleanly."""
    from abm.app_server import OFFLINE_CDN

    port = _free_port()
    log = tmp_path_factory.mktemp("abm-app") / "server.log"
    env = {**os.environ, "SOLARA_ASSETS_CDN": OFFLINE_CDN, "PYTHONUNBUFFERED": "1"}
    cmd = [*_abm_command(), "app", "--port", str(port), "--host", "127.0.0.1"]
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            cmd, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 120
    while True:
        if proc.poll() is not None:
            pytest.fail(f"abm app exited with {proc.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    break
        except OSError:
            pass
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"abm app did not serve {url} within 120 s:\n{log.read_text()}")
        time.sleep(0.5)
    yield url
    proc.send_signal(signal.SIGINT)
    try:
        code = proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        pytest.fail(f"abm app did not stop on Ctrl-C within 30 s:\n{log.read_text()}")
    assert code in (0, 130), f"abm app exited with {code} on Ctrl-C:\n{log.read_text()}"


@pytest.fixture(scope="module")
def chromium(chromium_path, playwright):
    browser = playwright.chromium.launch(
        executable_path=chromium_path, args=CHROMIUM_ARGS, headless=True
    )
    yield browser
    browser.close()


class PageWatch:
    """Records a page's requests, failed responses and console errors."""

    def __init__(self, page):
        self.requests: list[str] = []
        self.failed: list[str] = []
        self.errors: list[str] = []
        page.on("request", lambda r: self.requests.append(r.url))
        page.on("requestfailed", lambda r: self.failed.append(f"{r.url} ({r.failure})"))
        page.on(
            "response",
            lambda r: self.failed.append(f"{r.url} (HTTP {r.status})") if r.status >= 400 else None,
        )
        page.on("pageerror", lambda e: self.errors.append(f"page error: {e}"))
        page.on(
            "console",
            lambda m: self.errors.append(f"console: {m.text}") if m.type == "error" else None,
        )

    def external(self) -> list[str]:
        local = ("http://127.0.0.1:", "ws://127.0.0.1:", "data:", "blob:", "about:")
        return [u for u in self.requests if not u.startswith(local)]


@pytest.fixture
def app_page(chromium, app_url):
    context = chromium.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.set_default_timeout(60_000)
    watch = PageWatch(page)
    page.goto(app_url)
    wait_for_views(page)
    yield page, watch
    context.close()


# ----------------------------------------------------------------------------- helpers

VIEWS_READY_JS = """(views) => views.every(v => {
  const el = document.querySelector('.abm-view-' + v);
  if (!el) return false;
  if (v === 'key-figures') return !!el.querySelector('[data-abm="carbon_price"]');
  const img = el.querySelector('img');
  return !!img && img.complete && img.naturalWidth > 0;
})"""

#: Click Step and resolve with the time (ms) until the shown year changes and until every
#: figure has been replaced by a newly loaded image.
STEP_JS = """async () => {
  const year = () => {
    const e = document.querySelector('[data-abm="shown-year"]');
    return e ? e.textContent.trim() : null;
  };
  const figures = () => [...document.querySelectorAll('.abm-view img.abm-figure')];
  const before = year();
  const old = figures().map(i => i.src);
  const button = [...document.querySelectorAll('button')]
    .find(b => b.textContent.trim().toLowerCase() === 'step');
  const t0 = performance.now();
  button.click();
  return await new Promise(resolve => {
    let shown = null;
    const check = () => {
      const now = performance.now();
      if (shown === null && year() !== before) shown = now - t0;
      const imgs = figures();
      const drawn = imgs.length === old.length
        && imgs.every((im, k) => im.src !== old[k] && im.complete && im.naturalWidth > 0);
      if (shown !== null && drawn) resolve({year: shown, figures: now - t0, shown: year()});
      else if (now - t0 > 60000) resolve({year: shown, figures: null, shown: year()});
      else setTimeout(check, 4);
    };
    check();
  });
}"""

IMAGE_HASH_JS = """async (selector) => {
  const img = document.querySelector(selector);
  const data = await (await fetch(img.src)).arrayBuffer();
  const digest = await crypto.subtle.digest('SHA-256', data);
  return Array.from(new Uint8Array(digest)).map(b => b.toString(16).padStart(2, '0')).join('');
}"""


def wait_for_views(page, timeout: float = 90_000) -> None:
    page.wait_for_function(VIEWS_READY_JS, arg=list(VIEWS), timeout=timeout)


def shown_year(page) -> int:
    return int(page.locator('[data-abm="shown-year"]').inner_text())


def wait_until_year_settles(page, quiet_ms: int = 3000, timeout_ms: int = 30_000) -> int:
    """Wait until the shown year has not changed for ``quiet_ms``; return it."""
    start = time.monotonic()
    year, since = shown_year(page), time.monotonic()
    while (time.monotonic() - since) * 1000 < quiet_ms:
        assert (time.monotonic() - start) * 1000 < timeout_ms, "the year keeps changing"
        page.wait_for_timeout(250)
        now = shown_year(page)
        if now != year:
            year, since = now, time.monotonic()
    return year


def key_figure(page, key: str) -> str:
    return page.locator(f'[data-abm="{key}"]').inner_text().strip()


def step(page) -> dict:
    """Press Step; return the times (ms) until the year and all figures are redrawn."""
    result = page.evaluate(STEP_JS)
    assert result["year"] is not None, f"the shown year did not change after Step: {result}"
    return result


def slider(page, label_start: str):
    return page.locator(".v-navigation-drawer .v-input__slider").filter(has_text=label_start)


def set_slider(page, label_start: str, target: int, current: int, step_size: int) -> None:
    """Move a sidebar slider with the keyboard (arrow keys move one step)."""
    thumb = slider(page, label_start).locator('[role="slider"]')
    thumb.focus()
    key = "ArrowRight" if target > current else "ArrowLeft"
    for _ in range(abs(target - current) // step_size):
        page.keyboard.press(key)
    expected = f"{label_start} {target:,}"
    page.wait_for_function(
        """([start, expected]) => [...document.querySelectorAll('.v-navigation-drawer .v-label')]
            .some(l => l.textContent.trim() === expected)""",
        arg=[label_start, expected],
    )


def choose_scenario(page, name: str) -> list[str]:
    """Pick a scenario preset in the select; return the options it listed."""
    page.locator(".v-navigation-drawer .v-select").filter(has_text="Scenario preset").click()
    menu = page.locator(".v-menu__content.menuable__content__active")
    menu.wait_for()
    options = [t.strip() for t in menu.locator(".v-list-item").all_inner_texts()]
    menu.locator(".v-list-item").filter(has_text=name).first.click()
    return options


def press(page, name: str) -> None:
    page.get_by_role("button", name=name, exact=True).click()


def assert_no_error_text(page, watch: PageWatch) -> None:
    text = page.locator("body").inner_text()
    for word in ("Traceback", "Error", "Exception", "error in step"):
        assert word not in text, f"the page shows {word!r}:\n{text[:3000]}"
    assert page.locator(".v-alert").count() == 0, "the page shows an alert"
    assert watch.errors == [], watch.errors


def assert_offline(watch: PageWatch) -> None:
    assert watch.requests, "no requests recorded"
    assert watch.external() == [], f"requests to other hosts: {watch.external()}"
    assert watch.failed == [], f"failed requests: {watch.failed}"


def out_dir(output_path) -> Path:
    path = Path(output_path)
    path.mkdir(parents=True, exist_ok=True)
    return path


# ----------------------------------------------------------------------------- browser tests


@pytest.mark.browser
def test_page_shows_views_steps_and_applies_scenario(app_page, output_path):
    page, watch = app_page
    out = out_dir(output_path)

    assert page.title() == "ABM: foreign-trade clusters"  # the tab says what the page is
    # every view is there, with a drawn figure; the controls are there
    for view in PLOTS:
        img = page.locator(f".abm-view-{view} img.abm-figure")
        assert img.count() == 1, view
        assert img.evaluate("i => i.naturalWidth") > 300, view
    assert page.locator(".abm-view-key-figures table.abm-key-figures").count() == 1
    for name in ("Reset", "Step", "▶"):
        assert page.get_by_role("button", name=name, exact=True).count() == 1, name
    labels = page.locator(".v-navigation-drawer .v-label").all_inner_texts()
    for wanted in (
        "Carbon price:",
        "Carbon price growth:",
        "Foreign (EU) carbon price:",
        "CBAM coverage of exports:",
        "Consumers' green preference:",
        "Green R&D subsidy:",
        "Adoption subsidy:",
        "Research funding:",
        "Collaboration propensity:",
        "Digital infrastructure:",
        "Firms:",
        "Clusters:",
        "Network topology",
        "Seed",
        "Scenario preset",
    ):
        assert any(label.startswith(wanted) for label in labels), (wanted, labels)
    assert page.get_by_text("Colour firms by").count() == 1
    page.screenshot(path=str(out / "app-start.png"))

    # Step advances the shown year and changes the plotted series
    assert shown_year(page) == 2020
    assert key_figure(page, "carbon_price") == "10.0"  # the baseline's start price
    emissions_png = page.evaluate(IMAGE_HASH_JS, ".abm-view-emissions img")
    emissions = key_figure(page, "emissions")
    timing = step(page)
    assert shown_year(page) == 2021, timing
    assert page.evaluate(IMAGE_HASH_JS, ".abm-view-emissions img") != emissions_png
    assert key_figure(page, "emissions") != emissions
    step(page)
    assert shown_year(page) == 2022

    # Play runs years until paused
    press(page, "▶")
    page.wait_for_function(
        "() => +document.querySelector('[data-abm=\"shown-year\"]').textContent >= 2024"
    )
    press(page, "❚❚")
    paused = wait_until_year_settles(page)  # a step under way when paused still shows
    page.wait_for_timeout(2000)
    assert shown_year(page) == paused

    # the colour switch redraws the network by main category
    network_png = page.evaluate(IMAGE_HASH_JS, ".abm-view-network img")
    page.get_by_role("button", name="main category").click()
    page.wait_for_function(
        """(old) => new Promise(async resolve => {
            const img = document.querySelector('.abm-view-network img');
            const d = await crypto.subtle.digest('SHA-256',
                await (await fetch(img.src)).arrayBuffer());
            resolve(Array.from(new Uint8Array(d))
                .map(b => b.toString(16).padStart(2, '0')).join('') !== old);
        })""",
        arg=network_png,
    )

    # choosing a scenario moves its sliders; Reset rebuilds the model with them
    options = choose_scenario(page, "policy")
    from abm import SCENARIOS

    assert options == list(SCENARIOS)
    page.wait_for_function(
        """() => [...document.querySelectorAll('.v-navigation-drawer .v-label')]
            .some(l => l.textContent.trim() === 'Carbon price: 30 USD/t CO2')"""
    )
    seed = page.locator(".v-navigation-drawer .v-text-field").filter(has_text="Seed")
    seed.locator("input").fill("7")
    seed.locator("input").press("Enter")
    pending = page.locator(".abm-pending")
    pending.wait_for()  # the page says what Reset will apply
    page.wait_for_function(
        "() => document.querySelector('.abm-pending').textContent.includes('seed')"
    )
    assert "scenario" in pending.inner_text() and "carbon price" in pending.inner_text()
    press(page, "Reset")
    page.wait_for_function(
        "() => document.querySelector('[data-abm=\"carbon_price\"]').textContent.trim() === '30.0'"
    )
    assert shown_year(page) == 2020
    run = page.locator(".abm-view-key-figures .abm-run").inner_text()
    assert "scenario policy" in run and "seed 7" in run, run
    assert page.locator(".abm-pending").count() == 0
    wait_for_views(page)
    step(page)
    assert float(key_figure(page, "carbon_price")) > 30.0  # the policy path rises
    page.screenshot(path=str(out / "app-policy.png"))

    assert_no_error_text(page, watch)
    assert_offline(watch)


@pytest.mark.browser
def test_redraw_time_at_500_10000_and_100000_firms(app_page, output_path, capsys):
    page, watch = app_page
    out = out_dir(output_path)
    times = {}
    for n in (500, 10_000, 100_000):
        if n == 10_000:
            set_slider(page, "Firms:", n, current=500, step_size=100)
        elif n == 100_000:  # the slider's maximum: the End key moves there
            thumb = slider(page, "Firms:").locator('[role="slider"]')
            thumb.focus()
            page.keyboard.press("End")
            page.wait_for_function(
                """() => [...document.querySelectorAll('.v-navigation-drawer .v-label')]
                    .some(l => l.textContent.trim() === 'Firms: 100,000')"""
            )
        if n != 500:
            press(page, "Reset")
            page.wait_for_function(
                "(n) => document.querySelector('.abm-view-key-figures').innerText"
                ".includes(n + ' firms')",
                arg=f"{n:,}",
            )
            wait_for_views(page)
            assert page.get_by_text("clusters shown as nodes").count() == 1
        runs = [step(page) for _ in range(3)]
        assert shown_year(page) == 2023
        times[n] = {
            "steps": runs,
            "median_ms_until_year_shown": statistics.median(r["year"] for r in runs),
            "median_ms_until_all_figures_redrawn": statistics.median(
                r["figures"] for r in runs if r["figures"] is not None
            ),
        }
        page.screenshot(path=str(out / f"app-{n}-firms.png"))
    (out / "redraw-times.json").write_text(json.dumps(times, indent=2))
    with capsys.disabled():
        for n, t in times.items():
            print(
                f"\nredraw after Step at {n:,} firms: year shown after "
                f"{t['median_ms_until_year_shown']:.0f} ms, all figures after "
                f"{t['median_ms_until_all_figures_redrawn']:.0f} ms (median of 3)"
            )
    for t in times.values():
        assert t["median_ms_until_year_shown"] < 30_000
    assert_no_error_text(page, watch)
    assert_offline(watch)
