"""Receiving export batches: check them whole, then load the accepted ones into ``raw``.

A batch is accepted or rejected whole (contract section 1). A rejected batch loads nothing,
not even into ``raw``; it is recorded in ``audit.batches`` with every reason, and its folder
stays where it is. The same content (same files and manifest, byte for byte) is handled once;
a batch whose ``export_id`` was accepted before with other content replaces the earlier one.

Many batches at once, set-based (docs/scaling.md):

1. the whole-batch checks of every new or changed folder (``pipeline.intake.checks``: checksums,
   UTF-8, manifest, headers), on a pool of threads, before anything is read into the warehouse;
   a folder whose files' names, sizes and modification times are those recorded when its
   content was received (``audit.received_folders``) is not read again;
2. the files of all those batches that share a table, format and header, read by ONE scan each
   into a temporary table (every column as text, the file's name beside each row), then the
   checks that need the rows (row counts against the manifest, the clinic) per file from one
   aggregate over it;
3. one transaction: the accepted batches' rows into ``raw`` with their batch and row number
   (a row's rowid in the scan, less its file's first), the earlier deliveries they replace
   removed, and every batch's record in ``audit.batches`` and ``audit.batch_files``.

Batches go in rounds: a round has each batch id at most once (a re-export within one delivery
replaces the earlier one in the next round) and at most ``ROUND_BYTES`` of files (the scan's
temporary tables stay small at any size). A FHIR Bulk Data batch is read and mapped by
``pipeline.fhir`` into its own temporary tables and loaded in its own transaction.
"""
from __future__ import annotations

import logging
import re
import time
from collections import defaultdict
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path

import duckdb

from pipeline import contract, fhir
from pipeline.intake.checks import (  # noqa: F401  (re-exported: the record of a batch and its files)
    MANIFEST, Batch, BatchFile, check, check_batches, discover, inspect, read_error, settled_fingerprint,
)
from pipeline.warehouse import run, scalar, transaction, unordered_inserts

log = logging.getLogger("outcomes")

ROUND_BYTES = 512 << 20  # files read by one round of scans (their text in temporary tables)
# Every delete that makes a re-export with the same export_id replace the earlier delivery.
_REPLACE = ("raw/delete_sessions", "raw/delete_measurements", "staging/delete_sessions",
            "staging/delete_measurements", "quarantine/delete_sessions",
            "quarantine/delete_measurements", "audit/checks_delete_batch", "audit/batch_mark_replaced")


def _size(batch: Batch) -> int:
    total = 0
    for bf in batch.files.values():
        try:
            total += bf.path.stat().st_size
        except OSError:
            pass
    return total


def _rounds(batches: list[Batch]) -> list[list[Batch]]:
    """Consecutive batches, each batch id once per round and at most ROUND_BYTES of files."""
    rounds, ids, size = [[]], set(), 0
    for batch in batches:
        nbytes = _size(batch)
        if rounds[-1] and (batch.batch_id in ids or size + nbytes > ROUND_BYTES):
            rounds.append([])
            ids, size = set(), 0
        rounds[-1].append(batch)
        ids.add(batch.batch_id)
        size += nbytes
    return [r for r in rounds if r]


def receive(con: duckdb.DuckDBPyConnection, folder: Path, loaded_at: datetime | None = None) -> Batch | None:
    """One batch folder (see ``receive_batches``); None when this exact content was handled before."""
    handled = receive_batches(con, [folder], loaded_at)
    return handled[0] if handled else None


def receive_batches(con: duckdb.DuckDBPyConnection, folders: list[Path],
                    loaded_at: datetime | None = None) -> list[Batch]:
    """Check every folder whole, then load the accepted batches into ``raw`` and record them all in
    ``audit``; returns the batches handled (content received before is skipped). ``loaded_at``
    (default now) is the first batch's; each next folder's is a microsecond later (delivery order)."""
    folders, prints = _changed_folders(con, list(folders))
    batches = check_batches(folders)
    seen = {r[0] for r in run(con, "audit/batches_seen", {"sha256s": [b.sha256 for b in batches] or [""]})}
    start = loaded_at or datetime.now(timezone.utc).replace(tzinfo=None)
    new = []
    for i, batch in enumerate(batches):
        if batch.sha256 in seen:
            continue
        seen.add(batch.sha256)  # the same content twice in one delivery: handled once
        batch.loaded_at = start + timedelta(microseconds=i)
        new.append(batch)
    if new:
        log.info("[ingest] %d new of %d batch folders checked whole; reading their files", len(new), len(batches))
    for batches_of_round in _rounds(new):
        for batch in (b for b in batches_of_round if b.fhir is not None):
            _receive_fhir(con, batch)
        tables = [b for b in batches_of_round if b.fhir is None]
        if tables:
            _receive_tables(con, tables)
    checked = [(b, prints[str(b.folder)]) for b in batches if prints.get(str(b.folder))]
    if checked:
        run(con, "audit/received_folders_record", {
            "folders": [str(b.folder) for b, _ in checked], "fingerprints": [p for _, p in checked],
            "sha256s": [b.sha256 for b, _ in checked], "checked_at": start})
    return new


