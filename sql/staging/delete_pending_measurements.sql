-- Make staging of measurements idempotent: forget what an interrupted earlier attempt staged for these batches.
delete from staging.measurements where list_contains($batch_ids, _batch_id)
