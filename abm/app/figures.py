"""The app's figures, drawn with Matplotlib from the model's collector frame and state arrays.

Each figure object is built once per model (and colour mode) and redrawn in place at every
step from what the model already records (``model.model_frame()``, the firm and tie
arrays); nothing here changes or computes the model. The x axis of every time series is the
calendar year (the collector's ``year`` column); axis labels carry the units.
"""

from __future__ import annotations

import io
import weakref
from collections.abc import Callable, Mapping
from functools import partial
from typing import TYPE_CHECKING, cast

import numpy as np
from matplotlib import colormaps, rc_context
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.cm import ScalarMappable
from matplotlib.collections import LineCollection
from matplotlib.colors import Normalize, to_rgba
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Wedge
from matplotlib.ticker import FuncFormatter, MaxNLocator

from abm.categories import CATEGORIES
from abm.decomposition import SOURCES, accumulated
from abm.reporters import MODEL_REPORTERS

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.typing import ColorType

CATEGORY_NAMES = {
    "LIB": "labour-intensive",
    "RIB": "resource-intensive",
    "TIB": "technology-intensive",
    "DS": "digital services",
}
CATEGORY_COLORS = {"LIB": "#d08c2f", "RIB": "#8c7b70", "TIB": "#3a78b5", "DS": "#8e5cc2"}
GREEN_CMAP = colormaps["RdYlGn"]
#: Centres of the green-level bands of the aggregated network view.
GREEN_BANDS = (0.1, 0.3, 0.5, 0.7, 0.9)
INSTITUTE_COLOR = "#1b2a49"
LINE = {"blue": "#3a78b5", "orange": "#d9822b", "green": "#3e9651", "red": "#c0392b"}

WIDTH, HEIGHT, DPI = 10.0, 6.0, 100
#: Font sizes (points): every text is at least 12.5 px at the figure's natural size.
TICK, LABEL, TITLE, LEGEND = 10, 11, 12.5, 10.5
#: The first years shown before a run is longer, so the axes do not jump at every step.
MIN_SPAN = 10


def to_svg(fig: Figure) -> bytes:
    """The figure as SVG with text left as text: the browser draws the letters, which makes
    this about a third faster than PNG for the time-series figures and sharp at any zoom."""
    buf = io.BytesIO()
    with rc_context({"svg.fonttype": "none"}):
        fig.savefig(buf, format="svg")
    return buf.getvalue()


def to_png(fig: Figure) -> bytes:
    """The figure as PNG bytes, drawn on the figure's own Agg canvas (whose renderer, and
    so its text layout cache, is kept from step to step) with light compression."""
    from PIL import Image

    canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
    canvas.draw()
    buf = io.BytesIO()
    Image.fromarray(np.asarray(canvas.buffer_rgba())).save(buf, format="png", compress_level=1)
    return buf.getvalue()


def _figure(width: float = WIDTH, height: float = HEIGHT) -> Figure:
    fig = Figure(figsize=(width, height), dpi=DPI)
    FigureCanvasAgg(fig)
    return fig


def _style(ax, ylabel: str, title: str | None = None) -> None:
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="y", alpha=0.3, linewidth=0.6)
    ax.tick_params(labelsize=TICK)
    ax.set_ylabel(ylabel, fontsize=LABEL)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=6))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:.0f}"))
    if title:
        ax.set_title(title, fontsize=TITLE, loc="left")


def _year_axis(ax, years: np.ndarray) -> None:
    start = float(years[0])
    ax.set_xlim(start, max(float(years[-1]), start + MIN_SPAN))


def _thousands(ax) -> None:
    ax.yaxis.set_major_formatter(FuncFormatter(lambda y, _: f"{y:,.0f}"))


def _category_handles(long: bool = True):
    return [
        Patch(color=CATEGORY_COLORS[c], label=f"{c}: {CATEGORY_NAMES[c]}" if long else c)
        for c in CATEGORIES
    ]


def _shares(frame, prefix: str) -> np.ndarray:
    return 100 * frame[[f"{prefix}_{c}" for c in CATEGORIES]].to_numpy().T


