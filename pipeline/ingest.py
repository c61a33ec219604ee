"""Receiving export batches: find them in the inbox, check them whole, and load them into ``raw``.

A batch is accepted or rejected whole (contract section 1). A rejected batch loads nothing,
not even into ``raw``; it is recorded in ``audit.batches`` with every reason, and its folder
stays where it is. The same content (same files and manifest, byte for byte) is handled once;
a batch whose ``export_id`` was accepted before with other content replaces the earlier one.

Every reason is one plain sentence that names the file, the column or the line, never a
value from the data (a value may be identifying): DuckDB's own error messages quote the
offending line, so they are translated here and never passed on.
"""
from __future__ import annotations

import codecs
import csv
import hashlib
import io
import json
import logging
import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import duckdb

from pipeline import contract, fhir
from pipeline.errors import OutcomesError
from pipeline.warehouse import run, scalar

log = logging.getLogger("outcomes")

MANIFEST = "manifest.json"
_CHUNK = 1 << 20
_HEADER_BYTES = 1 << 20  # a header line longer than this is not a header
# Every delete that makes a re-export with the same export_id replace the earlier delivery.
_REPLACE = ("raw/delete_sessions", "raw/delete_measurements", "staging/delete_sessions",
            "staging/delete_measurements", "quarantine/delete_sessions",
            "quarantine/delete_measurements", "audit/checks_delete_batch", "audit/batch_mark_replaced")


@dataclass
class BatchFile:
    table: str
    path: Path
    format: str
    sha256: str = ""
    rows: int | None = None
    headers: list[str] = field(default_factory=list)
    readable: bool = True  # False once a problem with its bytes or header is known


@dataclass
class Batch:
    folder: Path
    batch_id: str
    clinic_id: str | None = None
    exported_at: str | None = None
    sha256: str = ""
    files: dict[str, BatchFile] = field(default_factory=dict)
    manifest_sha256: str | None = None
    manifest_rows: dict[str, int] = field(default_factory=dict)
    manifest_sha: dict[str, str] = field(default_factory=dict)
    manifest_files: set[str] | None = None
    reasons: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    fhir: object | None = None  # a FHIR Bulk Data batch: pipeline.fhir's record of it

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
                if offset == 0 and chunk[:2] in (b"\xff\xfe", b"\xfe\xff"):
                    problem = "is UTF-16 text; save it as UTF-8"
                elif b"\x00" in chunk:
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


def _whole_number(value) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"\s*[0-9]+\s*", value):
        return int(value)
    return None


