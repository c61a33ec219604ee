-- Remove an earlier delivery of a batch from staging.measurements (a re-export replaces it).
delete from staging.measurements where _batch_id = $batch_id