class TimeSeriesFigure:
    """A figure of recorded series over the years, built once and updated in place.

    Updating the artists of a kept figure redraws about twice as fast as building a new one,
    and drawing is most of the time a step takes in the browser. Subclasses lay out their
    axes in ``build`` with :meth:`axis`, :meth:`line` (a column of the model frame, times a
    scale) and :meth:`stack` (the four category shares of a column prefix, stacked).
    """

    #: (left, bottom, right, top, wspace, hspace) of the subplots, in figure fractions.
    margins = (0.1, 0.14, 0.97, 0.9, 0.3, 0.5)

    def __init__(self):
        self.fig = _figure()
        left, bottom, right, top, wspace, hspace = self.margins
        self.fig.subplots_adjust(left, bottom, right, top, wspace, hspace)
        self.lines: list[tuple] = []  # (Line2D, column, scale)
        self.stacks: list[tuple] = []  # (axis, column prefix, [artists])
        self.time_axes: list = []
        self.build()

    def build(self) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def axis(self, spec, ylabel: str, title: str, xlabel: bool = True):
        ax = self.fig.add_subplot(spec)
        _style(ax, ylabel, title)
        if xlabel:
            ax.set_xlabel("Year", fontsize=LABEL)
        self.time_axes.append(ax)
        return ax

    def line(self, ax, column: str | Callable, label=None, color=None, scale: float = 1.0, **kw):
        """A line of ``column`` of the model frame (or of ``column(frame)``) times ``scale``."""
        (ln,) = ax.plot([], [], label=label, color=color, lw=1.6, ms=4, **kw)
        self.lines.append((ln, column, scale))
        return ln

    def stack(self, ax, prefix: str) -> None:
        ax.set_ylim(0, 100)
        ax.yaxis.set_major_formatter(FuncFormatter(lambda y, _: f"{y:.0f}"))
        self.stacks.append((ax, prefix, []))

    def update(self, frame) -> Figure:
        """Show ``frame`` (the model frame); returns the figure."""
        years = frame["year"].to_numpy().astype(float)
        single = len(years) == 1
        for ln, column, scale in self.lines:
            values = column(frame) if callable(column) else frame[column].to_numpy()
            ln.set_data(years, scale * values)
            ln.set_marker("o" if single else "")
        for ax, prefix, artists in self.stacks:
            for artist in artists:
                artist.remove()
            artists[:] = _stack(ax, years, _shares(frame, prefix))
        for ax in self.time_axes:
            _year_axis(ax, years)
            if not any(s[0] is ax for s in self.stacks):
                ax.relim()
                ax.autoscale_view(scalex=False)
        self.after_update(frame)
        return self.fig

    def after_update(self, frame) -> None:
        """Hook for limits that depend on the data."""


def _stack(ax, years: np.ndarray, shares: np.ndarray) -> list:
    """Stacked shares (rows = categories) in percent; bars while there is one year only."""
    colors = [CATEGORY_COLORS[c] for c in CATEGORIES]
    if len(years) == 1:
        bars = ax.bar(
            np.repeat(years[0], len(CATEGORIES)),
            shares[:, 0],
            bottom=np.concatenate([[0.0], np.cumsum(shares[:-1, 0])]),
            width=0.6,
            color=colors,
            align="edge",
        )
        return list(bars)
    return ax.stackplot(years, shares, colors=colors, alpha=0.9, linewidth=0)


class IndustrialFigure(TimeSeriesFigure):
    """Output shares of LIB, RIB, TIB and DS over the years, stacked, and where the
    upgrading index's change since the start year comes from (:mod:`abm.decomposition`)."""

    margins = (0.07, 0.12, 0.97, 0.9, 0.55, 0.5)

    def build(self) -> None:
        grid = self.fig.add_gridspec(1, 2)
        ax = self.axis(grid[0, 0], "Share of output (%)", "Output by product category")
        self.stack(ax, "output_share")
        ax.legend(
            handles=_category_handles(long=False)[::-1],
            loc="center left",
            bbox_to_anchor=(1.01, 0.5),
            fontsize=LEGEND,
            frameon=False,
        )
        ax = self.axis(grid[0, 1], "Index points", "Upgrading since the start, by source")
        self.line(ax, accumulated, "all", "#333333")
        labels = ("firms' own mixes", "growth of firms", "entry and exit")
        colours = (LINE["green"], LINE["blue"], LINE["orange"])
        for terms, label, colour in zip(SOURCES, labels, colours, strict=True):
            self.line(ax, partial(accumulated, terms=terms), label, colour)
        ax.axhline(0, color="#999999", lw=0.6)
        ax.legend(fontsize=LEGEND, frameon=False, loc="upper left")


