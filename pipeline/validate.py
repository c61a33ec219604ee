"""``outcomes validate BATCH_DIR``: what would happen to a batch, in plain words, before sending it.

The batch goes through the same checks as a run (``pipeline.ingest`` and ``pipeline.staging``)
on a throw-away in-memory warehouse. The report groups problems by reason, with counts and
the first row numbers, and never prints the offending values (they may be identifying).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from pipeline import contract, ingest, staging, warehouse
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
    fhir: list[tuple[str, str, str | None, int]] = field(default_factory=list)  # a FHIR batch's resources

    def text(self) -> str:
        lines = [f"Batch {self.batch_dir}:"]
        if not self.accepted:
            lines.append(f"  REJECTED: it would not be loaded, for {_n(len(self.reasons), 'reason')}:")
            lines += [f"  - {r}" for r in self.reasons]
            lines.append("  Nothing of it would be loaded; correct it and validate again.")
        else:
            sizes = ", ".join(f"{n} {t}" for t, n in self.rows.items())
            lines.append(f"  ACCEPTED ({sizes}).")
            for table, groups in self.quarantined.items():
                total = self.quarantined_rows.get(table, 0)
                lines.append(f"  {_n(total, table[:-1] + ' row')} would be quarantined, by reason:" if groups
                             else f"  No {table[:-1]} row would be quarantined.")
                for code, n, rows in groups:
                    more = ", ..." if n > len(rows) else ""
                    where = "data row" if len(rows) == 1 else "data rows"
                    lines.append(f"  - {contract.REASONS.get(code, code)} [{code}]: {_n(n, 'row')} "
                                 f"({where} {', '.join(map(str, rows))}{more})")
            if any(code == "session_unknown" for g in self.quarantined.values() for code, _, _ in g):
                lines.append("  (validate knows only this batch: a score of a session sent in an earlier batch shows as unknown here)")
        lines += _fhir_lines(self.fhir) if self.accepted else []
        lines += [f"  note: {w}" for w in self.warnings]
        return "\n".join(lines)


def _fhir_lines(outcomes: list[tuple[str, str, str | None, int]]) -> list[str]:
    """What became of a FHIR batch's resources, per type and outcome, in plain words."""
    words = {"mapped": "mapped", "out_of_scope": "out of scope (counted, not loaded)",
             "quarantined": "quarantined (no row could be made)"}
    lines = ["  FHIR resources, by type:"] if outcomes else []
    for rtype, outcome, reason, n in outcomes:
        why = contract.FHIR_REASONS.get(reason, reason) if reason else None
        lines.append(f"  - {rtype}: {_n(n, 'resource')} {words.get(outcome, outcome)}{f': {why}' if why else ''}")
    return lines


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _check_folder(batch_dir: Path) -> None:
    if not batch_dir.is_dir():
        raise OutcomesError(f"{batch_dir} is not a batch folder")
    tables = {f"{t}.{f}" for t in contract.TABLES for f in contract.FILE_FORMATS} | {ingest.MANIFEST}
    try:
        names = {p.name for p in batch_dir.iterdir()}
        inner = [p for p in batch_dir.iterdir() if p.is_dir() and any((p / n).is_file() for n in tables)]
    except OSError as exc:
        raise OutcomesError(f"cannot read the folder {batch_dir} ({exc.strerror or exc.__class__.__name__})") from None
    if not names & tables and inner:
        raise OutcomesError(f"{batch_dir} is an inbox of {len(inner)} batch folders, not one batch; "
                            f"validate one of them, e.g. {sorted(inner)[0]}")


def validate_batch(batch_dir: Path) -> ValidationReport:
    _check_folder(batch_dir)
    con = duckdb.connect()
    try:
        warehouse.ensure_schema(con)
        for name, path in warehouse.REGISTRY_FILES.items():  # the measure registry, as a run loads it
            warehouse.run(con, f"ref/{name}", {"path": str(path)})
        batch = ingest.receive(con, batch_dir)
        report = ValidationReport(batch_dir, batch.accepted, batch.reasons, batch.warnings,
                                  {t: bf.rows or 0 for t, bf in batch.files.items()})
        if batch.fhir is not None:  # a FHIR Bulk Data batch: its rows, and what became of every resource
            report.rows = {"sessions": batch.fhir.sessions, "measurements": batch.fhir.measurements}
            report.fhir = batch.fhir.outcomes
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
