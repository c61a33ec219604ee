"""Small demo runs shared by the report and browser tests, built once per test session.

``demo_run`` runs the real command line (demo + run) into a temporary folder: every mart,
including the statistics work's (pooling, dose-response, benchmarks). ``bare_run`` copies that
warehouse without those optional marts and rebuilds the reports, as before they existed: their
sections must then be absent, and everything else intact. ``many_run`` tiles the demo's
warehouse to ``MANY`` clinics (``benchmarks/reports_scale.py``: renamed copies of every clinic's
rows) and rebuilds the reports without PDFs: the network-scale layout (the clinic table, the
clinics' distribution instead of a forest plot) and the per-clinic indexes on many clinics.
``hub_run`` exports the demo's warehouse as one site and merges it into a hub, with its reports:
the packs of a merged network, whose provenance lists the sites.
"""
from __future__ import annotations

import importlib.util
import shutil
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

import duckdb

from pipeline import contract
from pipeline.cli import main
from pipeline.reports import browser, build_reports
from pipeline.reports.data import OPTIONAL_MARTS

CLINICS, PATIENTS = 3, 400
MANY = 90  # clinics of the many-clinic run: above figures.FOREST_MAX_CLINICS and landing.SEARCH_FROM
SCALE_SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "reports_scale.py"
_RUNS: dict[str, "DemoRun"] = {}


@dataclass(frozen=True)
class DemoRun:
    root: Path
    inbox: Path
    warehouse: Path
    reports: Path
    min_n: int = contract.SUPPRESSION_MIN_N

    def html(self) -> list[Path]:
        return sorted(self.reports.rglob("*.html"))

    def published(self) -> list[Path]:
        return sorted(p for p in self.reports.rglob("*") if p.is_file())


def demo_run(tmp_path_factory) -> DemoRun:
    if "demo" not in _RUNS:
        root = tmp_path_factory.mktemp("reports-demo")
        run = DemoRun(root, root / "inbox", root / "warehouse.duckdb", root / "reports")
        assert main(["demo", "--out", str(run.inbox), "--clinics", str(CLINICS), "--patients", str(PATIENTS)]) == 0
        assert main(["run", "--inbox", str(run.inbox), "--warehouse", str(run.warehouse),
                     "--reports", str(run.reports)]) == 0
        _RUNS["demo"] = run
    return _RUNS["demo"]


def bare_run(tmp_path_factory) -> DemoRun:
    if "bare" not in _RUNS:
        base = demo_run(tmp_path_factory)
        root = tmp_path_factory.mktemp("reports-bare")
        run = DemoRun(root, base.inbox, root / "warehouse.duckdb", root / "reports")
        shutil.copy(base.warehouse, run.warehouse)
        con = duckdb.connect(str(run.warehouse))
        try:
            for name in OPTIONAL_MARTS:
                con.execute(f"drop table if exists marts.{name}")  # names from a constant
            run_id = con.execute("select run_id from audit.runs order by started_at desc limit 1").fetchall()[0][0]
            build_reports(con, run.reports, run_id, contract.Settings())
        finally:
            con.close()
        _RUNS["bare"] = run
    return _RUNS["bare"]


def hub_run(tmp_path_factory) -> DemoRun:
    """The demo's warehouse exported as one site (``outcomes aggregates export``) and merged into
    a hub (``outcomes aggregates merge``) with its reports, without PDFs: a merged network's packs."""
    if "hub" not in _RUNS:
        base = demo_run(tmp_path_factory)
        root = tmp_path_factory.mktemp("reports-hub")
        run = DemoRun(root, base.inbox, root / "hub.duckdb", root / "reports")
        site_file = root / "site-demo.aggregates.zip"
        assert main(["aggregates", "export", "--warehouse", str(base.warehouse), "--out", str(site_file),
                     "--site", "site-demo"]) == 0
        with mock.patch.object(browser, "find_browser", _no_browser):
            assert main(["aggregates", "merge", str(site_file), "--warehouse", str(run.warehouse),
                         "--reports", str(run.reports)]) == 0
        _RUNS["hub"] = run
    return _RUNS["hub"]


def _scale_script():
    spec = importlib.util.spec_from_file_location("reports_scale", SCALE_SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _no_browser():
    raise browser.BrowserMissing("not needed by the many-clinic run")


def many_run(tmp_path_factory) -> DemoRun:
    if "many" not in _RUNS:
        base = demo_run(tmp_path_factory)
        root = tmp_path_factory.mktemp("reports-many")
        run = DemoRun(root, base.inbox, root / "warehouse.duckdb", root / "reports")
        _scale_script().tile(base.warehouse, run.warehouse, MANY, quiet=True)
        con = duckdb.connect(str(run.warehouse), read_only=True)
        try:
            run_id = con.execute("select run_id from audit.runs order by started_at desc limit 1").fetchall()[0][0]
            with mock.patch.object(browser, "find_browser", _no_browser):
                build_reports(con, run.reports, run_id, contract.Settings())
        finally:
            con.close()
        _RUNS["many"] = run
    return _RUNS["many"]
