"""Small-cell suppression, applied once to every published table (statistics.md).

1. A cell with n below the threshold is suppressed: its row stays, ``suppressed = True``, and
   every figure is null.
2. A responder count or non-responder count between 1 and threshold - 1 nulls the responder
   figures of that cell.
3. Complementary suppression: wherever a total is published beside its parts (a condition's
   ``all`` band beside its bands; the network beside its clinics), no hidden count may be
   recoverable from the published ones through the sum equations.

The exact test of rule 3 is a graph one (Gusfield 1988, "A graph theoretic approach to
statistical data security", SIAM J. Comput. 17(3); Kao 1996, "Data security equals graph
connectivity", arXiv cs/0101034). Every sum equation (a group of a :class:`Hierarchy` with one
parent row and at least one part) is a node; every cell lies in at most two equations (one
per hierarchy of the published tables) and is an edge between them, or between its one
equation and the block's *ground* node when it lies in one only. A hidden value is
determined by the published ones exactly when its edge is a bridge of the graph of hidden
cells (proof in :func:`_graph`). Bridges are found for all blocks at once in linear time
(:func:`bridges`); each disclosure is then closed by hiding the cheapest shown cells that put
the bridge on a cycle, and only the blocks that changed are tested again. Tables whose
equations do not have that shape (a cell in three equations, or signs that do not balance)
fall back, block by block, to the exact null-space audit :func:`disclosed`.

Suppression happens on unrounded numbers, before anything is written.

Layout: :mod:`.equations` (hierarchies, sum equations, the null-space audit), :mod:`.forest`
(spanning forests and bridges), :mod:`.graph` (the table as a graph), :mod:`.complementary`
(rule 3); this module holds the public entry points and re-exports the names callers use.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .complementary import _complementary
from .equations import (  # noqa: F401 - re-exported: the public names and what the tests use
    COMPLETENESS_HIERARCHIES, EFFECT_HIERARCHIES, EFFECT_KEYS, TREND_HIERARCHIES, TREND_KEYS, Hierarchy,
    _groups, disclosed,
)
from .forest import bridges  # noqa: F401 - re-exported
from .graph import _determined, _graph  # noqa: F401 - re-exported


def _flags(flags: pd.Series | None, n: int, name: str) -> np.ndarray:
    if flags is None:
        return np.zeros(n, dtype=bool)
    if len(flags) != n:
        raise ValueError(f"{name} must have one entry per row of the table")
    return pd.Series(flags).reset_index(drop=True).astype(bool).to_numpy()


def suppress_effect_sizes(cells: pd.DataFrame, min_n: int,
                          hierarchies: tuple[Hierarchy, ...] = EFFECT_HIERARCHIES,
                          keys: tuple[str, ...] = EFFECT_KEYS,
                          also_hidden: pd.Series | None = None,
                          also_responders_hidden: pd.Series | None = None) -> pd.DataFrame:
    """Apply every rule to a table of cells (n, responders and figures); returns a new table.

    ``keys`` name the columns that identify a cell (never nulled); ``also_hidden`` and
    ``also_responders_hidden`` mark cells hidden on another published surface that shares
    them, so they are hidden here alike. Complementary suppression runs on the counts ``n``
    and again on the responder counts, each hidden value protected by the bridge test of the
    table's equations (Gusfield 1988; Kao 1996; see :func:`_graph`).
    """
    if min_n < 1:
        raise ValueError("the suppression threshold must be at least 1")
    df = cells.reset_index(drop=True).copy()
    g = _graph(df, hierarchies)
    n = df["n"].astype("int64").to_numpy()
    small_n = (n < min_n) | _flags(also_hidden, len(df), "also_hidden")
    suppressed = _complementary(g, small_n, n)
    responders = df["responders"]
    has_resp = responders.notna().to_numpy()
    resp = responders.fillna(0).astype("int64").to_numpy()
    small = has_resp & (((resp >= 1) & (resp < min_n)) | (((n - resp) >= 1) & ((n - resp) < min_n)))
    responders_hidden = (suppressed | small | ~has_resp
                         | _flags(also_responders_hidden, len(df), "also_responders_hidden"))
    responders_hidden = _complementary(g, responders_hidden, np.where(has_resp, resp, 0))
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
    whole (counts set to null, ``suppressed = True``), with complementary suppression (the
    bridge test, Gusfield 1988; Kao 1996). ``also_hidden`` marks rows hidden on another
    published surface, so they are hidden here too."""
    if min_n < 1:
        raise ValueError("the suppression threshold must be at least 1")
    df = table.reset_index(drop=True).copy()
    counts = df[count_columns].astype("int64").to_numpy()
    small = ((counts > 0) & (counts < min_n)).any(axis=1) | _flags(also_hidden, len(df), "also_hidden")
    hidden = _complementary(_graph(df, hierarchies), small, df[size_column].astype("int64").to_numpy())
    df["suppressed"] = hidden
    df[count_columns] = df[count_columns].astype("object")
    df.loc[hidden, count_columns] = None
    return df
