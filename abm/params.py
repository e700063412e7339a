"""The model's parameters: one registry with defaults, units, bounds and sources.

Every parameter enters through :func:`resolve`, which merges a scenario with explicit
overrides and validates each value once. Errors name the field, the value and what is
allowed, so a typo in a notebook, an experiment file or ``abm run --set`` fails fast.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from abm.constraints import Choice, Constraint, Flag, Number, Text
from abm.param_fields import ParamFields

TOPOLOGIES = ("sbm", "small_world", "scale_free")


@dataclass(frozen=True)
class Param:
    """One model parameter: its default, type, bounds, unit and where the default comes from.

    ``low`` and ``high`` are validation bounds: every value in them runs. ``plausible`` is
    the narrower range an analyst would explore (``abm.ema`` samples it), with
    ``plausible_source`` saying where it comes from; ``None`` for parameters not meant to be
    explored.
    """

    name: str
    default: Any
    kind: type
    doc: str
    unit: str = ""
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] | None = None
    source: str = "modelling choice"
    plausible: tuple[float, float] | None = None
    plausible_source: str = ""

    def __post_init__(self) -> None:
        if self.plausible is None:
            return
        where = f"parameter {self.name!r}: plausible range {self.plausible!r}"
        if self.kind not in (int, float):
            raise ValueError(f"{where}: only numeric parameters have a plausible range")
        lo, hi = self.plausible
        if self.low is None or self.high is None or not (self.low <= lo < hi <= self.high):
            raise ValueError(f"{where}: allowed: low < high within [{self.low:g}, {self.high:g}]")
        if not self.plausible_source:
            raise ValueError(f"{where}: plausible_source is empty; allowed: a short source")

    @cached_property
    def constraint(self) -> Constraint:
        """The constraint every value of this parameter must meet (:mod:`abm.constraints`)."""
        if self.kind is bool:
            return Flag()
        if self.kind is str:
            if self.choices is None:
                return Text()
            files = "a path to a GraphML / edge-list file" if self.name == "topology" else None
            return Choice(self.choices, files=files)
        return Number(self.low, self.high, integer=self.kind is int)

    def allowed(self) -> str:
        """Describe the allowed values in words, for error messages and docs."""
        return self.constraint.allowed()

    def validate(self, value: Any) -> Any:
        """Return ``value`` converted to this parameter's type, or raise ``ValueError``."""
        return self.constraint.check(value, f"parameter {self.name!r}")


def _p(
    name,
    default,
    doc,
    unit="",
    low=None,
    high=None,
    choices=None,
    source="modelling choice",
    plausible=None,
    plausible_source="",
):
    kind = type(default)
    return Param(
        name, default, kind, doc, unit, low, high, choices, source, plausible, plausible_source
    )


