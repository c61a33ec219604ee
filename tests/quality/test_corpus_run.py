"""The whole corpus in one inbox, through the real Dagster assets and checks, and ``outcomes run``.

One materialization of raw -> staging + quarantine with every asset check (nothing lost per
table, the great-expectations suites): each rejected case is in audit.batches with its reasons
and nothing in raw, each accepted case has exactly its quarantined rows, every check passes,
and the suites' results are in audit.checks. Then a second run finds nothing new and checks
nothing again. Finally ``outcomes run`` over the same inbox: exit 0, no traceback.
"""
from __future__ import annotations

import json

import dagster as dg
import duckdb
import pytest

from assets.raw import RAW_MEASUREMENTS, RAW_SESSIONS
from assets.staging import Q_MEASUREMENTS, Q_SESSIONS, STG_MEASUREMENTS, STG_SESSIONS
from pipeline import staging, suites
from pipeline.cli import main
from pipeline.definitions import build_definitions

from tests.quality.conftest import assert_balanced, assert_reasons, quarantined, write_case
from tests.quality.corpus import CASES

INTAKE = [RAW_SESSIONS, RAW_MEASUREMENTS, STG_SESSIONS, STG_MEASUREMENTS, Q_SESSIONS, Q_MEASUREMENTS]
CHECKS = {"sessions_nothing_lost", "measurements_nothing_lost", "sessions_contract_suite", "measurements_contract_suite"}


def materialize_intake(inbox, wh, reports):
    defs = build_definitions(str(inbox), str(wh), str(reports))
    with dg.DagsterInstance.ephemeral() as instance:
        return defs.resolve_implicit_global_asset_job_def().execute_in_process(
            instance=instance, asset_selection=INTAKE, raise_on_error=False)


@pytest.fixture(scope="module")
def corpus_inbox(tmp_path_factory):
    inbox = tmp_path_factory.mktemp("corpus") / "inbox"
    for case in CASES:
        write_case(inbox, case)
    return inbox


@pytest.fixture(scope="module")
def intake(corpus_inbox, tmp_path_factory):
    root = tmp_path_factory.mktemp("intake")
    result = materialize_intake(corpus_inbox, root / "w.duckdb", root / "reports")
    return root / "w.duckdb", result


def test_every_check_runs_and_passes(intake):
    _, result = intake
    assert result.success
    evaluations = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert CHECKS <= set(evaluations)
    assert all(e.passed for e in evaluations.values()), {k: e.description for k, e in evaluations.items()}
    suite = evaluations["sessions_contract_suite"]
    meta = suite.metadata
    assert meta["batches_checked"].value == sum(1 for c in CASES if not c.rejected)
    assert meta["sampled"].value is False
    assert "expectations" in meta and any(k.startswith("expect_column_values_to_be_between") for k in meta)


def test_each_case_has_its_exact_outcome(intake):
    path, _ = intake
    con = duckdb.connect(str(path), read_only=True)
    try:
        for case in CASES:
            rows = con.execute("select status, reasons from audit.batches where batch_id = $b", {"b": case.name}).fetchall()
            assert len(rows) == 1, case.name
            status, reasons = rows[0]
            raw = con.execute("select (select count(*) from raw.sessions where _batch_id = $b) "
                              "+ (select count(*) from raw.measurements where _batch_id = $b)", {"b": case.name}).fetchall()[0][0]
            if case.rejected:
                assert status == "rejected", case.name
                assert_reasons(reasons, case.reasons)
                assert raw == 0
            else:
                assert status == "accepted", (case.name, reasons)
                assert quarantined(con, case.name) == case.quarantined, case.name
                assert_balanced(con, case.name)
    finally:
        con.close()


def test_suite_results_are_stored_per_batch_without_values(intake):
    path, _ = intake
    con = duckdb.connect(str(path), read_only=True)
    try:
        accepted = {c.name for c in CASES if not c.rejected}
        for table in ("sessions", "measurements"):
            per_batch = dict(con.execute(
                "select batch_id, count(*) from audit.checks where suite = $s and table_name = $t group by all",
                {"s": suites.SUITES[table], "t": table}).fetchall())
            assert set(per_batch) == accepted
            assert set(per_batch.values()) == {len(suites.rules(table))}
            split = {r[0] for r in con.execute(
                "select batch_id from audit.checks where suite = $s and table_name = $t and success",
                {"s": staging.SPLIT_SUITE, "t": table}).fetchall()}
            assert split == accepted
        failed = con.execute("select count(*) from audit.checks where not success").fetchall()[0][0]
        assert failed == 0
        details = [json.loads(d) for (d,) in con.execute("select details from audit.checks").fetchall()]
        allowed = {"reason", "rule", "rows_staged", "rows_checked", "sampled", "first_rows", "error",
                   "rows_raw", "rows_quarantined"}
        assert all(set(d) <= allowed for d in details)
    finally:
        con.close()


def test_a_second_run_finds_nothing_new(intake, corpus_inbox):
    path, _ = intake
    con = duckdb.connect(str(path), read_only=True)
    before = con.execute("select count(*), max(checked_at) from audit.checks").fetchall()[0]
    con.close()
    result = materialize_intake(corpus_inbox, path, path.parent / "reports")
    assert result.success
    evaluations = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert all(e.passed for e in evaluations.values())
    assert "no newly staged batches" in evaluations["sessions_contract_suite"].description
    con = duckdb.connect(str(path), read_only=True)
    assert con.execute("select count(*), max(checked_at) from audit.checks").fetchall()[0] == before
    con.close()


def test_outcomes_run_over_the_corpus_prints_no_traceback(corpus_inbox, tmp_path, capsys):
    code = main(["run", "--inbox", str(corpus_inbox), "--warehouse", str(tmp_path / "w.duckdb"),
                 "--reports", str(tmp_path / "reports")])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    rejected = sum(1 for c in CASES if c.rejected)
    assert code == 0, err
    assert f"Batches: {len(CASES) - rejected} accepted, {rejected} rejected." in out
    assert "REJECTED" in out
