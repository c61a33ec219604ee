"""Published reports, built from the published marts and the audit tables only.

    reports/index.html                 landing: the run, headline figures, links
    reports/quality.html               the data-quality page (data_quality_page.py): every batch,
                                       quarantined rows by reason, the suites' results
    reports/clinics/<clinic_id>.html   a clinic director's dashboard
    reports/evidence/<condition>.html  an insurer evidence pack (and .pdf, .json)
    reports/plotly.min.js, report.css  loaded by every page: offline, no CDN

Python stays thin: query -> small pandas tables -> figures -> Jinja templates.
"""
from __future__ import annotations

import json
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import duckdb
from markupsafe import Markup

from pipeline import contract
from pipeline.reports import browser, clinics, data_quality_page, evidence, landing, pages
from pipeline.reports.data import ReportData, load

log = logging.getLogger("outcomes")
OWN_SUBFOLDERS = {"clinics": (".html",), "evidence": (".html", ".pdf", ".json")}


def _clear_stale(out_dir: Path) -> None:
    """Remove the previous run's pages of our own subfolders, so no stale number survives
    (a clinic or condition that left the marts, a PDF that could not be printed this time)."""
    for sub, suffixes in OWN_SUBFOLDERS.items():
        folder = out_dir / sub
        if folder.is_dir():
            for path in folder.iterdir():
                if path.is_file() and path.suffix in suffixes:
                    path.unlink()


def _dumps(content) -> str:
    return json.dumps(content, indent=2, ensure_ascii=False, allow_nan=False)


class SharedJSON:
    """A value that several documents carry as the same top-level key (every evidence pack of a
    run carries the run's provenance, which lists every batch): serialized once."""

    def __init__(self, key: str, value):
        self.key, self.value, self.text = key, value, _dumps(value).replace("\n", "\n  ")  # at depth 1
        self.marker = f"@@shared:{key}:{id(value)}@@"


def _write_json(path: Path, content: dict, shared: SharedJSON | None = None) -> Path:
    """``content`` as indented JSON; ``shared``: when content carries that very value under its
    key, its text is spliced in (the same bytes as serializing it again)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if shared is not None and content.get(shared.key) is shared.value:
        text = _dumps({**content, shared.key: shared.marker}).replace(json.dumps(shared.marker), shared.text, 1)
    else:
        text = _dumps(content)
    path.write_text(text + "\n", encoding="utf-8")
    return path


def _print_pdfs(out_dir: Path, packs: dict[str, dict]) -> tuple[list[Path], float]:
    """The evidence packs as PDF, and the seconds it took; without a browser, one log line says
    why they are missing."""
    started = time.perf_counter()
    jobs = [(out_dir / "evidence" / f"{c}.html", out_dir / "evidence" / f"{c}.pdf",
             f"Evidence pack: {p['condition_label']}") for c, p in packs.items()]
    try:
        return browser.print_pdfs(jobs), time.perf_counter() - started
    except browser.BrowserMissing as exc:
        log.info("[reports] evidence PDFs not written: %s; the HTML and JSON packs are complete", exc)
    except Exception as exc:  # noqa: BLE001 - a browser crash must not fail the run
        log.info("[reports] evidence PDFs not written: the browser failed (%s: %s)",
                 type(exc).__name__, str(exc).splitlines()[0] if str(exc) else "")
    return [], time.perf_counter() - started


def _write_evidence(env, out_dir: Path, data: ReportData, common: dict) -> tuple[dict[str, dict], list[Path], Markup]:
    """Every evidence pack as JSON (validated against the published schema) and HTML; returns
    the packs, the files and the packs' shared provenance table (HTML, rendered once)."""
    shared = evidence.provenance_block(data)
    table = evidence.provenance_table(env, shared, common)
    packs = {c: evidence.pack(data, c, shared) for c in data.conditions()}
    written = [_write_json(out_dir / "evidence" / evidence.SCHEMA_PATH.name, evidence.schema())]
    evidence.validate_provenance(shared)  # once: every pack carries this same block
    text = SharedJSON("provenance", shared)
    for cond, content in packs.items():
        evidence.validate(content, checked_provenance=shared)
        written.append(_write_json(out_dir / "evidence" / f"{cond}.json", content, text))
        written.append(pages.write(env, out_dir, evidence.page(data, content, provenance_html=table), common))
    return packs, written, table


def _links(data: ReportData, packs: dict[str, dict], pdfs: list[Path]) -> dict:
    printed = {p.stem for p in pdfs}
    return {
        "clinics": [{"clinic_id": c, "href": f"clinics/{c}.html"} for c in data.clinic_ids()],
        "evidence": [{"condition_group": c, "label": p["condition_label"], "html": f"evidence/{c}.html",
                      "json": f"evidence/{c}.json", "pdf": f"evidence/{c}.pdf" if c in printed else None}
                     for c, p in packs.items()],
        "quality": "quality.html",
        "schema": f"evidence/{evidence.SCHEMA_PATH.name}",
    }


def build_reports(con: duckdb.DuckDBPyConnection, out_dir: Path, run_id: str,
                  settings: contract.Settings) -> list[Path]:
    """Write every report of the run into ``out_dir``; returns the files written."""
    started = time.perf_counter()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    _clear_stale(out_dir)
    data = load(con, run_id, settings)
    env, common = pages.environment(), pages.common_context(data)
    written = pages.write_assets(out_dir)
    packs, files, table = _write_evidence(env, out_dir, data, common)
    written += files
    with ThreadPoolExecutor(max_workers=1) as pool:  # Chromium prints while Python writes the other pages
        printing = pool.submit(_print_pdfs, out_dir, packs)
        others = [data_quality_page.page(data), *(clinics.page(data, c) for c in data.clinic_ids())]
        written += [pages.write(env, out_dir, page, common) for page in others]
        pdfs, pdf_seconds = printing.result()
    written += pdfs
    for cond in sorted(set(packs) - {p.stem for p in pdfs}):  # not printed: its page links no PDF
        pages.write(env, out_dir, evidence.page(data, packs[cond], pdf=False, provenance_html=table), common)
    written.append(pages.write(env, out_dir, landing.page(data, _links(data, packs, pdfs)), common))
    log.info("[reports] %d files (%d clinic dashboards, %d evidence packs, %d PDFs) in %.1f s "
             "(PDFs %.1f s, alongside): %s", len(written), len(data.clinic_ids()), len(packs), len(pdfs),
             time.perf_counter() - started, pdf_seconds, out_dir / "index.html")
    return written
