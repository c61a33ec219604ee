-- Rows of one batch in raw.measurements.
select count(*) from raw.measurements where _batch_id = $batch_id
