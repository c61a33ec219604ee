"""The researcher API: cohorts over the public marts, for notebooks (contract section 5).

Everything here reads only the public tables ``marts.episode_outcomes`` and ``ref.measures``
and computes every figure with :mod:`pipeline.stats` (the functions that produce
``marts.effect_sizes``), so a cohort's numbers are defined exactly as the published ones
(``shared/design/statistics.md``)::

    from pipeline import cohorts

    con = cohorts.open_warehouse("data/warehouse.duckdb")            # read-only
    neck = cohorts.Cohort(condition_group="neck_pain", payer=["self", "insurance"])
    episodes = cohorts.cohort_outcomes(con, neck)                    # one row per episode x measure
    effects = cohorts.cohort_effects(con, neck, by="frequency_band")   # every figure, suppressed
    diff = cohorts.compare(con, cohorts.Cohort(condition_group="neck_pain", frequency_band="twice_weekly"),
                           cohorts.Cohort(condition_group="neck_pain", frequency_band="monthly"), "ndi")
    cohorts.tidy_export(effects, "out/neck_effects.csv")             # + out/neck_effects.dictionary.csv

Two new pure statistics live here because ``pipeline/stats`` has its own owner:
:func:`welch_difference` (difference of two means, Welch's t) and :func:`rate_difference`
(difference of two proportions, Newcombe's hybrid score interval). Both are numpy/scipy only,
without I/O, and belong in ``pipeline/stats`` (e.g. ``stats/difference.py``) when its owner
takes them; this module would then import them from there.

Small-cell suppression: :func:`cohort_effects` and :func:`compare` apply the published rule
(statistics.md: a figure computed from fewer than ``min_n`` episodes is null, responder
figures are null when the responder or non-responder count is between 1 and ``min_n - 1``,
and complementary suppression inside a table). Suppression protects each table; it cannot
stop a reader from differencing two tables of overlapping cohorts, and
:func:`cohort_outcomes` returns episode rows: both are for analysts working under the
network's data-use agreement. Publish suppressed tables only.
"""
from __future__ import annotations

import math
import os
import re
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Mapping, Sequence

import duckdb
import numpy as np
import pandas as pd

from pipeline import contract, stats
from pipeline.stats.difference import RateDifference, WelchDifference, rate_difference, welch_difference
from pipeline.suppression import suppress_effect_sizes

__all__ = [
    "Cohort",
    "Comparison",
    "Export",
    "RateDifference",
    "WelchDifference",
    "cohort_effects",
    "cohort_outcomes",
    "compare",
    "default_warehouse",
    "open_warehouse",
    "rate_difference",
    "tidy_export",
    "welch_difference",
]

DEFAULT_WAREHOUSE = contract.DEFAULT_WAREHOUSE
WAREHOUSE_ENV = "OUTCOMES_WAREHOUSE"

# The columns a cohort may filter on, in marts.episode_outcomes. Only these names ever reach
# the SQL text; the values are bound parameters.
FILTER_COLUMNS = ("condition_group", "measure", "age_band", "sex", "payer", "frequency_band", "clinic_id")
# The columns cohort_effects(by=...) may split a cohort on.
BY_COLUMNS = ("frequency_band", "condition_group", "clinic_id", "age_band", "sex", "payer")
TOTAL = contract.ALL_BANDS  # "all": the row of a split table that is the whole cohort

FIGURES = tuple(f.name for f in fields(stats.PrePost))
INTEGER_FIGURES = ("n", "responders")
RESPONDER_FIGURES = ("responders", "responder_rate", "responder_ci_low", "responder_ci_high")


# --- cohorts ---------------------------------------------------------------------------------


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


# --- the warehouse -----------------------------------------------------------------------------


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


# --- effect sizes of a cohort ---------------------------------------------------------------


