"""Evidence packs: the JSON follows its schema and carries the HTML's numbers; the PDF exists."""
from __future__ import annotations

import json
import re
import shutil
import subprocess

import jsonschema
import pytest

from pipeline.reports import evidence, fmt
from tests.reports.htmlcells import cells

FIELDS = ("n", "baseline", "final", "improvement", "r_pre_post", "d_z", "g_z", "smcr", "wilcoxon_p", "q_value",
          "responders", "responder_rate")


def packs(run) -> dict[str, dict]:
    found = sorted((run.reports / "evidence").glob("*.json"))
    return {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in found if p.name != evidence.SCHEMA_PATH.name}


def test_the_schema_is_published_beside_the_packs(demo):
    assert json.loads((demo.reports / "evidence" / evidence.SCHEMA_PATH.name).read_text()) == evidence.schema()


def test_the_schema_is_valid_draft_2020_12():
    schema = evidence.schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)


@pytest.mark.parametrize("which", ["demo", "bare", "hub"])
def test_every_pack_follows_the_schema(which, request):
    run = request.getfixturevalue(which)
    found = packs(run)
    assert found, "no evidence pack was written"
    validator = jsonschema.Draft202012Validator(evidence.schema())
    for name, content in found.items():
        errors = sorted(validator.iter_errors(content), key=lambda e: list(e.path))
        assert not errors, f"{name}.json: {errors[0].message} at {list(errors[0].path)}"
        assert content["condition_group"] == name


def test_the_schema_rejects_a_pack_with_a_missing_figure(demo):
    content = next(iter(packs(demo).values()))
    del content["measures"][0]["bands"][0]["g_z"]
    with pytest.raises(jsonschema.ValidationError):
        evidence.validate(content)


@pytest.mark.parametrize("which", ["demo", "bare"])
def test_json_and_html_carry_the_same_numbers(which, request):
    run = request.getfixturevalue(which)
    min_n = run.min_n
    for name, content in packs(run).items():
        shown = cells((run.reports / "evidence" / f"{name}.html").read_text(encoding="utf-8"))
        for block in content["measures"]:
            for cell in block["bands"]:
                html = shown[(block["code"], cell["frequency_band"])]
                if cell["suppressed"]:
                    assert html == {"suppressed": fmt.suppressed_label(min_n)}, (name, block["code"], cell)
                    continue
                expected = fmt.effect_row(cell, min_n)
                for field in FIELDS:
                    if field in ("responders", "responder_rate") and cell["responders"] is None:
                        assert html["suppressed"] == fmt.suppressed_label(min_n)
                        continue
                    assert html[field] == expected[field], (name, block["code"], cell["frequency_band"], field)


def test_pack_provenance_matches_the_audit_tables(demo):
    import duckdb

    con = duckdb.connect(str(demo.warehouse), read_only=True)
    try:
        accepted = {r[0]: r[1] for r in con.execute(
            "select batch_id, sha256 from audit.batches where status = 'accepted'").fetchall()}
        files = {r[0] for r in con.execute("select file_sha256 from audit.batch_files").fetchall()}
    finally:
        con.close()
    for content in packs(demo).values():
        prov = content["provenance"]
        assert {b["batch_id"]: b["sha256"] for b in prov["batches"]} == accepted
        assert {f["sha256"] for b in prov["batches"] for f in b["files"]} <= files
        assert prov["software"]["plotly"] and prov["code_version"]
        assert prov["checks"]["batches_balanced"] == prov["checks"]["batches_checked"] == len(accepted)