class TradeFigure(TimeSeriesFigure):
    """Export shares by category, exports, exporter share and export concentration."""

    margins = (0.07, 0.09, 0.88, 0.94, 0.25, 0.4)

    def build(self) -> None:
        grid = self.fig.add_gridspec(2, 2)
        ax = self.axis(grid[0, 0], "Share (%)", "Exports by category", xlabel=False)
        self.stack(ax, "export_share")
        ax = self.axis(grid[0, 1], "USD m / yr", "Exports", xlabel=False)
        self.line(ax, "exports", "all", color=LINE["blue"])
        markets = [c for c in ("exports_EU", "exports_ROW") if c in MODEL_REPORTERS]
        for column, color in zip(markets, (LINE["green"], LINE["orange"]), strict=False):
            self.line(ax, column, f"to {column.split('_')[1]}", color=color, ls="--")
        if markets:
            ax.legend(fontsize=LEGEND, frameon=False, loc="upper left")
        _thousands(ax)
        ax = self.axis(grid[1, 0], "% of firms", "Exporters")
        self.line(ax, "exporter_share", color=LINE["orange"], scale=100)
        ax = self.axis(grid[1, 1], "HHI (0-1)", "Export concentration (HHI)")
        self.line(ax, "export_hhi", color=LINE["red"])
        ax.ticklabel_format(axis="y", useOffset=False, style="plain")
        self.fig.legend(
            handles=_category_handles(long=False)[::-1],
            loc="center left",
            bbox_to_anchor=(0.9, 0.5),
            fontsize=LEGEND,
            frameon=False,
        )


class EmissionsFigure(TimeSeriesFigure):
    """Emissions, emission intensity of output and of exports, green and digital shares."""

    margins = (0.07, 0.09, 0.98, 0.94, 0.22, 0.4)

    def build(self) -> None:
        grid = self.fig.add_gridspec(2, 2)
        ax = self.axis(grid[0, 0], "Mt CO2 / yr", "Emissions", xlabel=False)
        self.line(ax, "emissions", color="#555555", scale=1e-6)
        ax = self.axis(grid[0, 1], "t CO2 per USD m", "Emission intensity", xlabel=False)
        self.line(ax, "emission_intensity", "of output", LINE["red"])
        self.line(ax, "export_emission_intensity", "of exports", LINE["blue"], ls="--")
        ax.legend(fontsize=LEGEND, frameon=False, loc="lower left")
        ax = self.axis(grid[1, :], "% of firms", "Green and digital firms")
        self.line(ax, "green_share", "green firms", LINE["green"], scale=100)
        self.line(ax, "digital_share", "firms on a digital platform", LINE["blue"], scale=100)
        ax.legend(fontsize=LEGEND, frameon=False, loc="upper left")

    def after_update(self, frame) -> None:
        a, b, c = self.time_axes
        a.set_ylim(bottom=0)
        b.set_ylim(bottom=0)
        top = 100 * frame[["green_share", "digital_share"]].to_numpy().max()
        c.set_ylim(0, max(5.0, 1.15 * top))


class GovernmentFigure(TimeSeriesFigure):
    """The government's accounts: carbon revenue, subsidies, CBAM paid, budget balance."""

    margins = (0.08, 0.1, 0.7, 0.92, 0.3, 0.5)

    def build(self) -> None:
        ax = self.axis(111, "USD m / yr", "Government accounts")
        self.line(ax, "carbon_revenue", "carbon revenue", LINE["green"])
        self.line(ax, "subsidies", "subsidies paid", LINE["orange"])
        self.line(ax, "cbam_paid", "CBAM paid by exporters\nabroad", LINE["red"])
        self.line(ax, "budget_balance", "budget balance", "#777777", ls=":")
        ax.axhline(0, color="#999999", lw=0.6)
        _thousands(ax)
        self.fig.legend(
            loc="center left", bbox_to_anchor=(0.73, 0.5), fontsize=LEGEND, frameon=False
        )


