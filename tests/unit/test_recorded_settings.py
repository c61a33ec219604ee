"""The reports state the settings the figures were computed with: a warehouse's recorded
analysis settings (audit.analysis_settings, written when episodes are built or sites merged)
replace the command's, and a warehouse that records none keeps them."""
from __future__ import annotations

import json

import duckdb

from pipeline import contract, provenance, warehouse


def test_recorded_settings_replace_the_commands():
    con = duckdb.connect()
    warehouse.ensure_schema(con)
    given = contract.Settings(episode_gap_days=60, suppression_min_n=11)
    assert provenance.with_recorded_settings(con, given) == given  # nothing recorded
    warehouse.run(con, "audit/analysis_setting_record", {"setting": "episode_gap_days", "value": json.dumps(30)})
    warehouse.run(con, "audit/analysis_setting_record", {"setting": "a_later_setting", "value": json.dumps("x")})
    got = provenance.with_recorded_settings(con, given)
    assert got.episode_gap_days == 30 and got.suppression_min_n == 11
    assert provenance.recorded_settings(con) == {"a_later_setting": "x", "episode_gap_days": 30}


def test_a_warehouse_without_the_table_records_nothing():
    assert provenance.recorded_settings(duckdb.connect()) == {}
