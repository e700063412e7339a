"""One browser session's run: its model, settings, figures and the memory they hold.

A :class:`Run` builds the model from checked settings (:class:`abm.app.controls.Settings`),
steps it, and draws the figures the page shows, once per year and view. On Reset and when
the session closes it drops the model, its network, frames and figures and returns the
memory to the operating system (:func:`free_memory`), so a server shared by many users does
not grow with every Reset.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import logging
import time
from dataclasses import dataclass
from typing import Any

from abm.app import figures
from abm.app.controls import AGGREGATE_ABOVE, Settings
from abm.model import TradeClusterModel

log = logging.getLogger(__name__)

#: The time-series views and the figure class of each.
SERIES = {
    "industrial": figures.IndustrialFigure,
    "trade": figures.TradeFigure,
    "emissions": figures.EmissionsFigure,
    "government": figures.GovernmentFigure,
}
VIEWS = ("network", *SERIES)


def _malloc_trim():
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return libc.malloc_trim
    except (OSError, AttributeError):  # not glibc
        return None


_TRIM = _malloc_trim()


def free_memory() -> None:
    """Collect unreachable objects and hand freed heap memory back to the system (glibc)."""
    gc.collect()
    if _TRIM is not None:
        _TRIM(0)


@dataclass(frozen=True)
class Picture:
    """A drawn figure: its bytes, image format and smallest font in pixels at natural size."""

    data: bytes
    format: str
    font_px: float


class Run:
    """The model of one session and the figures drawn from it."""

    def __init__(self) -> None:
        self.model: TradeClusterModel | None = None
        self.settings: Settings | None = None
        self.step_ms: float | None = None  # server time of the last Step (model and figures)
        self._figures: dict[tuple[str, str], Any] = {}
        self._pictures: dict[tuple[str, str], tuple[int, Picture]] = {}
        self._frame: tuple[int, Any] | None = None

    # ------------------------------------------------------------------ life cycle

    def build(self, settings: Settings) -> None:
        """Replace the model by a new one built from ``settings`` (the old one is freed first)."""
        previous = self.settings
        self.release()
        try:
            self.model = TradeClusterModel(**settings.model_kwargs())
        except Exception:
            log.exception("building the model failed")
            if previous is not None:
                self.model = TradeClusterModel(**previous.model_kwargs())
                self.settings = previous
            raise
        self.settings = settings

    def built(self) -> tuple[TradeClusterModel, Settings]:
        """The model and its settings; ``RuntimeError`` when there is none (before
        :meth:`build`, after :meth:`release`)."""
        if self.model is None or self.settings is None:
            raise RuntimeError("no model: build() one first")
        return self.model, self.settings

    def release(self) -> None:
        """Drop the model, its frames and figures, and free their memory."""
        self._clear_figures()
        self._pictures.clear()
        self._frame = None
        self.model = None
        self.settings = None
        self.step_ms = None
        free_memory()  # the model and its agents form reference cycles: collect them now

    def _clear_figures(self) -> None:
        """Clear and drop the figures (in its own frame, so no local keeps one alive)."""
        for holder in self._figures.values():
            holder.fig.clear()
        self._figures.clear()

    def step(self, views: tuple[str, ...] = ()) -> float:
        """Advance one year and draw ``views`` ((view, mode) pairs or view names); return the
        server time in milliseconds."""
        model, _ = self.built()
        t0 = time.perf_counter()
        model.step()
        for view in views:
            self.picture(*((view,) if isinstance(view, str) else view))
        self.step_ms = 1000 * (time.perf_counter() - t0)
        return self.step_ms

    # ------------------------------------------------------------------ drawing

    @property
    def time(self) -> int:
        return int(self.model.time) if self.model is not None else -1

    @property
    def aggregate(self) -> bool:
        """Whether the network view shows clusters as nodes."""
        return self.model is not None and self.model.n_firms > AGGREGATE_ABOVE

    def frame(self):
        """The model frame of the current year (built once per year)."""
        if self._frame is None or self._frame[0] != self.time:
            self._frame = (self.time, self.model.model_frame())
        return self._frame[1]

    def picture(self, view: str, mode: str = "green") -> Picture:
        """The figure of ``view`` for the current year, drawn once per year and mode."""
        key = (view, mode if view == "network" else "")
        cached = self._pictures.get(key)
        if cached is not None and cached[0] == self.time:
            return cached[1]
        if view == "network":
            network = self._figures.get(key)
            if network is None:
                network = self._figures[key] = figures.NetworkFigure(
                    self.model, mode, self.aggregate
                )
            fig = network.update()
            picture = Picture(figures.to_png(fig), "png", figures.smallest_font_px(fig))
        else:
            series = self._figures.get(key)
            if series is None:
                series = self._figures[key] = SERIES[view]()
            fig = series.update(self.frame())
            picture = Picture(figures.to_svg(fig), "svg+xml", figures.smallest_font_px(fig))
        self._pictures[key] = (self.time, picture)
        return picture
