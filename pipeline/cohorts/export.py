"""Tidy export of a table with its data dictionary.

The dictionary's words for the marts' columns are the contract's (``pipeline.contract.
MART_COLUMNS``, built from its bands, gap and thresholds); this module adds only the columns
that exist in cohort tables (``cohort``) and comparisons (:class:`pipeline.cohorts.Comparison`).
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

import numpy as np
import pandas as pd

from pipeline import contract

_SCORE = contract.SCORE_UNIT  # the measure's own unit, resolved per table

DICTIONARY: dict[str, tuple[str, str]] = {
    **contract.MART_COLUMNS,
    # cohort_effects: its other columns are those of marts.effect_sizes
    "cohort": ("", "the cohort's label (its filters)"),
    # compare()
    "cohort_a": ("", "label of cohort A"),
    "cohort_b": ("", "label of cohort B"),
    "level": ("proportion", "confidence level of the intervals"),
    "n_a": ("episodes", "episodes of cohort A with the measure"),
    "n_b": ("episodes", "episodes of cohort B with the measure"),
    "mean_improvement_a": (_SCORE, "mean improvement in cohort A"),
    "mean_improvement_b": (_SCORE, "mean improvement in cohort B"),
    "sd_improvement_a": (_SCORE, "standard deviation of the improvements in cohort A"),
    "sd_improvement_b": (_SCORE, "standard deviation of the improvements in cohort B"),
    "mean_difference": (_SCORE, "mean_improvement_a - mean_improvement_b (positive favours A)"),
    "mean_difference_se": (_SCORE, "Welch standard error sqrt(sd_a^2/n_a + sd_b^2/n_b)"),
    "welch_df": ("degrees of freedom", "Welch-Satterthwaite degrees of freedom"),
    "welch_t": ("t statistic", "mean_difference / mean_difference_se"),
    "mean_difference_ci_low": (_SCORE, "Welch t interval of mean_difference, lower bound (R t.test)"),
    "mean_difference_ci_high": (_SCORE, "Welch t interval of mean_difference, upper bound"),
    "mean_difference_p": ("probability", "two-sided Welch t-test p-value (R t.test(a, b))"),
    "responders_a": ("episodes", "responders in cohort A"),
    "responders_b": ("episodes", "responders in cohort B"),
    "responder_rate_a": ("proportion", "responder rate of cohort A"),
    "responder_rate_b": ("proportion", "responder rate of cohort B"),
    "responder_difference": ("proportion", "responder_rate_a - responder_rate_b (positive favours A)"),
    "responder_difference_ci_low": ("proportion", "Newcombe hybrid score interval (method 10) of responder_difference, lower bound"),
    "responder_difference_ci_high": ("proportion", "Newcombe hybrid score interval of responder_difference, upper bound"),
    "responder_difference_p": ("probability", "chi-squared test of equal responder rates, no continuity correction (R prop.test(correct = FALSE))"),
    "note": ("", "why figures are empty, if any are"),
}


DICTIONARY_COLUMNS = ("name", "type", "unit", "definition")


@dataclass(frozen=True)
class Export:
    """The files written by :func:`tidy_export`."""

    data: Path
    dictionary: Path


def _type_name(series: pd.Series) -> str:
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return "boolean"
    if pd.api.types.is_integer_dtype(dtype):
        return "integer"
    if pd.api.types.is_float_dtype(dtype):
        return "number"
    values = series.dropna()
    if len(values) and all(isinstance(v, (bool, np.bool_)) for v in values):
        return "boolean"
    if len(values) and all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in values):
        return "integer"
    if len(values) and all(isinstance(v, (int, float, np.number)) and not isinstance(v, bool) for v in values):
        return "number"
    return "text"


def _score_unit(df: pd.DataFrame) -> str:
    codes = df["measure"].dropna().unique().tolist() if "measure" in df else []
    registry = contract.measures()
    if len(codes) == 1 and codes[0] in registry:
        m = registry[codes[0]]
        unit = "degrees" if "degrees" in m.instrument.lower() else "points"
        return f"{unit} of {m.code} ({m.range_min:g}-{m.range_max:g}, {m.better} is better)"
    return "points of the row's measure (degrees for rom_cervical_rotation; see ref.measures)"


def _dictionary_path(path: Path) -> Path:
    return path.with_name((path.stem if path.suffix.lower() == ".csv" else path.name) + ".dictionary.csv")


def tidy_export(
    df: pd.DataFrame,
    path: str | os.PathLike,
    descriptions: Mapping[str, tuple[str, str]] | None = None,
    allow_episode_rows: bool = False,
) -> Export:
    """Write ``df`` as CSV and a data dictionary beside it; returns both paths.

    ``path`` is the CSV (parent folders are created); the dictionary is
    ``<stem>.dictionary.csv`` in the same folder (``effects.csv`` ->
    ``effects.dictionary.csv``), one row per column of ``df`` in order, with columns
    ``name``, ``type`` (integer, number, text or boolean), ``unit`` and ``definition``.
    Every column of the marts, of :func:`cohort_effects` and of :meth:`Comparison.to_frame`
    is described; describe any other column with ``descriptions={"col": (unit, definition)}``
    (unknown columns raise ValueError). Score units name the instrument when the table holds
    one measure. Nulls (suppressed figures) are empty fields; numbers keep full precision.

    A table of episode rows (one with ``patient_id``) is refused unless
    ``allow_episode_rows=True``: export :func:`cohort_effects` tables, which are suppressed,
    for anything that leaves the analysis environment.
    """
    if not isinstance(df, pd.DataFrame):
        raise ValueError("df must be a pandas DataFrame")
    if "patient_id" in df.columns and not allow_episode_rows:
        raise ValueError(
            "this table has one row per episode (patient_id): pass allow_episode_rows=True to export "
            "row-level data under your data-use agreement, or export cohort_effects() for publication"
        )
    extra = dict(descriptions or {})
    for name, value in extra.items():
        if not (isinstance(value, tuple) and len(value) == 2 and all(isinstance(v, str) for v in value)):
            raise ValueError(f"descriptions[{name!r}] must be a (unit, definition) pair of strings")
    names = [str(c) for c in df.columns]
    if len(set(names)) != len(names):
        raise ValueError("column names must be unique")
    unknown = [c for c in names if c not in DICTIONARY and c not in extra]
    if unknown:
        raise ValueError(f"no definition for column(s) {', '.join(unknown)}: pass descriptions={{name: (unit, definition)}}")
    score = _score_unit(df)
    rows = []
    for col in names:
        unit, definition = extra.get(col) or DICTIONARY[col]
        rows.append({"name": col, "type": _type_name(df[col]), "unit": score if unit == _SCORE else unit,
                     "definition": definition})
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    dictionary = _dictionary_path(out)
    df.to_csv(out, index=False)
    pd.DataFrame(rows, columns=list(DICTIONARY_COLUMNS)).to_csv(dictionary, index=False)
    return Export(out, dictionary)
