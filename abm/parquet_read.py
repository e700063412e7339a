"""Reading Parquet without Arrow's thread pool.

pyarrow's threaded reads leave pool threads alive when the interpreter exits, and the
process then aborts now and then ("terminate called without an active exception",
exit status 134; apache/arrow#34314) after its work is done and written. The model's
files are small (one run's yearly rows, or one year's firm records per row group), so a
single-threaded read costs nothing measurable and every Parquet read in ``abm`` goes
through here.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

Source = str | Path | bytes


def _source(source: Source) -> str | Path | io.BytesIO:
    return io.BytesIO(source) if isinstance(source, bytes) else source


def read_frame(source: Source, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """A Parquet file (a path, or its bytes) as a DataFrame, ``attrs`` included."""
    return pd.read_parquet(
        _source(source), columns=None if columns is None else list(columns), use_threads=False
    )


def read_table(source: Source) -> pa.Table:
    """A Parquet file (a path, or its bytes) as an Arrow table."""
    return pq.read_table(_source(source), use_threads=False)
