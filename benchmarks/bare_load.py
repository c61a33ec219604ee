"""The floor: DuckDB merely loading the export files into tables, reading the input once.

    python benchmarks/bare_load.py INBOX WAREHOUSE.duckdb [MEMORY_LIMIT]

Files are grouped by table, format and identical header (Parquet: identical column names),
and each group is loaded with one ``read_csv``/``read_parquet`` over its file list into its
own table of a fresh DuckDB file, types sniffed. No checks, no lineage, no transactions per
batch: the least any pipeline over these files has to do.
"""
from __future__ import annotations

import sys
import time
from collections import defaultdict
from pathlib import Path

import duckdb
import pyarrow.parquet as pq


def header(path: Path) -> tuple[str, ...]:
    if path.suffix == ".parquet":
        return tuple(pq.read_schema(path).names)
    with open(path, "rb") as fh:
        return tuple(fh.readline().decode("utf-8-sig").strip().split(","))


def main(inbox: Path, db: Path, memory_limit: str | None = None) -> None:
    started = time.perf_counter()
    for stale in (db, db.with_name(db.name + ".wal")):
        stale.unlink(missing_ok=True)
    con = duckdb.connect(str(db), config={"memory_limit": memory_limit} if memory_limit else {})
    groups: dict[tuple, list[str]] = defaultdict(list)
    for folder in sorted(p for p in inbox.iterdir() if p.is_dir()):
        for path in sorted(folder.iterdir()):
            if path.suffix in (".csv", ".parquet"):
                groups[(path.stem, path.suffix, header(path))].append(str(path))
    rows = 0
    for i, ((table, suffix, _), files) in enumerate(sorted(groups.items())):
        reader = "read_csv($files, header = true)" if suffix == ".csv" else "read_parquet($files)"
        con.execute(f"create table {table}_{i} as select * from {reader}", {"files": files})
        rows += con.execute(f"select count(*) from {table}_{i}").fetchone()[0]
    con.close()
    print(f"loaded {rows} rows from {sum(len(f) for f in groups.values())} files in {len(groups)} groups "
          f"in {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3] if len(sys.argv) > 3 else None)
