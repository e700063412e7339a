"""Plain names, units and natural bounds of result columns, for axes, captions and tables.

Reporters are described by their docstrings in :mod:`abm.reporters` (``"Total emissions,
t CO2."``, ``"Share of firms that export."``, ``"... (0..100)"``) and parameters by the
registry in :mod:`abm.params`, so a new reporter or parameter gets a label and a unit without
a table to keep up to date. Large values are shown in thousands, millions or billions with
the unit saying so (``"million t CO2"``, ``"USD bn"``), never with SI prefixes or offsets.
"""

from __future__ import annotations

import inspect
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

#: Units written after the last comma of a docstring's first sentence.
_UNIT_START = re.compile(r"^(USD|EUR|CNY|t\b|kg\b|Mt\b|%|per\b|years?\b|firms\b|index\b)")
_RANGE = re.compile(r"\(\s*(-?[\d.]+)\s*\.\.\s*(-?[\d.]+)\s*\)")
_PAREN = re.compile(r"\s*\([^)]*\)")

#: Prefixes and suffixes that name a reporter or parameter inside a results frame.
_PARAM_PREFIX = "param_"
_REPORTER_SUFFIX = "_reporter"


@dataclass(frozen=True)
class Quantity:
    """A column's plain name, unit and natural bounds (``None`` where open)."""

    name: str
    label: str
    unit: str = ""
    low: float | None = None
    high: float | None = None

    def scaled(self, values: Iterable[float] | float) -> tuple[float, str]:
        """A divisor for ``values`` and the unit that goes with it (``1e6``, ``"million t"``)."""
        arr = np.abs(np.asarray(values, float).ravel())
        arr = arr[np.isfinite(arr)]
        top = float(arr.max()) if arr.size else 0.0
        if (self.high is not None and self.high <= 100) or top < 1e4:
            return 1.0, self.unit
        for factor, word in ((1e9, "billion"), (1e6, "million"), (1e3, "thousand")):
            if top >= factor:
                return factor, _scaled_unit(self.unit, factor, word)
        return 1.0, self.unit  # pragma: no cover

    def axis_label(self, factor_unit: str | None = None, prefix: str = "") -> str:
        """``"Total emissions (million t CO2)"``; ``prefix`` is put before the lower-cased name."""
        unit = self.unit if factor_unit is None else factor_unit
        label = f"{prefix}{_lower_first(self.label)}" if prefix else self.label
        return f"{label} ({unit})" if unit else label


def _lower_first(text: str) -> str:
    if len(text) > 1 and text[0].isupper() and not text[1].isupper():
        return text[0].lower() + text[1:]
    return text


def _scaled_unit(unit: str, factor: float, word: str) -> str:
    if unit.startswith("USD m"):
        big = {1e3: "USD bn", 1e6: "USD tn", 1e9: "USD 1000 tn"}[factor]
        return big + unit[len("USD m") :]
    if not unit or unit == "model units":
        return f"{word}s of model units" if unit else word
    if unit in ("number", "count"):
        return word
    return f"{word} {unit}"


def _first_sentence(doc: str) -> str:
    text = " ".join(doc.strip().split())
    cut = re.search(r"\.(\s|$)", text)
    return (text[: cut.start()] if cut else text).strip()


def _from_docstring(name: str, doc: str | None, returns: str = "") -> Quantity:
    if not doc:
        return Quantity(name, name.replace("_", " "), "")
    text = _first_sentence(doc).replace("``", "")
    low = high = None
    rng = _RANGE.search(text)
    if rng:
        low, high = float(rng.group(1)), float(rng.group(2))
    label, unit = _label_and_unit(text)
    if not unit:
        unit, low, high = _implied_unit(label.lower(), rng is not None, low, high, returns)
    return Quantity(name, label or name.replace("_", " "), unit, low, high)


def _label_and_unit(text: str) -> tuple[str, str]:
    """The label and the stated unit (or "") of a docstring's first sentence: asides
    (parentheses, what follows a semicolon, "see ...") go, and the unit is the last
    comma-separated part if it reads like one."""
    text = _PAREN.sub("", text).split("; ")[0].strip()
    parts = [p.strip() for p in text.split(", ")]
    parts = [p for p in parts if not p.startswith("see ")]
    unit = ""
    if len(parts) > 1 and _UNIT_START.match(parts[-1]):
        unit = parts.pop()
    return ", ".join(parts).split(": ")[0].strip(), unit


