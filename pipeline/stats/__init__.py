"""Statistics of the outcome reports: pure numpy/scipy, no I/O.

Every figure is defined in ``shared/design/statistics.md`` and matches a named outside
implementation (R metafor, ``wilcox.test``, ``prop.test``, ``p.adjust``); each function's
docstring gives its formula and reference.
"""
from __future__ import annotations

from .difference import RateDifference, WelchDifference, rate_difference, welch_difference
from .effect import PrePost, hedges_j, prepost, prepost_from_summary
from .multiplicity import bh_qvalues
from .pooling import ConvergenceError, MetaReg, Pooled, metareg, pool
from .proportion import wilson
from .wilcoxon import WilcoxonResult, signed_rank_counts, wilcoxon_p_from_ranks, wilcoxon_signed_rank

__all__ = [
    "ConvergenceError",
    "MetaReg",
    "Pooled",
    "PrePost",
    "RateDifference",
    "WelchDifference",
    "WilcoxonResult",
    "bh_qvalues",
    "hedges_j",
    "metareg",
    "pool",
    "prepost",
    "prepost_from_summary",
    "rate_difference",
    "signed_rank_counts",
    "wilcoxon_p_from_ranks",
    "welch_difference",
    "wilcoxon_signed_rank",
    "wilson",
]
