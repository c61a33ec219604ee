"""The sum equations of a published table (see :mod:`pipeline.suppression`): the hierarchies
that define them, each row's equations and coefficients, and the exact null-space audit
:func:`disclosed`."""
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


# --- the sum equations ---------------------------------------------------------------------

def _group_codes(df: pd.DataFrame, columns: tuple[str, ...]) -> np.ndarray:
    """Group number (0, 1, ... in order of first appearance) of every row over ``columns``.

    Rows are keyed as they always were: each value as a string, a null as ``"\\x00"``, so 1
    and "1" share a group and every null is one value. Vectorized (one hash per column).
    """
    gid = np.zeros(len(df), dtype=np.int64)
    for col in columns:
        if col not in df:
            raise ValueError(f"hierarchy column {col!r} is not in the table")
        codes, uniques = pd.factorize(df[col], use_na_sentinel=True)
        names = pd.Series(np.asarray(uniques, dtype=object), dtype=object).astype("string").fillna("\x00")
        names = np.append(names.to_numpy(dtype=object), "\x00")
        label, _ = pd.factorize(names)
        c = label[np.where(codes < 0, len(names) - 1, codes)].astype(np.int64)
        gid, _ = pd.factorize(gid * (int(c.max(initial=0)) + 1) + c)
        gid = gid.astype(np.int64)
    return gid


def _equations(df: pd.DataFrame, hierarchies: tuple[Hierarchy, ...]) -> tuple[np.ndarray, np.ndarray, int]:
    """The sum equations of the table: ``node[i, h]`` is the equation of hierarchy ``h`` that row
    ``i`` belongs to (-1 if none) and ``coef[i, h]`` its coefficient (+1 parent, -1 part).

    A group of a hierarchy is an equation ``parent - sum(parts) = 0`` when it has exactly one
    parent row and at least one part (rows whose ``parent_column`` is not ``parent_value``).
    """
    if not hierarchies:
        raise ValueError("at least one hierarchy is needed")
    nrows = len(df)
    node = np.full((nrows, len(hierarchies)), -1, dtype=np.int64)
    coef = np.zeros((nrows, len(hierarchies)), dtype=np.int8)
    offset = 0
    for k, h in enumerate(hierarchies):
        if h.parent_column not in df:
            raise ValueError(f"hierarchy column {h.parent_column!r} is not in the table")
        gid = _group_codes(df, h.group)
        is_parent = df[h.parent_column].eq(h.parent_value).fillna(False).to_numpy(dtype=bool)
        ngroups = int(gid.max(initial=-1)) + 1
        parents = np.bincount(gid, weights=is_parent, minlength=ngroups)
        parts = np.bincount(gid, minlength=ngroups) - parents
        is_eq = (parents == 1) & (parts >= 1)
        node[:, k] = np.where(is_eq[gid], offset + gid, -1)
        coef[:, k] = np.where(is_parent, 1, -1)
        offset += ngroups
    return node, coef, offset


def _groups(df: pd.DataFrame, hierarchies: tuple[Hierarchy, ...]) -> list[tuple[int, list[int]]]:
    """Every (parent row, part rows) pair of the table: parent = sum of parts (the equations of
    :func:`_equations`, in hierarchy order and then order of first appearance)."""
    node, coef, _ = _equations(df, hierarchies)
    return _groups_of(node, coef, np.arange(len(df)))


def _groups_of(node: np.ndarray, coef: np.ndarray, rows: np.ndarray) -> list[tuple[int, list[int]]]:
    out = []
    for k in range(node.shape[1]):
        r = rows[node[rows, k] >= 0]
        if not len(r):
            continue
        r = r[np.argsort(node[r, k], kind="stable")]
        cut = np.flatnonzero(np.diff(node[r, k])) + 1
        for members in np.split(r, cut):
            is_parent = coef[members, k] == 1
            out.append((int(members[is_parent][0]), [int(i) for i in members[~is_parent]]))
    return out


def disclosed(hidden: np.ndarray, groups: list[tuple[int, list[int]]]) -> list[int]:
    """Hidden rows whose value follows exactly from the shown ones through the sum equations.

    Each group gives ``parent - sum(parts) = 0``. Over the hidden unknowns this is ``A x = b``;
    a hidden value is determined exactly when its unit vector lies in the row space of ``A``,
    i.e. when every vector of the null space of ``A`` is zero in that coordinate. Cubic in the
    number of hidden cells: the exact oracle, used only for tables whose equations are not a
    balanced graph (see :func:`_graph`) and by the tests.
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
