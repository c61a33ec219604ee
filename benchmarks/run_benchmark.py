"""Speed and scale benchmark (issue 6), run by hand: ``make benchmark`` or

    .venv/bin/python benchmarks/run_benchmark.py --sizes 1M,3M [--memory-limit 3GB] [--root /tmp/outcomes-bench]

For each size it generates the demo network (``pipeline.demo``, cached under ``--root``), holds
back one export batch of about 1% of the sessions, and times on the same files:

  (a) the floor: DuckDB merely loading the files into tables (``benchmarks/bare_load.py``);
  (b) ``outcomes run`` end to end on a fresh warehouse, stage by stage (its "Steps" line);
  (c) a straightforward pandas + scipy script computing marts.effect_sizes
      (``benchmarks/pandas_effect_sizes.py``), checked against (b) (``benchmarks/compare.py``);
  (d) the held-back batch arriving: as the sensor's partition run of that batch, then the
      schedule's marts build after it (both ``benchmarks/partition_run.py``, on a copy of (b)'s
      warehouse and reports), and as a second ``outcomes run`` on (b)'s warehouse.

With ``--clinics-axis 40,400,4000`` it instead spreads the same sessions (``--axis-sessions``,
default 537k, in ``--axis-months`` monthly batches per clinic) over that many clinics and prints
every stage's time for each count, side by side: same sessions, more clinics must cost about
the same (only receiving pays per batch).

Each is a subprocess; wall and CPU seconds and the peak resident memory of its whole process
tree (sampled every 50 ms) are printed with the ratios the issue sets as targets. Results are
also written to ``<root>/results-<size>.json``. Nothing is written inside the repository.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import psutil

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(HERE))

import compare  # noqa: E402  (benchmarks/compare.py)

PY = sys.executable
OUTCOMES = str(Path(sys.executable).with_name("outcomes"))
SIZES = {"1M": 1_000_000, "3M": 3_000_000, "10M": 10_000_000}
SESSIONS_PER_PATIENT = 6.52  # of the demo generator (measured: 991,716 sessions for 152,000 patients)
TARGETS = {"vs_floor": 1.5, "vs_pandas_speed": 3.0, "vs_pandas_memory": 0.25, "peak_gb": 4.0, "new_batch_share": 0.05,
           "marts_after_batch_share": 0.20}


@dataclass
class Measured:
    wall: float
    cpu: float
    peak_mb: float
    stdout: str = field(repr=False, default="")
    failed: str | None = None  # why, when the command did not finish


def _tree_rss(proc: psutil.Process) -> int:
    total = 0
    try:
        members = [proc, *proc.children(recursive=True)]
    except psutil.Error:
        return 0
    for p in members:
        try:
            total += p.memory_info().rss
        except psutil.Error:
            pass
    return total


def measure(cmd: list[str], env: dict | None = None, max_gb: float | None = None, must_succeed: bool = True) -> Measured:
    """Run a command; its wall and CPU seconds and the peak RSS of its process tree (sampled
    every 50 ms). With ``max_gb`` the tree is killed once its RSS passes that many GB, so that
    a run that would exhaust the shared machine's memory stops alone, before the kernel's OOM
    killer picks a victim; the result then says so."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = psutil.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO,
                        env={**os.environ, **(env or {})})
    peak, stop, killed = 0, threading.Event(), []

    def poll() -> None:
        nonlocal peak
        while not stop.is_set():
            rss = _tree_rss(proc)
            peak = max(peak, rss)
            if max_gb and rss > max_gb * 2**30 and not killed:
                killed.append(time.perf_counter() - started)
                for p in [*proc.children(recursive=True), proc]:
                    try:
                        p.kill()
                    except psutil.Error:
                        pass
            stop.wait(0.05)

    sampler = threading.Thread(target=poll, daemon=True)
    sampler.start()
    out, err = proc.communicate()
    wall = time.perf_counter() - started
    stop.set()
    sampler.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    failed = None
    if killed:
        failed = f"stopped at {max_gb:g} GB of memory after {killed[0]:.0f} s"
    elif proc.returncode:
        failed = f"exit code {proc.returncode}: {(err.strip().splitlines() or [''])[-1][:300]}"
    if failed and must_succeed:
        raise SystemExit(f"failed ({failed}): {' '.join(cmd)}\n{out[-2000:]}\n{err[-4000:]}")
    return Measured(wall, cpu, peak / 2**20, out, failed)


# ------------------------------------------------------------------------------------------
# Data
# ------------------------------------------------------------------------------------------

