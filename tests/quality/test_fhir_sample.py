"""The lesson of a real FHIR export: it carries names, addresses, phone numbers, SSNs.

The Synthea patient of shared/reference/fhir (a FHIR R4 Bulk Data export) is flattened the way
a practice system's "export to CSV" does it, and its columns are appended to an otherwise valid
sessions file: the batch must be rejected for every identifying column, nothing loaded, and
not one of the patient's values printed. Its flat pain-score export is no contract file either.
"""
from __future__ import annotations

import json

import pytest

from pipeline import contract
from pipeline.cli import main

from tests.quality.batches import new_batch
from tests.quality.conftest import counts, receive_and_stage


def _flatten(obj, prefix: str = "") -> dict:
    """FHIR JSON to columns: nested keys joined by '.', list items numbered after the first."""
    out = {}
    if isinstance(obj, dict):
        for key, value in obj.items():
            out.update(_flatten(value, f"{prefix}.{key}" if prefix else key))
    elif isinstance(obj, list):
        for i, item in enumerate(obj):
            out.update(_flatten(item, prefix if i == 0 else f"{prefix}{i + 1}"))
    else:
        out[prefix] = "" if obj is None else str(obj)
    return out


@pytest.fixture(scope="module")
def patient(reference_dir):
    path = reference_dir / "fhir" / "synthea-1-patient" / "Patient.ndjson"
    if not path.is_file():
        pytest.skip(f"{path} is missing")
    return json.loads(path.read_text(encoding="utf-8").splitlines()[0])


def test_a_flattened_fhir_patient_is_rejected_and_never_printed(tmp_path, capsys, wh, patient):
    columns = _flatten(patient)
    batch = new_batch(tmp_path / "c-fhir-2026-01", "cfhir")
    for column, value in columns.items():
        batch.session_header.append(column)
        for row in batch.sessions:
            row[column] = value
    folder = batch.write()

    code = main(["validate", str(folder)])
    out, err = capsys.readouterr()
    assert code == 1 and "Traceback" not in out + err
    secrets = [patient["name"][0]["family"], patient["name"][0]["given"][0], patient["telecom"][0]["value"],
               patient["address"][0]["line"][0], patient["address"][0]["postalCode"], patient["birthDate"],
               patient["address"][0]["city"]]
    secrets += [i["value"] for i in patient["identifier"]]  # MRN, SSN, driver's licence, passport
    assert all(s and s not in out + err for s in secrets)

    flagged = [c for c in columns if contract.identifying_header(c)]
    assert {"name.family", "name.given", "telecom.value", "address.line", "address.postalCode", "address.city",
            "birthDate", "identifier.value"} <= set(flagged)
    received = receive_and_stage(wh, folder)
    assert not received.accepted
    assert sum("looks like a direct identifier" in r for r in received.reasons) == len(flagged)
    assert sum(counts(wh, received.batch_id).values()) == 0


def test_the_flat_pain_score_export_is_not_a_contract_file(tmp_path, capsys, reference_dir):
    flat = reference_dir / "fhir" / "synthea-1-patient" / "pain_72514-3_flat.csv"
    if not flat.is_file():
        pytest.skip(f"{flat} is missing")
    batch = new_batch(tmp_path / "c-flat-2026-01", "cflat")
    batch.raw_bytes["measurements"] = flat.read_bytes()
    folder = batch.write()
    code = main(["validate", str(folder)])
    out, err = capsys.readouterr()
    assert code == 1 and "Traceback" not in out + err
    assert "measurements.csv has no header row with the contract's columns" in out
    assert "913e9363" not in out  # the patient reference is not printed either
