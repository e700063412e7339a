"""The model's parameters: one registry with defaults, units, bounds and sources.

Every parameter enters through :func:`resolve`, which merges a scenario with explicit
overrides and validates each value once. Errors name the field, the value and what is
allowed, so a typo in a notebook, an experiment file or ``abm run --set`` fails fast.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

TOPOLOGIES = ("sbm", "small_world", "scale_free")


@dataclass(frozen=True)
class Param:
    """One model parameter: its default, type, bounds, unit and where the default comes from."""

    name: str
    default: Any
    kind: type
    doc: str
    unit: str = ""
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] | None = None
    source: str = "modelling choice"

    def allowed(self) -> str:
        """Describe the allowed values in words, for error messages and docs."""
        if self.choices is not None:
            extra = " or a path to a GraphML / edge-list file" if self.name == "topology" else ""
            return "one of " + ", ".join(repr(c) for c in self.choices) + extra
        if self.kind is bool:
            return "true or false"
        kind = "an integer" if self.kind is int else "a number"
        return f"{kind} in [{self.low:g}, {self.high:g}]"

    def validate(self, value: Any) -> Any:
        """Return ``value`` converted to this parameter's type, or raise ``ValueError``."""
        bad = f"parameter {self.name!r}: invalid value {value!r}; allowed: {self.allowed()}"
        if self.kind is bool:
            if isinstance(value, bool):
                return value
            raise ValueError(bad)
        if self.kind is str:
            if not isinstance(value, str):
                raise ValueError(bad)
            if self.choices is not None and value not in self.choices:
                if self.name == "topology" and os.path.isfile(value):
                    return value
                raise ValueError(bad)
            return value
        if isinstance(value, bool) or not isinstance(value, int | float):
            try:  # numpy scalars
                import numpy as np

                if isinstance(value, np.integer | np.floating) and not isinstance(value, bool):
                    value = value.item()
                else:
                    raise ValueError(bad)
            except ImportError:  # pragma: no cover
                raise ValueError(bad) from None
        if self.kind is int:
            if isinstance(value, float):
                if not value.is_integer():
                    raise ValueError(bad)
                value = int(value)
        else:
            value = float(value)
        if value != value or not (self.low <= value <= self.high):  # NaN or out of bounds
            raise ValueError(bad)
        return value


def _p(name, default, doc, unit="", low=None, high=None, choices=None, source="modelling choice"):
    kind = type(default)
    return Param(name, default, kind, doc, unit, low, high, choices, source)


