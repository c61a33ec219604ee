"""No published file carries a patient, session or episode id, or a count of people below the
suppression threshold (HTML, JSON, chart data, and the PDFs' text when ghostscript can read it).

Counts of people are the figures n, responders (and non-responders) and episodes; row counts of
export files on the data-quality surfaces describe files, not people, and are not counted here.
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest

from tests.reports.htmlcells import class_text

ID_TOKEN = re.compile(r"[A-Za-z0-9_-]{4,64}")
PEOPLE_COUNTS = {"n", "responders", "episodes", "episodes_scored", "episodes_with_baseline", "episodes_complete"}
HOVER_N = re.compile(r"n = ([0-9][0-9,]*)")
# Counts readable by subtraction from two published ones (completeness: episodes without a score, ...).
DIFFERENCES = (("episodes", "episodes_scored"), ("episodes_scored", "episodes_with_baseline"),
               ("episodes_with_baseline", "episodes_complete"))
ID_SOURCES = (
    "select patient_id, session_id, episode_id from raw.sessions",
    "select patient_id, session_id, episode_id from staging.sessions",
    "select patient_id, session_id, episode_id from quarantine.sessions",
    "select session_id, null, null from raw.measurements",
    "select patient_id, episode_id, null from intermediate.int_episodes",
    "select patient_id, episode_id, null from marts.episode_outcomes",
)


def warehouse_ids(warehouse: Path) -> set[str]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        ids: set[str] = set()
        for query in ID_SOURCES:
            for row in con.execute(query).fetchall():
                ids.update(str(v) for v in row if v is not None)
        return ids
    finally:
        con.close()


def pdf_text(path: Path) -> str | None:
    gs = shutil.which("gs")
    if not gs:
        return None
    out = subprocess.run([gs, "-q", "-dNOPAUSE", "-dBATCH", "-sDEVICE=txtwrite", "-sOutputFile=-", str(path)],
                         capture_output=True, text=True, timeout=120, check=True)
    return out.stdout


def published_texts(reports: Path) -> dict[Path, str]:
    texts = {}
    for path in sorted(p for p in reports.rglob("*") if p.is_file()):
        if path.suffix == ".pdf":
            text = pdf_text(path)
            texts[path] = (text or "") + path.read_bytes().decode("latin-1")  # text, and raw metadata
        else:
            texts[path] = path.read_text(encoding="utf-8", errors="replace")
    return texts


def leaked_ids(texts: dict[Path, str], ids: set[str]) -> dict[str, list[str]]:
    leaks = {}
    for path, text in texts.items():
        found = sorted(set(ID_TOKEN.findall(text)) & ids)
        if found:
            leaks[str(path)] = found[:5]
    return leaks


def small(value, min_n: int) -> bool:
    return value is not None and 1 <= value < min_n


def small_json_counts(node, min_n: int, where: str = "") -> list[str]:
    """Every people count (and non-responder count) from 1 to min_n - 1 in a JSON document."""
    found = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key in PEOPLE_COUNTS and isinstance(value, int) and small(value, min_n):
                found.append(f"{where}.{key}={value}")
            found += small_json_counts(value, min_n, f"{where}.{key}")
        if isinstance(node.get("n"), int) and isinstance(node.get("responders"), int):
            if small(node["n"] - node["responders"], min_n):
                found.append(f"{where}: {node['n'] - node['responders']} non-responders")
        found += [f"{where}: {a} - {b}" for a, b in DIFFERENCES
                  if isinstance(node.get(a), int) and isinstance(node.get(b), int) and small(node[a] - node[b], min_n)]
    elif isinstance(node, list):
        for i, item in enumerate(node):
            found += small_json_counts(item, min_n, f"{where}[{i}]")
    return found


def number(text: str) -> int | None:
    digits = text.replace(",", "").strip()
    return int(digits) if digits.isdigit() else None


def small_html_counts(html: str, min_n: int) -> list[str]:
    shown = [number(t) for t in class_text(html, "count")] + [number(m) for m in HOVER_N.findall(html)]
    return [str(v) for v in shown if small(v, min_n)]


@pytest.fixture(scope="module", params=["demo", "bare", "many"])
def run(request):
    return request.getfixturevalue(request.param)


def test_the_scan_covers_every_report(run):
    names = {p.relative_to(run.reports).as_posix() for p in run.published()}
    assert {"index.html", "quality.html", "plotly.min.js", "report.css"} <= names
    assert any(n.startswith("clinics/") for n in names)
    assert any(n.endswith(".json") for n in names)


def test_no_patient_session_or_episode_id_is_published(run):
    ids = warehouse_ids(run.warehouse)
    assert len(ids) > 1000, "the warehouse should hold the demo's ids"
    assert not leaked_ids(published_texts(run.reports), ids)


def test_the_scan_finds_a_planted_id(run, tmp_path):
    ids = warehouse_ids(run.warehouse)
    planted = sorted(ids)[0]
    page = tmp_path / "page.html"
    page.write_text(f"<p>episode {planted}</p>", encoding="utf-8")
    assert leaked_ids({page: page.read_text()}, ids) == {str(page): [planted]}


def test_no_published_count_is_below_the_threshold(run):
    problems = []
    for path in sorted(run.reports.rglob("*.json")):
        problems += [f"{path.name}{p}" for p in small_json_counts(json.loads(path.read_text(encoding="utf-8")), run.min_n)]
    for path in run.html():
        problems += [f"{path.name}: {v}" for v in small_html_counts(path.read_text(encoding="utf-8"), run.min_n)]
    for path in sorted(run.reports.rglob("*.pdf")):
        text = pdf_text(path)
        if text is not None:
            problems += [f"{path.name}: n = {m}" for m in HOVER_N.findall(text) if small(number(m), run.min_n)]
    assert not problems


def test_the_count_scan_sees_the_counts(run):
    """The scan is not vacuous: published counts are found, and a planted small one is caught."""
    html = (run.reports / "index.html").read_text(encoding="utf-8")
    assert any(number(t) for t in class_text(html, "count"))
    assert small_html_counts('<td class="num count">7</td>', run.min_n) == ["7"]
    assert small_json_counts({"a": [{"n": 30, "responders": 25}]}, run.min_n) == [".a[0]: 5 non-responders"]