def _read_manifest(batch: Batch) -> None:
    path = batch.folder / MANIFEST
    if not path.is_file():
        return
    try:
        data = path.read_bytes()
    except OSError as exc:
        batch.reasons.append(f"manifest.json cannot be read ({exc.strerror or exc.__class__.__name__})")
        return
    batch.manifest_sha256 = hashlib.sha256(data).hexdigest()
    try:
        manifest = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        batch.reasons.append("manifest.json is not UTF-8 text")
        return
    except json.JSONDecodeError as exc:
        batch.reasons.append(f"manifest.json is not valid JSON (line {exc.lineno}: {exc.msg})")
        return
    if not isinstance(manifest, dict):
        batch.reasons.append("manifest.json is not a JSON object")
        return
    version = manifest.get("schema_version")
    if version is None:
        batch.reasons.append("manifest.json has no schema_version")
    elif str(version) not in contract.SCHEMA_VERSIONS:
        shown = str(version)[:20] if re.fullmatch(r"[\w.-]{1,20}", str(version)) else "(not a version)"
        batch.reasons.append(
            f"manifest.json has schema_version '{shown}', but this pipeline reads only "
            f"{', '.join(repr(v) for v in contract.SCHEMA_VERSIONS)}"
        )
    export_id = manifest.get("export_id")
    if export_id is not None:
        if isinstance(export_id, (str, int)) and re.fullmatch(contract.CLINIC_ID_PATTERN, str(export_id)):
            batch.batch_id = str(export_id)
        else:
            batch.reasons.append("manifest.json has an export_id that is not 1 to 64 letters, digits, '-' or '_'")
    clinic_id = manifest.get("clinic_id")
    if clinic_id is not None:
        if isinstance(clinic_id, str) and re.fullmatch(contract.CLINIC_ID_PATTERN, clinic_id):
            batch.clinic_id = clinic_id
        else:
            batch.reasons.append("manifest.json has a clinic_id that is not 1 to 64 letters, digits, '-' or '_'")
    exported_at = manifest.get("exported_at")
    batch.exported_at = str(exported_at)[:64] if exported_at else None
    files = manifest.get("files")
    if files is None:
        return
    if not isinstance(files, list):
        batch.reasons.append("manifest.json has 'files' that is not a list")
        return
    batch.manifest_files = set()
    for entry in files:
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            batch.reasons.append("manifest.json lists a file without a name")
            continue
        name = entry["name"]
        batch.manifest_files.add(name)
        if "/" in name or "\\" in name or name.startswith("."):
            batch.reasons.append("manifest.json lists a file outside the batch folder")
            continue
        if not (batch.folder / name).is_file():
            batch.reasons.append(f"manifest.json lists {name}, which is not in the batch")
        if "rows" in entry:
            rows = _whole_number(entry["rows"])
            if rows is None:
                batch.reasons.append(f"manifest.json gives {name} a row count that is not a whole number")
            else:
                batch.manifest_rows[name] = rows
        if "sha256" in entry:
            sha = entry["sha256"]
            if isinstance(sha, str) and re.fullmatch(r"[0-9A-Fa-f]{64}", sha.strip()):
                batch.manifest_sha[name] = sha.strip().lower()
            else:
                batch.reasons.append(f"manifest.json gives {name} a sha256 that is not 64 hex digits")


def inspect(folder: Path) -> Batch:
    """Check a batch folder's files without loading them: presence, bytes, manifest, checksums."""
    batch = Batch(folder=folder, batch_id=folder.name)
    try:
        names = sorted(p.name for p in folder.iterdir())
    except OSError as exc:
        batch.reasons.append(f"the batch folder cannot be read ({exc.strerror or exc.__class__.__name__})")
        batch.sha256 = hashlib.sha256(f"unreadable:{folder}".encode()).hexdigest()
        return batch
    if fhir.is_fhir(folder):  # a FHIR Bulk Data export: its own whole-batch checks (pipeline/fhir)
        fhir.inspect(batch, names)
        return batch
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
        try:
            if path.stat().st_size == 0:
                batch.reasons.append(f"{path.name} is empty")
                bf.sha256, bf.readable = _hash(path), False
                continue
            if bf.format == "csv":
                bf.sha256, problem = _hash_and_check_text(path)
                if problem:
                    batch.reasons.append(f"{path.name} {problem}")
                    bf.readable = False
            else:
                bf.sha256 = _hash(path)
        except OSError as exc:
            batch.reasons.append(f"{path.name} cannot be read ({exc.strerror or exc.__class__.__name__})")
            bf.sha256, bf.readable = "unreadable", False
            continue
        if batch.manifest_files is not None and path.name not in batch.manifest_files:
            batch.reasons.append(f"{path.name} is not listed in manifest.json")
        expected = batch.manifest_sha.get(path.name)
        if expected and expected != bf.sha256:
            batch.reasons.append(f"{path.name} does not match the sha256 in manifest.json (truncated or altered file)")
    known = {MANIFEST} | {f"{t}.{f}" for t in contract.TABLES for f in contract.FILE_FORMATS}
    for other in (n for n in names if n not in known and not n.startswith(".")):
        batch.warnings.append(f"{other} is not part of the export format and was ignored")
    parts = [f"{bf.path.name}:{bf.sha256}" for bf in sorted(batch.files.values(), key=lambda b: b.path.name)]
    if batch.manifest_sha256:  # a corrected manifest alone makes a new delivery
        parts.append(f"{MANIFEST}:{batch.manifest_sha256}")
    batch.sha256 = hashlib.sha256("\n".join(parts).encode()).hexdigest()
    return batch


