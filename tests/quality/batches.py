"""Small helpers that write export batches, good and hostile, into temporary folders.

A batch starts as a small valid export of one clinic (six sessions of two patients, two pain
scores each) written from the contract's own values, and each corpus case changes what it
needs: a cell, a column, the bytes, the manifest. Every case gets its own clinic id, so that
all cases can share one inbox and one warehouse without touching each other.
"""
from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pyarrow as pa
import pyarrow.parquet as pq

from pipeline import contract
from pipeline.demo import write_manifest

SESSION_COLUMNS = contract.column_names("sessions")
MEASUREMENT_COLUMNS = contract.column_names("measurements")
EXPORTED_AT = "2026-02-01T09:00:00Z"


def session_rows(clinic: str, safe_harbor: bool = False) -> list[dict]:
    rows = []
    for i in range(1, 7):
        patient = f"P-{1 + (i - 1) // 3:04d}"
        rows.append({
            "clinic_id": clinic, "patient_id": patient, "session_id": f"S{i}", "episode_id": f"E-{patient}",
            "session_date": "" if safe_harbor else f"2026-01-{2 * i + 3:02d}",
            "session_day": str(2 * ((i - 1) % 3) * 7) if safe_harbor else "",
            "session_year": "2026" if safe_harbor else "",
            "condition_code": "M54.50" if i <= 3 else "M54.2", "duration_min": "45",
            "techniques": contract.LIST_SEPARATOR.join(contract.TECHNIQUES[:2]), "therapist_id": "T-01",
            "cpt_code": "97124", "age_band": contract.AGE_BANDS[2], "sex": contract.SEXES[0], "payer": contract.PAYERS[0],
        })
    return rows


def measurement_rows(clinic: str, sessions: int = 6) -> list[dict]:
    rows = []
    for i in range(1, sessions + 1):
        rows.append({"clinic_id": clinic, "session_id": f"S{i}", "measure": "pain_nrs", "timepoint": "pre", "value": "6"})
        rows.append({"clinic_id": clinic, "session_id": f"S{i}", "measure": "pain_nrs", "timepoint": "post", "value": "4"})
    return rows


def csv_bytes(header: list[str], rows: list[dict], bom: bool = False, newline: str = "\n") -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator=newline)
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(h, "") for h in header])
    return (b"\xef\xbb\xbf" if bom else b"") + buf.getvalue().encode("utf-8")


def parquet_file(path: Path, header: list[str], rows: list[dict]) -> None:
    table = pa.table({h: pa.array([r.get(h) or None for r in rows], pa.string()) for h in header})
    pq.write_table(table, path)


@dataclass
class Batch:
    """What a case writes: each table's header and rows (or raw bytes), and the manifest."""
    folder: Path
    clinic: str
    export_id: str
    sessions: list[dict] = field(default_factory=list)
    measurements: list[dict] = field(default_factory=list)
    session_header: list[str] = field(default_factory=lambda: list(SESSION_COLUMNS))
    measurement_header: list[str] = field(default_factory=lambda: list(MEASUREMENT_COLUMNS))
    formats: dict = field(default_factory=lambda: {"sessions": "csv", "measurements": "csv"})
    raw_bytes: dict = field(default_factory=dict)  # table -> bytes written as is (after the manifest when late)
    late_bytes: dict = field(default_factory=dict)  # file name -> bytes written AFTER the manifest (altered files)
    manifest: bool = True
    manifest_edit: Callable[[dict], None] | None = None
    bom: bool = False
    newline: str = "\n"

    def write(self) -> Path:
        self.folder.mkdir(parents=True, exist_ok=True)
        for table in contract.TABLES:
            fmt = self.formats.get(table)
            if fmt is None:
                continue
            path = self.folder / f"{table}.{fmt}"
            header = self.session_header if table == "sessions" else self.measurement_header
            rows = self.sessions if table == "sessions" else self.measurements
            if table in self.raw_bytes:
                path.write_bytes(self.raw_bytes[table])
            elif fmt == "csv":
                path.write_bytes(csv_bytes(header, rows, self.bom, self.newline))
            else:
                parquet_file(path, header, rows)
        if self.manifest:
            manifest = write_manifest(self.folder, self.export_id, self.clinic, EXPORTED_AT)
            if self.manifest_edit is not None:
                self.manifest_edit(manifest)
                (self.folder / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
        for name, data in self.late_bytes.items():
            (self.folder / name).write_bytes(data)
        return self.folder


def new_batch(folder: Path, clinic: str, export_id: str | None = None, safe_harbor: bool = False) -> Batch:
    return Batch(folder=folder, clinic=clinic, export_id=export_id or folder.name,
                 sessions=session_rows(clinic, safe_harbor), measurements=measurement_rows(clinic))