_PARAMS = [
    # --- population and network ---
    _p("n_firms", 500, "Number of foreign-trade firms.", "firms", 10, 200_000),
    _p(
        "n_clusters",
        5,
        "Number of industrial clusters (development zones, alliances, parks).",
        "clusters",
        1,
        500,
    ),
    _p("institutes_per_cluster", 2, "Research institutes in each cluster.", "institutes", 0, 50),
    _p(
        "topology",
        "sbm",
        "Cluster network: a generator name or a path to a graph file.",
        choices=TOPOLOGIES,
    ),
    _p(
        "degree_within",
        6.0,
        "Mean number of ties a firm has inside its cluster.",
        "ties",
        0.0,
        100.0,
    ),
    _p(
        "degree_between",
        0.5,
        "Mean number of ties a firm has to other clusters.",
        "ties",
        0.0,
        50.0,
    ),
    _p("start_year", 2020, "Calendar year of step 0.", "year", 1900, 2200),
    # --- government: carbon pricing ---
    _p(
        "carbon_price",
        10.0,
        "Domestic carbon price in the start year.",
        "USD/t CO2",
        0.0,
        2000.0,
        source="China national ETS, about 60-100 yuan (10-14 USD) per tonne in 2023-2024",
    ),
    _p(
        "carbon_price_growth",
        0.05,
        "Yearly growth rate of the domestic carbon price.",
        "1/yr",
        -0.5,
        1.0,
    ),
    _p(
        "adaptive_carbon_price",
        False,
        "Raise the price further each year emissions rise after the peak year.",
    ),
    _p(
        "peak_year",
        2030,
        "Emission peak target year used by the adaptive price rule.",
        "year",
        1900,
        2200,
        source="China's 2030 carbon-peaking target (seed 004)",
    ),
    _p(
        "adaptive_price_step",
        0.1,
        "Extra price rise in a year emissions rose after the peak year.",
        "share",
        0.0,
        2.0,
    ),
    _p(
        "foreign_carbon_price",
        80.0,
        "Foreign (EU) carbon price in the start year.",
        "USD/t CO2",
        0.0,
        2000.0,
        source="EU ETS, about 65-90 EUR per tonne over 2023-2024",
    ),
    _p(
        "foreign_carbon_price_growth",
        0.02,
        "Yearly growth of the foreign carbon price.",
        "1/yr",
        -0.5,
        1.0,
    ),
    _p(
        "cbam_coverage",
        0.05,
        "Share of exports in sectors covered by the carbon border adjustment (CBAM).",
        "share",
        0.0,
        1.0,
        source="EU CBAM covers cement, steel, aluminium, fertilisers, electricity, "
        "hydrogen: a small share of exports",
    ),
    _p(
        "cbam_start_year",
        2026,
        "First year of the definitive CBAM; the phase-in runs from it.",
        "year",
        1900,
        2200,
        source="EU CBAM regulation: definitive period from 2026",
    ),
    # --- government: subsidies and spending ---
    _p(
        "green_rd_subsidy",
        0.1,
        "Share of green R&D spending reimbursed by government.",
        "share",
        0.0,
        1.0,
    ),
    _p(
        "adoption_subsidy",
        0.1,
        "Share of green-technology adoption cost paid by government.",
        "share",
        0.0,
        1.0,
    ),
    _p(
        "research_funding",
        2.0,
        "Yearly public funding per research institute.",
        "USD m/yr",
        0.0,
        1000.0,
    ),
    _p(
        "digital_infrastructure",
        0.3,
        "Public digital-infrastructure level: lowers platform cost, raises its benefit.",
        "0..1",
        0.0,
        1.0,
        source="seeds 001, 002: digital trade zones and infrastructure",
    ),
    # --- markets and consumers ---
    _p(
        "green_preference",
        0.5,
        "Consumers' penalty on emission intensity in the logit choice (domestic market).",
        "utility per relative intensity",
        0.0,
        20.0,
    ),
    _p(
        "foreign_green_premium",
        1.5,
        "Foreign consumers' green preference relative to domestic.",
        "ratio",
        0.0,
        10.0,
    ),
    _p(
        "green_preference_growth",
        0.0,
        "Yearly growth of consumers' green preference.",
        "1/yr",
        -0.5,
        1.0,
    ),
    _p(
        "cost_pass_through",
        0.5,
        "Share of a firm's own unit cost (vs the category average) passed into its price.",
        "share",
        0.0,
        1.0,
    ),
    _p("price_sensitivity", 8.0, "Logit sensitivity of demand to relative price.", "1", 0.0, 100.0),
    _p(
        "demand_elasticity",
        1.2,
        "Price elasticity of demand for a category as a whole.",
        "1",
        0.0,
        10.0,
    ),
    _p("demand_slack", 0.9, "Initial demand as a share of initial capacity.", "share", 0.1, 2.0),
    _p("foreign_demand_share", 0.3, "Initial share of demand that is foreign.", "share", 0.0, 0.95),
    _p(
        "demand_growth_LIB",
        0.01,
        "Yearly demand growth, labour-intensive goods.",
        "1/yr",
        -0.5,
        1.0,
    ),
    _p(
        "demand_growth_RIB",
        0.015,
        "Yearly demand growth, resource-intensive goods.",
        "1/yr",
        -0.5,
        1.0,
    ),
    _p(
        "demand_growth_TIB",
        0.045,
        "Yearly demand growth, technology-intensive goods.",
        "1/yr",
        -0.5,
        1.0,
    ),
    _p(
        "demand_growth_DS",
        0.067,
        "Yearly demand growth, digital / knowledge-intensive services.",
        "1/yr",
        -0.5,
        1.0,
        source="seed 001: China digital services trade 168.43 -> 293.99 bn USD, "
        "2011-2020 (6.7 %/yr)",
    ),
    _p(
        "trade_cost",
        0.1,
        "Trade cost per unit exported, as a share of unit cost.",
        "share",
        0.0,
        2.0,
    ),
    _p(
        "digital_trade_saving",
        0.3,
        "Share of the trade cost a digital platform removes.",
        "share",
        0.0,
        1.0,
        source="seed 002: digital trade lowers trade costs",
    ),
    # --- firms: technology and innovation ---
    _p(
        "rd_boost",
        1.0,
        "Multiplier on firms' R&D intensity (technology-innovation mode).",
        "x",
        0.0,
        10.0,
    ),
    _p(
        "green_rd_share",
        0.3,
        "Initial mean share of R&D aimed at green technology.",
        "share",
        0.0,
        1.0,
    ),
    _p(
        "rd_effectiveness",
        12.0,
        "zeta in P(success) = 1 - exp(-zeta x R&D intensity), per research line.",
        "1",
        0.0,
        200.0,
    ),
    _p(
        "green_step",
        0.08,
        "Gain in green level from a successful green project, times (1 - g).",
        "share",
        0.0,
        1.0,
    ),
    _p(
        "process_step",
        0.03,
        "Productivity gain from a successful process project.",
        "share",
        0.0,
        1.0,
    ),
    _p(
        "knowledge_step",
        0.08,
        "Knowledge gain from a successful project.",
        "knowledge units",
        0.0,
        2.0,
    ),
    _p(
        "collaboration_propensity",
        0.2,
        "Yearly probability that a firm without a partner starts a collaboration.",
        "1/yr",
        0.0,
        1.0,
        source="seed 000: self-propelled collaborative innovation",
    ),
    _p("collaboration_years", 3, "Length of a collaboration.", "years", 1, 50),
    _p(
        "institute_partner_share",
        0.4,
        "Share of new collaborations made with an institute.",
        "share",
        0.0,
        1.0,
    ),
    _p(
        "new_tie_share",
        0.3,
        "Share of firm-firm collaborations that open a new tie in the cluster.",
        "share",
        0.0,
        1.0,
    ),
    _p(
        "collaboration_bonus",
        1.0,
        "Extra R&D effectiveness of a partnered firm (x zeta).",
        "x",
        0.0,
        10.0,
    ),
    _p(
        "spillover_rate",
        0.1,
        "Share of a neighbour's knowledge lead absorbed per year.",
        "1/yr",
        0.0,
        1.0,
    ),
    _p(
        "absorptive_half",
        1.0,
        "Knowledge at which absorptive capacity is one half.",
        "knowledge units",
        0.01,
        100.0,
    ),
    _p(
        "frontier_growth",
        0.06,
        "Maximum yearly rise of an institute's green frontier at full funding.",
        "1/yr",
        0.0,
        1.0,
    ),
    _p(
        "funding_half",
        2.0,
        "Funding at which an institute's frontier grows at half its maximum.",
        "USD m/yr",
        0.01,
        1000.0,
    ),
    _p(
        "awareness_innovation",
        0.03,
        "Bass innovation coefficient p: yearly chance a firm reviews green technology unprompted.",
        "1/yr",
        0.0,
        1.0,
        source="Bass-model estimates across products: p about 0.03",
    ),
    _p(
        "awareness_imitation",
        0.38,
        "Bass imitation coefficient q: extra review chance times the share of green neighbours.",
        "1/yr",
        0.0,
        1.0,
        source="Bass-model estimates across products: q about 0.38",
    ),
    _p(
        "imitation_fraction",
        0.6,
        "Share of the gap to the best visible technology closed by adoption.",
        "share",
        0.0,
        1.0,
    ),
    _p(
        "adoption_cost",
        0.15,
        "Cost of raising the green level by 1, per unit of capacity.",
        "USD m per USD m capacity",
        0.0,
        100.0,
    ),
    _p("adoption_horizon", 8, "Years of savings weighed against adoption cost.", "years", 1, 50),
    _p("green_threshold", 0.5, "Green level above which a firm counts as green.", "0..1", 0.0, 1.0),
    # --- firms: product mix, trade and digital ---
    _p(
        "mix_speed",
        0.1,
        "Share of capacity a firm can move between categories in a year.",
        "1/yr",
        0.0,
        1.0,
    ),
    _p(
        "adjustment_cost",
        0.15,
        "Adjustment ('precipitation') cost per unit of capacity moved.",
        "USD m per USD m",
        0.0,
        10.0,
        source="seed 000: precipitation costs of restructuring",
    ),
    _p(
        "knowledge_TIB",
        1.2,
        "Knowledge needed to expand technology-intensive output.",
        "knowledge units",
        0.0,
        100.0,
    ),
    _p(
        "knowledge_DS",
        1.5,
        "Knowledge needed to expand digital services (plus a platform).",
        "knowledge units",
        0.0,
        100.0,
    ),
    _p("export_fixed_cost", 0.6, "Yearly fixed cost of exporting.", "USD m/yr", 0.0, 1000.0),
    _p(
        "platform_export_saving",
        0.7,
        "Share of the fixed export cost a digital platform removes.",
        "share",
        0.0,
        1.0,
        source="seed 002: platforms let small firms export",
    ),
    _p(
        "platform_cost",
        0.5,
        "Yearly cost of a cross-border digital platform, before the infrastructure discount.",
        "USD m/yr",
        0.0,
        100.0,
    ),
    _p(
        "platform_network_effect",
        1.0,
        "Rise of a platform's benefit with the share of adopting neighbours.",
        "x",
        0.0,
        20.0,
    ),
    # --- firms: growth and demography ---
    _p("depreciation", 0.05, "Yearly depreciation of capacity.", "1/yr", 0.0, 1.0),
    _p("reinvestment", 0.5, "Share of positive profit reinvested in capacity.", "share", 0.0, 1.0),
    _p("exit_years", 3, "Years of negative net worth before a firm exits.", "years", 1, 50),
    _p("firm_data", True, "Record firm-level data every step (off for large sweeps)."),
]

