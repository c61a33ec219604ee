"""The methods paragraph of each report, written from the contract, the run's Settings and the
measure registry (``ref.measures``), so the text always states the rules the numbers followed.

Each ``*_text`` function returns one or more sentences; ``paragraph`` joins the ones a report
needs. No threshold, band bound or MCID is written here by hand.
"""
from __future__ import annotations

from collections.abc import Iterable

from pipeline import contract
from pipeline.reports import fmt
from pipeline.stats import pooling, wilcoxon

REPORTS = ("index", "clinic", "evidence", "quality")
Z = f"{fmt.Z975:.2f}"


def _sci(value: float) -> str:
    """``1e-05 -> "1e-5"``."""
    mantissa, exponent = f"{value:e}".split("e")
    return f"{float(mantissa):g}e{int(exponent)}"


def _bands_text() -> str:
    parts = [f"{fmt.band_label(b)} ({fmt.band_definition(b)})" for b, _, _ in contract.FREQUENCY_BANDS]
    parts.append(f"{fmt.band_label(contract.SINGLE_SESSION)} ({fmt.band_definition(contract.SINGLE_SESSION)})")
    return "; ".join(parts)


def episodes_text(settings: contract.Settings) -> str:
    return (
        "An episode of care is one patient's course of care for one condition group at one clinic: "
        "the clinic's own episode id where it sends one, otherwise a new episode starts after more "
        f"than {settings.episode_gap_days} days without a session. Baseline is the episode's first "
        "pre-session score of a measure and final its last post-session score (its last score of any "
        "timepoint when no post-session score follows the baseline)."
    )


def frequency_text() -> str:
    return (
        "Frequency is measured, not declared: sessions per week = (sessions - 1) / (span in days / 7), "
        f"in bands {_bands_text()}."
    )


def improvement_text() -> str:
    return (
        "Improvement is baseline minus final when lower scores are better and final minus baseline "
        "when higher scores are better, so a positive improvement is always good."
    )


def effect_sizes_text(full: bool) -> str:
    text = (
        "The effect size g_z is the standardized response mean d_z (mean improvement / SD of the "
        "improvements) times the exact Hedges correction J(m) = exp(lgamma(m/2) - log(sqrt(m/2)) - "
        "lgamma((m - 1)/2)) with m = n - 1, as metafor escalc(\"SMCC\"); its 95% CI is "
        f"g_z -+ {Z} sqrt(1/n + g_z^2/(2n))."
    )
    if full:
        text += (
            " The SMCR (Becker 1988; metafor escalc(\"SMCR\")) is J(m) times the mean improvement "
            "over the SD of the baseline scores, with metafor's large-sample variance "
            "2(1 - r)/n + SMCR^2/(2n) (r: the pre-post correlation, vtype \"LS\"); its 95% CI is "
            f"SMCR -+ {Z} sqrt(variance). Standard deviations use the n - 1 denominator."
        )
    return text


def wilcoxon_text() -> str:
    return (
        "p-values are two-sided Wilcoxon signed-rank tests on the improvements with zeros dropped, as "
        f"R's wilcox.test(paired = TRUE): exact when n < {wilcoxon.EXACT_MAX_N} with no ties and no "
        "zeros, otherwise the normal approximation with tie and continuity correction; q-values are "
        "Benjamini-Hochberg adjusted over the p-values of all published cells of one level (network, "
        "or clinics)."
    )


def mcid_text(measures: Iterable[dict]) -> str:
    items = [
        f"{fmt.measure_label(m['code'])} {m['mcid']:g} ({m['mcid_kind']}; {m['mcid_source']})"
        for m in measures if m.get("mcid") is not None
    ]
    return "; ".join(items)


def responders_text(measures: Iterable[dict]) -> str:
    return (
        "A responder is an episode whose improvement reaches the measure's minimal clinically "
        f"important difference: {mcid_text(measures)}. Responder rates carry Wilson score 95% "
        "intervals without continuity correction (R prop.test(correct = FALSE))."
    )


def completeness_text() -> str:
    return (
        "Completeness counts the episodes of a condition, those with any score of a measure, those "
        "with a baseline, and those with both a baseline and a final score (the episodes every "
        "effect size uses)."
    )


def suppression_text(settings: contract.Settings) -> str:
    n = settings.suppression_min_n
    return (
        f"Small cells are suppressed: a cell of fewer than {n} episodes shows no figure, nor do "
        f"responder figures when responders or non-responders number 1 to {n - 1}; complementary "
        "suppression also hides the next-smallest cell wherever a hidden one could be recovered by "
        "subtraction from a shown total (a condition's all-frequency row, or the network beside its "
        "clinics). Suppression is applied before rounding, alike on every page, chart, PDF and JSON."
    )


