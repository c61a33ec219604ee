"""The great-expectations suites: built from the contract, catching every rule, stored, loud.

- every expectation comes from pipeline.contract (no value restated in pipeline/suites.py)
  and names the reason code the staging SQL uses for the same rule;
- on staged-shaped rows that break one rule each, the suite flags exactly those rows;
- results are stored per batch in audit.checks, with row numbers and never values;
- a drift between the SQL gate and the suite, or a row lost between raw and staging, fails
  ``outcomes run`` with one sentence and no traceback, and blocks everything downstream.
"""
from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pandas as pd
import pytest

from pipeline import contract, suites, warehouse
from pipeline.cli import main

from tests.quality.batches import new_batch
from tests.quality.conftest import receive_and_stage
from tests.quality.test_corpus_run import materialize_intake

TODAY = dt.date(2026, 11, 29)


def test_no_contract_value_is_restated():
    source = Path(suites.__file__).read_text(encoding="utf-8")
    code = "\n".join(line for line in source.splitlines() if not line.lstrip().startswith("#"))
    code = re.sub(r'"""[\s\S]*?"""', "", code)  # docstrings may quote figures
    numbers = [str(v) for v in (*contract.DURATION_RANGE, *contract.SESSION_DAY_RANGE, *contract.SESSION_YEAR_RANGE,
                                contract.MAX_FIELD_CHARS) if v >= 10]  # a lone digit (0) is no evidence
    for number in numbers:
        assert not re.search(rf"(?<![\w.]){number}(?![\w.])", code), f"{number} is restated"
    texts = [contract.CLINIC_ID_PATTERN, contract.PATIENT_ID_PATTERN, contract.ICD10CM_PATTERN,
             contract.EARLIEST_SESSION_DATE, *contract.IDENTIFYING_ID_PATTERNS.values(), *contract.TECHNIQUES,
             *contract.AGE_BANDS, *contract.SEXES, *contract.PAYERS, *contract.TIMEPOINTS, *contract.measures()]
    for text in texts:  # as a string literal, in either quotes, raw or not
        for quote in ('"', "'"):
            assert f"{quote}{text}{quote}" not in code, f"{text!r} is restated"


@pytest.mark.parametrize("table", contract.TABLES)
def test_every_rule_comes_from_the_contract(table):
    rules = suites.rules(table, TODAY)
    by = {(r.expectation, r.column, r.condition): r for r in rules}
    for c in contract.COLUMNS[table]:
        if c.required:
            assert ("ExpectColumnValuesToNotBeNull", c.name, None) in by
        if c.pattern and c.type == "text":
            assert by[("ExpectColumnValuesToMatchRegex", c.name, None)].kwargs["regex"] is c.pattern
        if c.allowed and c.name not in suites.LIST_COLUMNS:
            assert tuple(by[("ExpectColumnValuesToBeInSet", c.name, None)].kwargs["value_set"]) == c.allowed
        if c.type == "text":
            assert by[("ExpectColumnValueLengthsToBeBetween", c.name, None)].kwargs["max_value"] == contract.MAX_FIELD_CHARS
    for r in rules:
        assert r.reason in contract.REASONS
    if table == "measurements":
        ranges = {r.condition[2]: (r.kwargs["min_value"], r.kwargs["max_value"]) for r in rules if r.condition}
        assert ranges == {code: (m.range_min, m.range_max) for code, m in contract.measures().items()}
    else:
        assert by[("ExpectColumnValuesToBeBetween", "duration_min", None)].kwargs == {
            "column": "duration_min", "min_value": contract.DURATION_RANGE[0], "max_value": contract.DURATION_RANGE[1]}


def _sessions_frame(rows: list[dict]) -> pd.DataFrame:
    good = {"clinic_id": "c1", "patient_id": "P-0001", "session_id": None, "episode_id": "E1",
            "session_date": pd.Timestamp("2026-01-05"), "session_day": None, "session_year": 2026.0,
            "session_date_year": 2026.0, "condition_code": "M5450", "duration_min": 45.0,
            "techniques": contract.LIST_SEPARATOR.join(contract.TECHNIQUES[:2]), "therapist_id": "T1",
            "cpt_code": "97124", "age_band": contract.AGE_BANDS[0], "sex": contract.SEXES[0],
            "payer": contract.PAYERS[0], "_batch_id": "b1", "_row_number": None}
    out = []
    for i, changes in enumerate(rows, 1):
        out.append({**good, "session_id": f"S{i}", "_row_number": i, **changes})
    return pd.DataFrame(out)


