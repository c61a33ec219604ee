"""Small-cell suppression (statistics.md): the rules, and that nothing hidden can be recovered.

The property tests build random effect tables with real additive structure (clinic x band
cells, each clinic's 'all' band, the network per band and overall), suppress them, then try
to recover every hidden count by linear algebra from every published count and total.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.linalg import null_space

from pipeline.marts.effect_sizes import COLUMNS
from pipeline.suppression import suppress_counts, suppress_effect_sizes

BANDS = ["twice_weekly", "weekly", "fortnightly", "monthly", "single_session"]


def _table(n: dict, r: dict) -> pd.DataFrame:
    """n, r: {(clinic, band): count}. Adds clinic totals, network per band, network total."""
    rows = []
    clinics = sorted({c for c, _ in n})
    bands = sorted({b for _, b in n})

    def add(level, clinic, band, nn, rr):
        row = dict.fromkeys(COLUMNS)
        row.update(level=level, clinic_id=clinic, condition_group="neck_pain", frequency_band=band,
                   measure="pain_nrs", n=nn, responders=rr, responder_rate=rr / nn, mean_improvement=1.0,
                   suppressed=False)
        rows.append(row)

    for c in clinics:
        for b in bands:
            if (c, b) in n:
                add("clinic", c, b, n[c, b], r[c, b])
        add("clinic", c, "all", sum(v for (cc, _), v in n.items() if cc == c), sum(v for (cc, _), v in r.items() if cc == c))
    for b in bands:
        if any(bb == b for _, bb in n):
            add("network", None, b, sum(v for (_, bb), v in n.items() if bb == b), sum(v for (_, bb), v in r.items() if bb == b))
    add("network", None, "all", sum(n.values()), sum(r.values()))
    return pd.DataFrame(rows, columns=COLUMNS)


def _equations(df: pd.DataFrame) -> list[list[tuple[int, float]]]:
    eqs = []
    for (_, clinic), g in df.groupby(["level", df["clinic_id"].fillna("")]):
        parent = g.index[g["frequency_band"] == "all"]
        eqs.append([(parent[0], 1.0)] + [(i, -1.0) for i in g.index if i != parent[0]])
    for band, g in df.groupby("frequency_band"):
        parent = g.index[g["level"] == "network"]
        eqs.append([(parent[0], 1.0)] + [(i, -1.0) for i in g.index if i != parent[0]])
    return eqs


def _recoverable(hidden: list[int], eqs) -> list[int]:
    if not hidden:
        return []
    col = {h: j for j, h in enumerate(hidden)}
    A = []
    for eq in eqs:
        row = np.zeros(len(hidden))
        for i, c in eq:
            if i in col:
                row[col[i]] += c
        if row.any():
            A.append(row)
    if not A:
        return []
    ns = null_space(np.array(A))
    return [h for h in hidden if ns.shape[1] == 0 or np.allclose(ns[col[h]], 0, atol=1e-9)]


cells = st.dictionaries(
    keys=st.tuples(st.sampled_from(["c1", "c2", "c3", "c4", "c5"]), st.sampled_from(BANDS)),
    values=st.integers(min_value=1, max_value=60),
    min_size=1, max_size=20,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(n=cells, data=st.data())
def test_no_suppressed_count_can_be_recovered(n, data):
    r = {k: data.draw(st.integers(min_value=0, max_value=v)) for k, v in n.items()}
    df = _table(n, r)
    out = suppress_effect_sizes(df, 11)
    eqs = _equations(df)
    hidden_n = [i for i in out.index if out.loc[i, "suppressed"]]
    assert _recoverable(hidden_n, eqs) == []
    hidden_r = [i for i in out.index if out.loc[i, "responders"] is None]
    assert _recoverable(hidden_r, eqs) == []          # responders, and so non-responders where n is shown
    shown = out[~out["suppressed"].astype(bool)]
    assert (shown["n"] >= 11).all()
    resp = shown[shown["responders"].notna()]
    assert (((resp["responders"] == 0) | (resp["responders"] >= 11))
            & (((resp["n"] - resp["responders"]) == 0) | ((resp["n"] - resp["responders"]) >= 11))).all()
    # Suppressed rows keep their keys and lose every figure.
    for _, row in out[out["suppressed"].astype(bool)].iterrows():
        assert row["n"] is None and row["mean_improvement"] is None and row["responders"] is None


def test_one_small_band_makes_the_next_smallest_band_hidden_too():
    n = {("c1", "weekly"): 40, ("c1", "fortnightly"): 20, ("c1", "monthly"): 5}
    out = suppress_effect_sizes(_table(n, {k: 0 for k in n}), 11)
    hidden = set(out.loc[out["suppressed"].astype(bool), "frequency_band"] + "/" + out.loc[out["suppressed"].astype(bool), "level"])
    # c1 monthly (5) is small; fortnightly (20) is the next smallest part of c1's total; the
    # network rows equal the clinic's (one clinic), so they are hidden alike.
    assert {"monthly/clinic", "fortnightly/clinic", "monthly/network", "fortnightly/network"} <= hidden
    assert "weekly/clinic" not in hidden


def test_a_bridge_between_two_hidden_blocks_is_caught_by_the_audit():
    # Two 2x2 blocks of small cells joined through one row and column: every row and column
    # has 0 or >= 2 hidden cells, yet the cell bridging them is determined by the totals.
    n = {("c1", "weekly"): 5, ("c1", "monthly"): 5, ("c2", "weekly"): 5, ("c2", "monthly"): 5,
         ("c2", "fortnightly"): 30, ("c3", "fortnightly"): 5, ("c3", "twice_weekly"): 5,
         ("c4", "fortnightly"): 5, ("c4", "twice_weekly"): 5, ("c1", "single_session"): 40,
         ("c3", "single_session"): 40}
    df = _table(n, {k: 0 for k in n})
    out = suppress_effect_sizes(df, 11)
    hidden = [i for i in out.index if out.loc[i, "suppressed"]]
    assert _recoverable(hidden, _equations(df)) == []


def test_responder_figures_hide_when_responders_or_non_responders_are_few():
    n = {("c1", "weekly"): 30, ("c2", "weekly"): 30, ("c3", "weekly"): 30}
    r = {("c1", "weekly"): 25, ("c2", "weekly"): 0, ("c3", "weekly"): 15}     # 5 non-responders at c1
    out = suppress_effect_sizes(_table(n, r), 11).set_index(["level", "clinic_id", "frequency_band"])
    assert out.loc[("clinic", "c1", "weekly"), "responders"] is None
    assert out.loc[("clinic", "c1", "weekly"), "n"] == 30                       # n stays
    assert not out["suppressed"].any()


def test_threshold_must_be_positive():
    with pytest.raises(ValueError):
        suppress_effect_sizes(_table({("c1", "weekly"): 20}, {("c1", "weekly"): 0}), 0)


def test_count_tables_hide_rows_with_a_small_count_and_protect_them_across_clinics():
    t = pd.DataFrame({
        "level": ["network", "clinic", "clinic", "clinic"], "clinic_id": [None, "c1", "c2", "c3"],
        "condition_group": ["neck_pain"] * 4, "measure": ["ndi"] * 4,
        "episodes": [95, 40, 50, 5],
    })
    out = suppress_counts(t, ["episodes"], "episodes", 11)
    assert list(out["suppressed"]) == [False, True, False, True]
    assert out.loc[3, "episodes"] is None and out.loc[1, "episodes"] is None


# --- the bridge test (Gusfield 1988; Kao 1996) on larger tables --------------------------------

from pipeline.suppression import (  # noqa: E402
    COMPLETENESS_HIERARCHIES, EFFECT_HIERARCHIES, TREND_HIERARCHIES, Hierarchy, _determined, _graph,
    _groups, bridges, disclosed,
)

CONDITIONS = ["neck_pain", "low_back_pain", "headache"]
MEASURES = ["pain_nrs", "ndi"]


def _big_table(n: dict, r: dict) -> pd.DataFrame:
    """n, r: {(condition, measure, clinic, band): count}; each condition x measure block gets its
    clinics' 'all' band, the network per band and the network total."""
    rows = []

    def add(level, clinic, cond, meas, band, nn, rr):
        row = dict.fromkeys(COLUMNS)
        row.update(level=level, clinic_id=clinic, condition_group=cond, frequency_band=band, measure=meas,
                   n=nn, responders=rr, responder_rate=rr / nn if nn else None, mean_improvement=1.0,
                   suppressed=False)
        rows.append(row)

    for cond, meas in sorted({k[:2] for k in n}):
        block = {k[2:]: v for k, v in n.items() if k[:2] == (cond, meas)}
        rblock = {k[2:]: v for k, v in r.items() if k[:2] == (cond, meas)}
        clinics = sorted({c for c, _ in block})
        bands = sorted({b for _, b in block})
        for c in clinics:
            for b in bands:
                if (c, b) in block:
                    add("clinic", c, cond, meas, b, block[c, b], rblock[c, b])
            add("clinic", c, cond, meas, "all", sum(v for (cc, _), v in block.items() if cc == c),
                sum(v for (cc, _), v in rblock.items() if cc == c))
        for b in bands:
            add("network", None, cond, meas, b, sum(v for (_, bb), v in block.items() if bb == b),
                sum(v for (_, bb), v in rblock.items() if bb == b))
        add("network", None, cond, meas, "all", sum(block.values()), sum(rblock.values()))
    return pd.DataFrame(rows, columns=COLUMNS)


