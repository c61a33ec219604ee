"""The DuckDB warehouse: connecting, creating the layers, and running the SQL files in ``sql/``.

SQL lives in ``sql/<layer>/<name>.sql``, one statement per file; values reach it as named
parameters (``$name``), never through string formatting.
"""
from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

import duckdb

from pipeline.errors import OutcomesError

SQL_DIR = Path(__file__).resolve().parents[1] / "sql"
REGISTRY_FILES = {
    "measures": Path(__file__).with_name("registry") / "measures.csv",
    "condition_groups": Path(__file__).with_name("registry") / "condition_groups.csv",
}
SCHEMAS = ("ref", "raw", "staging", "quarantine", "intermediate", "agg", "marts", "audit")
# Tables created once (by ``sql/ddl/*.sql``, in this order); later layers are rebuilt each run.
# A column added to a table later comes with an ``alter table ... add column if not exists``
# file after its table's, so that a warehouse made by an earlier version gets it too.
DDL = (
    "raw_sessions", "raw_measurements",
    "staging_sessions", "staging_measurements",
    "quarantine_sessions", "quarantine_measurements",
    "audit_batches", "audit_batch_files", "audit_received_folders", "audit_runs",
    "audit_runs_add_failed_step", "audit_runs_add_reason", "audit_runs_add_host", "audit_runs_add_pid",
    "audit_runs_add_process_start",
    "audit_checks",
    "audit_fhir_resources", "quarantine_fhir_resources", "audit_network_key", "audit_fhir_anchors",
    "audit_batch_row_counts",
    "audit_site_quarantine_rows", "audit_site_quarantine_reasons",  # a hub's merged sites' counts; empty elsewhere
    "audit_analysis_settings",
)


@lru_cache(maxsize=None)
def sql(name: str) -> str:
    """The text of ``sql/<name>.sql`` (e.g. ``"staging/stg_sessions"``)."""
    path = SQL_DIR / f"{name}.sql"
    if not path.is_file():
        raise OutcomesError(f"the SQL file {path} is missing from this installation")
    return path.read_text(encoding="utf-8")


def code_digest(module: Path, sql_names: Iterable[str]) -> str:
    """sha256 of a module's source and of SQL files (``sql/<name>.sql``, each with its name): a
    layer's code, for the fingerprint an incremental build compares (pipeline/intermediate.py,
    pipeline/agg.py)."""
    h = hashlib.sha256(Path(module).read_bytes())
    for name in sql_names:
        h.update(f"{name}.sql".encode() + b"\0" + (SQL_DIR / f"{name}.sql").read_bytes())
    return h.hexdigest()


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection):
    """The statements inside commit together, or none does (rolled back on any exception)."""
    con.execute("begin transaction")
    try:
        yield
    except BaseException:
        con.execute("rollback")
        raise
    con.execute("commit")


def _used_params(text: str) -> set[str]:
    return set(re.findall(r"\$([A-Za-z_][A-Za-z0-9_]*)", text))


def _execute(con: duckdb.DuckDBPyConnection, name: str, params: dict | None):
    text = sql(name)
    wanted = _used_params(text)
    bound = {k: v for k, v in (params or {}).items() if k in wanted}
    missing = wanted - bound.keys()
    if missing:
        raise ValueError(f"{name}.sql needs parameters {sorted(missing)}")
    return con.execute(text, bound) if bound else con.execute(text)


def run(con: duckdb.DuckDBPyConnection, name: str, params: dict | None = None) -> list[tuple]:
    """Execute one SQL file, binding only the parameters it names; returns its rows."""
    return _execute(con, name, params).fetchall()


def scalar(con: duckdb.DuckDBPyConnection, name: str, params: dict | None = None):
    """The single value one SQL file returns (a count, a flag)."""
    return run(con, name, params)[0][0]


@contextmanager
def unordered_inserts(con: duckdb.DuckDBPyConnection):
    """Inserts whose rows carry their own order (batch and row number) need not keep the order of
    their source: without it DuckDB writes a table with every thread at once (measured on the 2.8M
    staged scores of the 1M network: 4.1 s -> 2.2 s under load)."""
    con.execute("set preserve_insertion_order = false")
    try:
        yield
    finally:
        con.execute("reset preserve_insertion_order")


def frame(con: duckdb.DuckDBPyConnection, name: str, params: dict | None = None):
    """The rows of one SQL file as a pandas table (through Arrow: much faster on text)."""
    text = sql(name)
    bound = {k: v for k, v in (params or {}).items() if k in _used_params(text)}
    return con.sql(text, params=bound or None).to_arrow_table().to_pandas()


def table_frame(con: duckdb.DuckDBPyConnection, schema: str, table: str):
    """A whole small warehouse table as pandas (identifiers are constants of the caller)."""
    return con.sql(f'select * from "{schema}"."{table}"').to_arrow_table().to_pandas()


def connect(path: str | Path, read_only: bool = False, memory_limit: str | None = None) -> duckdb.DuckDBPyConnection:
    """Open the warehouse file, turning DuckDB's lock and I/O errors into one plain sentence."""
    path = Path(path)
    if not read_only:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutcomesError(f"cannot create the folder for the warehouse {path}: {exc.strerror}") from None
    elif not path.is_file():
        raise OutcomesError(f"there is no warehouse at {path}; run 'outcomes run' first")
    config = {"memory_limit": memory_limit} if memory_limit else {}
    try:
        return duckdb.connect(str(path), read_only=read_only, config=config)
    except duckdb.IOException as exc:
        text = str(exc)
        if "lock" in text.lower():
            raise OutcomesError(
                f"the warehouse {path} is in use by another process; close it (a notebook, "
                "'dagster dev' or another run) and try again"
            ) from None
        raise OutcomesError(f"cannot open the warehouse {path}: {text.splitlines()[0]}") from None
    except duckdb.Error as exc:
        raise OutcomesError(f"cannot open the warehouse {path}: {str(exc).splitlines()[0]}") from None


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create every schema and the persistent tables if they do not exist yet."""
    for schema in SCHEMAS:
        con.execute(f'create schema if not exists "{schema}"')  # identifiers, from a constant
    for name in DDL:
        run(con, f"ddl/{name}")

def table_exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return bool(con.execute(
        "select count(*) from information_schema.tables where table_schema = $s and table_name = $t",
        {"s": schema, "t": table},
    ).fetchall()[0][0])

def count(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> int:
    if not table_exists(con, schema, table):
        return 0
    return con.execute(f'select count(*) from "{schema}"."{table}"').fetchall()[0][0]  # identifiers checked above
