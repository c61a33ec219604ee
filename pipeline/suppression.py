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
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.linalg import null_space
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components


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


# --- bridges ---------------------------------------------------------------------------------

@dataclass
class _Forest:
    """A spanning forest of a multigraph with Tarjan's (1974) preorder numbers."""

    parent: np.ndarray      # parent node, -1 at a root or outside the graph
    parent_edge: np.ndarray  # edge to the parent, -1 at a root or outside
    depth: np.ndarray       # -1 for a node with no edge
    pre: np.ndarray         # preorder number; a subtree is the interval [pre, pre + size)
    size: np.ndarray        # number of nodes of the subtree
    comp: np.ndarray        # connected component
    comp_size: np.ndarray
    bridge_child: np.ndarray  # node whose edge to its parent is a bridge
    bridge: np.ndarray      # per edge
    levels: list


def _forest(n_nodes: int, u: np.ndarray, v: np.ndarray) -> _Forest:
    """Breadth-first spanning forest (level-synchronous, vectorized) and the bridges of the graph.

    Tarjan (1974, "A note on finding the bridges of a graph", Inf. Process. Lett. 2(6)): number
    the nodes of any spanning forest in preorder; the tree edge above ``c`` is a bridge iff no
    non-tree edge leaves the subtree of ``c``, i.e. the smallest and largest preorder numbers
    reached from the subtree by non-tree edges lie in ``[pre[c], pre[c] + size[c])``. Parallel
    edges are distinct edges (two hidden cells in the same two equations form a cycle).
    O(nodes + edges) work, one numpy step per tree level.
    """
    m = len(u)
    deg = np.bincount(np.concatenate([u, v]), minlength=n_nodes).astype(np.int64)
    ends = np.concatenate([u, v])
    order = np.argsort(ends, kind="stable")
    nbr = np.concatenate([v, u])[order]
    nbr_edge = np.tile(np.arange(m, dtype=np.int64), 2)[order]
    start = np.zeros(n_nodes + 1, dtype=np.int64)
    np.cumsum(deg, out=start[1:])
    ncomp, comp = connected_components(
        coo_matrix((np.ones(m), (u, v)), shape=(n_nodes, n_nodes)).tocsr(), directed=False)
    comp = comp.astype(np.int64)
    used = np.flatnonzero(deg > 0)
    _, first = np.unique(comp[used], return_index=True)
    roots = used[first]
    parent = np.full(n_nodes, -1, dtype=np.int64)
    parent_edge = np.full(n_nodes, -1, dtype=np.int64)
    depth = np.full(n_nodes, -1, dtype=np.int64)
    depth[roots] = 0
    levels = [roots]
    frontier, d = roots, 0
    while frontier.size:
        cnt = deg[frontier]
        total = int(cnt.sum())
        if total == 0:
            break
        src = np.repeat(frontier, cnt)
        pos = np.repeat(start[frontier] - (np.cumsum(cnt) - cnt), cnt) + np.arange(total)
        nb, ne = nbr[pos], nbr_edge[pos]
        fresh = depth[nb] < 0
        nb, ne, src = nb[fresh], ne[fresh], src[fresh]
        new, at = np.unique(nb, return_index=True)
        if not new.size:
            break
        d += 1
        parent[new], parent_edge[new], depth[new] = src[at], ne[at], d
        levels.append(new)
        frontier = new
    size = (depth >= 0).astype(np.int64)
    for lev in reversed(levels[1:]):
        np.add.at(size, parent[lev], size[lev])
    pre = np.zeros(n_nodes, dtype=np.int64)
    pre[roots] = np.cumsum(size[roots]) - size[roots]
    for lev in levels[1:]:
        o = np.lexsort((lev, parent[lev]))
        kids, dads = lev[o], parent[lev][o]
        s = size[kids]
        before = np.cumsum(s) - s
        head = np.r_[True, dads[1:] != dads[:-1]]
        base = before[head][np.cumsum(head) - 1]
        pre[kids] = pre[dads] + 1 + before - base
    tree = np.zeros(m, dtype=bool)
    tree[parent_edge[parent_edge >= 0]] = True
    lo, hi = pre.copy(), pre.copy()
    a, b = u[~tree], v[~tree]
    np.minimum.at(lo, a, pre[b])
    np.minimum.at(lo, b, pre[a])
    np.maximum.at(hi, a, pre[b])
    np.maximum.at(hi, b, pre[a])
    for lev in reversed(levels[1:]):
        np.minimum.at(lo, parent[lev], lo[lev])
        np.maximum.at(hi, parent[lev], hi[lev])
    bridge_child = (depth > 0) & (lo >= pre) & (hi < pre + size)
    bridge = np.zeros(m, dtype=bool)
    bridge[parent_edge[bridge_child]] = True
    return _Forest(parent, parent_edge, depth, pre, size, comp,
                   np.bincount(comp, minlength=ncomp), bridge_child, bridge, levels)