# Each row breaks one rule (row 1 breaks none); the reason code of the rule it breaks.
SESSION_ROWS = [
    ({}, None),
    ({"duration_min": 5.0}, "duration_out_of_range"),
    ({"patient_id": "jane.roe@example.com"}, "patient_id_identifying"),
    ({"sex": "female"}, "sex_invalid"),
    ({"techniques": "effleurage;reiki"}, "techniques_invalid"),
    ({"session_date": pd.Timestamp("2999-01-01"), "session_year": None, "session_date_year": 2999.0}, "session_date_future"),
    ({"session_date": pd.Timestamp("1980-01-01"), "session_year": None, "session_date_year": 1980.0}, "session_date_too_early"),
    ({"condition_code": "BACK PAIN"}, "condition_code_invalid"),
    ({"session_date": pd.NaT, "session_date_year": None, "session_year": 2026.0}, "session_date_missing"),
    ({"session_date": pd.NaT, "session_date_year": None, "session_day": 5.0, "session_year": None}, "session_year_missing"),
    ({"session_year": 2025.0}, "session_year_mismatch"),
    ({"therapist_id": "T" * 300}, "field_oversize"),
    ({"clinic_id": "c 1"}, "clinic_id_malformed"),
    ({"age_band": "85-95"}, "age_band_invalid"),
    ({"payer": "medicare"}, "payer_invalid"),
    ({"patient_id": "P 1"}, "patient_id_malformed"),
    ({"session_date": pd.NaT, "session_date_year": None, "session_day": -1.0}, "session_day_invalid"),
    ({"session_year": 2099.0, "session_date": pd.NaT, "session_date_year": None, "session_day": 3.0}, "session_date_future"),
    ({"duration_min": None}, "duration_missing"),
    ({"session_id": "S1"}, "session_id_duplicate"),
]


def test_the_sessions_suite_flags_each_broken_rule():
    df = _sessions_frame([changes for changes, _ in SESSION_ROWS])
    results = suites.validate_frame("sessions", df, TODAY)
    assert not any(r.error for r in results), [(r.rule.name, r.error) for r in results if r.error]
    flagged: dict[int, set[str]] = {}
    for r in results:
        for row in r.rows_by_batch.get("b1", []):
            flagged.setdefault(row, set()).add(r.rule.reason)
    expected = {i: {reason} for i, (_, reason) in enumerate(SESSION_ROWS, 1) if reason}
    expected[1] = {"session_id_duplicate"}  # great-expectations flags every copy, the SQL only the later ones
    expected[3] = {"patient_id_identifying", "patient_id_malformed"}  # independent here; the SQL names the first
    assert flagged == expected


def test_the_measurements_suite_flags_each_broken_rule():
    rows = [("c1", "S1", "pain_nrs", "pre", 6.0), ("c1", "S1", "pain_nrs", "post", 11.0),
            ("c1", "S2", "ndi", "pre", 51.0), ("c1", "S2", "vas", "pre", 3.0), ("c1", "S3", "pain_nrs", "during", 4.0),
            ("c1", "S4", "pain_nrs", "pre", float("inf")), ("c1", "S5", "pain_nrs", "pre", None),
            ("c1", "S1", "pain_nrs", "pre", 5.0)]
    df = pd.DataFrame(rows, columns=["clinic_id", "session_id", "measure", "timepoint", "value"])
    df["_batch_id"], df["_row_number"] = "b1", range(1, len(df) + 1)
    results = suites.validate_frame("measurements", df, TODAY)
    flagged: dict[int, set[str]] = {}
    for r in results:
        for row in r.rows_by_batch.get("b1", []):
            flagged.setdefault(row, set()).add(r.rule.reason)
    assert flagged == {1: {"measurement_duplicate"}, 2: {"value_out_of_range"}, 3: {"value_out_of_range"},
                       4: {"measure_unknown"}, 5: {"timepoint_invalid"}, 6: {"value_out_of_range"},
                       7: {"value_missing"}, 8: {"measurement_duplicate"}}