def _sort_key(column: str | None):
    order = {
        "frequency_band": contract.BAND_ORDER,
        "condition_group": contract.CONDITION_GROUPS,
        "age_band": contract.AGE_BANDS,
        "sex": contract.SEXES,
        "payer": contract.PAYERS,
    }.get(column or "", ())

    def key(value):
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return (2, 0, "")
        return (0, order.index(value), "") if value in order else (1, 0, str(value))

    return key


def _measure_order(codes) -> list[str]:
    registry = list(contract.measures())
    return sorted(codes, key=lambda c: (registry.index(c), "") if c in registry else (len(registry), c))


def cohort_effects(
    con: duckdb.DuckDBPyConnection,
    cohort: Cohort,
    min_n: int = contract.SUPPRESSION_MIN_N,
    by: str | None = None,
) -> pd.DataFrame:
    """Every figure of ``marts.effect_sizes`` for a cohort: one row per measure.

    With ``by`` (one of :data:`BY_COLUMNS`, e.g. ``"frequency_band"``), one row per measure
    and value of that column, after a row ``by == "all"`` for the whole cohort; episodes with
    an unknown value (null) form their own row. Measures without episodes have no row.

    Each row's figures are :func:`pipeline.stats.prepost` on the rows' baseline and final
    scores with the measure's direction and MCID from ``ref.measures``: n, means, SDs, r,
    mean/SD of improvement, d_z, g_z and its CI, smcr, smcr_var, wilcoxon_p, responders,
    responder rate and its Wilson CI (definitions: statistics.md). Then, as for the published
    table (:func:`pipeline.suppression.suppress_effect_sizes`): a row with ``n < min_n`` is
    suppressed (``suppressed`` true, every figure null), responder figures are null when the
    responder or non-responder count is 1 to ``min_n - 1``, and with ``by`` complementary
    suppression keeps a hidden row from being recovered as the total minus the shown rows.
    ``q_value``: Benjamini-Hochberg over the ``wilcoxon_p`` of this table's published rows
    (as the mart does over the published cells of one level).

    Columns: ``cohort`` (the cohort's label), ``measure``, the ``by`` column if any, the
    figures (``n`` and ``responders`` as nullable integers), ``q_value``, ``suppressed``.
    """
    _check_con(con)
    _check_cohort(cohort)
    if isinstance(min_n, bool) or not isinstance(min_n, (int, np.integer)) or min_n < 1:
        raise ValueError(f"min_n must be a whole number of at least 1, got {min_n!r}")
    if by is not None and by not in BY_COLUMNS:
        raise ValueError(f"by must be None or one of: {', '.join(BY_COLUMNS)}; got {by!r}")
    rules = _measure_rules(con)
    episodes = cohort_outcomes(con, cohort)
    out_columns = ["cohort", "measure"] + ([by] if by else []) + list(FIGURES) + ["q_value", "suppressed"]

    rows: list[dict] = []
    for measure in _measure_order(episodes["measure"].unique()):
        if measure not in rules:
            raise ValueError(f"measure {measure!r} is not in ref.measures")
        better, mcid = rules[measure]
        g = episodes[episodes["measure"] == measure]
        groups: list[tuple[Any, pd.DataFrame]] = [(TOTAL, g)]
        if by:
            values = sorted(g[by].drop_duplicates().tolist(), key=_sort_key(by))
            for v in values:
                mask = g[by].isna() if v is None or (isinstance(v, float) and math.isnan(v)) else g[by] == v
                groups.append((None if not isinstance(v, str) else v, g[mask]))
        for value, gg in groups:
            pp = stats.prepost(gg["baseline"].to_numpy(float), gg["final"].to_numpy(float), better=better, mcid=mcid)
            row = {"cohort": cohort.label, "measure": measure}
            if by:
                row[by] = value
            rows.append({**row, **asdict(pp)})
    if not rows:
        return _typed(pd.DataFrame(columns=out_columns))
    table = pd.DataFrame(rows)
    table = _suppress(table, by, min_n)
    published = ~table["suppressed"]
    q = stats.bh_qvalues([None if pd.isna(p) else float(p) for p in table.loc[published, "wilcoxon_p"]])
    table["q_value"] = None
    table.loc[published, "q_value"] = pd.Series(q, index=table.index[published], dtype="object")
    return _typed(table[out_columns])