def bridges(n_nodes: int, u, v) -> np.ndarray:
    """Which edges of the undirected multigraph ``(u[k], v[k])`` on nodes ``0 .. n_nodes - 1`` are
    bridges (an edge on no cycle: removing it disconnects its ends). Linear time; see
    :func:`_forest` (Tarjan 1974). In suppression the edges are hidden cells and a bridge is a
    hidden value determined by the published ones (Gusfield 1988; Kao 1996)."""
    u = np.asarray(u, dtype=np.int64).ravel()
    v = np.asarray(v, dtype=np.int64).ravel()
    if len(u) != len(v):
        raise ValueError("u and v must have the same length")
    if n_nodes < 0 or (len(u) and (min(u.min(), v.min()) < 0 or max(u.max(), v.max()) >= n_nodes)):
        raise ValueError("edge ends must be nodes 0 .. n_nodes - 1")
    if not len(u):
        return np.zeros(0, dtype=bool)
    return _forest(n_nodes, u, v).bridge


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


# --- complementary suppression -------------------------------------------------------------------

def _first_per(key: np.ndarray, *tiebreak: np.ndarray) -> np.ndarray:
    """Positions of the smallest entry (by ``tiebreak``, in order) for each distinct ``key``."""
    o = np.lexsort(tuple(reversed(tiebreak)) + (key,))
    head = np.r_[True, key[o][1:] != key[o][:-1]] if len(o) else np.zeros(0, dtype=bool)
    return o[head]


def _close_bridges(g: _Graph, hidden: np.ndarray, sizes: np.ndarray, active: np.ndarray) -> np.ndarray:
    """One pass over the ``active`` blocks: hide shown cells so that bridges found now lie on
    cycles. Returns the blocks where something was hidden (empty when none had a bridge).

    For each bridge, in this order of preference:
    1. the smallest shown cell in the same row or column (sharing an equation with it) that
       joins its two sides: the bridge is then on a cycle;
    2. the cheapest two shown cells from the bridge's end on its smaller side, through a node
       outside the component, back to the other side (completes a rectangle);
    3. the smallest shown cell at the end of the smaller side (a lone hidden cell needs a
       rectangle: the next pass completes it by rule 2).
    Cells are taken cheapest first; a cell closing several bridges (all the tree edges
    between its ends) serves them all, tracked by a union-find over covered tree edges, so a
    pass costs O(cells of the active blocks) plus near-linear bookkeeping.
    """
    cand = g.cells[active[g.block[g.cells]]]
    h = cand[hidden[cand]]
    s = cand[~hidden[cand]]
    if not len(h):
        return np.zeros(0, dtype=np.int64)
    f = _forest(g.n_nodes, g.u[h], g.v[h])
    kids = np.flatnonzero(f.bridge_child)
    if not len(kids):
        return np.zeros(0, dtype=np.int64)
    pre, size, depth, comp, parent = f.pre, f.size, f.depth, f.comp, f.parent

    def inside(w, c):
        return (pre[c] <= pre[w]) & (pre[w] < pre[c] + size[c])

    # children sorted by (parent, preorder): the child of z towards a descendant w
    below = np.flatnonzero(depth > 0)
    stride = g.n_nodes + 1
    key = parent[below] * stride + pre[below]
    o = np.argsort(key, kind="stable")
    key, below = key[o], below[o]

    def child_towards(z, w):
        i = np.searchsorted(key, z * stride + pre[w], side="right") - 1
        c = below[np.maximum(i, 0)] if len(below) else np.zeros(len(z), dtype=np.int64)
        ok = (i >= 0) & (parent[c] == z) & inside(w, c) if len(below) else np.zeros(len(z), dtype=bool)
        return np.where(ok, c, -1)

    x, y = g.u[s], g.v[s]
    in_x, in_y = depth[x] >= 0, depth[y] >= 0
    same = in_x & in_y & (comp[x] == comp[y])
    # 1. shown cells sharing an end with a bridge and joining its two sides
    bl, cl = [], []
    for z, w in ((x, y), (y, x)):
        zs, ws, cs = z[same], w[same], s[same]
        a = f.bridge_child[zs] & ~inside(ws, zs)
        bl.append(zs[a])
        cl.append(cs[a])
        c = child_towards(zs, ws)
        ok = c >= 0
        ok[ok] = f.bridge_child[c[ok]]
        bl.append(c[ok])
        cl.append(cs[ok])
    bl, cl = np.concatenate(bl), np.concatenate(cl)
    pick = _first_per(bl, sizes[cl], cl)
    bl, cl = bl[pick], cl[pick]
    o = np.lexsort((cl, sizes[cl]))
    bl, cl = bl[o], cl[o]

    uf = np.arange(g.n_nodes)
    settled = (depth > 0) & ~f.bridge_child
    uf[settled] = parent[settled]
    uf, par, dep = uf.tolist(), parent.tolist(), depth.tolist()
    gu, gv = g.u, g.v

    def find(a):
        while uf[a] != a:
            uf[a] = uf[uf[a]]
            a = uf[a]
        return a

    def cover(a, b):
        a, b = find(a), find(b)
        while a != b:
            if dep[a] < dep[b]:
                a, b = b, a
            uf[a] = par[a]
            a = find(a)

    chosen = []
    for c, cell in zip(bl.tolist(), cl.tolist()):
        if uf[c] != c:
            continue
        chosen.append(cell)
        cover(int(gu[cell]), int(gv[cell]))

    rest = np.array([c for c in kids.tolist() if find(c) == c], dtype=np.int64)
    if len(rest):
        chosen.extend(_rectangles(g, f, rest, s, x, y, sizes, inside, find, cover, uf))
    chosen = np.unique(np.array(chosen, dtype=np.int64))
    hidden[chosen] = True
    return np.unique(g.block[chosen])


