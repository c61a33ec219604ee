"""Every rule of the contract's FHIR mapping (contract section 1), on hand-built resources: what lands in
raw and staging, what is quarantined with which reason, what is counted out of scope."""
from __future__ import annotations

import pytest

from tests.fhir import build as b
from tests.quality.conftest import quarantined, receive_and_stage


def _load(wh, tmp_path, res, name="c-fhir-2026-03", **kw):
    batch = receive_and_stage(wh, b.write(tmp_path / name, res, **kw))
    assert batch.accepted, batch.reasons
    b.assert_nothing_lost(wh, batch.batch_id, res)
    return batch


def _sessions(wh, batch_id):
    return b.rows(wh, "select * from raw.sessions where _batch_id = $b order by _row_number", {"b": batch_id})


def test_a_massage_encounter_becomes_a_session_with_pseudonyms_and_day_offsets(wh, tmp_path):
    batch = _load(wh, tmp_path, b.base(), extension={"clinic_id": "c-fhir"})
    s = b.rows(wh, "select * from staging.sessions order by _row_number")
    assert len(s) == 3
    first = s[0]
    assert first["clinic_id"] == "c-fhir" and batch.clinic_id == "c-fhir"
    assert first["patient_id"] == b.pseudonym("Patient/p1") and s[2]["patient_id"] == b.pseudonym("Patient/p2")
    assert first["session_id"] == b.pseudonym("Encounter/e1")
    assert first["episode_id"] == b.pseudonym("EpisodeOfCare/ep1")
    assert first["therapist_id"] == b.pseudonym("Practitioner/t1")
    assert [x["session_day"] for x in s] == [0, 7, 0] and {x["session_year"] for x in s} == {2026}
    assert all(x["session_date"] is None for x in s)  # Safe Harbor: no date
    assert [x["duration_min"] for x in s] == [45, 45, 45]  # the Procedure's performedPeriod
    assert {x["condition_code"] for x in s} == {"M542"} and {x["cpt_code"] for x in s} == {"97124"}
    assert [x["sex"] for x in s] == ["F", "F", "M"]
    assert [x["age_band"] for x in s] == ["45-64", "65-89", "90+"]  # born 1961-03-05: 64, then 65 on 10 March; 1935: 91
    m = b.rows(wh, "select session_id, measure, timepoint, value from staging.measurements order by _row_number")
    assert [(x["measure"], x["timepoint"], x["value"]) for x in m[:2]] == [("pain_nrs", "pre", 7.0), ("pain_nrs", "post", 4.0)]
    assert b.outcomes(wh, batch.batch_id)[("Patient", "mapped", None)] == 2
    files = wh.execute("select table_name, file_name, format, rows from audit.batch_files order by all").fetchall()
    assert ("sessions", "manifest.json", "fhir", 3) in files and ("measurements", "manifest.json", "fhir", 6) in files
    assert ("Encounter", "Encounter.ndjson", "ndjson", 3) in files  # each NDJSON file, with its lines


def test_clinic_id_is_the_service_provider_without_a_manifest_clinic(wh, tmp_path):
    res = b.base()
    res["Encounter"][1]["serviceProvider"] = {"reference": "Organization?identifier=https://npi.example|123"}
    res["Encounter"][2]["serviceProvider"] = {"reference": "Organization?identifier=https://npi.example|456"}
    res["Organization"] = [{"resourceType": "Organization", "id": "org2", "name": "Secret Clinic",
                            "identifier": [{"system": "https://npi.example", "value": "456"}]}]
    batch = _load(wh, tmp_path, res)
    clinics = [x["clinic_id"] for x in _sessions(wh, batch.batch_id)]
    # a plain id as is; a conditional reference resolved against the export's Organization; else a pseudonym
    assert clinics == ["org1", b.pseudonym("Organization?identifier=https://npi.example|123"), "org2"]
    assert b.outcomes(wh, batch.batch_id)[("Organization", "mapped", None)] == 1


def test_duration_from_the_encounter_without_procedure_times_and_quarantined_without_either(wh, tmp_path):
    res = b.base()
    del res["Procedure"][0]["performedPeriod"]
    del res["Procedure"][1]["performedPeriod"]
    del res["Encounter"][1]["period"]["end"]
    batch = _load(wh, tmp_path, res)
    s = _sessions(wh, batch.batch_id)
    assert [x["duration_min"] for x in s] == ["60", None, "45"]
    assert quarantined(wh, batch.batch_id)[("sessions", 2)] == {"duration_missing"}
    assert b.outcomes(wh, batch.batch_id)[
        ("Encounter", "mapped", "neither its massage Procedure nor it has a period: no duration")] == 1


