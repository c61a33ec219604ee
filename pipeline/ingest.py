"""Receiving export batches: find them in the inbox, check them whole, and load them into ``raw``.

A batch is accepted or rejected whole (contract section 1). A rejected batch loads nothing,
not even into ``raw``; it is recorded in ``audit.batches`` with every reason, and its folder
stays where it is. The same content (same files, byte for byte) is handled once; a batch whose
``export_id`` was accepted before with other content replaces the earlier one.
"""
from __future__ import annotations

import codecs
import hashlib
import json
import logging
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import duckdb

from pipeline import contract
from pipeline.errors import OutcomesError
from pipeline.warehouse import run, scalar

log = logging.getLogger("outcomes")

MANIFEST = "manifest.json"
_CHUNK = 1 << 20


@dataclass
class BatchFile:
    table: str
    path: Path
    format: str
    sha256: str = ""
    rows: int | None = None
    headers: list[str] = field(default_factory=list)


@dataclass
class Batch:
    folder: Path
    batch_id: str
    clinic_id: str | None = None
    exported_at: str | None = None
    sha256: str = ""
    files: dict[str, BatchFile] = field(default_factory=dict)
    manifest_rows: dict[str, int] = field(default_factory=dict)
    manifest_sha: dict[str, str] = field(default_factory=dict)
    reasons: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def accepted(self) -> bool:
        return not self.reasons


def discover(inbox: Path) -> list[Path]:
    """Batch folders in the inbox, in name order (which is delivery order for dated names)."""
    if not inbox.exists():
        raise OutcomesError(f"the inbox {inbox} does not exist")
    if not inbox.is_dir():
        raise OutcomesError(f"the inbox {inbox} is not a folder")
    return sorted(p for p in inbox.iterdir() if p.is_dir() and not p.name.startswith("."))


def _hash_and_check_text(path: Path) -> tuple[str, str | None]:
    """sha256 of the file, and a problem with its bytes as CSV text (or None)."""
    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8")()
    problem = None
    offset = 0
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
            if problem is None:
                if b"\x00" in chunk:
                    problem = "is binary, not CSV text"
                else:
                    try:
                        decoder.decode(chunk)
                    except UnicodeDecodeError as exc:
                        problem = f"is not UTF-8 text (invalid byte at offset {offset + exc.start})"
            offset += len(chunk)
    if problem is None:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            problem = "is not UTF-8 text (it ends inside a character)"
    return digest.hexdigest(), problem


