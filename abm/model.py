"""TradeClusterModel: who exists, the yearly schedule, what is recorded."""

from __future__ import annotations

import gc
from contextlib import contextmanager
from typing import Any

import mesa
import numpy as np
from mesa.discrete_space import Network

from abm import abatement, decomposition, innovation, structure, trade
from abm.agents import ForeignTradeFirm, Government, ResearchInstitute
from abm.categories import (
    INFRASTRUCTURE_COST,
    KNOWLEDGE_INTENSIVE,
    LABOUR_COST,
    MATERIAL_COST,
    N_CAT,
    N_DEST,
    USD_PER_MILLION,
    emission_intensity,
    energy_cost,
    per_category,
)
from abm.collectors import ModelCollector
from abm.demand import DemandSystem
from abm.demography import exiting, grow, renew
from abm.market_loops import firm_costs
from abm.markets import (
    Fringe,
    Market,
    capacity_mean,
    drift_appeal,
    knowledge_boost,
    update_scarcity,
    varieties,
    wage,
)
from abm.network import Groups, Ties, build_graph, firm_graph
from abm.params import PARAMETERS, Params, resolve
from abm.policy import reference_policy
from abm.reporters import (
    FRAME_REPORTERS,
    MODEL_REPORTERS,
    best_practice,
    covered_export_shares,
    with_frame_reporters,
)
from abm.seeding import check_rng
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


