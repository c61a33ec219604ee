"""Realistic, deterministic demo export batches (contract sections 1 and 3).

``write_demo`` writes one export batch per clinic and calendar month, exactly as a clinic's
practice software would send them: ``sessions`` and ``measurements`` as CSV or Parquet and a
FHIR-Bulk-like ``manifest.json``. Clinics differ the way real ones do: some send ISO session
dates (limited data set), others are Safe Harbor (``session_day`` + ``session_year``); some
send their own ``episode_id``, others leave it to the pipeline; some write CSV, others
Parquet, one mixes.

The true effects (by condition group, measured frequency band and session length) are
anchored to published trials; ``docs/demo.md`` gives the numbers and their sources. Every
value that is part of the contract (columns, registry, ranges, groups, bands) comes from
``pipeline.contract``; this module only holds the demo's own assumptions.

Modules: ``assumptions`` (the demo's own numbers and each clinic's export habits), ``clinic``
(one clinic's whole period, vectorised with numpy: one pass per clinic, no per-session Python
loop), ``batches`` (planted bad rows; CSV, Parquet and FHIR writing, with pyarrow) and
``manifest``. The generator writes with pyarrow, so a benchmark-sized demo (1M sessions and more) takes seconds. The
same arguments always give the same bytes: ``exported_at`` is derived from the batch month,
never from the clock.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Callable

import numpy as np

from pipeline.demo.assumptions import CLINIC_EFFECT_SD, ClinicProfile, clinic_profile
from pipeline.demo.batches import inject_codes_and_orphans, inject_dates_and_duplicate, write_fhir, write_table
from pipeline.demo.clinic import ClinicExport, generate_clinic
from pipeline.demo.manifest import csv_data_rows, table_files, write_manifest

__all__ = ["write_demo", "write_manifest", "csv_data_rows", "clinic_profile", "ClinicProfile"]


def _check_arguments(clinics: int, patients: int, months: int, start: str) -> dt.date:
    if isinstance(clinics, bool) or not isinstance(clinics, int) or clinics < 1:
        raise ValueError(f"clinics must be a positive whole number, got {clinics!r}")
    if isinstance(patients, bool) or not isinstance(patients, int) or patients < clinics:
        raise ValueError(f"patients must be a whole number of at least one per clinic ({clinics}), got {patients!r}")
    if isinstance(months, bool) or not isinstance(months, int) or months < 1:
        raise ValueError(f"months must be a positive whole number, got {months!r}")
    try:
        return dt.date.fromisoformat(str(start))
    except ValueError:
        raise ValueError(f"start must be an ISO date YYYY-MM-DD, got {start!r}") from None


def _allocate(seed: int, clinics: int, patients: int) -> tuple[np.ndarray, np.ndarray]:
    """Patients per clinic (at least one each, the rest by random weights) and each clinic's
    effect multiplier (between-clinic heterogeneity)."""
    master = np.random.default_rng([seed, 0])
    weights = master.uniform(0.6, 1.4, clinics)
    share = (patients - clinics) * weights / weights.sum()
    alloc = np.floor(share).astype(np.int64)
    alloc[np.argsort(-(share - alloc), kind="stable")[: patients - clinics - int(alloc.sum())]] += 1
    return alloc + 1, np.exp(master.normal(0.0, CLINIC_EFFECT_SD, clinics))


def _write_batch(batch_dir: Path, profile: ClinicProfile, sessions, meas, export_id: str, exported_at: str,
                 ref_year: int, fhir_extras: bool) -> None:
    batch_dir.mkdir(parents=True, exist_ok=True)
    for stale in table_files(batch_dir) + [batch_dir / "manifest.json"] + list(batch_dir.glob("*.ndjson")):
        stale.unlink(missing_ok=True)
    if profile.fhir:
        write_fhir(batch_dir, sessions, meas, profile.clinic_id, exported_at, ref_year, fhir_extras)
        return
    write_table(sessions, batch_dir / f"sessions.{profile.sessions_format}", profile.sessions_format, profile.bom)
    write_table(meas, batch_dir / f"measurements.{profile.measurements_format}", profile.measurements_format,
                profile.bom)
    write_manifest(batch_dir, export_id, profile.clinic_id, exported_at)


def _clinic_batches(out_dir: Path, profile: ClinicProfile, data: ClinicExport, seed: int, start_d: dt.date,
                    clinics: int, n_months: int, bad_rows: bool, progress: Callable[[str], None] | None) -> list[Path]:
    """Write one clinic's months as batches (a month without sessions sends none)."""
    ci = profile.index
    start_month = np.datetime64(start_d.isoformat(), "D").astype("datetime64[M]")
    bad_a = (0, min(1, n_months - 1))
    bad_b = (min(2, clinics - 1), min(2, n_months - 1))
    s_bounds = np.searchsorted(data.session_month, np.arange(n_months + 1))
    m_bounds = np.searchsorted(data.measurement_month, np.arange(n_months + 1))
    written: list[Path] = []
    for mi in range(n_months):
        s0, s1 = int(s_bounds[mi]), int(s_bounds[mi + 1])
        if s1 == s0:
            continue
        m0, m1 = int(m_bounds[mi]), int(m_bounds[mi + 1])
        sessions = data.sessions.slice(s0, s1 - s0)
        meas = data.measurements.slice(m0, m1 - m0)
        label = str(start_month + mi)
        if bad_rows and (ci, mi) in (bad_a, bad_b):
            rng_bad = np.random.default_rng([seed, 10_000 + ci, mi])
            candidates = np.flatnonzero(~data.first_of_patient[s0:s1])
            if (ci, mi) == bad_a:
                sessions, meas = inject_dates_and_duplicate(sessions, meas, candidates, rng_bad,
                                                            np.datetime64(label, "M"))
            if (ci, mi) == bad_b:
                sessions, meas = inject_codes_and_orphans(sessions, meas, candidates, rng_bad,
                                                          profile.clinic_id, data.session_width)
        export_id = f"{profile.clinic_id}-{label}"
        next_month = (np.datetime64(label, "M") + 1).astype("datetime64[D]")
        exported_at = f"{next_month}T{2 + ci % 6:02d}:{(17 * ci) % 60:02d}:00Z"
        _write_batch(out_dir / export_id, profile, sessions, meas, export_id, exported_at, start_d.year,
                     bad_rows and mi == min(1, n_months - 1))
        written.append(out_dir / export_id)
        if progress is not None:
            progress(f"{export_id}: {sessions.num_rows} sessions, {meas.num_rows} measurements")
    return written