def dataset(root: Path, label: str, sessions: int, clinics: int, seed: int, months: int = 6) -> Path:
    """The demo batches of one size (generated once, then reused).

    Every clinic sends the two tables (CSV or Parquet): the demo's FHIR clinics (one in eight)
    send theirs as tables too, so that the floor, the run and the pandas script read the same
    files, as in the documented figures (FHIR intake has its own benchmark: fhir_benchmark.py).
    """
    from dataclasses import replace

    from pipeline import demo

    batches = root / f"batches-{label}"
    done = batches / ".complete"
    if not done.is_file():
        shutil.rmtree(batches, ignore_errors=True)
        started = time.perf_counter()
        profile = demo.clinic_profile
        demo.clinic_profile = lambda index, n: replace(profile(index, n), fhir=False)
        try:
            demo.write_demo(batches, clinics=clinics, patients=round(sessions / SESSIONS_PER_PATIENT), seed=seed,
                            months=months)
        finally:
            demo.clinic_profile = profile
        done.write_text(json.dumps({"clinics": clinics, "seed": seed, "seconds": time.perf_counter() - started}))
        print(f"[data] wrote {batches} in {time.perf_counter() - started:.1f} s", flush=True)
    return batches


def batch_rows(batch: Path) -> dict[str, int]:
    manifest = json.loads((batch / "manifest.json").read_text())
    return {f["name"].split(".")[0]: int(f["rows"]) for f in manifest["files"]}


def layout(root: Path, label: str, batches: Path) -> tuple[Path, Path, dict]:
    """A run folder whose inbox links every batch but one of about 1% of the sessions (held back)."""
    folders = sorted(p for p in batches.iterdir() if p.is_dir())
    rows = {p.name: batch_rows(p) for p in folders}
    total = {t: sum(r[t] for r in rows.values()) for t in ("sessions", "measurements")}
    held = min(folders, key=lambda p: (abs(rows[p.name]["sessions"] - 0.01 * total["sessions"]), p.name))
    run = root / f"run-{label}"
    shutil.rmtree(run, ignore_errors=True)
    inbox = run / "inbox"
    inbox.mkdir(parents=True)
    for p in folders:
        if p != held:
            (inbox / p.name).symlink_to(p, target_is_directory=True)
    info = {"batches": len(folders) - 1, "sessions": total["sessions"] - rows[held.name]["sessions"],
            "measurements": total["measurements"] - rows[held.name]["measurements"],
            "new_batch": held.name, "new_sessions": rows[held.name]["sessions"]}
    return run, held, info


# ------------------------------------------------------------------------------------------
# The four measurements
# ------------------------------------------------------------------------------------------

def steps_of(stdout: str) -> tuple[float | None, dict[str, float]]:
    done = re.search(r"Done in ([0-9.]+) s", stdout)
    line = re.search(r"Steps \(s\): (.*)\.\s*$", stdout, re.M)
    steps = {}
    if line:
        for part in line.group(1).split(", "):
            name, _, sec = part.rpartition(" ")
            steps[name] = float(sec)
    return (float(done.group(1)) if done else None), steps


def outcomes_run(run: Path, warehouse: Path, memory_limit: str | None) -> Measured:
    cmd = [OUTCOMES, "run", "--inbox", str(run / "inbox"), "--warehouse", str(warehouse), "--reports", str(run / "reports")]
    return measure(cmd + (["--memory-limit", memory_limit] if memory_limit else []))


