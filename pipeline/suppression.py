"""Small-cell suppression, applied once to every published table (statistics.md).

1. A cell with n below the threshold is suppressed: its row stays, ``suppressed = True``, and
   every figure is null.
2. A responder count or non-responder count between 1 and threshold - 1 nulls the responder
   figures of that cell.
3. Complementary suppression: wherever a total is published beside its parts (a condition's
   ``all`` band beside its bands; the network beside its clinics), no hidden part may be
   recoverable by subtraction. When exactly one part under a shown total is hidden, the
   smallest shown part is hidden too; then an exact linear-algebra audit over both
   hierarchies at once finds any value still determined by the published ones (e.g. a cell
   bridging two blocks of hidden cells) and hides more, until nothing is disclosed.

Suppression happens on unrounded numbers, before anything is written.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.linalg import null_space


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
EFFECT_KEYS = ("level", "clinic_id", "condition_group", "frequency_band", "measure")
TREND_HIERARCHIES = (
    Hierarchy(("clinic_id", "condition_group", "measure"), "period", "all"),
)
TREND_KEYS = ("level", "clinic_id", "condition_group", "measure", "period")
COMPLETENESS_HIERARCHIES = (
    Hierarchy(("condition_group", "measure"), "level", "network"),
)


def _groups(df: pd.DataFrame, hierarchies: tuple[Hierarchy, ...]) -> list[tuple[int, list[int]]]:
    """Every (parent row, part rows) pair of the table: parent = sum of parts."""
    out = []
    for h in hierarchies:
        keys = df[list(h.group)].astype("string").fillna("\x00")
        for idx in keys.groupby(list(h.group), sort=False).indices.values():
            is_parent = (df[h.parent_column].to_numpy()[idx] == h.parent_value)
            parents, parts = idx[is_parent], idx[~is_parent]
            if len(parents) == 1 and len(parts) >= 1:
                out.append((int(parents[0]), [int(i) for i in parts]))
    return out


def disclosed(hidden: np.ndarray, groups: list[tuple[int, list[int]]]) -> list[int]:
    """Hidden rows whose value follows exactly from the shown ones through the sum equations.

    Each group gives ``parent - sum(parts) = 0``. Over the hidden unknowns this is ``A x = b``;
    a hidden value is determined exactly when its unit vector lies in the row space of ``A``,
    i.e. when every vector of the null space of ``A`` is zero in that coordinate.
    """
    rows = sorted({i for p, parts in groups for i in [p, *parts] if hidden[i]})
    if not rows:
        return []
    col = {r: j for j, r in enumerate(rows)}
    equations = []
    for parent, parts in groups:
        eq = np.zeros(len(rows))
        for i, coef in [(parent, 1.0), *((i, -1.0) for i in parts)]:
            if hidden[i]:
                eq[col[i]] += coef
        if eq.any():
            equations.append(eq)
    if not equations:
        return []
    null = null_space(np.array(equations))
    return [r for r in rows if null.shape[1] == 0 or np.allclose(null[col[r]], 0.0, atol=1e-9)]


def _complementary(df: pd.DataFrame, hidden: pd.Series, size: pd.Series,
                   hierarchies: tuple[Hierarchy, ...]) -> pd.Series:
    """Extend ``hidden`` until no hidden value can be recovered from the shown ones.

    First the usual rule (no group with exactly one hidden part under a shown total), then an
    exact audit (:func:`disclosed`) per independent block; a disclosed cell gets the smallest
    shown cell of its groups hidden beside it, and both steps repeat until neither
    changes anything.
    """
    hidden = hidden.to_numpy(dtype=bool).copy()
    sizes = size.to_numpy()
    groups = _groups(df, hierarchies)
    order = lambda i: (sizes[i], i)  # noqa: E731 - smallest first, stable
    while True:
        changed = False
        for parent, parts in groups:
            if not hidden[parent] and len(parts) >= 2 and hidden[parts].sum() == 1:
                shown = [i for i in parts if not hidden[i]]
                hidden[min(shown, key=order)] = True
                changed = True
        if changed:
            continue
        leaks = disclosed(hidden, groups)
        if not leaks:
            return pd.Series(hidden, index=df.index)
        touching = [(p, parts) for p, parts in groups if {p, *parts} & set(leaks)]
        near = [i for p, parts in groups if hidden[[p, *parts]].any() for i in (p, *parts)]
        candidates = ([i for _, parts in touching for i in parts if not hidden[i]]
                      or [p for p, _ in touching if not hidden[p]]
                      or [i for i in near if not hidden[i]])  # the disclosure runs through a chain
        hidden[min(candidates, key=order)] = True


def suppress_effect_sizes(cells: pd.DataFrame, min_n: int,
                          hierarchies: tuple[Hierarchy, ...] = EFFECT_HIERARCHIES,
                          keys: tuple[str, ...] = EFFECT_KEYS,
                          also_hidden: pd.Series | None = None,
                          also_responders_hidden: pd.Series | None = None) -> pd.DataFrame:
    """Apply every rule to a table of cells (n, responders and figures); returns a new table.

    ``keys`` name the columns that identify a cell (never nulled); ``also_hidden`` and
    ``also_responders_hidden`` mark cells hidden on another published surface that shares
    them, so they are hidden here alike.
    """
    if min_n < 1:
        raise ValueError("the suppression threshold must be at least 1")
    df = cells.reset_index(drop=True).copy()
    n = df["n"].astype("int64")
    small_n = n < min_n
    if also_hidden is not None:
        small_n = small_n | also_hidden.reset_index(drop=True).astype(bool)
    suppressed = _complementary(df, small_n, n, hierarchies)
    responders = df["responders"]
    has_resp = responders.notna()
    resp = responders.fillna(0).astype("int64")
    small = has_resp & (((resp >= 1) & (resp < min_n)) | (((n - resp) >= 1) & ((n - resp) < min_n)))
    responders_hidden = suppressed | small | ~has_resp
    if also_responders_hidden is not None:
        responders_hidden = responders_hidden | also_responders_hidden.reset_index(drop=True).astype(bool)
    responders_hidden = _complementary(df, responders_hidden, resp.where(has_resp, 0), hierarchies)
    figures = [c for c in df.columns if c not in (*keys, "suppressed")]
    responder_figures = [c for c in ("responders", "responder_rate", "responder_ci_low", "responder_ci_high") if c in df]
    df["suppressed"] = suppressed
    df[figures] = df[figures].astype("object")
    df.loc[suppressed, figures] = None
    df.loc[responders_hidden, responder_figures] = None
    return df


def suppress_counts(table: pd.DataFrame, count_columns: list[str], size_column: str, min_n: int,
                    hierarchies: tuple[Hierarchy, ...] = COMPLETENESS_HIERARCHIES,
                    also_hidden: pd.Series | None = None) -> pd.DataFrame:
    """Suppress a table of counts: a row whose smallest nonzero count is below ``min_n`` is hidden
    whole (counts set to null, ``suppressed = True``), with complementary suppression.
    ``also_hidden`` marks rows hidden on another published surface, so they are hidden here too."""
    if min_n < 1:
        raise ValueError("the suppression threshold must be at least 1")
    df = table.reset_index(drop=True).copy()
    counts = df[count_columns].astype("int64")
    small = ((counts > 0) & (counts < min_n)).any(axis=1)
    if also_hidden is not None:
        small = small | also_hidden.reset_index(drop=True).astype(bool)
    hidden = _complementary(df, small, df[size_column].astype("int64"), hierarchies)
    df["suppressed"] = hidden
    df[count_columns] = df[count_columns].astype("object")
    df.loc[hidden, count_columns] = None
    return df
