"""Are parallel partition runs worth it on one machine? Times K export batches loaded three ways:

  (1) one single-run backfill of the K partitions (BackfillPolicy.single_run), in-process;
  (2) K partition runs one after another, each in its own process (what the sensor launches,
      one at a time), under the multiprocess executor and under the in-process executor;
  (3) the same K runs, ``--parallel`` at a time (the run queue allowing parallel runs).

    .venv/bin/python benchmarks/parallel_partitions.py BATCHES_DIR [--batches 8] [--parallel 2]

Each way starts from an empty warehouse; the staged rows must come out identical. Runs use a
persistent Dagster instance in a temporary DAGSTER_HOME, like ``dagster dev``.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import dagster as dg
import duckdb
from dagster._core.instance.ref import InstanceRef

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pipeline.definitions import INGEST_JOB, PARALLEL_STEPS, build_definitions  # noqa: E402

QUIET = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}


def ingest_job() -> dg.JobDefinition:
    """The deployed job, reconstructable (each step's process loads this file again)."""
    executor = (dg.multiprocess_executor.configured({"max_concurrent": PARALLEL_STEPS})
                if os.environ.get("BENCH_EXECUTOR", "multiprocess") == "multiprocess" else dg.in_process_executor)
    defs = build_definitions(os.environ["OUTCOMES_INBOX"], os.environ["OUTCOMES_WAREHOUSE"], tempfile.gettempdir(),
                             ingest_executor=executor)
    return defs.resolve_job_def(INGEST_JOB)


def worker(key: str) -> int:
    warnings.filterwarnings("ignore")
    with dg.DagsterInstance.get() as instance:
        result = dg.execute_job(dg.reconstructable(ingest_job), instance=instance, tags={"dagster/partition": key},
                                run_config=QUIET)
    return 0 if result.success else 1


def staged(warehouse: Path) -> tuple:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return (con.execute("select * from staging.sessions order by all").fetchall(),
                con.execute("select * from staging.measurements order by all").fetchall())
    finally:
        con.close()


def separate_runs(inbox: Path, root: Path, keys: list[str], parallel: int, executor: str) -> tuple[float, Path]:
    home, warehouse = root / f"home-{executor}-{parallel}", root / f"runs-{executor}-{parallel}.duckdb"
    home.mkdir()
    env = {**os.environ, "DAGSTER_HOME": str(home), "OUTCOMES_INBOX": str(inbox), "OUTCOMES_WAREHOUSE": str(warehouse),
           "BENCH_EXECUTOR": executor}
    with dg.DagsterInstance.from_ref(InstanceRef.from_dir(str(home))) as instance:
        instance.add_dynamic_partitions("export_batches", keys)

    def one(key: str) -> int:
        return subprocess.run([sys.executable, __file__, "--worker", key], env=env, cwd=REPO,
                              capture_output=True, text=True).returncode

    started = time.perf_counter()
    with ThreadPoolExecutor(parallel) as pool:
        codes = list(pool.map(one, keys))
    seconds = time.perf_counter() - started
    if any(codes):
        raise SystemExit(f"a partition run failed: {codes}")
    return seconds, warehouse


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("batches_dir", nargs="?")
    p.add_argument("--batches", type=int, default=8)
    p.add_argument("--parallel", type=int, default=2)
    p.add_argument("--worker", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        return worker(args.worker)
    warnings.filterwarnings("ignore")
    root = Path(tempfile.mkdtemp(prefix="outcomes-partitions-"))
    inbox = root / "inbox"
    inbox.mkdir()
    folders = sorted(p for p in Path(args.batches_dir).iterdir() if p.is_dir())[: args.batches]
    for f in folders:
        (inbox / f.name).symlink_to(f.resolve(), target_is_directory=True)
    keys = [f.name for f in folders]

    single = root / "single.duckdb"
    d = build_definitions(str(inbox), str(single), tempfile.gettempdir())
    started = time.perf_counter()
    with dg.DagsterInstance.ephemeral() as instance:
        instance.add_dynamic_partitions("export_batches", keys)
        tags = {"dagster/asset_partition_range_start": keys[0], "dagster/asset_partition_range_end": keys[-1]}
        assert d.resolve_job_def(INGEST_JOB).execute_in_process(instance=instance, tags=tags, run_config=QUIET).success
    one_run = time.perf_counter() - started

    lines, same = [], True
    for executor in ("multiprocess", "in_process"):
        serial, serial_wh = separate_runs(inbox, root, keys, 1, executor)
        parallel, parallel_wh = separate_runs(inbox, root, keys, args.parallel, executor)
        same = same and staged(single) == staged(serial_wh) == staged(parallel_wh)
        lines.append(f"  {len(keys)} partition runs, {executor} executor: one at a time {serial:.1f} s "
                     f"({serial / len(keys):.1f} s a run), {args.parallel} at a time {parallel:.1f} s (x{serial / parallel:.2f})")
    print(f"{len(keys)} batches: one single-run backfill (in-process) {one_run:.1f} s")
    print("\n".join(lines))
    print(f"  staged rows identical in every way: {same}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
