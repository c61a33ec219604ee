-- Every batch received: its status, reasons and row counts (no local folder paths).
select batch_id, clinic_id, status, reasons, sha256, rows_raw, rows_staged, rows_quarantined,
       loaded_at, exported_at
from audit.batches
order by clinic_id, batch_id, loaded_at
