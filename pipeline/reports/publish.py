"""``outcomes publish``: one self-contained folder per recipient, each seeing only what is theirs.

    OUT/clinics/<clinic_id>/   index.html (the clinic's dashboard), data/*.csv and cells.json (its
                               own rows and the network's), its anonymous ranks, the assets
    OUT/insurer/               index.html, quality.html (a summary without batch or clinic ids),
                               evidence/<condition>.html|.pdf|.json under anonymous clinic labels
    OUT/insurer-labels.csv     which label is which clinic: for the network, not sent
    OUT/.label-key             the key of the labels' order (kept, so labels stay stable)

Every bundle has a ``manifest.json`` of its files and their sha256, links only inside itself,
and its own plotly.min.js and report.css: a copy of that folder alone opens offline.

Each bundle is built by the same page builders as ``reports/``, from a ``ReportData`` that holds
only its recipient's rows (``for_clinic``, ``for_insurer``): what a recipient may not see is not
in the data the page is built from, so no chart, filter or link can carry it. The marts are
read as published (already suppressed), read-only: the same cells are hidden everywhere.
"""
from __future__ import annotations

import bisect
import csv
import dataclasses
import hashlib
import hmac
import json
import logging
import os
import secrets
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline import contract
from pipeline.errors import OutcomesError
from pipeline.reports import _write_evidence, _write_json, browser, clinics, evidence, methods, pages
from pipeline.reports.data import ReportData, load, records
from pipeline.reports.data_quality_page import checks_summary, reason_rows

log = logging.getLogger("outcomes")
KEY_FILE = ".label-key"
LABELS_FILE = "insurer-labels.csv"
MANIFEST = "manifest.json"
RECIPIENTS = ("clinics", "insurer")


# ---- labels ----------------------------------------------------------------------------------

