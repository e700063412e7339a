"""The page's control values, one set per browser session.

Solara keeps a separate value of each module-level reactive variable for every connected
browser tab, so these are per-user state, not globals shared between users.
"""

from __future__ import annotations

import solara

from abm.app.controls import DEFAULT_PRESET, DEFAULT_SEED, preset_values

#: The chosen scenario preset.
PRESET = solara.reactive(DEFAULT_PRESET)
#: The seed box's text.
SEED = solara.reactive(DEFAULT_SEED)
#: The value of every slider and select, by parameter name.
VALUES = {name: solara.reactive(v) for name, v in preset_values(DEFAULT_PRESET).items()}


def apply_preset(preset: str) -> None:
    """Move every control to ``preset``'s value, so the preset is seen and takes effect."""
    for name, value in preset_values(preset).items():
        VALUES[name].set(value)


def current_values() -> dict:
    """The controls' current values."""
    return {name: r.value for name, r in VALUES.items()}