def _rectangles(g, f, rest, s, x, y, sizes, inside, find, cover, uf) -> list[int]:
    """Rules 2 and 3 of :func:`_close_bridges` for the bridges (children ``rest``) that no single
    shown cell closes."""
    pre, size, depth, comp, parent = f.pre, f.size, f.depth, f.comp, f.parent
    p = parent[rest]
    small_is_sub = size[rest] <= f.comp_size[comp[rest]] - size[rest]
    z = np.where(small_is_sub, rest, p)          # the bridge's end on its smaller side
    other = np.where(small_is_sub, p, rest)
    # shown cells by end: CSR over both ends
    ends = np.concatenate([x, y])
    far = np.concatenate([y, x])
    cell = np.concatenate([s, s])
    o = np.argsort(ends, kind="stable")
    ends, far, cell = ends[o], far[o], cell[o]
    lo = np.searchsorted(ends, z, side="left")
    hi = np.searchsorted(ends, z, side="right")
    cnt = hi - lo
    bi = np.repeat(np.arange(len(rest)), cnt)
    pos = np.repeat(lo - (np.cumsum(cnt) - cnt), cnt) + np.arange(int(cnt.sum()))
    w, c1 = far[pos], cell[pos]
    k = comp[rest][bi]
    away = (depth[w] < 0) | (comp[w] != k)
    bi, w, c1 = bi[away], w[away], c1[away]
    # the two smallest shown cells from each outside node w into each component
    xb = np.concatenate([x, y])
    xw = np.concatenate([y, x])
    xc = np.concatenate([s, s])
    into = (depth[xb] >= 0) & ((depth[xw] < 0) | (comp[xw] != comp[xb]))
    xb, xw, xc = xb[into], xw[into], xc[into]
    stride = int(g.n_nodes) + 1
    hop_key = xw * stride + comp[xb]
    o = np.lexsort((xc, sizes[xc], hop_key))
    hop_key, xb, xc = hop_key[o], xb[o], xc[o]
    chosen = []
    if len(bi) and len(hop_key):
        q = w * stride + k
        at = np.searchsorted(hop_key, q, side="left")
        rb, rc1, rc2, rbb = [], [], [], []
        for shift in (0, 1):
            i = at + shift
            ok = i < len(hop_key)
            ok[ok] = hop_key[i[ok]] == q[ok]
            j = np.flatnonzero(ok)
            b = xb[i[j]]
            c = rest[bi[j]]
            off_small = np.where(small_is_sub[bi[j]], ~inside(b, c), inside(b, c))
            j = j[off_small]
            rb.append(bi[j])
            rc1.append(c1[j])
            rc2.append(xc[i[j]])
            rbb.append(xb[i[j]])
        rb, rc1, rc2, rbb = (np.concatenate(a) for a in (rb, rc1, rc2, rbb))
        cost = sizes[rc1] + sizes[rc2]
        pick = _first_per(rb, cost, np.minimum(rc1, rc2), np.maximum(rc1, rc2))
        pick = pick[np.lexsort((rb[pick], cost[pick]))]       # cheapest first
        for r, a, b2, bb in zip(rb[pick].tolist(), rc1[pick].tolist(), rc2[pick].tolist(), rbb[pick].tolist()):
            c = int(rest[r])
            if uf[c] != c:
                continue
            chosen.extend((a, b2))
            cover(int(z[r]), bb)
    # 3. a single cell at the smaller side's end, else at the other end, else anywhere at the component
    left = [r for r in range(len(rest)) if find(int(rest[r])) == int(rest[r])]
    if left:
        node_best = _smallest_at(g.n_nodes, ends, cell, sizes)
        comp_best = None
        for r in left:
            pick = node_best[z[r]] if node_best[z[r]] >= 0 else node_best[other[r]]
            if pick < 0:
                if comp_best is None:
                    comp_best = _smallest_at(len(f.comp_size), np.where(depth[ends] >= 0, comp[ends], -1), cell, sizes)
                pick = comp_best[comp[rest[r]]]
            if pick < 0:
                raise ValueError("the hierarchies determine a hidden cell whatever else is hidden "
                                 "(a bridge of the whole table); check the hierarchies")
            chosen.append(int(pick))
    return chosen


