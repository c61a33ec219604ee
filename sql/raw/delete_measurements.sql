-- Remove an earlier delivery of a batch from raw.measurements (a re-export replaces it).
delete from raw.measurements where _batch_id = $batch_id
