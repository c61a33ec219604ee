"""The command line end to end on demo data, and its failures: one sentence, no traceback."""
from __future__ import annotations

import json
import logging
import subprocess
import sys

import duckdb
import pytest

from pipeline.cli import main


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("e2e")
    assert main(["demo", "--out", str(root / "inbox"), "--clinics", "3", "--patients", "500", "--seed", "5"]) == 0
    assert main(["run", "--inbox", str(root / "inbox"), "--warehouse", str(root / "w.duckdb"),
                 "--reports", str(root / "reports")]) == 0
    return root


def test_run_builds_the_contract_tables(demo_run):
    con = duckdb.connect(str(demo_run / "w.duckdb"), read_only=True)
    cols = [r[0] for r in con.execute(
        "select column_name from information_schema.columns where table_schema = 'marts' "
        "and table_name = 'effect_sizes' order by ordinal_position").fetchall()]
    assert cols == ["level", "clinic_id", "condition_group", "frequency_band", "measure", "n", "baseline_mean",
                    "baseline_sd", "final_mean", "final_sd", "r_pre_post", "mean_improvement", "sd_improvement",
                    "d_z", "g_z", "g_z_ci_low", "g_z_ci_high", "smcr", "smcr_var", "wilcoxon_p", "responders",
                    "responder_rate", "responder_ci_low", "responder_ci_high", "q_value", "suppressed"]
    raw, staged, quarantined = con.execute(
        "select (select count(*) from raw.sessions), (select count(*) from staging.sessions), "
        "(select count(*) from quarantine.sessions)").fetchone()
    assert raw == staged + quarantined > 0
    small = con.execute("select count(*) from marts.effect_sizes where not suppressed and n < 11").fetchone()[0]
    assert small == 0
    bands = {r[0] for r in con.execute("select distinct frequency_band from marts.effect_sizes").fetchall()}
    assert {"all", "weekly"} <= bands
    assert (demo_run / "reports" / "index.html").is_file()


def _cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "pipeline.cli", *args], capture_output=True, text=True, cwd=cwd, timeout=300)


@pytest.mark.parametrize("args, words", [
    (["run", "--inbox", "/nonexistent/inbox"], "does not exist"),
    (["run", "--bogus"], "unrecognized arguments"),
    (["demo", "--clinics", "zero"], "not a whole number"),
    (["validate", "/nonexistent/batch"], "not a batch folder"),
])
def test_failures_are_one_sentence_without_traceback(args, words):
    out = _cli(*args)
    assert out.returncode != 0
    assert "Traceback" not in out.stderr + out.stdout
    assert words in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1


