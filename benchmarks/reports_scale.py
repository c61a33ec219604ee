"""How the reports scale with the number of clinics: a large warehouse tiled from a real one,
and the seconds ``build_reports`` takes on it (measurement only: the tiled warehouse is not a
real network; its network-level rows stay those of the source).

    python benchmarks/reports_scale.py tile SOURCE.duckdb OUT.duckdb --clinics 4000
    python benchmarks/reports_scale.py build WAREHOUSE.duckdb OUT_DIR [--profile STATS] [--no-pdf]
                                            [--dashboards-only] [--limit N]

``tile`` copies SOURCE and appends renamed copies of every clinic-level row of the tables the
reports read (effect sizes, completeness, benchmarks, trends, dose-response points, batches and
their files, expectation results, quarantined rows) until there are ``--clinics`` clinics; a
copied clinic ``c001`` becomes ``c0151``, ``c0301``, ... (its batches alike). The tests' many-clinic
run uses ``tile`` too (``tests/reports/demo.py``).

``build`` times ``pipeline.reports.build_reports`` on a warehouse (opened read-only), then the
dashboards alone (every clinic page built and written again, single process), and prints both;
``--profile`` writes the cProfile statistics of the dashboards' loop and prints the top entries;
``--dashboards-only`` skips ``build_reports``, ``--limit N`` times the first N dashboards only
(for code too slow to write them all: the seconds per dashboard are printed).
Wall seconds and this process's CPU seconds are printed (on a shared machine the CPU seconds
are the steadier figure). Run it with ``PYTHONPATH=<an older checkout>`` to time older code on the
same warehouse.
"""
from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import shutil
import sys
import tempfile
import time
from pathlib import Path

import duckdb

# (table, filter of the clinic-level rows, renamed columns: column -> expression over the copy m)
CLINIC_ID = "m.new_clinic"
TILED = (
    ("marts.effect_sizes", "clinic_id", "t.level = 'clinic'", {"clinic_id": CLINIC_ID}),
    ("marts.completeness", "clinic_id", "t.level = 'clinic'", {"clinic_id": CLINIC_ID}),
    ("marts.clinic_benchmarks", "clinic_id", "true", {"clinic_id": CLINIC_ID}),
    ("marts.clinic_trends", "clinic_id", "t.level = 'clinic'", {"clinic_id": CLINIC_ID}),
    ("marts.dose_response_points", "clinic_id", "t.clinic_id is not null", {"clinic_id": CLINIC_ID}),
)
# tables of batches: joined on the batch id to the copies of the clinic's batches (batch_map)
BY_BATCH = (
    ("audit.batches", "batch_id", {"batch_id": "m.new_batch", "clinic_id": CLINIC_ID}),
    ("audit.batch_files", "batch_id", {"batch_id": "m.new_batch"}),
    ("audit.checks", "batch_id", {"batch_id": "m.new_batch"}),
    ("quarantine.sessions", "_batch_id", {"_batch_id": "m.new_batch", "clinic_id": CLINIC_ID}),
    ("quarantine.measurements", "_batch_id", {"_batch_id": "m.new_batch", "clinic_id": CLINIC_ID}),
)


def tile(source: Path, out: Path, clinics: int, quiet: bool = False) -> Path:
    """Copy ``source`` to ``out`` and append renamed copies of its clinics' rows until there are
    ``clinics`` clinics: copy n of clinic i is ``c<n:04d>``, its batches renamed alike
    (``c001-2026-01`` -> ``c0151-2026-01``), so no page of a copy names another clinic."""
    started = time.perf_counter()
    out.parent.mkdir(parents=True, exist_ok=True)
    for stale in (out, out.with_name(out.name + ".wal")):
        stale.unlink(missing_ok=True)
    shutil.copy(source, out)
    con = duckdb.connect(str(out))
    try:
        base = [r[0] for r in con.execute(
            "select distinct clinic_id from audit.batches where clinic_id is not null order by 1").fetchall()]
        pairs = [(base[n % len(base)], f"c{n + 1:04d}") for n in range(len(base), clinics)]
        con.execute("create temp table clinic_map (clinic_id varchar, new_clinic varchar)")
        con.executemany("insert into clinic_map values (?, ?)", pairs)
        con.execute("""create temp table batch_map as
            select b.batch_id, m.clinic_id, m.new_clinic,
                   case when starts_with(b.batch_id, m.clinic_id)
                        then m.new_clinic || substr(b.batch_id, length(m.clinic_id) + 1)
                        else b.batch_id || '~' || m.new_clinic end as new_batch
            from audit.batches b join clinic_map m on b.clinic_id = m.clinic_id""")
        for table, key, where, renamed in TILED:
            replace = ", ".join(f"{expr} as {col}" for col, expr in renamed.items())
            con.execute(f"insert into {table} select t.* replace ({replace}) from {table} t "  # noqa: S608 - constants
                        f"join clinic_map m on t.{key} = m.clinic_id where {where}")
        for table, key, renamed in BY_BATCH:
            replace = ", ".join(f"{expr} as {col}" for col, expr in renamed.items())
            con.execute(f"insert into {table} select t.* replace ({replace}) from {table} t "  # noqa: S608 - constants
                        f"join batch_map m on t.{key} = m.batch_id")
        con.execute("checkpoint")
        counts = {t[0]: con.execute(f"select count(*) from {t[0]}").fetchone()[0]  # noqa: S608
                  for t in (*TILED, *BY_BATCH)}
        total = con.execute("select count(distinct clinic_id) from marts.effect_sizes where level = 'clinic'").fetchone()[0]
    finally:
        con.close()
    if not quiet:
        print(f"tiled {source} into {out}: {total} clinics in {time.perf_counter() - started:.1f} s")
        for table, n in counts.items():
            print(f"  {table}: {n:,} rows")
    return out


