"""Fixtures of the publish tests: a small demo run and its publication, through the real
command line, built once per test session."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from pipeline.cli import main

CLINICS, PATIENTS = 4, 800


@dataclass(frozen=True)
class Published:
    root: Path
    warehouse: Path
    reports: Path
    out: Path
    clinic_ids: tuple[str, ...]

    def bundles(self) -> list[Path]:
        return [*sorted((self.out / "clinics").iterdir()), self.out / "insurer"]

    def sql(self, query: str, params: list | None = None) -> list[tuple]:
        con = duckdb.connect(str(self.warehouse), read_only=True)
        try:
            return con.execute(query, params or []).fetchall()
        finally:
            con.close()


@pytest.fixture(scope="session")
def published(tmp_path_factory) -> Published:
    root = tmp_path_factory.mktemp("publish-demo")
    inbox, warehouse, reports, out = root / "inbox", root / "warehouse.duckdb", root / "reports", root / "out"
    assert main(["demo", "--out", str(inbox), "--clinics", str(CLINICS), "--patients", str(PATIENTS)]) == 0
    assert main(["run", "--inbox", str(inbox), "--warehouse", str(warehouse), "--reports", str(reports)]) == 0
    assert main(["publish", "--warehouse", str(warehouse), "--out", str(out)]) == 0
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        ids = tuple(sorted(r[0] for r in con.execute(
            "select distinct clinic_id from audit.batches where status = 'accepted'").fetchall()))
    finally:
        con.close()
    return Published(root, warehouse, reports, out, ids)
