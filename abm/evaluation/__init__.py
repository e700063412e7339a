"""Low-carbon innovation performance index (seed 000, section 5).

A library that stands on its own: AHP weights (:func:`ahp`,
:func:`global_weights`), moving-average smoothing and threshold scoring of
quantitative indicators (:func:`moving_average`, :func:`threshold_score`),
grey multi-level evaluation of expert ratings (:func:`grey_evaluate`,
:func:`grey_score`) and grey fixed-weight clustering
(:func:`clustering_coefficients`), and the indicator system mapped onto the model's
reporters (:class:`IndicatorSystem`), applied to run data by
:func:`score_run` and step by step by :class:`InnovationIndex`.
"""

from .ahp import AHPResult, ahp, global_weights, random_index
from .grey import (
    DEFAULT_GREY_CLASSES,
    GreyClass,
    GreyClasses,
    GreyEvaluation,
    WhiteningFunction,
    clustering_coefficients,
    compose,
    grey_evaluate,
    grey_score,
    grey_weights,
)
from .index import InnovationIndex, score_run
from .system import Indicator, IndicatorSystem
from .thresholds import moving_average, threshold_score

__all__ = [
    "DEFAULT_GREY_CLASSES",
    "AHPResult",
    "GreyClass",
    "GreyClasses",
    "GreyEvaluation",
    "Indicator",
    "IndicatorSystem",
    "InnovationIndex",
    "WhiteningFunction",
    "ahp",
    "clustering_coefficients",
    "compose",
    "global_weights",
    "grey_evaluate",
    "grey_score",
    "grey_weights",
    "moving_average",
    "random_index",
    "score_run",
    "threshold_score",
]
