"""audit.runs says how each run ended: a failed step's run is ``failed`` with the step and the
sentence; a run whose process is gone is ``interrupted`` by the next one, and a live run (one
queued on the warehouse's lock, say) is left alone; an older warehouse gets the new columns."""
from __future__ import annotations

import logging
import subprocess

import duckdb
import pytest

from pipeline import provenance, warehouse
from pipeline.marts import effect_sizes
from pipeline.cli import main
from pipeline.errors import OutcomesError


@pytest.fixture(autouse=True)
def _quiet_cli_logger():
    """``main`` points the outcomes logger at this test's captured stdout: unhook it afterwards."""
    yield
    logging.getLogger("outcomes").handlers[:] = []


def _runs(wh):
    con = duckdb.connect(str(wh), read_only=True)
    try:
        return con.execute("select status, failed_step, reason, finished_at is not null from audit.runs "
                           "order by started_at").fetchall()
    finally:
        con.close()


def test_a_failed_step_is_recorded_with_its_step_and_reason(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("BROWSER_PATH", "/nonexistent/chromium")  # the reports skip their PDFs: faster
    inbox, wh = tmp_path / "inbox", tmp_path / "w.duckdb"
    assert main(["demo", "--out", str(inbox), "--clinics", "2", "--patients", "100"]) == 0
    run = ["run", "--inbox", str(inbox), "--warehouse", str(wh), "--reports", str(tmp_path / "reports")]
    real = effect_sizes.build

    def refuse(con, settings):
        raise OutcomesError("cannot build the effect sizes: the disk is full")
    monkeypatch.setattr(effect_sizes, "build", refuse)
    capsys.readouterr()
    assert main(run) == 1
    err = capsys.readouterr().err
    assert err == "outcomes: cannot build the effect sizes: the disk is full\n"
    assert _runs(wh) == [("failed", "marts__effect_sizes", "cannot build the effect sizes: the disk is full", True)]

    def bug(con, settings):
        raise ZeroDivisionError("division by zero")
    monkeypatch.setattr(effect_sizes, "build", bug)
    assert main(run) == 3
    assert "internal error (RuntimeError)" in capsys.readouterr().err
    status, step, reason, finished = _runs(wh)[-1]
    assert (status, step, finished) == ("failed", "marts__effect_sizes", True)
    assert reason == "internal error in step marts__effect_sizes (ZeroDivisionError: division by zero)"

    monkeypatch.setattr(effect_sizes, "build", real)
    assert main(run) == 0
    assert [r[0] for r in _runs(wh)] == ["failed", "failed", "success"]  # failed runs stay failed


def _dead_pid() -> int:
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def test_only_runs_whose_process_is_gone_are_marked_interrupted():
    con = duckdb.connect()
    warehouse.ensure_schema(con)
    me = provenance.this_process()
    rows = {
        "dead": (me["host"], _dead_pid(), None),
        "alive": (me["host"], me["pid"], me["process_start"]),
        "pid-reused": (me["host"], me["pid"], "another-boot:1"),
        "other-host": ("elsewhere.invalid", 4242, None),
        "older-version": (None, None, None),
        "queued": ("elsewhere.invalid", 4243, None),  # the Dagster instance knows it as under way
        "ended": (me["host"], me["pid"], me["process_start"]),  # the instance knows it ended (canceled)
        "failed-there": (me["host"], me["pid"], me["process_start"]),  # the instance knows it failed
    }
    for run_id, (host, pid, start) in rows.items():
        con.execute("insert into audit.runs (run_id, started_at, status, host, pid, process_start) "
                    "values ($r, now()::timestamp, 'running', $h, $p, $s)", {"r": run_id, "h": host, "p": pid, "s": start})
    states = {"queued": "running", "ended": "finished", "failed-there": "failed"}
    marked = provenance.start_run(con, "this-run", states.get)
    assert sorted(marked) == ["dead", "ended", "failed-there", "older-version", "other-host", "pid-reused"]
    status = dict(con.execute("select run_id, status from audit.runs").fetchall())
    assert status == {**{r: "interrupted" for r in marked}, "failed-there": "failed",
                      "alive": "running", "queued": "running", "this-run": "running"}
    reason = con.execute("select reason from audit.runs where run_id = 'dead'").fetchone()[0]
    assert reason.startswith(f"process {rows['dead'][1]} on {me['host']} ended without finishing the run")
    assert reason.endswith("found by run this-run")

    provenance.finish_run(con, "alive", "success")  # a run taken for dead that ends after all: its real end
    provenance.finish_run(con, "this-run", "interrupted", "episodes", "stopped by SIGTERM")
    assert con.execute("select status, failed_step, reason from audit.runs where run_id in ('alive', 'this-run') "
                       "order by run_id").fetchall() == [("success", None, None), ("interrupted", "episodes", "stopped by SIGTERM")]


def test_an_older_warehouse_gets_the_new_columns_of_audit_runs(tmp_path):
    con = duckdb.connect(str(tmp_path / "old.duckdb"))
    con.execute("create schema audit")
    con.execute("create table audit.runs (run_id varchar not null, started_at timestamp not null, "
                "finished_at timestamp, code_version varchar, batches_new integer, batches_rejected integer, "
                "status varchar)")
    con.execute("insert into audit.runs values ('old', now()::timestamp, null, 'v0', 1, 0, 'running')")
    warehouse.ensure_schema(con)
    warehouse.ensure_schema(con)  # and again: a no-op
    columns = [r[0] for r in con.execute("select column_name from information_schema.columns where table_schema = 'audit' "
                                         "and table_name = 'runs' order by ordinal_position").fetchall()]
    assert columns == ["run_id", "started_at", "finished_at", "code_version", "batches_new", "batches_rejected",
                       "status", "failed_step", "reason", "host", "pid", "process_start"]
    assert provenance.start_run(con, "new") == ["old"]  # recorded before pids were: its process is not known to live
    fresh = duckdb.connect()
    warehouse.ensure_schema(fresh)
    assert [r[0] for r in fresh.execute("select column_name from information_schema.columns where table_schema = 'audit' "
                                        "and table_name = 'runs' order by ordinal_position").fetchall()] == columns
