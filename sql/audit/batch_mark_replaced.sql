-- An accepted batch superseded by a re-export with the same export_id.
update audit.batches set status = 'replaced' where batch_id = $batch_id and status = 'accepted'
