-- Read one Parquet file of measurements into a temporary table, before any transaction: only the contract's
-- columns, cast to text, with the file's row order as _row_number.
create or replace temp table received_measurements as
select
    columns(lambda c: list_contains($columns, c))::varchar,
    $batch_id as _batch_id,
    row_number() over () as _row_number
from read_parquet($path)
