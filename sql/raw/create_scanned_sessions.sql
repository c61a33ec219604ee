-- The sessions files of one round of batches as read (every column as text, the file beside each row), before
-- any transaction: one scan per group of files with the same header appends to it (raw/scan_sessions_*).
create or replace temp table scanned_sessions as
select * exclude (_batch_id, _row_number), ''::varchar as _file from raw.sessions limit 0
