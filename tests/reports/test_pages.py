"""The pages: what they show, which sections appear when, valid figures, and no PDF without a browser."""
from __future__ import annotations

import logging

import duckdb
import plotly.graph_objects as go
import pytest

from pipeline import contract
from pipeline.reports import browser, build_reports, clinics, data, data_quality_page, evidence, figures, landing


def expected_pages(run) -> set[str]:
    con = duckdb.connect(str(run.warehouse), read_only=True)
    try:
        clinic_ids = [r[0] for r in con.execute(
            "select distinct clinic_id from audit.batches where status = 'accepted'").fetchall()]
        conditions = [r[0] for r in con.execute(
            "select distinct condition_group from marts.effect_sizes where level = 'network'").fetchall()]
    finally:
        con.close()
    return ({"index.html", "quality.html"} | {f"clinics/{c}.html" for c in clinic_ids}
            | {f"evidence/{c}.{ext}" for c in conditions for ext in ("html", "json")})


def test_every_page_is_written(demo):
    written = {p.relative_to(demo.reports).as_posix() for p in demo.published()}
    assert expected_pages(demo) <= written
    assert (demo.reports / "plotly.min.js").stat().st_size > 1_000_000


def test_pages_load_plotly_once_from_the_reports_folder(demo):
    for page in demo.html():
        html = page.read_text(encoding="utf-8")
        assert "cdn.plot.ly" not in html and "https://" not in html.split("<body>")[0]
        if "plotly-graph-div" in html:
            depth = len(page.relative_to(demo.reports).parts) - 1
            assert html.count('src="' + "../" * depth + 'plotly.min.js"') == 1, page


def test_landing_shows_the_spine_figures(demo):
    html = (demo.reports / "index.html").read_text(encoding="utf-8")
    for text in ("Effect size and responders by condition and frequency", "Completeness of the outcome data",
                 "fig-overview", "fig-completeness", 'href="quality.html"', "evidence/low_back_pain.json",
                 "clinics/c001.html", "code version"):
        assert text in html, text


def test_benchmark_section_only_when_its_mart_exists(demo, bare):
    assert "Risk-adjusted benchmark" in (demo.reports / "clinics" / "c001.html").read_text(encoding="utf-8")
    assert "Risk-adjusted benchmark" not in (bare.reports / "clinics" / "c001.html").read_text(encoding="utf-8")


def test_quality_page_without_expectation_results(tmp_path, demo):
    con = duckdb.connect(str(demo.warehouse), read_only=True)
    try:
        report = data.load(con, "run", contract.Settings())
    finally:
        con.close()
    report.checks = report.checks.iloc[0:0]
    page = data_quality_page.page(report)
    assert page.context["check_summary"]["note"] == "no expectation results yet"
    assert page.context["checks"] == [] and page.context["failures"] == []


@pytest.fixture(scope="module")
def report(demo):
    con = duckdb.connect(str(demo.warehouse), read_only=True)
    try:
        yield data.load(con, "test", contract.Settings())
    finally:
        con.close()


def test_every_figure_is_a_valid_plotly_figure(report, monkeypatch):
    """Figures are built as plain dicts (fast); here each one goes through plotly's validation."""
    built = []

    def validate(fig, div_id):
        go.Figure(fig)  # raises ValueError on any invalid property
        built.append(div_id)
        return ""

    monkeypatch.setattr(figures, "to_div", validate)
    landing.page(report, {"clinics": [], "evidence": [], "quality": "quality.html", "schema": "s.json"})
    for clinic_id in report.clinic_ids():
        clinics.page(report, clinic_id)
    shared = evidence.provenance_block(report)
    for cond in report.conditions():
        evidence.page(report, evidence.pack(report, cond, shared))
    assert {"fig-overview", "fig-completeness", "fig-comparison", "fig-benchmark"} <= set(built)
    assert any(d.endswith("-forest") for d in built) and any("-dose-" in d for d in built)