def _suppress(table: pd.DataFrame, by: str | None, min_n: int) -> pd.DataFrame:
    """The published suppression rules, applied by :mod:`pipeline.suppression` itself.

    Its hierarchies are those of ``marts.effect_sizes``: parts of a total share ``level``,
    ``clinic_id``, ``condition_group`` and ``measure`` and the total has ``frequency_band ==
    "all"``. A cohort table is mapped onto them: level "cohort", the ``by`` value's position
    in the ``frequency_band`` slot ("all" for the total), so the same code decides.
    """
    # the first row of each measure is its total; the others are its parts
    is_total = ~table["measure"].duplicated(keep="first").to_numpy() if by else np.ones(len(table), bool)
    slot = [TOTAL if t else f"part{i}" for i, t in enumerate(is_total)]
    framed = pd.DataFrame({
        "level": "cohort", "clinic_id": None, "condition_group": "cohort",
        "frequency_band": slot, "measure": table["measure"].to_numpy(),
    })
    for col in FIGURES:
        framed[col] = table[col].to_numpy(dtype=object)
    framed["suppressed"] = False
    done = suppress_effect_sizes(framed, min_n)
    out = table.copy()
    for col in FIGURES:
        out[col] = done[col].to_numpy()
    out["suppressed"] = done["suppressed"].astype(bool).to_numpy()
    return out


def _typed(df: pd.DataFrame) -> pd.DataFrame:
    df = df.copy()
    for col in FIGURES + ("q_value",):
        if col not in df:
            continue
        if col in INTEGER_FIGURES:
            df[col] = pd.array([None if pd.isna(v) else int(v) for v in df[col]], dtype="Int64")
        else:
            df[col] = pd.Series([np.nan if pd.isna(v) else float(v) for v in df[col]], index=df.index,
                                dtype="float64")
    if "suppressed" in df:
        df["suppressed"] = df["suppressed"].astype(bool)
    return df.reset_index(drop=True)


# --- comparing two cohorts ------------------------------------------------------------------


def _level(level: Any) -> float:
    if isinstance(level, bool) or not isinstance(level, (int, float)) or not 0.0 < float(level) < 1.0:
        raise ValueError(f"level must be strictly between 0 and 1, got {level!r}")
    return float(level)


@dataclass(frozen=True)
class Comparison:
    """Result of :func:`compare` for one measure: cohort A against cohort B (A - B).

    Improvement is positive when better, so a positive ``mean_difference`` or
    ``responder_difference`` favours cohort A. Figures are None when suppressed or undefined;
    ``note`` says why.
    """

    measure: str
    cohort_a: str
    cohort_b: str
    level: float
    n_a: int | None = None
    n_b: int | None = None
    mean_improvement_a: float | None = None
    mean_improvement_b: float | None = None
    sd_improvement_a: float | None = None
    sd_improvement_b: float | None = None
    mean_difference: float | None = None
    mean_difference_se: float | None = None
    welch_df: float | None = None
    welch_t: float | None = None
    mean_difference_ci_low: float | None = None
    mean_difference_ci_high: float | None = None
    mean_difference_p: float | None = None
    responders_a: int | None = None
    responders_b: int | None = None
    responder_rate_a: float | None = None
    responder_rate_b: float | None = None
    responder_difference: float | None = None
    responder_difference_ci_low: float | None = None
    responder_difference_ci_high: float | None = None
    responder_difference_p: float | None = None
    suppressed: bool = False
    note: str = ""

    def to_frame(self) -> pd.DataFrame:
        """A one-row table (for :func:`tidy_export` or ``pd.concat`` of several comparisons)."""
        df = pd.DataFrame([asdict(self)])
        for col in ("n_a", "n_b", "responders_a", "responders_b"):
            df[col] = pd.array([getattr(self, col)], dtype="Int64")
        floats = [f.name for f in fields(self) if f.name not in
                  ("measure", "cohort_a", "cohort_b", "n_a", "n_b", "responders_a", "responders_b",
                   "suppressed", "note")]
        for col in floats:
            df[col] = pd.Series([np.nan if getattr(self, col) is None else getattr(self, col)], dtype="float64")
        return df


