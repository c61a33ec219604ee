-- The measurements files of one round of batches as read (every column as text, the file beside each row), before
-- any transaction: one scan per group of files with the same header appends to it (raw/scan_measurements_*).
create or replace temp table scanned_measurements as
select * exclude (_batch_id, _row_number), ''::varchar as _file from raw.measurements limit 0
