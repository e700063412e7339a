"""The page's controls and the server-side check of every value the page sends.

Each control is bound to a parameter of the registry (``abm.params.PARAMETERS``): its
tooltip is the parameter's description and unit. The page accepts only values of its
controls: a number inside the control's range, one of a select's own choices (the network
topology is one of the three generators; graph files are a CLI and Python feature), an
integer seed. Anything else is refused with one line naming the field and what is allowed;
the model is only ever built from checked values (:func:`check_settings`).

A preset sets parameters; choosing one moves every control to the preset's value
(:func:`preset_values`), so what the page shows is what the model gets.
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from abm.params import PARAMETERS, TOPOLOGIES, resolve
from abm.scenarios import DESCRIPTIONS, SCENARIOS

DEFAULT_SEED = "42"
DEFAULT_PRESET = "baseline"
#: Largest seed the page accepts.
SEED_MAX = 2**32 - 1

#: Above this many firms the network view draws clusters as nodes instead of firms.
AGGREGATE_ABOVE = 2000
#: Firm-level records (for the download) are kept up to this many firms.
FIRM_RECORDS_MAX = 20_000

_UNITS = {"1/yr": "/yr", "share": "", "1": ""}


@dataclass(frozen=True)
class Control:
    """One input of the page, bound to the model parameter ``name``.

    ``kind`` is ``"slider"``, ``"number"`` (a number entry), ``"select"`` or ``"check"``.
    ``low`` and ``high`` are the page's range, a useful part of the parameter's bounds.
    """

    name: str
    label: str
    kind: str = "slider"
    low: float | None = None
    high: float | None = None
    step: float | None = None
    percent: bool = False
    choices: tuple[str, ...] = field(default=())

    @property
    def param(self):
        """The parameter's registry entry."""
        return PARAMETERS[self.name]

    @property
    def limits(self) -> tuple[float, float, float]:
        """``(low, high, step)`` of a slider or number control."""
        if self.low is None or self.high is None or self.step is None:
            raise TypeError(f"control {self.name!r} ({self.kind}) has no low, high and step")
        return self.low, self.high, self.step

    @property
    def integer(self) -> bool:
        return self.param.kind is int

    @property
    def unit(self) -> str:
        """The unit shown beside the value."""
        if self.percent:
            return "%" + _UNITS.get(self.param.unit, "").replace("/yr", " /yr")
        return _UNITS.get(self.param.unit, self.param.unit)

    def text(self, value: Any) -> str:
        """The value as shown, e.g. ``30 USD/t CO2`` or ``60 %``."""
        if self.kind in ("select", "check"):
            return str(value)
        if self.percent:
            return f"{100 * value:.0f} {self.unit}".strip()
        number = f"{value:,.0f}" if self.integer else f"{value:g}"
        return f"{number} {self.unit}".strip()

    def describe(self, value: Any) -> str:
        """The label with the current value, e.g. ``Carbon price: 30 USD/t CO2``."""
        if self.kind in ("select", "check", "number"):
            return self.label
        return f"{self.label}: {self.text(value)}"

    def allowed(self) -> str:
        """What the control accepts, in words."""
        if self.kind == "select":
            return "one of " + ", ".join(repr(c) for c in self.choices)
        if self.kind == "check":
            return "true or false"
        kind = "an integer" if self.integer else "a number"
        return f"{kind} in [{self.low:,g}, {self.high:,g}]"

    def tooltip(self) -> str:
        """The parameter's description and unit from the registry, and the page's range."""
        p = self.param
        unit = f" Unit: {p.unit}." if p.unit else ""
        return f"{p.doc}{unit} Allowed here: {self.allowed()}."

    def check(self, value: Any) -> Any:
        """``value`` as the parameter's type if the control allows it, else ``ValueError``."""
        bad = f"{self.label}: {value!r} is not allowed; allowed: {self.allowed()}"
        if self.kind == "select":
            if isinstance(value, str) and value in self.choices:
                return value
            raise ValueError(bad)
        if self.kind == "check":
            if isinstance(value, bool):
                return value
            raise ValueError(bad)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(bad)
        low, high, _ = self.limits
        if not math.isfinite(value) or not low <= value <= high:
            raise ValueError(bad)
        if self.integer:
            if not float(value).is_integer():
                raise ValueError(bad)
            return int(value)
        return float(value)


#: The controls, in the order shown; ranges are a useful part of each parameter's bounds
#: (``abm params``) and are widened to every preset's value. Parameters the registry does
#: not have are left out.
_CONTROLS = (
    Control("n_firms", "Firms", "number", 100, 100_000, 100),
    Control("n_clusters", "Clusters", "slider", 1, 30, 1),
    Control("topology", "Network topology", "select", choices=TOPOLOGIES),
    Control("carbon_price", "Carbon price", "slider", 0.0, 300.0, 1.0),
    Control("carbon_price_growth", "Carbon price growth", "slider", -0.1, 0.3, 0.01, True),
    Control("foreign_carbon_price", "Foreign (EU) carbon price", "slider", 0.0, 300.0, 5.0),
    Control("cbam_coverage", "CBAM coverage of exports", "slider", 0.0, 1.0, 0.05, True),
    Control("green_preference", "Consumers' green preference", "slider", 0.0, 5.0, 0.1),
    Control("green_rd_subsidy", "Green R&D subsidy", "slider", 0.0, 1.0, 0.05, True),
    Control("adoption_subsidy", "Adoption subsidy", "slider", 0.0, 1.0, 0.05, True),
    Control("research_funding", "Research funding per institute", "slider", 0.0, 50.0, 0.5),
    Control("collaboration_propensity", "Collaboration propensity", "slider", 0.0, 1.0, 0.05),
    Control("digital_infrastructure", "Digital infrastructure", "slider", 0.0, 1.0, 0.05),
    Control("firm_data", "Keep firm records for the download", "check"),
)


