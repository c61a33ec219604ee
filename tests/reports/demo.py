"""Small demo runs shared by the report and browser tests, built once per test session.

``demo_run`` runs the real command line (demo + run) into a temporary folder: every mart,
including the statistics work's (pooling, dose-response, benchmarks). ``bare_run`` copies that
warehouse without those optional marts and rebuilds the reports, as before they existed: their
sections must then be absent, and everything else intact.
"""
from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipeline import contract
from pipeline.cli import main
from pipeline.reports import build_reports
from pipeline.reports.data import OPTIONAL_MARTS

CLINICS, PATIENTS = 3, 400
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
