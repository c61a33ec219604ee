"""The ``ref`` layer: the measure registry and the condition groups, which are data."""
from __future__ import annotations

import duckdb

from pipeline.warehouse import REGISTRY_FILES, run


def load_reference(con: duckdb.DuckDBPyConnection) -> None:
    """(Re)load the measure registry and condition groups into ``ref`` (sql/ref/*.sql)."""
    for name, path in REGISTRY_FILES.items():
        run(con, f"ref/{name}", {"path": str(path)})
