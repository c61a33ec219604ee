"""``outcomes publish``: every clinic's bundle holds only its own figures (no other clinic's id,
name or clinic-level figure in any file, chart data or PDF), the insurer's names clinics only by
anonymous labels and no batch folder, every bundle is self-contained with a true manifest, and
the same cells are suppressed everywhere."""
from __future__ import annotations

import csv
import hashlib
import json
import math
import re
from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.reports import evidence
from pipeline.reports.publish import clinic_labels, letters
from tests.reports.test_privacy import ID_TOKEN, pdf_text

LINK = re.compile(r"""(?:href|src)\s*=\s*["']([^"']*)["']""", re.I)
FIGURES = ("n", "mean_improvement", "g_z", "g_z_ci_low", "g_z_ci_high", "smcr", "responders", "responder_rate")


def texts(folder: Path) -> dict[Path, str]:
    """Every file of a bundle as text: PDFs by their text (ghostscript) and their raw bytes."""
    out = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        if path.suffix == ".pdf":
            out[path] = (pdf_text(path) or "") + path.read_bytes().decode("latin-1")
        else:
            out[path] = path.read_text(encoding="utf-8", errors="replace")
    return out


def word(token: str) -> re.Pattern:
    """A token as a whole word: c001 is not found inside c0010 or c001x."""
    return re.compile(rf"(?<![A-Za-z0-9_]){re.escape(token)}(?![A-Za-z0-9_])")


def found(folder: Path, tokens) -> dict[str, list[str]]:
    patterns = {t: word(t) for t in tokens}
    hits = {}
    for path, text in texts(folder).items():
        names = [path.relative_to(folder).as_posix()]
        seen = sorted(t for t, p in patterns.items() if p.search(text) or any(p.search(n) for n in names))
        if seen:
            hits[names[0]] = seen
    return hits


def test_every_recipient_has_a_bundle(published):
    names = {p.name for p in (published.out / "clinics").iterdir()}
    assert names == set(published.clinic_ids) and len(names) == 4
    for folder in published.bundles():
        for name in ("index.html", "manifest.json", "plotly.min.js", "report.css"):
            assert (folder / name).is_file(), f"{folder.name}/{name}"
    insurer = published.out / "insurer"
    assert (insurer / "quality.html").is_file()
    assert sorted(insurer.glob("evidence/*.json")) and sorted(insurer.glob("evidence/*.html"))


def test_no_clinic_bundle_names_another_clinic(published):
    for clinic_id in published.clinic_ids:
        folder = published.out / "clinics" / clinic_id
        others = set(published.clinic_ids) - {clinic_id}
        assert not found(folder, others), clinic_id
        assert word(clinic_id).search((folder / "index.html").read_text(encoding="utf-8"))  # the scan sees ids


def test_no_clinic_bundle_carries_another_clinics_batches(published):
    for clinic_id in published.clinic_ids:
        folder = published.out / "clinics" / clinic_id
        theirs = {r[0] for r in published.sql("select batch_id from audit.batches where clinic_id <> ?", [clinic_id])}
        assert theirs and not found(folder, theirs), clinic_id


def test_the_insurer_bundle_names_no_clinic_batch_or_patient(published):
    insurer = published.out / "insurer"
    batches = {r[0] for r in published.sql("select batch_id from audit.batches")}
    assert not found(insurer, set(published.clinic_ids) | batches)
    patients = {str(v) for row in published.sql("select patient_id, episode_id from marts.episode_outcomes")
                for v in row if v is not None}
    assert len(patients) > 100
    leaks = {p.name: sorted(set(ID_TOKEN.findall(t)) & patients)[:3] for p, t in texts(insurer).items()}
    assert not {k: v for k, v in leaks.items() if v}


def test_no_bundle_carries_a_patient_id(published):
    patients = {str(v) for row in published.sql("select patient_id, episode_id from marts.episode_outcomes")
                for v in row if v is not None}
    for folder in published.bundles():
        leaks = {p.name: sorted(set(ID_TOKEN.findall(t)) & patients)[:3] for p, t in texts(folder).items()}
        assert not {k: v for k, v in leaks.items() if v}, folder.name