def letters(i: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA, 27 -> AB, ... (bijective base 26)."""
    out = ""
    i += 1
    while i:
        i, rest = divmod(i - 1, 26)
        out = chr(ord("A") + rest) + out
    return out


def label_key(out_dir: Path) -> bytes:
    """The publication's secret key (``OUT/.label-key``, made on the first publish and kept)."""
    path = out_dir / KEY_FILE
    if path.is_file():
        text = path.read_text(encoding="utf-8").strip()
        if text:
            return bytes.fromhex(text)
    key = secrets.token_bytes(32)
    path.write_text(key.hex() + "\n", encoding="utf-8")
    os.chmod(path, 0o600)
    return key


def clinic_labels(clinic_ids, key: bytes) -> dict[str, str]:
    """clinic id -> "Clinic A", "Clinic B", ...: in the order of a keyed hash (HMAC-SHA256) of
    the id, so the order reveals neither the ids nor their alphabetical order, and the same key
    gives the same labels."""
    order = sorted(set(clinic_ids), key=lambda c: hmac.new(key, str(c).encode("utf-8"), hashlib.sha256).hexdigest())
    return {c: f"Clinic {letters(i)}" for i, c in enumerate(order)}


def _label_sort(label: str) -> tuple:
    return (len(label), label)  # Clinic Z before Clinic AA


# ---- one recipient's data ----------------------------------------------------------------------

class Split:
    """Every clinic's rows of the published frames, indexed once (a network's thousands of
    bundles each cost their own rows, not a scan of the network's tables)."""

    FRAMES = ("effects", "completeness", "benchmarks", "trends")
    BY_BATCH = ("batch_files", "quarantine", "quarantine_rows", "checks")

    def __init__(self, data: ReportData):
        self.data = data
        self.by_clinic = {name: self._index(getattr(data, name), "clinic_id") for name in (*self.FRAMES, "batches")}
        self.by_batch = {name: self._index(getattr(data, name), "batch_id") for name in self.BY_BATCH}
        self.network = {name: self._network(getattr(data, name)) for name in ("effects", "completeness", "trends")}
        self.runs = _this_run(data)

    @staticmethod
    def _index(frame: pd.DataFrame | None, column: str) -> dict:
        if frame is None or frame.empty:
            return {}
        return {k: np.asarray(v) for k, v in frame.groupby(column, dropna=True, sort=False).indices.items()}

    @staticmethod
    def _network(frame: pd.DataFrame | None) -> np.ndarray:
        if frame is None or "level" not in frame.columns:
            return EMPTY
        return np.flatnonzero((frame["level"] == "network").to_numpy())

    def _take(self, frame: pd.DataFrame | None, *parts: np.ndarray) -> pd.DataFrame | None:
        if frame is None:
            return None
        positions = np.sort(np.concatenate([EMPTY, *parts]).astype(np.int64))
        return frame.iloc[positions].reset_index(drop=True)

    def of(self, name: str, clinic_id: str, network: bool = True) -> pd.DataFrame | None:
        """A frame's rows of one clinic and (``network``) its network rows, in the frame's order."""
        own = self.by_clinic[name].get(clinic_id, EMPTY)
        return self._take(getattr(self.data, name), own, self.network.get(name, EMPTY) if network else EMPTY)

    def of_batches(self, name: str, batch_ids) -> pd.DataFrame:
        index = self.by_batch[name]
        return self._take(getattr(self.data, name), *(index.get(b, EMPTY) for b in batch_ids))


EMPTY = np.empty(0, dtype=np.int64)


def _this_run(data: ReportData) -> pd.DataFrame:
    runs = data.runs[data.runs["run_id"] == data.run_id]
    return runs if len(runs) else data.runs.tail(1)


def for_clinic(data: ReportData, clinic_id: str, split: Split | None = None) -> ReportData:
    """The data of one clinic's bundle: its own rows and the network's, its own batches; no
    other clinic's row (the pooling and dose-response marts, which name clinics, are left out).
    ``split``: the frames indexed by clinic (``Split(data)``), when already built."""
    split = split or Split(data)
    batches = split.of("batches", clinic_id, network=False)
    ids = list(dict.fromkeys(batches["batch_id"]))
    return dataclasses.replace(
        data, effects=split.of("effects", clinic_id), completeness=split.of("completeness", clinic_id),
        benchmarks=split.of("benchmarks", clinic_id, network=False), trends=split.of("trends", clinic_id),
        batches=batches, batch_files=split.of_batches("batch_files", ids),
        quarantine=split.of_batches("quarantine", ids), quarantine_rows=split.of_batches("quarantine_rows", ids),
        checks=split.of_batches("checks", ids), runs=split.runs, pooled=None, dose=None, dose_points=None,
        sites=None,  # a hub's other sites are not a clinic's
    ).index()


def _relabel(frame: pd.DataFrame | None, column: str, names: dict) -> pd.DataFrame | None:
    if frame is None or column not in frame.columns:
        return frame
    out = frame.copy()
    out[column] = out[column].map(lambda v: names.get(v, v) if isinstance(v, str) else v)
    return out


def batch_names(data: ReportData, labels: dict[str, str]) -> dict[str, str]:
    """batch id (its folder name, which names the clinic) -> "Clinic A, batch 01", numbered per
    clinic in the order of export."""
    out: dict[str, str] = {}
    rows = records(data.batches)
    by_clinic: dict = {}
    for r in rows:
        by_clinic.setdefault(r["clinic_id"], []).append(r)
    for clinic_id, mine in by_clinic.items():
        mine.sort(key=lambda r: (r["exported_at"] or "", r["batch_id"]))
        width = len(str(len(mine)))
        label = labels.get(clinic_id, "Clinic ?")
        for i, r in enumerate(dict.fromkeys(r["batch_id"] for r in mine), start=1):
            out.setdefault(r, f"{label}, batch {i:0{width}d}")
    return out


def for_insurer(data: ReportData, labels: dict[str, str] | None) -> ReportData:
    """The data of the insurer's bundle: every clinic under its label (``labels``; None: named),
    every batch under an anonymous name, the run's own row of audit.runs only."""
    if labels is None:
        return dataclasses.replace(data, runs=_this_run(data)).index()
    batches = batch_names(data, labels)
    pooled = data.pooled
    if pooled is not None and "clinics" in pooled.columns:
        pooled = pooled.copy()
        pooled["clinics"] = pooled["clinics"].map(
            lambda v: None if v is None else sorted((labels.get(c, c) for c in list(v)), key=_label_sort))
    relabel = lambda f: _relabel(f, "clinic_id", labels)  # noqa: E731
    rebatch = lambda f: _relabel(f, "batch_id", batches)  # noqa: E731
    files = data.batch_files.copy()
    clinic_of = dict(zip(data.batches["batch_id"], data.batches["clinic_id"]))

    def file_name(batch_id, name):  # a file named after its batch or clinic: named after their labels
        if not isinstance(name, str):
            return name
        clinic_id = clinic_of.get(batch_id)
        name = name.replace(batch_id, batches.get(batch_id, "batch")) if batch_id else name
        return name.replace(clinic_id, labels.get(clinic_id, "Clinic")) if isinstance(clinic_id, str) else name

    files["file_name"] = [file_name(b, n) for b, n in zip(files["batch_id"], files["file_name"])]
    sites = data.sites
    if sites is not None and "batches" in sites.columns:  # a hub's sites: their batches under the same names
        sites = sites.copy()
        sites["batches"] = [[{**b, "batch_id": batches.get(b["batch_id"], "batch")} for b in list(v)]
                            if v is not None else None for v in sites["batches"]]
    runs = _this_run(data).copy()
    if "reason" in runs.columns:
        runs["reason"] = None  # a failed run's sentence may name a batch folder
    return dataclasses.replace(
        data, effects=relabel(data.effects), completeness=relabel(data.completeness),
        benchmarks=relabel(data.benchmarks), trends=relabel(data.trends), dose_points=relabel(data.dose_points),
        pooled=pooled, batches=rebatch(relabel(data.batches)), batch_files=rebatch(files),
        quarantine=rebatch(data.quarantine), quarantine_rows=rebatch(data.quarantine_rows),
        checks=rebatch(data.checks), runs=runs, sites=sites,
    ).index()


# ---- ranks -------------------------------------------------------------------------------------

RANKED = (  # (frame attribute, figure, its column, its description)
    ("benchmarks", "risk_adjusted_difference", "difference", "risk-adjusted difference (observed - expected improvement)"),
    ("effects", "effect_size_g_z", "g_z", "effect size g_z (all frequencies)"),
)


def all_ranks(data: ReportData) -> dict[str, list[dict]]:
    """Per clinic, its place among the clinics with a published figure, per condition x measure:
    its rank (1 = largest; ties share the better rank) of how many, and its percentile (the
    share of the other clinics with a smaller figure). No other clinic's value is kept."""
    out: dict[str, list[dict]] = {}
    order = data.conditions()
    for attr, figure, column, text in RANKED:
        frame = getattr(data, attr)
        if frame is None or column not in frame.columns:
            continue
        rows = records(frame)
        if attr == "effects":
            rows = [r for r in rows if r["level"] == "clinic" and r["frequency_band"] == contract.ALL_BANDS]
        values: dict[tuple, dict[str, float]] = {}
        for r in rows:
            if not r.get("suppressed") and r.get(column) is not None:
                values.setdefault((r["condition_group"], r["measure"]), {})[r["clinic_id"]] = float(r[column])
        for (cond, measure), by_clinic in sorted(values.items(), key=lambda kv: (
                order.index(kv[0][0]) if kv[0][0] in order else len(order), kv[0])):
            ranked = sorted(by_clinic.values())
            n = len(ranked)
            for clinic_id, mine in by_clinic.items():
                lower, higher = bisect.bisect_left(ranked, mine), n - bisect.bisect_right(ranked, mine)
                out.setdefault(clinic_id, []).append({
                    "figure": figure, "description": text, "condition_group": cond, "measure": measure,
                    "rank": 1 + higher, "of": n, "percentile": round(100 * lower / (n - 1)) if n > 1 else None,
                })
    return out


def ranks(data: ReportData, clinic_id: str) -> list[dict]:
    """``all_ranks(data)`` of one clinic."""
    return all_ranks(data).get(clinic_id, [])


# ---- writing -----------------------------------------------------------------------------------

def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def write_manifest(folder: Path, recipient: str, data: ReportData) -> Path:
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p != folder / MANIFEST)
    content = {
        "recipient": recipient, "run_id": data.run_id,
        "generated_at": data.generated_at.isoformat(sep=" ", timespec="seconds"),
        "files": [{"path": p.relative_to(folder).as_posix(), "bytes": p.stat().st_size, "sha256": _sha256(p)}
                  for p in files],
    }
    return _write_json(folder / MANIFEST, content)


