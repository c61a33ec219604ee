"""Comparing the improvement on one measure between two independent cohorts (A - B)."""
from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from pipeline import contract
from pipeline.cohorts.selection import Cohort, _as_values, _check_cohort, _check_con, cohort_outcomes
from pipeline.stats.difference import rate_difference, welch_difference

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
