"""Optional features and the extras that install them.

``pip install abm-trade-clusters`` gives the model, ``abm run``, ``abm params``, ``abm facts``
(without figures) and Parquet output. The browser app, sweeps and their reports, the EMA
Workbench interface and calibration need the packages of an extra. Using one of them without
its extra stops with one line that names the extra and the command that installs it:
:class:`MissingExtra`, raised by :func:`require` (before a feature starts) or by
:func:`needs` (around the imports of a module).
"""

from __future__ import annotations

import contextlib
import importlib.util
from collections.abc import Iterator, Sequence

DISTRIBUTION = "abm-trade-clusters"

#: Each extra and the top-level modules of its packages that the code imports. The first
#: extra that lists a module is the one named when that module alone is missing.
EXTRAS: dict[str, tuple[str, ...]] = {
    "experiments": ("SALib", "dask", "distributed", "bokeh", "matplotlib"),
    "app": ("solara", "ipyvue", "ipyvuetify", "altair", "matplotlib"),
    "ema": ("ema_workbench",),
    "calibration": ("pyabc", "matplotlib"),
}


def install_hint(extra: str) -> str:
    """The command that installs ``extra``."""
    return f"pip install '{DISTRIBUTION}[{extra}]'"


class MissingExtra(ImportError):
    """A feature's extra is not installed.

    ``reason`` is ``needs the <extra> extra (missing: <modules>): pip install ...``; the
    message puts the feature (``abm.app``, ``abm calibrate``) in front when one is given.
    """

    def __init__(self, extra: str, modules: Sequence[str] = (), feature: str | None = None):
        self.extra = extra
        self.modules = tuple(modules)
        absent = f" (missing: {', '.join(self.modules)})" if self.modules else ""
        self.reason = f"needs the {extra} extra{absent}: {install_hint(extra)}"
        super().__init__(
            f"{feature}: {self.reason}" if feature else self.reason,
            name=self.modules[0] if self.modules else None,
        )


def _importable(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):  # a None in sys.modules, a broken parent
        return False


def missing(extra: str) -> list[str]:
    """The modules of ``extra`` that cannot be imported (found, not imported)."""
    return [name for name in EXTRAS[extra] if not _importable(name)]


def require(extra: str, feature: str | None = None) -> None:
    """Raise :class:`MissingExtra` unless every module of ``extra`` can be imported."""
    absent = missing(extra)
    if absent:
        raise MissingExtra(extra, absent, feature)


def extra_for(module: str | None) -> str | None:
    """The extra that installs the top-level module of ``module``, if any."""
    top = (module or "").split(".")[0]
    return next((extra for extra, names in EXTRAS.items() if top in names), None)


def from_error(exc: ModuleNotFoundError, feature: str | None = None) -> MissingExtra | None:
    """The :class:`MissingExtra` for a failed import of an extra's module, else ``None``."""
    extra = extra_for(exc.name)
    if extra is None:
        return None
    return MissingExtra(extra, [str(exc.name).split(".")[0]], feature)


@contextlib.contextmanager
def needs(extra: str, feature: str) -> Iterator[None]:
    """Turn a failed import of one of ``extra``'s modules into :class:`MissingExtra`."""
    try:
        yield
    except ModuleNotFoundError as exc:
        if extra_for(exc.name) is None:
            raise
        raise MissingExtra(extra, missing(extra) or [str(exc.name)], feature) from None
