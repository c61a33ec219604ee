-- Every batch the site received, as its aggregates file carries it (no folder, no timestamp).
select batch_id, clinic_id, status, reasons, sha256, rows_raw, rows_staged, rows_quarantined
from audit.batches
order by batch_id, sha256, status