#: Most rounds of clearing at construction in which mark-ups settle by the model's own
#: rules before the start year is recorded; settling stops earlier once no firm's mark-up
#: moves by more than ``SETTLE_TOLERANCE`` (relative) in a round. Exporters settle in the
#: first ``SETTLE_EXPORT_ROUNDS`` rounds (a few marginal firms would otherwise go on
#: entering and leaving). Exporters then come to rest against the calibrated demand in at
#: most ``SETTLE_EXPORT_ROUNDS`` more rounds, which stop once at most ``SETTLE_EXPORT_SHARE``
#: of the firms change a destination in a round (below 100,000 firms: none; among a million
#: a firm or two at the margin can flip in and out for ever).
SETTLE_ROUNDS = 200
SETTLE_EXPORT_ROUNDS = 30
SETTLE_TOLERANCE = 1e-3
SETTLE_EXPORT_SHARE = 1e-5


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

    agent_id_counter: int  # Mesa's next agent id (entrants take theirs on entry)

    def __init__(
        self, *, preset: str = "baseline", rng: Any = None, scenario: Any = None, **params: Any
    ):
        if isinstance(scenario, str):  # the former name of ``preset``
            preset, scenario = scenario, None
        self.params = resolve(preset, **params)
        if scenario is not None and rng is None:
            rng = scenario.rng
        super().__init__(rng=check_rng(rng))
        self.preset = preset
        with _gc_paused():  # hundreds of thousands of objects: skip needless collections
            self._build()

    def _build(self) -> None:
        """Create the network, the agents and the markets, and record the start year.

        The initial population, the network, the yearly draws of the firms' decisions, the
        destinations' income shocks and the firms' demand-appeal shocks come from five
        independent streams spawned from the seed, so presets that keep the population
        parameters start from the same firms and meet the same income path, every firm row
        draws the same uniforms and normals for its appeal each year (how far they move it
        depends on its size), and the network's density changes ties only.
        """
        p = self.params
        pop_rng, net_rng, self.draws, self.income_shocks, self.appeal_shocks = self.rng.spawn(5)
        self.year = p.start_year
        self.entries = 0
        self.exits = 0
        self.entrant_rows = np.empty(0, dtype=int)  # rows taken by this year's entrants
        self.emission_history: list[float] = []

        # --- network and population ---
        u, v, cluster = firm_graph(
            p.topology, p.n_firms, p.n_clusters, p.degree_within, p.degree_between, net_rng
        )
        self.n_firms = len(cluster)
        if self.n_firms != p.n_firms:  # a graph file sets the number of firms
            self.params = p = Params.of({**p, "n_firms": self.n_firms})
        self.n_clusters = int(cluster.max()) + 1
        self.ties = Ties(self.n_firms, u, v)
        self.members = Groups(cluster, self.n_clusters)
        sizes = self.members.size
        self.firms = init_firms(p, cluster, pop_rng)
        self.institutes = init_institutes(p, self.n_clusters, sizes, pop_rng)
        self.inst_of_cluster = Groups(self.institutes.cluster, self.n_clusters)
        # the Mesa layer (network cells, firm and institute agents) is built when first
        # looked at (:meth:`_mesa_layer`); the agents' ids are reserved now, in the order
        # Mesa would have given them: firms, institutes, then the government
        first = self.agent_id_counter
        self.firm_ids = np.arange(first, first + self.n_firms, dtype=np.int64)
        self._institute_ids = np.arange(self.institutes.n) + first + self.n_firms
        self.agent_id_counter = first + self.n_firms + self.institutes.n
        self._grid: Network | None = None
        self._firm_agents: list[ForeignTradeFirm] = []
        self._institute_agents: list[ResearchInstitute] = []
        self._pending_ties: list[np.ndarray] = []  # ties opened since the layer was read
        self._entered: list[np.ndarray] = []  # rows whose entrant has no Mesa agent yet
        self.government = Government(self)

        # --- markets: calibrated to the initial population, exporters settled ---
        self.demand = DemandSystem.from_params(p)
        self.start_productivity = self._mean_productivity()
        self.start_size = float(self.firms.capacity.mean())
        self.start_best_practice = best_practice(self.firms)
        self.scale = 1.0
        self.wage = 1.0
        self.set_policy()
        actual = self.government.current_policy
        # markets are calibrated in a world without carbon prices or CBAM (the reference),
        # so this year's policy then acts on competitiveness like any later change
        self.government.policy = reference_policy(actual)
        self.fringe = Fringe.from_population(self.firms, p)
        # the start year's varieties (mixes and capacities stay put while it settles)
        self.start_varieties = varieties(self.firms.mix, self.firms.capacity)
        self.compute_costs()
        self._calibrate_markets()
        for rounds in range(SETTLE_ROUNDS):  # exporters and mark-ups by the model's own rules
            markup = self.firms.markup.copy()
            self.clear_markets()
            self._update_markups()
            self._normalise_markups()
            if rounds < SETTLE_EXPORT_ROUNDS:
                self._settle_exporters()
            self._price_markets()  # unit costs do not move while the start settles
            self._calibrate_markets(damping=0.5)
            moved = np.abs(self.firms.markup / markup - 1.0).max()
            if rounds >= SETTLE_EXPORT_ROUNDS and moved < SETTLE_TOLERANCE:
                break
        still = int(SETTLE_EXPORT_SHARE * self.n_firms)  # firms that may still flip
        for _ in range(SETTLE_EXPORT_ROUNDS):  # exporters to rest against the calibrated demand
            exporters = self.firms.exports_to.copy()
            self.clear_markets()
            self._settle_exporters()
            self._price_markets()
            if (self.firms.exports_to != exporters).any(1).sum() <= still:
                break
        self._calibrate_markets()  # the weights of the markets exporters entered or left
        self.government.policy = actual  # this year's policy acts through costs and prices
        self.compute_costs()

        self.datacollector = ModelCollector(
            {k: f for k, f in MODEL_REPORTERS.items() if k not in FRAME_REPORTERS},
            ForeignTradeFirm if p.firm_data else None,
        )
        self.running = True
        # the start year: stages 2-4 and 12, so step 0 is recorded with its markets cleared
        self._structure: decomposition.Structure | None = None
        self.clear_markets()
        self.account()
        self._wanted_prev = self.market.demand.sum(0)
        self.start_covered_share: float | None = None
        self.collect()

    def _mean_productivity(self) -> float:
        """The cluster's labour productivity: capacity over the labour it needs."""
        f = self.firms
        return float(f.capacity.sum() / max((f.capacity / f.productivity).sum(), 1e-12))

    def _calibrate_markets(self, damping: float | None = None) -> None:
        """Start-year demand: the cluster sells ``target_utilisation`` of its capacity,
        ``initial_export_share`` of it abroad, split by destination and by each
        destination's composition, at the stated market shares."""
        f, p, m = self.firms, self.params, self.market
        cap = f.capacity[:, None] * f.mix
        q0 = p.target_utilisation * per_category(cap)[None, :] * self.demand.start_split(p)
        # where a destination has no seller yet, its sales are valued at home prices
        price = np.where(np.isfinite(m.p_sellers), m.p_sellers, m.p_sellers[:1])
        value = np.nan_to_num(q0 * price)
        share = np.full(N_DEST, p.market_share_foreign)
        share[0] = p.market_share_domestic
        base = value.sum(1) / share
        self.demand.calibrate(base, value, m.margin, m.p_cluster, m.p_fringe, damping)

    def _normalise_markups(self) -> None:
        """Start-year mark-ups settle relative to each other; their capacity-weighted mean
        stays the normal mark-up (factor 1), whose level the demand calibration sets."""
        f = self.firms
        total = float(f.capacity.sum())
        if total > 0:
            f.markup /= float((f.markup * f.capacity).sum()) / total

    def _settle_exporters(self) -> None:
        """Exporters by the model's own rule (stage 9) with every firm reviewing: a firm
        starts serving a destination when its expected export profit there beats the fixed
        cost, and stops when its realised export profit there is negative."""
        self._decide_exports(None)

    # ------------------------------------------------------------------ schedule
    def step(self) -> None:
        """Advance one year through the twelve stages of the ODD process overview."""
        self.year += 1
        self.set_policy()  # 1
        self.draw_shocks()  # 1
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
        innovation.advance_institutes(
            self.institutes, self.firms, self.params, self.government.research_funding
        )

    def draw_shocks(self) -> None:
        """Stage 1 (continued): the year's shocks, each destination's income growth around
        its trend and each firm's demand appeal, each from its own stream (the same draws in
        every preset for a seed: the income path is the same, and each firm row's appeal
        shock uses the same uniform and normal, scaled by its size)."""
        self.demand.advance(self.income_shocks)
        self.firms.appeal = drift_appeal(
            self.firms.appeal, self.params, self.appeal_shocks, self.firms.capacity
        )

    def compute_costs(self) -> None:
        """Stage 2: the wage follows productivity and fixed costs the firms' mean size; unit
        costs with the domestic carbon price and the running cost of abatement;
        export costs add trade cost (lower on a platform) and the CBAM charge of each
        destination; the cluster's varieties scale its weight in every market; prices are
        mark-ups with this year's scarcity factor."""
        f, p, pol = self.firms, self.params, self.government.current_policy
        self.wage = wage(
            self._mean_productivity(), self.start_productivity, p.wage_productivity_elasticity
        )
        self.scale = float(f.capacity.mean()) / self.start_size
        carbon = f.energy * pol.energy_carbon  # the CO2 of each firm's energy per unit
        self.emis = emission_intensity(f.green, carbon)
        self.unit_cost, self.trade_unit = firm_costs(
            f.productivity,
            knowledge_boost(f.knowledge, p.knowledge_elasticity, f.n),
            KNOWLEDGE_INTENSIVE,
            self.wage * LABOUR_COST,
            MATERIAL_COST,
            f.energy,
            energy_cost(p.energy_price),
            self.emis,
            abatement.unit_cost(f.green, pol.backstop, p.abatement_exponent, carbon),
            pol.carbon_price,
            p.trade_cost,
            1.0 - p.digital_trade_saving * f.digital,
            USD_PER_MILLION,
        )
        t = self.year - p.start_year
        self._fringe_prices = self.fringe.prices(
            pol, p, t, capacity_mean(f, f.green), capacity_mean(f, f.energy)
        )
        # varieties over the start year's, ^ variety_elasticity: mixes and capacities hold
        # still for the year (and while the start settles), so once a year
        self._variety_factor = (
            np.divide(
                varieties(f.mix, f.capacity),
                self.start_varieties,
                out=np.ones(N_CAT),
                where=self.start_varieties > 0,
            )
            ** p.variety_elasticity
        )
        self._price_markets()

    def _price_markets(self) -> None:
        """Stage 2 (continued): this year's markets at today's mark-ups and exporters, on the
        unit costs and varieties :meth:`compute_costs` computed (while the start settles,
        only mark-ups, exporters and demand move, so only this part is redone)."""
        f = self.firms
        self._reset_year_sums()  # once sales are known
        self.market = Market.build(
            f,
            self.unit_cost,
            self.trade_unit,
            self.emis,
            self.government.current_policy,
            f.markup,
            self._fringe_prices,
            self.params,
            self._variety_factor,
        )

    def clear_markets(self) -> None:
        """Stage 3: destinations' category demand from income and prices; the cluster's
        share against other suppliers; export markets then the domestic market clear among
        the cluster's sellers, capped by capacity; mark-ups follow excess demand."""
        f, p, m = self.firms, self.params, self.market
        t = self.year - p.start_year
        m.demand_for_cluster(self.demand, t, p)
        q, q_for, output, f.demand[:] = m.allocate(f, p.price_sensitivity)
        f.set_sales(q, q_for, output)
        self._reset_year_sums()
        if self.steps:  # the start year only records its markets
            self._update_markups()

    def _reset_year_sums(self) -> None:
        """Forget the sums of this year's sales computed once a year (sales changed)."""
        self._margins: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        self._green_terms: tuple[np.ndarray, np.ndarray] | None = None

    def _year_margins(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """This year's unit margin x sales, summed over destinations (n, K), over categories
        (n, D), and weighted by :func:`abm.innovation.green_coef` (n, K); once a year."""
        if self._margins is None:
            m = self.market
            self._margins = m.margins(self.firms.q, innovation.green_coef(m))
        return self._margins

    def _earned(self) -> np.ndarray:
        """(n, K) margin earned on this year's sales, summed over destinations (once a year)."""
        return self._year_margins()[0]

    def _green_value_terms(self) -> tuple[np.ndarray, np.ndarray]:
        """This year's :func:`abm.innovation.green_value_terms`, computed once a year."""
        if self._green_terms is None:
            self._green_terms = innovation.green_value_terms(
                self.firms, self.market, self._year_margins()[2]
            )
        return self._green_terms

    def _update_markups(self) -> None:
        """Each firm's mark-up factor follows the demand directed at it over its capacity.
        A busy firm's rise is capped at the price that sends its excess customers to rivals
        (:func:`abm.markets.update_scarcity`) unless a category it sells in is short, where
        rivals have nothing to spare and only the price rations."""
        f, p, m = self.firms, self.params, self.market
        util = np.divide(m.directed, f.capacity, out=np.zeros(f.n), where=f.capacity > 0)
        short = f.mix @ (m.unmet > 1e-9 * m.demand.sum(0)) > 0
        f.markup[:] = update_scarcity(
            f.markup,
            util,
            p.target_utilisation,
            p.markup_adjustment,
            p.shortage_markup,
            np.where(short, 0.0, p.price_sensitivity),
        )

    def account(self) -> None:
        """Stage 4: revenue, costs, carbon payments, CBAM, R&D spending, subsidies, profit."""
        f, p, gov, m = self.firms, self.params, self.government, self.market
        (
            sales,
            f.emissions,
            f.cbam_paid,
            production,  # includes carbon payments
            trade_costs,
            self.sold,  # (destinations, categories), for reporters
            self.sales_value_by_category,  # (K,), for reporters
            self.export_emissions_by_dest,
        ) = m.book(f.q)
        f.set_sales_value(sales)
        self._decompose_upgrading()
        self.export_emissions = float(self.export_emissions_by_dest[1:].sum())
        f.carbon_paid = gov.carbon_price * f.emissions / USD_PER_MILLION
        fixed = trade.export_fixed_cost(f.digital, p, self.scale) * f.destinations_served
        platform = trade.platform_fee(p, gov.digital_infrastructure, self.scale) * f.digital
        capital = p.depreciation * p.capital_cost * f.capacity + p.interest_rate * f.debt
        capital += p.overhead * self.scale
        intensity = innovation.rd_intensity(f.mix, f.rd_taste, p.rd_boost)
        f.rd_spend = intensity * f.revenue
        f.green_rd_spend = f.green_rd_share * f.rd_spend
        f.subsidy = gov.green_rd_subsidy * f.green_rd_spend
        f.cost = production + trade_costs + f.cbam_paid + capital + fixed + platform + f.rd_spend
        self._book()

    def _decompose_upgrading(self) -> None:
        """This year's change of the upgrading index by source (:mod:`abm.decomposition`),
        from the firms that sold this year (before this year's exits and entries)."""
        now = decomposition.structure(self.firms.output, self.firm_ids)
        before, self._structure = self._structure, now
        self.upgrading_terms = (
            decomposition.decompose(before, now)
            if before is not None
            else dict.fromkeys(decomposition.TERMS, 0.0)
        )

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
        terms = self._green_value_terms()
        innovation.do_rd(self.firms, self.institutes, self.params, self.draws, self.market, terms)
        innovation.choose_green_share(self.firms, self.params, self.market, terms)

    def collaborate(self) -> None:
        """Stage 6: collaborations with institutes and firms; spillovers over ties."""
        u, v = innovation.collaborate(
            self.firms,
            self.institutes,
            self.ties,
            self.params,
            self.members,
            self.inst_of_cluster,
            self.draws,
        )
        if len(u) and self._grid is not None:  # until it is built, it takes today's ties
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
            self.market,
            gov.adoption_subsidy,
            self.draws,
            self._green_value_terms(),
        )
        f.cost += cost
        f.subsidy += gov.adoption_subsidy * cost
        self._book()

    def shift_product_mix(self) -> None:
        """Stage 8: capacity moves toward higher-margin categories, paying adjustment costs."""
        f = self.firms
        f.cost += structure.shift_mix(f, self.params, self._earned())
        self._book()

    def enter_and_exit_exports(self) -> None:
        """Stage 9: serve a destination while expected export profit there beats its fixed
        cost."""
        self._decide_exports(self.draws)

    def _decide_exports(self, rng: np.random.Generator | None) -> None:
        """Each destination's exporters by the rule of stage 9: the firms that review (all
        with ``rng=None``) start serving a destination when their expected export profit
        there beats the fixed cost, and stop when their realised export profit there is
        negative."""
        f, p, m = self.firms, self.params, self.market
        fixed = trade.export_fixed_cost(f.digital, p, self.scale)
        realised_all = self._year_margins()[1]  # margin on sales, by destination
        for j in range(N_DEST - 1):
            review = trade.reviewing(f.n, p, rng)
            rows = np.flatnonzero(review & ~f.exports_to[:, j])  # the entry decisions
            expected = np.zeros(f.n)
            expected[rows] = trade.potential_export_profit(f, m, j + 1, p, rows) - fixed[rows]
            realised = realised_all[:, j + 1] - fixed
            trade.update_exporters(f, j, expected, realised, review)

    def adopt_digital(self) -> None:
        """Stage 10: digital-platform adoption with neighbour and infrastructure effects."""
        f, p, m = self.firms, self.params, self.market
        fixed = trade.export_fixed_cost(np.ones(f.n, bool), p, self.scale)

        def with_platform(rows: np.ndarray) -> np.ndarray:
            """The best export profit the firms ``rows`` would expect on a platform."""
            best = trade.potential_export_profit(f, m, 1, p, rows)
            for d in range(2, N_DEST):
                np.maximum(best, trade.potential_export_profit(f, m, d, p, rows), out=best)
            return best - fixed[rows]

        trade.adopt_platform(
            f,
            self.ties,
            p,
            self.government.digital_infrastructure,
            self.trade_unit,
            with_platform,
            self.draws,
            self.scale,
        )

    def grow_exit_enter(self) -> None:
        """Stage 11: investment follows expected demand within a credit limit; firms with
        persistently negative net worth exit; entrants come in where profits are."""
        f, p = self.firms, self.params
        wanted = self.market.demand.sum(0)
        growth = np.divide(
            wanted, self._wanted_prev, out=np.ones_like(wanted), where=self._wanted_prev > 0
        )
        self._wanted_prev = wanted
        grow(
            f,
            p,
            structure.allowed_categories(f.knowledge, f.digital, p, f.mix),
            np.clip(growth, 0.8, 1.25),
        )
        rows = exiting(f, p)
        self.exits = self.entries = len(rows)
        self.entrant_rows = rows
        rates = structure.category_profit_rates(f, self._earned())
        renew(f, rows, rates, p, self.draws)
        if len(rows):  # entrants get their ids now, their Mesa agents when first looked at
            self.firm_ids[rows] = np.arange(len(rows)) + self.agent_id_counter
            self.agent_id_counter += len(rows)
            if self._grid is not None:  # until it is built, it takes today's firms
                self._entered.append(rows)

    def collect(self) -> None:
        """Stage 12: collectors record the year (the innovation index is scored from the
        recorded reporters when the run's frame is read, :meth:`model_frame`)."""
        self.emission_history.append(float(self.firms.emissions.sum()))
        if self.start_covered_share is None:
            self.start_covered_share = covered_export_shares(self)
        self.datacollector.collect(self)

    # ------------------------------------------------------------------ agents
    def _mesa_layer(self) -> Network:
        """Build the Mesa network and the firm and institute agents, once, when first
        looked at: from today's ties and rows, with the ids reserved at construction
        (vectorised stages never need them, so a headless run of a million firms does not
        pay Mesa's per-cell and per-agent cost)."""
        if self._grid is not None:
            return self._grid
        f = self.firms
        graph = build_graph(self.n_firms, self.ties, f.cluster, self.institutes.cluster)
        self._grid = Network(graph, layout=None, random=self.random)
        counter = self.agent_id_counter
        self.deregister_agent(self.government)  # Mesa's order: firms, institutes, government
        self._firm_agents = list(
            ForeignTradeFirm.create_agents(self, self.n_firms, row=np.arange(self.n_firms))
        )
        for agent, uid in zip(self._firm_agents, self.firm_ids.tolist(), strict=True):
            agent.unique_id = uid
        self._institute_agents = list(
            ResearchInstitute.create_agents(
                self, self.institutes.n, index=np.arange(self.institutes.n)
            )
        )
        for agent, uid in zip(self._institute_agents, self._institute_ids.tolist(), strict=True):
            agent.unique_id = uid
        gov_id = self.government.unique_id
        self.register_agent(self.government)
        self.government.unique_id = gov_id
        self.agent_id_counter = counter
        return self._grid

    def _seat_entrants(self) -> None:
        """Give entrants since the last look their Mesa agents: the exiting firm's agent is
        removed and the entrant's created in its network cell, with the id the entrant got
        on entry (vectorised stages never need the agents, so a run that does not look at
        them does not pay Mesa's per-agent cost of turnover)."""
        if not getattr(self, "_entered", None):  # none yet (or not built yet)
            return
        rows = np.unique(np.concatenate(self._entered))  # a row may have turned over twice
        self._entered.clear()
        counter = self.agent_id_counter  # ids were given on entry: Mesa's counter stays
        for r in rows.tolist():
            self._firm_agents[r].remove()
            agent = ForeignTradeFirm(self, r)
            agent.unique_id = int(self.firm_ids[r])
            self._firm_agents[r] = agent
        self.agent_id_counter = counter

    @property
    def firm_agents(self) -> list[ForeignTradeFirm]:
        """The firms' Mesa agents, row by row (views on ``model.firms``)."""
        self._mesa_layer()
        self._seat_entrants()
        return self._firm_agents

    @property
    def institute_agents(self) -> list[ResearchInstitute]:
        """The research institutes' Mesa agents, row by row (views on ``model.institutes``)."""
        self._mesa_layer()
        return self._institute_agents

    @property
    def agents(self):
        """All Mesa agents (Mesa's ``Model.agents``), entrants seated."""
        self._mesa_layer()
        self._seat_entrants()
        return super().agents

    @property
    def agents_by_type(self):
        """Mesa agents by type (Mesa's ``Model.agents_by_type``), entrants seated."""
        self._mesa_layer()
        self._seat_entrants()
        return super().agents_by_type

    # ------------------------------------------------------------------ network
    @property
    def grid(self) -> Network:
        """The cluster network as a Mesa ``Network`` (networkx graph at ``grid.G``).

        Ties opened by collaboration are added to it when it is read, so runs that never
        look at it do not pay Mesa's per-connection cost.
        """
        grid = self._mesa_layer()
        self._seat_entrants()
        if self._pending_ties:
            pairs = np.concatenate(self._pending_ties, axis=1)
            self._pending_ties.clear()
            for a, b in zip(pairs[0].tolist(), pairs[1].tolist(), strict=True):
                grid.add_connection(grid[a], grid[b])
        return grid

    def network_cell(self, node: int):
        """The Mesa cell of a network node (firm row, or ``n_firms + institute``)."""
        return self._mesa_layer()[node]

    # ------------------------------------------------------------------ outputs
    def model_frame(self):
        """Model reporters as a DataFrame, one row per step (``Step`` 0 = initial state)."""
        df = self.datacollector.get_model_vars_dataframe()
        df.index = np.arange(len(df))
        df.index.name = "Step"
        return with_frame_reporters(df)

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