def test_condition_codes_icd_first_then_snomed_through_the_table(wh, tmp_path):
    res = b.base()
    res["Encounter"][0]["reasonCode"] = [{"coding": [{"system": b.SCT, "code": "279039007"},
                                                     {"system": b.ICD, "code": "M54.50"}]}]
    res["Encounter"][1]["reasonCode"] = [b.coding(b.SCT, "81680005")]
    res["Encounter"][2]["reasonCode"] = [b.coding(b.SCT, "22253000")]  # Pain (finding): not in the table
    batch = _load(wh, tmp_path, res)
    assert [x["condition_code"] for x in _sessions(wh, batch.batch_id)] == ["M54.50", "M54.2", "SCT:22253000"]
    assert quarantined(wh, batch.batch_id)[("sessions", 3)] == {"condition_code_invalid"}


def test_reason_reference_to_a_condition_of_the_export(wh, tmp_path):
    res = b.base()
    for i, ref in enumerate(("Condition/c1", "urn:uuid:c2", "Condition/missing")):
        del res["Encounter"][i]["reasonCode"]
        res["Encounter"][i]["reasonReference"] = [{"reference": ref}]
    res["Condition"] = [
        {"resourceType": "Condition", "id": "c1", "code": b.coding(b.SCT, "203082005")},
        {"resourceType": "Condition", "id": "c2", "code": b.coding(b.ICD, "G44.209")},
        {"resourceType": "Condition", "id": "c3", "code": b.coding(b.ICD, "M79.7"),
         "verificationStatus": {"coding": [{"code": "entered-in-error"}]}},
    ]
    batch = _load(wh, tmp_path, res)
    assert [x["condition_code"] for x in _sessions(wh, batch.batch_id)] == ["M79.7", "G44.209", None]
    assert quarantined(wh, batch.batch_id)[("sessions", 3)] == {"condition_code_missing"}
    out = b.outcomes(wh, batch.batch_id)
    assert out[("Condition", "mapped", None)] == 2 and out[("Condition", "out_of_scope", "entered-in-error")] == 1
    assert out[("Encounter", "mapped", "its reasonReference is not a Condition of the export")] == 1


def test_out_of_scope_resources_are_counted_not_loaded(wh, tmp_path):
    res = b.base()
    res["Encounter"] += [b.encounter("e4", "p1", "2026-03-12"),  # no procedure points to it
                         b.encounter("e5", "p1", "2026-03-13", status="in-progress"),
                         b.encounter("e6", "p1", "2026-03-14", status="entered-in-error")]
    res["Procedure"] += [b.procedure("pr5", "e5", "2026-03-13"), b.procedure("pr6", "e6", "2026-03-14"),
                         b.procedure("pr7", "e1", "2026-03-03", code=(b.SCT, "229064008")),  # movement therapy
                         b.procedure("pr8", "e2", "2026-03-10", status="not-done")]
    res["Observation"] += [b.observation("o9", "e1", "2026-03-03T10:00:00+02:00", 120, loinc="8867-4"),  # heart rate
                           b.observation("o10", "e1", "2026-03-03T10:00:00+02:00", 3, status="preliminary"),
                           b.observation("o11", "e1", "2026-03-03T10:00:00+02:00", 3, status="entered-in-error"),
                           b.observation("o12", "e4", "2026-03-12T10:00:00+02:00", 3)]
    res["Immunization"] = [{"resourceType": "Immunization", "id": "i1", "patient": {"reference": "Patient/p1"}}]
    batch = _load(wh, tmp_path, res)
    out = b.outcomes(wh, batch.batch_id)
    assert out[("Encounter", "out_of_scope", "no massage procedure points to it")] == 1
    assert out[("Encounter", "out_of_scope", "not finished")] == 1
    assert out[("Encounter", "out_of_scope", "entered-in-error")] == 1
    assert out[("Procedure", "out_of_scope", "its encounter is not a massage session")] == 2
    assert out[("Procedure", "out_of_scope", "not a massage code of the project's code table")] == 1
    assert out[("Procedure", "out_of_scope", "not completed")] == 1
    assert out[("Observation", "out_of_scope", "its code is not a measure of the registry")] == 1
    assert out[("Observation", "out_of_scope", "not final or amended")] == 1
    assert out[("Observation", "out_of_scope", "entered-in-error")] == 1
    assert out[("Observation", "out_of_scope", "its encounter is not a massage session")] == 1
    assert out[("Immunization", "out_of_scope", "a resource type the reader does not use")] == 1
    assert wh.execute("select count(*) from raw.sessions").fetchone()[0] == 3


def test_timepoints_from_procedure_times_or_order(wh, tmp_path):
    res = b.base()
    res["Observation"][1]["effectiveDateTime"] = "2026-03-03T09:30:00+02:00"  # during the massage
    for p in res["Procedure"][1:]:
        del p["performedPeriod"]
    res["Observation"][2]["effectiveDateTime"] = "2026-03-10T11:00:00+02:00"  # later one first in the file
    res["Observation"][3]["effectiveDateTime"] = "2026-03-10T08:00:00+02:00"
    batch = _load(wh, tmp_path, res)
    m = b.rows(wh, "select timepoint, value from raw.measurements where _batch_id = $b order by _row_number",
               {"b": batch.batch_id})
    assert [x["timepoint"] for x in m] == ["pre", "during", "post", "pre", "pre", "post"]
    assert quarantined(wh, batch.batch_id)[("measurements", 2)] == {"timepoint_invalid"}


