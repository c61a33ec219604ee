"""The agg layer on a benchmark warehouse: a full build against an incremental one after one
clinic changed (issue 11; docs/scaling.md "What is still redone").

    .venv/bin/python benchmarks/agg_incremental.py <warehouse.duckdb> [--batch BATCH_ID] [--rounds N]

Works on a copy of the warehouse (next to it, removed at the end). Each round: the full build
(audit.agg_inputs dropped: every clinic, every table), then the batch's staged rows removed and
put back, each followed by the incremental episodes and outcomes and the incremental agg build
(one clinic). After each incremental build every agg table is checked against a full build of
the same rows, bit for bit (EXCEPT ALL both ways). Prints wall and CPU seconds (CPU: the whole
process, DuckDB's threads included) and the load average."""
from __future__ import annotations

import argparse
import logging
import os
import shutil
import sys
import time
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipeline import agg, contract, intermediate  # noqa: E402


def _timed(fn) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


def _full(con) -> None:
    con.execute("drop table if exists audit.agg_inputs")
    agg.build_all(con)


def _snapshot(con) -> None:
    for table in agg.TABLES:
        con.execute(f"create or replace temp table snap_{table} as select * from agg.{table}")  # names: constants


def _differing_rows(con) -> int:
    return sum(con.execute(f"select (select count(*) from (select * from snap_{t} except all select * from agg.{t})) + "
                           f"(select count(*) from (select * from agg.{t} except all select * from snap_{t}))").fetchone()[0]
               for t in agg.TABLES)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("warehouse")
    ap.add_argument("--batch", default="c011-2026-04", help="the batch whose clinic changes (removed, then put back)")
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args()
    copy = Path(args.warehouse).with_suffix(".agg-bench.duckdb")
    shutil.copyfile(args.warehouse, copy)
    logging.basicConfig(level=logging.WARNING)
    con = duckdb.connect(str(copy))
    settings = contract.Settings()
    try:
        intermediate.build_episodes(con, settings)
        intermediate.build_episode_outcomes(con)
        agg.build_all(con)
        for schema, table in (("staging", "sessions"), ("staging", "measurements")):
            con.execute(f"create temp table held_{table} as select * from {schema}.{table} where _batch_id = ?", [args.batch])
        clinic = con.execute("select any_value(clinic_id) from held_sessions").fetchone()[0]
        print(f"load {os.getloadavg()[0]:.1f}; batch {args.batch} of clinic {clinic}: "
              f"{con.execute('select count(*) from held_sessions').fetchone()[0]} sessions")
        for r in range(args.rounds):
            wall, cpu = _timed(lambda: _full(con))
            print(f"round {r + 1}: full agg build {wall:.2f} s wall ({cpu:.2f} CPU), load {os.getloadavg()[0]:.1f}")
            for step in ("removed", "put back"):
                for table in ("sessions", "measurements"):
                    if step == "removed":
                        con.execute(f"delete from staging.{table} where _batch_id = ?", [args.batch])
                    else:
                        con.execute(f"insert into staging.{table} select * from held_{table}")
                ewall, ecpu = _timed(lambda: (intermediate.build_episodes(con, settings),
                                              intermediate.build_episode_outcomes(con)))
                wall, cpu = _timed(lambda: agg.build_all(con))
                _snapshot(con)
                _full(con)
                print(f"  batch {step}: episodes + outcomes {ewall:.2f} s ({ecpu:.2f} CPU); incremental agg build "
                      f"{wall:.2f} s wall ({cpu:.2f} CPU); rows differing from a full build: {_differing_rows(con)}")
    finally:
        con.close()
        copy.unlink(missing_ok=True)
        Path(str(copy) + ".wal").unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