def _assets(source: Path, folder: Path) -> None:
    """The bundle's own plotly.min.js and report.css: hard links to one written copy when the
    file system allows (a copy of the folder copies the files), else copies."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in (pages.PLOTLY_JS, pages.CSS):
        try:
            os.link(source / name, folder / name)
        except OSError:
            shutil.copyfile(source / name, folder / name)


def _nav(*items: tuple[str, str]) -> dict:
    return {"nav": [{"label": label, "href": href} for label, href in items]}


def _csv(path: Path, frame: pd.DataFrame | None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = records(frame)
    columns = [str(c) for c in frame.columns] if frame is not None else []
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=columns)
        writer.writeheader()
        for r in rows:
            writer.writerow({k: "" if v is None else v for k, v in r.items()})
    return path


def clinic_bundle(env, assets: Path, folder: Path, full: ReportData, clinic_id: str,
                  split: Split | None = None, ranked: dict[str, list[dict]] | None = None) -> list[Path]:
    """One clinic's folder: its dashboard as index.html, its cells as CSV and JSON, its ranks.
    ``split``, ``ranked``: ``Split(full)`` and ``all_ranks(full)``, when already built."""
    data = for_clinic(full, clinic_id, split)
    own_ranks = (ranked if ranked is not None else all_ranks(full)).get(clinic_id, [])
    _assets(assets, folder)
    common = {**pages.common_context(data), "bundle": _nav(("Dashboard", "index.html"), ("Data", "data/cells.json"))}
    page = clinics.page(data, clinic_id)
    page = dataclasses.replace(page, path="index.html", context={**page.context, "ranks": own_ranks})
    written = [pages.write(env, folder, page, common)]
    tables = {"effect_sizes": data.effects, "clinic_benchmarks": data.benchmarks, "clinic_trends": data.trends,
              "completeness": data.completeness}
    for name, frame in tables.items():
        if frame is not None:
            written.append(_csv(folder / "data" / f"{name}.csv", frame))
    rank_frame = pd.DataFrame(own_ranks, columns=["figure", "description", "condition_group", "measure", "rank",
                                                  "of", "percentile"])
    written.append(_csv(folder / "data" / "ranks.csv", rank_frame))
    written.append(_write_json(folder / "data" / "cells.json", {
        "clinic_id": clinic_id, "run_id": data.run_id, "suppression_min_n": data.min_n,
        "note": "rows of level 'clinic' are this clinic's, of level 'network' the whole network's; "
                "null figures are suppressed; ranks compare with the other clinics without their values",
        **{name: records(frame) if frame is not None else None for name, frame in tables.items()},
        "ranks": own_ranks,
    }))
    written.append(write_manifest(folder, f"clinic {clinic_id}", data))
    return written


def _print(folder: Path, packs: dict[str, dict]) -> list[Path]:
    jobs = [(folder / "evidence" / f"{c}.html", folder / "evidence" / f"{c}.pdf",
             f"Evidence pack: {p['condition_label']}") for c, p in packs.items()]
    try:
        return browser.print_pdfs(jobs)
    except browser.BrowserMissing as exc:
        log.info("[publish] insurer PDFs not written: %s; the HTML and JSON packs are complete", exc)
    except Exception as exc:  # noqa: BLE001 - a browser crash must not fail the publication
        log.info("[publish] insurer PDFs not written: the browser failed (%s: %s)",
                 type(exc).__name__, str(exc).splitlines()[0] if str(exc) else "")
    return []


def quality_summary(data: ReportData) -> dict:
    """The network's data quality without a batch, folder or clinic: counts only."""
    status = data.batches["status"].value_counts().to_dict()
    acc = data.accepted_batches()
    total = lambda col: int(pd.to_numeric(acc[col], errors="coerce").fillna(0).sum())  # noqa: E731
    reasons = [{k: r[k] for k in ("reason", "plain", "table_name", "rows", "batches")} for r in reason_rows(data)]
    return {
        "batches": {s: int(status.get(s, 0)) for s in ("accepted", "rejected", "replaced")},
        "rows": {"received": total("rows_raw"), "staged": total("rows_staged"), "quarantined": total("rows_quarantined")},
        "reasons": reasons, "checks": checks_summary(data),
    }