def _small(count: int, n: int, min_n: int) -> bool:
    return 1 <= count < min_n or 1 <= n - count < min_n


def compare(
    con: duckdb.DuckDBPyConnection,
    cohort_a: Cohort,
    cohort_b: Cohort,
    measure: str,
    min_n: int = contract.SUPPRESSION_MIN_N,
    level: float = 0.95,
) -> Comparison:
    """Compare the improvement on one measure between two independent cohorts (A - B).

    * Mean improvement: :func:`welch_difference` (difference of means with Welch's t
      interval and p-value; R ``t.test(a, b)``).
    * Responder rate (improvement >= MCID): :func:`rate_difference` (Newcombe's hybrid score
      interval; p-value of R ``prop.test(c(x_a, x_b), c(n_a, n_b), correct = FALSE)``).

    Suppression as for the published cells: when either cohort has fewer than ``min_n``
    episodes with the measure, every figure is None and ``suppressed`` is true; when a
    responder or non-responder count of either cohort is 1 to ``min_n - 1``, the responder
    figures are None.

    Raises ValueError when the measure is unknown or excluded by a cohort's own measure
    filter, or when the cohorts share an episode (the tests assume independent groups:
    compare disjoint cohorts, e.g. two frequency bands or two payers).
    """
    _check_con(con)
    _check_cohort(cohort_a, "cohort_a")
    _check_cohort(cohort_b, "cohort_b")
    if not isinstance(measure, str):
        raise ValueError(f"measure must be one measure code, got {measure!r}")
    (code,) = _as_values("measure", measure)
    if isinstance(min_n, bool) or not isinstance(min_n, (int, np.integer)) or min_n < 1:
        raise ValueError(f"min_n must be a whole number of at least 1, got {min_n!r}")
    lv = _level(level)
    frames = []
    for label, c in (("cohort_a", cohort_a), ("cohort_b", cohort_b)):
        if c.measure is not None and code not in c.measure:
            raise ValueError(f"{label} is restricted to {', '.join(c.measure)}, not {code}")
        frames.append(cohort_outcomes(con, replace(c, measure=code)))
    a, b = frames
    keys = ["clinic_id", "patient_id", "episode_id"]
    shared = len(a[keys].merge(b[keys], on=keys))
    if shared:
        raise ValueError(f"the cohorts share {shared} episode(s); the comparison needs two separate groups")
    base = Comparison(measure=code, cohort_a=cohort_a.label, cohort_b=cohort_b.label, level=lv)
    na, nb = len(a), len(b)
    if na < min_n or nb < min_n:
        return replace(base, suppressed=True,
                       note=f"suppressed: a cohort has fewer than {min_n} episodes with {code}")
    notes = []
    ia, ib = a["improvement"].to_numpy(float), b["improvement"].to_numpy(float)
    means = dict(
        n_a=na, n_b=nb,
        mean_improvement_a=float(np.mean(ia)), mean_improvement_b=float(np.mean(ib)),
        sd_improvement_a=float(np.std(ia, ddof=1)) if na > 1 else None,
        sd_improvement_b=float(np.std(ib, ddof=1)) if nb > 1 else None,
    )
    try:
        w = welch_difference(ia, ib, lv)
        means.update(mean_difference=w.difference, mean_difference_se=w.se, welch_df=w.df, welch_t=w.t,
                     mean_difference_ci_low=w.ci_low, mean_difference_ci_high=w.ci_high,
                     mean_difference_p=w.p_value)
    except ValueError as exc:
        notes.append(f"no mean difference: {exc}")
    xa, xb = int(a["responder"].sum()), int(b["responder"].sum())
    if _small(xa, na, min_n) or _small(xb, nb, min_n):
        notes.append(f"responder figures suppressed: a responder or non-responder count is below {min_n}")
    else:
        rd = rate_difference(xa, na, xb, nb, lv)
        means.update(responders_a=xa, responders_b=xb, responder_rate_a=xa / na, responder_rate_b=xb / nb,
                     responder_difference=rd.difference, responder_difference_ci_low=rd.ci_low,
                     responder_difference_ci_high=rd.ci_high, responder_difference_p=rd.p_value)
    return replace(base, note="; ".join(notes), **means)


