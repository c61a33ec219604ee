"""The reader on a real export (Synthea's general-practice patient: no massage), and the privacy promise
end to end: after ``outcomes demo`` + ``outcomes run`` over FHIR batches that carry names, addresses,
phones, e-mails, SSNs, record numbers and server ids, none of them is in any table or column of the
warehouse, in any line the commands print, or in any report file."""
from __future__ import annotations

import json
import re
from pathlib import Path

import duckdb
import pytest

from pipeline.cli import main

from tests.fhir import build as b
from tests.quality.conftest import receive_and_stage

SYNTHEA_FILES = ("Patient", "Encounter", "Procedure", "Observation", "Condition")


@pytest.fixture()
def synthea(reference_dir, tmp_path) -> Path:
    src = reference_dir / "fhir" / "synthea-1-patient"
    if not src.is_dir():
        pytest.skip(f"{src} is missing")
    folder = tmp_path / "synthea-2026-11"
    folder.mkdir()
    output = []
    for name in SYNTHEA_FILES:  # the real files, byte for byte; the manifest is ours (the export has none)
        data = (src / f"{name}.ndjson").read_bytes()
        (folder / f"{name}.ndjson").write_bytes(data)
        output.append({"type": name, "url": f"https://synthea.example/fhir/bulk/{name}.ndjson",
                       "count": sum(1 for line in data.splitlines() if line.strip())})
    (folder / "manifest.json").write_text(json.dumps({
        "transactionTime": "2026-11-01T00:00:00Z", "request": "https://synthea.example/fhir/$export",
        "requiresAccessToken": False, "output": output, "error": []}))
    return folder


def _secrets_of(folder: Path) -> set[str]:
    """Every identifying value of an export's files: names, telecom, addresses, identifiers, birth
    dates and the server's resource ids (long enough not to occur by chance)."""
    found: set[str] = set()
    for path in folder.glob("*.ndjson"):
        for line in path.read_text(encoding="utf-8").splitlines():
            r = json.loads(line)
            if len(r.get("id", "")) >= 6:
                found.add(r["id"])
            if r.get("resourceType") == "Patient":
                for n in r.get("name", []):
                    found.update([n.get("family", "")] + n.get("given", []))
                found.update(t["value"] for t in r.get("telecom", []))
                for a in r.get("address", []):
                    found.update(a.get("line", []) + [a.get("city", ""), a.get("postalCode", "")])
                found.update(i["value"] for i in r.get("identifier", []))
                found.add(r.get("birthDate", ""))
    return {s for s in found if len(s) >= 5}


def test_the_synthea_export_is_accepted_with_no_session_and_everything_counted(wh, synthea):
    batch = receive_and_stage(wh, synthea)
    assert batch.accepted, batch.reasons
    assert batch.fhir.sessions == 0 and batch.fhir.measurements == 0
    out = b.outcomes(wh, batch.batch_id)
    assert out == {
        ("Patient", "out_of_scope", "no massage session"): 1,
        ("Encounter", "out_of_scope", "no massage procedure points to it"): 75,
        ("Procedure", "out_of_scope", "not a massage code of the project's code table"): 78,
        ("Condition", "out_of_scope", "not the reason of a massage session"): 68,
        ("Observation", "out_of_scope", "its code is not a measure of the registry"): 156,
        # its 11 pain scores and 7 GAD-7 scores are of general-practice visits, not massage sessions
        ("Observation", "out_of_scope", "its encounter is not a massage session"): 18,
    }
    assert wh.execute("select count(*) from raw.sessions").fetchone()[0] == 0


def _warehouse_text(path: Path) -> str:
    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = con.execute("select table_schema, table_name from information_schema.tables "
                             "where table_catalog = current_database()").fetchall()
        chunks = [f"{s}.{t}" for s, t in tables]
        for schema, table in tables:
            chunks.append(repr(con.execute(f'select * from "{schema}"."{table}"').fetchall()))  # names from the catalog
        return "\n".join(chunks)
    finally:
        con.close()


