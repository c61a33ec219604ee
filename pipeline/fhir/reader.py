"""Reading a FHIR Bulk Data batch into the contract's two tables, set-based in DuckDB (sql/fhir/).

``inspect`` checks the manifest and its files (pipeline/fhir/manifest.py); ``parse`` reads every
NDJSON file with ``read_ndjson`` and an explicit column structure of only the fields the mapping
needs, checks each file's lines against the manifest's count, then maps the resources into the
same ``received_sessions`` / ``received_measurements`` a CSV batch fills (here views over the mapped
rows, each numbered in file order), so that the insert into ``raw``, the audit and the staging rules
are shared; ``record`` writes, inside the
batch's transaction, what became of every resource (``audit.fhir_resources``), the resources no
row could be made of (``quarantine.fhir_resources``), the patients' first days and the key's
fingerprint. No value of a resource is ever printed: reasons name files, lines and counts.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb

from pipeline import contract
from pipeline.fhir import keys
from pipeline.fhir.manifest import MANIFEST, READ_TYPES, FhirExport, check, load
from pipeline.warehouse import REGISTRY_FILES, SQL_DIR, run, scalar

REGISTRY_DIR = REGISTRY_FILES["measures"].parent
PROCEDURE_CODES = REGISTRY_DIR / "fhir_procedure_codes.csv"
SNOMED_CONDITIONS = REGISTRY_DIR / "fhir_snomed_conditions.csv"
EMPTY = SQL_DIR / "fhir" / "empty.ndjson"  # what a type without files is read from
SYSTEMS = {
    "cpt_system": "http://www.ama-assn.org/go/cpt",
    "icd_system": "http://hl7.org/fhir/sid/icd-10-cm",
    "snomed_system": "http://snomed.info/sct",
    "loinc_system": "http://loinc.org",
}
MACROS = ("fhir/macro_pseudonym", "fhir/macro_ref_type", "fhir/macro_ref_key")
MAPPING = ("fhir/ids", "fhir/procedures", "fhir/encounters", "fhir/sessions", "fhir/observations",
           "fhir/measurements", "fhir/outcomes", "fhir/quarantine_rows",
           "fhir/received_sessions", "fhir/received_measurements")
TEMP_TABLES = tuple(f"fhir_{t.lower()}_lines" for t in READ_TYPES) + (
    "fhir_other_lines", "fhir_ids", "fhir_procedures", "fhir_encounters", "fhir_sessions", "fhir_observations",
    "fhir_measurements", "fhir_outcomes", "fhir_quarantine", "fhir_snomed", "fhir_loinc")


def is_fhir(folder: Path) -> bool:
    return (folder / MANIFEST).is_file() and load(folder) is not None


def inspect(batch, names: list[str]) -> None:
    """Fill an ingest.Batch from a FHIR manifest: its files, checksums and whole-batch reasons."""
    from pipeline.ingest import BatchFile  # the shared record of a received file

    manifest_path = batch.folder / MANIFEST
    data = manifest_path.read_bytes()
    batch.manifest_sha256 = hashlib.sha256(data).hexdigest()
    export = check(load(batch.folder) or {}, batch.folder, names, batch)
    batch.fhir = export
    for out in export.outputs:
        batch.files[out.path.name] = BatchFile(table=out.resource_type, path=out.path, format="ndjson",
                                               sha256=out.sha256)
    parts = sorted(f"{o.path.name}:{o.sha256}" for o in export.outputs) + [f"{MANIFEST}:{batch.manifest_sha256}"]
    batch.sha256 = hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _read(con: duckdb.DuckDBPyConnection, batch, export: FhirExport) -> None:
    """Each type's files into its temporary table: a strict reading first (the faster one), and only when
    it fails a lenient one, in which a damaged line is a row of nulls (then counted and reported)."""
    reads = [(name, export.paths(rtype)) for rtype, name in READ_TYPES.items()] + [("fhir/read_other", export.paths(None))]
    for name, paths in reads:
        params = {"paths": paths or [str(EMPTY)], "lenient": False}
        try:
            run(con, name, params)
        except duckdb.InterruptException:
            raise
        except duckdb.Error:  # a line that is not JSON, or a field of another shape than FHIR's
            try:
                run(con, name, {**params, "lenient": True})
            except duckdb.InterruptException:
                raise
            except duckdb.Error:  # not even lenient: the batch is rejected, in plain words
                names = ", ".join(Path(p).name for p in paths)
                batch.reasons.append(f"{names} could not be read as NDJSON (one JSON resource a line)")
                run(con, name, {"paths": [str(EMPTY)], "lenient": True})


def _check_lines(con: duckdb.DuckDBPyConnection, batch, export: FhirExport) -> None:
    found = {Path(f).name: (lines, bad, first) for f, lines, bad, first in run(con, "fhir/line_counts")}
    for out in export.outputs:
        lines, bad, first = found.get(out.path.name, (0, 0, None))
        batch.files[out.path.name].rows = lines
        if bad:
            batch.reasons.append(f"{out.path.name}: {bad} line{'s are' if bad > 1 else ' is'} not a JSON resource "
                                 f"(the first is resource line {first}); the file may be truncated or damaged")
        if out.count is not None and out.count != lines:
            batch.reasons.append(f"{out.path.name} has {lines} lines but manifest.json says {out.count} "
                                 "(truncated or altered file)")


def _map(con: duckdb.DuckDBPyConnection, batch, export: FhirExport) -> None:
    key, export.key_mark = keys.network_key(con)
    ipad, opad = keys.pads(key)
    run(con, "fhir/set_ipad", {"ipad": ipad})
    run(con, "fhir/set_opad", {"opad": opad})
    try:
        for name in MACROS:
            run(con, name)
        run(con, "fhir/load_snomed", {"path": str(SNOMED_CONDITIONS)})
        run(con, "fhir/load_loinc", {"path": str(REGISTRY_FILES["measures"])})
        loinc = [r[0] for r in con.execute("select loinc from fhir_loinc").fetchall()]
        params = {**SYSTEMS, "massage_codes": _massage_codes(), "loinc_codes": loinc or [""],
                  "clinic_id": batch.clinic_id, "clinic_id_pattern": contract.CLINIC_ID_PATTERN,
                  "batch_id": batch.batch_id,
                  "encounter_identifiers": bool(scalar(con, "fhir/conditional_encounter_refs"))}
        for name in MAPPING:
            run(con, name, params)
        export.outcomes = run(con, "fhir/outcome_rows")
        export.sessions = scalar(con, "raw/count_received_sessions")
        export.measurements = scalar(con, "raw/count_received_measurements")
    except BaseException:
        cleanup(con)
        raise


def _massage_codes() -> list[str]:
    import csv

    with open(PROCEDURE_CODES, newline="", encoding="utf-8") as fh:
        return [f"{r['system']}|{r['code']}" for r in csv.DictReader(fh)]


def parse(con: duckdb.DuckDBPyConnection, batch) -> list:
    """Read and map a FHIR batch into received_sessions / received_measurements; the parsed 'files'
    (one per contract table, with its row count) for the shared insert. Nothing when rejected."""
    from pipeline.ingest import BatchFile

    export: FhirExport = batch.fhir
    _read(con, batch, export)
    _check_lines(con, batch, export)
    if not batch.accepted:
        return []
    _map(con, batch, export)
    if not batch.clinic_id and export.sessions:
        batch.clinic_id = scalar(con, "raw/batch_clinic")
    manifest = batch.folder / MANIFEST
    export.parsed = [BatchFile("sessions", manifest, "fhir", batch.manifest_sha256, rows=export.sessions),
                     BatchFile("measurements", manifest, "fhir", batch.manifest_sha256, rows=export.measurements)]
    return export.parsed


def record(con: duckdb.DuckDBPyConnection, batch) -> None:
    """Inside the batch's transaction, for an accepted FHIR batch: outcomes, quarantine, anchors, key."""
    params = {"batch_id": batch.batch_id}
    run(con, "fhir/insert_resources", params)
    run(con, "fhir/insert_quarantine", params)
    run(con, "fhir/insert_anchors", params)
    keys.record_first_use(con, batch.fhir.key_mark)
    for bf in batch.fhir.parsed:  # the rows mapped, as the batch's sessions and measurements (reports count them)
        run(con, "audit/batch_file_insert", {
            "batch_id": batch.batch_id, "sha256": batch.sha256, "table_name": bf.table, "file_name": MANIFEST,
            "format": "fhir", "rows": bf.rows, "file_sha256": batch.manifest_sha256})


def cleanup(con: duckdb.DuckDBPyConnection) -> None:
    """Forget the key's pads and the temporary tables of the batch (after its transaction)."""
    for table in TEMP_TABLES:
        con.execute(f"drop table if exists {table}")  # constant names of this module
    for name in ("fhir/forget_key", "fhir/forget_key_outer"):
        try:
            run(con, name)
        except duckdb.Error:  # never set: the batch was rejected before mapping
            pass