def _widened(c: Control) -> Control:
    """``c`` with its range widened to every preset's value (inside the parameter's bounds)."""
    if c.kind not in ("slider", "number"):
        return c
    values = [resolve(name)[c.name] for name in SCENARIOS]
    low = max(min([c.low, *values]), c.param.low)
    high = min(max([c.high, *values]), c.param.high)
    return Control(c.name, c.label, c.kind, low, high, c.step, c.percent, c.choices)


CONTROLS: tuple[Control, ...] = tuple(_widened(c) for c in _CONTROLS if c.name in PARAMETERS)
BY_NAME: dict[str, Control] = {c.name: c for c in CONTROLS}
CONTROL_NAMES = tuple(BY_NAME)

PRESET_TOOLTIP = (
    "A named set of parameter values (abm scenarios). Choosing one moves every control to "
    "the preset's value; parameters without a control come from the preset."
)
SEED_TOOLTIP = (
    "Seed of the model's random number generator: the same settings and seed give the "
    f"same run. An integer in [0, {SEED_MAX}]; empty draws a random seed (shown above)."
)


def preset_values(preset: str) -> dict[str, Any]:
    """Values of every control under ``preset``: the preset's own, else the defaults."""
    values = resolve(preset)
    out = {name: values[name] for name in CONTROL_NAMES}
    if "firm_data" in out:
        out["firm_data"] = True  # the page keeps firm records where it can
    return out


def describe_preset(preset: str) -> str:
    """One-line description of a preset."""
    return DESCRIPTIONS.get(preset, preset)


def check_seed(text: Any) -> int | None:
    """The seed from the seed box: an integer in [0, SEED_MAX], or ``None`` when empty."""
    if isinstance(text, int) and not isinstance(text, bool):
        value = text
    elif isinstance(text, str):
        if not text.strip():
            return None
        try:
            value = int(text.strip())
        except ValueError:
            value = None
    else:
        value = None
    if value is None or not 0 <= value <= SEED_MAX:
        raise ValueError(
            f"Seed: {text!r} is not allowed; allowed: an integer in [0, {SEED_MAX}], "
            "or empty for a random seed"
        )
    return value


def check_preset(preset: Any) -> str:
    """``preset`` if it is one of the presets, else ``ValueError``."""
    if isinstance(preset, str) and preset in SCENARIOS:
        return preset
    allowed = ", ".join(repr(s) for s in SCENARIOS)
    raise ValueError(f"Scenario preset: {preset!r} is not allowed; allowed: one of {allowed}")


@dataclass(frozen=True)
class Settings:
    """Checked settings of one run: the preset, the seed and every control's value."""

    preset: str
    seed: int
    values: Mapping[str, Any]

    @property
    def firm_records(self) -> bool:
        """Whether firm-level records are kept (asked for and at most FIRM_RECORDS_MAX firms)."""
        wanted = bool(self.values.get("firm_data", False))
        return wanted and self.values.get("n_firms", 0) <= FIRM_RECORDS_MAX

    def model_kwargs(self) -> dict[str, Any]:
        """Keywords for ``TradeClusterModel``."""
        values = dict(self.values)
        if "firm_data" in values:
            values["firm_data"] = self.firm_records
        return {"preset": self.preset, "rng": self.seed, **values}


def check_settings(preset: Any, seed: Any, values: Mapping[str, Any]) -> Settings:
    """Check everything the page sends; raise ``ValueError`` with one line listing the faults.

    An empty seed draws a random one. Only the page's controls are taken from ``values``.
    """
    errors = []
    try:
        preset = check_preset(preset)
    except ValueError as exc:
        errors.append(str(exc))
    try:
        seed = check_seed(seed)
    except ValueError as exc:
        errors.append(str(exc))
    checked = {}
    for c in CONTROLS:
        if c.name not in values:
            errors.append(f"{c.label}: missing; allowed: {c.allowed()}")
            continue
        try:
            checked[c.name] = c.check(values[c.name])
        except ValueError as exc:
            errors.append(str(exc))
    if errors:
        raise ValueError("; ".join(errors))
    if seed is None:
        seed = secrets.randbelow(2**31)
    return Settings(preset, seed, checked)


def pending_changes(
    settings: Settings | None, preset: str, seed: Any, values: Mapping[str, Any]
) -> list[str]:
    """Labels of the controls whose values differ from the running model's settings."""
    if settings is None:
        return []
    changed = []
    if preset != settings.preset:
        changed.append("scenario")
    try:
        wanted = check_seed(seed)
    except ValueError:
        wanted = None
    if wanted is not None and wanted != settings.seed:
        changed.append("seed")
    for c in CONTROLS:
        have, want = settings.values.get(c.name), values.get(c.name)
        if c.kind in ("select", "check") or c.integer:
            differs = have != want
        elif have is None or want is None:
            differs = True
        else:
            try:
                differs = abs(float(have) - float(want)) > 1e-9
            except (TypeError, ValueError):
                differs = True
        if differs:
            changed.append(c.label.lower())
    return changed