def write_demo(out_dir: Path, clinics: int = 8, patients: int = 3000, seed: int = 7,
               start: str = "2026-01-01", months: int = 6, bad_rows: bool = True,
               progress: Callable[[str], None] | None = None) -> list[Path]:
    """Write demo export batches, one folder per clinic and month: ``<clinic_id>-<YYYY-MM>``.

    ``patients`` is the total across clinics; the period runs ``months`` calendar months from
    ``start``. With ``bad_rows`` a handful of invalid rows are planted (docs/demo.md lists
    them). ``progress`` is called with one line per batch written. Returns the batch folders
    in (clinic, month) order. The same arguments always write the same bytes.
    """
    start_d = _check_arguments(clinics, patients, months, start)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)

    start64 = np.datetime64(start_d.isoformat(), "D")
    start_month = start64.astype("datetime64[M]")
    end64 = (start_month + months).astype("datetime64[D]") + (start64 - start_month.astype("datetime64[D]"))
    window_days = int((end64 - start64).astype(int))
    n_months = int(((end64 - 1).astype("datetime64[M]") - start_month).astype(int)) + 1

    per_clinic, clinic_mult = _allocate(seed, clinics, patients)
    written: list[Path] = []
    for ci in range(clinics):
        profile = clinic_profile(ci, clinics)
        data = generate_clinic(profile, int(per_clinic[ci]), seed, start64, window_days, float(clinic_mult[ci]))
        written += _clinic_batches(out_dir, profile, data, seed, start_d, clinics, n_months, bad_rows, progress)
    return written
