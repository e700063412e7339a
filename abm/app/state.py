"""The page's control values, one set per browser session.

Solara keeps a separate value of each module-level reactive variable for every connected
browser tab, so these are per-user state, not globals shared between users.
"""

from __future__ import annotations

from typing import Any

import solara

from abm.app.controls import BY_NAME, DEFAULT_PRESET, DEFAULT_SEED, preset_values

#: The chosen scenario preset.
PRESET = solara.reactive(DEFAULT_PRESET)
#: The seed box's text.
SEED = solara.reactive(DEFAULT_SEED)
#: The value of every control, by parameter name.
VALUES = {name: solara.reactive(v) for name, v in preset_values(DEFAULT_PRESET).items()}
#: The one-line message of the last refused input or failed action ("" when none).
ERROR = solara.reactive("")


def apply_preset(preset: str) -> None:
    """Move every control to ``preset``'s value, so the preset is seen and takes effect."""
    for name, value in preset_values(preset).items():
        if name != "firm_data":
            VALUES[name].set(value)


def set_value(name: str, value: Any, keep: bool = False) -> None:
    """Take a control's new value if the control allows it, else say why not in the page.

    A refused value leaves the control as it was, except with ``keep`` (a typed entry),
    which keeps what was typed so it can be corrected; Reset refuses it until then.
    """
    if name not in VALUES:
        ERROR.set(f"{name!r} is not a control of this page")
        return
    try:
        VALUES[name].set(BY_NAME[name].check(value))
    except ValueError as exc:
        ERROR.set(str(exc))
        if keep:
            VALUES[name].set(value)
    else:
        ERROR.set("")


def current_values() -> dict[str, Any]:
    """The controls' current values."""
    return {name: r.value for name, r in VALUES.items()}