PARAMETERS: dict[str, Param] = {p.name: p for p in _PARAMS}


class Params(Mapping[str, Any]):
    """A validated, read-only parameter set with attribute access (``params.carbon_price``)."""

    __slots__ = ("_values",)

    def __init__(self, values: Mapping[str, Any]):
        object.__setattr__(self, "_values", dict(values))

    def __getattr__(self, name: str) -> Any:
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("Params is read-only; build a new model with other parameters")

    def __getitem__(self, key: str) -> Any:
        return self._values[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f"Params({self._values!r})"

    def __reduce__(self):
        return (Params, (self._values,))


def did_you_mean(name: str, allowed: Iterable[str]) -> str:
    """`` (did you mean 'a', 'b'?)`` for the closest allowed names, or ``""``."""
    close = difflib.get_close_matches(name, list(allowed), n=3)
    return f" (did you mean {', '.join(repr(c) for c in close)}?)" if close else ""


def unknown_name_error(kind: str, name: str, allowed: list[str]) -> ValueError:
    """A ValueError for an unknown name, with the closest matches and the allowed names."""
    hint = did_you_mean(name, allowed)
    names = (
        ", ".join(allowed) if len(allowed) <= 12 else f"the {len(allowed)} names of 'abm params'"
    )
    return ValueError(f"unknown {kind} {name!r}{hint}; allowed: {names}")


def validate(values: Mapping[str, Any]) -> dict[str, Any]:
    """Check names and values of a partial parameter mapping; return the converted values."""
    out = {}
    for name, value in values.items():
        if name not in PARAMETERS:
            raise unknown_name_error("parameter", name, list(PARAMETERS))
        out[name] = PARAMETERS[name].validate(value)
    return out


def resolve(scenario: str = "baseline", **overrides: Any) -> Params:
    """Merge defaults, the named scenario and explicit overrides into a validated ``Params``."""
    from abm.scenarios import scenario_values

    values = {name: p.default for name, p in PARAMETERS.items()}
    values.update(scenario_values(scenario))
    values.update(validate(overrides))
    return Params(values)


def markdown_table() -> str:
    """The parameter table of ``docs/ODD.md``: name, default, unit, bounds, meaning, source."""
    rows = [
        "| parameter | default | unit | allowed | meaning | source of the default |",
        "|---|---|---|---|---|---|",
    ]
    for p in PARAMETERS.values():
        if isinstance(p.default, bool):
            default = str(p.default).lower()
        elif isinstance(p.default, str):
            default = repr(p.default)
        else:
            default = f"{p.default:g}"
        cells = (f"`{p.name}`", default, p.unit, p.allowed(), p.doc, p.source)
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows) + "\n"
