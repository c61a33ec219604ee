-- Remove an earlier delivery of a batch from quarantine.measurements (a re-export replaces it).
delete from quarantine.measurements where _batch_id = $batch_id
