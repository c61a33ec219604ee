"""The data dictionary of exported tables is generated from the contract (issue 15, item 4)."""
from __future__ import annotations

from dataclasses import fields

from pipeline import cohorts, contract, stats
from tests.sql.conftest import build_episodes


def test_every_published_column_has_the_contracts_words(con):
    build_episodes(con)
    mart = [r[0] for r in con.execute("describe marts.episode_outcomes").fetchall()]
    figures = [f.name for f in fields(stats.PrePost)] + ["q_value", "suppressed"]
    for column in mart + figures:
        assert column in contract.MART_COLUMNS, column
        assert cohorts.DICTIONARY[column] == contract.MART_COLUMNS[column], column


def test_the_words_follow_the_contracts_values(monkeypatch):
    words = contract.MART_COLUMNS
    for band, low, high in contract.FREQUENCY_BANDS:
        assert band in words["frequency_band"][1]
        for limit in (low, high):
            assert limit is None or f"{limit:g}" in words["frequency_band"][1]
    assert f"more than {contract.EPISODE_GAP_DAYS} days" in words["episode_id"][1]
    assert f"fewer than {contract.SUPPRESSION_MIN_N} episodes" in words["suppressed"][1]
    assert all(b in words["age_band"][1] for b in contract.AGE_BANDS)
    assert all(p in words["payer"][1] for p in contract.PAYERS)
    assert words["patient_id"][1] == next(c.rule for c in contract.SESSION_COLUMNS if c.name == "patient_id")
    # generated, not typed: other contract values give other words
    monkeypatch.setattr(contract, "FREQUENCY_BANDS", (("often", 2.0, None), ("rarely", None, 2.0)))
    monkeypatch.setattr(contract, "EPISODE_GAP_DAYS", 90)
    monkeypatch.setattr(contract, "SUPPRESSION_MIN_N", 5)
    changed = contract._mart_columns()
    assert changed["frequency_band"][1].startswith("measured frequency band: often >= 2 sessions/week, rarely < 2")
    assert "more than 90 days" in changed["episode_id"][1]
    assert "fewer than 5 episodes" in changed["suppressed"][1]
