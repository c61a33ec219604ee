"""Export batches as Dagster dynamic partitions (issue 6): the sensor, the schedule, and
partition runs in parallel under the multiprocess executor that combine to exactly the
answer of one ``outcomes run`` over the same inbox."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
from dagster._core.instance.ref import InstanceRef
import duckdb
import pytest

from pipeline import demo
from pipeline.definitions import INGEST_JOB, MARTS_JOB, SETTLE_SECONDS, build_definitions, defs, inbox_sensor
from pipeline.marts import grain
from pipeline.resources import OutcomesSettings

REPO = Path(__file__).resolve().parents[2]
PARTITIONS = "export_batches"
QUIET = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}


@pytest.fixture(scope="module")
def inbox(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("partitions") / "inbox"
    demo.write_demo(root, clinics=2, patients=300, seed=5, months=2)
    settled = time.time() - 2 * SETTLE_SECONDS
    for f in root.rglob("*"):
        os.utime(f, (settled, settled))
    return root


def test_the_deployed_definitions_have_the_partitions_sensor_and_schedule():
    dg.Definitions.validate_loadable(defs)
    raw_def = defs.resolve_assets_def(dg.AssetKey(["raw", "sessions"]))
    assert isinstance(raw_def.partitions_def, dg.DynamicPartitionsDefinition)
    assert raw_def.partitions_def.name == PARTITIONS
    assert defs.resolve_sensor_def("inbox_sensor").job_name == INGEST_JOB
    assert defs.resolve_schedule_def("marts_and_reports_hourly").job_name == MARTS_JOB
    ingest = defs.resolve_job_def(INGEST_JOB)
    assert {k.to_user_string() for k in ingest.asset_layer.executable_asset_keys} == {
        "raw/sessions", "raw/measurements", "staging/sessions", "staging/measurements",
        "quarantine/sessions", "quarantine/measurements"}
    assert ingest.executor_def.name == "in_process"  # measured: 5x cheaper per batch run
    # A batch's run checks every row against the contract and that nothing was lost; the
    # great-expectations suites run (blocking) in the marts build, once for every new batch.
    checks = {name: {k.name for k in defs.resolve_job_def(name).asset_layer.asset_graph.asset_check_keys}
              for name in (INGEST_JOB, MARTS_JOB)}
    assert checks[INGEST_JOB] == {"sessions_nothing_lost", "measurements_nothing_lost"}
    # ... and the marts' grain checks (unique keys, the suppression rule) block the reports.
    assert checks[MARTS_JOB] == {"sessions_contract_suite", "measurements_contract_suite",
                                 *(f"{mart}_grain" for mart in grain.GRAIN)}
    assert defs.resolve_implicit_global_asset_job_def() is not None


def _evaluate(instance, inbox: Path) -> dg.SensorResult:
    context = dg.build_sensor_context(instance=instance, resources={"settings": OutcomesSettings(inbox=str(inbox))})
    return inbox_sensor(context)


def test_the_sensor_registers_new_folders_and_runs_each_content_once(inbox, tmp_path):
    folders = sorted(p.name for p in inbox.iterdir())
    with dg.DagsterInstance.ephemeral() as instance:
        first = _evaluate(instance, inbox)
        assert [r.partition_keys for r in first.dynamic_partitions_requests] == [folders]
        assert [r.partition_key for r in first.run_requests] == folders
        instance.add_dynamic_partitions(PARTITIONS, folders)
        again = _evaluate(instance, inbox)
        assert again.dynamic_partitions_requests == []  # nothing new to register
        # the same run keys: Dagster launches a run key once, so an unchanged folder is not run again
        assert [r.run_key for r in again.run_requests] == [r.run_key for r in first.run_requests]


def test_the_sensor_waits_for_a_folder_being_written_and_reruns_a_corrected_one(inbox, tmp_path):
    copy = tmp_path / "inbox"
    copy.mkdir()
    name = sorted(p.name for p in inbox.iterdir())[0]
    (copy / name).mkdir()
    for f in (inbox / name).iterdir():
        (copy / name / f.name).write_bytes(f.read_bytes())  # written just now: still settling
    with dg.DagsterInstance.ephemeral() as instance:
        assert _evaluate(instance, copy).run_requests == []
        settled = time.time() - 2 * SETTLE_SECONDS
        for f in (copy / name).iterdir():
            os.utime(f, (settled, settled))
        before = _evaluate(instance, copy).run_requests[0].run_key
        manifest = copy / name / "manifest.json"
        manifest.write_text(manifest.read_text() + "\n")
        os.utime(manifest, (settled + 1, settled + 1))
        after = _evaluate(instance, copy).run_requests[0].run_key
    assert after != before


def _tables(path: Path) -> dict:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return {
            "effect_sizes": con.execute("select * from marts.effect_sizes order by all").fetchall(),
            "episode_outcomes": con.execute("select * from marts.episode_outcomes order by all").fetchall(),
            "clinic_benchmarks": con.execute("select * from marts.clinic_benchmarks order by all").fetchall(),
            "staging": con.execute("select * from staging.sessions order by all").fetchall()
            + con.execute("select * from staging.measurements order by all").fetchall(),
            "quarantine": con.execute("select * from quarantine.sessions order by all").fetchall()
            + con.execute("select * from quarantine.measurements order by all").fetchall(),
            "batches": con.execute("select batch_id, status, rows_raw, rows_staged, rows_quarantined "
                                   "from audit.batches order by all").fetchall(),
            "checks": con.execute("select batch_id, table_name, suite, expectation, column_name, success, "
                                  "unexpected_count from audit.checks order by all").fetchall(),
        }
    finally:
        con.close()


def _single_run(inbox: Path, tmp_path: Path) -> Path:
    """One run over the whole inbox, as `outcomes run` does; returns its warehouse file."""
    single = tmp_path / "single.duckdb"
    d = build_definitions(str(inbox), str(single), str(tmp_path / "reports-single"))
    with dg.DagsterInstance.ephemeral() as instance:
        assert d.resolve_implicit_global_asset_job_def().execute_in_process(instance=instance, run_config=QUIET).success
    return single


def _assert_same_tables(got: Path, want: Path) -> None:
    got_tables, want_tables = _tables(got), _tables(want)
    for name in want_tables:
        assert got_tables[name] == want_tables[name], name


@pytest.mark.parametrize("executor", ["in_process", "multiprocess"])
def test_partition_runs_in_parallel_combine_to_the_single_run(inbox, tmp_path, executor):
    folders = sorted(p.name for p in inbox.iterdir())
    single = _single_run(inbox, tmp_path)

    # Each batch in its own run, all at once, as the sensor launches them: separate processes on
    # one persistent instance, each under the job's in-process executor or the multiprocess one;
    # their writes to the one DuckDB file wait for each other (DuckDBResource retries while the
    # file is locked).
    home = tmp_path / "dagster_home"
    home.mkdir()
    parts = tmp_path / "partitions.duckdb"
    env = {**os.environ, "DAGSTER_HOME": str(home), "OUTCOMES_INBOX": str(inbox), "OUTCOMES_WAREHOUSE": str(parts),
           "OUTCOMES_REPORTS": str(tmp_path / "reports-parts"), "PYTHONPATH": str(REPO), "RUNNER_EXECUTOR": executor}
    with dg.DagsterInstance.from_ref(InstanceRef.from_dir(str(home))) as instance:
        instance.add_dynamic_partitions(PARTITIONS, folders)
    runs = [subprocess.Popen([sys.executable, "-m", "tests.partitions._runner", key], cwd=REPO, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for key in folders]
    outputs = [r.communicate(timeout=900)[0] for r in runs]
    failed = [out for r, out in zip(runs, outputs) if r.returncode != 0]
    assert not failed, failed[0][-3000:] if failed else ""

    with dg.DagsterInstance.from_ref(InstanceRef.from_dir(str(home))) as instance:
        records = instance.get_run_records()
        assert sorted(r.dagster_run.tags["dagster/partition"] for r in records) == folders
        assert all(r.dagster_run.is_success for r in records)
        overlapping = sum(1 for a in records for b in records if a is not b
                          and a.start_time < b.end_time and b.start_time < a.end_time)
        assert overlapping > 0  # the partition runs did run at the same time
        d = build_definitions(str(inbox), str(parts), str(tmp_path / "reports-parts"))
        assert d.resolve_job_def(MARTS_JOB).execute_in_process(instance=instance, run_config=QUIET).success

    _assert_same_tables(parts, single)


def test_a_single_run_backfill_of_every_partition_equals_the_single_run(inbox, tmp_path):
    folders = sorted(p.name for p in inbox.iterdir())
    single = _single_run(inbox, tmp_path)
    ranged = tmp_path / "range.duckdb"
    d = build_definitions(str(inbox), str(ranged), str(tmp_path / "r2"))
    with dg.DagsterInstance.ephemeral() as instance:
        instance.add_dynamic_partitions(PARTITIONS, folders)
        tags = {"dagster/asset_partition_range_start": folders[0], "dagster/asset_partition_range_end": folders[-1]}
        assert d.resolve_job_def(INGEST_JOB).execute_in_process(instance=instance, tags=tags, run_config=QUIET).success
        assert d.resolve_job_def(MARTS_JOB).execute_in_process(instance=instance, run_config=QUIET).success
    _assert_same_tables(ranged, single)


def test_the_schedule_builds_the_marts_only_after_new_batches():
    from pipeline.definitions import marts_schedule

    def requests(instance) -> int:
        data = marts_schedule.evaluate_tick(dg.build_schedule_context(instance=instance))
        return len(data.run_requests or [])

    with dg.instance_for_test() as instance:
        assert requests(instance) == 0  # nothing staged yet
        instance.report_runless_asset_event(dg.AssetMaterialization(dg.AssetKey(["staging", "measurements"])))
        assert requests(instance) == 1
        instance.report_runless_asset_event(dg.AssetMaterialization(dg.AssetKey(["marts", "effect_sizes"])))
        assert requests(instance) == 0  # the marts are newer than the last batch
