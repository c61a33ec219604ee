"""Writing the contract's two tables as a FHIR R4 Bulk Data export (for the demo, the tests and the
benchmark): Patient, Encounter, Procedure, Observation and Condition NDJSON files and a Bulk Data
manifest, the way an EHR's ``$export`` delivers them.

Vectorised with pyarrow (one string expression per resource type, no per-resource Python loop), so
a million encounters take seconds; the same tables always give the same bytes. Every Patient carries
a synthetic name, phone, address and medical record number, as real exports do, so that the tests
can prove none of it is ever read. The sessions need real dates (``session_date``): the export is
what the clinic's EHR holds; the reader turns them into day offsets again.
"""
from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.fhir.reader import SNOMED_CONDITIONS, SYSTEMS

__all__ = ["write_export", "AGE_OF_BAND"]

AGE_OF_BAND = {"18-29": 24, "30-44": 37, "45-64": 55, "65-89": 77, "90+": 92}
GENDER = {"F": "female", "M": "male", "X": "other", "U": "unknown"}
LOINC = {"pain_nrs": "72514-3", "gad7": "70274-6"}  # the registry's LOINC codes (measures.csv)
LOCAL_SYSTEM = "https://example.org/massage-outcomes/measure"  # instruments without a LOINC code
MASSAGE_SNOMED = "387854002"
OFFSET = "+01:00"  # the clinic's local time offset: the date part as written is the session date


def _join(*parts) -> pa.Array:
    return pc.binary_join_element_wise(*parts, "")


def _opt(values: pa.Array, prefix: str, suffix: str) -> pa.Array:
    """prefix + value + suffix where the value is given, else an empty string."""
    return pc.fill_null(_join(prefix, values, suffix), "")


def _stamps(dates: np.ndarray, minutes: np.ndarray) -> pa.Array:
    t = dates.astype("datetime64[m]") + minutes.astype("timedelta64[m]")
    return pa.array(np.char.add(np.datetime_as_string(t, unit="s").astype("U19"), OFFSET))


