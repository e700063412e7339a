"""Analysis of experiment results for pandas users.

::

    from abm import analysis as an

    df = an.load_results("results/factorial_modes")      # a row per run and step
    an.replicate_summary(df, "emissions")                  # mean and CI per point and year
    an.factorial_effects(df, "upgrading_index")            # effects of the modes, final year
    an.mode_attribution(df, "emissions")                   # the change split among the modes
    an.sobol_indices("results/sensitivity", "emissions")   # SALib Sobol' indices
    problem, X, Y = an.salib_inputs("results/sensitivity", "emissions")  # for SALib itself
    an.plot_timeseries(df, "green_share")                  # matplotlib Figure
"""

from abm.analysis.effects import factorial_effects, mode_attribution
from abm.analysis.labels import Quantity, quantity
from abm.analysis.plots import (
    add_notes,
    plot_effects,
    plot_heatmap,
    plot_sensitivity,
    plot_timeseries,
    plot_timeseries_panels,
    point_labels,
    replicate_notes,
)
from abm.analysis.results import (
    at_year,
    design_columns,
    load_firms,
    load_manifest,
    load_results,
    replicate_summary,
    reporter_columns,
    t_interval,
)
from abm.analysis.sensitivity import (
    BOOTSTRAP_SEED,
    morris_indices,
    salib_inputs,
    sensitivity_warnings,
    sobol_indices,
)

__all__ = [
    "BOOTSTRAP_SEED",
    "Quantity",
    "add_notes",
    "at_year",
    "design_columns",
    "factorial_effects",
    "load_firms",
    "load_manifest",
    "load_results",
    "mode_attribution",
    "morris_indices",
    "plot_effects",
    "plot_heatmap",
    "plot_sensitivity",
    "plot_timeseries",
    "plot_timeseries_panels",
    "point_labels",
    "quantity",
    "replicate_notes",
    "replicate_summary",
    "reporter_columns",
    "salib_inputs",
    "sensitivity_warnings",
    "sobol_indices",
    "t_interval",
]
