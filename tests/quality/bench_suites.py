"""What the great-expectations suites cost, on demo data (not a test; docs/quality.md quotes it).

    .venv/bin/python -m tests.quality.bench_suites --patients 150000 --rows 10000,100000,250000,1000000

writes a demo inbox (2 clinics x 6 months; 150,000 patients give about 1M sessions and 2.8M
scores), loads and stages it, then times importing great-expectations, pulling the staged rows
(DuckDB -> Arrow -> pandas) and validating each table's suite on the first N rows. Wall and CPU
seconds are both printed, with the load average: on a shared machine the CPU figure is the
stable one.
"""
from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import duckdb

from pipeline import contract, demo, ingest, reference, staging, suites, warehouse


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--patients", type=int, default=150_000)
    p.add_argument("--rows", default="10000,100000,250000,1000000")
    p.add_argument("--workdir", default=None, help="keep the inbox and warehouse here (reused when present)")
    args = p.parse_args()
    root = Path(args.workdir or tempfile.mkdtemp(prefix="bench-ge-"))
    wh = root / "bench.duckdb"
    if not wh.exists():
        demo.write_demo(root / "inbox", clinics=2, patients=args.patients, months=6, seed=5)
        con = duckdb.connect(str(wh))
        warehouse.ensure_schema(con)
        reference.load_reference(con)
        ingest.receive_inbox(con, root / "inbox")
        staging.stage_pending(con)
        con.close()
    con = duckdb.connect(str(wh), read_only=True)
    batches = [r[0] for r in con.execute("select batch_id from audit.batches where status = 'accepted'").fetchall()]
    wall, cpu = time.perf_counter(), time.process_time()
    suites._context()
    print(json.dumps({"step": "import great_expectations", "wall_s": round(time.perf_counter() - wall, 2),
                      "cpu_s": round(time.process_time() - cpu, 2), "load": round(os.getloadavg()[0], 1)}), flush=True)
    for table in contract.TABLES:
        for n in map(int, args.rows.split(",")):
            params = {**contract.rule_params(), "batch_ids": batches, "table_name": table, "stride": 1, "all_batches": True}
            wall = time.perf_counter()
            df = warehouse.frame(con, f"suites/{table}_sample", params).head(n)
            pulled = time.perf_counter() - wall
            wall, cpu = time.perf_counter(), time.process_time()
            results = suites.validate_frame(table, df)
            print(json.dumps({"step": f"validate {table}", "rows": len(df), "expectations": len(results),
                              "pull_wall_s": round(pulled, 2), "wall_s": round(time.perf_counter() - wall, 2),
                              "cpu_s": round(time.process_time() - cpu, 2), "passed": all(r.success for r in results),
                              "load": round(os.getloadavg()[0], 1)}), flush=True)
    con.close()


if __name__ == "__main__":
    main()
