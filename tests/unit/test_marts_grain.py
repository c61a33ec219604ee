"""The validators behind the marts' blocking grain checks (pipeline/marts/grain.py)."""
from __future__ import annotations

import pandas as pd
import pytest

from pipeline.marts import grain

KEYS = ("level", "clinic_id", "band")


def _table(overrides: dict | None = None) -> pd.DataFrame:
    rows = [
        {"level": "network", "clinic_id": None, "band": "all", "n": 40, "mean": 1.5, "responders": 20,
         "responder_rate": 0.5, "suppressed": False},
        {"level": "clinic", "clinic_id": "c1", "band": "all", "n": 25, "mean": 1.2, "responders": 12,
         "responder_rate": 0.48, "suppressed": False},
        {"level": "clinic", "clinic_id": "c2", "band": "all", "n": None, "mean": None, "responders": None,
         "responder_rate": None, "suppressed": True},
    ]
    for (i, col), value in (overrides or {}).items():
        rows[i][col] = value
    return pd.DataFrame(rows)


def test_a_table_unique_on_its_keys_has_no_duplicates():
    assert grain.duplicate_keys(_table(), KEYS).empty


def test_duplicate_keys_are_found_with_nulls_equal():
    t = pd.concat([_table(), _table().iloc[[0]]], ignore_index=True)  # the network row (clinic_id null) twice
    dupes = grain.duplicate_keys(t, KEYS)
    assert len(dupes) == 1 and dupes.loc[0, "level"] == "network" and dupes.loc[0, "rows"] == 2


def test_a_missing_key_column_is_an_error():
    with pytest.raises(ValueError, match="no column 'period'"):
        grain.duplicate_keys(_table(), ("period",))


def test_a_well_suppressed_table_breaks_nothing():
    assert grain.suppression_breaches(_table(), KEYS, ("n",), 11) == []


def test_a_published_small_cell_is_a_breach():
    problems = grain.suppression_breaches(_table({(1, "n"): 5, (1, "responders"): 0}), KEYS, ("n",), 11)
    assert problems[0] == "1 published rows with 0 < n < 11"


def test_a_suppressed_row_with_a_figure_left_is_a_breach():
    problems = grain.suppression_breaches(_table({(2, "mean"): 0.7}), KEYS, ("n",), 11)
    assert problems == ["1 suppressed rows still show a figure"]


def test_a_small_responder_or_non_responder_count_is_a_breach():
    assert grain.suppression_breaches(_table({(1, "responders"): 3}), KEYS, ("n",), 11) == [
        "1 rows show a responder or non-responder count below 11"]
    assert grain.suppression_breaches(_table({(1, "responders"): 20}), KEYS, ("n",), 11) == [
        "1 rows show a responder or non-responder count below 11"]  # 25 - 20 = 5 non-responders


def test_hidden_responders_with_a_rate_shown_is_a_breach():
    problems = grain.suppression_breaches(_table({(1, "responders"): None}), KEYS, ("n",), 11)
    assert problems == ["1 rows hide the responders but show a responder figure"]


def test_every_mart_has_a_grain_and_the_threshold_is_checked():
    assert set(grain.SUPPRESSED_COUNTS) <= set(grain.GRAIN)
    with pytest.raises(ValueError, match="at least 1"):
        grain.suppression_breaches(_table(), KEYS, ("n",), 0)
