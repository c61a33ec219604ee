"""How numbers and names read on every published surface (HTML, PDF, chart hovers).

Pure functions: a missing value (None or NaN) becomes the ``missing`` text, so the caller
decides whether an empty figure reads "suppressed (n < 11)" or "not available". Effects have
two decimals, rates are percentages with one, confidence intervals are in brackets.
"""
from __future__ import annotations

import math
from typing import Any

from scipy.special import ndtri

from pipeline import contract

NOT_AVAILABLE = "–"
EFFECT_DIGITS = 2
PERCENT_DIGITS = 1


def is_missing(value: Any) -> bool:
    if value is None:
        return True
    try:
        return math.isnan(value)
    except TypeError:
        return False


def suppressed_label(min_n: int) -> str:
    return f"suppressed (n < {min_n})"


def number(value: Any, digits: int = EFFECT_DIGITS, missing: str = NOT_AVAILABLE) -> str:
    """``1.2345 -> "1.23"``; ``-0.004 -> "0.00"`` (no negative zero)."""
    if is_missing(value):
        return missing
    text = f"{float(value):,.{digits}f}"
    return text[1:] if text.startswith("-") and float(text[1:].replace(",", "")) == 0 else text


def ci(low: Any, high: Any, digits: int = EFFECT_DIGITS) -> str:
    if is_missing(low) or is_missing(high):
        return ""
    return f"[{number(low, digits)}, {number(high, digits)}]"


def with_ci(value: Any, low: Any, high: Any, digits: int = EFFECT_DIGITS, missing: str = NOT_AVAILABLE) -> str:
    """``0.78 [0.71, 0.85]``: an estimate and its 95% CI."""
    if is_missing(value):
        return missing
    bracket = ci(low, high, digits)
    return f"{number(value, digits)} {bracket}".strip()


def percent(value: Any, digits: int = PERCENT_DIGITS, missing: str = NOT_AVAILABLE) -> str:
    """A share as a percentage: ``0.514 -> "51.4%"``."""
    if is_missing(value):
        return missing
    return f"{number(100 * float(value), digits)}%"


def percent_ci(value: Any, low: Any, high: Any, missing: str = NOT_AVAILABLE) -> str:
    """``51.4% [48.3%, 54.4%]``."""
    if is_missing(value):
        return missing
    if is_missing(low) or is_missing(high):
        return percent(value)
    return f"{percent(value)} [{percent(low)}, {percent(high)}]"


def points_ci(value: Any, low: Any, high: Any, missing: str = NOT_AVAILABLE) -> str:
    """A difference of two shares in percentage points: ``0.032 -> "3.2 pp [-1.0, 7.4]"``."""
    if is_missing(value):
        return missing
    bracket = ci(100 * float(low), 100 * float(high), PERCENT_DIGITS) if not (is_missing(low) or is_missing(high)) else ""
    return f"{number(100 * float(value), PERCENT_DIGITS)} pp {bracket}".strip()


def mean_sd(mean: Any, sd: Any, missing: str = NOT_AVAILABLE) -> str:
    """``5.12 (1.80)``: a mean and its standard deviation."""
    if is_missing(mean):
        return missing
    return f"{number(mean)} ({number(sd)})" if not is_missing(sd) else number(mean)


def count(value: Any, missing: str = NOT_AVAILABLE) -> str:
    """A count of episodes, sessions or rows with thousands separators: ``1028 -> "1,028"``."""
    if is_missing(value):
        return missing
    return f"{int(value):,}"


def p_value(value: Any, missing: str = NOT_AVAILABLE) -> str:
    """``< 0.001`` below one in a thousand, else three decimals."""
    if is_missing(value):
        return missing
    return "< 0.001" if float(value) < 0.001 else f"{float(value):.3f}"


def p_text(value: Any, missing: str = NOT_AVAILABLE) -> str:
    """A p-value in a sentence: ``p < 0.001`` or ``p = 0.071``."""
    if is_missing(value):
        return missing
    text = p_value(value)
    return f"p {text}" if text.startswith("<") else f"p = {text}"


def timestamp(value: Any, missing: str = NOT_AVAILABLE) -> str:
    """A UTC timestamp to the second: ``2026-11-29 02:06:06 UTC``."""
    if is_missing(value):
        return missing
    return f"{str(value)[:19].replace('T', ' ')} UTC"