def _changed_folders(con: duckdb.DuckDBPyConnection, folders: list[Path]) -> tuple[list[Path], dict[str, str | None]]:
    """The folders to check whole: all but those whose files (names, sizes, modification times) are
    as they were when their content was received (``audit.received_folders``): reading an unchanged
    inbox costs a listing, not a hash of every byte. Also each folder's fingerprint now (None for a
    folder being written to: it is checked whole and its fingerprint not kept)."""
    now = time.time()
    prints = {str(f): settled_fingerprint(f, now) for f in folders}
    known = dict(run(con, "audit/received_folders_known", {"folders": list(prints) or [""]}))
    changed = [f for f in folders if prints[str(f)] is None or known.get(str(f)) != prints[str(f)]]
    if len(changed) < len(folders):
        log.info("[ingest] %d of %d batch folders unchanged since they were received: not read again",
                 len(folders) - len(changed), len(folders))
    return changed, prints


def _audit(con: duckdb.DuckDBPyConnection, batches: list[Batch]) -> None:
    """Record batches in audit.batches and audit.batch_files (inside the caller's transaction)."""
    run(con, "audit/batches_insert", {
        "batch_ids": [b.batch_id for b in batches], "clinic_ids": [b.clinic_id for b in batches],
        "statuses": ["accepted" if b.accepted else "rejected" for b in batches],
        "reasons": [b.reasons for b in batches], "sha256s": [b.sha256 for b in batches],
        "rows_raw": [sum(bf.rows or 0 for bf in b.loaded) if b.accepted else None for b in batches],
        "loaded_ats": [b.loaded_at for b in batches], "folders": [str(b.folder) for b in batches],
        "exported_ats": [b.exported_at for b in batches],
    })
    files = [(b, bf) for b in batches for bf in b.files.values()]
    if files:
        run(con, "audit/batch_files_insert", {
            "batch_ids": [b.batch_id for b, _ in files], "sha256s": [b.sha256 for b, _ in files],
            "table_names": [bf.table for _, bf in files], "file_names": [bf.path.name for _, bf in files],
            "formats": [bf.format for _, bf in files],
            "rows": [bf.rows if b.accepted else None for b, bf in files],
            "file_sha256s": [bf.sha256 for _, bf in files],
        })


def _replace_earlier(con: duckdb.DuckDBPyConnection, batches: list[Batch], extra: tuple = ()) -> None:
    """Remove the earlier accepted delivery of each accepted batch's export (a re-export)."""
    accepted = [b for b in batches if b.accepted]
    earlier = {r[0] for r in run(con, "audit/batches_previous", {"batch_ids": [b.batch_id for b in accepted] or [""]})}
    for batch in (b for b in accepted if b.batch_id in earlier):
        for name in _REPLACE + extra:
            run(con, name, {"batch_id": batch.batch_id})
        batch.warnings.append(f"replaces the earlier delivery of export {batch.batch_id}")


def _scan(con: duckdb.DuckDBPyConnection, files: list[BatchFile]) -> list[BatchFile]:
    """Read files of one table, format and header into its scan table; returns those that failed."""
    first = files[0]
    params = {"paths": [str(bf.path) for bf in files], "columns": contract.column_names(first.table),
              "csv_columns": first.columns}
    try:
        run(con, f"raw/scan_{first.table}_{first.format}", params)
        return []
    except duckdb.InterruptException:  # the run is being stopped: not a problem of a file
        raise
    except duckdb.Error as exc:
        if len(files) == 1:
            first.readable = False
            first.error = read_error(first, exc)
            return [first]
    return [bf for one in files for bf in _scan(con, [one])]  # which file it was: each on its own


def _count_rows(con: duckdb.DuckDBPyConnection, batch_of: dict[str, Batch], files: list[BatchFile]) -> None:
    """Per file read: its rows and first rowid in the scan, and the rows of another clinic."""
    for table in contract.TABLES:
        mine = [bf for bf in files if bf.table == table]
        if not mine:
            continue
        paths = [str(bf.path) for bf in mine]
        clinics = [batch_of[p].clinic_id for p in paths]
        stats = {r[0]: r[1:] for r in run(con, f"raw/scanned_files_{table}", {"paths": paths, "clinics": clinics})}
        if sum(s[0] for s in stats.values()) != scalar(con, f"raw/count_scanned_{table}"):
            raise RuntimeError(f"rows of the {table} files read were not matched to their files; receiving stopped")
        for bf, path in zip(mine, paths):
            bf.rows, bf.first_row, last, bf.other_clinic, bf.clinic = stats[path]
            if bf.rows and last - bf.first_row + 1 != bf.rows:  # the scan kept each file's rows together, in order
                raise RuntimeError(f"the rows of {path} were not read contiguously; receiving stopped")


