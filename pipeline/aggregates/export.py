"""``outcomes aggregates export``: a site's warehouse -> one aggregates file (docs/aggregates.md).

The parts are every table of the warehouse's ``agg`` schema (clinic-level sufficient
statistics: no episode, patient or date column) and the site's audit counts that the hub's
data-quality page and evidence packs show (batches and their files' checksums, quarantined
rows per batch and reason, the quality gate's results, FHIR resource outcomes). Unsuppressed:
suppression happens once, at the hub. The manifest carries the analysis settings the episodes
were built with (audit.analysis_settings) and the time of the export.
"""
from __future__ import annotations

import hashlib
import io
import json
import re
import subprocess
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from pipeline import provenance, warehouse
from pipeline.aggregates import format as fmt
from pipeline.aggregates.format import AggregatesError, Part

if TYPE_CHECKING:  # pyarrow is imported where Parquet is read or written
    import pyarrow as pa

# audit part -> the SQL that reads it from a site's warehouse
AUDIT_PARTS = {
    "batches": "exchange/export_batches",
    "batch_files": "exchange/export_batch_files",
    "quarantine_reasons": "reports/quarantine_reasons",
    "quarantine_rows": "reports/quarantine_rows",
    "checks": "exchange/export_checks",
    "fhir_resources": "exchange/export_fhir_resources",
}
# DuckDB types that Parquet cannot hold exactly (DuckDB writes HUGEINT as DOUBLE): stored as DECIMAL(38,0)
EXACT_AS_DECIMAL = {"HUGEINT", "UHUGEINT"}
IDENT = re.compile(r"^[a-z_][a-z0-9_]{0,63}$")


def registry_sha256(con: duckdb.DuckDBPyConnection) -> str:
    """sha256 of the registry columns that change a figure (measures: code, range, direction,
    MCID and its kind; condition groups: ICD-10-CM prefix and group), canonical JSON."""
    content = {"measures": warehouse.run(con, "exchange/registry_measures"),
               "condition_groups": warehouse.run(con, "exchange/registry_condition_groups")}
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def load_reference(con: duckdb.DuckDBPyConnection) -> None:
    """(Re)load this installation's measure registry and condition groups into ``ref``."""
    try:
        from pipeline.reference import load_reference as load
    except ImportError:  # before the aggregates layer moved it
        from pipeline.models import load_reference as load
    load(con)


def package_registry_sha256() -> str:
    """The registry hash of this installation's own registry files (what a hub requires)."""
    con = duckdb.connect()
    try:
        con.execute("create schema ref")
        load_reference(con)
        return registry_sha256(con)
    finally:
        con.close()


def code_info() -> dict:
    """The package version, and the git commit when the code runs from a clone."""
    commit = None
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=provenance.REPO, capture_output=True,
                             text=True, timeout=5, check=True)
        commit = out.stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        pass
    return {"package": "massage-outcomes", "version": metadata.version("massage-outcomes"),
            "git_commit": commit, "code_version": provenance.code_version()}


def _parquet(table: pa.Table) -> bytes:
    import pyarrow.parquet as pq  # here: loading the definitions (outcomes run's start-up) imports no pyarrow

    buf = io.BytesIO()
    pq.write_table(table, buf, compression="zstd")
    return buf.getvalue()


def agg_tables(con: duckdb.DuckDBPyConnection) -> list[tuple[str, list[str], list[str]]]:
    """(table, columns, DuckDB types) of every table of the agg schema."""
    tables = warehouse.run(con, "exchange/agg_tables")
    for name, columns, _ in tables:
        bad = [c for c in [name, *columns] if not IDENT.match(c)]
        if bad:
            raise AggregatesError(f"the aggregates table or column '{bad[0]}' has a name this format cannot carry")
    return tables


