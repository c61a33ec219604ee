"""The benchmark scripts are run by hand, not by the tests, so an API they import can move
without anyone noticing until the next measurement (benchmarks/partition_run.py imported a
helper of pipeline.cli that 0.3.0 had moved, and the incremental benchmark failed at 10M).
Each script is imported here, its main guarded, so that its imports at least resolve."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

BENCHMARKS = sorted((Path(__file__).resolve().parents[2] / "benchmarks").glob("*.py"))


@pytest.mark.parametrize("script", BENCHMARKS, ids=lambda p: p.name)
def test_a_benchmark_script_imports(script, monkeypatch):
    monkeypatch.syspath_prepend(str(script.parent))
    spec = importlib.util.spec_from_file_location(f"_benchmark_{script.stem}", script)
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)
    spec.loader.exec_module(module)  # runs its imports, not its main (guarded by __name__)
    assert module.__name__ != "__main__"


def test_there_are_benchmark_scripts():
    assert len(BENCHMARKS) >= 5
