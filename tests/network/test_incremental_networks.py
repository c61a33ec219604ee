"""Degenerate networks built in two runs equal the same networks built in one.

The episode layer is rebuilt per clinic (pipeline/intermediate.py): a run after new batches
deletes and inserts only the clinics whose staged rows changed, and so does the agg layer
(pipeline/agg.py) for the clinics whose episodes changed. On the networks of
test_degenerate_networks (constant scores, every improvement equal, one-patient clinics, one
day per episode), the last clinic's batch is held back from a first run and delivered to a
second; every table of ``intermediate``, ``agg`` and ``marts`` then equals a fresh run's over
all the batches, value for value.
"""
from __future__ import annotations

import logging
import shutil
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from pipeline import agg
from pipeline.definitions import build_definitions
from tests.network.test_degenerate_networks import CONSTANT, EQUAL, ONE_PATIENT, clinic_strategy, write_network

SCHEMAS = ("intermediate", "agg", "marts")


def _materialize(inbox: Path, wh: Path, reports: Path, min_n: int) -> None:
    defs = build_definitions(str(inbox), str(wh), str(reports), suppression_min_n=min_n)
    with dg.DagsterInstance.ephemeral() as instance:
        result = defs.resolve_implicit_global_asset_job_def().execute_in_process(
            instance=instance, raise_on_error=False,
            run_config={"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}})
    assert result.success, [e.step_failure_data.error.message for e in result.all_events if e.is_step_failure]


def _tables(wh: Path) -> dict[str, pd.DataFrame]:
    con = duckdb.connect(str(wh), read_only=True)
    try:
        names = con.execute("select table_schema, table_name from information_schema.tables "
                            "where list_contains($s, table_schema) order by all", {"s": list(SCHEMAS)}).fetchall()
        out = {}
        for schema, table in names:
            df = con.execute(f'select * from "{schema}"."{table}"').df()  # names from the catalog
            df = df.astype({c: str for c in df.columns if df[c].dtype == object})  # lists, decimals: comparable
            out[f"{schema}.{table}"] = df.sort_values(list(df.columns)).reset_index(drop=True)
        return out
    finally:
        con.close()


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(clinics=st.lists(clinic_strategy, min_size=2, max_size=4), seed=st.integers(0, 2**16))
@example(clinics=[CONSTANT, CONSTANT, EQUAL, ONE_PATIENT], seed=2)
@example(clinics=[EQUAL, ONE_PATIENT], seed=3)
def test_a_network_built_in_two_runs_equals_one_built_at_once(tmp_path_factory, caplog, clinics, seed):
    tmp = tmp_path_factory.mktemp("inc")
    full = tmp / "all"
    write_network(full, clinics, seed)
    _materialize(full, tmp / "once.duckdb", tmp / "r1", min_n=3)

    inbox = tmp / "inbox"
    inbox.mkdir()
    folders = sorted(full.iterdir())
    for folder in folders[:-1]:
        shutil.copytree(folder, inbox / folder.name)
    _materialize(inbox, tmp / "twice.duckdb", tmp / "r2", min_n=3)
    shutil.copytree(folders[-1], inbox / folders[-1].name)  # the last clinic's batch arrives
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="outcomes"):
        _materialize(inbox, tmp / "twice.duckdb", tmp / "r2", min_n=3)
    rebuilt = [r.getMessage() for r in caplog.records if r.getMessage().startswith("[episodes] ") and "rebuilt" in r.getMessage()]
    assert rebuilt == [f"[episodes] the episodes of 1 clinic(s) rebuilt (their staged rows changed): k{len(clinics) - 1}"]
    aggregated = sorted(r.getMessage().split(";")[0] for r in caplog.records if r.getMessage().startswith("[aggregates] agg."))
    assert aggregated == sorted(f"[aggregates] agg.{t} rebuilt for 1 clinic(s): k{len(clinics) - 1}" for t in agg.TABLES)

    once, twice = _tables(tmp / "once.duckdb"), _tables(tmp / "twice.duckdb")
    assert once.keys() == twice.keys()
    for name, df in once.items():
        pd.testing.assert_frame_equal(df, twice[name], check_exact=True, obj=name)
