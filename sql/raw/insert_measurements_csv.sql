-- Load one CSV file into raw.measurements as text: only the contract's columns; file order kept as _row_number.
insert into raw.measurements by name
select
    columns(lambda c: list_contains($columns, c))::varchar,
    $batch_id as _batch_id,
    row_number() over () as _row_number
from read_csv($path, header = true, all_varchar = true, delim = ',', quote = '"', escape = '"')