def _csv_header(bf: BatchFile) -> list[str] | str:
    """The header row of a CSV file as written (BOM and surrounding spaces removed), or a problem."""
    with open(bf.path, "rb") as fh:
        head = fh.read(_HEADER_BYTES)
    end = head.find(b"\n")
    if end < 0 and len(head) == _HEADER_BYTES:
        return "has a first line longer than 1 MB; the first line must be the header row"
    line = (head if end < 0 else head[:end]).decode("utf-8-sig").rstrip("\r")
    if not line.strip():
        return "starts with an empty line; the first line must be the header row"
    try:
        return [h.strip() for h in next(csv.reader(io.StringIO(line)))]
    except (csv.Error, StopIteration):
        return "has a header row that cannot be parsed as CSV"


def _parquet_header(bf: BatchFile) -> list[str] | str:
    import pyarrow.parquet as pq  # only when a batch has Parquet files

    try:
        return list(pq.read_schema(bf.path).names)
    except Exception:  # pyarrow raises several types for a file that is not Parquet
        return "could not be read as Parquet (it is not a Parquet file, or it is damaged)"


def _read_headers(batch: Batch) -> None:
    for bf in batch.files.values():
        if not bf.readable:
            continue
        headers = _csv_header(bf) if bf.format == "csv" else _parquet_header(bf)
        if isinstance(headers, str):
            batch.reasons.append(f"{bf.path.name} {headers}")
            bf.readable = False
            continue
        bf.headers = headers
        _check_headers(batch, bf)


def _label(header: str) -> str:
    """A header as it may be shown in a report: quoted when it reads like a column name, else withheld."""
    if re.fullmatch(r"[A-Za-z][A-Za-z0-9 _.()/-]{0,63}", header) and not re.search(r"[0-9]{3}", header):
        return f"'{header}'"
    return "(name withheld: it looks like data)"


def _check_headers(batch: Batch, bf: BatchFile) -> None:
    name, headers = bf.path.name, bf.headers
    table_columns = contract.column_names(bf.table)
    identifying = [h for h in headers if h and contract.identifying_header(h)]
    for h in identifying:
        batch.reasons.append(
            f"{name} has a column {_label(h)} that looks like a direct identifier; "
            "remove it (the batch was not loaded)"
        )
    if len(headers) == 1 and any(sep in headers[0] for sep in (";", "\t", "|")):
        sep = next(sep for sep in (";", "\t", "|") if sep in headers[0])
        batch.reasons.append(f"{name} is not comma-separated (its header is split by {sep!r}, not ',')")
        bf.readable = False
        return
    seen = set(headers)
    by_norm = {contract.normalise_header(h): h for h in headers if h}
    if not seen.intersection(table_columns) and not any(contract.normalise_header(c) in by_norm for c in table_columns):
        batch.reasons.append(
            f"{name} has no header row with the contract's columns (the first line must name the "
            f"columns: {', '.join(contract.required_columns(bf.table))}, ...)"
        )
        bf.readable = False
        return
    for col in contract.required_columns(bf.table):
        if col not in seen:
            near = by_norm.get(contract.normalise_header(col))
            hint = f" (it has {_label(near)}; name it exactly '{col}')" if near else ""
            batch.reasons.append(f"{name} is missing the required column '{col}'{hint}")
    if bf.table == "sessions" and not seen.intersection(contract.DATE_COLUMNS):
        batch.reasons.append(f"{name} has neither 'session_date' nor 'session_day'")
    if bf.table == "sessions" and "session_day" in seen and "session_year" not in seen:
        batch.reasons.append(f"{name} has 'session_day' without 'session_year'")
    for h in sorted({h for h in headers if h and headers.count(h) > 1}):
        batch.reasons.append(f"{name} has the column {_label(h)} more than once")
    for i, h in enumerate(headers, 1):
        if not h:
            batch.warnings.append(f"{name}: column {i} has no name and was ignored")
    for h in dict.fromkeys(headers):
        if h and h not in table_columns and h not in identifying:
            batch.warnings.append(f"{name}: column {_label(h)} is not in the contract and was ignored")