def _hash(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _read_manifest(batch: Batch) -> None:
    path = batch.folder / MANIFEST
    if not path.is_file():
        return
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        batch.reasons.append(f"manifest.json is not valid JSON ({exc.__class__.__name__})")
        return
    if not isinstance(manifest, dict):
        batch.reasons.append("manifest.json is not a JSON object")
        return
    version = str(manifest.get("schema_version", ""))
    if version not in contract.SCHEMA_VERSIONS:
        batch.reasons.append(
            f"manifest.json has schema_version '{version}', but this pipeline reads only "
            f"{', '.join(contract.SCHEMA_VERSIONS)}"
        )
    if manifest.get("export_id"):
        batch.batch_id = str(manifest["export_id"])
    batch.clinic_id = manifest.get("clinic_id") or None
    batch.exported_at = manifest.get("exported_at") or None
    for entry in manifest.get("files") or []:
        if not isinstance(entry, dict) or "name" not in entry:
            batch.reasons.append("manifest.json lists a file without a name")
            continue
        name = str(entry["name"])
        if not (batch.folder / name).is_file():
            batch.reasons.append(f"manifest.json lists {name}, which is not in the batch")
        if "rows" in entry:
            batch.manifest_rows[name] = int(entry["rows"])
        if "sha256" in entry:
            batch.manifest_sha[name] = str(entry["sha256"]).lower()


def inspect(folder: Path) -> Batch:
    """Check a batch folder's files without loading them: presence, bytes, manifest, checksums."""
    batch = Batch(folder=folder, batch_id=folder.name)
    _read_manifest(batch)
    for table in contract.TABLES:
        found = [folder / f"{table}.{fmt}" for fmt in contract.FILE_FORMATS if (folder / f"{table}.{fmt}").is_file()]
        if not found:
            batch.reasons.append(f"the batch has no {table} file ({table}.csv or {table}.parquet)")
            continue
        if len(found) > 1:
            batch.reasons.append(f"the batch has both {table}.csv and {table}.parquet; send one")
            continue
        path = found[0]
        bf = BatchFile(table=table, path=path, format=path.suffix.lstrip("."))
        batch.files[table] = bf
        if path.stat().st_size == 0:
            batch.reasons.append(f"{path.name} is empty")
            bf.sha256 = _hash(path)
            continue
        if bf.format == "csv":
            bf.sha256, problem = _hash_and_check_text(path)
            if problem:
                batch.reasons.append(f"{path.name} {problem}")
        else:
            bf.sha256 = _hash(path)
        expected = batch.manifest_sha.get(path.name)
        if expected and expected != bf.sha256:
            batch.reasons.append(f"{path.name} does not match the sha256 in manifest.json (truncated or altered file)")
    known = {MANIFEST} | {f"{t}.{f}" for t in contract.TABLES for f in contract.FILE_FORMATS}
    for other in sorted(p.name for p in folder.iterdir() if p.name not in known and not p.name.startswith(".")):
        batch.warnings.append(f"{other} is not part of the export format and was ignored")
    content = "\n".join(f"{bf.path.name}:{bf.sha256}" for bf in sorted(batch.files.values(), key=lambda b: b.path.name))
    batch.sha256 = hashlib.sha256(content.encode()).hexdigest()
    return batch


def _reader(bf: BatchFile) -> str:
    return "raw/read_csv" if bf.format == "csv" else "raw/read_parquet"


def _load_headers(con: duckdb.DuckDBPyConnection, batch: Batch) -> None:
    for table, bf in batch.files.items():
        if any(r.startswith(bf.path.name) for r in batch.reasons):
            continue
        try:
            rows = run(con, f"{_reader(bf)}_header", {"path": str(bf.path)})
        except duckdb.Error as exc:
            batch.reasons.append(f"{bf.path.name} could not be read as {bf.format.upper()}: {_first_line(exc)}")
            continue
        bf.headers = [r[0] for r in rows]
        _check_headers(batch, bf)


def _check_headers(batch: Batch, bf: BatchFile) -> None:
    headers = [h.strip().lstrip("\ufeff") for h in bf.headers]
    identifying = [h for h in headers if contract.identifying_header(h)]
    for h in identifying:
        batch.reasons.append(
            f"{bf.path.name} has a column '{h}' that looks like a direct identifier; "
            "remove it (the batch was not loaded)"
        )
    seen = set(headers)
    for col in contract.required_columns(bf.table):
        if col not in seen:
            batch.reasons.append(f"{bf.path.name} is missing the required column '{col}'")
    if bf.table == "sessions" and not seen.intersection(contract.DATE_COLUMNS):
        batch.reasons.append(f"{bf.path.name} has neither 'session_date' nor 'session_day'")
    if bf.table == "sessions" and "session_day" in seen and "session_year" not in seen:
        batch.reasons.append(f"{bf.path.name} has 'session_day' without 'session_year'")
    if len(headers) != len(seen):
        batch.reasons.append(f"{bf.path.name} repeats a column name")
    known = set(contract.column_names(bf.table))
    for h in headers:
        if h not in known and h not in identifying:
            batch.warnings.append(f"{bf.path.name}: column '{h}' is not in the contract and was ignored")


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:300] if text else exc.__class__.__name__


