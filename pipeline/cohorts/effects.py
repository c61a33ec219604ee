"""Every figure of ``marts.effect_sizes`` for a cohort, suppressed as the published cells."""
from __future__ import annotations

import math
from dataclasses import asdict, fields
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from pipeline import contract, stats
from pipeline.cohorts.selection import BY_COLUMNS, TOTAL, Cohort, _check_cohort, _check_con, _measure_rules, cohort_outcomes
from pipeline.suppression import suppress_effect_sizes

FIGURES = tuple(f.name for f in fields(stats.PrePost))
INTEGER_FIGURES = ("n", "responders")
RESPONDER_FIGURES = ("responders", "responder_rate", "responder_ci_low", "responder_ci_high")


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
