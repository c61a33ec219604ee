"""How numbers read on every published surface."""
from __future__ import annotations

import math

import pytest

from pipeline.reports import fmt


@pytest.mark.parametrize("value, text", [
    (0.7790, "0.78"), (1.005, "1.00"), (-0.004, "0.00"), (-0.126, "-0.13"), (1234.5, "1,234.50"),
    (None, "–"), (math.nan, "–"),
])
def test_number_two_decimals_without_negative_zero(value, text):
    assert fmt.number(value) == text


def test_effect_with_ci_in_brackets():
    assert fmt.with_ci(0.779, 0.712, 0.846) == "0.78 [0.71, 0.85]"
    assert fmt.with_ci(0.779, None, None) == "0.78"
    assert fmt.with_ci(None, 0.1, 0.2, missing="x") == "x"


def test_percent_and_wilson_interval():
    assert fmt.percent(0.5136) == "51.4%"
    assert fmt.percent_ci(0.5136, 0.4831, 0.5441) == "51.4% [48.3%, 54.4%]"
    assert fmt.points_ci(0.032, -0.01, 0.074) == "3.2 pp [-1.0, 7.4]"


def test_counts_and_p_values():
    assert fmt.count(1028) == "1,028"
    assert fmt.count(1028.0) == "1,028"
    assert fmt.p_value(0.0004) == "< 0.001"
    assert fmt.p_value(0.0123) == "0.012"
    assert fmt.timestamp("2026-11-29 02:06:06.072324") == "2026-11-29 02:06:06 UTC"


def test_suppressed_label_names_the_threshold():
    assert fmt.suppressed_label(11) == "suppressed (n < 11)"
    assert fmt.suppressed_label(5) == "suppressed (n < 5)"


def test_band_definitions_come_from_the_contract():
    assert fmt.band_definition("twice_weekly") == ">= 1.5 sessions per week"
    assert fmt.band_definition("weekly") == "0.75 to < 1.5 sessions per week"
    assert fmt.band_definition("monthly") == "< 0.35 sessions per week"
    assert fmt.band_label("single_session") == "single session"
    assert [b for b in sorted(["monthly", "all", "weekly"], key=fmt.band_order)] == ["all", "weekly", "monthly"]


CELL = {
    "suppressed": False, "n": 193, "baseline_mean": 6.654, "baseline_sd": 1.71, "final_mean": 5.42,
    "final_sd": 1.97, "r_pre_post": 0.553, "mean_improvement": 1.234, "sd_improvement": 1.77, "d_z": 0.697,
    "g_z": 0.694, "g_z_ci_low": 0.534, "g_z_ci_high": 0.853, "smcr": 0.71, "smcr_var": 0.0064,
    "wilcoxon_p": 1e-9, "q_value": 2e-9, "responders": 81, "responder_rate": 0.4197,
    "responder_ci_low": 0.352, "responder_ci_high": 0.490,
}


def test_effect_row_formats_every_figure():
    text = fmt.effect_row(CELL, 11)
    assert text["n"] == "193"
    assert text["baseline"] == "6.65 (1.71)"
    assert text["g_z"] == "0.69 [0.53, 0.85]"
    assert text["smcr"] == "0.71 [0.55, 0.87]"  # 0.71 -+ 1.96 * 0.08
    assert text["wilcoxon_p"] == "< 0.001"
    assert text["responder_rate"] == "42.0% [35.2%, 49.0%]"


def test_a_suppressed_cell_shows_no_figure():
    hidden = {**{k: None for k in CELL}, "suppressed": True}
    assert set(fmt.effect_row(hidden, 11).values()) == {"suppressed (n < 11)"}


def test_hidden_responder_figures_read_suppressed_and_the_rest_stays():
    cell = {**CELL, "responders": None, "responder_rate": None, "responder_ci_low": None, "responder_ci_high": None}
    text = fmt.effect_row(cell, 11)
    assert text["responders"] == text["responder_rate"] == "suppressed (n < 11)"
    assert text["g_z"] == "0.69 [0.53, 0.85]"


def test_smcr_ci_from_its_variance():
    low, high = fmt.smcr_ci(0.5, 0.01)
    assert low == pytest.approx(0.5 - 1.959964 * 0.1, abs=1e-6)
    assert high == pytest.approx(0.5 + 1.959964 * 0.1, abs=1e-6)
    assert fmt.smcr_ci(None, 0.01) == (None, None)
