"""Everything the reports read, in one pass: the published marts, the audit and ref tables.

Reports read nothing else: no row-level table (``marts.episode_outcomes``, staging,
intermediate) is queried. The statistics work's marts (pooling, dose-response, benchmarks) are
read when they exist and are ``None`` otherwise, so their sections appear once they do.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property
from datetime import datetime, timezone

import duckdb
import numpy as np
import pandas as pd

from pipeline import contract
from pipeline.reports.fmt import band_order
from pipeline.warehouse import frame, table_exists

# Columns that hold counts: kept as Python ints in records and in the evidence JSON.
COUNT_COLUMNS = frozenset({
    "n", "responders", "episodes", "episodes_scored", "episodes_with_baseline", "episodes_complete",
    "k", "rows", "rows_raw", "rows_staged", "rows_quarantined", "unexpected_count",
    "batches_new", "batches_rejected",
})
OPTIONAL_MARTS = ("pooled_effects", "dose_response", "dose_response_points", "clinic_benchmarks", "clinic_trends",
                  "benchmark_model_fit")


def query(con: duckdb.DuckDBPyConnection, name: str) -> pd.DataFrame:
    """One SQL file of ``sql/reports`` as a small pandas table (through Arrow)."""
    return frame(con, f"reports/{name}")


def _plain(key: str, value):
    """One value as plain Python: None for nulls, lists for arrays, ISO text for timestamps."""
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, (np.ndarray, list, tuple)):
        return [_plain("", v) for v in list(value)]
    if isinstance(value, (pd.Timestamp, datetime)):
        return value.isoformat(sep=" ")
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if key in COUNT_COLUMNS and isinstance(value, float):
        return int(value)
    return value


def records(frame: pd.DataFrame | None) -> list[dict]:
    """Rows as plain Python dicts: None for nulls, ints for counts (JSON-ready)."""
    if frame is None or frame.empty:
        return []
    return [{k: _plain(k, v) for k, v in row.items()} for row in frame.to_dict("records")]


def guard_counts(frame: pd.DataFrame, count_column: str, min_n: int, figures: list[str]) -> pd.DataFrame:
    """Defence in depth for marts written elsewhere: a row whose count is 1 to min_n - 1 is
    marked suppressed and its figures (and the count) nulled before anything is shown."""
    df = frame.copy()
    n = pd.to_numeric(df[count_column], errors="coerce")
    small = n.notna() & (n >= 1) & (n < min_n)
    if "suppressed" not in df.columns:
        df["suppressed"] = False
    df["suppressed"] = df["suppressed"].fillna(False).astype(bool) | small
    hide = df["suppressed"]
    cols = [c for c in [count_column, *figures] if c in df.columns]
    df[cols] = df[cols].astype("object")
    df.loc[hide, cols] = None
    return df


@dataclass
class ReportData:
    """The small tables behind every page, and the run they describe."""

    settings: contract.Settings
    run_id: str
    generated_at: datetime
    effects: pd.DataFrame
    completeness: pd.DataFrame
    measures: pd.DataFrame
    batches: pd.DataFrame
    batch_files: pd.DataFrame
    quarantine: pd.DataFrame
    quarantine_rows: pd.DataFrame
    checks: pd.DataFrame
    runs: pd.DataFrame
    pooled: pd.DataFrame | None = None
    dose: pd.DataFrame | None = None
    dose_points: pd.DataFrame | None = None
    benchmarks: pd.DataFrame | None = None
    trends: pd.DataFrame | None = None
    model_fit: pd.DataFrame | None = None

    @property
    def min_n(self) -> int:
        return self.settings.suppression_min_n

    def shown(self, count: int | None) -> int | None:
        """A count of people, episodes or sessions as it may be published: None from 1 to min_n - 1."""
        return None if count is None or 1 <= count < self.min_n else count

    # ---- the run -------------------------------------------------------------------
    def run(self) -> dict:
        """This run's row of ``audit.runs`` (the latest one when this id is not recorded)."""
        rows = records(self.runs)
        mine = [r for r in rows if r["run_id"] == self.run_id]
        if mine:
            return mine[-1]
        return rows[-1] if rows else {"run_id": self.run_id, "started_at": None, "finished_at": None,
                                      "code_version": None, "batches_new": None,
                                      "batches_rejected": None, "status": None}

    # ---- effect sizes --------------------------------------------------------------
    @cached_property
    def _cells(self) -> dict[tuple, list[dict]]:
        out: dict[tuple, list[dict]] = {}
        for r in records(self.effects):
            out.setdefault((r["level"], r["clinic_id"], r["condition_group"], r["measure"]), []).append(r)
        for rows in out.values():
            rows.sort(key=lambda r: band_order(r["frequency_band"]))
        return out

    def cells(self, condition: str, measure: str, clinic_id: str | None = None) -> list[dict]:
        """The effect-size rows of one condition x measure (network, or one clinic), 'all' first."""
        return self._cells.get(("network" if clinic_id is None else "clinic", clinic_id, condition, measure), [])

    def conditions(self) -> list[str]:
        """Condition groups with network cells, in the contract's order."""
        present = {k[2] for k in self._cells if k[0] == "network"}
        known = [c for c in contract.CONDITION_GROUPS if c in present]
        return known + sorted(present - set(known))

    @cached_property
    def _measure_rows(self) -> dict[str, dict]:
        return {m["code"]: m for m in records(self.measures)}

    def measures_of(self, condition: str) -> list[str]:
        """The condition's measures (network cells) in the registry's order."""
        order = list(self._measure_rows)
        present = {k[3] for k in self._cells if k[0] == "network" and k[2] == condition}
        return sorted(present, key=lambda m: (order.index(m) if m in order else len(order), m))

    def main_measure(self, condition: str) -> str | None:
        """The condition's main measure: the one with the most complete episodes (network, all
        bands); ties go to the registry's order."""
        def size(measure: str) -> int:
            rows = [r for r in self.cells(condition, measure) if r["frequency_band"] == contract.ALL_BANDS]
            return (rows[0]["n"] or 0) if rows else 0
        measures = self.measures_of(condition)
        return max(measures, key=lambda m: (size(m), -measures.index(m))) if measures else None

    def measure(self, code: str) -> dict:
        """A measure's registry row (instrument, better, MCID and its source)."""
        return self._measure_rows.get(code) or {"code": code, "instrument": code, "better": None, "mcid": None,
                                                "mcid_kind": None, "mcid_source": None}

    def measure_rows(self, codes) -> list[dict]:
        """The registry rows of some measures, in the registry's order."""
        codes = set(codes)
        return [m for code, m in self._measure_rows.items() if code in codes]

    def completeness_of(self, level: str = "network", clinic_id: str | None = None) -> list[dict]:
        """marts.completeness rows of the network, or of one clinic."""
        comp = self.completeness[self.completeness["level"] == level]
        if clinic_id is not None:
            comp = comp[comp["clinic_id"] == clinic_id]
        return records(comp)

    # ---- clinics and batches -------------------------------------------------------
    def clinic_ids(self) -> list[str]:
        """Clinics with an accepted batch or a published cell."""
        ids = set(self.batches.loc[self.batches["status"] == "accepted", "clinic_id"].dropna())
        ids |= set(self.effects.loc[self.effects["level"] == "clinic", "clinic_id"].dropna())
        return sorted(ids)

    def accepted_batches(self) -> pd.DataFrame:
        return self.batches[self.batches["status"] == "accepted"]

    def batch_tables(self) -> pd.DataFrame:
        """Per batch and table: rows received (the file), quarantined, and staged (the rest)."""
        files = self.batch_files.merge(self.batches[["batch_id", "sha256", "clinic_id", "status"]],
                                       on=["batch_id", "sha256"])
        files = files.merge(self.quarantine_rows, on=["batch_id", "table_name"], how="left")
        files["rows_quarantined"] = files["rows_quarantined"].fillna(0).where(files["status"] == "accepted")
        files["rows_staged"] = files["rows"] - files["rows_quarantined"]
        return files

    def sessions_by_clinic(self) -> dict[str, int]:
        """Sessions in the warehouse per clinic, from the audit tables: session rows of the
        accepted batches' files minus the quarantined ones (None when below the threshold)."""
        t = self.batch_tables()
        t = t[(t["status"] == "accepted") & (t["table_name"] == "sessions")]
        return {c: self.shown(int(v)) for c, v in t.groupby("clinic_id")["rows_staged"].sum().items()}


