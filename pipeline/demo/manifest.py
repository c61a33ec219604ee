"""The manifest of an export batch (contract section 1): each table file's data rows and sha256."""
from __future__ import annotations

import csv
import hashlib
import io
import json
from pathlib import Path

import pyarrow.parquet as pq

from pipeline import contract


def csv_data_rows(data: bytes) -> int:
    """Data rows of a CSV file (header and blank lines excluded; quoted newlines honoured)."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if b'"' not in data and b"\r" not in data and b"\n\n" not in data and not data.startswith(b"\n"):
        records = data.count(b"\n") + (0 if not data or data.endswith(b"\n") else 1)
    elif b'"' not in data:
        records = sum(1 for line in data.splitlines() if line.strip())
    else:
        reader = csv.reader(io.StringIO(data.decode("utf-8", errors="replace"), newline=""))
        records = sum(1 for row in reader if any(field.strip() for field in row))
    return max(records - 1, 0)


def table_files(batch_dir: Path) -> list[Path]:
    """The contract table files present in ``batch_dir`` (sessions, measurements; CSV or Parquet)."""
    return [batch_dir / f"{table}.{fmt}" for table in contract.TABLES for fmt in contract.FILE_FORMATS
            if (batch_dir / f"{table}.{fmt}").is_file()]


def write_manifest(batch_dir: Path, export_id: str, clinic_id: str, exported_at: str) -> dict:
    """Write ``batch_dir/manifest.json`` for the table files in the folder and return it.

    ``rows`` is the number of data rows (CSV: header and blank lines excluded; Parquet: the
    file's row count) and ``sha256`` the hex digest of the file's bytes (contract section 1).
    """
    batch_dir = Path(batch_dir)
    files = []
    for path in table_files(batch_dir):
        data = path.read_bytes()
        if path.suffix == ".csv":
            rows = csv_data_rows(data)
        else:
            rows = pq.ParquetFile(io.BytesIO(data)).metadata.num_rows
        files.append({"name": path.name, "rows": int(rows), "sha256": hashlib.sha256(data).hexdigest()})
    manifest = {"schema_version": contract.SCHEMA_VERSIONS[-1], "export_id": export_id,
                "clinic_id": clinic_id, "exported_at": exported_at, "files": files}
    (batch_dir / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


# ---------------------------------------------------------------------------------------
