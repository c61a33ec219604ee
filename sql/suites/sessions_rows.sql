-- Rows of staging.sessions, all batches (DuckDB answers from its metadata): when the batches to check
-- hold them all (a first run), the sample skips its filter on the batch (all_batches in sessions_sample.sql).
select count(*) from staging.sessions