def _snomed_of_icd() -> dict[str, str]:
    with open(SNOMED_CONDITIONS, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    out: dict[str, str] = {}
    for r in rows:
        out.setdefault(r["icd10cm_code"], r["snomed_code"])
    return out


def _lookup(values: pa.Array, mapping: dict) -> pa.Array:
    """Each value's entry in a small mapping (null where it has none), vectorised."""
    idx = pc.index_in(values, value_set=pa.array(list(mapping), pa.string()))
    return pc.take(pa.array(list(mapping.values()), pa.string()), idx)


def _patients(sessions: pa.Table, ref_year: int) -> pa.Array:
    first = pc.unique(sessions["patient_id"]).sort()
    idx = pc.index_in(first, value_set=sessions["patient_id"])
    age = pc.take(sessions["age_band"], idx)
    sex = pc.take(sessions["sex"], idx)
    num = pc.utf8_lpad(pc.cast(pa.array(np.arange(1, len(first) + 1)), pa.string()), width=7, padding="0")
    birth = _lookup(age, {band: f"{ref_year - a}-06-15" for band, a in AGE_OF_BAND.items()})
    gender = _lookup(sex, GENDER)
    return _join(
        '{"resourceType":"Patient","id":"', first,
        '","identifier":[{"type":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v2-0203","code":"MR"}]},'
        '"system":"https://demo-clinic.example/mrn","value":"MRN', num, '"}],',
        '"name":[{"use":"official","family":"Demofamily', num, '","given":["Demogiven', num, '"]}],',
        '"telecom":[{"system":"phone","value":"555-01', pc.utf8_slice_codeunits(num, 3, 7), '","use":"home"},',
        '{"system":"email","value":"demo', num, '@mail.example"}],',
        _opt(gender, '"gender":"', '",'), _opt(birth, '"birthDate":"', '",'),
        '"address":[{"line":["', num, ' Demo Street"],"city":"Demotown","postalCode":"0', pc.utf8_slice_codeunits(num, 3, 7),
        '"}]}')


def _encounters(s: pa.Table, clinic_id: str, style: np.ndarray, start: pa.Array, end: pa.Array,
                snomed: pa.Array) -> pa.Array:
    icd = _join('[{"coding":[{"system":"', SYSTEMS["icd_system"], '","code":"', s["condition_code"], '"}]}]')
    sct = _join('[{"coding":[{"system":"', SYSTEMS["snomed_system"], '","code":"', snomed, '"}]}]')
    use_sct = pa.array((style == 1) & pc.is_valid(snomed).to_numpy(zero_copy_only=False))
    reason = pc.if_else(pa.array(style == 0), pa.nulls(len(s), pa.string()), pc.if_else(use_sct, sct, icd))
    cond_id = _join("cond-", s["patient_id"], "-", pc.replace_substring(s["condition_code"], ".", ""))
    reference = _join('"reasonReference":[{"reference":"Condition/', cond_id, '"}],')
    return _join(
        '{"resourceType":"Encounter","id":"enc-', s["session_id"], '","identifier":[{"system":"https://demo-clinic.example/visit","value":"V-',
        s["session_id"], '"}],"status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"AMB"},',
        '"subject":{"reference":"Patient/', s["patient_id"], '","display":"Demo patient"},',
        _opt(s["therapist_id"], '"participant":[{"individual":{"reference":"Practitioner/', '","display":"Demo therapist"}}],'),
        _opt(s["episode_id"] if "episode_id" in s.column_names else pa.nulls(len(s), pa.string()),
             '"episodeOfCare":[{"reference":"EpisodeOfCare/', '"}],'),
        '"period":{"start":"', start, '","end":"', end, '"},',
        _opt(reason, '"reasonCode":', ','), pc.if_else(pa.array(style == 0), reference, ""),
        '"serviceProvider":{"reference":"Organization?identifier=https://demo-network.example/clinic|', clinic_id, '"}}')


def _procedures(s: pa.Table, start: pa.Array, end: pa.Array) -> pa.Array:
    cpt = _join('{"system":"', SYSTEMS["cpt_system"], '","code":"', s["cpt_code"], '"}')
    sct = f'{{"system":"{SYSTEMS["snomed_system"]}","code":"{MASSAGE_SNOMED}","display":"Therapeutic massage"}}'
    return _join(
        '{"resourceType":"Procedure","id":"proc-', s["session_id"], '","status":"completed","code":{"coding":[',
        pc.fill_null(cpt, sct), ']},"subject":{"reference":"Patient/', s["patient_id"], '"},',
        '"encounter":{"reference":"Encounter/enc-', s["session_id"], '"},',
        '"performedPeriod":{"start":"', start, '","end":"', end, '"}}')


def _observations(m: pa.Table, s: pa.Table, pre: pa.Array, post: pa.Array) -> pa.Array:
    idx = pc.index_in(m["session_id"], s["session_id"])
    when = pc.if_else(pc.equal(m["timepoint"], "pre"), pc.take(pre, idx), pc.take(post, idx))
    loinc = _lookup(m["measure"], LOINC)
    coding = pc.if_else(pc.is_valid(loinc), _join('{"system":"http://loinc.org","code":"', loinc, '"}'),
                        _join('{"system":"', LOCAL_SYSTEM, '","code":"', m["measure"], '"}'))
    value = pc.cast(m["value"], pa.string())
    return _join(
        '{"resourceType":"Observation","id":"obs-', m["session_id"], "-", m["measure"], "-", m["timepoint"],
        '","status":"final","category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"survey"}]}],',
        '"code":{"coding":[', coding, ']},"subject":{"reference":"Patient/', pc.take(s["patient_id"], idx), '"},',
        '"encounter":{"reference":"Encounter/enc-', m["session_id"], '"},"effectiveDateTime":"', when, '",',
        '"valueQuantity":{"value":', value, ',"unit":"{score}","system":"http://unitsofmeasure.org","code":"{score}"}}')


def _conditions(s: pa.Table, style: np.ndarray) -> pa.Array:
    sel = s.filter(pa.array(style == 0)).select(["patient_id", "condition_code"])
    if sel.num_rows == 0:
        return pa.array([], pa.string())
    keys = pc.unique(_join(sel["patient_id"], "|", sel["condition_code"])).sort()
    patient = pc.list_element(pc.split_pattern(keys, "|"), 0)
    code = pc.list_element(pc.split_pattern(keys, "|"), 1)
    return _join(
        '{"resourceType":"Condition","id":"cond-', patient, "-", pc.replace_substring(code, ".", ""),
        '","clinicalStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/condition-clinical","code":"active"}]},',
        '"code":{"coding":[{"system":"', SYSTEMS["icd_system"], '","code":"', code, '"}]},"subject":{"reference":"Patient/', patient, '"}}')


def _write_lines(path: Path, lines: pa.Array, extra: list[str] = ()) -> int:
    """One resource a line: the string array's own data buffer, each value followed by a newline."""
    if isinstance(lines, pa.ChunkedArray):
        lines = lines.combine_chunks()
    lines = pa.concat_arrays([lines.cast(pa.large_string()), pa.array(list(extra), pa.large_string())])
    joined = pc.binary_join_element_wise(lines, pa.scalar("\n", pa.large_string()), pa.scalar("", pa.large_string()))
    with open(path, "wb") as fh:
        if len(joined):
            offsets = np.frombuffer(joined.buffers()[1], dtype=np.int64)[joined.offset:joined.offset + len(joined) + 1]
            fh.write(memoryview(joined.buffers()[2])[offsets[0]:offsets[-1]])
    return len(lines)


def write_export(folder: Path, sessions: pa.Table, measurements: pa.Table, clinic_id: str, transaction_time: str,
                 ref_year: int, extra: dict[str, list[str]] | None = None, export_id: str | None = None) -> dict:
    """Write one FHIR Bulk Data batch of these sessions (with ``session_date``) and their scores.

    ``extra`` adds raw NDJSON lines per resource type (the demo's few out-of-scope and broken
    resources). Returns the manifest written."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    n = sessions.num_rows
    i = np.arange(n)
    dates = sessions["session_date"].to_numpy(zero_copy_only=False).astype("datetime64[D]")
    begin = 8 * 60 + (i * 37) % 540
    dur = sessions["duration_min"].to_numpy(zero_copy_only=False).astype(np.int64)
    style = i % 5
    icd_to_sct = _snomed_of_icd()
    snomed = _lookup(sessions["condition_code"], icd_to_sct)
    files = {
        "Patient": _patients(sessions, ref_year),
        "Encounter": _encounters(sessions, clinic_id, style, _stamps(dates, begin - 10), _stamps(dates, begin + dur + 10), snomed),
        "Procedure": _procedures(sessions, _stamps(dates, begin), _stamps(dates, begin + dur)),
        "Observation": _observations(measurements, sessions, _stamps(dates, begin - 5), _stamps(dates, begin + dur + 5)),
        "Condition": _conditions(sessions, style),
    }
    output = []
    for rtype, lines in files.items():
        count = _write_lines(folder / f"{rtype}.ndjson", lines, (extra or {}).get(rtype, []))
        output.append({"type": rtype, "url": f"{rtype}.ndjson", "count": count})
    manifest = {"transactionTime": transaction_time, "request": "https://ehr.demo-network.example/fhir/Group/massage/$export",
                "requiresAccessToken": True, "output": output, "error": [],
                "extension": {"clinic_id": clinic_id, **({"export_id": export_id} if export_id else {})}}
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest
