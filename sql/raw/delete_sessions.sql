-- Remove an earlier delivery of a batch from raw.sessions (a re-export replaces it).
delete from raw.sessions where _batch_id = $batch_id