# ---------------------------------------------------------------------------- network

_LAYOUTS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _sunflower(n: int, offset: int = 0) -> np.ndarray:
    """``n`` points spread evenly on a unit disc (Vogel's spiral), centre first."""
    k = np.arange(offset, offset + n) + 0.5
    r = np.sqrt(k / (offset + n))
    theta = k * np.pi * (3 - np.sqrt(5))
    return np.column_stack([r * np.cos(theta), r * np.sin(theta)])


def cluster_centres(n_clusters: int) -> tuple[np.ndarray, float]:
    """Cluster centres on a circle and the radius of each cluster's disc."""
    if n_clusters == 1:
        return np.zeros((1, 2)), 1.0
    angle = np.pi / 2 - 2 * np.pi * np.arange(n_clusters) / n_clusters
    centres = np.column_stack([np.cos(angle), np.sin(angle)])
    radius = min(0.45, 0.85 * np.sin(np.pi / n_clusters))
    return centres, radius


def network_layout(model) -> tuple[np.ndarray, np.ndarray]:
    """Fixed positions of firms and institutes for a model, computed once and cached.

    Each cluster is a disc on a circle; its largest firms (at the start) sit in the middle,
    its institutes in the very centre. Rows keep their place when an entrant takes a row.
    """
    cached = _LAYOUTS.get(model)
    if cached is not None:
        return cached
    firms, inst = model.firms, model.institutes
    k = int(max(firms.cluster.max(), inst.cluster.max() if inst.n else 0)) + 1
    centres, radius = cluster_centres(k)
    pos = np.zeros((firms.n, 2))
    ipos = np.zeros((inst.n, 2))
    for c in range(k):
        rows = np.flatnonzero(firms.cluster == c)
        rows = rows[np.argsort(-firms.capacity[rows], kind="stable")]
        irows = np.flatnonzero(inst.cluster == c)
        pos[rows] = centres[c] + radius * _sunflower(len(rows), offset=len(irows) + 2)
        if len(irows):
            ipos[irows] = centres[c] + 0.12 * radius * _sunflower(len(irows))
    _LAYOUTS[model] = (pos, ipos)
    return pos, ipos


def _capacity_sizes(capacity: np.ndarray, n: int) -> np.ndarray:
    scale = np.percentile(capacity, 99) if len(capacity) else 1.0
    rel = np.sqrt(np.clip(capacity / max(scale, 1e-9), 0, 1.5))
    return (3 + 55 * rel) * min(1.0, np.sqrt(500 / max(n, 1)))


def main_category(mix: np.ndarray) -> np.ndarray:
    """Index of each firm's largest product category."""
    return mix.argmax(axis=1)


NETWORK_WIDTH, NETWORK_HEIGHT = 6.8, 7.6
#: Firm ties: thin light-grey lines; collaborations: thicker black lines, drawn on top.
TIE_COLOR, COLLAB_COLOR = "#9aa3b2", "#111111"


