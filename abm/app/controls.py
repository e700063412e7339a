"""The page's controls and the adapter that builds a model from them.

Mesa's ``ModelController`` rebuilds the model on Reset as ``type(model)(**values)``, where
``values`` are the current values of the inputs in ``SolaraViz(model_params=...)``.
:class:`AppModel` turns those values into ``TradeClusterModel`` keywords (the preset name
into ``scenario``, the seed text into ``rng``). It holds no model logic.

A preset (scenario) sets parameters; explicit keywords override it. So that a chosen preset is
both visible and effective, choosing one moves every slider to the preset's value
(:func:`preset_values`); the model is then built with the preset and the slider values, which
agree unless the user moves a slider afterwards, and then the slider wins, as shown.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from abm.model import TradeClusterModel
from abm.params import PARAMETERS, resolve
from abm.scenarios import DESCRIPTIONS, SCENARIOS

DEFAULT_SEED = "42"
DEFAULT_PRESET = "baseline"

#: Above this many firms the network view draws clusters as nodes instead of firms.
AGGREGATE_ABOVE = 2000


@dataclass(frozen=True)
class Control:
    """One slider or select of the page, bound to a model parameter."""

    name: str
    label: str
    unit: str = ""
    low: float | None = None
    high: float | None = None
    step: float | None = None
    percent: bool = False  # show a share as a percentage in the label

    @property
    def param(self):
        """The parameter's registry entry."""
        return PARAMETERS[self.name]

    @property
    def is_select(self) -> bool:
        return self.param.choices is not None

    def describe(self, value: Any) -> str:
        """The label with the current value, e.g. ``Carbon price: 30 USD/t CO2``."""
        if self.is_select:
            return self.label
        if self.percent:
            return f"{self.label}: {100 * value:.0f} %{self.unit}"
        text = f"{value:,.0f}" if self.param.kind is int else f"{value:g}"
        unit = f" {self.unit}" if self.unit else ""
        return f"{self.label}: {text}{unit}"

    def to_input(self, value) -> dict:
        """The input spec for ``SolaraViz(model_params=...)``; ``value`` may be reactive."""
        current = getattr(value, "value", value)
        if self.is_select:
            return {
                "type": "Select",
                "label": self.label,
                "value": value,
                "values": list(self.param.choices),
            }
        kind = "SliderInt" if self.param.kind is int else "SliderFloat"
        return {
            "type": kind,
            "label": self.describe(current),
            "value": value,
            "min": self.low,
            "max": self.high,
            "step": self.step,
        }


#: Sliders and selects, in the order shown. Ranges are the useful part of each parameter's
#: allowed range (``abm params``); every preset value lies inside them.
CONTROLS: tuple[Control, ...] = (
    Control("carbon_price", "Carbon price", "USD/t CO2", 0.0, 300.0, 1.0),
    Control("carbon_price_growth", "Carbon price growth", "/yr", -0.1, 0.3, 0.01, percent=True),
    Control("foreign_carbon_price", "Foreign (EU) carbon price", "USD/t CO2", 0.0, 300.0, 5.0),
    Control("cbam_coverage", "CBAM coverage of exports", "", 0.0, 1.0, 0.05, percent=True),
    Control("green_preference", "Consumers' green preference", "", 0.0, 5.0, 0.1),
    Control("green_rd_subsidy", "Green R&D subsidy", "", 0.0, 1.0, 0.05, percent=True),
    Control("adoption_subsidy", "Adoption subsidy", "", 0.0, 1.0, 0.05, percent=True),
    Control("research_funding", "Research funding", "USD m/yr per institute", 0.0, 50.0, 0.5),
    Control("collaboration_propensity", "Collaboration propensity", "/yr", 0.0, 1.0, 0.05),
    Control("digital_infrastructure", "Digital infrastructure", "(0..1)", 0.0, 1.0, 0.05),
    Control("n_firms", "Firms", "", 100, 100_000, 100),
    Control("n_clusters", "Clusters", "", 1, 30, 1),
    Control("topology", "Network topology"),
)

CONTROL_NAMES = tuple(c.name for c in CONTROLS)

#: Parameters fixed in the app: firm-level records are not shown, so not kept.
FIXED = {"firm_data": False}


def _check_ranges() -> None:
    for c in CONTROLS:
        if c.is_select:
            continue
        for scenario in SCENARIOS:
            v = resolve(scenario)[c.name]
            if not c.low <= v <= c.high:  # pragma: no cover - guards the table above
                raise ValueError(f"{c.name}={v} of preset {scenario!r} is outside the slider")


_check_ranges()


def preset_values(preset: str) -> dict[str, Any]:
    """Values of every control under ``preset``: the preset's own, else the defaults."""
    values = resolve(preset)
    return {name: values[name] for name in CONTROL_NAMES}


def describe_preset(preset: str) -> str:
    """One-line description of a preset."""
    return DESCRIPTIONS.get(preset, preset)


def _as_int(text: Any) -> int | None:
    if isinstance(text, int) and not isinstance(text, bool):
        return text
    try:
        return int(str(text).strip())
    except ValueError:
        return None


def parse_seed(text: Any) -> int:
    """The seed from the seed box: an integer, or a fresh random one when empty or not a number."""
    seed = _as_int(text)
    return secrets.randbelow(2**31) if seed is None else seed


def _plain(value: Any) -> Any:
    """Unwrap a Solara reactive variable (Mesa passes the input's initial value object)."""
    try:
        import solara
    except ImportError:  # pragma: no cover
        return value
    return value.value if isinstance(value, solara.Reactive) else value


class AppModel(TradeClusterModel):
    """``TradeClusterModel`` built from the page's inputs; only maps keywords, no logic.

    Parameters
    ----------
    preset : str
        Scenario preset name, passed as ``scenario``.
    seed : int or str
        Seed text from the page; empty or not a number draws a random seed (shown on the page).
    scenario
        Ignored: Mesa's controller passes its own experiment ``Scenario`` object here.
    **params
        Parameters of ``abm.params.PARAMETERS``.
    """

    def __init__(
        self,
        *,
        preset: str = DEFAULT_PRESET,
        seed: Any = DEFAULT_SEED,
        scenario: Any = None,
        rng: Any = None,
        **params: Any,
    ):
        self.seed = parse_seed(_plain(seed)) if rng is None else rng
        values = {**FIXED, **{k: _plain(v) for k, v in params.items()}}
        super().__init__(scenario=_plain(preset), rng=self.seed, **values)


def model_kwargs(preset: str, seed: Any, values: Mapping[str, Any]) -> dict[str, Any]:
    """Keywords for :class:`AppModel` from plain control values."""
    return {"preset": preset, "seed": seed, **{k: values[k] for k in CONTROL_NAMES}}


def pending_changes(model, preset: str, seed: Any, values: Mapping[str, Any]) -> list[str]:
    """Labels of the controls whose values differ from the running model's."""
    changed = []
    if preset != getattr(model, "scenario_name", preset):
        changed.append("scenario")
    wanted_seed = _as_int(seed)
    if wanted_seed is not None and wanted_seed != getattr(model, "seed", wanted_seed):
        changed.append("seed")
    for c in CONTROLS:
        have = model.params[c.name]
        want = values[c.name]
        if c.is_select or c.param.kind is int:
            differs = have != want
        else:
            differs = abs(float(have) - float(want)) > 1e-9
        if differs:
            changed.append(c.label.lower())
    return changed
