"""Imported by the server that forks a sweep's pool workers and local Dask cluster
(``multiprocessing``'s forkserver, :mod:`abm.experiments.forking`): the model's modules and
its compiled loops are loaded there once, while the sweep's first runs run in the main
process, so the processes forked from it start ready."""

from abm.model import TradeClusterModel

_model = TradeClusterModel(rng=0, n_firms=20, firm_data=False)
_model.step()  # every compiled loop of a year is loaded
del _model
