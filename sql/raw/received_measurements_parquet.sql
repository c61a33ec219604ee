-- Read one Parquet file of measurements into a temporary table, before any transaction: only the contract's
-- columns, cast to text, in the file's row order (rowid + 1 is the row number: raw/insert_measurements).
create or replace temp table received_measurements as
select
    columns(lambda c: list_contains($columns, c))::varchar,
    $batch_id as _batch_id
from read_parquet($path)