def test_a_hub_pack_lists_every_merged_site(hub, demo):
    """A merged network's pack says, per site: its name, code version and commit, its batches (as
    its manifest has them), its registry, when it exported and the sha256 of its aggregates file."""
    from pipeline.aggregates import format as aggfmt

    site_file = hub.root / "site-demo.aggregates.zip"
    manifest = aggfmt.read(site_file).manifest
    assert all(p["provenance"]["sites"] == [] for p in packs(demo).values())  # not a hub: no site
    found = packs(hub)
    assert found
    for name, content in found.items():
        evidence.validate(content)
        (site,) = content["provenance"]["sites"]
        assert site["site_id"] == "site-demo" and site["file_name"] == site_file.name
        assert site["file_sha256"] == aggfmt.file_sha256(site_file)
        assert site["registry_sha256"] == manifest["registry_sha256"]
        code = manifest["code"]
        assert (site["package_version"], site["code_version"], site["git_commit"]) == \
            (code["version"], code["code_version"], code["git_commit"])
        assert site["exported_at"].replace(" ", "T") + "Z" == manifest["exported_at"]
        assert site["batches"] == [{k: b[k] for k in ("batch_id", "sha256", "status")} for b in manifest["batches"]]
        assert site["batch_count"] == len(manifest["batches"]) > 0
        assert content["settings"]["episode_gap_days"] == manifest["settings"]["episode_gap_days"]
        html = (hub.reports / "evidence" / f"{name}.html").read_text(encoding="utf-8")
        row = re.search(r'<tr data-site="site-demo">(.*?)</tr>', html, re.S)
        assert row and site["code_version"] in row.group(1) and site["file_sha256"] in row.group(1)
        assert f'<td class="num">{site["batch_count"]}</td>' in row.group(1)
        assert "Merged sites" in html and "the hub's" in html


def test_the_insurer_bundle_names_a_sites_batches_anonymously(hub, tmp_path):
    from unittest import mock

    from pipeline.reports import browser
    from pipeline.reports.publish import publish

    def no_browser():
        raise browser.BrowserMissing("not needed")

    with mock.patch.object(browser, "find_browser", no_browser):
        publish(hub.warehouse, tmp_path / "out")
    real = {b["batch_id"] for p in packs(hub).values() for s in p["provenance"]["sites"] for b in s["batches"]}
    for path in sorted((tmp_path / "out" / "insurer" / "evidence").glob("*.json")):
        if path.name == evidence.SCHEMA_PATH.name:
            continue
        content = json.loads(path.read_text(encoding="utf-8"))
        evidence.validate(content)
        (site,) = content["provenance"]["sites"]
        names = {b["batch_id"] for b in site["batches"]}
        assert names and not names & real and all(n.startswith("Clinic ") for n in names), names
        assert {b["batch_id"] for b in content["provenance"]["batches"]} <= names
    for folder in (tmp_path / "out" / "clinics").iterdir():  # a clinic's bundle: no other site's list
        assert "site-demo" not in "".join(p.read_text(errors="replace") for p in folder.rglob("*.json"))


def test_pooled_and_dose_response_appear_only_when_their_marts_exist(demo, bare):
    assert all(b["pooled"] is None and b["dose_response"] is None for p in packs(bare).values() for b in p["measures"])
    full = packs(demo)
    assert any(b["pooled"] for p in full.values() for b in p["measures"])
    assert any(b["dose_response"] for p in full.values() for b in p["measures"])
    name = next(n for n, p in full.items() if any(b["pooled"] and b["dose_response"] for b in p["measures"]))
    html = (demo.reports / "evidence" / f"{name}.html").read_text(encoding="utf-8")
    assert "the pooled estimate" in html and "Dose-response" in html and "rma(method = &#34;REML&#34;)" in html
    plain = (bare.reports / "evidence" / f"{name}.html").read_text(encoding="utf-8")
    assert "the pooled estimate" not in plain and "Dose-response" not in plain and "REML" not in plain


def pdf_text(path) -> str:
    gs = shutil.which("gs")
    if not gs:
        pytest.skip("ghostscript (gs) is needed to read the PDF's text")
    out = subprocess.run([gs, "-q", "-dNOPAUSE", "-dBATCH", "-sDEVICE=txtwrite", "-sOutputFile=-", str(path)],
                         capture_output=True, text=True, timeout=120, check=True)
    return out.stdout


@pytest.mark.browser
def test_every_pack_is_also_a_pdf(demo):
    if not shutil.which("chromium") and not shutil.which("chromium-browser") and not shutil.which("google-chrome"):
        pytest.skip("no Chromium: the PDFs are not printed (CI installs it)")
    for name, content in packs(demo).items():
        pdf = demo.reports / "evidence" / f"{name}.pdf"
        assert pdf.read_bytes()[:5] == b"%PDF-", name
        text = pdf_text(pdf)
        assert f"Evidence pack: {content['condition_label']}" in text
        assert "Methods" in text and "Provenance" in text