# ---- names -----------------------------------------------------------------------------

def condition_label(group: str) -> str:
    """``low_back_pain -> "Low back pain"``."""
    return group.replace("_", " ").capitalize()


def measure_label(code: str) -> str:
    """A short label for axes and selects: ``pain_nrs -> "PAIN NRS"``."""
    return code.replace("_", " ").upper()


def _per_week(value: float) -> str:
    return f"{value:g}"


def band_label(band: str) -> str:
    """``twice_weekly -> "twice weekly"``; ``all -> "all frequencies"``."""
    return "all frequencies" if band == contract.ALL_BANDS else band.replace("_", " ")


def band_definition(band: str) -> str:
    """The band's rule in sessions per week, from the contract's bounds."""
    if band == contract.ALL_BANDS:
        return "every episode of the condition"
    if band == contract.SINGLE_SESSION:
        return "one session only, or all sessions on one day"
    for name, low, high in contract.FREQUENCY_BANDS:
        if name == band:
            if low is None:
                return f"< {_per_week(high)} sessions per week"
            if high is None:
                return f">= {_per_week(low)} sessions per week"
            return f"{_per_week(low)} to < {_per_week(high)} sessions per week"
    return band


def duration_label(band: str) -> str:
    """A session-length band from the contract: ``40_to_54 -> "40 to 54 min"``."""
    for name, low, high in contract.DURATION_BANDS:
        if name == band:
            if low is None:
                return f"under {high:g} min"
            if high is None:
                return f"{low:g} min or more"
            return f"{low:g} to < {high:g} min"
    return band.replace("_", " ")


def band_order(band: str) -> int:
    """Sort key: ``all`` first, then the contract's band order."""
    order = (contract.ALL_BANDS, *contract.BAND_ORDER)
    return order.index(band) if band in order else len(order)


# ---- one effect-size row, formatted --------------------------------------------------

RESPONDER_FIELDS = ("responders", "responder_rate")


def effect_row(row: dict, min_n: int) -> dict[str, str]:
    """Every published figure of one ``marts.effect_sizes`` row as display text.

    A suppressed row reads "suppressed (n < min_n)" in every figure; a row whose responder
    figures were nulled (a responder or non-responder count below the threshold) reads so in
    those alone.
    """
    hidden = suppressed_label(min_n)
    if row.get("suppressed"):
        fields = ("n", "baseline", "final", "improvement", "r_pre_post", "d_z", "g_z", "smcr",
                  "wilcoxon_p", "q_value", *RESPONDER_FIELDS)
        return {f: hidden for f in fields}
    resp_missing = hidden if is_missing(row.get("responders")) else NOT_AVAILABLE
    return {
        "n": count(row.get("n")),
        "baseline": mean_sd(row.get("baseline_mean"), row.get("baseline_sd")),
        "final": mean_sd(row.get("final_mean"), row.get("final_sd")),
        "improvement": mean_sd(row.get("mean_improvement"), row.get("sd_improvement")),
        "r_pre_post": number(row.get("r_pre_post")),
        "d_z": number(row.get("d_z")),
        "g_z": with_ci(row.get("g_z"), row.get("g_z_ci_low"), row.get("g_z_ci_high")),
        "smcr": with_ci(row.get("smcr"), *smcr_ci(row.get("smcr"), row.get("smcr_var"))),
        "wilcoxon_p": p_value(row.get("wilcoxon_p")),
        "q_value": p_value(row.get("q_value")),
        "responders": count(row.get("responders"), missing=resp_missing),
        "responder_rate": percent_ci(row.get("responder_rate"), row.get("responder_ci_low"),
                                     row.get("responder_ci_high"), missing=resp_missing),
    }


Z975 = float(ndtri(0.975))  # 1.959964, qnorm(0.975) as metafor


def smcr_ci(smcr: Any, smcr_var: Any) -> tuple[float | None, float | None]:
    """Wald 95% CI of the SMCR from its published variance (as metafor's forest plot)."""
    if is_missing(smcr) or is_missing(smcr_var) or float(smcr_var) < 0:
        return None, None
    half = Z975 * math.sqrt(float(smcr_var))
    return float(smcr) - half, float(smcr) + half