def test_a_locked_warehouse_is_reported_plainly(demo_run, tmp_path):
    holder = subprocess.Popen([sys.executable, "-c",
                               f"import duckdb, time; c = duckdb.connect({str(demo_run / 'w.duckdb')!r}); print('ok', flush=True); time.sleep(60)"],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ok"
        out = _cli("run", "--inbox", str(demo_run / "inbox"), "--warehouse", str(demo_run / "w.duckdb"),
                   "--reports", str(tmp_path / "r"))
    finally:
        holder.kill()
        holder.wait()
    assert out.returncode == 1
    assert "in use by another process" in out.stderr
    assert "Traceback" not in out.stderr + out.stdout


def test_an_unreadable_file_rejects_the_batch_not_the_run(tmp_path):
    batch = tmp_path / "inbox" / "b1"
    batch.mkdir(parents=True)
    (batch / "sessions.csv").write_bytes(b"\x00\x01\x02binary")
    (batch / "measurements.csv").write_text("clinic_id,session_id,measure,timepoint,value\n")
    (batch / "manifest.json").write_text(json.dumps({"schema_version": "1", "export_id": "b1", "clinic_id": "c1"}))
    out = _cli("run", "--inbox", str(tmp_path / "inbox"), "--warehouse", str(tmp_path / "w.duckdb"),
               "--reports", str(tmp_path / "reports"))
    assert out.returncode == 0, out.stderr
    assert "REJECTED" in out.stdout and "binary" in out.stdout
    assert "Traceback" not in out.stderr + out.stdout


HEAVY = ("pandas", "scipy", "plotly", "great_expectations", "jsonschema", "pyarrow", "dagster")


def _imports(code: str) -> list[str]:
    """Which of HEAVY a fresh interpreter has imported after running ``code``."""
    probe = f"{code}\nimport json, sys\nprint(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_loading_the_definitions_imports_dagster_and_not_the_heavy_libraries():
    """Start-up to the first batch (docs/scaling.md): pandas, scipy, plotly, jsonschema, pyarrow
    and great-expectations are imported by the steps that use them, not before receiving starts."""
    assert _imports("import pipeline.definitions") == ["dagster"]


def test_reading_the_command_line_imports_none_of_the_heavy_libraries():
    assert _imports("from pipeline.cli import parser\nparser().parse_args(['run'])") == []


def test_start_up_is_counted_from_when_the_process_started():
    """The clock of start-up: psutil's create_time is up to 1 s early (it adds the start to the
    boot time in whole seconds); the process's own start is within a clock tick of its launch."""
    import time

    before = time.time()
    out = subprocess.run([sys.executable, "-c", "from pipeline.cli import _process_started; print(repr(_process_started()))"],
                         capture_output=True, text=True, timeout=60)
    after = time.time()
    assert out.returncode == 0, out.stderr
    started = float(out.stdout)
    assert before - 0.02 <= started <= after  # one clock tick (10 ms) of rounding, and the launch


def test_validate_demo_and_publish_never_import_dagster(demo_run, tmp_path):
    batch = next(p for p in sorted((demo_run / "inbox").iterdir()) if p.is_dir())
    for argv in (["validate", str(batch)], ["demo", "--out", str(tmp_path / "inbox"), "--clinics", "1", "--patients", "20"],
                 ["publish", "--warehouse", str(demo_run / "w.duckdb"), "--out", str(tmp_path / "bundles")]):
        code = f"from pipeline.cli import main\nassert main({argv!r}) in (0, 1)"
        assert "dagster" not in _imports(code), argv
        assert "great_expectations" not in _imports(code), argv


def test_a_second_run_reports_its_start_up_and_keeps_the_unchanged_pages(demo_run):
    page = next((demo_run / "reports" / "clinics").glob("*.html"))
    before = page.stat().st_mtime_ns
    out = _cli("run", "--inbox", str(demo_run / "inbox"), "--warehouse", str(demo_run / "w.duckdb"),
               "--reports", str(demo_run / "reports"))
    assert out.returncode == 0, out.stderr
    steps = next(line for line in out.stdout.splitlines() if line.startswith("Steps (s): "))
    assert steps.startswith("Steps (s): start-up ") and ", raw_batches " in steps
    assert float(steps.split()[3].rstrip(",")) > 0
    assert page.stat().st_mtime_ns == before  # the same numbers: the dashboard is not written again
    assert "0 of 3 clinic dashboards" in out.stdout


def test_runs_in_process_leave_the_garbage_collector_on(demo_run, tmp_path):
    """The collector is paused for the start-up only (pipeline/cli.py, _CollectorPaused): after
    the fixture's run, and after a run that fails before its first batch, it is on again."""
    import gc

    from pipeline.cli import _FirstBatch

    assert gc.isenabled() and gc.get_freeze_count() > 0  # the objects of the start-up frozen, not collected in the step
    assert main(["run", "--inbox", str(tmp_path / "missing"), "--warehouse", str(tmp_path / "w.duckdb"),
                 "--reports", str(tmp_path / "r")]) == 1
    assert gc.isenabled()
    calls = []
    first = _FirstBatch(lambda: calls.append(1))
    for text in ("[run] something", "[ingest] 2 new of 2 batch folders checked whole", "[ingest 1/2] b1 REJECTED: x"):
        first.filter(logging.LogRecord("outcomes", logging.INFO, __file__, 1, text, None, None))
    assert calls == [1] and first.at is not None
