"""Agent-based model of foreign-trade firms in clusters adopting low-carbon technology."""

from abm.model import TradeClusterModel
from abm.scenarios import SCENARIOS

__version__ = "0.1.0"
__all__ = ["SCENARIOS", "TradeClusterModel", "__version__"]