def _read_error(bf: BatchFile, exc: Exception) -> str:
    """DuckDB's reading error in plain words, without the offending line (it may be identifying)."""
    text = str(exc)
    where = re.search(r"Line: (\d+)", text)
    line = f"line {where.group(1)} of the file" if where else "a line"
    if bf.format == "parquet":
        return f"{bf.path.name} could not be read as Parquet (it is not a Parquet file, or it is damaged)"
    columns = re.search(r"Expected Number of Columns: (\d+) Found: (\d+)", text)
    if columns:
        return (f"{bf.path.name} cannot be parsed as CSV: {line} has {columns.group(2)} fields "
                f"but the header has {columns.group(1)}")
    if "unterminated quote" in text.lower():
        return f"{bf.path.name} cannot be parsed as CSV: {line} opens a quote that is never closed"
    if "maximum line size" in text.lower():
        return f"{bf.path.name} cannot be parsed as CSV: {line} is longer than the largest line allowed"
    if "unicode" in text.lower() or "utf-8" in text.lower():
        return f"{bf.path.name} is not UTF-8 text"
    return f"{bf.path.name} cannot be parsed as CSV ({line} does not follow the CSV format)"


def _parse(con: duckdb.DuckDBPyConnection, batch: Batch, bf: BatchFile) -> None:
    params = {"path": str(bf.path), "columns": contract.column_names(bf.table), "batch_id": batch.batch_id}
    if bf.format == "csv":
        # The header as read above, every column as text: nothing is sniffed or guessed, and a
        # row with more or fewer fields than the header is an error, not a shifted row.
        names = [h if h and h not in bf.headers[: i - 1] else f"_column_{i}" for i, h in enumerate(bf.headers, 1)]
        params["csv_columns"] = {n: "VARCHAR" for n in names}
    run(con, f"raw/received_{bf.table}_{bf.format}", params)


def _parse_files(con: duckdb.DuckDBPyConnection, batch: Batch) -> list[BatchFile]:
    """Parse each readable file into a temporary table, outside any transaction, and check it.

    Runs even when the batch already has reasons, so that every reason is listed. A parsing
    error is a reason, never a half-loaded batch: nothing reaches ``raw`` before every file of
    the batch has been parsed and checked. Returns the files parsed.
    """
    parsed = []
    for table, bf in batch.files.items():
        if not bf.readable:
            continue
        try:
            _parse(con, batch, bf)
        except duckdb.InterruptException:  # the run is being stopped: not a problem of the file
            raise
        except duckdb.Error as exc:
            batch.reasons.append(_read_error(bf, exc))
            bf.readable = False
            continue
        parsed.append(bf)
        bf.rows = scalar(con, f"raw/count_received_{table}")
        expected = batch.manifest_rows.get(bf.path.name)
        if expected is not None and expected != bf.rows:
            batch.reasons.append(
                f"{bf.path.name} has {bf.rows} rows but manifest.json says {expected} (truncated or altered file)"
            )
        if bf.rows == 0 and expected is None:  # an empty month is a valid export; a manifest's rows: 0 says so
            batch.warnings.append(f"{bf.path.name} has no rows: a month without {bf.table}, which is a valid export")
    with_clinic = [bf for bf in parsed if "clinic_id" in bf.headers]
    if batch.clinic_id:
        others = sum(scalar(con, f"raw/other_clinic_{bf.table}", {"clinic_id": batch.clinic_id}) for bf in with_clinic)
        if others:
            batch.reasons.append(f"{others} rows belong to another clinic than the manifest's '{batch.clinic_id}'")
    elif any(bf.table == "sessions" for bf in with_clinic):
        clinic = scalar(con, "raw/batch_clinic")
        batch.clinic_id = clinic if isinstance(clinic, str) and re.fullmatch(contract.CLINIC_ID_PATTERN, clinic) else None
    return parsed


