"""The published reports (HTML, PDF, JSON), built from the marts only."""

from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource

from assets.marts import BENCHMARKS, CLINIC_TRENDS, COMPLETENESS, DOSE, EFFECT_SIZES, EPISODE_OUTCOMES, POOLED
from pipeline import provenance, reports
from pipeline.resources import OutcomesSettings

REPORTS = dg.AssetKey(["reports", "index"])


@dg.asset(key=REPORTS, group_name="reports", kinds={"html"}, deps=[EFFECT_SIZES, COMPLETENESS, EPISODE_OUTCOMES, POOLED, DOSE, BENCHMARKS, CLINIC_TRENDS],
          description="reports/index.html and the pages it links, from the marts only.")
def published_reports(context: dg.AssetExecutionContext, warehouse_db: DuckDBResource,
                      settings: OutcomesSettings) -> dg.MaterializeResult:
    with warehouse_db.get_connection() as con:
        written = reports.build_reports(con, Path(settings.reports), context.run.run_id, settings.contract_settings())
        provenance.finish_run(con, context.run.run_id)
    return dg.MaterializeResult(metadata={"files": len(written), "index": dg.MetadataValue.path(str(Path(settings.reports) / "index.html"))})
