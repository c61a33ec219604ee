"""Small-cell suppression, applied once to every published table (statistics.md).

1. A cell with n below the threshold is suppressed: its row stays, ``suppressed = True``, and
   every figure is null.
2. A responder count or non-responder count between 1 and threshold - 1 nulls the responder
   figures of that cell.
3. Complementary suppression: wherever a total is published beside its parts (a condition's
   ``all`` band beside its bands; the network beside its clinics), no hidden part may be
   recoverable by subtraction. When exactly one part under a shown total is hidden, the
   smallest shown part is hidden too; repeated until nothing changes, across both hierarchies.

Suppression happens on unrounded numbers, before anything is written.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class Hierarchy:
    """Rows grouped by ``group`` whose ``parent`` row is the sum of the other rows of the group."""

    group: tuple[str, ...]
    parent_column: str
    parent_value: str


EFFECT_HIERARCHIES = (
    Hierarchy(("level", "clinic_id", "condition_group", "measure"), "frequency_band", "all"),
    Hierarchy(("condition_group", "frequency_band", "measure"), "level", "network"),
)
COMPLETENESS_HIERARCHIES = (
    Hierarchy(("condition_group", "measure"), "level", "network"),
)


def _complementary(df: pd.DataFrame, hidden: pd.Series, size: pd.Series,
                   hierarchies: tuple[Hierarchy, ...]) -> pd.Series:
    """Extend ``hidden`` until no hidden part is the only hidden one under a shown total."""
    hidden = hidden.copy()
    changed = True
    while changed:
        changed = False
        for h in hierarchies:
            keys = df[list(h.group)].astype("string").fillna("\x00")
            for _, idx in keys.groupby(list(h.group), sort=False).groups.items():
                is_parent = df.loc[idx, h.parent_column] == h.parent_value
                parents, parts = idx[is_parent.to_numpy()], idx[~is_parent.to_numpy()]
                if len(parents) != 1 or hidden[parents[0]] or len(parts) < 2:
                    continue
                if hidden[parts].sum() == 1:
                    shown = [i for i in parts if not hidden[i]]
                    smallest = min(shown, key=lambda i: (size[i], str(i)))
                    hidden[smallest] = True
                    changed = True
    return hidden


def suppress_effect_sizes(cells: pd.DataFrame, min_n: int) -> pd.DataFrame:
    """Apply every rule to a table with marts.effect_sizes' columns; returns a new table."""
    if min_n < 1:
        raise ValueError("the suppression threshold must be at least 1")
    df = cells.reset_index(drop=True).copy()
    n = df["n"].astype("int64")
    suppressed = _complementary(df, n < min_n, n, EFFECT_HIERARCHIES)
    responders = df["responders"]
    has_resp = responders.notna()
    resp = responders.fillna(0).astype("int64")
    small = has_resp & (((resp >= 1) & (resp < min_n)) | (((n - resp) >= 1) & ((n - resp) < min_n)))
    responders_hidden = suppressed | small | ~has_resp
    responders_hidden = _complementary(df, responders_hidden, resp.where(has_resp, 0), EFFECT_HIERARCHIES)
    figures = [c for c in df.columns if c not in ("level", "clinic_id", "condition_group", "frequency_band", "measure", "suppressed")]
    responder_figures = ["responders", "responder_rate", "responder_ci_low", "responder_ci_high"]
    df["suppressed"] = suppressed
    df[figures] = df[figures].astype("object")
    df.loc[suppressed, figures] = None
    df.loc[responders_hidden, responder_figures] = None
    return df


def suppress_counts(table: pd.DataFrame, count_columns: list[str], size_column: str, min_n: int,
                    hierarchies: tuple[Hierarchy, ...] = COMPLETENESS_HIERARCHIES) -> pd.DataFrame:
    """Suppress a table of counts: a row whose smallest nonzero count is below ``min_n`` is hidden
    whole (counts set to null, ``suppressed = True``), with complementary suppression."""
    if min_n < 1:
        raise ValueError("the suppression threshold must be at least 1")
    df = table.reset_index(drop=True).copy()
    counts = df[count_columns].astype("int64")
    small = ((counts > 0) & (counts < min_n)).any(axis=1)
    hidden = _complementary(df, small, df[size_column].astype("int64"), hierarchies)
    df["suppressed"] = hidden
    df[count_columns] = df[count_columns].astype("object")
    df.loc[hidden, count_columns] = None
    return df