def _big_equations(df: pd.DataFrame) -> list[list[tuple[int, float]]]:
    """The sum equations written out independently of the module: per block, each row (clinic
    or network) sums to its 'all' cell and each band's clinic cells to its network cell."""
    eqs = []
    key = df["clinic_id"].fillna("")
    for _, g in df.groupby(["condition_group", "measure", "level", key]):
        parent = g.index[g["frequency_band"] == "all"]
        eqs.append([(parent[0], 1.0)] + [(i, -1.0) for i in g.index if i != parent[0]])
    for _, g in df.groupby(["condition_group", "measure", "frequency_band"]):
        parent = g.index[g["level"] == "network"]
        eqs.append([(parent[0], 1.0)] + [(i, -1.0) for i in g.index if i != parent[0]])
    return eqs


@st.composite
def big_cells(draw):
    n_clinics = draw(st.integers(min_value=1, max_value=30))
    blocks = draw(st.lists(st.tuples(st.sampled_from(CONDITIONS), st.sampled_from(MEASURES)),
                           min_size=1, max_size=4, unique=True))
    p_small = draw(st.sampled_from([0.05, 0.2, 0.5]))
    n, r = {}, {}
    for cond, meas in blocks:
        for c in range(n_clinics):
            for b in BANDS:
                if draw(st.integers(0, 9)) < 2:          # some clinics lack some bands
                    continue
                small = draw(st.integers(0, 99)) < p_small * 100
                v = draw(st.integers(1, 10)) if small else draw(st.integers(11, 120))
                n[cond, meas, f"c{c:02d}", b] = v
                r[cond, meas, f"c{c:02d}", b] = draw(st.integers(0, v))
    if not n:
        n[blocks[0] + ("c00", BANDS[0])] = 20
        r[blocks[0] + ("c00", BANDS[0])] = 12
    return n, r


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(cells_=big_cells())
def test_nothing_hidden_is_recoverable_in_larger_tables(cells_):
    n, r = cells_
    df = _big_table(n, r)
    out = suppress_effect_sizes(df, 11)
    eqs = _big_equations(df)
    hidden_n = list(np.flatnonzero(out["suppressed"].astype(bool).to_numpy()))
    assert _recoverable(hidden_n, eqs) == []
    hidden_r = list(np.flatnonzero(out["responders"].isna().to_numpy()))
    assert _recoverable(hidden_r, eqs) == []
    shown = out[~out["suppressed"].astype(bool)]
    assert (shown["n"] >= 11).all()
    assert set(np.flatnonzero((df["n"] < 11).to_numpy())) <= set(hidden_n)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(cells_=big_cells(), data=st.data())
