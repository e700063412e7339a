"""The page's views: Solara components for the figures, key figures, compare and about.

Each view reads what the model records (the model frame built from its Mesa DataCollector,
the firm and tie arrays) through the session's :class:`abm.app.session.Run`, which draws a
figure once per year and view: the network as PNG (thousands of marks), the time series as
SVG (text drawn by the browser). The page holds no model logic.
"""

from __future__ import annotations

import html

import solara

from abm.app import figures
from abm.app.about import ABOUT
from abm.app.controls import AGGREGATE_ABOVE, describe_preset
from abm.app.session import Run

#: Key figures of the current year: (key, label, column, scale, format, unit).
KEY_FIGURES = (
    ("output", "Output", "output", 1, "{:,.0f}", "USD m"),
    ("exports", "Exports", "exports", 1, "{:,.0f}", "USD m"),
    ("exporter_share", "Exporters", "exporter_share", 100, "{:.1f}", "% of firms"),
    ("upgrading_index", "Upgrading index", "upgrading_index", 1, "{:.3f}", "1 (LIB) - 4 (DS)"),
    ("share_TIB_DS", "TIB + DS share of output", None, 100, "{:.1f}", "%"),
    ("emissions", "Emissions", "emissions", 1e-6, "{:,.3f}", "Mt CO2"),
    ("emission_intensity", "Emission intensity", "emission_intensity", 1, "{:.1f}", "t CO2/USD m"),
    (
        "export_emission_intensity",
        "Export emission intensity",
        "export_emission_intensity",
        1,
        "{:.1f}",
        "t CO2/USD m",
    ),
    ("green_share", "Green firms", "green_share", 100, "{:.1f}", "%"),
    ("digital_share", "Digital-platform firms", "digital_share", 100, "{:.1f}", "%"),
    ("carbon_price", "Carbon price", "carbon_price", 1, "{:.1f}", "USD/t CO2"),
    ("carbon_revenue", "Carbon revenue", "carbon_revenue", 1, "{:,.1f}", "USD m"),
    ("subsidies", "Subsidies", "subsidies", 1, "{:,.1f}", "USD m"),
    ("cbam_paid", "CBAM paid", "cbam_paid", 1, "{:,.1f}", "USD m"),
    ("innovation_index", "Innovation index", "innovation_index", 1, "{:.1f}", "0-100"),
)


def _value(row, column, scale):
    if column is None:  # TIB + DS share
        return scale * (row["output_share_TIB"] + row["output_share_DS"])
    return scale * row[column]


def key_figures_html(model, frame) -> str:
    """The table of the current year's key figures, with the change over the year."""
    last = frame.iloc[-1]
    prev = frame.iloc[-2] if len(frame) > 1 else None
    rows = []
    for key, label, column, scale, fmt, unit in KEY_FIGURES:
        if column is not None and column not in frame:
            continue
        value = _value(last, column, scale)
        change = ""
        if prev is not None:
            delta = value - _value(prev, column, scale)
            change = ("+" if delta >= 0 else "-") + fmt.format(abs(delta))
        rows.append(
            f'<tr><td class="abm-label">{html.escape(label)}</td>'
            f'<td class="abm-num" data-abm="{key}">{fmt.format(value)}</td>'
            f'<td class="abm-unit">{html.escape(unit)}</td>'
            f'<td class="abm-num abm-change">{change}</td></tr>'
        )
    return (
        '<table class="abm-key-figures">'
        '<thead><tr><th>Key figure</th><th class="abm-num">'
        f'<span data-abm="year">{int(last["year"])}</span></th><th>unit</th>'
        '<th class="abm-num">change</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


#: Page styles: the tab body fills the window below the tab bar; figures fit their box.
PAGE_CSS = """
.abm-body { height: calc(100vh - 140px); min-height: 420px; }
.abm-view { height: 100%; display: flex; flex-direction: column; overflow: hidden;
  background: white; }
.abm-view .abm-img { flex: 1 1 0; min-height: 0; }
.abm-view .abm-img > * { width: 100%; height: 100%; }
.abm-view img.abm-figure, .abm-view .abm-img img { display: block; width: 100%;
  height: 100%; object-fit: contain; object-position: center top; }
.abm-error { color: #b00020; font-size: 13.5px; line-height: 1.3; }
.abm-pending { font-size: 13px; color: #8a5300; background: #fff4e0; padding: 2px 6px;
  border-radius: 4px; }
.abm-about { max-width: 900px; font-size: 14.5px; line-height: 1.45; overflow-y: auto;
  height: 100%; padding-right: 12px; }
.v-navigation-drawer .v-input { margin-top: 2px; }
.v-navigation-drawer .v-input__slider .v-input__slot { flex-wrap: wrap; }
.v-navigation-drawer .v-input__slider .v-input__slot > .v-label { flex: 0 0 100%;
  max-width: 100%; margin: 2px 0 -8px 0; font-size: 14px; }
"""

TABLE_CSS = """
.abm-key-figures { border-collapse: collapse; width: 100%; font-size: 13px; line-height: 1.35; }
.abm-key-figures th { text-align: left; font-weight: 600; color: #333;
  border-bottom: 1px solid #ccc; padding: 2px 6px; }
.abm-key-figures td { padding: 1px 6px; border-bottom: 1px solid #f0f0f0; }
.abm-key-figures .abm-num { text-align: right; font-variant-numeric: tabular-nums; }
.abm-key-figures .abm-unit, .abm-key-figures .abm-change { color: #666; }
"""


@solara.component
def FigureView(run: Run, view: str, tick: int, mode: str = "green"):
    """One figure of the run; ``tick`` changes after every Step and Reset."""
    picture = run.picture(view, mode)
    model, _ = run.built()
    with (
        solara.v.Html(
            tag="div",
            class_=f"abm-view abm-view-{view}",
            attributes={"data-font-px": f"{picture.font_px:.2f}", "data-year": str(model.year)},
        ),
        solara.Div(classes=["abm-img"]),
    ):
        solara.Image(picture.data, format=picture.format, classes=["abm-figure"])


@solara.component
def NetworkView(run: Run, tick: int, color_by: str, on_color_by):
    """The cluster network with its colour switch."""
    with solara.Column(gap="2px", style="height: 100%;"):
        with solara.Row(gap="8px", style="align-items: center; padding: 0 4px;"):
            solara.Text("Colour firms by", style="font-size: 14px; color: #444;")
            solara.ToggleButtonsSingle(
                value=color_by,
                on_value=on_color_by,
                values=["green level", "main category"],
                dense=True,
            )
            if run.aggregate:
                solara.Text(
                    f"clusters shown as nodes above {AGGREGATE_ABOVE:,} firms",
                    style="font-size: 13px; color: #666;",
                )
        mode = "green" if color_by == "green level" else "category"
        with solara.Div(style="flex: 1 1 0; min-height: 0;"):
            FigureView(run, "network", tick, mode)


def run_header(run: Run) -> str:
    """The line that says which run is shown: year, preset, seed, size, last Step's time."""
    model, s = run.built()
    took = (
        ""
        if run.step_ms is None
        else f' · Step took <span data-abm="step-ms">{run.step_ms:.0f}</span> ms on the server'
    )
    return (
        f'<div class="abm-run"><b>Year <span data-abm="shown-year">{model.year}</span></b>'
        f" · scenario <b>{html.escape(s.preset)}</b>"
        f" ({html.escape(describe_preset(s.preset))})"
        f' · seed <span data-abm="seed">{s.seed}</span> · {model.n_firms:,} firms in'
        f" {model.n_clusters} clusters, {html.escape(str(model.params.topology))} network"
        f"{took}</div>"
    )


@solara.component
def KeyFiguresView(run: Run, tick: int):
    """The current year's key figures with the change over the year."""
    model, _ = run.built()
    table = key_figures_html(model, run.frame())
    with solara.v.Html(
        tag="div",
        class_="abm-view abm-view-key-figures",
        style_="overflow-y: auto;",
        attributes={"data-year": str(model.year)},
    ):
        solara.HTML(tag="div", unsafe_innerHTML=table)


@solara.component
def AboutView():
    """A short ODD summary of the model."""
    with solara.Div(classes=["abm-about", "abm-view-about"]):
        solara.Markdown(ABOUT)


def _number(value: float) -> str:
    """A table number: thousands separated, two decimals below 100."""
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.2f}"