class NetworkFigure:
    """The cluster network of one model in one colour mode, kept from step to step.

    Firms (or, aggregated, clusters) are coloured by green level or main product category
    and sized by capacity; research institutes are dark diamonds; firm ties are thin grey
    lines, collaborations (firm-institute and firm-firm) thicker black ones. The title and
    counts are above the network, the legend and colour bar below it. In the firm view the
    positions, legend and colour bar stay and each update only recolours, resizes and
    re-links, which redraws faster than a new figure; the aggregated view is redrawn.
    """

    def __init__(self, model, color_by: str = "green", aggregate: bool = False):
        self.model, self.color_by, self.aggregate = model, color_by, aggregate
        self.fig = _figure(NETWORK_WIDTH, NETWORK_HEIGHT)
        self.ax = self.fig.add_axes((0.0, 0.17, 1.0, 0.72))
        self.heading = self.fig.text(0.015, 0.99, "", fontsize=TITLE, weight="bold", va="top")
        self.caption = self.fig.text(0.015, 0.955, "", fontsize=LEGEND, va="top", color="#333")
        self.firm_artists: dict | None = None
        if aggregate:
            extra = _cluster_handles()
        else:
            self.firm_artists = _firm_artists(self.ax, model)
            extra = _firm_handles()
        if color_by == "green":
            cax = self.fig.add_axes((0.56, 0.085, 0.4, 0.02))
            bar = self.fig.colorbar(
                ScalarMappable(Normalize(0, 1), GREEN_CMAP), cax=cax, orientation="horizontal"
            )
            bar.set_label("firms' green technology level", fontsize=LEGEND)
            bar.ax.tick_params(labelsize=TICK)
            handles, ncol = extra, 1
        else:
            handles, ncol = _category_handles(long=False)[::-1] + extra, 2
        self.fig.legend(
            handles=handles,
            loc="lower left",
            bbox_to_anchor=(0.0, 0.0),
            ncol=ncol,
            fontsize=LEGEND,
            frameon=False,
            title=None if color_by == "green" else ("output" if aggregate else "main category"),
            title_fontsize=LEGEND,
            alignment="left",
        )

    def update(self) -> Figure:
        """Show the model's current state; returns the figure."""
        if self.aggregate:
            self.ax.cla()
            title = _draw_clusters(self.ax, self.model, self.color_by)
        elif self.firm_artists is None:
            raise RuntimeError("the firm view has no artists: it was built aggregated")
        else:
            title = _update_firms(self.firm_artists, self.model, self.color_by)
        self.heading.set_text(f"Cluster network, {self.model.year}")
        self.caption.set_text(title)
        return self.fig


def smallest_font_px(fig: Figure) -> float:
    """The smallest font of the figure's visible text, in pixels at its natural size."""
    from matplotlib.text import Text

    # Text.get_fontsize is typed float | str but returns the size in points (a float)
    sizes = [
        cast(float, t.get_fontsize())
        for t in fig.findobj(Text)
        if t.get_visible() and t.get_text().strip() and t.get_figure() is not None
    ]
    return min(sizes, default=0.0) * fig.dpi / 72


def _cluster_labels(ax, centres: np.ndarray, distance: float, texts: list[str], size=TICK) -> None:
    if len(centres) > 12:
        return
    for xy, text in zip(centres, texts, strict=True):
        d = xy / (np.linalg.norm(xy) or 1.0) if len(centres) > 1 else np.array([0.0, -1.0])
        ax.text(*(xy + d * distance), text, ha="center", va="center", fontsize=size, color="#333")


def _firm_handles() -> list:
    return [
        Line2D([], [], ls="", marker="D", color=INSTITUTE_COLOR, label="research institute"),
        Line2D([], [], color=TIE_COLOR, lw=0.8, label="firm tie"),
        Line2D(
            [],
            [],
            color=COLLAB_COLOR,
            lw=2.2,
            label="collaboration (institute or firm)",
        ),
    ]


def _cluster_handles() -> list:
    return [
        Line2D([], [], ls="", marker="D", color=INSTITUTE_COLOR, label="has research institutes"),
        Line2D([], [], color=TIE_COLOR, lw=2, label="firm ties between clusters"),
    ]


def _firm_artists(ax, model) -> dict:
    """The firm view's artists at fixed positions: ties, collaborations, firms, institutes."""
    firms = model.firms
    pos, ipos = network_layout(model)
    ax.set_aspect("equal")
    ax.axis("off")
    ties = LineCollection([], colors=TIE_COLOR, linewidths=0.4)
    links = LineCollection([], colors=COLLAB_COLOR, linewidths=1.1, alpha=0.85, zorder=1.5)
    ax.add_collection(ties)
    ax.add_collection(links)
    order = np.argsort(-firms.capacity, kind="stable")  # big first, small drawn on top
    dots = ax.scatter(pos[order, 0], pos[order, 1], s=1, edgecolors="white", linewidths=0.3)
    dots.set_zorder(2)
    ax.scatter(
        ipos[:, 0], ipos[:, 1], s=60, marker="D", c=INSTITUTE_COLOR, edgecolors="white", zorder=3
    )
    k = int(firms.cluster.max()) + 1
    centres, radius = cluster_centres(k)
    _cluster_labels(ax, centres, radius + 0.13, [f"C{c + 1}" for c in range(k)])
    lim = 1 + radius + 0.2 if k > 1 else 1.25
    ax.set_xlim(-lim, lim)
    ax.set_ylim(-lim, lim)
    return {"ties": ties, "links": links, "dots": dots, "order": order, "pos": pos, "ipos": ipos}