def test_the_insurer_packs_use_stable_labels_and_validate(published):
    labels = None
    for path in sorted((published.out / "insurer" / "evidence").glob("*.json")):
        if path.name == evidence.SCHEMA_PATH.name:
            continue
        pack = json.loads(path.read_text(encoding="utf-8"))
        evidence.validate(pack)
        names = {c["clinic_id"] for m in pack["measures"] for c in m["clinics"]}
        names |= {p["clinic_id"] for m in pack["measures"] for d in m["dose_response"] or [] for p in d["points"]
                  if p["clinic_id"]}
        names |= {b["clinic_id"] for b in pack["provenance"]["batches"]}
        assert names and all(re.fullmatch(r"Clinic [A-Z]+", n) for n in names), names
        labels = labels or names
        assert names <= {f"Clinic {letters(i)}" for i in range(len(published.clinic_ids))}
    mapping = dict(csv.reader((published.out / "insurer-labels.csv").open(encoding="utf-8")))
    assert set(mapping.values()) >= set(published.clinic_ids)


def test_the_same_label_in_every_file(published):
    """Each clinic's n in the packs' clinic table matches its own effect-size row under its one label."""
    mapping = {row["label"]: row["clinic_id"] for row in csv.DictReader((published.out / "insurer-labels.csv").open())}
    rows = {(c, g, m): n for c, g, m, n in published.sql(
        "select clinic_id, condition_group, measure, n from marts.effect_sizes "
        "where level = 'clinic' and frequency_band = 'all'")}
    checked = 0
    for path in sorted((published.out / "insurer" / "evidence").glob("*.json")):
        if path.name == evidence.SCHEMA_PATH.name:
            continue
        pack = json.loads(path.read_text(encoding="utf-8"))
        for m in pack["measures"]:
            for c in m["clinics"]:
                assert c["n"] == rows[(mapping[c["clinic_id"]], pack["condition_group"], m["code"])]
                checked += 1
    assert checked > 10


def test_labels_are_stable_keyed_and_not_alphabetical():
    ids = [f"c{i:03d}" for i in range(1, 41)]
    labels = clinic_labels(ids, b"k" * 32)
    assert labels == clinic_labels(list(reversed(ids)), b"k" * 32)
    assert sorted(labels.values(), key=lambda s: (len(s), s))[-1] == "Clinic AN" and letters(26) == "AA"
    alphabetical = [labels[c] for c in ids]
    assert alphabetical != sorted(alphabetical, key=lambda s: (len(s), s))
    assert clinic_labels(ids, b"j" * 32) != labels


def test_manifests_list_every_file_with_its_sha256(published):
    for folder in published.bundles():
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        listed = {f["path"]: f["sha256"] for f in manifest["files"]}
        on_disk = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()} - {"manifest.json"}
        assert set(listed) == on_disk
        for path, digest in listed.items():
            assert hashlib.sha256((folder / path).read_bytes()).hexdigest() == digest, path


def test_links_stay_inside_the_bundle(published):
    for folder in published.bundles():
        for page in folder.rglob("*.html"):
            for href in LINK.findall(page.read_text(encoding="utf-8")):
                if href.startswith("#"):
                    continue
                assert not re.match(r"^[a-z]+:", href, re.I) and not href.startswith("/"), (page, href)
                target = (page.parent / href.split("#")[0]).resolve()
                assert target.is_relative_to(folder.resolve()) and target.exists(), (page, href)


