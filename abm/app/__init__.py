"""The browser app (``abm app``): a Solara page for exploring the model.

``abm.app:page`` is the page. Each browser tab gets its own model and controls: a scenario
preset, the seed, the number of firms, clusters and topology, the main policy and market
parameters, each with a tooltip from the parameter registry; Play, Step and Reset. Every
value the page sends is checked on the server (:mod:`abm.app.controls`); a refused value or
a failed action is one line in the page, and the controls stay. Tabs show the cluster network
with the key figures, the industrial structure, trade, emissions, the government's accounts,
a comparison of two presets and a summary of the model; the run can be downloaded as CSV.
Reset and closing the tab free the replaced model's memory (:mod:`abm.app.session`).
"""

from __future__ import annotations

import logging
import threading
import time

from abm.extras import needs

with needs("app", "abm.app"):  # one line naming the extra when it is not installed
    import matplotlib  # noqa: F401 - the figures of the views
    import solara
    import solara.lab

from abm.app.controls import (
    CONTROLS,
    FIRM_RECORDS_MAX,
    PRESET_TOOLTIP,
    SEED_TOOLTIP,
    Control,
    check_seed,
    check_settings,
    describe_preset,
    pending_changes,
)
from abm.app.data import file_stem, firms_csv, years_csv
from abm.app.session import Run
from abm.app.state import ERROR, PRESET, SEED, VALUES, apply_preset, current_values, set_value
from abm.app.views import (
    PAGE_CSS,
    TABLE_CSS,
    AboutView,
    CompareView,
    FigureView,
    KeyFiguresView,
    NetworkView,
    run_header,
)
from abm.scenarios import SCENARIOS

TITLE = "Foreign-trade clusters: low-carbon transition (agent-based model)"
#: Tabs, in order: (label, the figure views drawn for it at each Step).
TABS = (
    ("Network", ("network",)),
    ("Structure", ("industrial",)),
    ("Trade", ("trade",)),
    ("Emissions", ("emissions",)),
    ("Government", ("government",)),
    ("Compare", ()),
    ("About", ()),
)
#: Pause between years while playing (seconds).
PLAY_PAUSE = 0.15

log = logging.getLogger(__name__)


def one_line(exc: BaseException) -> str:
    """The first line of an exception's message."""
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


@solara.component
def ControlInput(c: Control):
    """One control with its registry tooltip; refused values leave a one-line message."""
    value = VALUES[c.name].value

    def on_value(new, name=c.name):
        set_value(name, new, keep=c.kind == "number")

    with solara.Tooltip(c.tooltip()), solara.Div(classes=["abm-control", f"abm-control-{c.name}"]):
        if c.kind == "select":
            solara.Select(c.label, value=value, values=list(c.choices), on_value=on_value)
        elif c.kind == "check":
            label = f"{c.label} (up to {FIRM_RECORDS_MAX:,} firms)"
            solara.Checkbox(label=label, value=bool(value), on_value=on_value)
        elif c.kind == "number":
            try:
                c.check(value)
                error: bool | str = False
            except ValueError:
                error = c.allowed()
            shown = value if isinstance(value, int) else None
            solara.InputInt(c.label, value=shown, on_value=on_value, optional=True, dense=True)
            if error:
                solara.Text(f"allowed: {error}", classes=["abm-error"])
        elif c.integer:
            low, high, step = c.limits
            solara.SliderInt(
                c.describe(value),
                value=value,
                on_value=on_value,
                min=int(low),
                max=int(high),
                step=int(step),
            )
        else:
            low, high, step = c.limits
            solara.SliderFloat(
                c.describe(value), value=value, on_value=on_value, min=low, max=high, step=step
            )


@solara.component
def Sidebar(run: Run, playing: solara.Reactive[bool], on_step, on_reset, tick: int):
    """Run buttons, the one-line message, the inputs and the downloads."""
    with solara.Row(gap="6px"):
        solara.Button("Reset", color="primary", on_click=on_reset)
        solara.Button(
            "❚❚" if playing.value else "▶",
            color="primary",
            on_click=lambda: playing.set(not playing.value),
        )
        solara.Button("Step", color="primary", on_click=on_step, disabled=playing.value)
    pending = pending_changes(run.settings, PRESET.value, SEED.value, current_values())
    # messages sit in one fixed container, so that the inputs below keep their place (and
    # their widgets) when a message comes or goes
    with solara.Column(gap="2px", classes=["abm-messages"]):
        if ERROR.value:
            solara.Text(ERROR.value, classes=["abm-error"])
        if pending:
            solara.Text(
                "Changed, applied at Reset: " + ", ".join(pending) + ".", classes=["abm-pending"]
            )
    with solara.Tooltip(PRESET_TOOLTIP), solara.Div(classes=["abm-control", "abm-control-preset"]):
        solara.Select(
            "Scenario preset (sets the controls)",
            value=PRESET.value,
            values=list(SCENARIOS),
            on_value=set_preset,
        )
    solara.Text(describe_preset(PRESET.value), style="font-size: 12.5px; color: #555;")
    try:
        check_seed(SEED.value)
        seed_error: bool | str = False
    except ValueError:
        seed_error = "not a seed: an integer in [0, 4294967295], or empty"
    with solara.Tooltip(SEED_TOOLTIP), solara.Div(classes=["abm-control", "abm-control-seed"]):
        solara.InputText(
            "Seed (integer; empty: random)",
            value=SEED.value,
            on_value=set_seed,
            error=seed_error,
            dense=True,
        )
    for c in CONTROLS:
        ControlInput(c)
    if run.model is not None and run.settings is not None:  # a model has its settings
        stem = file_stem(run.settings, run.model.year)
        records = run.settings.firm_records
        solara.Text("Download this run (CSV)", style="font-size: 14px; margin-top: 6px;")
        with solara.Row(gap="6px", classes=["abm-downloads"]):
            solara.FileDownload(
                lambda: years_csv(run.model),
                f"{stem}-years.csv",
                label="Years",
                mime_type="text/csv",
            )
            solara.FileDownload(
                lambda: firms_csv(run.model, records),
                f"{stem}-firms.csv",
                label="Firms" if records else "Firms (this year)",
                mime_type="text/csv",
            )


