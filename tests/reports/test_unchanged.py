"""Pages written again only when their content changed (pipeline/reports/unchanged.py).

Two builds of the reports by two runs on the same marts: the second leaves every dashboard
and evidence pack (HTML, JSON, PDF) untouched, byte for byte and mtime, and names on them the
run their numbers are from; the landing and data-quality pages are written again and name the
second run. A changed number writes again exactly the pages that show it (and prints that
pack's PDF again); a missing file or manifest writes its page again. PDFs are "printed" by a
stand-in here (the browser tests print real ones): what is tested is which are printed.
"""
from __future__ import annotations

import shutil
from datetime import datetime, timedelta

import duckdb
import pytest

from pipeline import contract
from pipeline.reports import browser, build_reports, unchanged


@pytest.fixture
def printer(monkeypatch):
    """Stands in for Chromium: writes a small PDF per job and remembers which it printed."""
    printed: list[str] = []

    def print_pdfs(jobs, tabs=browser.PDF_TABS):
        for html, pdf, _title in jobs:
            pdf.write_bytes(b"%PDF-1.4 " + html.read_bytes()[:64])
            printed.append(pdf.stem)
        return [pdf for _, pdf, _ in jobs]

    monkeypatch.setattr(browser, "print_pdfs", print_pdfs)
    return printed


@pytest.fixture
def wh(demo, tmp_path):
    """A copy of the demo's warehouse with two more runs recorded: run-a, then run-b."""
    path = tmp_path / "warehouse.duckdb"
    shutil.copy(demo.warehouse, path)
    con = duckdb.connect(str(path))
    start = datetime(2026, 11, 1, 9, 0)
    for i, run_id in enumerate(("run-a", "run-b")):
        con.execute("insert into audit.runs (run_id, started_at, finished_at, code_version, status) "
                    "values (?, ?, ?, 'test', 'success')",
                    [run_id, start + timedelta(hours=i), start + timedelta(hours=i, minutes=1)])
    yield con
    con.close()


def build(con, out, run_id):
    return build_reports(con, out, run_id, contract.Settings())


def snapshot(out) -> dict:
    """Every page of the dashboards and evidence packs: (mtime, bytes)."""
    return {str(p.relative_to(out)): (p.stat().st_mtime_ns, p.read_bytes())
            for sub in ("clinics", "evidence") for p in sorted((out / sub).iterdir())
            if p.suffix in (".html", ".json", ".pdf") and p.name != "evidence_schema.json"}


def test_an_unchanged_page_is_not_written_again_and_names_the_run_of_its_numbers(wh, tmp_path, printer):
    out = tmp_path / "reports"
    build(wh, out, "run-a")
    first, printed_first = snapshot(out), list(printer)
    assert printed_first and any(k.startswith("clinics/") for k in first)

    written = build(wh, out, "run-b")
    assert snapshot(out) == first  # not one byte, not one mtime
    assert printer == printed_first  # nothing printed again
    assert {p.name for p in written} >= {"index.html", "quality.html"}
    assert not any(p.parent.name == "clinics" for p in written)

    clinic = next(p for p in (out / "clinics").glob("*.html"))
    assert "Numbers as of run <code>run-a</code>" in clinic.read_text(encoding="utf-8")
    pack = next(p for p in (out / "evidence").glob("*.html"))
    assert "run-a" in pack.read_text(encoding="utf-8") and "run-b" not in pack.read_text(encoding="utf-8")
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "Numbers as of run <code>run-b</code>" in index
    kept = len(list((out / "clinics").glob("*.html"))) + len(printed_first)  # dashboards and packs
    assert f"{kept} pages (dashboards, evidence packs) had the same numbers as before" in index
    assert "run-b" in (out / "quality.html").read_text(encoding="utf-8")
    manifest = unchanged.Manifest(out)
    assert {e["run_id"] for e in manifest.pages.values()} == {"run-a"}


def test_a_changed_number_writes_again_exactly_the_pages_that_show_it(wh, tmp_path, printer):
    out = tmp_path / "reports"
    build(wh, out, "run-a")
    before = snapshot(out)
    clinic_id, condition = wh.execute(
        "select clinic_id, condition_group from marts.effect_sizes where level = 'clinic' and not suppressed "
        "order by clinic_id, condition_group limit 1").fetchall()[0]
    wh.execute("update marts.effect_sizes set g_z = g_z + 0.25 where level = 'clinic' and clinic_id = ? "
               "and condition_group = ?", [clinic_id, condition])
    printer.clear()
    build(wh, out, "run-b")
    after = snapshot(out)
    changed = {k for k in after if after[k] != before.get(k)}
    # the clinic's dashboard, and the evidence pack of that condition (its forest plot lists the clinic)
    assert changed == {f"clinics/{clinic_id}.html", f"evidence/{condition}.html", f"evidence/{condition}.json",
                       f"evidence/{condition}.pdf"}
    assert printer == [condition]
    page = (out / "clinics" / f"{clinic_id}.html").read_text(encoding="utf-8")
    assert "Numbers as of run <code>run-b</code>" in page
    entries = unchanged.Manifest(out).pages
    assert entries[f"clinics/{clinic_id}.html"]["run_id"] == "run-b"
    assert {e["run_id"] for k, e in entries.items() if k not in (f"clinics/{clinic_id}.html", f"evidence/{condition}")} == {"run-a"}


def test_a_missing_file_or_manifest_writes_its_page_again(wh, tmp_path, printer):
    out = tmp_path / "reports"
    build(wh, out, "run-a")
    pdf = next((out / "evidence").glob("*.pdf"))
    clinic = next((out / "clinics").glob("*.html"))
    pdf.unlink()
    clinic.unlink()
    printer.clear()
    build(wh, out, "run-b")
    assert pdf.exists() and clinic.exists() and printer == [pdf.stem]
    (out / unchanged.MANIFEST).unlink()
    printer.clear()
    build(wh, out, "run-b")
    assert sorted(printer) == sorted(p.stem for p in (out / "evidence").glob("*.pdf"))


def test_a_pack_whose_pdf_could_not_be_printed_is_tried_again(wh, tmp_path, printer, monkeypatch):
    out = tmp_path / "reports"

    def missing():
        raise browser.BrowserMissing("no Chrome or Chromium found")

    with monkeypatch.context() as m:
        m.setattr(browser, "find_browser", missing)
        m.setattr(browser, "print_pdfs", lambda jobs, tabs=2: missing())
        build(wh, out, "run-a")
    assert not list(out.rglob("*.pdf"))
    build(wh, out, "run-b")  # a browser now: the same packs, printed this time
    assert printer and sorted(printer) == sorted(p.stem for p in (out / "evidence").glob("*.pdf"))
    assert all(".pdf" in p.read_text(encoding="utf-8") for p in (out / "evidence").glob("*.html"))


def test_the_digest_ignores_nothing_but_the_stamp():
    assert unchanged.digest({"a": 1.0, "b": [None, "x"]}) == unchanged.digest({"a": 1.0, "b": [None, "x"]})
    assert unchanged.digest({"a": 1.0}) != unchanged.digest({"a": 1.0000000000000002})
    assert unchanged.digest({"a": 1}) != unchanged.digest({"a": True})
    assert unchanged.digest({"when": datetime(2026, 1, 1)}) == unchanged.digest({"when": datetime(2026, 1, 1)})