def _update_firms(art: dict, model, color_by: str) -> str:
    """Recolour, resize and re-link the firm view; return its caption."""
    firms, inst, ties = model.firms, model.institutes, model.ties
    pos, ipos, order = art["pos"], art["ipos"], art["order"]
    n_ties = len(ties.u)
    signature = (n_ties, int(ties.u.sum()), int(ties.v.sum()))
    if art.get("tie_signature") != signature:  # ties change rarely: re-link only then
        art["ties"].set_segments(np.stack([pos[ties.u], pos[ties.v]], axis=1))
        art["ties"].set_alpha(float(np.clip(40 / max(np.sqrt(n_ties), 1), 0.04, 0.35)))
        art["tie_signature"] = signature
    partner = firms.partner_inst
    rows = np.flatnonzero(partner >= 0) if inst.n else np.zeros(0, int)
    pairs = np.flatnonzero(firms.partner_firm > np.arange(firms.n))  # each pair once
    art["links"].set_segments(
        np.concatenate(
            [
                np.stack([pos[rows], ipos[partner[rows]]], axis=1),
                np.stack([pos[pairs], pos[firms.partner_firm[pairs]]], axis=1),
            ]
        )
    )
    if color_by == "green":
        colors = GREEN_CMAP(Normalize(0, 1)(firms.green))
    else:
        palette = np.array([to_rgba(CATEGORY_COLORS[c]) for c in CATEGORIES])
        colors = palette[main_category(firms.mix)]
    art["dots"].set_facecolors(colors[order])
    art["dots"].set_sizes(_capacity_sizes(firms.capacity, firms.n)[order])
    k = int(firms.cluster.max()) + 1
    return (
        f"{firms.n:,} firms (size: capacity) in {k} clusters, {inst.n} institutes;\n"
        f"{n_ties:,} firm ties; collaborations: {len(rows):,} with institutes, "
        f"{len(pairs):,} between firms"
    )


