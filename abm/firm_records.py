"""Firm-level records written to Parquet as a run goes, one row group a year.

``abm run`` hands the collector's yearly firm records to a :class:`FirmRecordWriter`
instead of keeping them, so a run's memory does not grow with its years (at 100,000 firms
each year's records are about 20 MB, and building the whole frame at the end needed twice
the total). The file reads back, with ``pandas.read_parquet``, as the frame
``TradeClusterModel.firm_frame`` would have given, ``attrs`` (the run's metadata) included.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from abm.collectors import firm_record_frame


class FirmRecordWriter:
    """Write each year's firm records handed to it (``writer(time, ids, columns)``, the
    signature of :meth:`abm.collectors.ModelCollector.stream_firms`) to ``path``."""

    def __init__(self, path: Path, start_year: int, metadata: dict | None = None):
        self.path = Path(path)
        self.start_year = start_year
        self.metadata = dict(metadata or {})
        self._writer: pq.ParquetWriter | None = None
        self._schema: pa.Schema | None = None

    def __call__(self, time: float, ids: np.ndarray, cols: dict[str, np.ndarray]) -> None:
        frame = firm_record_frame(time, ids, cols, self.start_year)
        table = pa.Table.from_pandas(frame, preserve_index=False)
        if self._writer is None or self._schema is None:
            meta = dict(table.schema.metadata or {})
            if self.metadata:  # as pandas' to_parquet stores DataFrame.attrs
                meta[b"PANDAS_ATTRS"] = json.dumps(self.metadata).encode()
            self._schema = table.schema.with_metadata(meta)
            self._writer = pq.ParquetWriter(self.path, self._schema)
        self._writer.write_table(table.replace_schema_metadata(self._schema.metadata))

    def abort(self) -> None:
        """Let go of the file after a failure (errors closing it are ignored: the caller
        removes it)."""
        writer, self._writer = self._writer, None
        if writer is not None:
            with contextlib.suppress(Exception):
                writer.close()

    def close(self) -> None:
        """Finish the file (its owner flushes it to disk: ``abm run``'s ``RunOutput``)."""
        if self._writer is None:
            return
        self._writer.close()
        self._writer = None
