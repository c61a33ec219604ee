"""The public surface of pipeline.stats: names, result types, house style.

Numerical checks against outside references live in the sibling test_stats_*.py files.
"""
from __future__ import annotations

import dataclasses
import inspect
import math

import pytest

from pipeline import stats

PUBLIC_FUNCTIONS = (
    "hedges_j", "wilson", "wilcoxon_signed_rank", "wilcoxon_p_from_ranks", "prepost",
    "prepost_from_summary", "pool", "metareg", "bh_qvalues",
)

# shared/design/contract.md section 2, marts.effect_sizes, from n to responder_ci_high
EFFECT_SIZES_COLUMNS = (
    "n", "baseline_mean", "baseline_sd", "final_mean", "final_sd", "r_pre_post",
    "mean_improvement", "sd_improvement", "d_z", "g_z", "g_z_ci_low", "g_z_ci_high", "smcr",
    "smcr_var", "wilcoxon_p", "responders", "responder_rate", "responder_ci_low",
    "responder_ci_high",
)


def test_public_names_are_exported():
    for name in PUBLIC_FUNCTIONS + ("PrePost", "Pooled", "MetaReg", "WilcoxonResult"):
        assert name in stats.__all__
        assert hasattr(stats, name)


@pytest.mark.parametrize("name", PUBLIC_FUNCTIONS)
def test_every_public_function_documents_formula_and_reference(name):
    doc = inspect.getdoc(getattr(stats, name))
    assert doc and len(doc) > 200
    assert any(ref in doc for ref in ("R ", "metafor", "Hedges", "Wilson", "Benjamini"))


def test_prepost_fields_are_the_effect_sizes_columns():
    assert tuple(f.name for f in dataclasses.fields(stats.PrePost)) == EFFECT_SIZES_COLUMNS


def test_result_field_names():
    assert [f.name for f in dataclasses.fields(stats.Pooled)] == [
        "k", "method", "estimate", "se", "ci_low", "ci_high", "tau2", "i2", "q", "pred_low",
        "pred_high", "iterations",
    ]
    assert [f.name for f in dataclasses.fields(stats.MetaReg)] == [
        "k", "intercept", "intercept_se", "slope", "slope_se", "slope_ci_low", "slope_ci_high",
        "slope_z", "slope_p", "tau2", "i2", "method",
    ]
    assert [f.name for f in dataclasses.fields(stats.WilcoxonResult)] == [
        "statistic", "p_value", "method", "n_used", "zeros", "ties",
    ]


def test_results_are_frozen():
    res = stats.prepost([5, 6, 7, 8], [3, 5, 4, 7])
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.n = 3  # type: ignore[misc]
    pooled = stats.pool([0.1, 0.3], [0.01, 0.02])
    with pytest.raises(dataclasses.FrozenInstanceError):
        pooled.tau2 = 1.0  # type: ignore[misc]


def _no_nan(obj):
    for f in dataclasses.fields(obj):
        v = getattr(obj, f.name)
        assert not (isinstance(v, float) and math.isnan(v)), f.name
        assert v is None or type(v) in (int, float, str, bool), (f.name, type(v))


@pytest.mark.parametrize(
    "baseline, final",
    [
        ([5.0], [3.0]),  # n = 1
        ([5.0, 6.0], [3.0, 3.0]),  # n = 2: no J, no r
        ([5.0, 5.0, 5.0], [3.0, 4.0, 2.0]),  # baseline SD 0
        ([5.0, 6.0, 7.0], [3.0, 4.0, 5.0]),  # improvement SD 0
        ([5.0, 6.0, 7.0], [5.0, 6.0, 7.0]),  # no change at all
    ],
)
def test_degenerate_cells_give_none_never_nan(baseline, final):
    _no_nan(stats.prepost(baseline, final))


def test_plain_python_types_in_results():
    _no_nan(stats.prepost([7, 6, 8, 5, 9], [3, 5, 4, 5, 6]))
    _no_nan(stats.pool([0.1, 0.3, 0.2], [0.01, 0.02, 0.015]))
    _no_nan(stats.metareg([0.1, 0.3, 0.2], [0.01, 0.02, 0.015], [1, 2, 3]))
    _no_nan(stats.wilcoxon_signed_rank([1.0, -2.0, 3.0]))
