"""Pure validators of the marts' grain, wrapped by the blocking asset checks of assets/marts.py:
each mart is unique on its keys, and no published row breaks the suppression rule
(statistics.md, "Small-cell suppression")."""
from __future__ import annotations

import pandas as pd

RESPONDER_FIGURES = ("responders", "responder_rate", "responder_ci_low", "responder_ci_high")

# mart -> the columns it is unique on (its grain; the module docstrings say the same)
GRAIN = {
    "effect_sizes": ("level", "clinic_id", "condition_group", "frequency_band", "measure"),
    "completeness": ("level", "clinic_id", "condition_group", "measure"),
    "clinic_trends": ("level", "clinic_id", "condition_group", "measure", "period"),
    "pooled_effects": ("condition_group", "frequency_band", "measure"),
    "dose_response_points": ("condition_group", "measure", "moderator", "clinic_id", "frequency_band", "duration_band"),
    "dose_response": ("condition_group", "measure", "moderator"),
    "clinic_benchmarks": ("clinic_id", "condition_group", "measure"),
    "benchmark_model_fit": ("measure",),
}
# suppressed mart -> the counts whose small values it must not publish
SUPPRESSED_COUNTS = {
    "effect_sizes": ("n",),
    "clinic_trends": ("n",),
    "clinic_benchmarks": ("n",),
    "completeness": ("episodes", "episodes_scored", "episodes_with_baseline", "episodes_complete"),
}


def duplicate_keys(table: pd.DataFrame, keys: tuple[str, ...]) -> pd.DataFrame:
    """The key values that occur on more than one row (nulls equal to each other), with their count."""
    missing = [k for k in keys if k not in table]
    if missing:
        raise ValueError(f"the table has no column {missing[0]!r}")
    sizes = table.groupby(list(keys), dropna=False, sort=True).size()
    return sizes[sizes > 1].rename("rows").reset_index()


def suppression_breaches(table: pd.DataFrame, keys: tuple[str, ...], counts: tuple[str, ...], min_n: int) -> list[str]:
    """Every way a published table breaks the suppression rule, one sentence each (empty: none):
    a shown row with a count between 1 and min_n - 1; a suppressed row with a figure left;
    a responder (or non-responder) count between 1 and min_n - 1 shown."""
    if min_n < 1:
        raise ValueError("the suppression threshold must be at least 1")
    if "suppressed" not in table:
        raise ValueError("the table has no 'suppressed' column")
    hidden = table["suppressed"].astype(bool)
    problems = []
    for col in counts:
        value = pd.to_numeric(table[col], errors="coerce")
        small = ~hidden & (value > 0) & (value < min_n)
        if small.any():
            problems.append(f"{int(small.sum())} published rows with 0 < {col} < {min_n}")
    figures = [c for c in table.columns if c not in (*keys, "suppressed")]
    left = hidden & table[figures].notna().any(axis=1)
    if left.any():
        problems.append(f"{int(left.sum())} suppressed rows still show a figure")
    if "responders" in table and "n" in table:
        r, n = pd.to_numeric(table["responders"], errors="coerce"), pd.to_numeric(table["n"], errors="coerce")
        small = r.notna() & (((r > 0) & (r < min_n)) | (((n - r) > 0) & ((n - r) < min_n)))
        if small.any():
            problems.append(f"{int(small.sum())} rows show a responder or non-responder count below {min_n}")
        shown = [c for c in RESPONDER_FIGURES if c in table]
        partial = r.isna() & table[shown].notna().any(axis=1)
        if partial.any():
            problems.append(f"{int(partial.sum())} rows hide the responders but show a responder figure")
    return problems