# --- tidy export with a data dictionary -------------------------------------------------------

_SCORE = "score"  # placeholder: the measure's own unit, resolved per table

_BAND_RULE = ("measured frequency band: twice_weekly >= 1.5 sessions/week, weekly 0.75 to < 1.5, "
              "fortnightly 0.35 to < 0.75, monthly < 0.35, single_session = all sessions on one day")

DICTIONARY: dict[str, tuple[str, str]] = {
    # marts.episode_outcomes
    "clinic_id": ("", "pseudonymous clinic code"),
    "patient_id": ("", "pseudonymous patient code"),
    "episode_id": ("", "episode of care: the clinic's id, or a new episode after more than 60 days without a session"),
    "condition_group": ("", "condition group of the episode (ICD-10-CM prefixes, contract section 3)"),
    "frequency_band": ("", _BAND_RULE + "; 'all' = the whole cohort (every band)"),
    "sessions": ("sessions", "sessions in the episode"),
    "span_days": ("days", "days from the episode's first to its last session"),
    "sessions_per_week": ("sessions per week", "(sessions - 1) / (span_days / 7); empty for a single-session episode"),
    "mean_duration_min": ("minutes", "mean session length in the episode"),
    "age_band": ("years", "age band (18-29, 30-44, 45-64, 65-89, 90+); empty when unknown; 'all' = every band"),
    "sex": ("", "F, M, X or U; empty when unknown; 'all' = everyone"),
    "payer": ("", "self, insurance, workers_comp, auto or other; empty when unknown; 'all' = every payer"),
    "start_year": ("year", "calendar year of the episode's first session"),
    "measure": ("", "outcome measure code (ref.measures: instrument, range, direction, MCID)"),
    "baseline": (_SCORE, "the episode's first 'pre' score of the measure"),
    "final": (_SCORE, "the episode's last 'post' score (its last score of any timepoint when no 'post' follows the baseline)"),
    "improvement": (_SCORE, "baseline - final when lower is better, final - baseline when higher is better: positive = better"),
    "responder": ("", "improvement >= the measure's MCID"),
    # cohort_effects (= marts.effect_sizes, statistics.md)
    "cohort": ("", "the cohort's label (its filters)"),
    "n": ("episodes", "episodes with a baseline and a final score"),
    "baseline_mean": (_SCORE, "mean baseline score"),
    "baseline_sd": (_SCORE, "standard deviation of the baseline scores (n - 1 denominator)"),
    "final_mean": (_SCORE, "mean final score"),
    "final_sd": (_SCORE, "standard deviation of the final scores (n - 1 denominator)"),
    "r_pre_post": ("correlation", "Pearson correlation of baseline and final scores; empty when n < 3 or an SD is 0"),
    "mean_improvement": (_SCORE, "mean improvement (positive = better)"),
    "sd_improvement": (_SCORE, "standard deviation of the improvements"),
    "d_z": ("standard deviations", "standardized response mean: mean_improvement / sd_improvement"),
    "g_z": ("standard deviations", "d_z times Hedges' exact correction J(n - 1) (metafor escalc 'SMCC', sign: positive = better)"),
    "g_z_ci_low": ("standard deviations", "95% CI lower bound of g_z: g_z - 1.96 sqrt(1/n + g_z^2/(2n))"),
    "g_z_ci_high": ("standard deviations", "95% CI upper bound of g_z: g_z + 1.96 sqrt(1/n + g_z^2/(2n))"),
    "smcr": ("baseline standard deviations", "J(n - 1) * mean_improvement / baseline_sd (Becker 1988; metafor escalc 'SMCR')"),
    "smcr_var": ("squared baseline SDs", "sampling variance of smcr: 2(1 - r)/n + smcr^2/(2n) (metafor vtype 'LS')"),
    "wilcoxon_p": ("probability", "two-sided Wilcoxon signed-rank p-value of the improvements (as R wilcox.test(final, baseline, paired = TRUE))"),
    "responders": ("episodes", "episodes with improvement >= the measure's MCID"),
    "responder_rate": ("proportion", "responders / n"),
    "responder_ci_low": ("proportion", "95% Wilson score interval of responder_rate, lower bound (R prop.test(correct = FALSE))"),
    "responder_ci_high": ("proportion", "95% Wilson score interval of responder_rate, upper bound"),
    "q_value": ("probability", "Benjamini-Hochberg adjusted wilcoxon_p over the table's published rows"),
    "suppressed": ("", "true when the row is hidden by small-cell suppression (fewer than 11 episodes, or to protect such a row); its figures are empty"),
    # compare()
    "cohort_a": ("", "label of cohort A"),
    "cohort_b": ("", "label of cohort B"),
    "level": ("proportion", "confidence level of the intervals"),
    "n_a": ("episodes", "episodes of cohort A with the measure"),
    "n_b": ("episodes", "episodes of cohort B with the measure"),
    "mean_improvement_a": (_SCORE, "mean improvement in cohort A"),
    "mean_improvement_b": (_SCORE, "mean improvement in cohort B"),
    "sd_improvement_a": (_SCORE, "standard deviation of the improvements in cohort A"),
    "sd_improvement_b": (_SCORE, "standard deviation of the improvements in cohort B"),
    "mean_difference": (_SCORE, "mean_improvement_a - mean_improvement_b (positive favours A)"),
    "mean_difference_se": (_SCORE, "Welch standard error sqrt(sd_a^2/n_a + sd_b^2/n_b)"),
    "welch_df": ("degrees of freedom", "Welch-Satterthwaite degrees of freedom"),
    "welch_t": ("t statistic", "mean_difference / mean_difference_se"),
    "mean_difference_ci_low": (_SCORE, "Welch t interval of mean_difference, lower bound (R t.test)"),
    "mean_difference_ci_high": (_SCORE, "Welch t interval of mean_difference, upper bound"),
    "mean_difference_p": ("probability", "two-sided Welch t-test p-value (R t.test(a, b))"),
    "responders_a": ("episodes", "responders in cohort A"),
    "responders_b": ("episodes", "responders in cohort B"),
    "responder_rate_a": ("proportion", "responder rate of cohort A"),
    "responder_rate_b": ("proportion", "responder rate of cohort B"),
    "responder_difference": ("proportion", "responder_rate_a - responder_rate_b (positive favours A)"),
    "responder_difference_ci_low": ("proportion", "Newcombe hybrid score interval (method 10) of responder_difference, lower bound"),
    "responder_difference_ci_high": ("proportion", "Newcombe hybrid score interval of responder_difference, upper bound"),
    "responder_difference_p": ("probability", "chi-squared test of equal responder rates, no continuity correction (R prop.test(correct = FALSE))"),
    "note": ("", "why figures are empty, if any are"),
}

