"""Analysis of experiment results for pandas users.

::

    from abm import analysis as an

    df = an.load_results("results/factorial_modes")      # a row per run and step
    an.replicate_summary(df, "emissions")                  # mean and CI per point and year
    an.factorial_effects(df, "upgrading_index")            # effects of the modes, final year
    an.mode_attribution(df, "emissions")                   # the change split among the modes
    an.sobol_indices("results/sensitivity", "emissions")   # SALib Sobol' indices
    an.plot_timeseries(df, "green_share")                  # matplotlib Figure
"""

from abm.analysis.effects import factorial_effects, mode_attribution
from abm.analysis.plots import (
    plot_effects,
    plot_heatmap,
    plot_sensitivity,
    plot_timeseries,
    point_labels,
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
from abm.analysis.sensitivity import morris_indices, sobol_indices

__all__ = [
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
    "point_labels",
    "replicate_summary",
    "reporter_columns",
    "sobol_indices",
    "t_interval",
]
