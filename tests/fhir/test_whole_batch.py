"""The whole-batch checks of a FHIR batch: a manifest count, a missing file or a line that is not JSON
rejects the batch (nothing loaded, one plain sentence, no value printed); a type the reader does not
use is only counted."""
from __future__ import annotations

from pipeline.cli import main

from tests.fhir import build as b
from tests.quality.conftest import counts, receive_and_stage


def _rejected(wh, capsys, folder, phrase):
    code = main(["validate", str(folder)])
    out, err = capsys.readouterr()
    assert code == 1 and "Traceback" not in out + err and phrase in out, out
    assert all(s not in out + err for s in b.SECRETS)
    batch = receive_and_stage(wh, folder)
    assert not batch.accepted and any(phrase in r for r in batch.reasons)
    assert sum(counts(wh, batch.batch_id).values()) == 0
    assert wh.execute("select count(*) from audit.fhir_resources").fetchone()[0] == 0
    return batch


def test_a_count_that_differs_from_the_lines_rejects_the_batch(wh, tmp_path, capsys):
    folder = b.write(tmp_path / "c-2026-03", b.base(), counts={"Observation": 7})
    _rejected(wh, capsys, folder, "Observation.ndjson has 6 lines but manifest.json says 7 (truncated or altered file)")


def test_a_listed_file_that_is_missing_rejects_the_batch(wh, tmp_path, capsys):
    folder = b.write(tmp_path / "c-2026-03", b.base())
    (folder / "Procedure.ndjson").unlink()
    _rejected(wh, capsys, folder, "manifest.json lists Procedure.ndjson, which is not in the batch")


def test_a_line_that_is_not_json_rejects_the_batch_without_quoting_it(wh, tmp_path, capsys):
    res = b.base()
    folder = b.write(tmp_path / "c-2026-03", res, lines={"Patient": ['{"resourceType":"Patient","id":"p9","name":[{"family":"Roeschenthal"']})
    batch = _rejected(wh, capsys, folder, "Patient.ndjson: 1 line is not a JSON resource (the first is resource line 3)")
    assert all("Roeschenthal" not in r for r in batch.reasons)


def test_a_manifest_without_transaction_time_rejects_and_a_type_not_read_is_counted(wh, tmp_path, capsys):
    res = b.base()
    res["Immunization"] = [{"resourceType": "Immunization", "id": "i1"}, {"resourceType": "Immunization", "id": "i2"}]
    folder = b.write(tmp_path / "c-2026-03", res)
    assert main(["validate", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "ACCEPTED (3 sessions, 6 measurements)" in out
    assert "Immunization: 2 resources out of scope (counted, not loaded): a resource type the reader does not use" in out
    manifest = (folder / "manifest.json").read_text().replace('"transactionTime"', '"when"')
    (folder / "manifest.json").write_text(manifest)
    _rejected(wh, capsys, folder, "manifest.json (a FHIR Bulk Data manifest) has no transactionTime")


def test_an_empty_export_is_accepted_with_no_rows(wh, tmp_path):
    folder = b.write(tmp_path / "c-2026-03", {"Patient": [], "Encounter": []})
    batch = receive_and_stage(wh, folder)
    assert batch.accepted and batch.fhir.sessions == 0


def test_a_type_in_several_files_is_read_whole_and_each_file_counted(wh, tmp_path):
    import json

    res = b.base()
    folder = b.write(tmp_path / "c-2026-03", {k: v for k, v in res.items() if k != "Observation"})
    half = len(res["Observation"]) // 2
    for i, part in enumerate((res["Observation"][:half], res["Observation"][half:])):
        (folder / f"Observation.{i:03d}.ndjson").write_text("".join(json.dumps(r) + "\n" for r in part))
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["output"] += [{"type": "Observation", "url": f"Observation.{i:03d}.ndjson", "count": half} for i in range(2)]
    (folder / "manifest.json").write_text(json.dumps(manifest))
    batch = receive_and_stage(wh, folder)
    assert batch.accepted, batch.reasons
    assert batch.fhir.measurements == len(res["Observation"])
    files = dict(wh.execute("select file_name, rows from audit.batch_files where format = 'ndjson'").fetchall())
    assert files["Observation.000.ndjson"] == files["Observation.001.ndjson"] == half
    b.assert_nothing_lost(wh, batch.batch_id, res)
