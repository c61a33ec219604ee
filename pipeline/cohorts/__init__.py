"""The researcher API: cohorts over the public marts, for notebooks (contract section 5).

Everything here reads only the public tables ``marts.episode_outcomes`` and ``ref.measures``
and computes every figure with :mod:`pipeline.stats` (the functions that produce
``marts.effect_sizes``), so a cohort's numbers are defined exactly as the published ones
(``shared/design/statistics.md``)::

    from pipeline import cohorts

    con = cohorts.open_warehouse("data/warehouse.duckdb")            # read-only
    neck = cohorts.Cohort(condition_group="neck_pain", payer=["self", "insurance"])
    episodes = cohorts.cohort_outcomes(con, neck)                    # one row per episode x measure
    effects = cohorts.cohort_effects(con, neck, by="frequency_band")   # every figure, suppressed
    diff = cohorts.compare(con, cohorts.Cohort(condition_group="neck_pain", frequency_band="twice_weekly"),
                           cohorts.Cohort(condition_group="neck_pain", frequency_band="monthly"), "ndi")
    cohorts.tidy_export(effects, "out/neck_effects.csv")             # + out/neck_effects.dictionary.csv

The two-group statistics of :func:`compare` are :func:`pipeline.stats.welch_difference`
(difference of two means, Welch's t) and :func:`pipeline.stats.rate_difference` (difference of
two proportions, Newcombe's hybrid score interval), re-exported here. Modules: ``selection``
(:class:`Cohort`, the read-only warehouse, :func:`cohort_outcomes`), ``effects``
(:func:`cohort_effects`), ``comparison`` (:func:`compare`) and ``export`` (:func:`tidy_export`
and its data dictionary, whose words for the marts' columns are ``pipeline.contract``'s).

Small-cell suppression: :func:`cohort_effects` and :func:`compare` apply the published rule
(statistics.md: a figure computed from fewer than ``min_n`` episodes is null, responder
figures are null when the responder or non-responder count is between 1 and ``min_n - 1``,
and complementary suppression inside a table). Suppression protects each table; it cannot
stop a reader from differencing two tables of overlapping cohorts, and
:func:`cohort_outcomes` returns episode rows: both are for analysts working under the
network's data-use agreement. Publish suppressed tables only.
"""
from __future__ import annotations

from pipeline.cohorts.comparison import Comparison, compare
from pipeline.cohorts.effects import FIGURES, INTEGER_FIGURES, RESPONDER_FIGURES, cohort_effects
from pipeline.cohorts.export import DICTIONARY, DICTIONARY_COLUMNS, Export, tidy_export
from pipeline.cohorts.selection import (
    BY_COLUMNS,
    DEFAULT_WAREHOUSE,
    FILTER_COLUMNS,
    TOTAL,
    WAREHOUSE_ENV,
    Cohort,
    cohort_outcomes,
    default_warehouse,
    open_warehouse,
)
from pipeline.stats.difference import RateDifference, WelchDifference, rate_difference, welch_difference

__all__ = [
    "Cohort",
    "Comparison",
    "Export",
    "RateDifference",
    "WelchDifference",
    "cohort_effects",
    "cohort_outcomes",
    "compare",
    "default_warehouse",
    "open_warehouse",
    "rate_difference",
    "tidy_export",
    "welch_difference",
]
