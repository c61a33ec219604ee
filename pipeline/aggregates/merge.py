"""``outcomes aggregates merge``: sites' aggregates files -> a hub's marts and reports.

Every file is checked whole before the hub is opened (format, version, measure registry,
every part's sha256, one site per file, each clinic and batch in one site only, the same
analysis settings in every file and in the hub's sites that stay). The hub is
then changed in one transaction: for each file, the rows its site left at the last merge are
replaced by the file's (re-merging a site's newer file replaces it; other sites stay), and the
marts are rebuilt from the hub's ``agg`` tables alone, suppressed once, on the merged network.
Anything that fails rolls the transaction back: the hub is as it was. A hub holds merged
aggregates only: a warehouse with staged sessions (a site's) is refused.
"""
from __future__ import annotations

import io
import json
import logging
import re
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from pipeline import contract, provenance, warehouse
from pipeline.aggregates import format as fmt
from pipeline.aggregates.export import AUDIT_PARTS, load_reference, package_registry_sha256
from pipeline.aggregates.format import Aggregates, AggregatesError

if TYPE_CHECKING:  # pyarrow is imported where Parquet is read or written
    import pyarrow as pa

log = logging.getLogger("outcomes")
# audit.aggregate_sites and its later columns (the sites' quarantine counts: audit tables of every warehouse, sql/ddl)
HUB_DDL = ("exchange/ddl_sites", "exchange/ddl_sites_add_exported_at", "exchange/ddl_sites_add_settings")
TYPE = re.compile(r"^[A-Z][A-Z0-9_]*(\(\d{1,2}(, ?\d{1,2})?\))?(\[\])?$")
IDENT = re.compile(r"^[a-z_][a-z0-9_]{0,63}$")
# audit part -> (hub table, the columns the hub fills itself: name -> SQL expression)
AUDIT_TARGETS = {
    "batches": ("audit.batches", {"loaded_at": "$merged_at", "folder": "'aggregates:' || $site_id",
                                  "exported_at": "null"}),
    "batch_files": ("audit.batch_files", {}),
    "checks": ("audit.checks", {"details": "null", "checked_at": "$merged_at"}),
    "fhir_resources": ("audit.fhir_resources", {}),
    "quarantine_reasons": ("audit.site_quarantine_reasons", {"site_id": "$site_id"}),
    "quarantine_rows": ("audit.site_quarantine_rows", {"site_id": "$site_id"}),
}


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def read_all(paths: list[Path]) -> list[Aggregates]:
    """Every file checked whole, and the files against each other (nothing opened yet)."""
    if not paths:
        raise AggregatesError("give at least one aggregates file to merge")
    registry = package_registry_sha256()
    files = [fmt.read(Path(p), registry) for p in paths]
    fmt.check_together(files)
    fmt.check_settings(files)
    _same_tables(files)
    return files


def _same_tables(files: list[Aggregates]) -> None:
    """Every file carries the same parts with the same columns (one version of the code's layer)."""
    first = files[0]
    shape = {n: [c for c, _ in p.columns] for n, p in first.parts.items()}
    missing = [n for n in AUDIT_PARTS if n not in first.parts]
    if missing:
        raise AggregatesError(f"{first.path} has no part {missing[0]}: export it again with this version of the pipeline")
    for f in files:
        for name, part in f.parts.items():
            bad = [x for x in [name, *(c for c, _ in part.columns)] if not IDENT.match(x)]
            bad += [t for _, t in part.columns if not TYPE.match(t)]
            if bad:
                raise AggregatesError(f"{f.path} has a part with a name or column type this format cannot carry ('{bad[0]}')")
        other = {n: [c for c, _ in p.columns] for n, p in f.parts.items()}
        if other != shape:
            diff = sorted(set(other) ^ set(shape)) or sorted(n for n in other if other[n] != shape.get(n))
            raise AggregatesError(f"{f.path} and {first.path} hold different aggregates tables (first difference: "
                                  f"{diff[0]}): export every site with the same version of the pipeline")