def _implied_unit(
    lowered: str, ranged: bool, low: float | None, high: float | None, returns: str
) -> tuple[str, float | None, float | None]:
    """Unit and bounds of a quantity whose docstring states no unit, from its label (in
    lower case), its stated range [low, high] if ``ranged``, and its return annotation."""
    if lowered.startswith("share of") and (" minus " in lowered or "change in" in lowered):
        return "difference of shares", -1.0, 1.0
    if lowered.startswith("share of") or " as a share of " in lowered:
        return ("share", *((0.0, 1.0) if not ranged else (low, high)))
    if ranged:
        unit = f"{low:g}-{high:g}"
        if "index" not in lowered and (low, high) != (0.0, 1.0):
            unit = f"index, {unit}"
        return unit, low, high
    if returns == "int":
        return "number", low, high
    if "index" in lowered:
        return "index", low, high
    return "model units", low, high


def _reporter_quantity(name: str) -> Quantity | None:
    from abm.reporters import MODEL_REPORTERS

    func = MODEL_REPORTERS.get(name)
    if func is None:
        return None
    try:
        returns = str(inspect.signature(func).return_annotation)
    except (TypeError, ValueError):  # pragma: no cover
        returns = ""
    return _from_docstring(name, func.__doc__, returns)


def _parameter_quantity(name: str) -> Quantity | None:
    from abm.params import PARAMETERS

    p = PARAMETERS.get(name)
    if p is None:
        return None
    label = _PAREN.sub("", _first_sentence(p.doc).split(": ")[0]).strip()
    unit = p.unit
    if unit in ("0..1",):
        unit = "0-1"
    bounded = unit in ("share", "0-1")
    return Quantity(
        name, label or name, unit, 0.0 if bounded else p.low, 1.0 if bounded else p.high
    )


def floored_at_zero(q: Quantity, values: pd.Series | np.ndarray) -> Quantity:
    """``q`` with a lower bound of 0 when it has none and every observed value is >= 0
    (totals, emissions, intensities), so intervals of such a quantity stay non-negative."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if q.low is not None or not len(v) or v.min() < 0:
        return q
    return replace(q, low=0.0)


def quantity(column: str) -> Quantity:
    """The plain name, unit and bounds of a reporter or parameter column.

    Reporters come first (a column named like both is the reporter, as in a run's frame);
    ``param_<name>`` and ``<name>_reporter`` pick the parameter and the reporter explicitly.
    Any other column gets its name with underscores as spaces and no unit.
    """
    if column == "year":
        return Quantity("year", "Year", "")
    if column.startswith(_PARAM_PREFIX):
        q = _parameter_quantity(column[len(_PARAM_PREFIX) :])
        if q is not None:
            return q
    if column.endswith(_REPORTER_SUFFIX):
        q = _reporter_quantity(column[: -len(_REPORTER_SUFFIX)])
        if q is not None:
            return q
    q = _reporter_quantity(column)
    if q is None:
        q = _parameter_quantity(column)
    return q if q is not None else Quantity(column, column.replace("_", " "), "")


def parameter_quantity(column: str) -> Quantity:
    """Like :func:`quantity`, but a name shared by a parameter and a reporter is the
    parameter (the axes of a grid over parameters)."""
    name = column[len(_PARAM_PREFIX) :] if column.startswith(_PARAM_PREFIX) else column
    return _parameter_quantity(name) or quantity(column)


def decimals_for(values: Iterable[float], digits: int = 3) -> int:
    """Decimals that give about ``digits`` significant digits to the largest of ``values``."""
    arr = np.abs(np.asarray(values, float).ravel())
    arr = arr[np.isfinite(arr) & (arr > 0)]
    if not arr.size:
        return 0
    return int(min(6, max(0, digits - 1 - math.floor(math.log10(arr.max())))))


def format_number(value: float, decimals: int) -> str:
    """``value`` with thousands separators and a fixed number of decimals; NaN as a dash."""
    if value is None or not np.isfinite(value):
        return "-"
    return f"{value:,.{decimals}f}"


__all__ = ["Quantity", "decimals_for", "format_number", "parameter_quantity", "quantity"]
