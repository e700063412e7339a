"""Named scenario presets: the four promotion modes of seed 000, digital trade, CBAM, combined,
and the shipped calibration.

A scenario is a mapping of parameter values. Names compose with ``+``:
``"technology+policy"`` applies both (later names win where they overlap), which is how the
2^4 factorial of the four modes is built.
"""

from __future__ import annotations

import tomllib
from importlib import resources
from types import MappingProxyType
from typing import Any

from abm.params import unknown_name_error, validate


def calibration() -> dict[str, Any]:
    """The shipped calibration, ``abm/calibrated.toml``: ``params`` (the values of the
    ``calibrated`` preset), ``intervals`` (posterior 95 % intervals) and ``calibration``
    (how it was made and how it validates)."""
    return tomllib.loads(resources.files("abm").joinpath("calibrated.toml").read_text())


_TECHNOLOGY = {
    "rd_boost": 1.3,
    "rd_effectiveness": 35.0,
    "green_rd_share": 0.5,
    "frontier_growth": 0.09,
}
_POLICY = {
    "carbon_price": 30.0,
    "carbon_price_growth": 0.07,
    "green_rd_subsidy": 0.3,
    "adoption_subsidy": 0.3,
    "research_funding": 6.0,
}
_LINKAGE = {
    "collaboration_propensity": 0.6,
    "degree_within": 10.0,
    "spillover_rate": 0.2,
    "institute_partner_share": 0.5,
}
_CONSUMPTION = {"green_preference": 40.0, "green_preference_growth": 0.03}
_DIGITAL = {"digital_infrastructure": 0.8, "platform_cost": 0.3}
_CBAM = {"cbam_coverage": 1.0, "cbam_coverage_downstream": 0.3, "foreign_carbon_price": 100.0}

SCENARIOS: MappingProxyType[str, MappingProxyType[str, Any]] = MappingProxyType(
    {
        name: MappingProxyType(values)
        for name, values in {
            "baseline": {},
            "technology": _TECHNOLOGY,
            "policy": _POLICY,
            "linkage": _LINKAGE,
            "consumption": _CONSUMPTION,
            "digital": _DIGITAL,
            "cbam": _CBAM,
            "combined": {**_TECHNOLOGY, **_POLICY, **_LINKAGE, **_CONSUMPTION, **_DIGITAL, **_CBAM},
            "calibrated": calibration()["params"],
        }.items()
    }
)

DESCRIPTIONS = {
    "baseline": "current policy: low domestic carbon price, small CBAM coverage",
    "technology": "technology-innovation mode: more and greener R&D, faster institute frontier",
    "policy": "government-policy mode: higher carbon price path, subsidies, research funding",
    "linkage": "enterprise-linkage mode: denser clusters, more collaboration and spillovers",
    "consumption": "consumption-driven mode: strong and rising green preference of consumers",
    "digital": "digital trade: strong digital infrastructure, cheaper platforms",
    "cbam": "carbon border adjustments (EU, UK) on all resource-intensive and part of other "
    "goods at a high EU carbon price",
    "combined": "all of the above together",
    "calibrated": "the shipped calibration to China's trade, carbon intensity and firms around "
    "2020 (abm/calibrated.toml); combine with a mode, e.g. calibrated+policy",
}

MODES = ("technology", "policy", "linkage", "consumption")


def scenario_values(scenario: str) -> dict[str, Any]:
    """Parameter values of a scenario name, or of names joined by ``+``, validated."""
    if not isinstance(scenario, str) or not scenario.strip():
        raise ValueError(
            f"scenario: invalid value {scenario!r}; allowed: one of {', '.join(SCENARIOS)} "
            "or names joined by '+'"
        )
    values: dict[str, Any] = {}
    for name in scenario.split("+"):
        name = name.strip()
        if name not in SCENARIOS:
            raise unknown_name_error("scenario", name, list(SCENARIOS))
        values.update(SCENARIOS[name])
    return validate(values)