def test_values_integer_missing_and_out_of_range(wh, tmp_path):
    res = b.base()
    del res["Observation"][0]["valueQuantity"]
    res["Observation"][0]["valueInteger"] = 8
    del res["Observation"][1]["valueQuantity"]
    res["Observation"][2]["valueQuantity"] = {"value": 11}
    batch = _load(wh, tmp_path, res)
    m = b.rows(wh, "select value from raw.measurements where _batch_id = $b order by _row_number", {"b": batch.batch_id})
    assert [x["value"] for x in m][:3] == ["8", None, "11"]
    q = quarantined(wh, batch.batch_id)
    assert q[("measurements", 2)] == {"value_missing"} and q[("measurements", 3)] == {"value_out_of_range"}


@pytest.mark.parametrize("ref", ["urn:uuid:p1", "https://ehr.example/fhir/Patient/p1/_history/3"])
def test_urn_and_absolute_references_resolve(wh, tmp_path, ref):
    res = b.base()
    res["Encounter"][0]["subject"] = {"reference": ref}
    res["Procedure"][0]["encounter"] = {"reference": "urn:uuid:e1"}
    res["Observation"][0]["encounter"] = {"reference": "Encounter?identifier=https://clinic.example/visit|Ve1"}
    batch = _load(wh, tmp_path, res)
    assert _sessions(wh, batch.batch_id)[0]["patient_id"] == b.pseudonym("Patient/p1")
    assert quarantined(wh, batch.batch_id) == {}


def test_broken_references_are_quarantined_or_explained(wh, tmp_path):
    res = b.base()
    res["Encounter"][2]["subject"] = {"reference": "Patient?identifier=https://clinic.example/mrn|MRN-778899"}
    res["Observation"][0]["encounter"] = {"reference": "Encounter/not-exported"}
    del res["Observation"][1]["encounter"]
    res["Procedure"].append(b.procedure("pr9", "gone", "2026-03-03"))
    batch = _load(wh, tmp_path, res)
    q = b.rows(wh, "select resource_type, resource_id, reasons from quarantine.fhir_resources order by resource_type, _row_number")
    assert [(x["resource_type"], x["reasons"]) for x in q] == [
        ("Observation", ["fhir_encounter_unresolved"]), ("Observation", ["fhir_encounter_missing"]),
        ("Procedure", ["fhir_encounter_unresolved"])]
    assert q[0]["resource_id"] == b.pseudonym("Observation/o1a")
    # a conditional reference to a Patient cannot resolve (patient identifiers are never read)
    # (and without a patient there is no first day to count session_day from)
    assert quarantined(wh, batch.batch_id)[("sessions", 3)] == {"patient_id_missing", "session_date_missing"}
    assert quarantined(wh, batch.batch_id)[("measurements", 3)] == {"session_quarantined"}
    out = b.outcomes(wh, batch.batch_id)
    assert out[("Encounter", "mapped", "its subject is not a Patient of the export")] == 1
    assert out[("Patient", "out_of_scope", "no massage session")] == 1


def test_days_count_from_the_first_massage_encounter_in_earlier_batches(wh, tmp_path):
    first = b.base()
    _load(wh, tmp_path, first, "c-fhir-2026-03")
    later = {"Patient": [b.patient("p1")], "Encounter": [b.encounter("e7", "p1", "2026-04-07")],
             "Procedure": [b.procedure("pr7", "e7", "2026-04-07")],
             "Observation": [b.observation("o7", "e7", "2026-04-07T09:05:00+02:00", 5)]}
    batch = _load(wh, tmp_path, later, "c-fhir-2026-04")
    assert _sessions(wh, batch.batch_id)[0]["session_day"] == "35"  # since 3 March
    anchors = wh.execute("select * from audit.fhir_anchors").fetchall()
    assert len(anchors) == 2 and all("2026" not in str(v) for row in anchors for v in row)


def test_the_same_export_twice_is_loaded_once_and_a_reexport_replaces_it(wh, tmp_path):
    res = b.base()
    folder = b.write(tmp_path / "c-fhir-2026-03", res, extension={"export_id": "x-1"})
    assert receive_and_stage(wh, folder).accepted
    assert receive_and_stage(wh, folder) is None
    res["Observation"].pop()
    folder2 = b.write(tmp_path / "again", res, extension={"export_id": "x-1"})
    batch = receive_and_stage(wh, folder2)
    assert batch.accepted and any("replaces" in w for w in batch.warnings)
    assert sum(b.outcomes(wh, "x-1").values()) == sum(len(v) for v in res.values())
    b.assert_nothing_lost(wh, "x-1", res)
