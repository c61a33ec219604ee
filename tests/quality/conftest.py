"""Fixtures of the quality-gate tests: a scratch warehouse, and the corpus written to folders."""
from __future__ import annotations

import logging
from pathlib import Path

import duckdb
import pytest

from pipeline import ingest, reference, staging, warehouse

from tests.quality.batches import new_batch
from tests.quality.corpus import CASES, Case, clinic_of


def write_case(root: Path, case: Case, index: int | None = None) -> Path:
    index = CASES.index(case) if index is None else index
    batch = new_batch(root / case.name, clinic_of(index), safe_harbor=case.safe_harbor)
    case.change(batch)
    return batch.write()


def open_warehouse(path: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(path))
    warehouse.ensure_schema(con)
    reference.load_reference(con)
    return con


def receive_and_stage(con: duckdb.DuckDBPyConnection, folder: Path):
    """What a run does with one batch folder, without Dagster: receive, then split."""
    batch = ingest.receive(con, folder)
    staging.stage_pending(con)
    return batch


def quarantined(con: duckdb.DuckDBPyConnection, batch_id: str) -> dict:
    """{(table, data row number): {reason codes}} of one batch."""
    out = {}
    for table in ("sessions", "measurements"):
        rows = con.execute(f"select _row_number, reasons from quarantine.{table} where _batch_id = $b",  # constant table
                           {"b": batch_id}).fetchall()
        out.update({(table, n): set(reasons) for n, reasons in rows})
    return out


def counts(con: duckdb.DuckDBPyConnection, batch_id: str) -> dict:
    """Rows of one batch per layer and table."""
    out = {}
    for layer in ("raw", "staging", "quarantine"):
        for table in ("sessions", "measurements"):
            out[(layer, table)] = con.execute(f'select count(*) from "{layer}"."{table}" where _batch_id = $b',
                                              {"b": batch_id}).fetchall()[0][0]
    return out


def assert_balanced(con: duckdb.DuckDBPyConnection, batch_id: str) -> None:
    c = counts(con, batch_id)
    for table in ("sessions", "measurements"):
        assert c[("raw", table)] == c[("staging", table)] + c[("quarantine", table)], (batch_id, table, c)


def assert_reasons(actual: list[str], expected: tuple[str, ...]) -> None:
    """Exactly the expected reasons: as many, and each expected phrase in exactly one of them."""
    assert len(actual) == len(expected), actual
    for phrase in expected:
        hits = [r for r in actual if phrase in r]
        assert len(hits) == 1, (phrase, actual)


@pytest.fixture(autouse=True)
def _quiet_cli_logger():
    """``pipeline.cli.main`` points the outcomes logger at the sys.stdout of its call (here, one
    test's capture); later tests must not write to that closed stream."""
    yield
    logging.getLogger("outcomes").handlers[:] = []


@pytest.fixture()
def wh(tmp_path):
    con = open_warehouse(tmp_path / "w.duckdb")
    yield con
    con.close()
