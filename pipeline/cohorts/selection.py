"""Cohorts of ``marts.episode_outcomes`` and the read-only warehouse they are read from."""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

import duckdb
import pandas as pd

from pipeline import contract

DEFAULT_WAREHOUSE = contract.DEFAULT_WAREHOUSE
WAREHOUSE_ENV = "OUTCOMES_WAREHOUSE"

# The columns a cohort may filter on, in marts.episode_outcomes. Only these names ever reach
# the SQL text; the values are bound parameters.
FILTER_COLUMNS = ("condition_group", "measure", "age_band", "sex", "payer", "frequency_band", "clinic_id")
# The columns cohort_effects(by=...) may split a cohort on.
BY_COLUMNS = ("frequency_band", "condition_group", "clinic_id", "age_band", "sex", "payer")
TOTAL = contract.ALL_BANDS  # "all": the row of a split table that is the whole cohort


def _allowed_values() -> dict[str, tuple[str, ...] | None]:
    return {
        "condition_group": tuple(contract.CONDITION_GROUPS),
        "measure": tuple(contract.measures()),
        "age_band": tuple(contract.AGE_BANDS),
        "sex": tuple(contract.SEXES),
        "payer": tuple(contract.PAYERS),
        "frequency_band": tuple(contract.BAND_ORDER),
        "clinic_id": None,  # any pseudonymous code of the right shape
    }


def _as_values(name: str, value: Any) -> tuple[str, ...] | None:
    if value is None:
        return None
    items = [value] if isinstance(value, str) else value
    if isinstance(items, (bytes, Mapping)) or not isinstance(items, (Sequence, set, frozenset)):
        raise ValueError(f"{name} must be None, a string or a list of strings, got {value!r}")
    out: list[str] = []
    for item in items:
        if not isinstance(item, str):
            raise ValueError(f"{name} values must be strings, got {item!r}")
        if item not in out:
            out.append(item)
    if not out:
        raise ValueError(f"{name} is an empty list, which would select nothing; use None for no filter")
    allowed = _allowed_values()[name]
    if name == "frequency_band" and TOTAL in out:
        raise ValueError(f"frequency_band '{TOTAL}' is not a band; use None for every band")
    if allowed is None:
        bad = [v for v in out if not re.match(contract.CLINIC_ID_PATTERN, v)]
        if bad:
            raise ValueError(f"{name} {bad[0]!r} is not a clinic code (letters, digits, '-' and '_', at most 64)")
    else:
        bad = [v for v in out if v not in allowed]
        if bad:
            raise ValueError(f"unknown {name} {bad[0]!r}; choose from: {', '.join(allowed)}")
    return tuple(out)


@dataclass(frozen=True)
class Cohort:
    """A set of episodes of ``marts.episode_outcomes``, by the values of some of its columns.

    Each filter is None (no filter), one value, or a list of values (any of them). Values are
    checked against the contract (``pipeline.contract``: condition groups, the measure
    registry, age bands, sexes, payers, frequency bands; clinic ids by their pattern) and an
    unknown one raises ``ValueError``. They are stored as tuples, so ``Cohort(sex="F").sex``
    is ``("F",)``. A filter on ``age_band``, ``sex`` or ``payer`` leaves out episodes whose
    value is unknown (null). ``name`` is a label for tables and charts (default: the filters).
    """

    condition_group: str | Sequence[str] | None = None
    measure: str | Sequence[str] | None = None
    age_band: str | Sequence[str] | None = None
    sex: str | Sequence[str] | None = None
    payer: str | Sequence[str] | None = None
    frequency_band: str | Sequence[str] | None = None
    clinic_id: str | Sequence[str] | None = None
    name: str | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        for col in FILTER_COLUMNS:
            object.__setattr__(self, col, _as_values(col, getattr(self, col)))
        if self.name is not None and not isinstance(self.name, str):
            raise ValueError(f"name must be a string, got {self.name!r}")

    def filters(self) -> dict[str, tuple[str, ...]]:
        """The filters that are set, as ``{column: values}``."""
        return {c: getattr(self, c) for c in FILTER_COLUMNS if getattr(self, c) is not None}

    @property
    def label(self) -> str:
        """``name``, or the filters in words, e.g. ``neck_pain, twice_weekly|weekly``."""
        if self.name:
            return self.name
        parts = ["|".join(v) for v in self.filters().values()]
        return ", ".join(parts) if parts else "all episodes"