def set_preset(preset) -> None:
    """Choose a preset (only one of the presets) and move the controls to its values."""
    if isinstance(preset, str) and preset in SCENARIOS:
        PRESET.set(preset)
        ERROR.set("")
    else:
        from abm.app.controls import check_preset

        try:
            check_preset(preset)
        except ValueError as exc:
            ERROR.set(str(exc))


def set_seed(text) -> None:
    """Keep the seed box's text; a text that is not a seed is named in the page."""
    if text is None:
        text = ""
    if not isinstance(text, str):
        ERROR.set(f"Seed: {text!r} is not allowed; allowed: an integer, or empty")
        return
    SEED.set(text)
    try:
        check_seed(text)
    except ValueError as exc:
        ERROR.set(str(exc))
    else:
        ERROR.set("")


@solara.component
def Page():
    """The app page: controls in the sidebar, the views in tabs."""
    run = solara.use_memo(Run, [])
    lock = solara.use_memo(threading.Lock, [])
    tick = solara.use_reactive(0)
    playing = solara.use_reactive(False)
    tab, set_tab_value = solara.use_state(0)

    def set_tab(value) -> None:  # only one of the tabs, whatever the page sends
        if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < len(TABS):
            set_tab_value(value)

    color_by, set_color_by = solara.use_state("green level")

    def first_build():
        try:
            run.build(check_settings(PRESET.value, SEED.value, current_values()))
        except ValueError as exc:  # e.g. a seed text kept from before a page reload
            ERROR.set(one_line(exc))
            run.build(check_settings(PRESET.value, "", current_values()))

    solara.use_memo(first_build, [])
    solara.use_effect(lambda: run.release, [])  # the session closes: free the model
    solara.use_effect(lambda: PRESET.subscribe(apply_preset), [])

    def visible() -> tuple:
        views = TABS[tab][1]
        mode = "green" if color_by == "green level" else "category"
        return tuple((v, mode) if v == "network" else v for v in views)

    def do_step() -> None:
        with lock:
            if run.model is None:
                return
            try:
                run.step(visible())
            except Exception as exc:
                log.exception("step failed")
                ERROR.set(f"Step failed: {one_line(exc)}")
                playing.set(False)
        tick.set(tick.value + 1)

    def do_reset() -> None:
        playing.set(False)
        try:
            settings = check_settings(PRESET.value, SEED.value, current_values())
        except ValueError as exc:
            ERROR.set(one_line(exc))
            return
        with lock:
            try:
                run.build(settings)
                ERROR.set("")
            except Exception as exc:
                ERROR.set(f"Reset failed: {one_line(exc)}")
        tick.set(tick.value + 1)

    def play() -> None:
        while playing.value:
            do_step()
            time.sleep(PLAY_PAUSE)

    solara.lab.use_task(play, dependencies=[playing.value], prefer_threaded=True)

    solara.Title("ABM: foreign-trade clusters")
    solara.Style(PAGE_CSS + TABLE_CSS)
    with solara.AppBar():
        solara.AppBarTitle(TITLE)
    with solara.Sidebar():
        Sidebar(run, playing, do_step, do_reset, tick.value)
    if run.model is None:
        solara.Text("No model: press Reset.", classes=["abm-error"])
        return
    solara.HTML(tag="div", unsafe_innerHTML=run_header(run), style="font-size: 14px;")
    with solara.lab.Tabs(value=tab, on_value=set_tab, lazy=True):
        for k, (label, views) in enumerate(TABS):
            with solara.lab.Tab(label), solara.Div(classes=["abm-body", f"abm-tab-{k}"]):
                if k != tab:
                    continue
                if label == "Network":
                    with solara.Columns([2, 1], style="height: 100%;"):
                        NetworkView(run, tick.value, color_by, set_color_by)
                        KeyFiguresView(run, tick.value)
                elif label == "Compare":
                    CompareView(run)
                elif label == "About":
                    AboutView()
                else:
                    FigureView(run, views[0], tick.value)


page = Page

__all__ = ["Page", "page"]
