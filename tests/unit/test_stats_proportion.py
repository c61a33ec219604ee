"""Wilson intervals (R prop.test(correct = FALSE)) and Benjamini-Hochberg q-values (R p.adjust)."""
from __future__ import annotations

import csv
import math
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.stats import bh_qvalues, wilson


def published_tol(text: str) -> float:
    exp = Decimal(text.strip()).as_tuple().exponent
    return 0.5 * 10.0 ** exp + 1e-12 * abs(float(text))


def test_wilson_reference_file(reference_dir):
    with open(reference_dir / "wilson_ci_95.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 5
    for row in rows:
        low, high = wilson(int(row["count"]), int(row["nobs"]))
        # full-precision rows agree to ~1e-15; the 1/30 row is published with 8 decimals
        assert low == pytest.approx(float(row["lower"]), abs=max(published_tol(row["lower"]), 1e-13)), row
        assert high == pytest.approx(float(row["upper"]), abs=max(published_tol(row["upper"]), 1e-13)), row


# R 4.2.2: prop.test(x, n, conf.level = level, correct = FALSE)$conf.int
R_PROP_TEST = [
    (0, 10, 0.95, 0.0, 0.27753279986288915),
    (10, 10, 0.95, 0.72246720013711085, 1.0),
    (7, 23, 0.90, 0.17424907814592944, 0.47563188951102481),
    (1, 1, 0.95, 0.2065493143772375, 1.0),
]


@pytest.mark.parametrize("x, n, level, low, high", R_PROP_TEST)
def test_wilson_against_r_prop_test(x, n, level, low, high):
    got = wilson(x, n, level)
    assert got == pytest.approx((low, high), rel=1e-13, abs=1e-16)
    if x == 0:
        assert got[0] == 0.0
    if x == n:
        assert got[1] == 1.0


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 5000).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_wilson_brackets_the_rate(xn):
    x, n = xn
    low, high = wilson(x, n)
    assert 0.0 <= low <= x / n <= high <= 1.0
    # the closed form (x + z^2/2)/(n + z^2) -+ z/(n + z^2) sqrt(x(n-x)/n + z^2/4)
    z = 1.959963984540054
    c = (x + z * z / 2) / (n + z * z)
    h = z / (n + z * z) * math.sqrt(x * (n - x) / n + z * z / 4)
    assert (low, high) == pytest.approx((c - h if x else 0.0, c + h if x < n else 1.0), abs=1e-12)


@pytest.mark.parametrize("args", [(-1, 10), (11, 10), (1, 0), (1.5, 10), (1, 10, 1.0), (1, 10, 0.0), (None, 10)])
def test_wilson_rejects_bad_input(args):
    with pytest.raises(ValueError):
        wilson(*args)


def test_bh_against_r_p_adjust():
    """R 4.2.2: p.adjust(c(0.01, NA, 0.04, 0.03, 0.2, 0.04, 0.5, 1e-5), "BH") ->
    0.035, NA, 0.056, 0.056, 0.23333333333333336, 0.056, 0.5, 7.0000000000000007e-05
    (printed with digits = 17: 3.5000000000000003e-02, NA, 5.5999999999999994e-02, ...);
    the NA is not counted (m = 7)."""
    got = bh_qvalues([0.01, None, 0.04, 0.03, 0.2, 0.04, 0.5, 1e-5])
    want = [3.5000000000000003e-02, None, 5.5999999999999994e-02, 5.5999999999999994e-02,
            2.3333333333333336e-01, 5.5999999999999994e-02, 5.0000000000000000e-01, 7.0000000000000007e-05]
    assert got[1] is None
    for g, w in zip(got, want):
        if w is not None:
            assert g == w  # bit-identical: same operations in the same order as R


def test_bh_caps_at_one_and_edge_cases():
    # R 4.2.2: p.adjust(c(0.9, 0.95, 0.99), "BH") -> 0.99, 0.99, 0.99
    assert bh_qvalues([0.9, 0.95, 0.99]) == [0.99, 0.99, 0.99]
    assert bh_qvalues([]) == []
    assert bh_qvalues([None, None]) == [None, None]
    assert bh_qvalues([float("nan"), 0.2]) == [None, 0.2]
    assert bh_qvalues([0.5]) == [0.5]
    assert bh_qvalues([1.0, 1.0]) == [1.0, 1.0]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.none(), st.floats(0, 1)), max_size=60))
def test_bh_properties(ps):
    q = bh_qvalues(ps)
    assert len(q) == len(ps)
    present = [(p, v) for p, v in zip(ps, q) if p is not None]
    assert all(v is None for p, v in zip(ps, q) if p is None)
    for p, v in present:
        assert p <= v <= 1.0
    # monotone in p
    for (p1, v1) in present:
        for (p2, v2) in present:
            if p1 < p2:
                assert v1 <= v2


@pytest.mark.parametrize("bad", [[1.2], [-0.1], ["0.1"], [True], "abc", [float("inf")]])
def test_bh_rejects_bad_input(bad):
    with pytest.raises(ValueError):
        bh_qvalues(bad)
