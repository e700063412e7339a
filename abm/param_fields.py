"""Typed fields of :class:`abm.params.Params`, one per registry parameter, so type
checkers see ``params.carbon_price`` as a float.

Generated from the registry in ``abm/params.py``; do not edit by hand. Regenerate with
``python -c 'from abm.params import write_fields; write_fields()'``; a test checks that
it matches the registry."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ParamFields:
    """Every model parameter as a typed, read-only attribute."""

    n_firms: int
    n_clusters: int
    institutes_per_cluster: int
    topology: str
    degree_within: float
    degree_between: float
    start_year: int
    carbon_price: float
    carbon_price_growth: float
    adaptive_carbon_price: bool
    peak_year: int
    adaptive_price_step: float
    foreign_carbon_price: float
    foreign_carbon_price_growth: float
    uk_carbon_price: float
    uk_carbon_price_growth: float
    cbam_coverage: float
    cbam_coverage_downstream: float
    cbam_start_year: int
    cbam_start_year_UK: int
    green_rd_subsidy: float
    adoption_subsidy: float
    research_funding: float
    digital_infrastructure: float
    green_preference: float
    green_preference_EU: float
    green_preference_UK: float
    green_preference_ROW: float
    green_preference_growth: float
    income_growth_domestic: float
    income_growth_EU: float
    income_growth_UK: float
    income_growth_ROW: float
    income_elasticity_LIB: float
    income_elasticity_RIB: float
    income_elasticity_TIB: float
    income_elasticity_DS: float
    category_elasticity_domestic: float
    category_elasticity_EU: float
    category_elasticity_UK: float
    category_elasticity_ROW: float
    demand_share_LIB_domestic: float
    demand_share_RIB_domestic: float
    demand_share_TIB_domestic: float
    demand_share_DS_domestic: float
    demand_share_LIB_EU: float
    demand_share_RIB_EU: float
    demand_share_TIB_EU: float
    demand_share_DS_EU: float
    demand_share_LIB_UK: float
    demand_share_RIB_UK: float
    demand_share_TIB_UK: float
    demand_share_DS_UK: float
    demand_share_LIB_ROW: float
    demand_share_RIB_ROW: float
    demand_share_TIB_ROW: float
    demand_share_DS_ROW: float
    initial_export_share: float
    destination_weight_EU: float
    destination_weight_UK: float
    destination_weight_ROW: float
    market_share_domestic: float
    market_share_foreign: float
    trade_elasticity: float
    appeal_persistence: float
    appeal_volatility: float
    income_growth_volatility: float
    cost_pass_through: float
    price_sensitivity: float
    target_utilisation: float
    markup_adjustment: float
    shortage_markup: float
    wage_productivity_elasticity: float
    foreign_abatement_rate: float
    trade_cost: float
    digital_trade_saving: float
    rd_boost: float
    green_rd_share: float
    rd_effectiveness: float
    green_step: float
    process_draw_width: float
    knowledge_step: float
    knowledge_elasticity: float
    knowledge_depreciation: float
    collaboration_propensity: float
    collaboration_years: int
    institute_partner_share: float
    new_tie_share: float
    collaboration_bonus: float
    spillover_rate: float
    absorptive_half: float
    frontier_growth: float
    funding_half: float
    awareness_innovation: float
    awareness_imitation: float
    imitation_fraction: float
    adoption_cost: float
    adoption_horizon: int
    abatement_backstop: float
    abatement_exponent: float
    green_threshold: float
    mix_speed: float
    adjustment_cost: float
    knowledge_TIB: float
    knowledge_DS: float
    export_fixed_cost: float
    platform_export_saving: float
    platform_cost: float
    platform_network_effect: float
    depreciation: float
    capital_cost: float
    leverage: float
    interest_rate: float
    retained_share: float
    overhead: float
    exit_years: int
    min_capacity: float
    entrant_size: float
    entry_choice: float
    initial_size: float
    initial_size_dispersion: float
    initial_productivity_dispersion: float
    initial_specialisation: float
    initial_net_worth: float
    initial_digital_share: float
    initial_green_mean: float
    initial_max_age: int
    export_review_rate: float
    platform_review_rate: float
    ds_option_value: float
    firm_data: bool
