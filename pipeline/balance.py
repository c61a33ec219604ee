"""The count balance of each batch: rows received = rows staged + rows quarantined (the nothing-lost
checks of assets/staging.py wrap it; pure, tested on its own)."""
from __future__ import annotations


def unbalanced_batches(rows: list[dict]) -> list[str]:
    """Batches and tables where rows received != rows staged + rows quarantined.

    ``rows`` are dicts with batch_id, table_name, rows_raw, rows_staged, rows_quarantined.
    Returns one plain sentence per imbalance (empty when nothing was lost or counted twice).
    """
    problems = []
    for r in rows:
        for key in ("batch_id", "table_name", "rows_raw", "rows_staged", "rows_quarantined"):
            if key not in r:
                raise ValueError(f"a batch count row lacks {key!r}")
        accounted = r["rows_staged"] + r["rows_quarantined"]
        if accounted != r["rows_raw"]:
            verb = "lost" if accounted < r["rows_raw"] else "counted twice"
            problems.append(
                f"{r['batch_id']} {r['table_name']}: {r['rows_raw']} rows received but "
                f"{r['rows_staged']} staged + {r['rows_quarantined']} quarantined "
                f"({abs(r['rows_raw'] - accounted)} {verb})"
            )
    return problems
