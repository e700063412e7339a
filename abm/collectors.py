"""The model's DataCollector: Mesa's, with firm-level records taken from the firm arrays.

Model reporters are Mesa's as usual. Firm reporters are recorded per ``ForeignTradeFirm``
(``get_agenttype_vars_dataframe(ForeignTradeFirm)``), but read column-wise from
``model.firms`` instead of agent by agent, so firm-level data stays cheap at scale.
"""

from __future__ import annotations

import itertools

import numpy as np
from mesa.datacollection import DataCollector

from abm.categories import CATEGORIES


def firm_columns(model) -> dict[str, np.ndarray]:
    """Firm reporters as arrays, one entry per firm row."""
    f = model.firms
    rd = np.divide(f.rd_spend, f.revenue, out=np.zeros(f.n), where=f.revenue > 0)
    return {
        "row": np.arange(f.n),
        "cluster": f.cluster,
        "capacity": f.capacity,
        "main_category": np.array(CATEGORIES)[f.mix.argmax(1)],
        **{f"mix_{c}": f.mix[:, i] for i, c in enumerate(CATEGORIES)},
        "productivity": f.productivity,
        "green_level": f.green,
        "knowledge": f.knowledge,
        "rd_intensity": rd,
        "green_rd_share": f.green_rd_share,
        "exporter": f.exporter,
        "digital": f.digital,
        "net_worth": f.net_worth,
        "age": f.age,
        "revenue": f.revenue,
        "profit": f.profit,
        "emissions": f.emissions,
        "exports": f.export_sales,
        "partnered": (f.partner_firm >= 0) | (f.partner_inst >= 0),
    }


FIRM_COLUMNS = (
    "row",
    "cluster",
    "capacity",
    "main_category",
    *(f"mix_{c}" for c in CATEGORIES),
    "productivity",
    "green_level",
    "knowledge",
    "rd_intensity",
    "green_rd_share",
    "exporter",
    "digital",
    "net_worth",
    "age",
    "revenue",
    "profit",
    "emissions",
    "exports",
    "partnered",
)


class ModelCollector(DataCollector):
    """Mesa DataCollector whose firm-level records are read from the firm arrays."""

    def __init__(self, model_reporters, firm_type=None):
        agenttype = None
        if firm_type is not None:
            agenttype = {firm_type: {name: name for name in FIRM_COLUMNS}}
        super().__init__(model_reporters=model_reporters, agenttype_reporters=agenttype)
        self._firm_type = firm_type

    def _record_agenttype(self, model, agent_type):
        if agent_type is not self._firm_type:
            return super()._record_agenttype(model, agent_type)
        cols = firm_columns(model)
        lists = [cols[name].tolist() for name in FIRM_COLUMNS]
        return zip(itertools.repeat(model.time), model.firm_ids.tolist(), *lists, strict=False)
