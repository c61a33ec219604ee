"""Where a published number comes from: the run, the code version, the software, the batches."""
from __future__ import annotations

import subprocess
from datetime import datetime, timezone
from functools import lru_cache
from importlib import metadata
from pathlib import Path

import duckdb

from pipeline.warehouse import run

REPO = Path(__file__).resolve().parents[1]
SOFTWARE = ("dagster", "duckdb", "pandas", "numpy", "scipy", "plotly", "great-expectations", "pyarrow")


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


@lru_cache(maxsize=1)
def code_version() -> str:
    """The git commit of the code (with '-dirty' when changed), else the package version."""
    try:
        out = subprocess.run(["git", "describe", "--always", "--dirty", "--abbrev=12"], cwd=REPO,
                             capture_output=True, text=True, timeout=5, check=True)
        return out.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "massage-outcomes " + metadata.version("massage-outcomes")


def software_versions() -> dict[str, str]:
    out = {}
    for name in SOFTWARE:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def start_run(con: duckdb.DuckDBPyConnection, run_id: str) -> None:
    run(con, "audit/run_start", {"run_id": run_id, "started_at": _now(), "code_version": code_version()})


def count_batches(con: duckdb.DuckDBPyConnection, run_id: str, handled: list) -> None:
    run(con, "audit/run_batches", {
        "run_id": run_id,
        "batches_new": sum(1 for b in handled if b.accepted),
        "batches_rejected": sum(1 for b in handled if not b.accepted),
    })


def finish_run(con: duckdb.DuckDBPyConnection, run_id: str, status: str = "success") -> None:
    run(con, "audit/run_finish", {"run_id": run_id, "finished_at": _now(), "status": status})
