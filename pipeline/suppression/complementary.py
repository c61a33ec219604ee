"""Complementary suppression (rule 3 of :mod:`pipeline.suppression`): extend the hidden cells
until no hidden value follows from the published ones, closing bridges on graph blocks and
falling back to the null-space audit elsewhere."""
from __future__ import annotations

import numpy as np

from .equations import _groups_of, disclosed
from .forest import _forest
from .graph import _Graph


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
       joins its two sides: the bridge is then on a cycle (:func:`_single_closers`);
    2. the cheapest two shown cells from the bridge's end on its smaller side, through a node
       outside the component, back to the other side (completes a rectangle);
    3. the smallest shown cell at the end of the smaller side (a lone hidden cell needs a
       rectangle: the next pass completes it by rule 2).
    Cells are taken cheapest first; a cell closing several bridges (all the tree edges
    between its ends) serves them all, tracked by a union-find over covered tree edges
    (:func:`_union_find`), so a pass costs O(cells of the active blocks) plus near-linear
    bookkeeping.
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
    pre, size = f.pre, f.size

    def inside(w, c):
        return (pre[c] <= pre[w]) & (pre[w] < pre[c] + size[c])

    x, y = g.u[s], g.v[s]
    bl, cl = _single_closers(g, f, s, x, y, sizes, inside)
    uf, find, cover = _union_find(g.n_nodes, f)
    gu, gv = g.u, g.v
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


def _single_closers(g, f, s, x, y, sizes, inside) -> tuple[np.ndarray, np.ndarray]:
    """Rule 1 of :func:`_close_bridges`: for each bridge (named by its child node) the smallest
    shown cell (of ``s``, with ends ``x``, ``y``) sharing an end with it and joining its two
    sides; the (bridge, cell) pairs, cheapest cell first."""
    pre, depth, comp, parent = f.pre, f.depth, f.comp, f.parent
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

    in_x, in_y = depth[x] >= 0, depth[y] >= 0
    same = in_x & in_y & (comp[x] == comp[y])
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
    return bl[o], cl[o]


def _union_find(n_nodes: int, f):
    """Union-find over the tree edges of forest ``f``: a node is its own root while the edge to
    its parent is a bridge not yet covered. ``cover(a, b)`` marks every tree edge on the path
    between ``a`` and ``b`` covered (a shown cell from ``a`` to ``b`` put them on a cycle).
    Returns the parent list and ``find``, ``cover``."""
    depth, parent = f.depth, f.parent
    uf = np.arange(n_nodes)
    settled = (depth > 0) & ~f.bridge_child
    uf[settled] = parent[settled]
    uf, par, dep = uf.tolist(), parent.tolist(), depth.tolist()

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

    return uf, find, cover


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
