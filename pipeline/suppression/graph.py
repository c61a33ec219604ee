"""A table's sum equations as a graph, block by block, and the hidden values they determine
(the bridges of the graph of hidden cells; Gusfield 1988; Kao 1996)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from .equations import Hierarchy, _equations
from .forest import _forest


# --- the table as a graph ----------------------------------------------------------------------

@dataclass
class _Graph:
    """The equations of a table as a graph (see :func:`_graph`)."""

    node: np.ndarray        # (rows, hierarchies) equation of each row, -1 if none
    coef: np.ndarray
    block: np.ndarray       # block of each row, -1 for a row in no equation
    n_blocks: int
    n_nodes: int            # equations + one ground node per block
    exact: np.ndarray       # per block: the equations are not a balanced graph -> null space
    cells: np.ndarray       # rows that are edges (in one or two equations, in a graph block)
    u: np.ndarray           # per row: first end (valid for rows in ``cells``)
    v: np.ndarray           # per row: second end (an equation or the block's ground)


def _graph(df: pd.DataFrame, hierarchies: tuple[Hierarchy, ...]) -> _Graph:
    """The table's equations as a graph, block by block.

    Nodes are the equations, plus one *ground* node per block; a row in two equations is an
    edge between them, a row in one equation an edge from it to its block's ground. A block
    is a connected set of equations (for the effect table: one condition x measure).

    Why a hidden value is determined iff its edge is a bridge of the graph of hidden cells
    (Gusfield 1988; Kao 1996). Over the hidden unknowns the equations read ``A x = b`` (one
    row per equation, the shown cells moved into ``b``). Multiply each equation by a sign
    ``s``: if every row in two equations ``p, q`` with coefficients ``a, b`` has
    ``s_p a = -s_q b`` (the graph is *balanced*), every column of the scaled ``A`` that
    belongs to a row in two equations holds one +1 and one -1. Add, per block, the ground's
    row, minus the sum of the block's scaled rows: it lies in their span, so the row space is
    unchanged, and now every column (a ground edge included) holds one +1 and one -1. The
    scaled ``A`` thus has the row space of the signed incidence matrix of the graph of hidden
    cells, whose null space is the cycle space. A value is determined iff its unit vector lies
    in the row space, i.e. iff it is zero in every null vector (every cycle), i.e. iff its
    edge lies on no cycle: it is a bridge. A cell in no equation is never determined.

    For the effect table (rows = clinics and the network row, columns = bands and ``all``;
    the grand total is the edge between the network row and the ``all`` column: Gusfield's
    augmented table) ``s`` = +1 on clinic rows and on ``all``, -1 on the network row and on
    the bands. One-level hierarchies (trends, completeness, durations) are stars around the
    ground: a hidden value is determined iff it is the only hidden member of its equation.
    Blocks whose rows lie in three or more equations, or whose signs do not balance, are
    marked ``exact`` and audited with :func:`disclosed` instead.
    """
    node, coef, n_eq = _equations(df, hierarchies)
    nrows = len(df)
    k = (node >= 0).sum(axis=1)
    # blocks: components of the equations joined by rows in several equations
    src, dst = [], []
    for j in range(node.shape[1] - 1):
        both = (node[:, j] >= 0) & (node[:, j + 1:] >= 0).any(axis=1)
        nxt = np.where(node[:, j + 1:] >= 0, node[:, j + 1:], np.iinfo(np.int64).max).min(axis=1)
        src.append(node[both, j])
        dst.append(nxt[both])
    src = np.concatenate(src) if src else np.zeros(0, dtype=np.int64)
    dst = np.concatenate(dst) if dst else np.zeros(0, dtype=np.int64)
    n_blocks, eq_block = connected_components(
        coo_matrix((np.ones(len(src)), (src, dst)), shape=(max(n_eq, 1), max(n_eq, 1))).tocsr(),
        directed=False)
    eq_block = eq_block.astype(np.int64)
    first = np.where(node >= 0, node, np.iinfo(np.int64).max).min(axis=1)
    block = np.where(k > 0, eq_block[np.minimum(first, max(n_eq - 1, 0))], -1)
    exact = np.zeros(n_blocks, dtype=bool)
    exact[block[k > 2]] = True
    # the two ends of every edge, and their coefficients
    order = np.argsort(node < 0, axis=1, kind="stable")     # equations first
    ends = np.take_along_axis(node, order, axis=1)
    signs = np.take_along_axis(coef, order, axis=1)
    u = ends[:, 0].copy()
    v = ends[:, 1].copy() if node.shape[1] > 1 else np.full(nrows, -1, dtype=np.int64)
    one = k == 1
    v[one] = n_eq + block[one]
    two = np.flatnonzero(k == 2)
    if len(two):
        # balance: s_p s_q = -a b on every row in two equations (checked on a spanning forest)
        want = (-signs[two, 0].astype(np.int64) * signs[two, 1]).astype(np.int64)
        f = _forest(max(n_eq, 1), u[two], v[two])
        s = np.ones(max(n_eq, 1), dtype=np.int64)
        for lev in f.levels[1:]:
            s[lev] = s[f.parent[lev]] * want[f.parent_edge[lev]]
        bad = s[u[two]] * s[v[two]] != want
        exact[block[two[bad]]] = True
    cells = np.flatnonzero((k >= 1) & (k <= 2))
    cells = cells[~exact[block[cells]]]
    return _Graph(node, coef, block, n_blocks, n_eq + n_blocks, exact, cells, u, v)


def _determined(g: _Graph, hidden: np.ndarray) -> np.ndarray:
    """Rows of graph blocks whose hidden value the published ones determine (bridges)."""
    h = g.cells[hidden[g.cells]]
    if not len(h):
        return h
    return h[_forest(g.n_nodes, g.u[h], g.v[h]).bridge]