def test_results_are_stored_per_batch_and_a_big_intake_is_sampled(tmp_path, wh):
    for clinic in ("c8a", "c8b", "c8c"):
        receive_and_stage(wh, new_batch(tmp_path / f"{clinic}-2026-01", clinic).write())
    outcome = suites.check_new_batches(wh, "measurements", max_rows=10)
    assert outcome.passed and outcome.sampled
    assert outcome.rows_staged == 36 and outcome.rows_checked < 36
    assert f"a sample of {outcome.rows_checked} of 36" in outcome.summary()
    rows = wh.execute("select batch_id, success, unexpected_count, details from audit.checks where suite = $s",
                      {"s": suites.SUITES["measurements"]}).fetchall()
    assert len(rows) == 3 * len(suites.rules("measurements"))
    details = [json.loads(d) for _, _, _, d in rows]
    assert all(d["sampled"] and d["rows_staged"] == 12 for d in details)
    assert sum(d["rows_checked"] for d in details) == outcome.rows_checked * len(suites.rules("measurements"))
    assert suites.check_new_batches(wh, "measurements").batches == []  # nothing new


def test_the_sample_is_deterministic_and_holds_the_edge_rows(tmp_path, wh):
    """Sampled, a range, length, allowed-value or required-value rule broken by any staged row is
    broken by a sampled one: the sample holds each ranged column's extremes, each text column's
    longest value, one row per code and per pattern of empty values of the columns a rule reads
    for emptiness (sql/suites/*_sample.sql)."""
    for clinic in ("c7a", "c7b", "c7c", "c7d"):
        receive_and_stage(wh, new_batch(tmp_path / f"{clinic}-2026-01", clinic).write())
    staged = wh.execute("select count(*) from staging.sessions").fetchall()[0][0]
    params = {**contract.rule_params(), "batch_ids": suites.pending_batches(wh, "sessions"), "stride": 1000,
              "all_batches": False}
    sample = warehouse.frame(wh, "suites/sessions_sample", params)
    assert len(sample) < staged
    assert warehouse.frame(wh, "suites/sessions_sample", params).equals(sample)  # the same rows every time
    # every batch given: the same rows without the filter on the batch
    assert warehouse.frame(wh, "suites/sessions_sample", {**params, "all_batches": True}).equals(sample)
    whole = warehouse.frame(wh, "suites/sessions_sample", {**params, "stride": 1})
    assert len(whole) == staged
    same = lambda a, b: a == b or (pd.isna(a) and pd.isna(b))  # noqa: E731 - an empty column's extremes
    for column in ("duration_min", "session_date", "session_day", "session_year"):
        assert same(sample[column].min(), whole[column].min()) and same(sample[column].max(), whole[column].max())
    for column in ("patient_id", "session_id", "techniques", "therapist_id"):
        assert same(sample[column].str.len().max(), whole[column].str.len().max())
    for column in ("condition_code", "techniques", "cpt_code", "age_band", "sex", "payer"):
        assert set(sample[column].dropna()) == set(whole[column].dropna())
    emptiness = ["session_date", "session_day", "session_year"]
    assert set(map(tuple, sample[emptiness].isna().values)) == set(map(tuple, whole[emptiness].isna().values))
    # a sample of some of the batches holds only their rows, and their edges
    some = warehouse.frame(wh, "suites/sessions_sample", {**params, "batch_ids": ["c7b-2026-01"]})
    assert set(some["_batch_id"]) == {"c7b-2026-01"} and 0 < len(some) <= len(sample)


def test_the_samples_sample_every_pattern_of_empty_values_a_rule_can_see():
    """A sample holds one row per pattern of empty values of the columns named in it (only
    session_date, session_day, session_year): every other column that a required-value or
    conditional rule reads is NOT NULL in staging's DDL, so no staged row can break such a rule
    there. If the contract makes another column required or conditional, this fails until the
    DDL or the sample's grouping follows."""
    con = warehouse.connect(":memory:")
    warehouse.ensure_schema(con)
    root = Path(__file__).resolve().parents[2] / "sql" / "suites"
    for table in contract.TABLES:
        nullable = {r[0] for r in con.execute(
            "select column_name from information_schema.columns where table_schema = 'staging' "
            "and table_name = $t and is_nullable = 'YES'", {"t": table}).fetchall()}
        read_for_emptiness = {r.kwargs["column"] for r in suites.rules(table, TODAY)
                              if r.expectation == "ExpectColumnValuesToNotBeNull"}
        read_for_emptiness |= {r.condition[0] for r in suites.rules(table, TODAY)
                               if r.condition and r.condition[1] in ("is_null", "is_not_null")}
        grouped = set(re.findall(r"\(?(\w+) is null", (root / f"{table}_sample.sql").read_text(encoding="utf-8")))
        assert read_for_emptiness & nullable <= grouped, (table, read_for_emptiness & nullable - grouped)


