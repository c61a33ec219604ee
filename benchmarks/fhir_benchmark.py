"""FHIR Bulk Data against CSV: receiving and staging the same sessions, sent both ways.

    python benchmarks/fhir_benchmark.py [N_ENCOUNTERS] [WORKDIR]      (default 1000000, a temp folder)

Writes one export batch of N massage sessions (one patient per eight sessions, pain scored pre and
post: 2N scores) twice: as the contract's two CSV files, and as a FHIR R4 Bulk Data export of the
same sessions (Patient, Encounter, Procedure, Observation, Condition NDJSON and a manifest, with
names, telecom, addresses and identifiers as real exports carry). Each is then received
(``pipeline.ingest.receive``: whole-batch checks, parsing, raw, audit) and staged
(``pipeline.staging.stage_pending``: the contract's rules) into a fresh warehouse, and the wall
times are printed with their ratio, each beside the process's CPU seconds and the machine's load
average (the machine is shared: read a figure with its load). The network key comes from a
throw-away folder (XDG_CONFIG_HOME is set to the work folder), never the user's.
"""
from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

CODES = ("M54.50", "M54.2", "M79.7", "G44.209", "M25.511", "M79.18")


def _ids(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    digits = pc.utf8_lpad(pc.cast(pa.array(numbers), pa.string()), width=width, padding="0")
    return pc.binary_join_element_wise(prefix, digits, "")


def tables(n: int, seed: int = 11) -> tuple[pa.Table, pa.Table]:
    """N sessions of one clinic in 2026 (with dates) and their pre and post pain scores."""
    rng = np.random.default_rng(seed)
    patients = max(1, n // 8)
    pat = np.sort(rng.integers(0, patients, n))
    day = np.datetime64("2026-01-01") + rng.integers(0, 330, n).astype("timedelta64[D]")
    sessions = pa.table({
        "clinic_id": pa.array(["cbench"] * n),
        "patient_id": _ids("cbench-p", pat, 7),
        "session_id": _ids("cbench-s", np.arange(n), 8),
        "episode_id": _ids("cbench-e", pat, 7),
        "session_date": pa.array(day, pa.date32()),
        "condition_code": pa.array(np.array(CODES)[pat % len(CODES)]),
        "duration_min": pa.array(rng.choice([30, 45, 60, 90], n), pa.int32()),
        "therapist_id": _ids("cbench-t", rng.integers(1, 13, n), 2),
        "cpt_code": pa.array(np.where(rng.random(n) < 0.7, "97124", "97140")),
        "age_band": pa.array(np.array(["18-29", "30-44", "45-64", "65-89"])[pat % 4]),
        "sex": pa.array(np.array(["F", "M"])[pat % 2]),
    })
    pre = np.clip(np.round(rng.normal(6, 1.7, n)), 0, 10)
    post = np.clip(pre - np.round(rng.normal(1.5, 1, n)), 0, 10)
    sid = sessions["session_id"].combine_chunks()
    measurements = pa.table({
        "clinic_id": pa.array(["cbench"] * (2 * n)),
        "session_id": pc.take(sid, pa.array(np.repeat(np.arange(n), 2))),
        "measure": pa.array(["pain_nrs"] * (2 * n)),
        "timepoint": pa.array(np.tile(["pre", "post"], n)),
        "value": pa.array(np.column_stack([pre, post]).ravel()),
    })
    return sessions, measurements


def write_csv(folder: Path, sessions: pa.Table, measurements: pa.Table) -> None:
    folder.mkdir(parents=True)
    options = pacsv.WriteOptions(quoting_style="none")
    pacsv.write_csv(sessions, folder / "sessions.csv", options)
    pacsv.write_csv(measurements, folder / "measurements.csv", options)


def receive_and_stage(folder: Path, db: Path) -> tuple[float, float, float, int, int]:
    from pipeline import ingest, reference, staging, warehouse

    con = warehouse.connect(db)
    warehouse.ensure_schema(con)
    reference.load_reference(con)
    started, cpu = time.perf_counter(), time.process_time()
    with ingest.fewer_checkpoints(con):
        batch = ingest.receive(con, folder)
    received = time.perf_counter()
    staging.stage_pending(con)
    done, cpu = time.perf_counter(), time.process_time() - cpu
    assert batch is not None and batch.accepted, batch.reasons if batch else "seen before"
    staged = con.execute("select (select count(*) from staging.sessions), (select count(*) from staging.measurements)").fetchone()
    con.close()
    return received - started, done - received, cpu, *staged


def main(n: int, work: Path) -> None:
    os.environ["XDG_CONFIG_HOME"] = str(work / "config")
    os.environ.pop("OUTCOMES_NETWORK_KEY", None)
    from pipeline.fhir.export import write_export

    t0 = time.perf_counter()
    sessions, measurements = tables(n)
    write_csv(work / "csv" / "cbench-2026", sessions, measurements)
    t1 = time.perf_counter()
    write_export(work / "fhir" / "cbench-2026", sessions, measurements, "cbench", "2027-01-01T00:00:00Z", 2026)
    t2 = time.perf_counter()
    size = {k: sum(p.stat().st_size for p in (work / k).rglob("*") if p.is_file()) / 1e6 for k in ("csv", "fhir")}
    print(f"{n} sessions, {2 * n} scores: CSV written in {t1 - t0:.1f} s ({size['csv']:.0f} MB), "
          f"FHIR Bulk Data in {t2 - t1:.1f} s ({size['fhir']:.0f} MB)")
    results = {}
    for kind in ("csv", "fhir"):
        results[kind] = receive_and_stage(work / kind / "cbench-2026", work / f"{kind}.duckdb")
        r, s, cpu, ns, nm = results[kind]
        print(f"{kind.upper():4}: received in {r:6.2f} s, staged in {s:6.2f} s, total {r + s:6.2f} s "
              f"(CPU {cpu:6.2f} s; load average {os.getloadavg()[0]:.1f}) ({ns} sessions, {nm} scores staged)")
    csv_total, fhir_total = sum(results["csv"][:2]), sum(results["fhir"][:2])
    assert results["csv"][3:] == results["fhir"][3:], "both paths stage the same rows"
    print(f"FHIR / CSV = {fhir_total / csv_total:.2f}x wall, {results['fhir'][2] / results['csv'][2]:.2f}x CPU "
          "(target: at most 2x)")


if __name__ == "__main__":
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    if len(sys.argv) > 2:
        main(count, Path(sys.argv[2]))
    else:
        tmp = Path(tempfile.mkdtemp(prefix="fhir-benchmark-"))
        try:
            main(count, tmp)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