def agg_part(con: duckdb.DuckDBPyConnection, name: str, columns: list[str], types: list[str]) -> Part:
    """One agg table as a Parquet part, rows in a fixed order (the same file for the same data)."""
    select = ", ".join(f'"{c}"::decimal(38, 0) as "{c}"' if t in EXACT_AS_DECIMAL else f'"{c}"'
                       for c, t in zip(columns, types))  # identifiers checked by agg_tables
    table = con.sql(f'select {select} from agg."{name}" order by all').to_arrow_table()
    return Part(name=name, kind="agg", data=_parquet(table), columns=tuple(zip(columns, types)), rows=table.num_rows)


def audit_part(con: duckdb.DuckDBPyConnection, name: str) -> Part:
    rel = con.sql(warehouse.sql(AUDIT_PARTS[name]))
    columns = tuple((c, str(t)) for c, t in zip(rel.columns, rel.types))
    table = rel.to_arrow_table()
    return Part(name=name, kind="audit", data=_parquet(table), columns=columns, rows=table.num_rows)


def analysis_settings(con: duckdb.DuckDBPyConnection, warehouse_path: Path | str = "the warehouse") -> dict:
    """The settings the warehouse's episodes, and so its aggregates, were built with
    (audit.analysis_settings); refuses a warehouse that does not record them."""
    settings = provenance.recorded_settings(con)
    missing = [k for k in fmt.REQUIRED_SETTINGS if k not in settings]
    if missing:
        raise AggregatesError(f"{warehouse_path} does not record the analysis settings its aggregates were built "
                              f"with ({', '.join(missing)}; it was last run by an earlier version): run "
                              "'outcomes run' on it again, then export")
    return settings


def exported_at() -> str:
    """Now, as the manifest's exported_at (ISO 8601, UTC, seconds)."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def default_site_id(warehouse_path: Path) -> str:
    """The site's name when --site is not given: the warehouse file's name without its suffix."""
    stem = re.sub(r"[^A-Za-z0-9_.-]", "_", Path(warehouse_path).name.split(".")[0])[:64]
    return stem or "site"


def build(con: duckdb.DuckDBPyConnection, site_id: str,
          warehouse_path: Path | str = "the warehouse") -> tuple[dict, list[Part]]:
    """The manifest and the parts of a site's warehouse."""
    tables = agg_tables(con)
    if not tables:
        raise AggregatesError("the warehouse has no aggregates (schema agg is empty or missing): "
                              "run 'outcomes run' on it first")
    settings = analysis_settings(con, warehouse_path)
    parts = [agg_part(con, name, columns, types) for name, columns, types in tables]
    parts += [audit_part(con, name) for name in AUDIT_PARTS]
    clinics = set()
    for name, columns, _ in tables:
        if "clinic_id" in columns:
            clinics |= {r[0] for r in con.sql(f'select distinct clinic_id from agg."{name}" '
                                              "where clinic_id is not null").fetchall()}
    batches = [{"batch_id": b, "clinic_id": c, "sha256": s, "status": st}
               for b, c, st, _, s, *_ in warehouse.run(con, "exchange/export_batches")]
    clinics |= {b["clinic_id"] for b in batches if b["status"] == "accepted" and b["clinic_id"]}
    manifest = fmt.manifest_for(site_id, sorted(clinics), batches, registry_sha256(con), code_info(), parts,
                                settings=settings, exported_at=exported_at())
    return manifest, parts


def export(warehouse_path: Path, out: Path, site_id: str | None = None) -> dict:
    """Write the aggregates file of the warehouse at ``warehouse_path`` to ``out``; its manifest."""
    warehouse_path, out = Path(warehouse_path), Path(out)
    if out.is_dir():
        raise AggregatesError(f"{out} is a folder: give the aggregates file's name, e.g. {out / 'site.aggregates.zip'}")
    if not out.parent.is_dir():
        raise AggregatesError(f"the folder {out.parent} does not exist")
    con = warehouse.connect(warehouse_path, read_only=True)
    try:
        if not warehouse.table_exists(con, "audit", "batches"):
            raise AggregatesError(f"{warehouse_path} is not a warehouse of this pipeline (it has no audit.batches)")
        manifest, parts = build(con, site_id or default_site_id(warehouse_path), warehouse_path)
    finally:
        con.close()
    fmt.write(out, manifest, parts)
    return manifest