@solara.component
def CompareView(run: Run):
    """Two presets run with the running model's seed, size and topology, side by side."""
    from abm.app.controls import check_preset
    from abm.app.data import COMPARE_MAX_YEARS, check_years, compare, compare_table
    from abm.scenarios import SCENARIOS

    first, set_first = solara.use_state("baseline")
    second, set_second = solara.use_state("policy" if "policy" in SCENARIOS else "baseline")
    years, set_years = solara.use_state(40)
    message, set_message = solara.use_state("")

    def work():
        result = compare((first, second), run.settings, years)
        fig = figures.compare_figure(result.frames)
        svg = figures.to_svg(fig)
        fig.clear()
        return result, svg, compare_table(result)

    task = solara.lab.use_task(work, dependencies=None, prefer_threaded=True)

    def start():
        try:
            check_preset(first), check_preset(second), check_years(years)
        except ValueError as exc:
            set_message(str(exc))
            return
        set_message("")
        task()

    _, s = run.built()
    with solara.Column(classes=["abm-view-compare"], style="height: 100%; overflow-y: auto;"):
        with solara.Row(gap="12px", style="align-items: center; flex-wrap: wrap;"):
            solara.Select("Preset A", value=first, values=list(SCENARIOS), on_value=set_first)
            solara.Select("Preset B", value=second, values=list(SCENARIOS), on_value=set_second)
            solara.InputInt(
                f"Years (1-{COMPARE_MAX_YEARS})", value=years, on_value=set_years, dense=True
            )
            solara.Button("Run both", color="primary", on_click=start, disabled=task.pending)
            solara.Text(
                f"same seed ({s.seed}), {s.values['n_firms']:,} firms, "
                f"{s.values['n_clusters']} clusters, {s.values['topology']} network as the run",
                style="font-size: 13.5px; color: #555;",
            )
        if message:
            solara.Text(message, classes=["abm-error"])
        if task.pending:
            solara.Text("Running both presets…", style="font-size: 14px;")
        elif task.error:
            solara.Text(f"Compare failed: {task.exception}".splitlines()[0], classes=["abm-error"])
        elif task.finished and task.value is not None:
            result, svg, table = task.value
            with solara.Div(classes=["abm-compare-figure"], style="height: 62vh;"):
                solara.Image(svg, format="svg+xml", classes=["abm-figure"])
            cells = "".join(
                f"<tr><td>{html.escape(r['indicator'])}</td><td>{html.escape(r['unit'])}</td>"
                + "".join(f'<td class="abm-num">{_number(r[c])}</td>' for c in table.columns[2:])
                + "</tr>"
                for _, r in table.iterrows()
            )
            head = "".join(f'<th class="abm-num">{html.escape(c)}</th>' for c in table.columns[2:])
            solara.HTML(
                tag="div",
                unsafe_innerHTML=(
                    f'<table class="abm-key-figures abm-compare-table"><thead><tr>'
                    f"<th>{result.years} years later</th><th>unit</th>{head}</tr></thead>"
                    f"<tbody>{cells}</tbody></table>"
                ),
            )