def bench_size(root: Path, label: str, args) -> dict:
    batches = dataset(root, label, SIZES[label], args.clinics, args.seed)
    run, held, info = layout(root, label, batches)
    mem = args.memory_limit
    print(f"\n[{label}] {info['sessions']:,} sessions, {info['measurements']:,} scores in {info['batches']} batches "
          f"(new batch held back: {info['new_batch']}, {info['new_sessions']:,} sessions)", flush=True)

    floor = measure([PY, str(HERE / "bare_load.py"), str(run / "inbox"), str(run / "bare.duckdb")] + ([mem] if mem else []))
    print(f"[{label}] (a) bare load {floor.wall:.1f} s", flush=True)
    (run / "bare.duckdb").unlink(missing_ok=True)

    warehouse = run / "warehouse.duckdb"
    full = outcomes_run(run, warehouse, mem)
    run_seconds, steps = steps_of(full.stdout)
    print(f"[{label}] (b) outcomes run {full.wall:.1f} s, CPU {full.cpu:.1f} s, peak {full.peak_mb:.0f} MB; steps: "
          + ", ".join(f"{k} {v:.1f}" for k, v in steps.items()), flush=True)

    pandas = agree = None
    if not args.skip_pandas:
        pandas = measure([PY, str(HERE / "pandas_effect_sizes.py"), str(run / "inbox"), str(run / "pandas.parquet")],
                         max_gb=args.pandas_max_gb, must_succeed=False)
        if not pandas.failed:
            agree = compare.compare(str(warehouse), str(run / "pandas.parquet"))
        print(f"[{label}] (c) pandas {pandas.wall:.1f} s, peak {pandas.peak_mb:.0f} MB"
              + (f", FAILED: {pandas.failed}" if pandas.failed else f"; agree: {agree}"), flush=True)

    part = marts = again = None
    if not args.skip_incremental:
        copy, reports = run / "warehouse-partition.duckdb", run / "reports-partition"
        shutil.copyfile(warehouse, copy)
        shutil.rmtree(reports, ignore_errors=True)
        shutil.copytree(run / "reports", reports)
        (run / "inbox" / held.name).symlink_to(held, target_is_directory=True)
        part = measure([PY, str(HERE / "partition_run.py"), str(run / "inbox"), str(copy), held.name]
                       + ([mem] if mem else []))
        marts = measure([PY, str(HERE / "partition_run.py"), "--marts", str(run / "inbox"), str(copy), str(reports)]
                        + ([mem] if mem else []))
        again = outcomes_run(run, warehouse, mem)
        print(f"[{label}] (d) partition run {part.wall:.1f} s, the schedule's marts build after it {marts.wall:.1f} s, "
              f"outcomes run again {again.wall:.1f} s", flush=True)
        copy.unlink(missing_ok=True)
        shutil.rmtree(reports, ignore_errors=True)
        (run / "inbox" / held.name).unlink()

    result = {"size": label, **info, "memory_limit": mem,
              "floor": asdict(floor) | {"stdout": floor.stdout.strip()},
              "run": asdict(full) | {"stdout": "", "run_seconds": run_seconds, "steps": steps},
              "pandas": (asdict(pandas) | {"stdout": pandas.stdout.strip()}) if pandas else None,
              "agreement": agree,
              "partition_run": (asdict(part) | {"stdout": part.stdout.strip()}) if part else None,
              "marts_run": (asdict(marts) | {"stdout": marts.stdout.strip()}) if marts else None,
              "run_again": (asdict(again) | {"stdout": "", "steps": steps_of(again.stdout)[1]}) if again else None}
    (root / f"results-{label}.json").write_text(json.dumps(result, indent=2))
    print_table(result)
    if not args.keep:
        warehouse.unlink(missing_ok=True)
    return result


# ------------------------------------------------------------------------------------------
# Printing
# ------------------------------------------------------------------------------------------

INTAKE_STEPS = ("raw_batches", "staged_sessions", "staged_measurements")


def intake_seconds(steps: dict[str, float]) -> float:
    """Receiving + staging: the steps the issue's first target is about (within 1.5x of the floor)."""
    return sum(steps.get(s, 0.0) for s in INTAKE_STEPS)


def _row(name: str, m: dict | None, floor: dict, extra: str = "") -> str:
    if not m:
        return f"  {name:<38} {'-':>8}"
    return (f"  {name:<38} {m['wall']:8.1f} {m['cpu']:8.1f} {m['peak_mb']:9.0f} "
            f"{m['wall'] / floor['wall']:8.2f}  {extra}")