def _smallest_at(n: int, at: np.ndarray, cell: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """For each of ``n`` labels, the smallest (size, row) cell with that label (-1 if none)."""
    out = np.full(n, -1, dtype=np.int64)
    keep = at >= 0
    at, cell = at[keep], cell[keep]
    if len(at):
        first = _first_per(at, sizes[cell], cell)
        out[at[first]] = cell[first]
    return out


def _protect_exact(g: _Graph, hidden: np.ndarray, sizes: np.ndarray, rows: np.ndarray) -> None:
    """Complementary suppression of one block (its ``rows``) by the null-space audit
    (:func:`disclosed`), for tables whose equations are not a balanced graph: first no group
    with exactly one hidden part under a shown total, then a disclosed cell gets the smallest
    shown cell of its equations hidden beside it, until nothing is disclosed."""
    groups = _groups_of(g.node, g.coef, rows)
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
        leaks = set(disclosed(hidden, groups))
        if not leaks:
            return
        touching = [(p, parts) for p, parts in groups if {p, *parts} & leaks]
        near = [i for p, parts in groups if hidden[[p, *parts]].any() for i in (p, *parts)]
        candidates = ([i for _, parts in touching for i in parts if not hidden[i]]
                      or [p for p, _ in touching if not hidden[p]]
                      or [i for i in near if not hidden[i]])
        if not candidates:
            raise ValueError("the hierarchies determine a hidden cell whatever else is hidden")
        hidden[min(candidates, key=order)] = True


def _complementary(g: _Graph, hidden: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """Extend ``hidden`` until no hidden value can be recovered from the shown ones.

    Graph blocks: find every bridge of the hidden cells (Gusfield 1988; Kao 1996), close them
    all (:func:`_close_bridges`), and test again only the blocks that changed, until no block
    has a bridge. Other blocks: :func:`_protect_exact`. Returns the new mask.
    """
    hidden = np.asarray(hidden, dtype=bool).copy()
    sizes = np.asarray(sizes, dtype=np.float64)
    if len(hidden) != len(g.block) or len(sizes) != len(g.block):
        raise ValueError("hidden and sizes must have one entry per row")
    active = np.zeros(g.n_blocks, dtype=bool)
    active[np.unique(g.block[g.cells[hidden[g.cells]]])] = True
    while active.any():
        changed = _close_bridges(g, hidden, sizes, active)
        active[:] = False
        active[changed] = True
    rows = np.flatnonzero((g.block >= 0) & g.exact[np.maximum(g.block, 0)])
    if len(rows):
        rows = rows[np.argsort(g.block[rows], kind="stable")]
        for members in np.split(rows, np.flatnonzero(np.diff(g.block[rows])) + 1):
            if hidden[members].any():
                _protect_exact(g, hidden, sizes, members)
    return hidden


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
