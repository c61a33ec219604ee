"""The benchmark scripts are run by hand, not by the tests, so an API they import can move
without anyone noticing until the next measurement (benchmarks/partition_run.py imported a
helper of pipeline.cli that 0.3.0 had moved, and the incremental benchmark failed at 10M).
Each script is imported here, its main guarded, so that its imports at least resolve; and every
import of the pipeline inside a function (run only when the script runs) is resolved too
(benchmarks/intake_steps.py imported ``pipeline.models``, gone since 0.3.0)."""
from __future__ import annotations

import ast
import importlib
import importlib.util
import sys
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from pipeline import demo
from pipeline.definitions import MARTS_JOB, build_definitions

BENCHMARKS = sorted((Path(__file__).resolve().parents[2] / "benchmarks").glob("*.py"))


@pytest.mark.parametrize("script", BENCHMARKS, ids=lambda p: p.name)
def test_a_benchmark_script_imports(script, monkeypatch):
    monkeypatch.syspath_prepend(str(script.parent))
    spec = importlib.util.spec_from_file_location(f"_benchmark_{script.stem}", script)
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)
    spec.loader.exec_module(module)  # runs its imports, not its main (guarded by __name__)
    assert module.__name__ != "__main__"


def _pipeline_imports(script: Path) -> list[tuple[str, str | None]]:
    """(module, name) of every ``import pipeline...`` / ``from pipeline... import name`` anywhere in the script."""
    found = []
    for node in ast.walk(ast.parse(script.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "pipeline":
            found += [(node.module, alias.name) for alias in node.names]
        elif isinstance(node, ast.Import):
            found += [(alias.name, None) for alias in node.names if alias.name.split(".")[0] == "pipeline"]
    return found


@pytest.mark.parametrize("script", BENCHMARKS, ids=lambda p: p.name)
def test_every_pipeline_import_of_a_benchmark_script_resolves(script):
    for module, name in _pipeline_imports(script):
        imported = importlib.import_module(module)
        if name is not None and not hasattr(imported, name):
            importlib.import_module(f"{module}.{name}")  # a submodule: raises if it is not one either


def test_the_import_scan_sees_imports_inside_functions():
    assert ("pipeline", "reference") in _pipeline_imports(Path(__file__).resolve().parents[2] / "benchmarks" / "intake_steps.py")


def test_there_are_benchmark_scripts():
    assert len(BENCHMARKS) >= 5


def test_partition_run_times_a_batch_run_then_the_schedules_marts_build(tmp_path, monkeypatch, capsys):
    """The benchmark's (d): a held-back batch's partition run, then the schedule's marts build
    on that warehouse, into the reports folder of the run before it (its unchanged pages kept)."""
    monkeypatch.syspath_prepend(str(BENCHMARKS[0].parent))
    partition_run = importlib.import_module("partition_run")
    inbox, warehouse, reports = tmp_path / "inbox", tmp_path / "w.duckdb", tmp_path / "reports"
    demo.write_demo(inbox, clinics=2, patients=120, seed=3, months=2)
    held = sorted(p.name for p in inbox.iterdir())[-1]
    (inbox / held).rename(tmp_path / held)
    with dg.DagsterInstance.ephemeral() as instance:  # the full run before the batch arrives
        everything = build_definitions(str(inbox), str(warehouse), str(reports)).resolve_implicit_global_asset_job_def()
        assert everything.execute_in_process(instance=instance, run_config=partition_run.QUIET).success
    (tmp_path / held).rename(inbox / held)

    assert partition_run.main(str(inbox), str(warehouse), held) == 0
    assert partition_run.main(str(inbox), str(warehouse), str(reports), marts=True) == 0
    batch_line, marts_line = capsys.readouterr().out.strip().splitlines()[-2:]
    assert batch_line.startswith(f"ingest_batches[{held}] succeeded in ")
    assert marts_line.startswith(f"{MARTS_JOB} succeeded in ") and "reports__index" in marts_line
    with duckdb.connect(str(warehouse), read_only=True) as con:
        batches = {b for (b,) in con.execute("select distinct _batch_id from intermediate.int_sessions").fetchall()}
    assert held in batches  # the marts build saw the new batch
