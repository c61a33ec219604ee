"""Measure ``outcomes run --shards``: the shard job with 1 and with 2 shards (and the plain single
run) on one inbox, fresh warehouses each time; per-step seconds (each shard, the merge).

    .venv/bin/python tests/aggregates/bench_shards.py /tmp/aggmerge-bench/inbox-1M /tmp/aggmerge-bench/work

Not collected by pytest (a benchmark, minutes). Prints one JSON line per run.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("OUTCOMES_NETWORK_KEY", "aggregates-bench-network-key-0123456789abcdef")


def _uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def _fresh(work: Path, name: str) -> Path:
    wh = work / f"{name}.duckdb"
    for p in (wh, wh.with_name(wh.name + ".shards"), work / f"{name}-reports"):
        shutil.rmtree(p, ignore_errors=True) if p.is_dir() else p.unlink(missing_ok=True)
    return wh


def sharded(inbox: Path, work: Path, shards: int) -> dict:
    from pipeline.aggregates.job import ShardSettings, run_sharded

    wh = _fresh(work, f"shards{shards}")
    load = _uptime()
    cpu = os.times()
    seconds, steps = run_sharded(ShardSettings(inbox=str(inbox), warehouse=str(wh), reports=None, shards=shards))
    after = os.times()
    return {"run": f"shard job, {shards} shard(s)", "seconds": round(seconds, 1),
            "steps": {k: round(v, 1) for k, v in steps.items()},
            "children_cpu_s": round((after.children_user + after.children_system) - (cpu.children_user + cpu.children_system), 1),
            "uptime_before": load, "uptime_after": _uptime()}


def single(inbox: Path, work: Path) -> dict:
    wh = _fresh(work, "single")
    load = _uptime()
    started = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "pipeline.cli", "run", "--inbox", str(inbox), "--warehouse", str(wh),
                          "--reports", str(work / "single-reports")], capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if out.returncode:
        raise SystemExit(out.stderr)
    steps = [line for line in out.stdout.splitlines() if line.startswith(("Steps", "Done", "Batches", "Episodes"))]
    return {"run": "outcomes run (single, with reports)", "seconds": round(seconds, 1), "summary": steps,
            "uptime_before": load, "uptime_after": _uptime()}


def main(argv: list[str]) -> None:
    inbox, work = Path(argv[0]), Path(argv[1])
    work.mkdir(parents=True, exist_ok=True)
    runs = argv[2].split(",") if len(argv) > 2 else ["1", "2", "single"]
    for r in runs:
        result = single(inbox, work) if r == "single" else sharded(inbox, work, int(r))
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
