"""Calibration and validation against data: targets, ``abm calibrate``, ``abm validate``.

::

    from abm.calibration import calibrate, load_targets, validate

    targets = load_targets("experiments/targets.toml")
    result = calibrate(targets, "results/calibration", budget=200, workers=2)
    rows = validate(targets, params=result.best, seeds=10)

See the README's "Calibration and validation" section.
"""

from abm.calibration.calibrate import CalibrationResult, calibrate, loss
from abm.calibration.targets import (
    FUNCTIONS,
    FreeParameter,
    Moment,
    Statistic,
    Targets,
    TargetsError,
    load_targets,
    parse_targets,
)
from abm.calibration.validate import format_table, load_params, share_inside, validate

__all__ = [
    "FUNCTIONS",
    "CalibrationResult",
    "FreeParameter",
    "Moment",
    "Statistic",
    "Targets",
    "TargetsError",
    "calibrate",
    "format_table",
    "load_params",
    "load_targets",
    "loss",
    "parse_targets",
    "share_inside",
    "validate",
]
