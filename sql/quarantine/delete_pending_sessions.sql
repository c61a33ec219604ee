-- Make quarantining of sessions idempotent: forget an interrupted earlier attempt for these batches.
delete from quarantine.sessions where list_contains($batch_ids, _batch_id)