def print_table(r: dict) -> None:
    floor, run, pandas = r["floor"], r["run"], r["pandas"]
    print(f"\n=== {r['size']}: {r['sessions']:,} sessions, {r['measurements']:,} scores, {r['batches']} batches; "
          f"DuckDB memory limit {r['memory_limit'] or 'default'} ===")
    print(f"  {'':<38} {'wall s':>8} {'cpu s':>8} {'peak MB':>9} {'x floor':>8}")
    print(_row("(a) DuckDB bare load (the floor)", floor, floor))
    print(_row("(b) outcomes run, end to end", run, floor))
    if run["run_seconds"] is not None:
        print(f"      {'between the steps, and summary':<34} {run['wall'] - sum(run['steps'].values()):8.1f}")
    for step, sec in run["steps"].items():
        print(f"      {step[:34]:<34} {sec:8.1f}")
    intake = intake_seconds(run["steps"])
    print(f"  receiving + staging ({' + '.join(INTAKE_STEPS)}): {intake:.1f} s = {intake / floor['wall']:.2f}x the floor "
          f"(target <= {TARGETS['vs_floor']})")
    print(_row("(c) pandas + scipy script", pandas, floor, f"FAILED: {pandas['failed']}" if pandas and pandas["failed"] else ""))
    if pandas and pandas["failed"]:
        print(f"  (b) vs (c): pandas did not finish ({pandas['failed']}); (b) used {run['peak_mb'] / pandas['peak_mb']:.2f} "
              f"of the memory pandas had reached when stopped (target <= {TARGETS['vs_pandas_memory']})")
    elif pandas:
        a = r["agreement"]
        print(f"  (b) vs (c): {pandas['wall'] / run['wall']:.2f}x faster in wall time, {pandas['cpu'] / run['cpu']:.2f}x in CPU time "
              f"(target >= {TARGETS['vs_pandas_speed']}), "
              f"peak memory {run['peak_mb'] / pandas['peak_mb']:.2f} of pandas' (target <= {TARGETS['vs_pandas_memory']}); "
              f"effect sizes agree: {'yes' if a['agree'] else 'NO'} ({a['published']} published cells of {a['cells']}, "
              f"unmatched {a['unmatched']}, worst error {a['worst']:.2g} x tolerance, in {a['worst_column']})")
    print(f"  (b) vs (a): {run['wall'] / floor['wall']:.2f}x the bare load in wall time, {run['cpu'] / floor['cpu']:.2f}x in CPU time "
          f"(target <= {TARGETS['vs_floor']}); "
          f"peak {run['peak_mb'] / 1024:.2f} GB (target < {TARGETS['peak_gb']} GB)")
    part, again = r["partition_run"], r["run_again"]
    if part:
        share = r["new_sessions"] / r["sessions"]
        print(f"  (d) new batch {r['new_batch']} ({share:.1%} of the sessions): partition run {part['wall']:.1f} s "
              f"= {part['wall'] / run['wall']:.1%} of (b) (target <= {TARGETS['new_batch_share']:.0%}); "
              f"'outcomes run' again {again['wall']:.1f} s = {again['wall'] / run['wall']:.1%}")
        if part["stdout"]:
            print(f"      partition run: {part['stdout'].splitlines()[-1]}")
        marts = r.get("marts_run")
        if marts:
            print(f"      the schedule's marts build after it: {marts['wall']:.1f} s = {marts['wall'] / run['wall']:.1%} of (b) "
                  f"(target <= {TARGETS['marts_after_batch_share']:.0%}); {marts['stdout'].splitlines()[-1] if marts['stdout'] else ''}")
        if again["steps"]:
            print("      outcomes run again, steps: " + ", ".join(f"{k} {v:.1f}" for k, v in again["steps"].items()))


def print_growth(results: list[dict]) -> None:
    if len(results) < 2:
        return
    print("\n=== growth (seconds per million sessions; linear = constant) ===")
    print(f"  {'size':<6} {'floor':>8} {'outcomes':>9} {'pandas':>8}")
    for r in results:
        m = r["sessions"] / 1e6
        pandas = f"{r['pandas']['wall'] / m:8.1f}" if r["pandas"] and not r["pandas"]["failed"] else f"{'-':>8}"
        print(f"  {r['size']:<6} {r['floor']['wall'] / m:8.1f} {r['run']['wall'] / m:9.1f} {pandas}")
    a, b = results[0], results[-1]
    scale = b["sessions"] / a["sessions"]
    print(f"  {a['size']} -> {b['size']}: sessions x{scale:.1f}, outcomes run time x{b['run']['wall'] / a['run']['wall']:.1f}, "
          f"floor x{b['floor']['wall'] / a['floor']['wall']:.1f}")


