-- Make staging of sessions idempotent: forget what an interrupted earlier attempt staged for these batches.
delete from staging.sessions where list_contains($batch_ids, _batch_id)
