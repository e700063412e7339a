# ruff: noqa: B018 (a whitelist names attributes without using them)
"""Names vulture reports as unused that are used from outside the package's own code.

Checked with ``vulture abm .ci/vulture_whitelist.py --min-confidence 80`` in ``.ci/test``.
"""

from vulture.whitelist_utils import Whitelist

_ = Whitelist()

# pyabc calls Sampler.sample_until_n_accepted with these keywords; the calibration's
# PrefetchSampler overrides it and must accept them (abm/calibration/calibrate.py).
_.all_accepted
_.ana_vars