def test_the_bridge_test_agrees_with_the_null_space_oracle(cells_, data):
    # Any hidden set, not only those suppression leaves: bridges of the hidden cells are
    # exactly the values the null space of the module's own equations determines, and those
    # equations are the ones written out independently.
    n, r = cells_
    df = _big_table(n, r)
    hidden = np.array(data.draw(st.lists(st.booleans(), min_size=len(df), max_size=len(df))))
    g = _graph(df, EFFECT_HIERARCHIES)
    assert not g.exact.any()
    groups = _groups(df, EFFECT_HIERARCHIES)
    assert sorted(sorted([p, *parts]) for p, parts in groups) == sorted(sorted(i for i, _ in e) for e in _big_equations(df))
    assert sorted(_determined(g, hidden).tolist()) == sorted(disclosed(hidden, groups))
    assert sorted(_determined(g, hidden).tolist()) == _recoverable(list(np.flatnonzero(hidden)), _big_equations(df))


def test_a_table_with_no_small_cell_hides_nothing():
    n = {("neck_pain", "ndi", c, b): 20 + i for i, (c, b) in enumerate((c, b) for c in ("c1", "c2", "c3") for b in BANDS)}
    out = suppress_effect_sizes(_big_table(n, {k: 0 for k in n}), 11)
    assert not out["suppressed"].any()
    assert out["responders"].notna().all()