def receive(con: duckdb.DuckDBPyConnection, folder: Path, loaded_at: datetime | None = None) -> Batch | None:
    """Inspect one batch and, when it passes, load it into ``raw``; record it in ``audit``.

    Every file is parsed and checked first; only an accepted batch is then loaded, in one
    transaction with its record in ``audit.batches`` (and, for a re-export, the removal of the
    earlier delivery). A rejected batch loads nothing, and an earlier delivery it would have
    replaced stays. Returns None when this exact content was handled before (nothing to do).
    """
    batch = inspect(folder)
    if scalar(con, "audit/batch_seen", {"sha256": batch.sha256}):
        return None
    if batch.fhir is None:
        _read_headers(batch)
    try:
        parsed = fhir.parse(con, batch) if batch.fhir is not None else _parse_files(con, batch)
        loaded_at = loaded_at or datetime.now(timezone.utc).replace(tzinfo=None)
        params = {
            "batch_id": batch.batch_id, "clinic_id": batch.clinic_id, "sha256": batch.sha256,
            "loaded_at": loaded_at, "folder": str(folder), "exported_at": batch.exported_at,
        }
        con.execute("begin transaction")
        try:
            if batch.accepted:
                if scalar(con, "audit/batch_previous", params):
                    for name in _REPLACE + fhir.REPLACE:
                        run(con, name, params)
                    batch.warnings.append(f"replaces the earlier delivery of export {batch.batch_id}")
                for bf in parsed:
                    run(con, f"raw/insert_{bf.table}")
                if batch.fhir is not None:
                    fhir.record(con, batch)
            run(con, "audit/batch_insert", {
                **params, "status": "accepted" if batch.accepted else "rejected",
                "reasons": batch.reasons, "rows_raw": sum(bf.rows or 0 for bf in parsed) if batch.accepted else None,
            })
            for bf in batch.files.values():
                run(con, "audit/batch_file_insert", {
                    "batch_id": batch.batch_id, "sha256": batch.sha256, "table_name": bf.table,
                    "file_name": bf.path.name, "format": bf.format,
                    "rows": bf.rows if batch.accepted else None, "file_sha256": bf.sha256,
                })
            con.execute("commit")
        except Exception:
            con.execute("rollback")
            raise
    finally:
        for table in contract.TABLES:
            run(con, f"raw/drop_received_{table}")
        if batch.fhir is not None:
            fhir.cleanup(con)
    return batch


@contextmanager
def fewer_checkpoints(con: duckdb.DuckDBPyConnection):
    """Receive many batches with one checkpoint at the end instead of one every 16 MB of log.

    Each batch commits on its own (a batch is loaded whole or not at all), and by default DuckDB
    checkpoints whenever 16 MB of write-ahead log has gathered, rewriting the tables' last,
    partly filled row groups each time: at 1M sessions that was most of the CPU time of
    receiving. The committed batches are as durable either way (the log is on disk).
    """
    con.execute("set checkpoint_threshold = '1GB'")
    try:
        yield
    finally:
        con.execute("reset checkpoint_threshold")
        con.execute("checkpoint")


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
            if batch.fhir is not None:  # the rows mapped from its resources (audit.fhir_resources has the rest)
                rows = f"FHIR Bulk Data: {batch.fhir.sessions} sessions, {batch.fhir.measurements} measurements"
            log.info("[ingest %d/%d] %s accepted (%s)", i, len(folders), batch.batch_id, rows)
        else:
            log.info("[ingest %d/%d] %s REJECTED: %s", i, len(folders), batch.batch_id, "; ".join(batch.reasons))
    if not handled:
        log.info("[ingest] no new batches among %d folders in %s", len(folders), inbox)
    return handled