DICTIONARY_COLUMNS = ("name", "type", "unit", "definition")


@dataclass(frozen=True)
class Export:
    """The files written by :func:`tidy_export`."""

    data: Path
    dictionary: Path


def _type_name(series: pd.Series) -> str:
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return "boolean"
    if pd.api.types.is_integer_dtype(dtype):
        return "integer"
    if pd.api.types.is_float_dtype(dtype):
        return "number"
    values = series.dropna()
    if len(values) and all(isinstance(v, (bool, np.bool_)) for v in values):
        return "boolean"
    if len(values) and all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in values):
        return "integer"
    if len(values) and all(isinstance(v, (int, float, np.number)) and not isinstance(v, bool) for v in values):
        return "number"
    return "text"


def _score_unit(df: pd.DataFrame) -> str:
    codes = df["measure"].dropna().unique().tolist() if "measure" in df else []
    registry = contract.measures()
    if len(codes) == 1 and codes[0] in registry:
        m = registry[codes[0]]
        unit = "degrees" if "degrees" in m.instrument.lower() else "points"
        return f"{unit} of {m.code} ({m.range_min:g}-{m.range_max:g}, {m.better} is better)"
    return "points of the row's measure (degrees for rom_cervical_rotation; see ref.measures)"


def _dictionary_path(path: Path) -> Path:
    return path.with_name((path.stem if path.suffix.lower() == ".csv" else path.name) + ".dictionary.csv")