_PARAMS = [
    # --- population and network ---
    _p("n_firms", 500, "Number of foreign-trade firms.", "firms", 10, 1_000_000),
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
        "institute_frontier",
        0.5,
        "Lowest initial green frontier of an institute (uniform up to this plus "
        "institute_frontier_spread): institutes start ahead of the firms.",
        "0..1",
        0.0,
        1.0,
    ),
    _p(
        "institute_frontier_spread",
        0.2,
        "Width of the uniform range of institutes' initial green frontiers.",
        "0..1",
        0.0,
        1.0,
    ),
    _p(
        "institute_places_share",
        0.1,
        "Partner places of a cluster's institutes per firm of the cluster (shared among its "
        "institutes).",
        "places per firm",
        0.0,
        10.0,
    ),
    _p(
        "institute_min_places",
        3,
        "Fewest partner places an institute has.",
        "places",
        0,
        1000,
    ),
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
        plausible=(5.0, 40.0),
        plausible_source="China national ETS 2021-2024, about 6-14 USD/t (40-100 yuan), up to a "
        "start of 40 USD/t (modelling choice: toward the IEA Net Zero path, "
        "about 90 USD/t in 2030 for emerging economies with net-zero pledges); "
        "the path follows carbon_price_growth",
    ),
    _p(
        "carbon_price_growth",
        0.05,
        "Yearly growth rate of the domestic carbon price.",
        "1/yr",
        -0.5,
        1.0,
        plausible=(0.0, 0.1),
        plausible_source="from a flat price to about 10 % a year, the rise that takes China's ETS "
        "price (about 10 USD/t) to the IEA Net Zero path (about 200 USD/t in "
        "2050)",
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
        plausible=(40.0, 110.0),
        plausible_source="EU ETS 2021-2024, about 35-100 EUR/t (about 40-110 USD/t)",
    ),
    _p(
        "foreign_carbon_price_growth",
        0.02,
        "Yearly growth of the foreign carbon price.",
        "1/yr",
        -0.5,
        1.0,
        plausible=(0.0, 0.05),
        plausible_source="modelling choice: from a flat price to 5 % a year (80 USD/t in 2020 to "
        "about 130 in 2030)",
    ),
    _p(
        "uk_carbon_price",
        55.0,
        "UK carbon price in the start year.",
        "USD/t CO2",
        0.0,
        2000.0,
        source="UK ETS, about 35-80 GBP per tonne over 2023-2024",
        plausible=(40.0, 120.0),
        plausible_source="UK ETS 2021-2024, about 30-100 GBP/t (about 40-120 USD/t)",
    ),
    _p(
        "uk_carbon_price_growth",
        0.02,
        "Yearly growth of the UK carbon price.",
        "1/yr",
        -0.5,
        1.0,
        plausible=(0.0, 0.05),
        plausible_source="modelling choice: as the EU's",
    ),
    _p(
        "cbam_coverage",
        0.3,
        "Share of resource-intensive (RIB) goods in sectors the carbon border adjustment "
        "(CBAM) covers.",
        "share",
        0.0,
        1.0,
        source="EU CBAM Regulation (EU) 2023/956, Annex I: cement, iron and steel, aluminium, "
        "fertilisers, electricity, hydrogen - part of resource-intensive goods",
        plausible=(0.15, 0.6),
        plausible_source="modelling choice: from the Annex I sectors (iron and steel, aluminium, "
        "cement, fertilisers) to an extension to further basic materials "
        "(chemicals, polymers)",
    ),
    _p(
        "cbam_coverage_downstream",
        0.0,
        "Share of labour- and technology-intensive goods (LIB, TIB) the CBAM covers "
        "(extension downstream); digital services are never covered.",
        "share",
        0.0,
        1.0,
        source="EU CBAM: downstream extension under review, not in force",
        plausible=(0.0, 0.3),
        plausible_source="modelling choice: from none (in force) to an extension to downstream "
        "steel and aluminium products (under review)",
    ),
    _p(
        "cbam_start_year",
        2026,
        "First year of the definitive EU CBAM; the phase-in runs from it.",
        "year",
        1900,
        2200,
        source="EU CBAM regulation: definitive period from 2026",
    ),
    _p(
        "cbam_start_year_UK",
        2027,
        "First year of the UK CBAM (same phase-in schedule as the EU's, a simplification).",
        "year",
        1900,
        2200,
        source="UK government: UK CBAM from 1 January 2027",
    ),
    # --- government: subsidies and spending ---
    _p(
        "green_rd_subsidy",
        0.1,
        "Share of green R&D spending reimbursed by government.",
        "share",
        0.0,
        1.0,
        plausible=(0.0, 0.3),
        plausible_source="from none to about China's R&D super-deduction (an extra 100 % "
        "deduction at a 15-25 % income-tax rate: 15-25 % of R&D spending) plus "
        "grants",
    ),
    _p(
        "adoption_subsidy",
        0.1,
        "Share of green-technology adoption cost paid by government.",
        "share",
        0.0,
        1.0,
        plausible=(0.0, 0.3),
        plausible_source="China's income-tax credit of 10 % of investment in energy-saving and "
        "environmental equipment; modelling choice: from none to 30 % with local "
        "grants",
    ),
    _p(
        "research_funding",
        2.0,
        "Yearly public funding per research institute.",
        "USD m/yr",
        0.0,
        1000.0,
        plausible=(0.5, 6.0),
        plausible_source="modelling choice: a quarter to three times the default",
    ),
    _p(
        "digital_infrastructure",
        0.3,
        "Public digital-infrastructure level: lowers platform cost, raises its benefit.",
        "0..1",
        0.0,
        1.0,
        source="seeds 001, 002: digital trade zones and infrastructure",
        plausible=(0.1, 0.7),
        plausible_source="modelling choice: from a low level to most of the scale",
    ),
    # --- markets and consumers (abm/demand.py, abm/markets.py) ---
    _p(
        "green_preference",
        10.0,
        "Domestic consumers' willingness to pay for lower emissions, as a price on embedded CO2.",
        "USD/t CO2",
        0.0,
        1000.0,
        source="modelling choice of the order of stated-preference premia for low-carbon "
        "labels (a few per cent of price); to be calibrated",
        plausible=(0.0, 40.0),
        plausible_source="modelling choice: from no premium to a few per cent of price, the order "
        "of stated-preference premia for low-carbon labels",
    ),
    *[
        _p(
            f"green_preference_{d}",
            wtp,
            f"Willingness to pay of consumers in {name} for lower emissions of what they buy.",
            "USD/t CO2",
            0.0,
            1000.0,
            source=src,
            plausible=plaus,
            plausible_source=plaus_src,
        )
        for d, name, wtp, src, plaus, plaus_src in (
            (
                "EU",
                "the EU",
                30.0,
                "modelling choice: above the domestic WTP (stronger green "
                "demand in the EU); to be calibrated",
                (10.0, 80.0),
                "modelling choice: a third to about 2.5 times the default",
            ),
            (
                "UK",
                "the UK",
                30.0,
                "modelling choice: as the EU",
                (10.0, 80.0),
                "modelling choice: as the EU",
            ),
            (
                "ROW",
                "the rest of the world",
                5.0,
                "modelling choice: below the domestic WTP",
                (0.0, 20.0),
                "modelling choice: from none to twice the domestic default",
            ),
        )
    ],
    _p(
        "green_preference_growth",
        0.0,
        "Yearly growth of every destination's green willingness to pay.",
        "1/yr",
        -0.5,
        1.0,
        plausible=(-0.02, 0.05),
        plausible_source="modelling choice: from a slow decline to 5 % a year",
    ),
    *[
        _p(
            f"income_growth_{d}",
            g,
            f"Yearly growth of real expenditure in {name} (exogenous).",
            "1/yr",
            -0.2,
            0.3,
            source=src,
            plausible=plaus,
            plausible_source=plaus_src,
        )
        for d, name, g, src, plaus, plaus_src in (
            (
                "domestic",
                "the domestic market",
                0.045,
                "IMF World Economic Outlook: China's medium-term real growth of about 4-5 % a year",
                (0.02, 0.06),
                "China's real growth of about 6 % a year (2015-2019) slowing to 2-3 % by the "
                "2040s in long-run projections (IMF, OECD)",
            ),
            (
                "EU",
                "the EU",
                0.013,
                "IMF World Economic Outlook: euro area about 1-1.5 % a year",
                (0.005, 0.02),
                "IMF World Economic Outlook: euro area 0.5-2 % a year",
            ),
            (
                "UK",
                "the UK",
                0.014,
                "IMF World Economic Outlook: UK about 1.5 % a year",
                (0.005, 0.02),
                "IMF World Economic Outlook: UK 0.5-2 % a year",
            ),
            (
                "ROW",
                "the rest of the world",
                0.03,
                "IMF World Economic Outlook: world output about 3 % a year",
                (0.02, 0.04),
                "IMF World Economic Outlook: world output 2.5-3.5 % a year, widened",
            ),
        )
    ],
    *[
        _p(
            f"income_elasticity_{c}",
            e,
            f"Income elasticity of expenditure on {name} (non-homothetic demand; the realised "
            "elasticity is this minus the expenditure-weighted mean, plus one).",
            "1",
            0.0,
            5.0,
            source="Caron, Fally & Markusen (2014): income elasticities rise with the skill and "
            "technology intensity of goods; Comin, Lashkari & Mestieri (2021): above 1 for "
            "services",
            plausible=plaus,
            plausible_source="modelling choice above 1, after Caron, Fally & Markusen (2014) and "
            "Comin, Lashkari & Mestieri (2021)"
            if plaus
            else "",
        )
        for c, name, e, plaus in (
            ("LIB", "labour-intensive goods", 0.7, None),
            ("RIB", "resource-intensive goods", 0.9, None),
            ("TIB", "technology-intensive goods", 1.3, (1.0, 1.8)),
            ("DS", "digital / knowledge-intensive services", 1.5, (1.1, 2.0)),
        )
    ],
    *[
        _p(
            f"category_elasticity_{d}",
            1.5,
            f"Elasticity of substitution between categories in {name}: a category whose "
            "price rises relative to the others loses expenditure share.",
            "1",
            0.0,
            10.0,
            source="modelling choice above 1 (goods categories are substitutes in final and "
            "intermediate demand); to be calibrated",
        )
        for d, name in (
            ("domestic", "the domestic market"),
            ("EU", "the EU"),
            ("UK", "the UK"),
            ("ROW", "the rest of the world"),
        )
    ],
    *[
        _p(
            f"demand_share_{c}_{d}",
            v,
            f"Weight of {c} in {d} expenditure on the four categories in the start year "
            "(normalised over categories).",
            "share",
            0.0,
            1.0,
            source=(
                "China Customs / Ministry of Commerce: mechanical and electrical products about "
                "59 % and high-tech products about 30 % of goods exports (2020-2021), "
                "labour-intensive goods about a fifth: goods LIB/RIB/TIB 0.20/0.21/0.59, "
                "scaled by 1 - the DS weight"
                if d != "domestic"
                else "NBS industrial output by sector: resource- and energy-intensive "
                "industries the largest block of domestic manufacturing"
            ),
        )
        for d, shares in (
            ("domestic", (0.25, 0.40, 0.28, 0.07)),
            ("EU", (0.18, 0.189, 0.531, 0.10)),
            ("UK", (0.176, 0.185, 0.519, 0.12)),
            ("ROW", (0.184, 0.193, 0.543, 0.08)),
        )
        for c, v in zip(("LIB", "RIB", "TIB", "DS"), shares, strict=True)
    ],
    _p(
        "initial_export_share",
        0.25,
        "Share of the cluster's sales exported in the start year.",
        "share",
        0.0,
        0.95,
        source="foreign-trade firms export a large part of their output; exports about a fifth "
        "of China's GDP (World Bank WDI, 2020)",
    ),
    *[
        _p(
            f"destination_weight_{d}",
            w,
            f"Share of the cluster's exports that go to {d} in the start year (normalised).",
            "share",
            0.0,
            1.0,
            source="China Customs 2021: EU 15.4 %, UK 2.6 % of China's goods exports",
        )
        for d, w in (("EU", 0.154), ("UK", 0.026), ("ROW", 0.82))
    ],
    _p(
        "market_share_domestic",
        0.3,
        "The cluster's share of its domestic market in the start year (the rest: other "
        "producers and imports, the competitive fringe).",
        "share",
        0.01,
        0.95,
    ),
    _p(
        "market_share_foreign",
        0.03,
        "The cluster's share of each foreign market in the start year.",
        "share",
        0.001,
        0.95,
    ),
    _p(
        "trade_elasticity",
        4.0,
        "Elasticity of substitution between the cluster's goods and other suppliers' "
        "(Armington / trade elasticity).",
        "1",
        0.5,
        20.0,
        source="Simonovska & Waugh (2014): trade elasticity about 4; Head & Mayer (2014): about 5",
        plausible=(2.0, 8.0),
        plausible_source="Head & Mayer (2014), Simonovska & Waugh (2014): estimates about 2-8",
    ),
    _p(
        "variety_elasticity",
        0.58,
        "Elasticity of the cluster's weight in a market with respect to its varieties (its "
        "firms' product mixes summed, a firm below the median size counted in proportion to "
        "its size, over the start year's): 1 is Krugman's love of variety, 0 Armington's fixed "
        "national goods.",
        "1",
        0.0,
        1.0,
        source="Ardelean (2006), How strong is the love of variety?: 42 % below Krugman's 1",
    ),
    _p(
        "appeal_persistence",
        0.9,
        "Yearly persistence of a firm's demand appeal (AR(1) coefficient of its log): "
        "customers' taste for its varieties beyond price, which moves its sales among the "
        "cluster's sellers.",
        "1",
        0.0,
        0.999,
        source="Foster, Haltiwanger & Syverson (2008, 2016): plant-level demand shocks are "
        "highly persistent, annual AR(1) about 0.9",
        plausible=(0.8, 0.97),
        plausible_source="Foster, Haltiwanger & Syverson (2008); Hottman, Redding & Weinstein "
        "(2016)",
    ),
    _p(
        "appeal_volatility",
        0.1,
        "Standard deviation of the yearly shock to a firm's log demand appeal.",
        "1",
        0.0,
        2.0,
        source="calibrated to the Laplace shape of firm growth rates (Bottazzi & Secchi 2006) "
        "and their standard deviation",
        plausible=(0.05, 0.3),
        plausible_source="Hottman, Redding & Weinstein (2016): appeal explains most of the "
        "variance of firm sales growth",
    ),
    _p(
        "appeal_events",
        1.0,
        "Mean number of business opportunities a firm of the median size wins or loses in a "
        "year, each a lump of its demand appeal (fewer: fatter tails of growth rates).",
        "1/yr",
        0.05,
        1000.0,
        source="calibrated to the Laplace shape of firm growth rates (Bottazzi & Secchi "
        "2006: Subbotin shape about 1); a Poisson count of mean 1 gives the shocks the "
        "Laplace's excess kurtosis of 3",
        plausible=(0.5, 5.0),
        plausible_source="Bottazzi & Secchi (2006): growth as the sum of a small number of "
        "lumpy business opportunities",
    ),
    _p(
        "appeal_size_elasticity",
        0.15,
        "Elasticity of the s.d. of a firm's yearly appeal shock to its size (capacity over "
        "the median): a larger firm's varieties and customers diversify its shocks.",
        "1",
        0.0,
        0.5,
        source="Stanley et al. (1996): the s.d. of firms' growth rates scales with size to "
        "the power -0.15 (+-0.03)",
        plausible=(0.1, 0.25),
        plausible_source="Amaral et al. (1997): about 0.2; Bottazzi & Secchi (2006): 0.1-0.2",
    ),
    _p(
        "income_growth_volatility",
        0.015,
        "Standard deviation of each destination's yearly real income growth around its trend "
        "(independent shocks).",
        "1/yr",
        0.0,
        0.1,
        source="IMF World Economic Outlook: standard deviation of annual real GDP growth "
        "2000-2019 about 1.3-1.9 points (world, euro area, China)",
        plausible=(0.0, 0.03),
        plausible_source="IMF World Economic Outlook, 1980-2019 including recessions",
    ),
    _p(
        "cost_pass_through",
        0.5,
        "Share of a firm's own unit cost (vs the category average) passed into its price.",
        "share",
        0.0,
        1.0,
    ),
    _p(
        "price_sensitivity",
        8.0,
        "Logit sensitivity of a firm's share among the cluster's sellers to its relative price.",
        "1",
        0.0,
        100.0,
    ),
    _p(
        "target_utilisation",
        0.85,
        "Capacity utilisation firms plan for; mark-ups rise when demand exceeds it.",
        "share",
        0.3,
        1.0,
        source="capacity utilisation of Chinese industry about 75-78 % (NBS, 2017-2023) and "
        "of euro-area manufacturing about 80 % (European Commission surveys)",
    ),
    _p(
        "markup_adjustment",
        0.1,
        "Response of a category's mark-up to excess demand: log change per unit of "
        "utilisation above target.",
        "1",
        0.0,
        10.0,
        source="Dosi, Fagiolo & Roventini (2010): mark-ups adapt to market conditions",
    ),
    _p(
        "shortage_markup",
        0.5,
        "Extra log rise of a firm's mark-up per unit of demand beyond its capacity (rationing "
        "by price when it turns customers away).",
        "1",
        0.0,
        10.0,
        source="modelling choice: prices rise faster in shortages than they fall in slack "
        "(asymmetric price adjustment, Peltzman 2000)",
    ),
    _p(
        "wage_productivity_elasticity",
        1.0,
        "Elasticity of the wage to the cluster's mean labour productivity.",
        "1",
        0.0,
        2.0,
        source="Balassa-Samuelson: economy-wide wages follow aggregate productivity",
    ),
    _p(
        "foreign_abatement_rate",
        0.02,
        "Yearly fall of other suppliers' emission intensity (exogenous world trend).",
        "1/yr",
        0.0,
        0.5,
        source="Global Carbon Project / IEA: world CO2 intensity of GDP fell about 2 % a year "
        "over 2010-2020",
        plausible=(0.01, 0.04),
        plausible_source="modelling choice: half to twice the 2010-2020 trend (about 2 % a year, "
        "Global Carbon Project / IEA)",
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
        plausible=(0.5, 2.0),
        plausible_source="modelling choice: half to twice firms' R&D intensity",
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
        22.0,
        "zeta in P(success) = 1 - exp(-zeta x R&D intensity), per research line.",
        "1",
        0.0,
        200.0,
        source="modelling choice: at China's R&D intensities by industry (abm.categories."
        "RD_INTENSITY, NBS 2020-2021) about one firm in five makes a process innovation in "
        "the start year",
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
        "process_draw_width",
        0.15,
        "Half-width of the support of a successful process project's productivity draw: the "
        "new technology is x (1 + d), d on [-width, width] from a Beta(3, 3), kept only when "
        "better (K+S two-step innovation); the mean kept gain is 5/32 x width.",
        "share",
        0.0,
        1.0,
        source="Dosi, Fagiolo & Roventini (2010), Table 1: Beta(3, 3) on [-0.15, 0.15]",
        plausible=(0.05, 0.3),
        plausible_source="K+S / DSK papers use supports of about +-0.05 to +-0.3",
    ),
    _p(
        "radical_share",
        0.08,
        "Share of successful process projects whose result is a radical jump: a productivity "
        "gain of process_draw_width x (1 + X), X Pareto (Lomax) with tail index radical_tail, "
        "instead of the incremental Beta draw.",
        "share",
        0.0,
        1.0,
        source="calibrated to the exporter productivity premium (1.2-2, Bernard et al. 2007; "
        "docs/ODD.md section 9) within the plausible range: rare radical results, as the "
        "heavy tails of innovation values imply (Scherer & Harhoff 2000; Silverberg & "
        "Verspagen 2007)",
        plausible=(0.01, 0.1),
        plausible_source="the important innovations in the tail of patent-citation "
        "distributions are a few percent of patents (Castaldi & Los 2008)",
    ),
    _p(
        "radical_tail",
        3.0,
        "Pareto tail index of a radical process result's size (smaller: fatter tail).",
        "1",
        1.1,
        20.0,
        source="Silverberg & Verspagen (2007): tail indices of patent-citation distributions "
        "(EPO, USPTO) 3 to 5; the lower end",
        plausible=(2.0, 5.0),
        plausible_source="Silverberg & Verspagen (2007)",
    ),
    _p(
        "energy_draw_width",
        0.15,
        "Half-width of the support of a successful process project's energy-efficiency draw: "
        "energy use per unit of output becomes x / (1 + d), d on [-width, width] from a "
        "Beta(3, 3), kept only when better (0: energy efficiency never improves).",
        "share",
        0.0,
        1.0,
        source="Lamperti et al. (2018), DSK: energy efficiency drawn like labour productivity, "
        "Beta(3, 3) on [-0.15, 0.15] (Dosi, Fagiolo & Roventini 2010, Table 1)",
        plausible=(0.05, 0.3),
        plausible_source="as process_draw_width",
    ),
    _p(
        "knowledge_step",
        0.25,
        "Knowledge gain from a successful process project (half for a green one).",
        "knowledge units",
        0.0,
        2.0,
        source="calibrated so that the share of firms with the knowledge for TIB stays near its "
        "start-year level in the baseline",
    ),
    _p(
        "knowledge_elasticity",
        0.3,
        "Elasticity of labour productivity in the knowledge-intensive categories (TIB, DS) "
        "to the firm's knowledge.",
        "1",
        0.0,
        2.0,
        source="output elasticity of R&D capital 0.05-0.3, highest in R&D-intensive "
        "industries (Hall, Mairesse & Mohnen 2010)",
    ),
    _p(
        "knowledge_depreciation",
        0.1,
        "Yearly depreciation of firms' knowledge.",
        "1/yr",
        0.0,
        1.0,
        source="R&D capital depreciates at 10-20 % a year (Griliches 1979; Hall, Mairesse & "
        "Mohnen 2010)",
    ),
    _p(
        "collaboration_propensity",
        0.2,
        "Yearly probability that a firm without a partner starts a collaboration.",
        "1/yr",
        0.0,
        1.0,
        source="seed 000: self-propelled collaborative innovation",
        plausible=(0.1, 0.3),
        plausible_source="modelling choice: +/- 50 % around the default",
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
    _p(
        "abatement_backstop",
        649.0,
        "Backstop price in 2015: the running cost of abating the last tonne (full "
        "decarbonisation); the marginal abatement cost at green level g is this year's "
        "backstop price x g^(exponent - 1). The price falls by abatement_backstop_decline a "
        "year.",
        "USD/t CO2",
        1.0,
        10000.0,
        source="Nordhaus (2017), DICE-2016R: backstop price 550 USD (2010) per t CO2 in 2015, "
        "649 in 2020 USD (x 1.18, the US GDP price index 2010-2020, BEA)",
        plausible=(450.0, 1300.0),
        plausible_source="DICE-2013R backstop 344 USD (2005) per t (Nordhaus and Sztorc 2013), "
        "about 450 in 2020 USD, to twice the DICE-2016R value",
    ),
    _p(
        "abatement_backstop_decline",
        0.00505,
        "Yearly fall of the backstop price from its 2015 value abatement_backstop.",
        "1/yr",
        0.0,
        0.5,
        source="Nordhaus (2017), DICE-2016R: the backstop price falls 2.5 % a five-year period "
        "(gback = 0.025), 1 - 0.975^(1/5) = 0.505 % a year",
        plausible=(0.0, 0.02),
        plausible_source="from a constant backstop to a fall of 2 % a year (learning in "
        "low-carbon technologies; modelling choice)",
    ),
    _p(
        "abatement_exponent",
        2.6,
        "Exponent of the abatement-cost function: running cost per unit of base emissions "
        "is backstop x g^exponent / exponent.",
        "1",
        1.01,
        10.0,
        source="Nordhaus (2017), DICE-2016R: cost exponent 2.6",
        plausible=(2.2, 3.0),
        plausible_source="DICE-2016R 2.6 and DICE-2013R 2.8 (Nordhaus and Sztorc 2013), +-0.4",
    ),
    _p(
        "energy_price",
        100.0,
        "Price of the energy behind each tonne of CO2 the start-year technology emits: the "
        "energy cost per unit of output is base emissions x energy use x this price.",
        "USD/t CO2",
        0.0,
        1000.0,
        source="China 2020: thermal coal about 600 CNY/t at 2.2 t CO2/t (IPCC 2006 default "
        "94.6 kg/GJ, 23 GJ/t) is about 40 USD/t; industrial power about 0.63 CNY/kWh at the "
        "grid factor 0.581 t/MWh (MEE 2022) is about 157 USD/t; industry's CO2 is about half "
        "direct coal and half power",
        plausible=(40.0, 160.0),
        plausible_source="all direct coal (about 40) to all purchased power (about 157)",
    ),
    _p(
        "power_share",
        0.5,
        "Share of the start-year technology's emissions that come from purchased power (the "
        "rest from fuels burnt on site); the power part gets cleaner with the grid.",
        "share",
        0.0,
        1.0,
        source="China 2020: electricity about a quarter of industry's final energy at about "
        "three times the CO2 per unit of direct coal use (grid 0.58 t/MWh against about "
        "0.34 t/MWh of coal heat), so about half of industry's direct and indirect CO2",
        plausible=(0.35, 0.65),
        plausible_source="electricity 20-30 % of industry's final energy",
    ),
    _p(
        "grid_decarbonisation",
        0.027,
        "Yearly fall of the CO2 per kWh of the power the cluster buys (an exogenous path: "
        "the power sector is outside the cluster).",
        "1/yr",
        0.0,
        0.5,
        source="China Electricity Council (2021), annual development report: 565 g CO2 per "
        "kWh generated in 2020, 34.1 % below 2005, i.e. -2.7 %/yr",
        plausible=(0.01, 0.05),
        plausible_source="slower than 2005-2020 to the pace of the 2030 non-fossil targets",
    ),
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
    _p(
        "export_fixed_cost",
        2.0,
        "Yearly fixed cost of serving one export destination, in the start year (it grows "
        "with the firms' mean size).",
        "USD m/yr",
        0.0,
        1000.0,
        source="calibrated so that about a quarter of firms export in the start year (a fifth "
        "to a quarter of manufacturing firms export)",
    ),
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
    # --- firms: investment, finance, exit and entry (abm/demography.py) ---
    _p(
        "depreciation",
        0.05,
        "Yearly depreciation of capacity.",
        "1/yr",
        0.0,
        1.0,
        source="depreciation rates of machinery and structures, 4-10 % a year",
    ),
    _p(
        "capital_cost",
        0.3,
        "Investment needed for one unit of capacity (capital-output ratio of capacity).",
        "USD m per USD m of capacity",
        0.01,
        10.0,
    ),
    _p(
        "leverage",
        1.3,
        "Credit limit: debt may reach this multiple of net worth.",
        "x",
        0.0,
        20.0,
        source="NBS: asset-liability ratio of Chinese industrial firms about 56 % "
        "(debt / equity about 1.3), 2020-2023",
    ),
    _p(
        "interest_rate",
        0.04,
        "Interest rate on firms' debt.",
        "1/yr",
        0.0,
        0.5,
        source="PBoC one-year loan prime rate about 3.5-3.9 % (2022-2024)",
    ),
    _p(
        "retained_share",
        0.5,
        "Share of a positive profit kept as net worth, after corporate income tax and "
        "dividends (losses are borne in full).",
        "share",
        0.0,
        1.0,
        source="PRC Enterprise Income Tax Law (2007), art. 4: 25 % tax; cash dividends about "
        "30 % of net profit (CSRC 2013 guidance on listed firms' payouts): 0.75 x 0.7",
        plausible=(0.3, 0.75),
        plausible_source="tax 15-25 % (high-tech firms pay 15 %), payout 0-50 %",
    ),
    _p(
        "overhead",
        0.28,
        "Yearly fixed cost of operating a firm in the start year (it grows with the firms' "
        "mean size), whatever its output: the fixed cost of production that makes small, "
        "low-productivity firms unprofitable (Melitz 2003).",
        "USD m/yr",
        0.0,
        1000.0,
        source="calibrated to entry and exit rates of 3-10 % a year (Bartelsman, Haltiwanger & "
        "Scarpetta 2009)",
    ),
    _p(
        "exit_years",
        1,
        "Years of negative net worth before a firm exits.",
        "years",
        1,
        50,
        source="Dosi, Fagiolo & Roventini (2010): a firm whose net worth turns negative exits",
    ),
    _p(
        "min_capacity",
        0.5,
        "Smallest viable capacity; a smaller firm exits.",
        "USD m",
        0.0,
        100.0,
    ),
    _p(
        "entrant_size",
        0.3,
        "Capacity of an entrant relative to the incumbents' mean capacity.",
        "ratio",
        0.01,
        10.0,
        source="entrants are small: about a third of incumbents' mean size (Bartelsman, "
        "Haltiwanger & Scarpetta 2009)",
    ),
    _p(
        "entry_choice",
        10.0,
        "Logit sensitivity of an entrant's choice of category to its profit rate.",
        "1",
        0.0,
        100.0,
    ),
    _p(
        "entrant_size_dispersion",
        0.5,
        "Standard deviation of log capacity of entrants around entrant_size x the mean.",
        "log",
        0.0,
        5.0,
    ),
    _p(
        "entrant_productivity_dispersion",
        0.15,
        "Standard deviation of log productivity of entrants around the cluster's mean.",
        "log",
        0.0,
        3.0,
    ),
    _p(
        "entrant_green_spread",
        0.2,
        "Entrants' green level is the cluster's mean times a uniform draw in [1 - this, 1 + this].",
        "share",
        0.0,
        1.0,
    ),
    _p(
        "entrant_knowledge_dispersion",
        0.2,
        "Standard deviation of log knowledge of entrants around the cluster's mean.",
        "log",
        0.0,
        3.0,
    ),
    _p(
        "entrant_capabilities",
        "cluster",
        "Which categories an entrant may start in: 'cluster', any the cluster makes "
        "(spinoffs carry the capabilities of the firms they leave); 'own', only those its "
        "own knowledge opens, as incumbents need it to expand.",
        choices=("cluster", "own"),
        source="modelling choice between spinoffs inheriting their parents' capabilities "
        "(Klepper 2007) and entry limited by the entrant's own capabilities (Neffke, "
        "Henning & Boschma 2011 on related diversification)",
    ),
    # --- initial population (abm/state.py) ---
    _p(
        "initial_size",
        15.0,
        "Median capacity of an initial firm of productivity 1.",
        "USD m",
        0.1,
        10_000.0,
        source="median annual sales of Chinese foreign-trade manufacturers of the order of "
        "10-20 million USD",
    ),
    _p(
        "initial_size_tail",
        1.25,
        "Pareto tail index of initial firm sizes: capacity has a Pareto factor of median 1 "
        "besides productivity and the lognormal dispersion, so the largest firms follow a "
        "power law (smaller: a fatter tail; 1 is Zipf's law).",
        "1",
        0.5,
        50.0,
        source="Heinrich & Dai (2016), China Industrial Enterprises Database 1998-2008: "
        "power-law density exponents 2.0-2.5 (tail indices 1.0-1.5); Zhang & Wang (2010): "
        "revenues of China's top 500 firms follow Zipf's law (index 1)",
        plausible=(1.0, 1.5),
        plausible_source="Heinrich & Dai (2016); the default is the middle of the range. A "
        "fat tail makes a cluster of a few hundred firms granular (Gabaix 2011): a few large "
        "firms carry its aggregates, so paired comparisons need a few thousand firms",
    ),
    _p(
        "initial_size_dispersion",
        0.8,
        "Standard deviation of log capacity of initial firms (besides productivity).",
        "log",
        0.0,
        5.0,
    ),
    _p(
        "initial_productivity_dispersion",
        0.25,
        "Standard deviation of log labour productivity of initial firms.",
        "log",
        0.0,
        3.0,
        source="within-industry productivity dispersion (Syverson 2011)",
    ),
    _p(
        "initial_specialisation",
        0.7,
        "Share of an initial firm's (or entrant's) capacity in its main category.",
        "share",
        0.25,
        1.0,
        source="multi-product firms make most of their output in their main product "
        "(Bernard, Redding & Schott 2010)",
    ),
    *[
        _p(
            f"initial_mix_{c}",
            w,
            f"Share of {c} in the initial output mix of the cluster population (the four are "
            "normalised to sum to 1): the weight of the main-category draw and the centre of "
            "the spread.",
            "share",
            0.001,
            1.0,
        )
        for c, w in (("LIB", 0.35), ("RIB", 0.30), ("TIB", 0.30), ("DS", 0.05))
    ],
    _p(
        "initial_net_worth",
        0.13,
        "Net worth of an initial firm or entrant per unit of capacity.",
        "USD m per USD m",
        0.0,
        10.0,
        source="NBS: asset-liability ratio of Chinese industrial firms about 56 %, so equity "
        "about 44 % of the capital a unit of capacity needs (capital_cost 0.3): 0.13",
    ),
    _p(
        "initial_digital_share",
        0.1,
        "Share of firms on a digital platform in the start year, before the start settles.",
        "share",
        0.0,
        1.0,
        source="seed 001: cross-border e-commerce 6.4 % of goods exports (2021)",
    ),
    _p(
        "initial_green_mean",
        0.18,
        "Mean green technology level of initial firms (Beta distribution).",
        "0..1",
        0.01,
        0.99,
    ),
    _p(
        "initial_max_age",
        30,
        "Initial firms' ages are uniform in [0, this).",
        "years",
        1,
        200,
    ),
    _p(
        "initial_green_shape",
        2.0,
        "Shape a of the Beta(a, b) distribution of initial green levels (b follows from "
        "initial_green_mean); larger is less dispersed.",
        "1",
        0.1,
        100.0,
    ),
    _p(
        "initial_knowledge_dispersion",
        0.3,
        "Standard deviation of log initial knowledge.",
        "log",
        0.0,
        3.0,
    ),
    _p(
        "initial_knowledge_premium",
        0.3,
        "Initial knowledge is multiplied by 1 + this x the share of TIB and DS in the mix.",
        "x",
        0.0,
        10.0,
    ),
    _p(
        "rd_taste_dispersion",
        0.3,
        "Standard deviation of log R&D taste (a firm's multiplier on its categories' R&D "
        "intensity), of initial firms and entrants.",
        "log",
        0.0,
        3.0,
    ),
    _p(
        "green_rd_share_dispersion",
        0.1,
        "Standard deviation of initial firms' green R&D share around green_rd_share "
        "(clipped to [0, 1]).",
        "share",
        0.0,
        1.0,
    ),
    _p(
        "initial_exporter_share",
        0.25,
        "Provisional share of initial firms that export (those with the highest sorting "
        "score), before the start settles by the export rule.",
        "share",
        0.0,
        1.0,
        source="a fifth to a quarter of manufacturing firms export (Bernard, Jensen, Redding "
        "& Schott 2007)",
    ),
    _p(
        "exporter_sorting_productivity",
        4.0,
        "Weight of log productivity in the score that picks the provisional exporters "
        "(Melitz sorting: the more productive export).",
        "1",
        0.0,
        100.0,
    ),
    _p(
        "exporter_sorting_size",
        0.3,
        "Weight of log capacity in that score.",
        "1",
        0.0,
        100.0,
    ),
    _p(
        "exporter_sorting_noise",
        0.6,
        "Standard deviation of the noise in that score.",
        "1",
        0.0,
        100.0,
    ),
    # --- firms: decisions' inertia (abm/trade.py) ---
    _p(
        "export_review_rate",
        0.5,
        "Yearly probability that a firm reviews its export decision for a destination.",
        "1/yr",
        0.0,
        1.0,
    ),
    _p(
        "platform_review_rate",
        0.01,
        "Yearly probability that a firm reviews platform adoption unprompted (raised by "
        "infrastructure and neighbours' adoption).",
        "1/yr",
        0.0,
        1.0,
    ),
    _p(
        "platform_review_infrastructure",
        5.0,
        "Rise of the platform review rate at full digital infrastructure (x (1 + this x "
        "infrastructure + platform_review_network x neighbours' adoption)).",
        "x",
        0.0,
        100.0,
    ),
    _p(
        "platform_review_network",
        10.0,
        "Rise of the platform review rate with the share of neighbours on platforms.",
        "x",
        0.0,
        100.0,
    ),
    _p(
        "infrastructure_effect",
        0.5,
        "Rise of a platform's benefit, and fall of its cost, at full digital infrastructure.",
        "share",
        0.0,
        1.0,
    ),
    _p(
        "ds_option_value",
        0.02,
        "Yearly value of the option to sell digital services a platform gives a firm with "
        "the knowledge for them, per unit of capacity.",
        "USD m per USD m",
        0.0,
        1.0,
    ),
    _p("firm_data", True, "Record firm-level data every step (off for large sweeps)."),
]

PARAMETERS: dict[str, Param] = {p.name: p for p in _PARAMS}
#: Parameter names in registry order (the order of :class:`Params`' fields).
FIELD_NAMES: tuple[str, ...] = tuple(PARAMETERS)


def plausible_ranges() -> dict[str, tuple[float, float]]:
    """The plausible range of every parameter that has one, in registry order.

    These are the ranges an analyst would explore (``abm.ema`` samples them), narrower than
    the validation bounds; ``PARAMETERS[name].plausible_source`` says where each comes from.
    """
    return {p.name: p.plausible for p in PARAMETERS.values() if p.plausible is not None}


class Params(ParamFields, Mapping[str, Any]):
    """A validated, frozen parameter set: typed attributes (``params.carbon_price``, seen by
    type checkers through :class:`abm.param_fields.ParamFields`) and read-only mapping access
    (``params["carbon_price"]``, ``{**params}``). Build one with :func:`resolve`, or
    :meth:`of` from a complete mapping of validated values."""

    __slots__ = ()

    @classmethod
    def of(cls, values: Mapping[str, Any]) -> Params:
        """The parameter set holding ``values`` (every parameter, already validated)."""
        return cls(**values)

    def __getitem__(self, key: str) -> Any:
        if key not in PARAMETERS:
            raise KeyError(key)
        return getattr(self, key)

    def __iter__(self) -> Iterator[str]:
        return iter(FIELD_NAMES)

    def __len__(self) -> int:
        return len(FIELD_NAMES)


def fields_source() -> str:
    """The source of :mod:`abm.param_fields`: one typed field per registry parameter."""
    lines = [
        '"""Typed fields of :class:`abm.params.Params`, one per registry parameter, so type',
        "checkers see ``params.carbon_price`` as a float.",
        "",
        "Generated from the registry in ``abm/params.py``; do not edit by hand. Regenerate with",
        "``python -c 'from abm.params import write_fields; write_fields()'``; a test checks that",
        'it matches the registry."""',
        "",
        "from __future__ import annotations",
        "",
        "from dataclasses import dataclass",
        "",
        "",
        "@dataclass(frozen=True, slots=True)",
        "class ParamFields:",
        '    """Every model parameter as a typed, read-only attribute."""',
        "",
    ]
    lines += [f"    {q.name}: {q.kind.__name__}" for q in PARAMETERS.values()]
    return "\n".join(lines) + "\n"


def write_fields() -> None:
    """Rewrite ``abm/param_fields.py`` from the registry."""
    from pathlib import Path

    Path(__file__).with_name("param_fields.py").write_text(fields_source(), encoding="utf-8")


def did_you_mean(name: str, allowed: Iterable[str]) -> str:
    """`` (did you mean 'a', 'b'?)`` for the closest allowed names (those it begins, such
    as 'technology' for 'tech', first), or ``""``."""
    allowed = list(allowed)
    begun = [a for a in allowed if len(name) >= 3 and a.startswith(name)]
    close = list(dict.fromkeys([*begun, *difflib.get_close_matches(name, allowed, n=3)]))[:3]
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
    return Params.of(values)


def plausible_text(p: Param) -> str:
    """``[low, high] (source)`` for a parameter with a plausible range, else ``""``."""
    if p.plausible is None:
        return ""
    lo, hi = p.plausible
    return f"[{lo:g}, {hi:g}] ({p.plausible_source})"


def markdown_table() -> str:
    """The parameter table of ``docs/ODD.md``: name, default, unit, bounds, plausible range.

    The plausible range cell holds the range and its source, or ``-`` for a parameter that
    has none; then come the meaning and the source of the default.
    """
    rows = [
        "| parameter | default | unit | allowed | plausible range (source) | meaning "
        "| source of the default |",
        "|---|---|---|---|---|---|---|",
    ]
    for p in PARAMETERS.values():
        if isinstance(p.default, bool):
            default = str(p.default).lower()
        elif isinstance(p.default, str):
            default = repr(p.default)
        else:
            default = f"{p.default:g}"
        plausible = plausible_text(p) or "-"
        cells = (f"`{p.name}`", default, p.unit, p.allowed(), plausible, p.doc, p.source)
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows) + "\n"
