-- Make quarantining of measurements idempotent: forget an interrupted earlier attempt for these batches.
delete from quarantine.measurements where list_contains($batch_ids, _batch_id)
