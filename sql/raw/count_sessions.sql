-- Rows of one batch in raw.sessions.
select count(*) from raw.sessions where _batch_id = $batch_id