def _draw_clusters(ax, model, color_by: str) -> str:
    """Draw the aggregated view (clusters as nodes); return its caption."""
    firms, inst, ties = model.firms, model.institutes, model.ties
    ax.set_aspect("equal")
    ax.axis("off")
    k = int(firms.cluster.max()) + 1
    centres, radius = cluster_centres(k)
    cap = np.bincount(firms.cluster, firms.capacity, k)
    count = np.bincount(firms.cluster, minlength=k)
    green = np.bincount(firms.cluster, firms.capacity * firms.green, k) / np.maximum(cap, 1e-12)
    cu, cv = firms.cluster[ties.u], firms.cluster[ties.v]
    between = cu != cv
    if between.any():
        key = np.minimum(cu, cv)[between] * k + np.maximum(cu, cv)[between]
        pairs, counts = np.unique(key, return_counts=True)
        segs = np.stack([centres[pairs // k], centres[pairs % k]], axis=1)
        widths = 0.3 + 6 * counts / counts.max()
        alpha = float(np.clip(4 / np.sqrt(len(pairs)), 0.1, 0.6))
        ax.add_collection(
            LineCollection(list(segs), colors=TIE_COLOR, linewidths=widths, alpha=alpha, zorder=1)
        )
    r = 0.75 * radius * np.sqrt(cap / cap.max())
    within = np.bincount(cu[~between], minlength=k)
    if color_by == "green":
        # capacity by green-level band: the spread within a cluster, not only its mean
        band = np.minimum((firms.green * len(GREEN_BANDS)).astype(int), len(GREEN_BANDS) - 1)
        weights = np.zeros((k, len(GREEN_BANDS)))
        np.add.at(weights, (firms.cluster, band), firms.capacity)
        colors: list[ColorType] = [GREEN_CMAP(b) for b in GREEN_BANDS]
    else:
        output = firms.capacity[:, None] * firms.mix
        weights = np.stack([np.bincount(firms.cluster, output[:, j], k) for j in range(4)], 1)
        colors = [CATEGORY_COLORS[name] for name in CATEGORIES]
    shares = weights / np.maximum(weights.sum(1, keepdims=True), 1e-12)
    for c in range(k):
        start = 90.0
        for j, color in enumerate(colors):
            sweep = 360 * shares[c, j]
            if sweep > 0:
                wedge = Wedge(centres[c], r[c], start, start + sweep, color=color)
                wedge.set(ec="white", lw=0.4, zorder=2)
                ax.add_patch(wedge)
            start += sweep
    n_inst = np.bincount(inst.cluster, minlength=k) if inst.n else np.zeros(k, int)
    has = n_inst > 0
    ax.scatter(
        centres[has, 0], centres[has, 1], s=35, marker="D", c=INSTITUTE_COLOR, ec="white", zorder=3
    )
    exporters = np.bincount(firms.cluster, firms.exporter.astype(float), k) / np.maximum(count, 1)
    texts = [
        f"C{c + 1}: {count[c]:,} firms\ngreen {green[c]:.2f}, export {exporters[c]:.0%}"
        for c in range(k)
    ]
    if k <= 12:
        for c in range(k):
            ax.text(
                centres[c, 0],
                centres[c, 1] - r[c] - 0.05,
                texts[c],
                ha="center",
                va="top",
                fontsize=TICK,
                color="#222222",
                zorder=4,
                bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none", "alpha": 0.8},
            )
    lim = 1 + radius + 0.25 if k > 1 else 1.4
    ax.set_xlim(-lim, lim)
    ax.set_ylim(-lim, lim)
    what = "capacity by green level" if color_by == "green" else "output by category"
    title = (
        f"Aggregated: {firms.n:,} firms in {k} clusters (disc area: capacity;\n"
        f"colour: {what}; {within.sum():,} ties within, {between.sum():,} between clusters)"
    )
    return title


# ---------------------------------------------------------------------------- compare

#: Panels of the compare view: (column or None for TIB + DS share, title, unit, scale).
COMPARE_PANELS = (
    (None, "TIB + DS share of output", "%", 100),
    ("exports", "Exports", "USD m / yr", 1),
    ("emissions", "Emissions", "Mt CO2 / yr", 1e-6),
    ("export_emission_intensity", "Emission intensity of exports", "t CO2 per USD m", 1),
    ("green_share", "Green firms", "% of firms", 100),
    ("innovation_index", "Innovation index", "0-100", 1),
)


def compare_series(frame, column: str | None, scale: float) -> np.ndarray:
    """A compare panel's series from a model frame."""
    if column is None:
        return scale * (frame["output_share_TIB"] + frame["output_share_DS"]).to_numpy()
    return scale * frame[column].to_numpy()


def compare_figure(frames: Mapping[str, pd.DataFrame]) -> Figure:
    """Two (or more) runs' key series side by side in small multiples, one line per run."""
    fig = _figure(WIDTH, HEIGHT)
    fig.subplots_adjust(0.07, 0.09, 0.98, 0.86, 0.3, 0.5)
    styles = [(LINE["blue"], "-"), (LINE["orange"], "--"), (LINE["green"], ":")]
    panels = [p for p in COMPARE_PANELS if p[0] is None or p[0] in next(iter(frames.values()))]
    for k, (column, title, unit, scale) in enumerate(panels):
        ax = fig.add_subplot(2, 3, k + 1)
        _style(ax, unit, title)
        for (label, frame), (color, ls) in zip(frames.items(), styles, strict=False):
            years = frame["year"].to_numpy().astype(float)
            ax.plot(
                years, compare_series(frame, column, scale), color=color, ls=ls, lw=1.8, label=label
            )
        if k >= 3:
            ax.set_xlabel("Year", fontsize=LABEL)
        if column in ("exports",):
            _thousands(ax)
    handles, labels = fig.axes[0].get_legend_handles_labels()
    fig.legend(
        handles,
        labels,
        loc="upper center",
        ncol=len(frames),
        fontsize=LABEL,
        frameon=False,
        bbox_to_anchor=(0.5, 0.995),
    )
    return fig
