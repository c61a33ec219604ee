"""The Dagster definitions load, and the whole graph materializes on a temporary warehouse."""
from __future__ import annotations

import shutil

import dagster as dg
import duckdb
import pytest

from pipeline import agg, demo
from pipeline.marts import grain
from pipeline.definitions import build_definitions, defs

EXPECTED_KEYS = {
    "raw/sessions", "raw/measurements", "staging/sessions", "staging/measurements",
    "quarantine/sessions", "quarantine/measurements", "intermediate/int_sessions",
    "intermediate/int_episode_sessions", "intermediate/int_episodes", "intermediate/int_episode_measures",
    "intermediate/int_episode_outcomes", "marts/episode_outcomes", "marts/completeness", "marts/effect_sizes",
    "marts/clinic_trends", "marts/pooled_effects", "marts/dose_response_points", "marts/dose_response",
    "marts/clinic_benchmarks", "marts/benchmark_model_fit", "reports/index",
    *(f"agg/{table}" for table in agg.TABLES),
}


def test_definitions_load_with_every_asset_key():
    keys = {k.to_user_string() for k in defs.resolve_all_asset_keys()}
    assert EXPECTED_KEYS <= keys
    assert defs.resolve_implicit_global_asset_job_def() is not None


def test_every_table_is_an_asset_and_marts_read_only_agg_or_marts():
    """The graph shows every dependency: each agg table reads intermediate, each mart but
    episode_outcomes reads only agg.* and marts.*, and each mart has its blocking grain check."""
    graph = defs.resolve_asset_graph()
    for key in graph.get_all_asset_keys():
        layer = key.path[0]
        parents = {p.path[0] for p in graph.get(key).parent_keys}
        if layer == "agg":
            assert parents == {"intermediate"}, key
        if layer == "marts" and key.path[1] != "episode_outcomes":
            assert parents <= {"agg", "marts"}, key
    checks = {k.name for k in graph.asset_check_keys}
    assert {f"{mart}_grain" for mart in grain.GRAIN} <= checks


def _materialize(tmp_path, inbox):
    d = build_definitions(str(inbox), str(tmp_path / "w.duckdb"), str(tmp_path / "reports"))
    with dg.DagsterInstance.ephemeral() as instance:
        result = d.resolve_implicit_global_asset_job_def().execute_in_process(instance=instance)
    assert result.success
    return result


def _marts(path):
    con = duckdb.connect(str(path), read_only=True)
    try:
        return (con.execute("select * from marts.effect_sizes order by all").fetchall(),
                con.execute("select * from marts.episode_outcomes order by all").fetchall(),
                con.execute("select batch_id, status, rows_raw, rows_staged, rows_quarantined from audit.batches order by all").fetchall())
    finally:
        con.close()


@pytest.fixture(scope="module")
def small_inbox(tmp_path_factory):
    inbox = tmp_path_factory.mktemp("demo") / "inbox"
    demo.write_demo(inbox, clinics=3, patients=400, seed=11, months=3)
    return inbox


def test_materialize_is_incremental_and_idempotent(tmp_path, small_inbox):
    inbox = tmp_path / "inbox"
    folders = sorted(small_inbox.iterdir())
    inbox.mkdir()
    for f in folders[:-1]:
        shutil.copytree(f, inbox / f.name)
    result = _materialize(tmp_path, inbox)
    checks = result.get_asset_check_evaluations()
    assert checks and all(c.passed for c in checks)
    first = _marts(tmp_path / "w.duckdb")
    assert len(first[2]) == len(folders) - 1

    _materialize(tmp_path, inbox)                     # nothing new: same marts, nothing loaded again
    assert _marts(tmp_path / "w.duckdb") == first

    shutil.copytree(folders[-1], inbox / folders[-1].name)   # a new batch folder is picked up
    shutil.copytree(folders[0], inbox / "same-content-again")  # the same content under another name
    _materialize(tmp_path, inbox)
    after = _marts(tmp_path / "w.duckdb")
    assert len(after[2]) == len(folders)
    assert after[1] != first[1]

    # The incremental result equals a single run over everything.
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    _materialize(fresh, small_inbox)
    assert _marts(fresh / "w.duckdb")[:2] == after[:2]
