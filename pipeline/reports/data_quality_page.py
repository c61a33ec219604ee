"""The data-quality page: every batch and what became of it, quarantined rows by reason in
plain words, the expectation results of the quality gate, and the runs."""
from __future__ import annotations

from pipeline import contract
from pipeline.reports import methods
from pipeline.reports.data import ReportData, group, records
from pipeline.reports.pages import Page


def checks_summary(data: ReportData) -> dict:
    """Expectation results of audit.checks, and the row-balance invariant from audit.batches."""
    checks = data.checks
    acc = data.accepted_batches()
    balanced = acc["rows_raw"] == acc["rows_staged"].fillna(0) + acc["rows_quarantined"].fillna(0)
    return {
        "expectations": len(checks),
        "passed": int(checks["success"].astype(bool).sum()) if len(checks) else 0,
        "failed": int((~checks["success"].astype(bool)).sum()) if len(checks) else 0,
        "suites": sorted(set(checks["suite"])) if len(checks) else [],
        "note": None if len(checks) else "no expectation results yet",
        "batches_balanced": int(balanced.sum()), "batches_checked": len(acc),
    }


def batch_rows(data: ReportData) -> list[dict]:
    """Per batch: status, reasons, and rows received / staged / quarantined per file."""
    files = group(records(data.batch_tables()), "batch_id", "sha256")  # once, not a scan per batch
    return [{**b, "reasons": list(b["reasons"] or []), "files": files.get((b["batch_id"], b["sha256"]), [])}
            for b in records(data.batches)]


def reason_rows(data: ReportData) -> list[dict]:
    """Quarantined rows by reason code and table, over all accepted batches."""
    q = data.quarantine.groupby(["reason", "table_name"], as_index=False).agg(
        rows=("rows", "sum"), batches=("batch_id", "nunique"))
    q = q.sort_values(["rows", "reason"], ascending=[False, True])
    return [{**r, "plain": contract.REASONS.get(r["reason"], r["reason"])} for r in records(q)]


def fhir_rows(data: ReportData) -> list[dict]:
    """What became of the resources of the FHIR Bulk Data batches, per type, outcome and reason, over the
    accepted batches (audit.fhir_resources, sql/reports/fhir_resources.sql; docs/fhir.md). Empty when
    no FHIR batch was received."""
    f = data.fhir_resources
    if f is None or f.empty:
        return []
    f = f.assign(reason=f["reason"].fillna(""))
    g = f.groupby(["resource_type", "outcome", "reason"], as_index=False).agg(
        resources=("resources", "sum"), batches=("batch_id", "nunique"))
    return [{**r, "plain": contract.FHIR_REASONS.get(r["reason"], r["reason"])} for r in records(g)]


CHECK_KEYS = ["suite", "table_name", "expectation", "column_name"]


def check_rows(data: ReportData) -> list[dict]:
    """Expectation results per suite, table, expectation and column, over all batches: how many
    batches passed and failed, and the unexpected rows. Failing expectations first."""
    checks = data.checks
    if checks.empty:
        return []
    checks = checks.assign(failed=~checks["success"].astype(bool), column_name=checks["column_name"].fillna(""),
                           table_name=checks["table_name"].fillna(""))
    summary = checks.groupby(CHECK_KEYS, as_index=False).agg(
        results=("success", "size"), failed=("failed", "sum"), unexpected=("unexpected_count", "sum"),
        checked_at=("checked_at", "max"))
    summary = summary.sort_values(["failed", *CHECK_KEYS], ascending=[False, True, True, True, True])
    summary["column_name"] = summary["column_name"].str.replace(",", ", ")
    return records(summary)


def failures(data: ReportData) -> list[dict]:
    """Every failed expectation result, with its batch."""
    checks = data.checks
    return records(checks[~checks["success"].astype(bool)]) if not checks.empty else []


def page(data: ReportData) -> Page:
    context = {
        "batches": batch_rows(data),
        "reasons": reason_rows(data),
        "fhir": fhir_rows(data),
        "checks": check_rows(data),
        "failures": failures(data),
        "check_summary": checks_summary(data),
        "last_checked": data.checks["checked_at"].max() if not data.checks.empty else None,
        "rows_quarantined": int(data.quarantine_rows["rows_quarantined"].sum()),
        "runs": list(reversed(records(data.runs))),
        "methods": methods.paragraph("quality", data.settings, []),
    }
    return Page("quality.html", "quality.html", "Data quality", context, charts=False)
