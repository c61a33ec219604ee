"""The contract module: condition groups, frequency bands, identifying headers, registry."""
from __future__ import annotations

import pytest

from pipeline import balance, contract


@pytest.mark.parametrize("code, group", [
    ("M54.50", "low_back_pain"), ("M5450", "low_back_pain"), ("m54.16", "other"), ("M54.41", "low_back_pain"),
    ("M54.2", "neck_pain"), ("S13.4XXA", "neck_pain"), ("M25.511", "shoulder_pain"), ("M75.100", "shoulder_pain"),
    ("G44.209", "tension_headache"), ("M79.7", "fibromyalgia"), ("M79.18", "myofascial_pain"),
    ("M62.830", "myofascial_pain"), ("M62.81", "other"), ("M79.604", "other"),
])
def test_condition_groups_follow_the_longest_prefix(code, group):
    assert contract.condition_group(code) == group


@pytest.mark.parametrize("spw, band", [
    (None, "single_session"), (3.0, "twice_weekly"), (1.5, "twice_weekly"), (1.4999, "weekly"),
    (0.75, "weekly"), (0.7499, "fortnightly"), (0.35, "fortnightly"), (0.3499, "monthly"), (0.01, "monthly"),
])
def test_frequency_bands_are_inclusive_below(spw, band):
    assert contract.frequency_band(spw) == band


@pytest.mark.parametrize("header", [
    "name", "Patient Name", "first_name", "LastName", "E-mail", "email_address", "Phone", "phone-number",
    "Mobile", "Address", "street", "ZIP", "zip_code", "Postal Code", "DOB", "date_of_birth", "BirthDate",
    "SSN", "social_security_number", "MRN", "Medical Record Number",
])
def test_identifying_headers_are_caught_in_any_spelling(header):
    assert contract.identifying_header(header)


@pytest.mark.parametrize("header", contract.column_names("sessions") + contract.column_names("measurements") + ["zip3", "notes"])
def test_contract_and_harmless_headers_pass(header):
    assert not contract.identifying_header(header)


def test_registry_has_the_contracts_measures_with_sources():
    m = contract.measures()
    assert set(m) == {"pain_nrs", "ndi", "odi", "rmdq", "psfs", "promis_pi", "gad7", "rom_cervical_rotation"}
    assert (m["pain_nrs"].range_min, m["pain_nrs"].range_max, m["pain_nrs"].better, m["pain_nrs"].mcid) == (0, 10, "lower", 2)
    assert m["psfs"].better == "higher" and m["rom_cervical_rotation"].mcid == 10
    assert all(x.mcid_source for x in m.values())


def test_every_reason_code_has_plain_words():
    assert all(text and not text.endswith(".") for text in contract.REASONS.values())


def test_unbalanced_batches_names_what_was_lost_or_doubled():
    rows = [
        {"batch_id": "b1", "table_name": "sessions", "rows_raw": 10, "rows_staged": 8, "rows_quarantined": 2},
        {"batch_id": "b2", "table_name": "sessions", "rows_raw": 10, "rows_staged": 8, "rows_quarantined": 1},
        {"batch_id": "b3", "table_name": "measurements", "rows_raw": 5, "rows_staged": 5, "rows_quarantined": 1},
    ]
    assert balance.unbalanced_batches(rows) == [
        "b2 sessions: 10 rows received but 8 staged + 1 quarantined (1 lost)",
        "b3 measurements: 5 rows received but 5 staged + 1 quarantined (1 counted twice)",
    ]
    with pytest.raises(ValueError):
        balance.unbalanced_batches([{"batch_id": "b1"}])
