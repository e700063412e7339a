"""The model's DataCollector: Mesa's, with firm-level records taken from the firm arrays.

Model reporters are Mesa's as usual. Firm reporters are recorded per ``ForeignTradeFirm``
(``get_agenttype_vars_dataframe(ForeignTradeFirm)``), but copied column-wise from
``model.firms`` as numpy arrays instead of agent by agent as tuples, so firm-level data
stays cheap in time and memory at scale.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
from mesa.datacollection import DataCollector

from abm.categories import CATEGORIES

#: The year's flows: an entrant (which took the row of a firm that exited this year) has
#: none in its entry year; the row's values belong to the firm that left.
FLOW_COLUMNS = ("rd_intensity", "revenue", "profit", "emissions", "exports")


def firm_columns(model) -> dict[str, np.ndarray]:
    """Firm reporters as arrays, one entry per firm row; this year's entrants have zero
    flows (revenue, profit, emissions, exports, R&D) in the year they enter."""
    f = model.firms
    rd = np.divide(f.rd_spend, f.revenue, out=np.zeros(f.n), where=f.revenue > 0)
    cols = _columns(f, rd)
    entrants = getattr(model, "entrant_rows", None)
    if entrants is not None and len(entrants):
        for name in FLOW_COLUMNS:
            cols[name] = cols[name].copy()
            cols[name][entrants] = 0.0
    return cols


def _columns(f, rd: np.ndarray) -> dict[str, np.ndarray]:
    """The firm reporters read from the arrays as they are."""
    return {
        "row": np.arange(f.n),
        "cluster": f.cluster,
        "capacity": f.capacity,
        "main_category": pd.Categorical.from_codes(f.mix.argmax(1), CATEGORIES),
        **{f"mix_{c}": f.mix[:, i] for i, c in enumerate(CATEGORIES)},
        "productivity": f.productivity,
        "energy_use": f.energy,
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
    "energy_use",
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


def firm_record_frame(
    time: float, ids: np.ndarray, cols: dict[str, np.ndarray], start_year: int
) -> pd.DataFrame:
    """One year's firm records in the layout of ``TradeClusterModel.firm_frame``:
    ``Step``, ``year``, ``firm_id``, then :data:`FIRM_COLUMNS`."""
    frame = pd.DataFrame(cols)
    step = int(time)
    frame.insert(0, "firm_id", ids)
    frame.insert(0, "year", step + start_year)
    frame.insert(0, "Step", step)
    return frame


FirmSink = Callable[[float, np.ndarray, dict[str, np.ndarray]], None]


class ModelCollector(DataCollector):
    """Mesa DataCollector whose firm-level records are read from the firm arrays."""

    def __init__(self, model_reporters, firm_type=None):
        agenttype = None
        if firm_type is not None:
            agenttype = {firm_type: {name: name for name in FIRM_COLUMNS}}
        super().__init__(model_reporters=model_reporters, agenttype_reporters=agenttype)
        self._firm_type = firm_type
        self._sink: FirmSink | None = None

    def stream_firms(self, sink: FirmSink) -> None:
        """Hand each year's firm records to ``sink(time, ids, columns)`` as they are
        collected instead of keeping them (``abm run`` writes them to Parquet a year at a
        time, so memory stays flat); the records kept so far go first, in order."""
        for records in self._agenttype_records.values():
            for record in records.get(self._firm_type, []):
                sink(*record)
            records[self._firm_type] = []
        self._sink = sink

    def _record_agenttype(self, model, agent_type):
        if agent_type is not self._firm_type:
            return super()._record_agenttype(model, agent_type)
        if self._sink is not None:  # used at once: no copies needed
            self._sink(model.time, model.firm_ids, firm_columns(model))
            return []
        cols = {
            name: value.copy() if isinstance(value, np.ndarray) else value
            for name, value in firm_columns(model).items()
        }
        return [(model.time, model.firm_ids.copy(), cols)]

    def get_agenttype_vars_dataframe(self, agent_type):
        """Agent-type records as a DataFrame indexed by (Step, AgentID)."""
        if agent_type is not self._firm_type:
            return super().get_agenttype_vars_dataframe(agent_type)
        if self._sink is not None:
            raise RuntimeError(
                "the firm records were handed on as they were collected (stream_firms), "
                "not kept: read them where they were written"
            )
        frames = []
        for records in self._agenttype_records.values():
            for time, ids, cols in records.get(agent_type, []):
                frame = pd.DataFrame(cols)
                frame.insert(0, "AgentID", ids)
                frame.insert(0, "Step", time)
                frames.append(frame)
        if not frames:
            return pd.DataFrame(columns=["Step", "AgentID", *FIRM_COLUMNS]).set_index(
                ["Step", "AgentID"]
            )
        return pd.concat(frames, ignore_index=True).set_index(["Step", "AgentID"])
