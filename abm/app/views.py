"""The page's views: Solara components that SolaraViz shows and redraws after every step.

Each view reads what the model records (``model.model_frame()``, built from its Mesa
DataCollector) or, for the network, the firm and tie arrays. Figures are rendered once
per model step and colour mode (``solara.use_memo``), so re-renders for other reasons are cheap:
the network as PNG (thousands of marks), the time series as SVG (text drawn by the browser).
"""

from __future__ import annotations

import html
import weakref

import solara
from mesa.visualization.utils import update_counter

from abm.app import figures
from abm.app.controls import AGGREGATE_ABOVE, describe_preset, pending_changes
from abm.app.state import PRESET, SEED, VALUES

_FRAMES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def model_frame(model):
    """The model's collector frame, built once per step and shared by the views."""
    cached = _FRAMES.get(model)
    if cached is not None and cached[0] == model.time:
        return cached[1]
    frame = model.model_frame()
    _FRAMES[model] = (model.time, frame)
    return frame


def _view(name: str, children_style: str = ""):
    return solara.Column(
        classes=["abm-view", f"abm-view-{name}"],
        gap="2px",
        style="height: 100%; overflow: hidden; background: white; padding: 4px;" + children_style,
    )


def _image(data: bytes, format: str = "png") -> None:
    solara.Image(data, format=format, width="100%", classes=["abm-figure"])


@solara.component
def NetworkView(model):
    """The cluster network, coloured by green level or main category; aggregated at scale."""
    update_counter.get()
    color_by, set_color_by = solara.use_state("green level")
    aggregate = model.n_firms > AGGREGATE_ABOVE
    mode = "green" if color_by == "green level" else "category"
    holder = solara.use_memo(
        lambda: figures.NetworkFigure(model, mode, aggregate), [model, mode, aggregate]
    )
    png = solara.use_memo(lambda: figures.to_png(holder.update()), [holder, model.time])
    with _view("network"):
        with solara.Row(gap="8px", style="align-items: center; padding: 0 4px;"):
            solara.Text("Colour firms by", style="font-size: 13px; color: #555;")
            solara.ToggleButtonsSingle(
                value=color_by,
                on_value=set_color_by,
                values=["green level", "main category"],
                dense=True,
            )
            if aggregate:
                solara.Text(
                    f"clusters shown as nodes above {AGGREGATE_ABOVE:,} firms",
                    style="font-size: 12px; color: #777;",
                )
        _image(png)


def _series_view(name: str, figure_class, doc: str):
    @solara.component
    def SeriesView(model):
        update_counter.get()
        holder = solara.use_memo(figure_class, [model])
        svg = solara.use_memo(
            lambda: figures.to_svg(holder.update(model_frame(model))), [model, model.time]
        )
        with _view(name):
            _image(svg, "svg+xml")

    SeriesView.__doc__ = doc
    return SeriesView


IndustrialView = _series_view(
    "industrial", figures.IndustrialFigure, "Industrial structure: output shares over time."
)
TradeView = _series_view(
    "trade", figures.TradeFigure, "Trade structure: export shares, exports, exporters, HHI."
)
EmissionsView = _series_view(
    "emissions", figures.EmissionsFigure, "Emissions, intensities, green and digital shares."
)
GovernmentView = _series_view(
    "government", figures.GovernmentFigure, "Carbon revenue, subsidies, CBAM paid."
)

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


#: Page styles: figures fit their grid cell; slider labels sit above full-width sliders; the
#: tab bar of SolaraViz's single page is hidden.
PAGE_CSS = """
.abm-view > div:has(> img.abm-figure) { flex: 1 1 0; min-height: 0; height: auto !important; }
.abm-view img.abm-figure { display: block; width: 100%; height: 100%; object-fit: contain;
  object-position: center top; }
.solara-content-main .v-tabs { display: none; }
.vue-grid-item > div { height: 100%; }
.v-navigation-drawer .v-input__slider .v-input__slot { flex-wrap: wrap; }
.v-navigation-drawer .v-input__slider .v-input__slot > .v-label { flex: 0 0 100%;
  max-width: 100%; margin: 4px 0 -6px 0; font-size: 14px; }
"""

TABLE_CSS = """
.abm-key-figures { border-collapse: collapse; width: 100%; font-size: 12px; line-height: 1.3; }
.abm-key-figures th { text-align: left; font-weight: 600; color: #333;
  border-bottom: 1px solid #ccc; padding: 1px 6px; }
.abm-key-figures td { padding: 1px 6px; border-bottom: 1px solid #f0f0f0; }
.abm-key-figures .abm-num { text-align: right; font-variant-numeric: tabular-nums; }
.abm-key-figures .abm-unit, .abm-key-figures .abm-change { color: #777; }
.abm-key-figures tbody tr:hover { background: #f5f8fc; }
"""


@solara.component
def KeyFiguresView(model):
    """The current year's key figures, the run's settings and unapplied control changes."""
    update_counter.get()
    frame = model_frame(model)
    values = {name: r.value for name, r in VALUES.items()}
    pending = pending_changes(model, PRESET.value, SEED.value, values)
    table = solara.use_memo(lambda: key_figures_html(model, frame), [model, model.time])
    p = model.params
    with _view("key-figures", "overflow-y: auto;"):
        solara.Style(TABLE_CSS)
        header = (
            f'<div class="abm-run"><b>Year <span data-abm="shown-year">{model.year}</span></b>'
            f" · scenario <b>{html.escape(model.scenario_name)}</b>"
            f" ({html.escape(describe_preset(model.scenario_name))})"
            f" · seed {model.seed} · {model.n_firms:,} firms in {model.n_clusters} clusters,"
            f" {html.escape(str(p.topology))} network</div>"
        )
        solara.HTML(tag="div", unsafe_innerHTML=header, style="font-size: 13px; padding: 0 6px;")
        if pending:
            solara.Text(
                "Changed, not yet applied: " + ", ".join(pending) + ". Press Reset to apply.",
                classes=["abm-pending"],
                style="font-size: 12.5px; color: #8a5300; background: #fff4e0; "
                "padding: 2px 6px; border-radius: 4px;",
            )
        solara.HTML(tag="div", unsafe_innerHTML=table)
