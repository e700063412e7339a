"""TradeClusterModel: who exists, the yearly schedule, what is recorded."""

from __future__ import annotations

import gc
from contextlib import contextmanager
from typing import Any

import mesa
import numpy as np
from mesa.discrete_space import Network

from abm import innovation, structure, trade
from abm.agents import ForeignTradeFirm, Government, ResearchInstitute
from abm.categories import (
    INFRASTRUCTURE_COST,
    OVERHEAD,
    emission_intensity,
    per_category,
    per_firm,
)
from abm.collectors import ModelCollector
from abm.demography import exiting, grow, renew
from abm.evaluation import InnovationIndex
from abm.markets import (
    attraction,
    capped_proportional,
    mean_price,
    prices,
    realised_demand,
    unit_costs,
)
from abm.network import Groups, Ties, build_graph, firm_graph
from abm.params import PARAMETERS, resolve
from abm.policy import cbam_charge
from abm.reporters import MODEL_REPORTERS
from abm.state import init_firms, init_institutes


@contextmanager
def _gc_paused():
    """Pause Python's cyclic garbage collector (construction creates many objects)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class TradeClusterModel(mesa.Model):
    """Foreign-trade firms, research institutes and government in a cluster network.

    One step is one year. Parameters are keywords with documented defaults, units and
    bounds (``abm.params.PARAMETERS``); ``preset`` names a preset of ``abm.SCENARIOS``
    (or presets joined by ``+``) and explicit keywords override it.

    Parameters
    ----------
    preset : str
        Scenario preset name, e.g. ``"baseline"`` or ``"technology+policy"``.
    rng : int, numpy Generator or None
        Seed of the model's random streams (Mesa's ``rng``).
    scenario : mesa Scenario, optional
        Mesa's own ``Scenario`` (as SolaraViz passes on Reset): its ``rng`` seeds the model
        when ``rng`` is not given. A string is read as ``preset``.
    **params
        Any parameter of ``abm.params.PARAMETERS``.
    """

    def __init__(
        self, *, preset: str = "baseline", rng: Any = None, scenario: Any = None, **params: Any
    ):
        if isinstance(scenario, str):  # the former name of ``preset``
            preset, scenario = scenario, None
        self.params = resolve(preset, **params)
        if scenario is not None and rng is None:
            rng = scenario.rng
        super().__init__(rng=rng)
        self.preset = preset
        self.scenario_name = preset
        with _gc_paused():  # hundreds of thousands of objects: skip needless collections
            self._build()

    def _build(self) -> None:
        """Create the network, the agents and the markets, and record the start year."""
        p = self.params
        self.year = p.start_year
        self.entries = 0
        self.exits = 0
        self.emission_history: list[float] = []

        # --- network and population ---
        u, v, cluster = firm_graph(
            p.topology, p.n_firms, p.n_clusters, p.degree_within, p.degree_between, self.rng
        )
        self.n_firms = len(cluster)
        self.n_clusters = int(cluster.max()) + 1
        self.ties = Ties(self.n_firms, u, v)
        self.members = Groups(cluster, self.n_clusters)
        sizes = self.members.size
        self.firms = init_firms(p, cluster, self.rng)
        self.institutes = init_institutes(p, self.n_clusters, sizes, self.rng)
        self.inst_of_cluster = Groups(self.institutes.cluster, self.n_clusters)
        graph = build_graph(self.n_firms, self.ties, cluster, self.institutes.cluster)
        self._grid = Network(graph, layout=None, random=self.random)
        self._pending_ties: list[np.ndarray] = []
        self.firm_agents: list[ForeignTradeFirm] = list(
            ForeignTradeFirm.create_agents(self, self.n_firms, row=np.arange(self.n_firms))
        )
        self.firm_ids = np.array([a.unique_id for a in self.firm_agents], np.int64)
        self.institute_agents: list[ResearchInstitute] = list(
            ResearchInstitute.create_agents(
                self, self.institutes.n, index=np.arange(self.institutes.n)
            )
        )
        self.government = Government(self)

        # --- markets: demand calibrated to initial capacity ---
        self.compute_costs()
        cap = per_category(self.firms.capacity[:, None] * self.firms.mix)
        total = p.demand_slack * cap
        self.base_demand = np.vstack(
            [(1 - p.foreign_demand_share) * total, p.foreign_demand_share * total]
        )
        everyone = np.ones(self.n_firms, bool)
        capf = self.firms.capacity[:, None] * self.firms.mix
        self.ref_price = np.vstack(
            [mean_price(self.price_dom, capf, everyone), mean_price(self.price_for, capf, everyone)]
        )
        self.growth = np.array(
            [p.demand_growth_LIB, p.demand_growth_RIB, p.demand_growth_TIB, p.demand_growth_DS]
        )

        self.datacollector = ModelCollector(
            MODEL_REPORTERS, ForeignTradeFirm if p.firm_data else None
        )
        self.innovation = InnovationIndex()
        self.running = True
        # the start year: stages 1-4 and 12, so step 0 is recorded with its markets cleared
        self.set_policy()
        self.compute_costs()
        self.clear_markets()
        self.account()
        self.collect()

    # ------------------------------------------------------------------ schedule
    def step(self) -> None:
        """Advance one year through the twelve stages of the ODD process overview."""
        self.year += 1
        self.set_policy()  # 1
        self.compute_costs()  # 2
        self.clear_markets()  # 3
        self.account()  # 4
        self.research()  # 5
        self.collaborate()  # 6
        self.adopt_technology()  # 7
        self.shift_product_mix()  # 8
        self.enter_and_exit_exports()  # 9
        self.adopt_digital()  # 10
        self.grow_exit_enter()  # 11
        self.collect()  # 12

    # ------------------------------------------------------------------ stages
    def set_policy(self) -> None:
        """Stage 1: government sets prices (paths or adaptive rule), subsidies and funding."""
        self.government.set_policy(self.year, self.emission_history)
        t = self.year - self.params.start_year
        g = self.params.green_preference * (1.0 + self.params.green_preference_growth) ** t
        self.green_pref = np.array([g, g * self.params.foreign_green_premium])
        innovation.advance_institutes(
            self.institutes, self.params, self.government.research_funding
        )

    def compute_costs(self) -> None:
        """Stage 2: unit costs with the domestic carbon price; export costs add trade cost
        (lower on a platform) and the CBAM charge on embedded emissions."""
        f, p, gov = self.firms, self.params, self.government
        self.emis = emission_intensity(f.green)
        self.unit_cost = unit_costs(f.productivity, self.emis, gov.carbon_price)
        self.trade_unit = (
            p.trade_cost * self.unit_cost * (1.0 - p.digital_trade_saving * f.digital)[:, None]
        )
        self.cbam_unit = (
            cbam_charge(
                gov.foreign_carbon_price,
                gov.carbon_price,
                self.emis,
                p.cbam_coverage,
                gov.cbam_phase,
            )
            / 1e6
        )
        self.export_cost = self.unit_cost + self.trade_unit + self.cbam_unit
        cap = f.capacity[:, None] * f.mix
        self.price_dom = prices(self.unit_cost, cap, p.cost_pass_through)
        self.price_for = prices(self.export_cost, cap, p.cost_pass_through)

    def clear_markets(self) -> None:
        """Stage 3: demand grows; foreign then domestic markets clear by logit, capped."""
        f, p = self.firms, self.params
        t = self.year - p.start_year
        base = self.base_demand * (1.0 + self.growth) ** t
        cap = f.capacity[:, None] * f.mix
        beta = p.price_sensitivity
        pf = mean_price(self.price_for, cap, f.exporter)
        self.demand_for = realised_demand(base[1], pf, self.ref_price[1], p.demand_elasticity)
        w = attraction(self.price_for, self.emis, cap, f.exporter, beta, self.green_pref[1])
        f.q_for = capped_proportional(self.demand_for, w, cap)
        rest = cap - f.q_for
        everyone = np.ones(f.n, bool)
        pd_ = mean_price(self.price_dom, cap, everyone)
        self.demand_dom = realised_demand(base[0], pd_, self.ref_price[0], p.demand_elasticity)
        w = attraction(self.price_dom, self.emis, rest, everyone, beta, self.green_pref[0])
        f.q_dom = capped_proportional(self.demand_dom, w, rest)

    def account(self) -> None:
        """Stage 4: revenue, costs, carbon payments, CBAM, R&D spending, subsidies, profit."""
        f, p, gov = self.firms, self.params, self.government
        out = f.output
        f.export_sales = per_firm(self.price_for, f.q_for)
        f.revenue = per_firm(self.price_dom, f.q_dom) + f.export_sales
        f.emissions = per_firm(self.emis, out)
        self.export_emissions = float((self.emis * f.q_for).sum())
        f.carbon_paid = gov.carbon_price * f.emissions / 1e6
        f.cbam_paid = per_firm(self.cbam_unit, f.q_for)
        production = per_firm(self.unit_cost, out)  # includes carbon payments
        trade_costs = per_firm(self.trade_unit, f.q_for)
        fixed = trade.export_fixed_cost(f.digital, p) * f.exporter
        platform = trade.platform_fee(p, gov.digital_infrastructure) * f.digital
        intensity = innovation.rd_intensity(f.mix, f.rd_taste, p.rd_boost)
        f.rd_spend = intensity * f.revenue
        f.green_rd_spend = f.green_rd_share * f.rd_spend
        f.subsidy = gov.green_rd_subsidy * f.green_rd_spend
        f.cost = (
            production
            + trade_costs
            + f.cbam_paid
            + OVERHEAD * f.capacity
            + fixed
            + platform
            + f.rd_spend
        )
        self._book()

    def _book(self) -> None:
        f, gov = self.firms, self.government
        f.profit = f.revenue - f.cost + f.subsidy
        gov.carbon_revenue = float(f.carbon_paid.sum())
        gov.subsidies = float(f.subsidy.sum())
        gov.spending = (
            float(self.institutes.funding.sum())
            + INFRASTRUCTURE_COST * f.n * gov.digital_infrastructure
        )
        gov.budget = gov.carbon_revenue - gov.subsidies - gov.spending

    def research(self) -> None:
        """Stage 5: stochastic R&D with a green / process split; firms re-choose the split."""
        gov = self.government
        innovation.do_rd(self.firms, self.institutes, self.params, gov.green_rd_subsidy, self.rng)
        innovation.choose_green_share(
            self.firms, self.params, gov.carbon_price, gov.border_rate, self.green_pref
        )

    def collaborate(self) -> None:
        """Stage 6: collaborations with institutes and firms; spillovers over ties."""
        u, v = innovation.collaborate(
            self.firms,
            self.institutes,
            self.ties,
            self.params,
            self.members,
            self.inst_of_cluster,
            self.rng,
        )
        if len(u):
            self._pending_ties.append(np.stack([u, v]))
        innovation.spill_over(self.firms, self.ties, self.params)

    def adopt_technology(self) -> None:
        """Stage 7: adoption and imitation of green technology against its subsidised cost."""
        f, gov = self.firms, self.government
        _, cost = innovation.adopt(
            f,
            self.institutes,
            self.ties,
            self.params,
            gov.carbon_price,
            gov.border_rate,
            self.green_pref,
            gov.adoption_subsidy,
            self.rng,
        )
        f.cost += cost
        f.subsidy += gov.adoption_subsidy * cost
        self._book()

    def shift_product_mix(self) -> None:
        """Stage 8: capacity moves toward higher-margin categories, paying adjustment costs."""
        f = self.firms
        margin_dom = self.price_dom - self.unit_cost
        margin_for = self.price_for - self.export_cost
        f.cost += structure.shift_mix(f, margin_dom, margin_for, self.params)
        self._book()

    def enter_and_exit_exports(self) -> None:
        """Stage 9: export while expected export profit beats the fixed export cost."""
        f, p = self.firms, self.params
        fixed = trade.export_fixed_cost(f.digital, p)
        expected = self._potential_export_profit(fixed)
        realised = per_firm(self.price_for - self.export_cost, f.q_for) - fixed
        trade.update_exporters(f, expected, realised, fixed, self.rng)

    def _potential_export_profit(self, fixed: np.ndarray) -> np.ndarray:
        return trade.potential_export_profit(
            self.firms,
            self.export_cost,
            self.price_for,
            self.emis,
            self.demand_for,
            self.params.price_sensitivity,
            self.green_pref[1],
            fixed,
        )

    def adopt_digital(self) -> None:
        """Stage 10: digital-platform adoption with neighbour and infrastructure effects."""
        f, p = self.firms, self.params
        with_platform = self._potential_export_profit(
            trade.export_fixed_cost(np.ones(f.n, bool), p)
        )
        trade.adopt_platform(
            f,
            self.ties,
            p,
            self.government.digital_infrastructure,
            self.trade_unit,
            with_platform,
            self.rng,
        )

    def grow_exit_enter(self) -> None:
        """Stage 11: capacity follows retained profit; loss-making firms exit; entrants."""
        f = self.firms
        grow(f, self.params)
        rows = exiting(f, self.params)
        self.exits = self.entries = len(rows)
        for r in rows.tolist():
            self.firm_agents[r].remove()
        renew(f, rows, self.params, self.rng)
        for r in rows.tolist():
            agent = ForeignTradeFirm(self, r)
            self.firm_agents[r] = agent
            self.firm_ids[r] = agent.unique_id

    def collect(self) -> None:
        """Stage 12: the year's innovation index is scored, then collectors record the year."""
        self.emission_history.append(float(self.firms.emissions.sum()))
        needed = self.innovation.required_reporters
        self.innovation_value = self.innovation.update(
            {name: MODEL_REPORTERS[name](self) for name in needed}
        )
        self.datacollector.collect(self)

    # ------------------------------------------------------------------ network
    @property
    def grid(self) -> Network:
        """The cluster network as a Mesa ``Network`` (networkx graph at ``grid.G``).

        Ties opened by collaboration are added to it when it is read, so runs that never
        look at it do not pay Mesa's per-connection cost.
        """
        if self._pending_ties:
            pairs = np.concatenate(self._pending_ties, axis=1)
            self._pending_ties.clear()
            for a, b in zip(pairs[0].tolist(), pairs[1].tolist(), strict=True):
                self._grid.add_connection(self._grid[a], self._grid[b])
        return self._grid

    def network_cell(self, node: int):
        """The Mesa cell of a network node (firm row, or ``n_firms + institute``)."""
        return self._grid[node]

    # ------------------------------------------------------------------ outputs
    def model_frame(self):
        """Model reporters as a DataFrame, one row per step (``Step`` 0 = initial state)."""
        df = self.datacollector.get_model_vars_dataframe()
        df.index = np.arange(len(df))
        df.index.name = "Step"
        return df

    def firm_frame(self):
        """Firm reporters as a long DataFrame, one row per (step, firm); empty when
        ``firm_data`` is off."""
        import pandas as pd

        if not self.params.firm_data:
            return pd.DataFrame()
        df = self.datacollector.get_agenttype_vars_dataframe(ForeignTradeFirm).reset_index()
        df["Step"] = df["Step"].astype(int)
        df = df.rename(columns={"AgentID": "firm_id"})
        df.insert(1, "year", df["Step"] + self.params.start_year)
        return df

    @staticmethod
    def parameter_table():
        """All parameters with default, unit, bounds and source, as a DataFrame."""
        import pandas as pd

        return pd.DataFrame(
            [
                {
                    "name": q.name,
                    "default": q.default,
                    "unit": q.unit,
                    "allowed": q.allowed(),
                    "doc": q.doc,
                    "source": q.source,
                }
                for q in PARAMETERS.values()
            ]
        )


__all__ = ["TradeClusterModel"]
