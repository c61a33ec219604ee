-- Remove an earlier delivery of a batch from staging.sessions (a re-export replaces it).
delete from staging.sessions where _batch_id = $batch_id
