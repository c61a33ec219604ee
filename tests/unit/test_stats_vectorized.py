"""The array twins of pipeline.stats equal the per-cell functions bit for bit, degenerate cells
included, and pipeline.marts.effect_sizes and clinic_trends build the same tables as one scalar call per row.

No outside reference here: the scalar functions are tested against R, metafor, scipy and the
published examples elsewhere (test_stats_effect, test_stats_wilcoxon, ...); these tests pin
the vectorized path to them exactly (same bits, or both None/NaN).
"""
from __future__ import annotations

import math
import struct
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from scipy.stats import rankdata

from pipeline import stats
from pipeline.marts import clinic_trends as trends
from pipeline.marts import effect_sizes as effects
from pipeline.stats import (
    PrePost,
    bh_qvalues,
    bh_qvalues_array,
    hedges_j,
    hedges_j_array,
    prepost,
    prepost_from_summary,
    prepost_from_summary_arrays,
    wilcoxon_p_from_ranks,
    wilcoxon_p_from_ranks_arrays,
    wilson,
    wilson_arrays,
)
from pipeline.suppression import TREND_HIERARCHIES, suppress_effect_sizes

FIELDS = list(PrePost.__dataclass_fields__)


def _bits(x):
    return struct.pack("<d", x)


def _same(a, b) -> bool:
    """Equal as the published value: both None, or the same number to the last bit."""
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, int) and isinstance(b, int):
        return a == b
    return type(a) is type(b) and _bits(float(a)) == _bits(float(b))


def _nan_to_none(x):
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else x


def assert_cells_equal(arrays, scalars):
    assert len(arrays) == len(scalars)
    for i, want in enumerate(scalars):
        got = arrays.cell(i)
        for f in FIELDS:
            assert _same(getattr(got, f), getattr(want, f)), (i, f, getattr(got, f), getattr(want, f))


# --- cells from raw paired scores (what the SQL layer aggregates) ------------------------