def test_no_identifier_of_the_inputs_lands_anywhere(tmp_path, capsys, synthea):
    inbox = tmp_path / "inbox"
    assert main(["demo", "--out", str(inbox), "--clinics", "8", "--patients", "400", "--seed", "3"]) == 0
    fhir_clinic = sorted(p for p in inbox.iterdir() if (p / "Encounter.ndjson").is_file())
    assert fhir_clinic, "the demo writes one clinic of eight as FHIR Bulk Data exports"
    synthea.rename(inbox / synthea.name)
    own = b.base()
    for r in own["Patient"]:
        r["id"] = f"srv-patient-{r['id']}-7f3a91"
    for r in own["Encounter"]:
        r["subject"]["reference"] = f"Patient/srv-patient-{r['subject']['reference'][8:]}-7f3a91"
    b.write(inbox / "c-hand-2026-03", own, extension={"clinic_id": "c-hand"})
    secrets = set(b.SECRETS) | _secrets_of(inbox / "c-hand-2026-03") | _secrets_of(inbox / synthea.name)
    for folder in fhir_clinic:
        secrets |= _secrets_of(folder)
    secrets -= {"2026-03-05"}  # not an identifier: a session date the synthetic records share with other rows
    assert len(secrets) > 100
    code = main(["run", "--inbox", str(inbox), "--warehouse", str(tmp_path / "w.duckdb"),
                 "--reports", str(tmp_path / "reports")])
    out, err = capsys.readouterr()
    assert code == 0, out + err
    logs = out + err
    text = _warehouse_text(tmp_path / "w.duckdb")
    reports = "\n".join(p.read_bytes().decode("utf-8", errors="replace")
                        for p in (tmp_path / "reports").rglob("*") if p.is_file())
    beside = "\n".join(p.name for p in tmp_path.iterdir())
    # whole tokens only: a 5-digit postal code may occur inside a hex pseudonym by chance
    pattern = re.compile(r"(?<![0-9A-Za-z])(" + "|".join(map(re.escape, sorted(secrets, key=len, reverse=True)))
                         + r")(?![0-9A-Za-z])")
    for where, body in (("the warehouse", text), ("the log", logs), ("the reports", reports), ("its folder", beside)):
        leaked = sorted(set(pattern.findall(body)))
        assert not leaked, f"{len(leaked)} identifiers in {where}, e.g. {leaked[:3]}"
    assert re.search(r"accepted", logs)
    con = duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True)
    fhir_sessions = con.execute("select count(*) from staging.sessions where clinic_id = 'c007'").fetchone()[0]
    con.close()
    assert fhir_sessions > 0


def test_smart_sample_scores_without_their_encounters_are_quarantined_as_broken_references(wh, reference_dir, tmp_path):
    src = reference_dir / "fhir" / "smart_bulk_sample_pain_obs_lines.ndjson"
    if not src.is_file():
        pytest.skip(f"{src} is missing")
    folder = tmp_path / "smart-2026-11"
    folder.mkdir()
    (folder / "Observation.ndjson").write_bytes(src.read_bytes())
    (folder / "manifest.json").write_text(json.dumps({
        "transactionTime": "2026-11-01T00:00:00Z", "request": "https://smart.example/fhir/$export",
        "output": [{"type": "Observation", "url": "Observation.ndjson", "count": 2}]}))
    batch = receive_and_stage(wh, folder)
    assert batch.accepted, batch.reasons
    # two real LOINC 72514-3 pain scores whose Encounters are not in the export: no row can be made of them
    assert b.outcomes(wh, batch.batch_id) == {("Observation", "quarantined", "fhir_encounter_unresolved"): 2}
    q = wh.execute("select resource_type, reasons from quarantine.fhir_resources").fetchall()
    assert q == [("Observation", ["fhir_encounter_unresolved"])] * 2
    assert "0bee1bc6" not in repr(wh.execute("select * from quarantine.fhir_resources").fetchall())