def build(warehouse: Path, out_dir: Path, profile: Path | None, pdf: bool, whole: bool = True,
          limit: int | None = None) -> None:
    from pipeline import contract
    from pipeline.reports import browser, build_reports, clinics, pages
    from pipeline.reports.data import load

    if not pdf:
        def missing():
            raise browser.BrowserMissing("--no-pdf")
        browser.find_browser = missing
    # a copy: the warehouse may be open elsewhere (DuckDB allows one writer, or readers only)
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / warehouse.name
        shutil.copy(warehouse, copy)
        con = duckdb.connect(str(copy), read_only=True)
        try:
            run_id = con.execute("select run_id from audit.runs order by started_at desc limit 1").fetchone()[0]
            settings = contract.Settings()
            written, seconds, cpu = [], None, None
            if whole:
                started, cpu_started = time.perf_counter(), time.process_time()
                written = build_reports(con, out_dir, run_id, settings)
                seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
            started = time.perf_counter()
            data = load(con, run_id, settings)
            loaded = time.perf_counter() - started
        finally:
            con.close()
    env, common = pages.environment(), pages.common_context(data)
    ids = data.clinic_ids()[:limit]
    (out_dir / "clinics").mkdir(parents=True, exist_ok=True)
    profiler = cProfile.Profile() if profile else None
    started, cpu_started = time.perf_counter(), time.process_time()
    if profiler:
        profiler.enable()
    for clinic_id in ids:
        pages.write(env, out_dir, clinics.page(data, clinic_id), common)
    if profiler:
        profiler.disable()
    dashboards, dashboards_cpu = time.perf_counter() - started, time.process_time() - cpu_started
    size = sum((out_dir / "clinics" / f"{c}.html").stat().st_size for c in ids)
    index = (out_dir / "index.html").stat().st_size if (out_dir / "index.html").is_file() else 0
    print(f"{warehouse.name}: {len(data.clinic_ids())} clinics, {len(written)} files")
    if seconds is not None:
        print(f"  build_reports (every page, PDFs {'on' if pdf else 'off'}): {seconds:.1f} s "
              f"(CPU of this process: {cpu:.1f} s)")
    print(f"  load: {loaded:.1f} s; {len(ids)} dashboards alone: {dashboards:.1f} s, CPU {dashboards_cpu:.1f} s "
          f"({1000 * dashboards / max(len(ids), 1):.1f} ms each, {size / max(len(ids), 1) / 1024:.0f} kB each); "
          f"index.html {index / 1024:.0f} kB")
    if profiler:
        profiler.dump_stats(str(profile))
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(25)
        print(text.getvalue())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    t = sub.add_parser("tile", help="a many-clinic warehouse tiled from a real one")
    t.add_argument("source", type=Path)
    t.add_argument("out", type=Path)
    t.add_argument("--clinics", type=int, default=4000)
    b = sub.add_parser("build", help="time the reports of a warehouse")
    b.add_argument("warehouse", type=Path)
    b.add_argument("out_dir", type=Path)
    b.add_argument("--profile", type=Path, help="write the dashboards' cProfile statistics here")
    b.add_argument("--no-pdf", action="store_true", help="do not print the evidence PDFs")
    b.add_argument("--dashboards-only", action="store_true", help="time the dashboards alone, not build_reports")
    b.add_argument("--limit", type=int, help="time the first N dashboards only")
    args = parser.parse_args(argv)
    if args.command == "tile":
        tile(args.source, args.out, args.clinics)
    else:
        build(args.warehouse, args.out_dir, args.profile, pdf=not args.no_pdf, whole=not args.dashboards_only,
              limit=args.limit)
    return 0


if __name__ == "__main__":
    sys.exit(main())