def summary(x, y, better="lower", mcid=2.0):
    """The sufficient statistics of one cell as sql/marts/inputs/effect_sizes.sql computes them (NaN for NULL)."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    n = x.size
    d = np.round(y - x if better == "higher" else x - y, 9)  # as marts.episode_outcomes.improvement
    sd = (lambda a: float(np.std(a, ddof=1)) if n >= 2 else math.nan)
    if n >= 2 and np.std(x) > 0 and np.std(y) > 0:
        r = float(np.corrcoef(x, y)[0, 1])
    else:
        r = math.nan
    nz = d[d != 0]
    ranks = rankdata(np.abs(nz)) if nz.size else np.array([])
    _, ties = np.unique(np.abs(nz), return_counts=True)
    return dict(
        n=n, baseline_mean=float(np.mean(x)), baseline_sd=sd(x), final_mean=float(np.mean(y)), final_sd=sd(y),
        r_pre_post=r, mean_improvement=float(np.mean(d)), sd_improvement=sd(d),
        responders=int(np.count_nonzero(d >= mcid)), zeros=int(np.count_nonzero(d == 0)),
        n_nonzero=int(nz.size), v_plus=float(np.sum(ranks[nz > 0])), tie_term=float(sum(int(t) ** 3 - int(t) for t in ties)),
    )


@st.composite
def raw_cell(draw):
    """Paired scores of one cell, degenerate ones on purpose: n of 1, 2, 3; constant scores;
    every improvement equal (r = 1); all zero; no or all responders; ties; untied decimals."""
    n = draw(st.one_of(st.integers(1, 4), st.integers(5, 60)))
    kind = draw(st.sampled_from(["integer", "decimal", "same_change", "no_change", "flat_baseline", "all_respond"]))
    x = np.array(draw(st.lists(st.integers(0, 10), min_size=n, max_size=n)), float)
    if kind == "integer":
        y = np.array(draw(st.lists(st.integers(0, 10), min_size=n, max_size=n)), float)
    elif kind == "decimal":  # distinct magnitudes: the exact branch when n < 50
        x = x + np.arange(n) * 1e-3
        y = x - np.array(draw(st.lists(st.floats(-3, 6, allow_nan=False), min_size=n, max_size=n)))
    elif kind == "same_change":
        y = x - draw(st.sampled_from([1.0, 2.0, -1.5]))
    elif kind == "no_change":
        y = x.copy()
    elif kind == "flat_baseline":
        x = np.full(n, 7.0)
        y = np.array(draw(st.lists(st.integers(0, 10), min_size=n, max_size=n)), float)
    else:
        y = x - 5.0
    return x, y


def scalar_figures(cell) -> PrePost:
    """One cell by the scalar functions, as pipeline.marts.effect_sizes.cell_figures calls them."""
    none = _nan_to_none
    p = wilcoxon_p_from_ranks(cell["n_nonzero"], cell["v_plus"], cell["tie_term"], cell["zeros"])
    return prepost_from_summary(
        n=cell["n"], baseline_mean=cell["baseline_mean"], baseline_sd=none(cell["baseline_sd"]),
        final_mean=cell["final_mean"], final_sd=none(cell["final_sd"]), r_pre_post=none(cell["r_pre_post"]),
        mean_improvement=cell["mean_improvement"], sd_improvement=none(cell["sd_improvement"]),
        responders=none(cell["responders"]), wilcoxon_p=p,
    )


def arrays_of(cells):
    col = lambda k: np.array([c[k] for c in cells], float)  # noqa: E731
    p = wilcoxon_p_from_ranks_arrays(col("n_nonzero"), col("v_plus"), col("tie_term"), col("zeros"))
    return prepost_from_summary_arrays(
        n=col("n"), baseline_mean=col("baseline_mean"), baseline_sd=col("baseline_sd"), final_mean=col("final_mean"),
        final_sd=col("final_sd"), r_pre_post=col("r_pre_post"), mean_improvement=col("mean_improvement"),
        sd_improvement=col("sd_improvement"), responders=col("responders"), wilcoxon_p=p,
    )


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(raw_cell(), min_size=1, max_size=25), st.sampled_from(["lower", "higher"]))
@example([(np.array([3.0]), np.array([1.0])), (np.array([3.0, 4.0]), np.array([3.0, 4.0])),
          (np.array([3.0, 4.0, 5.0]), np.array([1.0, 2.0, 3.0]))], "lower")
def test_arrays_equal_scalar_on_raw_cells(raw, better):
    cells = [summary(x, y, better) for x, y in raw]
    assert_cells_equal(arrays_of(cells), [scalar_figures(c) for c in cells])
    # and the scalar path from the raw vectors agrees on the figures computed the same way
    for (x, y), c in zip(raw, cells):
        assert prepost(x, y, better=better).wilcoxon_p == scalar_figures(c).wilcoxon_p


# --- cells straight from summary values (combinations no real data gives) -------------------


@st.composite
def summary_cell(draw):
    n = draw(st.sampled_from([1, 2, 3, 4, 11, 50, 1000]) | st.integers(1, 200))
    sd = st.sampled_from([0.0, -0.0, math.nan, 1e-300, 1e-160, 2.5]) | st.floats(0, 50, allow_nan=False)
    mean = st.sampled_from([0.0, -0.0, 3.0]) | st.floats(-20, 20, allow_nan=False)
    r = st.sampled_from([math.nan, -1.0, 1.0, 1.0 + 1e-13, -1.0 - 1e-13, 0.0]) | st.floats(-1, 1)
    responders = draw(st.sampled_from([0, n, math.nan]) | st.integers(0, n))
    p = draw(st.sampled_from([math.nan, 0.0, 1.0]) | st.floats(0, 1))
    return dict(n=n, baseline_mean=draw(mean), baseline_sd=draw(sd), final_mean=draw(mean), final_sd=draw(sd),
                r_pre_post=draw(r), mean_improvement=draw(mean), sd_improvement=draw(sd), responders=responders,
                wilcoxon_p=p)


def _scalar_summary(c) -> PrePost:
    none = _nan_to_none
    return prepost_from_summary(**{k: none(v) for k, v in c.items()})


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(summary_cell(), min_size=1, max_size=30))
def test_arrays_equal_scalar_on_summary_cells(cells):
    arrays = prepost_from_summary_arrays(**{k: np.array([c[k] for c in cells], float) for k in cells[0]})
    assert_cells_equal(arrays, [_scalar_summary(c) for c in cells])
    for f in FIELDS:  # undefined is NaN, never inf
        assert not np.isinf(getattr(arrays, f)).any(), f


def test_degenerate_cells_give_null_figures_and_keep_the_rest():
    """sd(d) = 0: d_z and g_z null (R: mean/0 is NaN or Inf), smcr still defined (0 when
    mean(d) = 0 and sd(x) > 0), smcr_var 2(1 - r)/n + 0 = 0 at r = 1; n = 1 and 2: no SD, no r, no J."""
    cells = [
        dict(n=20, baseline_mean=6, baseline_sd=2, final_mean=6, final_sd=2, r_pre_post=1, mean_improvement=0,
             sd_improvement=0, responders=0),   # nothing changed
        dict(n=20, baseline_mean=6, baseline_sd=2, final_mean=4, final_sd=2, r_pre_post=1, mean_improvement=2,
             sd_improvement=0, responders=20),  # everyone improved by 2
        dict(n=20, baseline_mean=6, baseline_sd=0, final_mean=4, final_sd=1, r_pre_post=0.3, mean_improvement=2,
             sd_improvement=1, responders=12),  # constant baseline
        dict(n=1, baseline_mean=6, baseline_sd=math.nan, final_mean=4, final_sd=math.nan, r_pre_post=math.nan,
             mean_improvement=2, sd_improvement=math.nan, responders=1),
        dict(n=2, baseline_mean=6, baseline_sd=1, final_mean=4, final_sd=1, r_pre_post=1, mean_improvement=2,
             sd_improvement=0, responders=2),
    ]
    arrays = prepost_from_summary_arrays(**{k: np.array([c[k] for c in cells], float) for k in cells[0]})
    scalars = [_scalar_summary(c) for c in cells]
    assert_cells_equal(arrays, scalars)
    nothing, everyone, flat, one, two = scalars
    assert nothing.d_z is None and nothing.g_z is None and nothing.g_z_ci_low is None
    assert nothing.smcr == 0.0 and nothing.smcr_var == 0.0
    assert everyone.d_z is None and everyone.smcr > 0 and everyone.smcr_var == pytest.approx(everyone.smcr**2 / 40)
    assert everyone.responder_ci_high == 1.0 and nothing.responder_ci_low == 0.0
    assert flat.smcr is None and flat.r_pre_post is None and flat.g_z is not None
    assert one.baseline_sd is None and one.d_z is None and one.responder_rate == 1.0
    assert two.r_pre_post is None and two.g_z is None and two.smcr is None


def test_an_sd_of_rounding_size_gives_null_not_inf():
    """1e-320 under a mean of 3 overflows: the scalar function returned inf and NaN there."""
    res = prepost_from_summary(n=20, baseline_mean=1, baseline_sd=1e-320, final_mean=1, final_sd=1, r_pre_post=0.5,
                               mean_improvement=3.0, sd_improvement=1e-320, responders=3)
    assert res.d_z is None and res.g_z is None and res.g_z_ci_low is None and res.g_z_ci_high is None
    assert res.smcr is None and res.smcr_var is None
    big = prepost_from_summary(n=20, baseline_mean=1, baseline_sd=1, final_mean=1, final_sd=1, r_pre_post=0.5,
                               mean_improvement=3.0, sd_improvement=1e-160)
    assert big.d_z == 3e160 and big.g_z is not None and big.g_z_ci_low is None and big.g_z_ci_high is None
    arrays = prepost_from_summary_arrays([20], [1], [1e-320], [1], [1], [0.5], [3.0], [1e-320], [3])
    assert_cells_equal(arrays, [res])


# --- Wilcoxon ------------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.integers(-4, 4), min_size=1, max_size=70) | st.lists(
    st.floats(-5, 5, allow_nan=False).filter(lambda v: v != 0), min_size=1, max_size=60, unique=True),
    min_size=1, max_size=20),
    st.sampled_from([None, True, False]), st.booleans())
def test_wilcoxon_arrays_equal_scalar(ds, exact, correct):
    cells = [summary(np.zeros(len(d)), np.array(d, float), "higher") for d in ds]
    cols = [np.array([c[k] for c in cells], float) for k in ("n_nonzero", "v_plus", "tie_term", "zeros")]
    got = wilcoxon_p_from_ranks_arrays(*cols, exact=exact, correct=correct)
    for i, c in enumerate(cells):
        want = wilcoxon_p_from_ranks(c["n_nonzero"], c["v_plus"], c["tie_term"], c["zeros"], exact=exact, correct=correct)
        assert _same(_nan_to_none(float(got[i])), want), (i, c, got[i], want)


def test_wilcoxon_every_exact_statistic_below_50():
    """Every (n, V) of the exact range: the table lookup equals the scalar's sums."""
    n = np.concatenate([np.full(k * (k + 1) // 2 + 1, k) for k in range(1, 50)])
    v = np.concatenate([np.arange(k * (k + 1) // 2 + 1) for k in range(1, 50)])
    got = wilcoxon_p_from_ranks_arrays(n, v, np.zeros(n.size), np.zeros(n.size))
    want = np.array([wilcoxon_p_from_ranks(int(a), float(b), 0.0, 0) for a, b in zip(n, v)])
    assert np.array_equal(got, want)


def test_wilcoxon_no_test_is_nan():
    got = wilcoxon_p_from_ranks_arrays([0, 0, 3], [0, 0, 6], [0, 0, 0], [5, 1, 0])
    assert np.isnan(got[:2]).all() and got[2] == wilcoxon_p_from_ranks(3, 6, 0, 0)


# --- Wilson, J, BH -------------------------------------------------------------------------


def test_wilson_arrays_equal_scalar_everywhere():
    n = np.concatenate([np.full(k + 1, k) for k in range(1, 120)])
    x = np.concatenate([np.arange(k + 1) for k in range(1, 120)])
    for level in (0.95, 0.9):
        low, high = wilson_arrays(x, n, level)
        want = np.array([wilson(int(a), int(b), level) for a, b in zip(x, n)])
        assert np.array_equal(low, want[:, 0]) and np.array_equal(high, want[:, 1])
    low, high = wilson_arrays([np.nan, 2], [5, 5])
    assert np.isnan(low[0]) and np.isnan(high[0]) and (low[1], high[1]) == wilson(2, 5)


def test_hedges_j_array_equals_scalar():
    m = np.array([0, 1, 1.5, 2, 3, 10, 10, 49, 1e4, 2])
    got = hedges_j_array(m)
    for g, mm in zip(got, m):
        assert _same(_nan_to_none(float(g)), hedges_j(mm))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from([math.nan, 0.0, 1.0, 0.05]) | st.floats(0, 1), max_size=60))
def test_bh_array_equals_list(p):
    got = bh_qvalues_array(np.array(p, float))
    want = bh_qvalues(p)
    assert len(got) == len(want)
    assert all(_same(_nan_to_none(float(g)), w) for g, w in zip(got, want))


# --- input checks: ValueError, as the scalar functions ---------------------------------------


def _args(**over):
    base = dict(n=[5, 20], baseline_mean=[1.0, 2.0], baseline_sd=[1.0, 1.0], final_mean=[1.0, 2.0],
                final_sd=[1.0, 2.0], r_pre_post=[0.5, 0.5], mean_improvement=[0.0, 1.0], sd_improvement=[1.0, 1.0],
                responders=[1, 2], wilcoxon_p=[0.5, np.nan])
    base.update(over)
    return base


@pytest.mark.parametrize("over, match", [
    (dict(n=[5]), "n has 1 entries|baseline_mean has 2"),
    (dict(n=[0, 20]), "n must contain integers >= 1"),
    (dict(n=[2.5, 20]), "n must contain integers"),
    (dict(n=[np.nan, 20]), "n must contain only integers"),
    (dict(baseline_mean=[np.nan, 1.0]), "baseline_mean must contain only finite"),
    (dict(final_mean=[np.inf, 1.0]), "final_mean must contain only finite"),
    (dict(baseline_sd=[-1.0, 1.0]), "baseline_sd must be >= 0"),
    (dict(sd_improvement=[np.inf, 1.0]), "sd_improvement must be finite"),
    (dict(r_pre_post=[1.5, 0.5]), "r_pre_post must lie in"),
    (dict(r_pre_post=[np.inf, 0.5]), "r_pre_post must be a finite"),
    (dict(responders=[6, 2]), "responders must not exceed n"),
    (dict(responders=[-1, 2]), "responders must contain integers >= 0"),
    (dict(responders=[1.5, 2]), "responders must contain integers"),
    (dict(wilcoxon_p=[1.5, 0.1]), "wilcoxon_p must lie in"),
    (dict(baseline_mean="12"), "not a string"),
    (dict(baseline_mean=[[1.0, 2.0]]), "one-dimensional"),
    (dict(baseline_mean=["a", "b"]), "array of numbers"),
])
def test_prepost_arrays_refuse_what_the_scalar_refuses(over, match):
    with pytest.raises(ValueError, match=match):
        prepost_from_summary_arrays(**_args(**over))


def test_r_is_checked_only_where_it_is_used():
    """As the scalar: r is ignored (not checked) where n < 3 or an SD is 0 or missing."""
    out = prepost_from_summary_arrays(**_args(n=[2, 20], r_pre_post=[7.0, 0.5], responders=[1, 2]))
    assert np.isnan(out.r_pre_post[0])
    out = prepost_from_summary_arrays(**_args(baseline_sd=[0.0, 1.0], r_pre_post=[7.0, 0.5]))
    assert np.isnan(out.r_pre_post[0]) and out.r_pre_post[1] == 0.5
    clipped = prepost_from_summary_arrays(**_args(r_pre_post=[1 + 1e-13, -1 - 1e-13]))
    assert list(clipped.r_pre_post) == [1.0, -1.0]


@pytest.mark.parametrize("args, match", [
    (([3], [7], [0], [0]), "v_plus must lie in"),
    (([3], [2.25], [0], [1]), "multiple of 0.5"),
    (([3], [2.5], [0], [0]), "must be an integer when there are no ties"),
    (([3], [2], [30], [0]), "tie_term must be"),
    (([3], [2], [1.5], [0]), "tie_term must be"),
    (([-1], [0], [0], [0]), "n_nonzero must contain integers >= 0"),
    (([3], [np.inf], [0], [0]), "v_plus must contain only finite"),
])
def test_wilcoxon_arrays_refuse_what_the_scalar_refuses(args, match):
    with pytest.raises(ValueError, match=match):
        wilcoxon_p_from_ranks_arrays(*args)
    with pytest.raises(ValueError):
        wilcoxon_p_from_ranks(*(a[0] for a in args))


@pytest.mark.parametrize("args, match", [
    (([3, 4], [2], [0], [0]), "has 1 entries, expected 2"),
    (([3], [np.nan], [0], [0]), "v_plus must contain only finite"),
    (([[3]], [2], [0], [0]), "one-dimensional"),
])
def test_wilcoxon_arrays_refuse_bad_arrays(args, match):
    with pytest.raises(ValueError, match=match):
        wilcoxon_p_from_ranks_arrays(*args)


def test_wilson_and_bh_refuse_bad_input():
    with pytest.raises(ValueError, match="successes must not exceed n"):
        wilson_arrays([6], [5])
    with pytest.raises(ValueError, match="level"):
        wilson_arrays([1], [5], level=1.0)
    with pytest.raises(ValueError, match="n must contain integers >= 1"):
        wilson_arrays([0], [0])
    with pytest.raises(ValueError, match="p must lie in"):
        bh_qvalues_array([0.5, 1.5])


def test_empty_arrays():
    out = prepost_from_summary_arrays(*([[]] * 8))
    assert len(out) == 0 and out.g_z.shape == (0,)
    assert wilcoxon_p_from_ranks_arrays([], [], [], []).shape == (0,)
    assert bh_qvalues_array([]).shape == (0,)


# --- pipeline.marts: the tables equal one scalar call per row -----------------------------


GROUPING_SETS = (
    ("network", ["condition_group", "frequency_band", "measure"]),
    ("network", ["condition_group", "measure"]),
    ("clinic", ["clinic_id", "condition_group", "frequency_band", "measure"]),
    ("clinic", ["clinic_id", "condition_group", "measure"]),
)


def _cells_table(rng, clinics=6):
    """The effect cells of a small network (sql/marts/inputs/effect_sizes.sql), computed from raw episodes as the SQL does, with
    degenerate cells: n of 1 to 3, every improvement equal (exactly, or up to the rounding of
    decimal scores, 64.6 - 61.6), nothing changed."""
    rows = []
    for c in range(clinics):
        for cond in ("neck", "back"):
            for band in ("weekly", "fortnightly"):
                size = int(rng.choice([1, 2, 3, 8, 12, 30, 60]))
                x = rng.integers(3, 10, size).astype(float)
                kind = rng.choice(["normal", "same", "same_decimal", "none"], p=[0.65, 0.1, 0.1, 0.15])
                if kind == "same_decimal":
                    x = np.round(rng.uniform(20, 80, size), 1)
                y = {"normal": lambda: np.clip(x - rng.integers(-2, 5, size), 0, 10), "same": lambda: x - 2.0,
                     "same_decimal": lambda: np.round(x - 3.0, 1), "none": lambda: x.copy()}[kind]()
                rows += [(f"c{c:02d}", cond, band, "pain_nrs", a, b) for a, b in zip(x, y)]
    ep = pd.DataFrame(rows, columns=["clinic_id", "condition_group", "frequency_band", "measure", "x", "y"])
    cells = []
    for level, keys in GROUPING_SETS:
        for key, g in ep.groupby(keys, sort=True):
            k = dict(zip(keys, key))
            cells.append({"level": level, "clinic_id": k.get("clinic_id"), "condition_group": k["condition_group"],
                          "frequency_band": k.get("frequency_band", "all"), "measure": k["measure"],
                          **summary(g["x"].to_numpy(), g["y"].to_numpy())})
    df = pd.DataFrame(cells)
    df["clinic_id"] = df["clinic_id"].astype("str")
    df.loc[df["level"] == "network", "clinic_id"] = None
    df["tie_term"] = [Decimal(int(t)) for t in df["tie_term"]]  # DuckDB's HUGEINT arrives as Decimal
    df = df.sort_values(["level", "clinic_id", "condition_group", "frequency_band"],
                        ascending=[False, True, True, True], na_position="first")
    return df.reset_index(drop=True)


def per_row_effect_sizes(cells, min_n):
    """pipeline.marts.effect_sizes.effect_sizes as it was: one scalar call per row, BH on lists."""
    rows = [effects.cell_figures(c) for c in cells.to_dict("records")]
    df = pd.DataFrame(rows, columns=effects.FIGURE_COLUMNS)
    df["q_value"] = None
    df["suppressed"] = False
    df = suppress_effect_sizes(df, min_n)
    for level in ("network", "clinic"):
        mask = (df["level"] == level) & ~df["suppressed"].astype(bool)
        q = bh_qvalues(list(df.loc[mask, "wilcoxon_p"]))
        df.loc[mask, "q_value"] = pd.Series(q, index=df.index[mask], dtype="object")
    return df[effects.COLUMNS]


def assert_same_table(got, want):
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    for col in got.columns:  # None stays None, NaN stays NaN, floats to the bit
        for a, b in zip(got[col].tolist(), want[col].tolist()):
            assert type(a) is type(b), (col, a, b)
            if isinstance(a, float):
                assert (a != a and b != b) or _bits(a) == _bits(b), (col, a, b)
            else:
                assert a == b or (a is None and b is None), (col, a, b)


@pytest.mark.parametrize("seed, min_n", [(1, 11), (2, 5), (3, 1)])
def test_effect_sizes_equal_the_per_row_table(seed, min_n):
    cells = _cells_table(np.random.default_rng(seed))
    fig = effects.effect_figures(cells)
    want = pd.DataFrame([effects.cell_figures(c) for c in cells.to_dict("records")], columns=effects.FIGURE_COLUMNS)
    assert_same_table(fig, want)
    assert_same_table(effects.effect_sizes(cells, min_n), per_row_effect_sizes(cells, min_n))


def test_effect_figures_degenerate_table_with_empty_columns():
    """Every cell has n <= 2: g_z etc. have no value at all and are None (object), as pandas
    infers from the per-row results; nothing raises."""
    cells = _cells_table(np.random.default_rng(5))
    cells = cells[cells["n"] <= 2].reset_index(drop=True)
    assert len(cells)
    fig = effects.effect_figures(cells)
    want = pd.DataFrame([effects.cell_figures(c) for c in cells.to_dict("records")], columns=effects.FIGURE_COLUMNS)
    assert fig["g_z"].dtype == object and fig["g_z"].isna().all()
    assert_same_table(fig, want)
    empty = effects.effect_figures(cells.iloc[:0])
    assert_same_table(empty, pd.DataFrame([], columns=effects.FIGURE_COLUMNS))


def test_clinic_trends_equal_the_per_row_table():
    rng = np.random.default_rng(7)
    cells = _cells_table(rng)
    es = effects.effect_sizes(cells, 5)
    clinic_all = cells[(cells["level"] == "clinic") & (cells["frequency_band"] == "all")]
    trend = clinic_all.rename(columns={"frequency_band": "period"}).drop(columns=["zeros", "n_nonzero", "v_plus", "tie_term"])
    parts = cells[(cells["level"] == "clinic") & (cells["frequency_band"] != "all")]
    parts = parts.rename(columns={"frequency_band": "period"})[trend.columns]
    trend = pd.concat([trend, parts], ignore_index=True).sort_values(["clinic_id", "condition_group", "measure", "period"])
    trend = trend[trends.TREND_KEYS + [c for c in trend.columns if c not in trends.TREND_KEYS]].reset_index(drop=True)
    want = pd.DataFrame([trends.trend_cell_figures(c) for c in trend.to_dict("records")],
                        columns=trends.TREND_KEYS + trends.TREND_FIGURES)
    assert_same_table(trends.trend_figures(trend), want)
    got = trends.clinic_trends(trend, es, 5)
    # the per-row clinic_trends: the same suppression of the per-row figures
    shared = es[(es["level"] == "clinic") & (es["frequency_band"] == "all")]
    shared = shared.assign(period="all", _hidden=shared["suppressed"].astype(bool), _resp_hidden=shared["responders"].isna())
    flags = want[trends.TREND_KEYS].merge(shared[trends.TREND_KEYS + ["_hidden", "_resp_hidden"]], on=trends.TREND_KEYS, how="left")
    old = suppress_effect_sizes(want, 5, TREND_HIERARCHIES, tuple(trends.TREND_KEYS),
                                also_hidden=flags["_hidden"].fillna(False).astype(bool),
                                also_responders_hidden=flags["_resp_hidden"].fillna(False).astype(bool))
    assert_same_table(got, old[trends.TREND_KEYS + trends.TREND_FIGURES + ["suppressed"]])
