-- Remove an earlier delivery of a batch from quarantine.sessions (a re-export replaces it).
delete from quarantine.sessions where _batch_id = $batch_id