def refuse_hub(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """``outcomes run`` on a hub would rebuild its agg tables from its (empty) staging: refuse it."""
    if warehouse.table_exists(con, "audit", "aggregate_sites") and warehouse.scalar(con, "exchange/hub_site_count"):
        raise AggregatesError(f"{path} is a hub of merged aggregates (outcomes aggregates merge, or a run in "
                              "shards): run 'outcomes run --shards N' or merge into it, or give another --warehouse")


def _hub_state(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[list[str], list[str], dict | None]]:
    """site -> (its clinics, its batch ids, its analysis settings or None) as the hub holds them."""
    return {site: (list(clinics), list(batches), json.loads(settings) if settings else None)
            for site, clinics, batches, settings in warehouse.run(con, "exchange/hub_sites")}


def _check_hub(con: duckdb.DuckDBPyConnection, hub: Path, files: list[Aggregates], replace_all: bool) -> dict:
    if warehouse.scalar(con, "exchange/staged_sessions"):
        raise AggregatesError(f"{hub} is a site's warehouse (it holds staged sessions): merge into a hub "
                              "warehouse of its own (a new file)")
    state = _hub_state(con)
    kept = {} if replace_all else state  # the sites that stay beside the files' sites
    clinics = {c: site for site, (cs, _, _) in kept.items() for c in cs}
    fmt.check_together(files, clinics)
    incoming = {f.site_id for f in files}
    fmt.check_settings(files, {site: settings for site, (_, _, settings) in kept.items() if site not in incoming})
    held = {b: site for site, (_, bs, _) in kept.items() if site not in incoming for b in bs}
    for f in files:
        for b in f.manifest["batches"]:
            if b.get("batch_id") in held:
                raise AggregatesError(f"batch '{b['batch_id']}' of {f.path} (site '{f.site_id}') is already in the "
                                      f"hub from site '{held[b['batch_id']]}': batch ids must be unique in the network")
    return state


def _part_table(f: Aggregates, name: str) -> pa.Table:
    import pyarrow as pa  # here: outcomes run's start-up (refuse_hub) imports no pyarrow
    import pyarrow.parquet as pq

    try:
        return pq.read_table(io.BytesIO(f.parts[name].data))
    except (pa.ArrowException, OSError, ValueError):
        raise AggregatesError(f"{f.path} is damaged: its part {name} is not a readable Parquet file") from None


def _ensure_agg_table(con: duckdb.DuckDBPyConnection, f: Aggregates, name: str) -> list[str]:
    """agg.<name> on the hub (created from the part's columns when the hub has none yet); its columns."""
    part = f.parts[name]
    have = [c for (c,) in con.execute("select column_name from information_schema.columns where table_schema = 'agg' "
                                      "and table_name = $t order by ordinal_position", {"t": name}).fetchall()]
    if not have:  # names and types checked by _same_tables
        columns = ", ".join(f'"{c}" {t}' for c, t in part.columns)
        con.execute(f'create table agg."{name}" ({columns})')
        return [c for c, _ in part.columns]
    if sorted(have) != sorted(c for c, _ in part.columns):
        raise AggregatesError(f"{f.path} has a table {name} whose columns differ from the hub's: export it again "
                              "with the hub's version of the pipeline")
    return have


def _load_agg(con: duckdb.DuckDBPyConnection, f: Aggregates, name: str) -> None:
    columns = _ensure_agg_table(con, f, name)
    con.register("_part", _part_table(f, name))
    try:
        if "clinic_id" in columns:
            stray = con.execute("select any_value(clinic_id), count(*) from _part "
                                "where clinic_id is null or not list_contains($clinics, clinic_id)",
                                {"clinics": f.clinics}).fetchone()
            if stray[1]:
                raise AggregatesError(f"{f.path} holds rows of clinic '{stray[0]}' in its part {name}, "
                                      "which its manifest does not list")
        names = ", ".join(f'"{c}"' for c in columns)
        con.execute(f'insert into agg."{name}" ({names}) select {names} from _part')  # casts to the hub's types
    finally:
        con.unregister("_part")


def _load_audit(con: duckdb.DuckDBPyConnection, f: Aggregates, name: str, merged_at: datetime) -> None:
    target, filled = AUDIT_TARGETS[name]
    schema, table = target.split(".")
    have = [c for (c,) in con.execute("select column_name from information_schema.columns where table_schema = $s "
                                      "and table_name = $t order by ordinal_position", {"s": schema, "t": table}).fetchall()]
    part_columns = [c for c, _ in f.parts[name].columns]
    if sorted(part_columns) != sorted(c for c in have if c not in filled):
        raise AggregatesError(f"{f.path} has an audit part {name} whose columns differ from the hub's")
    select = ", ".join(filled.get(c, f'"{c}"') for c in have)  # constants of this module and checked names
    con.register("_part", _part_table(f, name))
    try:
        con.execute(f"insert into {target} select {select} from _part",
                    {k: v for k, v in (("merged_at", merged_at), ("site_id", f.site_id)) if f"${k}" in select})
    finally:
        con.unregister("_part")


def _forget_site(con: duckdb.DuckDBPyConnection, site: str, clinics: list[str], batches: list[str]) -> None:
    """Delete the rows a site's earlier file left in the hub."""
    for (name,) in con.execute("select table_name from information_schema.columns where table_schema = 'agg' "
                               "and column_name = 'clinic_id'").fetchall():
        con.execute(f'delete from agg."{name}" where list_contains($c, clinic_id)', {"c": clinics})  # name from the catalog
    for table in ("audit.batches", "audit.batch_files", "audit.checks", "audit.fhir_resources"):
        con.execute(f"delete from {table} where list_contains($b, batch_id)", {"b": batches})  # constants
    for table in ("audit.site_quarantine_reasons", "audit.site_quarantine_rows"):
        con.execute(f"delete from {table} where site_id = $s", {"s": site})
    warehouse.run(con, "exchange/site_delete", {"site_id": site})


def _load_site(con: duckdb.DuckDBPyConnection, f: Aggregates, run_id: str, merged_at: datetime) -> None:
    for name, part in f.parts.items():
        if part.kind == "agg":
            _load_agg(con, f, name)
        elif name in AUDIT_TARGETS:
            _load_audit(con, f, name, merged_at)
    code = f.manifest.get("code") if isinstance(f.manifest.get("code"), dict) else {}
    warehouse.run(con, "exchange/site_insert", {
        "site_id": f.site_id, "file_name": f.path.name, "file_sha256": f.sha256,
        "format_version": f.manifest["format_version"], "registry_sha256": f.manifest["registry_sha256"],
        "code_version": _text(code.get("code_version")), "git_commit": _text(code.get("git_commit")),
        "package_version": _text(code.get("version")), "clinics": f.clinics,
        "batches": sorted({str(b.get("batch_id")) for b in f.manifest["batches"] if isinstance(b, dict)}),
        "run_id": run_id, "merged_at": merged_at, "manifest": json.dumps(f.manifest, sort_keys=True),
        "exported_at": _timestamp(f.manifest.get("exported_at")),
        "settings": json.dumps(fmt.file_settings(f), sort_keys=True),
    })


def _text(value) -> str | None:
    return None if value is None else str(value)[:200]


def _timestamp(value) -> datetime | None:
    """The manifest's exported_at (ISO 8601) as a naive UTC timestamp; None when absent or not one."""
    try:
        when = datetime.fromisoformat(str(value).replace("Z", "+00:00")) if isinstance(value, str) else None
    except ValueError:
        return None
    return when.astimezone(timezone.utc).replace(tzinfo=None) if when and when.tzinfo else when


def build_marts(con: duckdb.DuckDBPyConnection, settings: contract.Settings) -> None:
    """The hub's marts from ref.* and agg.* alone (the aggregates layer's builder)."""
    from pipeline.marts import build_all

    build_all(con, settings)


def summary(hub: Path) -> str:
    """One line on what the hub holds now."""
    con = warehouse.connect(hub, read_only=True)
    try:
        sites, clinics, accepted, rejected, shown, hidden = warehouse.run(con, "exchange/hub_summary")[0]
    finally:
        con.close()
    return (f"{hub}: {sites} sites, {clinics} clinics, batches {accepted} accepted and {rejected} rejected; "
            f"effect-size cells {shown} published, {hidden} suppressed")


def merge(paths: list[Path], hub: Path, reports_dir: Path | None = None,
          settings: contract.Settings | None = None, replace_all: bool = False) -> list[Aggregates]:
    """Merge aggregates files into the hub at ``hub``; ``replace_all``: the hub keeps no earlier
    site (a shard run's merge). Returns the files merged."""
    files = read_all(paths)
    agreed = fmt.check_settings(files)
    hub = Path(hub)
    run_id, merged_at = str(uuid.uuid4()), _now()
    con = warehouse.connect(hub)
    try:
        con.begin()
        try:
            warehouse.ensure_schema(con)
            con.execute("create schema if not exists agg")
            for name in HUB_DDL:
                warehouse.run(con, name)
            state = _check_hub(con, hub, files, replace_all)
            load_reference(con)
            provenance.start_run(con, run_id)
            for site, (clinics, batches, _) in state.items():
                if replace_all or site in {f.site_id for f in files}:
                    _forget_site(con, site, clinics, batches)
            for f in files:
                _load_site(con, f, run_id, merged_at)
            for name, value in sorted(agreed.items()):  # the hub's aggregates were built with these
                warehouse.run(con, "audit/analysis_setting_record", {"setting": name, "value": json.dumps(value)})
            settings = provenance.with_recorded_settings(con, settings or contract.Settings())
            build_marts(con, settings)
            con.commit()
        except BaseException:
            con.rollback()
            raise
        log.info("[merge] %d sites, %d clinics merged into %s", len(files), sum(len(f.clinics) for f in files), hub)
        if reports_dir is not None:
            from pipeline.reports import build_reports

            build_reports(con, Path(reports_dir), run_id, settings)
        provenance.finish_run(con, run_id)
    finally:
        con.close()
    return files
