"""Multiple-testing adjustment."""
from __future__ import annotations

import math
import numbers
from typing import Any, Sequence

import numpy as np

__all__ = ["bh_qvalues"]


def bh_qvalues(p: Sequence[Any]) -> list[float | None]:
    """Benjamini-Hochberg adjusted p-values (q-values), exactly as R ``p.adjust(p, "BH")``.

    With the ``m`` available p-values sorted decreasingly, ``p_(i)`` the i-th smallest::

        q_(i) = min(1, min_{j >= i} m / j * p_(j))

    computed as R does (``pmin(1, cummin(n / i * p[o]))``), so results are bit-identical.
    None (or NaN) entries are missing: they pass through as None and are not counted in
    ``m`` (R's NA handling). Returns a list the length of ``p``, in the input order.

    Benjamini & Hochberg (1995), J R Stat Soc B 57:289-300; R ``stats::p.adjust``.

    Raises ValueError for a value that is not a number in [0, 1].

    Examples
    --------
    >>> bh_qvalues([0.01, 0.04, None, 0.03, 0.2])
    [0.04, 0.05333333333333333, None, 0.05333333333333333, 0.2]

    as R: ``p.adjust(c(0.01, 0.04, NA, 0.03, 0.2), "BH")`` gives 0.04, 0.0533, NA, 0.0533, 0.2.
    """
    if isinstance(p, (str, bytes)):
        raise ValueError("p must be a sequence of p-values")
    values = list(p)
    present: list[int] = []
    observed: list[float] = []
    for idx, val in enumerate(values):
        if val is None:
            continue
        if isinstance(val, bool) or not isinstance(val, numbers.Real):
            raise ValueError(f"p[{idx}] must be a number or None, got {val!r}")
        f = float(val)
        if math.isnan(f):
            continue
        if not 0.0 <= f <= 1.0:
            raise ValueError(f"p[{idx}] must lie in [0, 1], got {val!r}")
        present.append(idx)
        observed.append(f)
    out: list[float | None] = [None] * len(values)
    m = len(observed)
    if m == 0:
        return out
    result = _bh_adjust(np.asarray(observed, dtype=np.float64))
    for idx, q in zip(present, result):
        out[idx] = float(q)
    return out


def _bh_adjust(arr: np.ndarray) -> np.ndarray:
    """BH on a non-empty float array of p-values in [0, 1] (checked by the callers), as R:
    ``pmin(1, cummin(n / i * p[o]))[order(o)]``; shared by :func:`bh_qvalues` and
    :func:`pipeline.stats.vectorized.bh_qvalues_array`, so both give the same bits."""
    m = arr.size
    order = np.argsort(-arr, kind="stable")  # R: order(p, decreasing = TRUE)
    i = np.arange(m, 0, -1, dtype=np.float64)  # R: i <- lp:1L
    adjusted = np.minimum(1.0, np.minimum.accumulate((float(m) / i) * arr[order]))
    result = np.empty(m)
    result[order] = adjusted
    return result