def test_a_rule_broken_by_one_row_is_caught_on_a_sample(tmp_path, wh):
    for clinic in ("c6a", "c6b", "c6c"):
        receive_and_stage(wh, new_batch(tmp_path / f"{clinic}-2026-01", clinic).write())
    wh.execute("update staging.measurements set value = 1000 where _batch_id = 'c6b-2026-01' and _row_number = 3")
    outcome = suites.check_new_batches(wh, "measurements", max_rows=2)
    assert outcome.sampled and not outcome.passed
    assert outcome.failed[0].rule.reason == "value_out_of_range" and outcome.failed[0].rows_by_batch == {"c6b-2026-01": [3]}


def test_a_bad_staged_row_fails_the_suite_and_is_checked_again(tmp_path, wh):
    receive_and_stage(wh, new_batch(tmp_path / "c9-2026-01", "c9").write())
    wh.execute("update staging.sessions set patient_id = '999-84-8775' where _batch_id = 'c9-2026-01' and _row_number = 4")
    outcome = suites.check_new_batches(wh, "sessions")
    assert not outcome.passed
    assert outcome.summary() == ("1 staged sessions rows break 'patient_id looks like an e-mail address, phone number "
                                 "or SSN' (expect_column_values_to_not_match_regex_list on patient_id): batch "
                                 "c9-2026-01, data rows 4")
    assert "999-84-8775" not in json.dumps(wh.execute("select * from audit.checks").fetchall(), default=str)
    assert suites.pending_batches(wh, "sessions") == ["c9-2026-01"]  # failed: checked again next time
    wh.execute("update staging.sessions set patient_id = 'P-0002' where _batch_id = 'c9-2026-01' and _row_number = 4")
    assert suites.check_new_batches(wh, "sessions").passed
    assert suites.pending_batches(wh, "sessions") == []


def _inbox(tmp_path, clinic="cA") -> Path:
    inbox = tmp_path / "inbox"
    new_batch(inbox / f"{clinic}-2026-01", clinic).write()
    return inbox