def tidy_export(
    df: pd.DataFrame,
    path: str | os.PathLike,
    descriptions: Mapping[str, tuple[str, str]] | None = None,
    allow_episode_rows: bool = False,
) -> Export:
    """Write ``df`` as CSV and a data dictionary beside it; returns both paths.

    ``path`` is the CSV (parent folders are created); the dictionary is
    ``<stem>.dictionary.csv`` in the same folder (``effects.csv`` ->
    ``effects.dictionary.csv``), one row per column of ``df`` in order, with columns
    ``name``, ``type`` (integer, number, text or boolean), ``unit`` and ``definition``.
    Every column of the marts, of :func:`cohort_effects` and of :meth:`Comparison.to_frame`
    is described; describe any other column with ``descriptions={"col": (unit, definition)}``
    (unknown columns raise ValueError). Score units name the instrument when the table holds
    one measure. Nulls (suppressed figures) are empty fields; numbers keep full precision.

    A table of episode rows (one with ``patient_id``) is refused unless
    ``allow_episode_rows=True``: export :func:`cohort_effects` tables, which are suppressed,
    for anything that leaves the analysis environment.
    """
    if not isinstance(df, pd.DataFrame):
        raise ValueError("df must be a pandas DataFrame")
    if "patient_id" in df.columns and not allow_episode_rows:
        raise ValueError(
            "this table has one row per episode (patient_id): pass allow_episode_rows=True to export "
            "row-level data under your data-use agreement, or export cohort_effects() for publication"
        )
    extra = dict(descriptions or {})
    for name, value in extra.items():
        if not (isinstance(value, tuple) and len(value) == 2 and all(isinstance(v, str) for v in value)):
            raise ValueError(f"descriptions[{name!r}] must be a (unit, definition) pair of strings")
    names = [str(c) for c in df.columns]
    if len(set(names)) != len(names):
        raise ValueError("column names must be unique")
    unknown = [c for c in names if c not in DICTIONARY and c not in extra]
    if unknown:
        raise ValueError(f"no definition for column(s) {', '.join(unknown)}: pass descriptions={{name: (unit, definition)}}")
    score = _score_unit(df)
    rows = []
    for col in names:
        unit, definition = extra.get(col) or DICTIONARY[col]
        rows.append({"name": col, "type": _type_name(df[col]), "unit": score if unit == _SCORE else unit,
                     "definition": definition})
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    dictionary = _dictionary_path(out)
    df.to_csv(out, index=False)
    pd.DataFrame(rows, columns=list(DICTIONARY_COLUMNS)).to_csv(dictionary, index=False)
    return Export(out, dictionary)