def bench_clinics(root: Path, counts: list[int], args) -> list[dict]:
    """The same sessions as ``counts`` clinics: the floor and ``outcomes run`` by stage for each."""
    results = []
    for clinics in counts:
        label = f"{args.axis_sessions // 1000}k-{clinics}c-{args.axis_months}m"
        batches = dataset(root, label, args.axis_sessions, clinics, args.seed, args.axis_months)
        run = root / f"run-{label}"
        shutil.rmtree(run, ignore_errors=True)
        (run / "inbox").mkdir(parents=True)
        folders = sorted(p for p in batches.iterdir() if p.is_dir())
        for p in folders:
            (run / "inbox" / p.name).symlink_to(p, target_is_directory=True)
        sessions = sum(batch_rows(p)["sessions"] for p in folders)
        print(f"\n[{label}] {sessions:,} sessions of {clinics} clinics in {len(folders)} batches", flush=True)
        mem = args.memory_limit
        floor = measure([PY, str(HERE / "bare_load.py"), str(run / "inbox"), str(run / "bare.duckdb")] + ([mem] if mem else []))
        (run / "bare.duckdb").unlink(missing_ok=True)
        full = outcomes_run(run, run / "warehouse.duckdb", mem)
        run_seconds, steps = steps_of(full.stdout)
        print(f"[{label}] floor {floor.wall:.1f} s; outcomes run {full.wall:.1f} s, peak {full.peak_mb:.0f} MB", flush=True)
        results.append({"clinics": clinics, "batches": len(folders), "sessions": sessions,
                        "floor": asdict(floor) | {"stdout": ""}, "run": asdict(full) | {"stdout": "", "steps": steps}})
        if not args.keep:
            (run / "warehouse.duckdb").unlink(missing_ok=True)
    (root / f"results-clinics-{args.axis_sessions}.json").write_text(json.dumps(results, indent=2))
    print_clinics(results)
    return results


def print_clinics(results: list[dict]) -> None:
    """Every stage's seconds, one column per clinic count (same sessions)."""
    steps = list(dict.fromkeys(k for r in results for k in r["run"]["steps"]))
    head = "".join(f"{r['clinics']:>9,}" for r in results)
    print(f"\n=== the same {results[0]['sessions']:,} sessions as more clinics (seconds) ===")
    print(f"  {'clinics':<44}{head}")
    print(f"  {'batches':<44}" + "".join(f"{r['batches']:>9,}" for r in results))
    print(f"  {'(a) bare DuckDB load':<44}" + "".join(f"{r['floor']['wall']:9.1f}" for r in results))
    print(f"  {'    its CPU seconds':<44}" + "".join(f"{r['floor']['cpu']:9.1f}" for r in results))
    print(f"  {'(b) outcomes run, end to end':<44}" + "".join(f"{r['run']['wall']:9.1f}" for r in results))
    print(f"  {'    its CPU seconds':<44}" + "".join(f"{r['run']['cpu']:9.1f}" for r in results))
    print(f"  {'receiving + staging':<44}" + "".join(f"{intake_seconds(r['run']['steps']):9.1f}" for r in results))
    print(f"  {'    x the bare load (target <= 1.5)':<44}"
          + "".join(f"{intake_seconds(r['run']['steps']) / r['floor']['wall']:9.2f}" for r in results))
    print(f"  {'    between the steps, and summary':<44}"
          + "".join(f"{r['run']['wall'] - sum(r['run']['steps'].values()):9.1f}" for r in results))
    for step in steps:
        print(f"  {'    ' + step[:40]:<44}" + "".join(f"{r['run']['steps'].get(step, float('nan')):9.1f}" for r in results))
    print(f"  {'peak memory of (b), MB':<44}" + "".join(f"{r['run']['peak_mb']:9.0f}" for r in results))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--sizes", default="1M,3M", help="comma-separated, of " + ", ".join(SIZES))
    p.add_argument("--root", default="/tmp/outcomes-bench", help="where data and warehouses go (not the repo)")
    p.add_argument("--memory-limit", default="3GB", help="DuckDB memory limit for (a), (b), (d); '' for DuckDB's default")
    p.add_argument("--clinics", type=int, default=16, help="clinics of the demo network (16 x 6 months: a batch is ~1%%)")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--skip-pandas", action="store_true")
    p.add_argument("--pandas-max-gb", type=float, default=19.0,
                   help="stop the pandas script when its memory passes this (the machine is shared)")
    p.add_argument("--skip-incremental", action="store_true")
    p.add_argument("--keep", action="store_true", help="keep the warehouses")
    p.add_argument("--clinics-axis", default=None, help="e.g. 40,400,4000: the same sessions as that many clinics")
    p.add_argument("--axis-sessions", type=int, default=537_000, help="sessions of the clinics axis")
    p.add_argument("--axis-months", type=int, default=2, help="monthly batches per clinic on the clinics axis")
    args = p.parse_args(argv)
    args.memory_limit = args.memory_limit or None
    root = Path(args.root)
    root.mkdir(parents=True, exist_ok=True)
    if args.clinics_axis:
        bench_clinics(root, [int(c) for c in args.clinics_axis.split(",")], args)
        return 0
    results = [bench_size(root, label.strip(), args) for label in args.sizes.split(",")]
    for r in results:
        print_table(r)
    print_growth(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