def insurer_bundle(env, assets: Path, folder: Path, full: ReportData, labels: dict[str, str] | None) -> list[Path]:
    """The insurer's folder: the evidence packs (HTML, JSON, PDF) and a data-quality summary."""
    data = for_insurer(full, labels)
    _assets(assets, folder)
    common = {**pages.common_context(data), "bundle": _nav(("Evidence packs", "index.html"),
                                                           ("Data quality", "quality.html"))}
    packs, written, table = _write_evidence(env, folder, data, common)
    pdfs = _print(folder, packs)
    written += pdfs
    for cond in sorted(set(packs) - {p.stem for p in pdfs}):  # not printed: its page links no PDF
        pages.write(env, folder, evidence.page(data, packs[cond], pdf=False, provenance_html=table), common)
    printed = {p.stem for p in pdfs}
    summary = quality_summary(data)
    measures = data.measure_rows(m for c in data.conditions() for m in data.measures_of(c))
    links = [{"label": p["condition_label"], "html": f"evidence/{c}.html", "json": f"evidence/{c}.json",
              "pdf": f"evidence/{c}.pdf" if c in printed else None} for c, p in packs.items()]
    written.append(pages.write(env, folder, pages.Page("index.html", "publish_insurer.html", "Evidence for payers", {
        "links": links, "named": labels is None, "clinics": len(data.clinic_ids()), "quality": summary,
        "schema": f"evidence/{evidence.SCHEMA_PATH.name}",
        "methods": methods.paragraph("index", data.settings, measures)}, charts=False), common))
    written.append(pages.write(env, folder, pages.Page("quality.html", "publish_quality.html", "Data quality (summary)", {
        "quality": summary, "methods": methods.paragraph("quality", data.settings, [])}, charts=False), common))
    written.append(write_manifest(folder, "insurer", data))
    return written