def test_one_small_cell_in_a_two_by_two_hides_a_rectangle():
    n = {("neck_pain", "ndi", "c1", "weekly"): 5, ("neck_pain", "ndi", "c1", "monthly"): 40,
         ("neck_pain", "ndi", "c2", "weekly"): 30, ("neck_pain", "ndi", "c2", "monthly"): 50}
    df = _big_table(n, {k: 0 for k in n})
    out = suppress_effect_sizes(df, 11)
    hidden = np.flatnonzero(out["suppressed"].astype(bool).to_numpy())
    assert len(hidden) == 4
    cells_ = set(zip(df.loc[hidden, "level"] + ":" + df.loc[hidden, "clinic_id"].fillna(""), df.loc[hidden, "frequency_band"]))
    rows_, cols_ = {a for a, _ in cells_}, {b for _, b in cells_}
    assert len(rows_) == 2 and len(cols_) == 2 and len(cells_) == 4           # a rectangle
    assert ("clinic:c1", "weekly") in cells_
    assert _recoverable(list(hidden), _big_equations(df)) == []


def test_many_clinics_with_one_small_band_each_are_protected_in_one_column():
    # 12 clinics each with a small single_session cell: a star around that column; pairs of
    # clinics close it with rectangles, and nothing hidden is recoverable.
    n = {}
    for c in range(12):
        n["neck_pain", "ndi", f"c{c:02d}", "single_session"] = 3 + c % 5
        n["neck_pain", "ndi", f"c{c:02d}", "weekly"] = 30 + c
        n["neck_pain", "ndi", f"c{c:02d}", "monthly"] = 60 - c
    df = _big_table(n, {k: 0 for k in n})
    out = suppress_effect_sizes(df, 11)
    hidden = list(np.flatnonzero(out["suppressed"].astype(bool).to_numpy()))
    assert _recoverable(hidden, _big_equations(df)) == []
    assert len(hidden) <= 2 * 12 + 2


def _one_level_recoverable(df, hidden, group, parent_column, parent_value):
    eqs = []
    for _, g in df.groupby([df[c].astype("string").fillna("") for c in group]):
        parent = g.index[g[parent_column] == parent_value]
        if len(parent) == 1 and len(g) > 1:
            eqs.append([(parent[0], 1.0)] + [(i, -1.0) for i in g.index if i != parent[0]])
    return _recoverable(list(hidden), eqs)


def test_trend_like_tables_protect_periods_and_follow_also_hidden():
    rows = []
    for c, periods in (("c1", [40, 5, 30, 25]), ("c2", [30, 30, 30, 30]), ("c3", [20, 25, 30, 35])):
        for cond in ("neck_pain", "headache"):
            for p, v in zip(["2024-Q1", "2024-Q2", "2024-Q3", "2024-Q4"], periods):
                rows.append(dict(level="clinic", clinic_id=c, condition_group=cond, measure="ndi", period=p, n=v,
                                 responders=0, mean_improvement=1.0))
            rows.append(dict(level="clinic", clinic_id=c, condition_group=cond, measure="ndi", period="all",
                             n=sum(periods), responders=0, mean_improvement=1.0))
    df = pd.DataFrame(rows)
    # c2 x headache's 'all' is hidden on the effect table: a period must go with it.
    also = (df["clinic_id"] == "c2") & (df["condition_group"] == "headache") & (df["period"] == "all")
    out = suppress_effect_sizes(df, 11, TREND_HIERARCHIES, ("level", "clinic_id", "condition_group", "measure", "period"),
                                also_hidden=also, also_responders_hidden=also)
    hidden = np.flatnonzero(out["suppressed"].astype(bool).to_numpy())
    assert out.loc[also, "suppressed"].all()
    for cond in ("neck_pain", "headache"):
        g = out[(out["clinic_id"] == "c1") & (out["condition_group"] == cond)]
        assert g["suppressed"].sum() == 2                          # the small period and the next smallest
        assert g.loc[g["period"] == "2024-Q2", "suppressed"].all() and g.loc[g["period"] == "2024-Q4", "suppressed"].all()
    g = out[(out["clinic_id"] == "c2") & (out["condition_group"] == "headache")]
    assert g["suppressed"].sum() == 2
    assert not out[(out["clinic_id"] == "c3")]["suppressed"].any()
    assert _one_level_recoverable(df, hidden, ("clinic_id", "condition_group", "measure"), "period", "all") == []
    assert _one_level_recoverable(df, np.flatnonzero(out["responders"].isna().to_numpy()),
                                  ("clinic_id", "condition_group", "measure"), "period", "all") == []