def _csv_rows(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _same(a: str, b) -> bool:
    if b is None:
        return a == ""
    if isinstance(b, bool):
        return a == str(b)
    if isinstance(b, (int, float)):
        return a != "" and math.isclose(float(a), float(b), rel_tol=1e-12, abs_tol=1e-12)
    return a == str(b)


def test_a_clinic_csv_has_the_marts_numbers_of_that_clinic(published):
    clinic_id = published.clinic_ids[0]
    rows = _csv_rows(published.out / "clinics" / clinic_id / "data" / "effect_sizes.csv")
    columns = [r[0] for r in published.sql("describe marts.effect_sizes")]
    mart = published.sql("select * from marts.effect_sizes where clinic_id = ? or level = 'network'", [clinic_id])
    key = lambda r: (r["level"], r["clinic_id"] or "", r["condition_group"], r["measure"], r["frequency_band"])  # noqa: E731
    expected = sorted((dict(zip(columns, r)) for r in mart), key=key)
    got = sorted(rows, key=key)
    assert len(got) == len(expected) > 20
    assert {r["clinic_id"] for r in got} == {clinic_id, ""}
    for g, e in zip(got, expected):
        assert all(_same(g[c], e[c]) for c in columns), (g, e)


def test_suppressed_cells_are_null_in_every_bundle(published):
    suppressed = published.sql("select level, clinic_id, condition_group, measure, frequency_band "
                               "from marts.effect_sizes where suppressed")
    assert suppressed
    for clinic_id in published.clinic_ids:
        data = json.loads((published.out / "clinics" / clinic_id / "data" / "cells.json").read_text(encoding="utf-8"))
        rows = {(r["level"], r["clinic_id"], r["condition_group"], r["measure"], r["frequency_band"]): r
                for r in data["effect_sizes"]}
        mine = [k for k in suppressed if k[1] in (None, clinic_id)]
        assert mine
        for k in mine:
            assert rows[k]["suppressed"] and all(rows[k][f] is None for f in FIGURES), k
        for r in _csv_rows(published.out / "clinics" / clinic_id / "data" / "effect_sizes.csv"):
            if r["suppressed"] == "True":
                assert all(r[f] == "" for f in FIGURES)
    hidden = {(c, g, m) for lvl, c, g, m, b in suppressed if lvl == "clinic" and b == "all"}
    mapping = {row["label"]: row["clinic_id"] for row in csv.DictReader((published.out / "insurer-labels.csv").open())}
    seen = 0
    for path in sorted((published.out / "insurer" / "evidence").glob("*.json")):
        if path.name == evidence.SCHEMA_PATH.name:
            continue
        pack = json.loads(path.read_text(encoding="utf-8"))
        for m in pack["measures"]:
            for c in m["clinics"]:
                if (mapping[c["clinic_id"]], pack["condition_group"], m["code"]) in hidden:
                    seen += 1
                    assert c["suppressed"] and c["n"] is None and c["smcr"] is None
            for b in m["bands"]:
                if b["suppressed"]:
                    assert all(b[f] is None for f in FIGURES)
    assert seen


def test_ranks_are_anonymous(published):
    for clinic_id in published.clinic_ids:
        data = json.loads((published.out / "clinics" / clinic_id / "data" / "cells.json").read_text(encoding="utf-8"))
        assert data["ranks"]
        for r in data["ranks"]:
            assert set(r) == {"figure", "description", "condition_group", "measure", "rank", "of", "percentile"}
            assert 1 <= r["rank"] <= r["of"] <= len(published.clinic_ids)
        assert {r["clinic_id"] for r in data["clinic_benchmarks"]} <= {clinic_id}
        assert "Your place among the clinics" in (published.out / "clinics" / clinic_id / "index.html").read_text()


def test_name_clinics_names_them(published, tmp_path):
    out = tmp_path / "named"
    assert main(["publish", "--warehouse", str(published.warehouse), "--out", str(out), "--name-clinics"]) == 0
    pack = next(p for p in (out / "insurer" / "evidence").glob("*.json") if p.name != evidence.SCHEMA_PATH.name)
    names = {c["clinic_id"] for m in json.loads(pack.read_text())["measures"] for c in m["clinics"]}
    assert names and names <= set(published.clinic_ids)
    assert not (out / "insurer-labels.csv").exists()


@pytest.mark.parametrize("case", ["no warehouse", "no marts", "out is a file"])
def test_bad_input_is_one_sentence(case, published, tmp_path, capsys):
    import duckdb

    warehouse, out = published.warehouse, tmp_path / "out"
    if case == "no warehouse":
        warehouse = tmp_path / "missing.duckdb"
    elif case == "no marts":
        warehouse = tmp_path / "empty.duckdb"
        duckdb.connect(str(warehouse)).close()
    else:
        out.write_text("not a folder")
    assert main(["publish", "--warehouse", str(warehouse), "--out", str(out)]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("outcomes: ") and len(err.splitlines()) == 1 and "Traceback" not in err


def test_publish_needs_out(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["publish"])
    assert exc.value.code == 2


def test_the_scan_finds_a_planted_id(published, tmp_path):
    folder = tmp_path / "bundle"
    folder.mkdir()
    (folder / "page.html").write_text(f"<p>{published.clinic_ids[1]}</p><p>{published.clinic_ids[2]}0</p>")
    (folder / f"{published.clinic_ids[3]}.csv").write_text("x")
    assert found(folder, published.clinic_ids) == {"page.html": [published.clinic_ids[1]],
                                                   f"{published.clinic_ids[3]}.csv": [published.clinic_ids[3]]}


def test_the_insurer_packs_have_the_numbers_of_reports(published):
    """Suppression alike everywhere: the insurer's packs carry reports/' numbers, cell by cell."""
    mapping = {row["label"]: row["clinic_id"] for row in csv.DictReader((published.out / "insurer-labels.csv").open())}
    compared = 0
    for path in sorted((published.reports / "evidence").glob("*.json")):
        if path.name == evidence.SCHEMA_PATH.name:
            continue
        ours = json.loads(path.read_text(encoding="utf-8"))
        theirs = json.loads((published.out / "insurer" / "evidence" / path.name).read_text(encoding="utf-8"))
        assert [m["bands"] for m in theirs["measures"]] == [m["bands"] for m in ours["measures"]]
        for a, b in zip(ours["measures"], theirs["measures"]):
            named = {mapping[c["clinic_id"]]: {**c, "clinic_id": mapping[c["clinic_id"]]} for c in b["clinics"]}
            assert named == {c["clinic_id"]: c for c in a["clinics"]}
            compared += 1
        assert theirs["suppression"] == ours["suppression"]
    assert compared


def test_without_a_browser_the_insurer_bundle_has_no_pdfs(published, tmp_path, caplog):
    from unittest import mock

    from pipeline.reports import browser
    from pipeline.reports.publish import publish

    def missing():
        raise browser.BrowserMissing("no Chrome or Chromium found")

    with mock.patch.object(browser, "find_browser", missing), caplog.at_level("INFO", logger="outcomes"):
        publish(published.warehouse, tmp_path / "out")
    insurer = tmp_path / "out" / "insurer"
    assert not list(insurer.rglob("*.pdf")) and list(insurer.glob("evidence/*.html"))
    assert [r for r in caplog.records if "PDFs not written" in r.getMessage()]
    for page in insurer.rglob("*.html"):
        assert ".pdf" not in page.read_text(encoding="utf-8"), page.name
    manifest = json.loads((insurer / "manifest.json").read_text(encoding="utf-8"))
    assert not [f for f in manifest["files"] if f["path"].endswith(".pdf")]
    first = (tmp_path / "out" / "insurer-labels.csv").read_text()
    with mock.patch.object(browser, "find_browser", missing):
        publish(published.warehouse, tmp_path / "out")  # again: the kept key gives the same labels
    assert (tmp_path / "out" / "insurer-labels.csv").read_text() == first


def test_a_file_named_after_its_batch_is_renamed_for_the_insurer(published):
    from pipeline import contract
    from pipeline.reports.publish import _load, clinic_labels, for_insurer

    data = _load(published.warehouse, contract.Settings())
    data.batch_files = data.batch_files.assign(file_name=data.batch_files["batch_id"] + "_sessions.csv")
    labelled = for_insurer(data, clinic_labels(data.clinic_ids(), b"k" * 32))
    names = " ".join(labelled.batch_files["file_name"])
    assert not found_in(names, set(data.batches["batch_id"]) | set(published.clinic_ids))
    assert "Clinic " in names


def found_in(text: str, tokens) -> list[str]:
    return sorted(t for t in tokens if word(t).search(text))
