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

from pipeline.effects import COLUMNS
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
