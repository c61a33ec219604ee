-- Parse one CSV file of sessions into a temporary table, before any transaction: only the contract's
-- columns, as text, in file order (rowid + 1 is the data row number, header excluded: raw/insert_sessions).
-- The header was read by pipeline/ingest.py and arrives as $csv_columns (every column VARCHAR), so
-- nothing is sniffed: a row with more or fewer fields than the header is an error, never a shifted row.
create or replace temp table received_sessions as
select
    columns(lambda c: list_contains($columns, c))::varchar,
    $batch_id as _batch_id
from read_csv($path, header = true, auto_detect = false, columns = $csv_columns, delim = ',', quote = '"',
              escape = '"', strict_mode = true, null_padding = false)
