"""Hand-built FHIR R4 Bulk Data batches for the reader's tests: a small valid export of one massage
clinic (two patients, three massage visits with pre and post pain scores), which each test changes
where its rule needs it, and the helpers that read back what the warehouse made of it."""
from __future__ import annotations

import copy
import hashlib
import hmac
import json
from pathlib import Path

from pipeline.fhir import keys

CPT = "http://www.ama-assn.org/go/cpt"
ICD = "http://hl7.org/fhir/sid/icd-10-cm"
SCT = "http://snomed.info/sct"
LOINC = "http://loinc.org"
SECRETS = ["Janelqa", "Roeschenthal", "555-867-5309", "jane.roe@mail.example", "12 Secret Lane", "02139", "MRN-778899",
           "999-12-3456", "1961-03-05"]


def patient(pid: str, gender: str = "female", birth: str | None = "1961-03-05") -> dict:
    out = {"resourceType": "Patient", "id": pid,
           "identifier": [{"system": "https://clinic.example/mrn", "value": "MRN-778899"},
                          {"system": "http://hl7.org/fhir/sid/us-ssn", "value": "999-12-3456"}],
           "name": [{"family": "Roeschenthal", "given": ["Janelqa"]}],
           "telecom": [{"system": "phone", "value": "555-867-5309"}, {"system": "email", "value": "jane.roe@mail.example"}],
           "gender": gender, "address": [{"line": ["12 Secret Lane"], "city": "Cambridge", "postalCode": "02139"}]}
    if birth:
        out["birthDate"] = birth
    return out


def coding(system: str, code: str) -> dict:
    return {"coding": [{"system": system, "code": code}]}


def encounter(eid: str, pid: str, day: str, minutes: int = 60, reason: dict | None = None, **extra) -> dict:
    out = {"resourceType": "Encounter", "id": eid, "status": "finished",
           "identifier": [{"system": "https://clinic.example/visit", "value": f"V{eid}"}],
           "subject": {"reference": f"Patient/{pid}", "display": "Janelqa Roeschenthal"},
           "participant": [{"individual": {"reference": "Practitioner/t1", "display": "Dr. Secret"}}],
           "episodeOfCare": [{"reference": "EpisodeOfCare/ep1"}],
           "period": {"start": f"{day}T09:00:00+02:00", "end": f"{day}T{9 + minutes // 60:02d}:{minutes % 60:02d}:00+02:00"},
           "reasonCode": [reason or coding(ICD, "M54.2")],
           "serviceProvider": {"reference": "Organization/org1"}}
    out.update(extra)
    return out


def procedure(prid: str, eid: str, day: str, minutes: int = 45, code: tuple[str, str] = (CPT, "97124"), **extra) -> dict:
    out = {"resourceType": "Procedure", "id": prid, "status": "completed", "code": coding(*code),
           "subject": {"reference": "Patient/x"}, "encounter": {"reference": f"Encounter/{eid}"},
           "performedPeriod": {"start": f"{day}T09:10:00+02:00", "end": f"{day}T{9 + (10 + minutes) // 60:02d}:{(10 + minutes) % 60:02d}:00+02:00"}}
    out.update(extra)
    return out


def observation(oid: str, eid: str, when: str, value: float | None = 6, loinc: str = "72514-3", **extra) -> dict:
    out = {"resourceType": "Observation", "id": oid, "status": "final", "code": coding(LOINC, loinc),
           "subject": {"reference": "Patient/x"}, "encounter": {"reference": f"Encounter/{eid}"},
           "effectiveDateTime": when}
    if value is not None:
        out["valueQuantity"] = {"value": value, "unit": "{score}"}
    out.update(extra)
    return out


def base() -> dict[str, list[dict]]:
    """Two patients, three massage visits (p1 on 3 and 10 March, p2 on 5 March), pain pre and post."""
    res = {"Patient": [patient("p1"), patient("p2", gender="male", birth="1935-01-01")],
           "Encounter": [], "Procedure": [], "Observation": []}
    for i, (pid, day) in enumerate((("p1", "2026-03-03"), ("p1", "2026-03-10"), ("p2", "2026-03-05")), 1):
        res["Encounter"].append(encounter(f"e{i}", pid, day))
        res["Procedure"].append(procedure(f"pr{i}", f"e{i}", day))
        res["Observation"].append(observation(f"o{i}a", f"e{i}", f"{day}T09:05:00+02:00", 7))
        res["Observation"].append(observation(f"o{i}b", f"e{i}", f"{day}T10:00:00+02:00", 4))
    return copy.deepcopy(res)


def write(folder: Path, resources: dict[str, list[dict]], counts: dict[str, int] | None = None,
          extension: dict | None = None, lines: dict[str, list[str]] | None = None) -> Path:
    """The batch folder: one NDJSON file per type and a Bulk Data manifest (counts as written, unless given)."""
    folder.mkdir(parents=True, exist_ok=True)
    output = []
    for rtype, items in resources.items():
        text = [json.dumps(r) for r in items] + list((lines or {}).get(rtype, []))
        (folder / f"{rtype}.ndjson").write_text("".join(t + "\n" for t in text), encoding="utf-8")
        output.append({"type": rtype, "url": f"https://ehr.example/fhir/bulk/{rtype}.ndjson",
                       "count": (counts or {}).get(rtype, len(text))})
    manifest = {"transactionTime": "2026-04-01T00:00:00Z", "request": "https://ehr.example/fhir/$export",
                "requiresAccessToken": True, "output": output, "error": []}
    if extension is not None:
        manifest["extension"] = extension
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return folder


def pseudonym(text: str) -> str:
    key = bytes.fromhex(keys.key_path().read_text().strip())
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()


def rows(con, sql: str, params: dict | None = None) -> list[dict]:
    cur = con.execute(sql, params or {})
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


def outcomes(con, batch_id: str) -> dict[tuple[str, str, str | None], int]:
    return {(t, o, r): n for t, o, r, n in con.execute(
        "select resource_type, outcome, reason, resources from audit.fhir_resources where batch_id = $b", {"b": batch_id}).fetchall()}


def assert_nothing_lost(con, batch_id: str, resources: dict[str, list]) -> None:
    """Per type: received = mapped + out of scope + quarantined; Encounter and Observation rows in raw =
    staged + quarantined rows."""
    got = outcomes(con, batch_id)
    for rtype, items in resources.items():
        assert sum(n for (t, _, _), n in got.items() if t == rtype) == len(items), (rtype, got)
    for rtype, table in (("Encounter", "sessions"), ("Observation", "measurements")):
        mapped = sum(n for (t, o, _), n in got.items() if t == rtype and o == "mapped")
        raw, staged, quar = con.execute(
            f"select (select count(*) from raw.{table} where _batch_id = $b), "  # constant table names
            f"(select count(*) from staging.{table} where _batch_id = $b), "
            f"(select count(*) from quarantine.{table} where _batch_id = $b)", {"b": batch_id}).fetchone()
        assert mapped == raw == staged + quar, (rtype, mapped, raw, staged, quar)
