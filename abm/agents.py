"""Mesa agents: foreign-trade firms, research institutes, government.

Firms' and institutes' numbers live in the model's arrays (``model.firms``,
``model.institutes``); an agent is the public view on its row, so the mechanisms stay
vectorised and 100,000 firms stay fast. The government holds this year's policy.
"""

from __future__ import annotations

import numpy as np
from mesa import Agent
from mesa.discrete_space import FixedAgent

from abm.categories import CATEGORIES, EU, RIB, emission_intensity
from abm.policy import Policy, policy_of_year


class ForeignTradeFirm(FixedAgent):
    """A foreign-trade firm in a cluster: a view on row ``row`` of ``model.firms``."""

    def __init__(self, model, row: int):
        super().__init__(model)
        self.row = int(row)
        self.cell = model.network_cell(self.row)

    @property
    def _f(self):
        return self.model.firms

    cluster = property(lambda self: int(self._f.cluster[self.row]), doc="Cluster id.")
    capacity = property(lambda self: float(self._f.capacity[self.row]), doc="Capacity, USD m/yr.")
    productivity = property(
        lambda self: float(self._f.productivity[self.row]),
        doc="Labour productivity (1 = reference).",
    )
    energy_use = property(
        lambda self: float(self._f.energy[self.row]),
        doc="Energy use per unit of output (1 = the start-year technology).",
    )
    green_level = property(
        lambda self: float(self._f.green[self.row]), doc="Green technology level, 0..1."
    )
    knowledge = property(
        lambda self: float(self._f.knowledge[self.row]), doc="Process knowledge, knowledge units."
    )
    green_rd_share = property(
        lambda self: float(self._f.green_rd_share[self.row]),
        doc="Share of R&D aimed at green technology.",
    )
    exporter = property(lambda self: bool(self._f.exporter[self.row]), doc="Exports this year.")
    digital = property(
        lambda self: bool(self._f.digital[self.row]), doc="On a cross-border digital platform."
    )
    net_worth = property(lambda self: float(self._f.net_worth[self.row]), doc="Net worth, USD m.")
    age = property(lambda self: int(self._f.age[self.row]), doc="Age, years.")
    revenue = property(lambda self: float(self._f.revenue[self.row]), doc="Revenue, USD m.")
    profit = property(lambda self: float(self._f.profit[self.row]), doc="Profit, USD m.")
    emissions = property(lambda self: float(self._f.emissions[self.row]), doc="Emissions, t CO2.")
    exports = property(lambda self: float(self._f.export_sales[self.row]), doc="Exports, USD m.")

    @property
    def rd_intensity(self) -> float:
        """R&D spending as a share of revenue."""
        f = self._f
        return float(f.rd_spend[self.row] / f.revenue[self.row]) if f.revenue[self.row] > 0 else 0.0

    @property
    def mix(self) -> dict[str, float]:
        """Capacity shares over product categories."""
        return dict(zip(CATEGORIES, self._f.mix[self.row].tolist(), strict=True))

    @property
    def main_category(self) -> str:
        """The category with the largest capacity share."""
        return CATEGORIES[int(np.argmax(self._f.mix[self.row]))]

    @property
    def emission_intensity(self) -> dict[str, float]:
        """Emission intensity per category, t CO2 per USD m of output."""
        rows = slice(self.row, self.row + 1)
        carbon = self._f.energy[rows] * self.model.government.current_policy.energy_carbon
        e = emission_intensity(self._f.green[rows], carbon)[0]
        return dict(zip(CATEGORIES, e.tolist(), strict=True))

    @property
    def partners(self) -> list:
        """Current collaboration partners (firm and/or institute agents)."""
        f, m = self._f, self.model
        out = []
        if f.partner_firm[self.row] >= 0:
            out.append(m.firm_agents[f.partner_firm[self.row]])
        if f.partner_inst[self.row] >= 0:
            out.append(m.institute_agents[f.partner_inst[self.row]])
        return out


class ResearchInstitute(FixedAgent):
    """A research institute of a cluster: a view on row ``index`` of ``model.institutes``."""

    def __init__(self, model, index: int):
        super().__init__(model)
        self.index = int(index)
        self.cell = model.network_cell(model.n_firms + self.index)

    cluster = property(
        lambda self: int(self.model.institutes.cluster[self.index]), doc="Cluster id."
    )
    frontier = property(
        lambda self: float(self.model.institutes.frontier[self.index]),
        doc="Green knowledge frontier, 0..1.",
    )
    funding = property(
        lambda self: float(self.model.institutes.funding[self.index]),
        doc="Public funding this year, USD m.",
    )
    partner_capacity = property(
        lambda self: int(self.model.institutes.partner_capacity[self.index]),
        doc="Most firm partners at once.",
    )

    @property
    def partners(self) -> list:
        """Firms collaborating with this institute now."""
        rows = np.flatnonzero(self.model.firms.partner_inst == self.index)
        return [self.model.firm_agents[r] for r in rows]


class Government(Agent):
    """The government: this year's policy (carbon prices at home and abroad, CBAM rates,
    subsidy rates, research funding, digital infrastructure) and its budget.

    The numbers are computed once a year by :func:`abm.policy.policy_of_year`; this agent
    holds and shows them.
    """

    def __init__(self, model):
        super().__init__(model)
        p = model.params
        self.policy: Policy | None = None
        self.green_rd_subsidy = p.green_rd_subsidy
        self.adoption_subsidy = p.adoption_subsidy
        self.research_funding = p.research_funding
        self.digital_infrastructure = p.digital_infrastructure
        self.peak_year = p.peak_year
        self.carbon_revenue = 0.0
        self.subsidies = 0.0
        self.spending = 0.0
        self.budget = 0.0

    @property
    def current_policy(self) -> Policy:
        """This year's policy; ``RuntimeError`` before the first :meth:`set_policy`."""
        if self.policy is None:
            raise RuntimeError("the government has no policy yet: set_policy() sets it")
        return self.policy

    @property
    def carbon_price(self) -> float:
        """Domestic carbon price this year, USD/t."""
        return self.current_policy.carbon_price

    @property
    def foreign_carbon_price(self) -> float:
        """EU carbon price this year, USD/t."""
        return float(self.current_policy.carbon_prices[EU])

    @property
    def cbam_rate(self) -> np.ndarray:
        """CBAM due per tonne embedded, by destination and category, USD/t."""
        return self.current_policy.cbam_rate

    @property
    def border_rate(self) -> float:
        """CBAM due per tonne embedded in resource-intensive exports to the EU, USD/t."""
        return float(self.current_policy.cbam_rate[EU, RIB])

    def set_policy(self, year: int, emissions: list[float]) -> None:
        """Set this year's policy (see :func:`abm.policy.policy_of_year`)."""
        rising = len(emissions) >= 2 and emissions[-1] > emissions[-2]
        previous = None if self.policy is None else self.policy.carbon_price
        self.policy = policy_of_year(self.model.params, year, previous, rising)
