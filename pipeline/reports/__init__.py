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
from pipeline.reports import browser, clinics, data_quality_page, evidence, landing, pages, unchanged
from pipeline.reports.data import ReportData, load

log = logging.getLogger("outcomes")
OWN_SUBFOLDERS = {"clinics": (".html",), "evidence": (".html", ".pdf", ".json")}


def _clear_stale(out_dir: Path, current: set[str]) -> None:
    """Remove the pages of our own subfolders that this run neither wrote nor kept, so no stale
    number survives (a clinic or condition that left the marts, a PDF that could not be printed)."""
    for sub, suffixes in OWN_SUBFOLDERS.items():
        folder = out_dir / sub
        if folder.is_dir():
            for path in folder.iterdir():
                if path.is_file() and path.suffix in suffixes and f"{sub}/{path.name}" not in current:
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
    """Every evidence pack as JSON (validated against the published schema) and HTML, all of them
    (``publish``: a new folder); returns the packs, the files and the packs' shared provenance
    table (HTML, rendered once)."""
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


def _evidence_files(cond: str) -> tuple[str, str, str]:
    return f"evidence/{cond}.json", f"evidence/{cond}.html", f"evidence/{cond}.pdf"


def _pack_digest(content: dict, provenance_digest: str) -> str:
    """The digest of an evidence pack without its run stamp (when and by which run it was
    written); ``provenance_digest``: that of its provenance block (the same in every pack)."""
    return unchanged.digest({**content, "generated_at": None, "provenance": provenance_digest})


def _provenance_digest(block: dict) -> str:
    """The digest of a provenance block without the run (which run wrote the pack)."""
    return unchanged.digest({k: v for k, v in block.items() if k not in ("run", "code_version")})


class _Build:
    """One run's writing of the reports folder: what was written, what was kept as it was."""

    def __init__(self, out_dir: Path, data: ReportData):
        self.out_dir, self.data = out_dir, data
        self.env, self.common = pages.environment(), pages.common_context(data)
        self.manifest = unchanged.Manifest(out_dir)
        self.written: list[Path] = pages.write_assets(out_dir)
        self.current: set[str] = set()  # files of clinics/ and evidence/ this run wrote or kept

    def write(self, page: pages.Page) -> Path:
        path = pages.write(self.env, self.out_dir, page, self.common)
        self.written.append(path)
        return path

    def evidence(self) -> tuple[dict[str, dict], dict[str, dict], Markup]:
        """Every evidence pack (JSON checked against the published schema, and HTML) whose content
        changed; returns all packs, those written (to print) and the shared provenance table."""
        data = self.data
        shared = evidence.provenance_block(data)
        table = evidence.provenance_table(self.env, shared, self.common)
        packs = {c: evidence.pack(data, c, shared) for c in data.conditions()}
        self.written.append(_write_json(self.out_dir / "evidence" / evidence.SCHEMA_PATH.name, evidence.schema()))
        self.current.add(f"evidence/{evidence.SCHEMA_PATH.name}")
        changed, text, provenance_digest = {}, None, _provenance_digest(shared)
        for cond, content in packs.items():
            files, key = _evidence_files(cond), f"evidence/{cond}"
            self.current.update(files)
            content_digest = _pack_digest(content, provenance_digest)
            if self.manifest.entry(key).get("pdf") and self.manifest.unchanged(key, content_digest, list(files)):
                continue
            if text is None:  # the first pack to write: its shared block, checked and serialized once
                evidence.validate_provenance(shared)
                text = SharedJSON("provenance", shared)
            evidence.validate(content, checked_provenance=shared)
            self.written.append(_write_json(self.out_dir / files[0], content, text))
            self.write(evidence.page(data, content, provenance_html=table))
            self.manifest.record(key, content_digest, data.run_id, pdf=False)
            changed[cond] = content
        return packs, changed, table

    def dashboards(self) -> int:
        """Every clinic's dashboard whose numbers changed; returns how many were written."""
        network_digests: dict = {}
        count = 0
        for clinic_id in self.data.clinic_ids():
            key = f"clinics/{clinic_id}.html"
            self.current.add(key)
            shown = clinics.numbers(self.data, clinic_id)
            content_digest = clinics.digest_of(shown, network_digests)
            if self.manifest.unchanged(key, content_digest, [key]):
                continue
            self.write(clinics.page(self.data, clinic_id, shown))
            self.manifest.record(key, content_digest, self.data.run_id)
            count += 1
        return count

    def printed(self, packs: dict[str, dict], changed: dict[str, dict], pdfs: list[Path], table: Markup) -> set[str]:
        """Record the PDFs printed; a pack whose PDF was not printed gets a page without its link."""
        now = {p.stem for p in pdfs}
        for cond in changed:
            if cond in now:
                self.manifest.pages[f"evidence/{cond}"]["pdf"] = True
            else:
                self.current.discard(_evidence_files(cond)[2])
                self.write(evidence.page(self.data, packs[cond], pdf=False, provenance_html=table))
        return {c for c in packs if c not in changed or c in now}


def _links(data: ReportData, packs: dict[str, dict], printed: set[str]) -> dict:
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
    """Write the reports of the run into ``out_dir``: the landing and data-quality pages every
    time, an evidence pack (JSON, HTML, PDF) and a clinic's dashboard only when its content
    changed (``unchanged``); returns the files written."""
    started = time.perf_counter()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    data = load(con, run_id, settings)
    build = _Build(out_dir, data)
    packs, changed, table = build.evidence()
    with ThreadPoolExecutor(max_workers=1) as pool:  # Chromium prints while Python writes the other pages
        printing = pool.submit(_print_pdfs, out_dir, changed) if changed else None
        build.write(data_quality_page.page(data))
        dashboards = build.dashboards()
        pdfs, pdf_seconds = printing.result() if printing else ([], 0.0)
    build.written += pdfs
    printed = build.printed(packs, changed, pdfs, table)
    kept = len(build.manifest.kept)
    build.write(landing.page(data, _links(data, packs, printed), kept=kept))
    _clear_stale(out_dir, build.current)
    build.manifest.save()
    log.info("[reports] %d files (%d of %d clinic dashboards, %d of %d evidence packs, %d PDFs) in %.1f s "
             "(PDFs %.1f s, alongside); %d pages unchanged, kept: %s", len(build.written), dashboards,
             len(data.clinic_ids()), len(changed), len(packs), len(pdfs), time.perf_counter() - started,
             pdf_seconds, kept, out_dir / "index.html")
    return build.written