def default_warehouse() -> str:
    """``$OUTCOMES_WAREHOUSE``, else the command line's default ``data/warehouse.duckdb``."""
    return os.environ.get(WAREHOUSE_ENV) or DEFAULT_WAREHOUSE


def open_warehouse(path: str | os.PathLike | None = None) -> duckdb.DuckDBPyConnection:
    """Open the warehouse read-only (``path`` defaults to :func:`default_warehouse`).

    Raises ``FileNotFoundError`` when there is no such file and ``ValueError`` when the file
    has no ``marts.episode_outcomes`` (``outcomes run`` builds it).
    """
    p = Path(path) if path is not None else Path(default_warehouse())
    if not p.is_file():
        raise FileNotFoundError(f"no warehouse at {p}: run `outcomes run` first, or set {WAREHOUSE_ENV}")
    con = duckdb.connect(str(p), read_only=True)
    if not _has_table(con, "marts", "episode_outcomes"):
        con.close()
        raise ValueError(f"{p} has no marts.episode_outcomes table: run `outcomes run` to build the marts")
    return con


def _has_table(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    rows = con.sql(
        "select count(*) from information_schema.tables where table_schema = $s and table_name = $t",
        params={"s": schema, "t": table},
    ).fetchall()
    return bool(rows[0][0])


def _frame(rel: duckdb.DuckDBPyRelation) -> pd.DataFrame:
    # pyarrow is much faster than .df() for text columns on DuckDB 2 with pandas 3
    return rel.to_arrow_table().to_pandas()


def _measure_rules(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[str, float | None]]:
    """{code: (better, mcid)} from ``ref.measures`` (the registry the marts were built with)."""
    if _has_table(con, "ref", "measures"):
        rows = con.sql("select code, better, mcid from ref.measures").fetchall()
        return {code: (better, None if mcid is None else float(mcid)) for code, better, mcid in rows}
    return {m.code: (m.better, m.mcid) for m in contract.measures().values()}


def _check_con(con: Any) -> duckdb.DuckDBPyConnection:
    if not isinstance(con, duckdb.DuckDBPyConnection):
        raise ValueError("con must be a DuckDB connection from open_warehouse()")
    return con


def _check_cohort(cohort: Any, name: str = "cohort") -> Cohort:
    if not isinstance(cohort, Cohort):
        raise ValueError(f"{name} must be a Cohort, got {type(cohort).__name__}")
    return cohort


def cohort_outcomes(con: duckdb.DuckDBPyConnection, cohort: Cohort) -> pd.DataFrame:
    """The cohort's rows of ``marts.episode_outcomes`` (one per episode and measure).

    Every column of the mart, ordered by clinic, patient, episode and measure. The filter
    values are bound parameters (``list_contains($condition_group, condition_group)``); only
    the fixed column names of :data:`FILTER_COLUMNS` are part of the SQL text.
    """
    _check_con(con)
    _check_cohort(cohort)
    clauses, params = [], {}
    for col, values in cohort.filters().items():
        if col not in FILTER_COLUMNS:  # never true: filters() yields only these names
            raise ValueError(f"cannot filter on {col!r}")
        clauses.append(f"list_contains(${col}, {col})")
        params[col] = list(values)
    where = (" where " + " and ".join(clauses)) if clauses else ""
    sql = (
        "select * from marts.episode_outcomes" + where
        + " order by clinic_id, patient_id, episode_id, measure"
    )
    return _frame(con.sql(sql, params=params or None))
