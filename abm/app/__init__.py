"""The browser app: Mesa's ``SolaraViz`` page for exploring the model (``abm app``).

``abm.app:page`` is the Solara page. Each browser tab gets its own model and controls: a
scenario preset, sliders for the main policy and market parameters, firm and cluster counts,
the network topology and the seed; Mesa's Play, Step and Reset. Reset rebuilds the model
from the controls. The views (network, industrial and trade structure, emissions, government
accounts, key figures) read the model's collectors; the page holds no model logic.
"""

from __future__ import annotations

import solara
from mesa.visualization import SolaraViz

from abm.app.controls import CONTROLS, FIXED, AppModel, model_kwargs
from abm.app.state import PRESET, SEED, VALUES, apply_preset, current_values
from abm.app.views import (
    PAGE_CSS,
    EmissionsView,
    GovernmentView,
    IndustrialView,
    KeyFiguresView,
    NetworkView,
    TradeView,
)
from abm.scenarios import SCENARIOS

TITLE = "Foreign-trade clusters: low-carbon transition (agent-based model)"

#: The views, in reading order (SolaraViz lays them out two per row on page 0).
COMPONENTS = [
    (NetworkView, 0),
    (KeyFiguresView, 0),
    (IndustrialView, 0),
    (TradeView, 0),
    (EmissionsView, 0),
    (GovernmentView, 0),
]


def model_params() -> dict:
    """SolaraViz's ``model_params``: the inputs, bound to this session's control values."""
    return {
        "preset": {
            "type": "Select",
            "label": "Scenario preset (sets the sliders)",
            "value": PRESET,
            "values": list(SCENARIOS),
        },
        "seed": {"type": "InputText", "label": "Seed (integer; empty: random)", "value": SEED},
        **{c.name: c.to_input(VALUES[c.name]) for c in CONTROLS},
        **FIXED,
    }


@solara.component
def Page():
    """The app page: SolaraViz with this model's controls and views."""
    model = solara.use_memo(
        lambda: AppModel(**model_kwargs(PRESET.value, SEED.value, current_values())), []
    )
    solara.use_effect(lambda: PRESET.subscribe(apply_preset), [])
    solara.Title("ABM: foreign-trade clusters")
    solara.Style(PAGE_CSS)
    SolaraViz(
        model,
        components=COMPONENTS,
        model_params=model_params(),
        name=TITLE,
        play_interval=150,
    )


page = Page

__all__ = ["AppModel", "Page", "page"]