def test_a_drift_between_sql_and_suite_fails_the_run_loudly(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(suites.RANGES, "duration_min", (10, 40))  # the suite now disagrees with the SQL
    code = main(["run", "--inbox", str(_inbox(tmp_path)), "--warehouse", str(tmp_path / "w.duckdb"),
                 "--reports", str(tmp_path / "reports")])
    out, err = capsys.readouterr()
    assert code == 1 and "Traceback" not in out + err
    assert err.startswith("outcomes: check sessions_contract_suite failed: 6 staged sessions rows break "
                          "'duration_min is outside 10 to 180'")
    assert len(err.strip().splitlines()) == 1
    assert not (tmp_path / "reports" / "index.html").exists()  # blocked: nothing built on it


def test_a_lost_row_fails_the_run_loudly(tmp_path, capsys):
    inbox = _inbox(tmp_path, "cB")
    assert materialize_intake(inbox, tmp_path / "w.duckdb", tmp_path / "reports").success
    import duckdb

    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.execute("delete from staging.sessions where _row_number = 2")
    con.close()
    code = main(["run", "--inbox", str(inbox), "--warehouse", str(tmp_path / "w.duckdb"),
                 "--reports", str(tmp_path / "reports")])
    out, err = capsys.readouterr()
    assert code == 1 and "Traceback" not in out + err
    assert "check sessions_nothing_lost failed: cB-2026-01 sessions: 6 rows received but 5 staged + 0 quarantined (1 lost)" in err


def test_the_documentation_lists_every_reason_code():
    text = (Path(__file__).resolve().parents[2] / "docs" / "quality.md").read_text(encoding="utf-8")
    for code, words in contract.REASONS.items():
        assert f"| `{code}` |" in text and words in text, code


def _off_sample_row(wh, table: str, where: str = "true") -> tuple[str, int, int]:
    """A staged row of ``table`` that the random part of a 1-row sample does not take (its key
    does not hash to 0 modulo the stride): only the edge rows can bring it into the sample."""
    staged = wh.execute(f"select count(*) from staging.{table}").fetchall()[0][0]
    rows = wh.execute(f"select _batch_id, _row_number, rowid from staging.{table} "
                      f"where hash(_batch_id, _row_number) % $stride::ubigint <> 0 and {where} "
                      "order by _batch_id, _row_number", {"stride": suites.stride(staged, 1)}).fetchall()
    return rows[len(rows) // 2]


@pytest.mark.parametrize(("table", "change", "reason", "where"), [
    ("sessions", "duration_min = 500", "duration_out_of_range", "true"),
    ("sessions", "session_year = session_year - 1", "session_year_mismatch", "session_date is not null"),
    ("sessions", "session_day = -3", "session_day_invalid", "true"),
    ("sessions", "sex = 'Q'", "sex_invalid", "true"),
    ("sessions", "condition_code = '123'", "condition_code_invalid", "true"),
    ("sessions", "techniques = ['not_a_technique']", "techniques_invalid", "true"),
    ("sessions", "therapist_id = repeat('t', 300)", "field_oversize", "true"),
    ("sessions", "session_day = 100, session_year = null", "session_year_missing", "true"),
    ("sessions", "session_date = null, session_day = null", "session_date_missing", "true"),
    ("measurements", "measure = 'xyz'", "measure_unknown", "true"),
    ("measurements", "timepoint = 'mid'", "timepoint_invalid", "true"),
    ("measurements", "session_id = repeat('s', 300)", "field_oversize", "true"),
    ("measurements", "value = -1000", "value_out_of_range", "true"),
])
def test_one_bad_row_outside_the_random_part_is_caught_by_the_edge_rows(tmp_path, wh, table, change, reason, where):
    """Sampled to the edge rows alone (max_rows=1), a single staged row that the random part does
    not take and that breaks a range, length, allowed-value, code-pattern, required-value or
    year-mismatch rule is still checked, and flagged with its batch and row number."""
    for clinic in ("c5a", "c5b", "c5c"):
        receive_and_stage(wh, new_batch(tmp_path / f"{clinic}-2026-01", clinic).write())
    batch_id, row_number, row_key = _off_sample_row(wh, table, where)
    wh.execute(f"update staging.{table} set {change} where rowid = $k", {"k": row_key})
    outcome = suites.check_new_batches(wh, table, max_rows=1, today=TODAY)
    assert outcome.sampled and outcome.rows_checked < outcome.rows_staged
    failed = {r.rule.reason: r.rows_by_batch for r in outcome.failed}
    assert failed.get(reason) == {batch_id: [row_number]}, failed


def test_a_year_mismatch_outside_the_random_part_is_caught_though_no_column_is_at_its_edge(tmp_path, wh):
    """The year of a row is neither the smallest nor the largest session_year, nor is its date at
    an edge: only the extremes of session_year minus the year of session_date bring it in."""
    for clinic in ("c4a", "c4b", "c4c"):
        receive_and_stage(wh, new_batch(tmp_path / f"{clinic}-2026-01", clinic).write())
    wh.execute("update staging.sessions set session_date = session_date - to_years((rowid % 3)::int)")
    wh.execute("update staging.sessions set session_year = year(session_date)")
    batch_id, row_number, row_key = _off_sample_row(wh, "sessions", "rowid % 3 = 1 and rowid > 10")
    wh.execute("update staging.sessions set session_year = session_year - 1 where rowid = $k", {"k": row_key})
    years = wh.execute("select min(session_year), max(session_year), (select session_year from staging.sessions "
                       "where rowid = $k) from staging.sessions", {"k": row_key}).fetchall()[0]
    assert years[0] == years[2] < years[1]  # tied with many rows at the smallest year: not its edge row
    outcome = suites.check_new_batches(wh, "sessions", max_rows=1, today=TODAY)
    assert outcome.sampled
    assert {r.rule.reason: r.rows_by_batch for r in outcome.failed} == {"session_year_mismatch": {batch_id: [row_number]}}