def test_completeness_like_tables_protect_clinics_and_follow_also_hidden():
    rows = []
    for cond, sizes_ in (("neck_pain", [50, 40, 5, 30]), ("headache", [20, 25, 30, 35])):
        for c, v in zip(["c1", "c2", "c3", "c4"], sizes_):
            rows.append(dict(level="clinic", clinic_id=c, condition_group=cond, measure="ndi", episodes=v))
        rows.append(dict(level="network", clinic_id=None, condition_group=cond, measure="ndi", episodes=sum(sizes_)))
    df = pd.DataFrame(rows)
    also = pd.Series((df["condition_group"] == "headache") & (df["clinic_id"] == "c4"))
    out = suppress_counts(df, ["episodes"], "episodes", 11, COMPLETENESS_HIERARCHIES, also_hidden=also)
    neck = out[out["condition_group"] == "neck_pain"]
    assert list(neck["suppressed"]) == [False, False, True, True, False]   # c3 small, c4 the next smallest
    head = out[out["condition_group"] == "headache"]
    assert list(head["suppressed"]) == [True, False, False, True, False]   # c4 (elsewhere) and c1
    hidden = np.flatnonzero(out["suppressed"].to_numpy(dtype=bool))
    assert _one_level_recoverable(df, hidden, ("condition_group", "measure"), "level", "network") == []


def test_a_duration_like_hierarchy_and_an_all_hidden_group():
    df = pd.DataFrame({"condition_group": ["a"] * 3 + ["b"] * 3, "measure": ["m"] * 6,
                       "duration_band": ["all", "short", "long"] * 2, "n": [8, 5, 3, 60, 30, 30]})
    out = suppress_counts(df, ["n"], "n", 11, (Hierarchy(("condition_group", "measure"), "duration_band", "all"),))
    assert list(out["suppressed"]) == [True, True, True, False, False, False]


@pytest.mark.parametrize("edges, expected", [
    ([(0, 1), (1, 2), (2, 0)], [False, False, False]),                              # a cycle
    ([(0, 1), (1, 2), (2, 3)], [True, True, True]),                                 # a path
    ([(0, 1), (1, 2), (2, 0), (2, 3), (3, 4), (4, 5), (5, 3)],                      # two cycles and the edge between
     [False, False, False, True, False, False, False]),
    ([(0, 1), (0, 1)], [False, False]),                                             # parallel edges are a cycle
    ([(0, 1), (2, 3), (3, 4), (4, 2), (5, 6)], [True, False, False, False, True]),  # several components
    ([(0, 1)] * 256 + [(1, 2)], [False] * 256 + [True]),                           # many hidden parts of one total
    ([], []),
])
def test_bridges_of_hand_built_graphs(edges, expected):
    u = [a for a, _ in edges]
    v = [b for _, b in edges]
    assert bridges(8, u, v).tolist() == expected


def test_bridges_check_their_input():
    with pytest.raises(ValueError):
        bridges(2, [0, 1], [1])
    with pytest.raises(ValueError):
        bridges(2, [0], [2])


def test_equations_that_are_not_a_balanced_graph_fall_back_to_the_null_space_audit():
    # x is the total of group A (x = y) and, with y, a part of group B (z = x + y): with x and
    # y hidden, x = z / 2 although the two hidden cells form a cycle. The signs do not balance,
    # so this block is audited with the null space, which hides z too.
    df = pd.DataFrame({"g1": ["A", "A", "Z"], "p1": ["tot", "part", "part"],
                       "g2": ["B", "B", "B"], "p2": ["part", "part", "tot"], "n": [2, 2, 4]})
    hierarchies = (Hierarchy(("g1",), "p1", "tot"), Hierarchy(("g2",), "p2", "tot"))
    g = _graph(df, hierarchies)
    assert g.exact[g.block].all()
    out = suppress_counts(df, ["n"], "n", 3, hierarchies)
    assert out["suppressed"].tolist() == [True, True, True]
    assert disclosed(out["suppressed"].to_numpy(dtype=bool), _groups(df, hierarchies)) == []
