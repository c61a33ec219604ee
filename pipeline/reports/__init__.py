"""Published reports. (Placeholder interface; built out by the reports work.)"""
from __future__ import annotations

from pathlib import Path

import duckdb

from pipeline import contract


def build_reports(con: duckdb.DuckDBPyConnection, out_dir: Path, run_id: str,
                  settings: contract.Settings) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    index = out_dir / "index.html"
    index.write_text("<html><body><h1>Outcomes</h1></body></html>", encoding="utf-8")
    return [index]