def load(con: duckdb.DuckDBPyConnection, run_id: str, settings: contract.Settings) -> ReportData:
    """Read every table the reports use (the optional marts only when they exist)."""
    optional = {name: query(con, name) if table_exists(con, "marts", name) else None for name in OPTIONAL_MARTS}
    data = ReportData(
        settings=settings, run_id=run_id, generated_at=datetime.now(timezone.utc).replace(tzinfo=None),
        effects=query(con, "effect_sizes"), completeness=query(con, "completeness"),
        measures=query(con, "measures"), batches=query(con, "batches"),
        batch_files=query(con, "batch_files"), quarantine=query(con, "quarantine_reasons"),
        quarantine_rows=query(con, "quarantine_rows").rename(columns={"rows": "rows_quarantined"}),
        checks=query(con, "checks"), runs=query(con, "runs"),
        pooled=optional["pooled_effects"], dose=optional["dose_response"],
        dose_points=optional["dose_response_points"], benchmarks=optional["clinic_benchmarks"],
        trends=optional["clinic_trends"], model_fit=optional["benchmark_model_fit"],
    )
    min_n = settings.suppression_min_n
    if data.benchmarks is not None:
        keys = ("clinic_id", "condition_group", "measure", "n", "suppressed")
        data.benchmarks = guard_counts(data.benchmarks, "n", min_n, [c for c in data.benchmarks.columns if c not in keys])
    if data.trends is not None:
        keys = ("level", "clinic_id", "condition_group", "measure", "period", "n", "suppressed")
        data.trends = guard_counts(data.trends, "n", min_n, [c for c in data.trends.columns if c not in keys])
    if data.dose_points is not None:
        points = data.dose_points
        data.dose_points = points[pd.to_numeric(points["n"], errors="coerce").fillna(min_n) >= min_n]
    return data