def test_clinic_filters_list_every_condition_and_measure(report):
    series = clinics.comparison_series(report, report.clinic_ids()[0])
    options = clinics.filter_options(series)
    for s in series:
        assert f'"{s["condition_group"]}"' in options and f'"{s["measure"]}"' in options


class Lines(logging.Handler):
    def __init__(self):
        super().__init__(logging.INFO)
        self.lines: list[str] = []

    def emit(self, record):
        self.lines.append(record.getMessage())


def test_without_a_browser_html_and_json_are_written_and_one_line_says_why(demo, tmp_path, monkeypatch):
    def missing():
        raise browser.BrowserMissing("no Chrome or Chromium found (install chromium, or set BROWSER_PATH)")

    monkeypatch.setattr(browser, "find_browser", missing)
    con = duckdb.connect(str(demo.warehouse), read_only=True)
    out = tmp_path / "reports"
    logger, lines = logging.getLogger("outcomes"), Lines()
    logger.addHandler(lines)
    monkeypatch.setattr(logger, "level", logging.INFO)
    try:
        written = build_reports(con, out, "run", contract.Settings())
    finally:
        logger.removeHandler(lines)
        con.close()
    assert not list(out.rglob("*.pdf"))
    assert list((out / "evidence").glob("*.json")) and list((out / "evidence").glob("*.html"))
    why = [line for line in lines.lines if "not written" in line]
    assert len(why) == 1 and "no Chrome or Chromium found" in why[0]
    assert all(p.exists() for p in written)
    assert "not printed (no browser)" in (out / "index.html").read_text(encoding="utf-8")
    assert not any(".pdf" in p.read_text(encoding="utf-8") for p in (out / "evidence").glob("*.html"))


def test_a_rerun_leaves_no_stale_page(demo, tmp_path):
    out = tmp_path / "reports"
    (out / "clinics").mkdir(parents=True)
    (out / "clinics" / "gone.html").write_text("old", encoding="utf-8")
    (out / "evidence").mkdir()
    (out / "evidence" / "gone.pdf").write_bytes(b"%PDF-old")
    con = duckdb.connect(str(demo.warehouse), read_only=True)
    try:
        build_reports(con, out, "run", contract.Settings())
    finally:
        con.close()
    assert not (out / "clinics" / "gone.html").exists() and not (out / "evidence" / "gone.pdf").exists()


def test_guard_counts_hides_small_rows_of_marts_written_elsewhere():
    import pandas as pd

    frame = pd.DataFrame({"n": [5, 30, None], "difference": [0.1, 0.2, None], "suppressed": [False, False, True]})
    out = data.guard_counts(frame, "n", 11, ["difference"])
    assert list(out["suppressed"]) == [True, False, True]
    assert out.loc[0, "n"] is None and out.loc[0, "difference"] is None and out.loc[1, "n"] == 30


def test_a_warehouse_without_accepted_data_still_gets_its_pages(tmp_path):
    """One rejected batch and nothing else: every page is written, saying there is nothing yet."""
    import json

    from pipeline.cli import main

    batch = tmp_path / "inbox" / "b1"
    batch.mkdir(parents=True)
    (batch / "sessions.csv").write_bytes(b"\x00\x01binary")
    (batch / "measurements.csv").write_text("clinic_id,session_id,measure,timepoint,value\n")
    (batch / "manifest.json").write_text(json.dumps({"schema_version": "1", "export_id": "b1", "clinic_id": "c1"}))
    reports = tmp_path / "reports"
    assert main(["run", "--inbox", str(tmp_path / "inbox"), "--warehouse", str(tmp_path / "w.duckdb"),
                 "--reports", str(reports)]) == 0
    index = (reports / "index.html").read_text(encoding="utf-8")
    assert "No effect sizes are published yet" in index
    quality_page = (reports / "quality.html").read_text(encoding="utf-8")
    assert "rejected" in quality_page and "binary" in quality_page
