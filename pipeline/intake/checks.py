"""Whole-batch checks of export batches: pure, without a warehouse (contract section 1).

Everything about a batch folder that can be known before any row is loaded: which files it has,
their bytes (sha256, UTF-8 text), the manifest, the header rows (required columns, direct
identifiers, separators). ``check_batches`` runs them for many folders at once on a thread pool
(hashing releases the GIL). The rows themselves are read later, by one scan per group of files
with the same header (``pipeline.ingest``).

Every reason is one plain sentence that names the file, the column or the line, never a
value from the data (a value may be identifying): DuckDB's own error messages quote the
offending line, so ``read_error`` translates them and they are never passed on.
"""
from __future__ import annotations

import codecs
import csv
import hashlib
import io
import json
import os
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from pipeline import contract, fhir
from pipeline.errors import OutcomesError

MANIFEST = "manifest.json"
_CHUNK = 1 << 20
_HEADER_BYTES = 1 << 20  # a header line longer than this is not a header
SETTLE_FOR_FINGERPRINT = 2.0  # seconds a folder's files must be unchanged for its fingerprint to be kept


@dataclass
class BatchFile:
    table: str
    path: Path
    format: str
    sha256: str = ""
    rows: int | None = None
    headers: list[str] = field(default_factory=list)
    readable: bool = True  # False once a problem with its bytes or header is known
    types: str = ""  # a Parquet file's column types (files read by one scan share names and types)
    error: str = ""  # why its rows could not be read
    first_row: int | None = None  # where its rows start in the scan (pipeline.ingest)
    other_clinic: int = 0  # its rows of another clinic than the manifest's
    clinic: str | None = None  # the most frequent clinic_id of its rows

    @property
    def columns(self) -> dict[str, str]:
        """A CSV file's columns as it is read: the header as written, every column as text (a
        column without a name, or named twice, under a placeholder name that no rule reads)."""
        return {(h if h and h not in self.headers[: i - 1] else f"_column_{i}"): "VARCHAR"
                for i, h in enumerate(self.headers, 1)}

    @property
    def scan_key(self) -> tuple:
        """Files with the same key are read by one scan: same table, format and header."""
        return (self.table, self.format, tuple(self.headers), self.types)


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
    loaded_at: datetime | None = None  # when received (delivery order)
    loaded: list[BatchFile] = field(default_factory=list)  # the files whose rows were read

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


def folder_files(folder: Path) -> list[tuple[str, os.stat_result]]:
    """Every file under a batch folder (its path inside it) with its stat, in name order; a link
    to nothing, or a file gone while listing, is not a file."""
    found = []
    for root, dirs, files in os.walk(folder):
        dirs.sort()
        for name in sorted(files):
            path = Path(root) / name
            try:
                found.append((path.relative_to(folder).as_posix(), path.stat()))
            except FileNotFoundError:
                continue
    return found


def fingerprint(files: list[tuple[str, os.stat_result]]) -> str:
    """Names, sizes and modification times (ns) of a folder's files as one short digest: any file
    added, removed, rewritten or touched changes it (what make and rsync go by)."""
    text = "\n".join(f"{name}:{st.st_size}:{st.st_mtime_ns}" for name, st in files)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def settled_fingerprint(folder: Path, now: float, settle: float = SETTLE_FOR_FINGERPRINT) -> str | None:
    """``fingerprint`` of a batch folder; None when it cannot be listed or a file in it changed in
    the last ``settle`` seconds before ``now`` (a file's modification time is as coarse as the
    kernel's clock tick: a file rewritten within the same tick, at the same size, would keep its
    fingerprint), so that a folder is trusted by its fingerprint only once it was settled when read."""
    try:
        files = folder_files(folder)
    except OSError:
        return None
    if any(st.st_mtime > now - settle for _, st in files):
        return None
    return fingerprint(files)


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
        schema = pq.read_schema(bf.path)
    except Exception:  # pyarrow raises several types for a file that is not Parquet
        return "could not be read as Parquet (it is not a Parquet file, or it is damaged)"
    bf.types = ",".join(str(t) for t in schema.types)
    return list(schema.names)


def read_headers(batch: Batch) -> None:
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


def read_error(bf: BatchFile, exc: Exception) -> str:
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




def check(folder: Path) -> Batch:
    """Every whole-batch check of one folder: files, bytes, manifest and (tables) header rows."""
    batch = inspect(folder)
    if batch.fhir is None:
        read_headers(batch)
    return batch


def check_batches(folders: list[Path], workers: int | None = None) -> list[Batch]:
    """``check`` for many folders, in their order, on a pool of threads: sha256 releases the GIL,
    so hashing one file runs beside the UTF-8 check of another."""
    if len(folders) < 2:
        return [check(f) for f in folders]
    with ThreadPoolExecutor(max_workers=workers or min(4, os.cpu_count() or 1)) as pool:
        return list(pool.map(check, folders))