def _load(warehouse: Path, settings: contract.Settings) -> ReportData:
    from pipeline import warehouse as wh
    from pipeline.warehouse import table_exists

    con = wh.connect(warehouse, read_only=True)
    try:
        for schema, table in (("marts", "effect_sizes"), ("marts", "completeness"), ("audit", "batches"),
                              ("audit", "runs")):
            if not table_exists(con, schema, table):
                raise OutcomesError(f"the warehouse {warehouse} has no published marts ({schema}.{table} is "
                                    "missing); run 'outcomes run' first")
        found = con.execute("select run_id from audit.runs where status = 'success' "
                            "order by started_at desc limit 1").fetchall()
        if not found:
            raise OutcomesError(f"the warehouse {warehouse} has no successful run; run 'outcomes run' first")
        return load(con, found[0][0], settings)
    finally:
        con.close()


def publish(warehouse: Path, out_dir: Path, name_clinics: bool = False,
            settings: contract.Settings | None = None) -> dict[str, list[Path]]:
    """Write every recipient's bundle into ``out_dir``; returns the files of each bundle."""
    started = time.perf_counter()
    warehouse, out_dir = Path(warehouse), Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise OutcomesError(f"{out_dir} exists and is not a folder")
    data = _load(warehouse, settings or contract.Settings())
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutcomesError(f"cannot create the folder {out_dir}: {exc.strerror}") from None
    labels = None if name_clinics else clinic_labels(data.clinic_ids(), label_key(out_dir))
    env = pages.environment()
    staging = Path(tempfile.mkdtemp(prefix=".publishing-", dir=out_dir))
    try:
        assets = staging / "_assets"
        assets.mkdir()
        pages.write_assets(assets)
        bundles: dict[str, list[Path]] = {}
        split, ranked = Split(data), all_ranks(data)
        for clinic_id in data.clinic_ids():
            folder = staging / "clinics" / clinic_id
            bundles[f"clinics/{clinic_id}"] = clinic_bundle(env, assets, folder, data, clinic_id, split, ranked)
        (staging / "clinics").mkdir(exist_ok=True)
        bundles["insurer"] = insurer_bundle(env, assets, staging / "insurer", data, labels)
        for name in RECIPIENTS:  # the previous publication goes whole: no stale clinic or file survives
            if (out_dir / name).is_dir():
                shutil.rmtree(out_dir / name)
            elif (out_dir / name).exists():
                (out_dir / name).unlink()
            os.replace(staging / name, out_dir / name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    if labels is not None:
        with (out_dir / LABELS_FILE).open("w", encoding="utf-8", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(["label", "clinic_id"])
            writer.writerows(sorted(((v, k) for k, v in labels.items()), key=lambda r: _label_sort(r[0])))
    elif (out_dir / LABELS_FILE).exists():
        (out_dir / LABELS_FILE).unlink()
    bundles = {k: [out_dir / p.relative_to(staging) for p in v] for k, v in bundles.items()}
    log.info("[publish] %d clinic bundles and the insurer's (%s) in %.1f s: %s",
             len(bundles) - 1, "clinics named" if name_clinics else "clinics as anonymous labels",
             time.perf_counter() - started, out_dir.resolve())
    return bundles