def _check_rows(batch: Batch, files: list[BatchFile]) -> None:
    """The checks of a batch that need its rows: row counts, and the clinic of every row."""
    for bf in files:
        expected = batch.manifest_rows.get(bf.path.name)
        if expected is not None and expected != bf.rows:
            batch.reasons.append(
                f"{bf.path.name} has {bf.rows} rows but manifest.json says {expected} (truncated or altered file)")
        if bf.rows == 0 and expected is None:  # an empty month is a valid export; a manifest's rows: 0 says so
            batch.warnings.append(f"{bf.path.name} has no rows: a month without {bf.table}, which is a valid export")
    with_clinic = [bf for bf in files if "clinic_id" in bf.headers]
    if batch.clinic_id:
        others = sum(bf.other_clinic for bf in with_clinic)
        if others:
            batch.reasons.append(f"{others} rows belong to another clinic than the manifest's '{batch.clinic_id}'")
    else:
        clinic = next((bf.clinic for bf in with_clinic if bf.table == "sessions"), None)
        batch.clinic_id = clinic if isinstance(clinic, str) and re.fullmatch(contract.CLINIC_ID_PATTERN, clinic) else None


def _receive_tables(con: duckdb.DuckDBPyConnection, batches: list[Batch]) -> None:
    """One round of CSV/Parquet batches: one scan per group of files with the same header, the row
    checks, then one transaction for raw and audit. Every readable file is read, also of a batch
    already rejected, so that every reason is listed."""
    batch_of = {str(bf.path): b for b in batches for bf in b.files.values()}
    groups = defaultdict(list)
    for bf in (bf for b in batches for bf in b.files.values() if bf.readable):
        groups[bf.scan_key].append(bf)
    try:
        for table in contract.TABLES:
            run(con, f"raw/create_scanned_{table}")
        failed = [bf for group in groups.values() for bf in _scan(con, group)]
        for bf in failed:
            batch_of[str(bf.path)].reasons.append(bf.error)
        read = [bf for group in groups.values() for bf in group if bf.readable]
        _count_rows(con, batch_of, read)
        for batch in batches:
            batch.loaded = [bf for bf in batch.files.values() if bf.readable]
            _check_rows(batch, batch.loaded)
        with transaction(con):
            _replace_earlier(con, batches)
            for table in contract.TABLES:
                loaded = [(b, bf) for b in batches if b.accepted for bf in b.loaded if bf.table == table]
                if loaded:
                    with unordered_inserts(con):
                        run(con, f"raw/insert_scanned_{table}", {
                            "paths": [str(bf.path) for _, bf in loaded], "batch_ids": [b.batch_id for b, _ in loaded],
                            "first_rows": [bf.first_row for _, bf in loaded]})
            _audit(con, batches)
    finally:
        for table in contract.TABLES:
            run(con, f"raw/drop_scanned_{table}")


def _receive_fhir(con: duckdb.DuckDBPyConnection, batch: Batch) -> None:
    """A FHIR Bulk Data batch: read and mapped by pipeline.fhir into received_*, then loaded with
    its resources' record in its own transaction."""
    try:
        batch.loaded = fhir.parse(con, batch)
        with transaction(con):
            if batch.accepted:
                _replace_earlier(con, [batch], fhir.REPLACE)
                for bf in batch.loaded:  # each row carries its row number: no order to keep
                    with unordered_inserts(con):
                        run(con, f"raw/insert_{bf.table}")
                fhir.record(con, batch)
            _audit(con, [batch])
    finally:
        for table in contract.TABLES:
            run(con, f"raw/drop_received_{table}")
        fhir.cleanup(con)


@contextmanager
def fewer_checkpoints(con: duckdb.DuckDBPyConnection):
    """Receive many batches with one checkpoint at the end instead of one every 16 MB of log.

    Each round commits on its own (a batch is loaded whole or not at all), and by default DuckDB
    checkpoints whenever 16 MB of write-ahead log has gathered, rewriting the tables' last,
    partly filled row groups each time. The committed batches are as durable either way (the
    log is on disk).
    """
    con.execute("set checkpoint_threshold = '1GB'")
    try:
        yield
    finally:
        con.execute("reset checkpoint_threshold")
        con.execute("checkpoint")


def log_batches(handled: list[Batch], folders: list[Path]) -> None:
    """One line per batch handled: accepted with its rows, or rejected with every reason."""
    index = {str(f): i for i, f in enumerate(folders, 1)}
    for batch in handled:
        i = index.get(str(batch.folder), 0)
        if batch.accepted:
            rows = ", ".join(f"{bf.rows} {t}" for t, bf in batch.files.items())
            if batch.fhir is not None:  # the rows mapped from its resources (audit.fhir_resources has the rest)
                rows = f"FHIR Bulk Data: {batch.fhir.sessions} sessions, {batch.fhir.measurements} measurements"
            log.info("[ingest %d/%d] %s accepted (%s)", i, len(folders), batch.batch_id, rows)
        else:
            log.info("[ingest %d/%d] %s REJECTED: %s", i, len(folders), batch.batch_id, "; ".join(batch.reasons))


def receive_inbox(con: duckdb.DuckDBPyConnection, inbox: Path) -> list[Batch]:
    """Receive every new batch folder of the inbox; returns the batches handled this time."""
    folders = discover(inbox)
    handled = receive_batches(con, folders)
    log_batches(handled, folders)
    if not handled:
        log.info("[ingest] no new batches among %d folders in %s", len(folders), inbox)
    return handled