def _load_raw(con: duckdb.DuckDBPyConnection, batch: Batch) -> None:
    """Insert the batch's files into ``raw`` (inside the caller's transaction) and check counts."""
    for table, bf in batch.files.items():
        params = {"path": str(bf.path), "columns": contract.column_names(table), "batch_id": batch.batch_id}
        try:
            run(con, f"raw/insert_{table}_{bf.format}", params)
        except duckdb.Error as exc:
            batch.reasons.append(f"{bf.path.name} could not be read as {bf.format.upper()}: {_first_line(exc)}")
            continue
        bf.rows = scalar(con, f"raw/count_{table}", params)
        expected = batch.manifest_rows.get(bf.path.name)
        if expected is not None and expected != bf.rows:
            batch.reasons.append(
                f"{bf.path.name} has {bf.rows} rows but manifest.json says {expected} (truncated or altered file)"
            )
        if bf.rows == 0:
            batch.reasons.append(f"{bf.path.name} has a header but no rows")
    if not batch.reasons and batch.clinic_id:
        others = scalar(con, "raw/other_clinic_rows", {"batch_id": batch.batch_id, "clinic_id": batch.clinic_id})
        if others:
            batch.reasons.append(f"{others} rows belong to another clinic than the manifest's '{batch.clinic_id}'")
    if not batch.reasons and not batch.clinic_id:
        batch.clinic_id = scalar(con, "raw/batch_clinic", {"batch_id": batch.batch_id})


def receive(con: duckdb.DuckDBPyConnection, folder: Path, loaded_at: datetime | None = None) -> Batch | None:
    """Inspect one batch and, when it passes, load it into ``raw``; record it in ``audit``.

    Everything happens in one transaction, so a batch rejected half-way loads nothing.
    Returns None when this exact content was handled before (nothing to do).
    """
    batch = inspect(folder)
    if scalar(con, "audit/batch_seen", {"sha256": batch.sha256}):
        return None
    if batch.accepted:
        _load_headers(con, batch)
    loaded_at = loaded_at or datetime.now(timezone.utc).replace(tzinfo=None)
    params = {
        "batch_id": batch.batch_id, "clinic_id": batch.clinic_id, "sha256": batch.sha256,
        "loaded_at": loaded_at, "folder": str(folder), "exported_at": batch.exported_at,
    }
    con.execute("begin transaction")
    try:
        if batch.accepted:
            replaces = scalar(con, "audit/batch_previous", params)
            if replaces:
                for name in ("raw/delete_sessions", "raw/delete_measurements", "staging/delete_sessions",
                             "staging/delete_measurements", "quarantine/delete_sessions",
                             "quarantine/delete_measurements", "audit/batch_mark_replaced"):
                    run(con, name, params)
            _load_raw(con, batch)
            if batch.accepted and replaces:
                batch.warnings.append(f"replaces the earlier delivery of export {batch.batch_id}")
        if not batch.accepted:
            con.execute("rollback")
            con.execute("begin transaction")
        params["clinic_id"] = batch.clinic_id
        rows_raw = sum(bf.rows or 0 for bf in batch.files.values()) if batch.accepted else None
        run(con, "audit/batch_insert", {
            **params, "status": "accepted" if batch.accepted else "rejected",
            "reasons": batch.reasons, "rows_raw": rows_raw,
        })
        for bf in batch.files.values():
            run(con, "audit/batch_file_insert", {
                "batch_id": batch.batch_id, "sha256": batch.sha256, "table_name": bf.table,
                "file_name": bf.path.name, "format": bf.format, "rows": bf.rows, "file_sha256": bf.sha256,
            })
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    return batch


def receive_inbox(con: duckdb.DuckDBPyConnection, inbox: Path) -> list[Batch]:
    """Receive every new batch folder of the inbox; returns the batches handled this time."""
    folders = discover(inbox)
    handled = []
    for i, folder in enumerate(folders, 1):
        batch = receive(con, folder)
        if batch is None:
            continue
        handled.append(batch)
        if batch.accepted:
            rows = ", ".join(f"{bf.rows} {t}" for t, bf in batch.files.items())
            log.info("[ingest %d/%d] %s accepted (%s)", i, len(folders), batch.batch_id, rows)
        else:
            log.info("[ingest %d/%d] %s REJECTED: %s", i, len(folders), batch.batch_id, "; ".join(batch.reasons))
    if not handled:
        log.info("[ingest] no new batches among %d folders in %s", len(folders), inbox)
    return handled
