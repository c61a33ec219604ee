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

from pipeline import contract, provenance
from pipeline.reports import fmt
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


def _column(key: str, column: pd.Series) -> list:
    """One column as plain Python values (``_plain`` of each), fast for numbers and booleans."""
    values = column.tolist()
    kind = column.dtype.kind
    if kind == "f":
        if key in COUNT_COLUMNS:
            return [None if v != v else int(v) for v in values]
        return [None if v != v else v for v in values]
    if kind in "iub":
        return values
    plain = (str, int, bool) if key in COUNT_COLUMNS else (str, int, bool, float)
    return [v if type(v) in plain and v == v else _plain(key, v) for v in values]


def records(frame: pd.DataFrame | None) -> list[dict]:
    """Rows as plain Python dicts: None for nulls, ints for counts (JSON-ready).

    Column by column (``tolist``), not row by row: one pass over a network's marts costs
    about a second at 4,000 clinics."""
    if frame is None or frame.empty:
        return []
    keys = [str(k) for k in frame.columns]
    columns = [_column(k, frame.iloc[:, i]) for i, k in enumerate(keys)]
    return [dict(zip(keys, row)) for row in zip(*columns)]


def group(rows: list[dict], *keys: str) -> dict:
    """Rows by the value of one key (or a tuple of several), each group in the rows' order."""
    out: dict = {}
    if len(keys) == 1:
        key = keys[0]
        for r in rows:
            out.setdefault(r[key], []).append(r)
    else:
        for r in rows:
            out.setdefault(tuple(r[k] for k in keys), []).append(r)
    return out


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
    """The small tables behind every page, and the run they describe.

    Every per-clinic accessor reads an index built once (``index``, called by ``load``): the
    marts' rows as plain dicts grouped by clinic, and the network's cells by condition and
    measure. A page costs its own rows, never a scan of the network's tables, so writing every
    dashboard is linear in the number of clinics. The frames stay for the network-wide views
    (the evidence packs, the data-quality page); change a frame after ``index`` and call it again.
    """

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
    fhir_resources: pd.DataFrame | None = None  # audit.fhir_resources of the accepted batches
    sites: pd.DataFrame | None = None  # a hub's merged sites (audit.aggregate_sites); None elsewhere

    INDEXES = ("_cells", "_network", "_completeness", "_benchmarks", "_trends", "_batches", "_quarantine",
               "_sessions", "_clinic_ids", "_main_measures", "_measure_rows", "_texts")

    def index(self) -> "ReportData":
        """(Re)build every index from the frames: one pass over each table."""
        for name in self.INDEXES:
            self.__dict__.pop(name, None)
        for name in self.INDEXES:
            getattr(self, name)
        return self

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
        """(level, clinic_id, condition, measure) -> its rows by band, 'all' first."""
        out = group(records(self.effects), "level", "clinic_id", "condition_group", "measure")
        for rows in out.values():
            rows.sort(key=lambda r: band_order(r["frequency_band"]))
        return out

    @cached_property
    def _network(self) -> dict[str, list[str]]:
        """condition -> its measures with network cells (registry order), conditions in the contract's order."""
        present: dict[str, set[str]] = {}
        for level, _, cond, measure in self._cells:
            if level == "network":
                present.setdefault(cond, set()).add(measure)
        known = [c for c in contract.CONDITION_GROUPS if c in present]
        order = list(self._measure_rows)
        rank = lambda m: (order.index(m) if m in order else len(order), m)  # noqa: E731
        return {c: sorted(present[c], key=rank) for c in known + sorted(set(present) - set(known))}

    def cells(self, condition: str, measure: str, clinic_id: str | None = None) -> list[dict]:
        """The effect-size rows of one condition x measure (network, or one clinic), 'all' first."""
        return self._cells.get(("network" if clinic_id is None else "clinic", clinic_id, condition, measure), [])

    def conditions(self) -> list[str]:
        """Condition groups with network cells, in the contract's order."""
        return list(self._network)

    @cached_property
    def _measure_rows(self) -> dict[str, dict]:
        return {m["code"]: m for m in records(self.measures)}

    def measures_of(self, condition: str) -> list[str]:
        """The condition's measures (network cells) in the registry's order."""
        return list(self._network.get(condition, []))

    @cached_property
    def _main_measures(self) -> dict[str, str | None]:
        def size(condition: str, measure: str) -> int:
            rows = [r for r in self.cells(condition, measure) if r["frequency_band"] == contract.ALL_BANDS]
            return (rows[0]["n"] or 0) if rows else 0

        out = {}
        for cond, measures in self._network.items():
            out[cond] = max(measures, key=lambda m: (size(cond, m), -measures.index(m))) if measures else None
        return out

    def main_measure(self, condition: str) -> str | None:
        """The condition's main measure: the one with the most complete episodes (network, all
        bands); ties go to the registry's order."""
        return self._main_measures.get(condition)

    def measure(self, code: str) -> dict:
        """A measure's registry row (instrument, better, MCID and its source)."""
        return self._measure_rows.get(code) or {"code": code, "instrument": code, "better": None, "mcid": None,
                                                "mcid_kind": None, "mcid_source": None}

    def measure_rows(self, codes) -> list[dict]:
        """The registry rows of some measures, in the registry's order."""
        codes = set(codes)
        return [m for code, m in self._measure_rows.items() if code in codes]

    @cached_property
    def _texts(self) -> dict[int, tuple[dict, dict]]:
        return {}

    def effect_text(self, row: dict) -> dict[str, str]:
        """``fmt.effect_row`` of one effect-size row, formatted once per run (a network cell is
        shown on every clinic's dashboard). The row is kept with its text, so its id stays its own."""
        hit = self._texts.get(id(row))
        if hit is None or hit[0] is not row:
            hit = self._texts[id(row)] = (row, fmt.effect_row(row, self.min_n))
        return hit[1]

    @cached_property
    def _completeness(self) -> dict[tuple, list[dict]]:
        return group(records(self.completeness), "level", "clinic_id")

    def completeness_of(self, level: str = "network", clinic_id: str | None = None) -> list[dict]:
        """marts.completeness rows of the network, or of one clinic (of every clinic: level
        "clinic" without an id)."""
        if clinic_id is None and level != "network":
            return [r for (lvl, _), rows in self._completeness.items() if lvl == level for r in rows]
        return list(self._completeness.get((level, clinic_id), []))

    # ---- per clinic: benchmarks and trends -----------------------------------------
    @cached_property
    def _benchmarks(self) -> dict[str, list[dict]] | None:
        return None if self.benchmarks is None else group(records(self.benchmarks), "clinic_id")

    @cached_property
    def _trends(self) -> dict[str, list[dict]] | None:
        if self.trends is None:
            return None
        rows = records(self.trends)
        return group([r for r in rows if r.get("level", "clinic") == "clinic"], "clinic_id")

    def benchmarks_of(self, clinic_id: str) -> list[dict] | None:
        """marts.clinic_benchmarks rows of one clinic (None when the mart is not published)."""
        return None if self._benchmarks is None else list(self._benchmarks.get(clinic_id, []))

    def trends_of(self, clinic_id: str) -> list[dict] | None:
        """marts.clinic_trends rows of one clinic (None when the mart is not published)."""
        return None if self._trends is None else list(self._trends.get(clinic_id, []))

    # ---- clinics and batches -------------------------------------------------------
    @cached_property
    def _clinic_ids(self) -> list[str]:
        ids = set(self.batches.loc[self.batches["status"] == "accepted", "clinic_id"].dropna())
        ids |= {k[1] for k in self._cells if k[0] == "clinic" and k[1] is not None}
        return sorted(ids)

    def clinic_ids(self) -> list[str]:
        """Clinics with an accepted batch or a published cell."""
        return list(self._clinic_ids)

    def accepted_batches(self) -> pd.DataFrame:
        return self.batches[self.batches["status"] == "accepted"]

    @cached_property
    def _batches(self) -> dict[str, list[dict]]:
        return group(records(self.batches), "clinic_id")

    @cached_property
    def _quarantine(self) -> dict[str, list[dict]]:
        return group(records(self.quarantine), "batch_id")

    def batches_of(self, clinic_id: str) -> list[dict]:
        """audit.batches rows of one clinic."""
        return list(self._batches.get(clinic_id, []))

    def quarantine_of(self, batch_ids) -> list[dict]:
        """Quarantined rows by batch, table and reason of some batches."""
        return [r for b in batch_ids for r in self._quarantine.get(b, [])]

    def batch_tables(self) -> pd.DataFrame:
        """Per batch and table: rows received (the file), quarantined, and staged (the rest)."""
        files = self.batch_files.merge(self.batches[["batch_id", "sha256", "clinic_id", "status"]],
                                       on=["batch_id", "sha256"])
        files = files.merge(self.quarantine_rows, on=["batch_id", "table_name"], how="left")
        files["rows_quarantined"] = files["rows_quarantined"].fillna(0).where(files["status"] == "accepted")
        files["rows_staged"] = files["rows"] - files["rows_quarantined"]
        return files

    @cached_property
    def _sessions(self) -> dict[str, int | None]:
        t = self.batch_tables()
        t = t[(t["status"] == "accepted") & (t["table_name"] == "sessions")]
        return {c: self.shown(int(v)) for c, v in t.groupby("clinic_id")["rows_staged"].sum().items()}

    def sessions_by_clinic(self) -> dict[str, int]:
        """Sessions in the warehouse per clinic, from the audit tables: session rows of the
        accepted batches' files minus the quarantined ones (None when below the threshold)."""
        return dict(self._sessions)

    def sessions_of(self, clinic_id: str) -> int | None:
        """``sessions_by_clinic()[clinic_id]``, without copying the network's dict."""
        return self._sessions.get(clinic_id)


