"""The one Dagster ``Definitions`` of the project (``dagster dev -w workspace.yaml``).

Paths come from the environment for ``dagster dev`` (OUTCOMES_INBOX, OUTCOMES_WAREHOUSE,
OUTCOMES_REPORTS) and from the command line for ``outcomes run``.
"""
from __future__ import annotations

import os

import dagster as dg
from dagster_duckdb import DuckDBResource

from assets import intermediate, marts, raw, reports, staging, synthesis
from pipeline.resources import OutcomesSettings

DEFAULT_INBOX = "data/inbox"
DEFAULT_WAREHOUSE = "data/warehouse.duckdb"
DEFAULT_REPORTS = "reports"

ASSET_MODULES = (raw, staging, intermediate, marts, synthesis, reports)


def build_definitions(inbox: str = DEFAULT_INBOX, warehouse: str = DEFAULT_WAREHOUSE,
                      reports_dir: str = DEFAULT_REPORTS, memory_limit: str | None = None,
                      **settings) -> dg.Definitions:
    assets = dg.load_assets_from_modules(list(ASSET_MODULES))
    checks = dg.load_asset_checks_from_modules(list(ASSET_MODULES))
    config = {"memory_limit": memory_limit} if memory_limit else {}
    return dg.Definitions(
        assets=assets,
        asset_checks=checks,
        resources={
            "warehouse_db": DuckDBResource(database=warehouse, connection_config=config),
            "settings": OutcomesSettings(inbox=inbox, reports=reports_dir, **settings),
        },
        executor=dg.in_process_executor,
    )


defs = build_definitions(
    inbox=os.environ.get("OUTCOMES_INBOX", DEFAULT_INBOX),
    warehouse=os.environ.get("OUTCOMES_WAREHOUSE", DEFAULT_WAREHOUSE),
    reports_dir=os.environ.get("OUTCOMES_REPORTS", DEFAULT_REPORTS),
)
