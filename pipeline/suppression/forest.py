"""Spanning forests and bridges of a multigraph in linear time (Tarjan 1974), the engine of the
bridge test of :mod:`pipeline.suppression`."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components


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
