"""``outcomes validate BATCH_DIR``: what would happen to a batch, in plain words, before sending it.

The batch goes through the same checks as a run (``pipeline.ingest`` and ``pipeline.staging``)
on a throw-away in-memory warehouse. The report groups problems by reason, with counts and
the first row numbers, and never prints the offending values (they may be identifying).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from pipeline import contract, ingest, models, staging, warehouse
from pipeline.errors import OutcomesError

FIRST_ROWS = 5


@dataclass
class ValidationReport:
    batch_dir: Path
    accepted: bool
    reasons: list[str]
    warnings: list[str] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)
    quarantined: dict[str, list[tuple[str, int, list[int]]]] = field(default_factory=dict)
    quarantined_rows: dict[str, int] = field(default_factory=dict)

    def text(self) -> str:
        lines = [f"Batch {self.batch_dir}:"]
        if not self.accepted:
            lines.append(f"  REJECTED: it would not be loaded, for {len(self.reasons)} reason(s):")
            lines += [f"  - {r}" for r in self.reasons]
        else:
            sizes = ", ".join(f"{n} {t}" for t, n in self.rows.items())
            lines.append(f"  ACCEPTED ({sizes}).")
            for table, groups in self.quarantined.items():
                total = self.quarantined_rows.get(table, 0)
                lines.append(f"  {total} {table} rows would be quarantined:" if groups else f"  No {table} row would be quarantined.")
                for code, n, rows in groups:
                    more = ", ..." if n > len(rows) else ""
                    lines.append(f"  - {contract.REASONS.get(code, code)} [{code}]: {n} rows "
                                 f"(data rows {', '.join(map(str, rows))}{more})")
            if any(code == "session_unknown" for g in self.quarantined.values() for code, _, _ in g):
                lines.append("  (validate knows only this batch: a score of a session sent in an earlier batch shows as unknown here)")
        lines += [f"  note: {w}" for w in self.warnings]
        return "\n".join(lines)


def validate_batch(batch_dir: Path) -> ValidationReport:
    if not batch_dir.is_dir():
        raise OutcomesError(f"{batch_dir} is not a batch folder")
    con = duckdb.connect()
    try:
        warehouse.ensure_schema(con)
        models.load_reference(con)
        batch = ingest.receive(con, batch_dir)
        report = ValidationReport(batch_dir, batch.accepted, batch.reasons, batch.warnings,
                                  {t: bf.rows or 0 for t, bf in batch.files.items()})
        if batch.accepted:
            ids = [batch.batch_id]
            staging.stage_sessions(con, ids)
            staging.stage_measurements(con, ids)
            for table in contract.TABLES:
                rows = warehouse.run(con, f"quarantine/by_reason_{table}", {"first_rows": FIRST_ROWS})
                report.quarantined[table] = [(code, n, list(first)) for code, n, first in rows]
                report.quarantined_rows[table] = warehouse.count(con, "quarantine", table)
        return report
    finally:
        con.close()
