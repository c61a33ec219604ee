"""The methods paragraphs are written from the contract, the Settings and the registry."""
from __future__ import annotations

import pytest

from pipeline import contract
from pipeline.reports import methods
from pipeline.stats import pooling, wilcoxon

MEASURES = [
    {"code": "pain_nrs", "mcid": 2.0, "mcid_kind": "MCID", "mcid_source": "Farrar 2001; Ostelo 2008"},
    {"code": "rom_cervical_rotation", "mcid": 10.0, "mcid_kind": "MDC (no anchor-based MCID exists for range of motion)",
     "mcid_source": "Fletcher & Bandy 2008"},
]


def text(report="evidence", settings=None, **kw):
    return methods.paragraph(report, settings or contract.Settings(), MEASURES, **kw)


def test_thresholds_come_from_the_settings():
    t = text(settings=contract.Settings(episode_gap_days=45, suppression_min_n=5))
    assert "more than 45 days without a session" in t
    assert "fewer than 5 episodes" in t and "1 to 4" in t
    default = text()
    assert f"more than {contract.EPISODE_GAP_DAYS} days" in default
    assert f"fewer than {contract.SUPPRESSION_MIN_N} episodes" in default


def test_frequency_bands_from_the_contract():
    t = text()
    for band, low, high in contract.FREQUENCY_BANDS:
        assert band.replace("_", " ") in t
        for bound in (low, high):
            if bound is not None:
                assert f"{bound:g}" in t
    assert "single session" in t


def test_effect_sizes_intervals_and_tests_are_named():
    t = text()
    for phrase in ("d_z", "g_z", "exact Hedges correction", "escalc(\"SMCC\")", "SMCR", "escalc(\"SMCR\")",
                   "2(1 - r)/n + SMCR^2/(2n)", "sqrt(1/n + g_z^2/(2n))", "wilcox.test", "tie and continuity correction",
                   f"n < {wilcoxon.EXACT_MAX_N}", "Benjamini-Hochberg", "Wilson score", "prop.test(correct = FALSE)",
                   "complementary suppression"):
        assert phrase in t, phrase


def test_mcids_and_their_sources_from_the_registry():
    t = text()
    assert "PAIN NRS 2 (MCID; Farrar 2001; Ostelo 2008)" in t
    assert "ROM CERVICAL ROTATION 10 (MDC" in t and "Fletcher & Bandy 2008" in t


def test_pooling_and_dose_response_only_when_their_marts_exist():
    assert "REML" not in text() and "meta-regression" not in text()
    t = text(pooled_methods={"REML"}, dose_response=True)
    assert "rma(method = \"REML\")" in t and f"tolerance {methods._sci(pooling.REML_THRESHOLD)}" in t
    assert methods._sci(1e-05) == "1e-5"
    assert f"at most {pooling.REML_MAXITER} iterations" in t
    assert "meta-regression" in t


def test_each_report_has_its_paragraph():
    assert "FOTO" in text("clinic", benchmarks=True) and "FOTO" not in text("clinic")
    assert "Wilcoxon" not in text("index") and "g_z" in text("index")
    assert "rows received = rows staged + rows quarantined" in text("quality")
    with pytest.raises(ValueError):
        text("nope")