def pooling_text(methods: Iterable[str] = ("REML",)) -> str:
    names = " and ".join(sorted(set(methods))) or "REML"
    return (
        f"Clinics' SMCRs (their published cells only) are pooled with a random-effects model ({names}): "
        "tau^2 by restricted maximum likelihood with Fisher scoring from the Hedges (HE) value, "
        f"step-halving to keep tau^2 >= 0, tolerance {_sci(pooling.REML_THRESHOLD)} and at most "
        f"{pooling.REML_MAXITER} iterations, as metafor rma(method = \"REML\"); the pooled estimate "
        f"has the CI mu -+ {Z} se and the prediction interval mu -+ {Z} sqrt(se^2 + tau^2); I^2 is "
        "metafor's 100 tau^2 / (tau^2 + (k - 1)/C). A clinic whose sampling variance is 0 or undefined "
        f"(every improvement in its cell equal; a variance of at most {_sci(pooling.VI_ZERO)} counts as 0) "
        "carries no weight a reviewer could check: it is left out of the pooling and the meta-regressions "
        "and counted (left out, k_excluded); with fewer than 2 clinics left there is no pooled row, and "
        "where Fisher scoring does not converge (metafor stops there too) none either."
    )


def dose_response_text() -> str:
    lengths = ", ".join(fmt.duration_label(b) for b, _, _ in contract.DURATION_BANDS)
    return (
        "Dose-response is a random-effects meta-regression (REML, as metafor rma(yi, vi, mods = ~ x)) of "
        "published cells' SMCR: each clinic's frequency-band cells on their mean sessions per week, and the "
        f"network's session-length cells ({lengths}) on their mean minutes per session; reported with the "
        "slope, its 95% CI and its z-test p-value."
    )


_FIT_TEXT: dict[int, tuple] = {}  # id(fits) -> (fits, text): every dashboard of a run shows the same


def benchmark_text(fits=None) -> str:
    """The risk-adjustment model, and its fit on this network when ``fits`` (marts.benchmark_model_fit) is given."""
    known = _FIT_TEXT.get(id(fits))
    if known is not None and known[0] is fits:
        return known[1]
    _FIT_TEXT.clear()
    text = _benchmark_text(fits)
    _FIT_TEXT[id(fits)] = (fits, text)
    return text


def _benchmark_text(fits) -> str:
    text = (
        "Risk adjustment follows FOTO and the Keet IROMS registry: for each measure, an ordinary "
        "least-squares model fitted on the whole network predicts an episode's improvement from the "
        "baseline score, condition group, age band, sex and payer, and a logistic model its chance of "
        "reaching the MCID from the same with the baseline in fifths of the scale (a missing value is "
        "its own category; both are fitted from sums over the clinics' episodes, exactly as on the "
        "episodes themselves); a clinic's score is observed "
        "minus expected averaged over its episodes, with a t interval on the residuals for improvement "
        "and a normal interval with variance sum p(1 - p) / n^2 for the responder rate."
    )
    if fits is not None and len(fits):
        r2 = fits["r2_improvement"].astype(float)
        pr2 = fits["pseudo_r2_responder"].astype(float)
        text += (f" On this network the models explain R^2 = {r2.min():.2f} to {r2.max():.2f} of the variance of "
                 f"improvement across the {len(fits)} measures (McFadden pseudo-R^2 of responding "
                 f"{pr2.min():.2f} to {pr2.max():.2f}): case mix accounts for part of the differences, not all.")
    return text


def quality_text(settings: contract.Settings) -> str:
    return (
        "A batch is accepted or rejected whole (a missing or altered file, a wrong checksum or row "
        "count, or a column carrying a direct identifier rejects it, and it loads nothing); a batch "
        "re-exported under the same export id replaces the earlier one. In an accepted batch every "
        "row is either staged or quarantined with its reason codes, so rows received = rows staged + "
        "rows quarantined. Counts on this page are rows of the export files, not patients or "
        "episodes; no value of a quarantined row is shown."
    )


def paragraph(report: str, settings: contract.Settings, measures: Iterable[dict],
              pooled_methods: Iterable[str] | None = None, dose_response: bool = False,
              benchmarks: bool = False, model_fit=None) -> str:
    """The methods paragraph of one report (``index``, ``clinic``, ``evidence`` or ``quality``).

    ``pooled_methods`` is the set of pooling methods present (None when marts.pooled_effects
    does not exist); ``dose_response`` and ``benchmarks`` say whether those marts exist.
    """
    if report not in REPORTS:
        raise ValueError(f"unknown report {report!r}; expected one of {REPORTS}")
    measures = list(measures)
    if report == "quality":
        parts = [quality_text(settings)]
    else:
        parts = [episodes_text(settings), frequency_text(), improvement_text(),
                 effect_sizes_text(full=report == "evidence")]
        if report == "evidence":
            parts.append(wilcoxon_text())
        parts.append(responders_text(measures))
        if report == "evidence" and pooled_methods is not None:
            parts.append(pooling_text(pooled_methods))
        if report == "evidence" and dose_response:
            parts.append(dose_response_text())
        if report == "clinic" and benchmarks:
            parts.append(benchmark_text(model_fit))
        parts.append(completeness_text())
        parts.append(suppression_text(settings))
    return " ".join(parts)
