"""Receiving and staging alone, in-process, with their CPU seconds beside the floor's (issue 11).

    python benchmarks/intake_steps.py INBOX [--rounds 2] [--memory-limit 3GB] [--work /tmp/intake-steps]

Each round times, one after the other: the floor (``benchmarks/bare_load.py`` in a subprocess),
then on a fresh warehouse the receiving of every batch folder and the two staging splits
(sessions, then scores) in this process, each with its wall and CPU seconds (all of DuckDB's
threads). CPU seconds are the comparison on a shared machine, where wall seconds follow the
load. To time another version of the pipeline (the "before" of docs/scaling.md), run this file
with ``PYTHONPATH`` set to that version's tree: ``ingest.receive_batches`` is used when it
exists, else ``ingest.receive`` folder by folder.
"""
from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def floor(inbox: Path, work: Path, memory_limit: str) -> tuple[float, float]:
    db = work / "floor.duckdb"
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run([sys.executable, str(HERE / "bare_load.py"), str(inbox), str(db), memory_limit],
                   check=True, capture_output=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    db.unlink(missing_ok=True)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def intake(inbox: Path, work: Path, memory_limit: str) -> dict[str, tuple[float, float]]:
    from pipeline import ingest, reference, staging, warehouse

    db = work / "intake.duckdb"
    for stale in (db, db.with_name(db.name + ".wal")):
        stale.unlink(missing_ok=True)
    con = warehouse.connect(db, memory_limit=memory_limit)
    warehouse.ensure_schema(con)
    reference.load_reference(con)
    folders = ingest.discover(inbox)
    steps, mark = {}, (time.perf_counter(), _cpu())

    def done(name: str) -> None:
        nonlocal mark
        now = (time.perf_counter(), _cpu())
        steps[name] = (now[0] - mark[0], now[1] - mark[1])
        mark = now

    with ingest.fewer_checkpoints(con):
        if hasattr(ingest, "receive_batches"):
            ingest.receive_batches(con, folders)
        else:
            for folder in folders:
                ingest.receive(con, folder)
    done("receiving")
    staging.stage_sessions(con, staging.pending_batches(con, "sessions"))
    done("staging sessions")
    staging.stage_measurements(con, staging.pending_batches(con, "measurements"))
    done("staging scores")
    con.close()
    for stale in (db, db.with_name(db.name + ".wal")):
        stale.unlink(missing_ok=True)
    return steps


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("inbox", type=Path)
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--memory-limit", default="3GB")
    p.add_argument("--work", type=Path, default=Path("/tmp/intake-steps"))
    args = p.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    for i in range(1, args.rounds + 1):
        print(f"round {i}, load {os.getloadavg()[0]:.1f}", flush=True)
        f_wall, f_cpu = floor(args.inbox, args.work, args.memory_limit)
        print(f"  floor (bare load)      wall {f_wall:7.2f} s   cpu {f_cpu:7.2f} s", flush=True)
        steps = intake(args.inbox, args.work, args.memory_limit)
        for name, (wall, cpu) in steps.items():
            print(f"  {name:<22} wall {wall:7.2f} s   cpu {cpu:7.2f} s", flush=True)
        wall, cpu = sum(w for w, _ in steps.values()), sum(c for _, c in steps.values())
        print(f"  receiving + staging    wall {wall:7.2f} s   cpu {cpu:7.2f} s   = {wall / f_wall:.2f}x the floor "
              f"in wall time, {cpu / f_cpu:.2f}x in CPU (target <= 1.5)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