def load(con: duckdb.DuckDBPyConnection, run_id: str, settings: contract.Settings) -> ReportData:
    """Read every table the reports use (the optional marts only when they exist). The settings
    the episodes were built with, when the warehouse records them, replace the command's."""
    settings = provenance.with_recorded_settings(con, settings)
    optional = {name: query(con, name) if table_exists(con, "marts", name) else None for name in OPTIONAL_MARTS}
    # a hub (pipeline/aggregates) has no quarantined rows of its own, only the merged sites' counts
    data = ReportData(
        settings=settings, run_id=run_id, generated_at=datetime.now(timezone.utc).replace(tzinfo=None),
        effects=query(con, "effect_sizes"), completeness=query(con, "completeness"),
        measures=query(con, "measures"), batches=query(con, "batches"),
        batch_files=query(con, "batch_files"), quarantine=frame(con, "reports/quarantine_reasons"),
        quarantine_rows=frame(con, "reports/quarantine_rows").rename(columns={"rows": "rows_quarantined"}),
        checks=query(con, "checks"), runs=query(con, "runs"),
        pooled=optional["pooled_effects"], dose=optional["dose_response"],
        dose_points=optional["dose_response_points"], benchmarks=optional["clinic_benchmarks"],
        trends=optional["clinic_trends"], model_fit=optional["benchmark_model_fit"],
        fhir_resources=query(con, "fhir_resources") if table_exists(con, "audit", "fhir_resources") else None,
        sites=query(con, "aggregate_sites") if table_exists(con, "audit", "aggregate_sites") else None,
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
    return data.index()
