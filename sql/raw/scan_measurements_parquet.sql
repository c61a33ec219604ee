-- Read every Parquet file of measurements with the same columns in one scan, appended to scanned_measurements: only the
-- contract's columns, cast to text, and the file's name, in each file's row order (raw/insert_scanned_measurements).
insert into scanned_measurements by name
select columns(lambda c: list_contains($columns, c))::varchar, filename as _file
from read_parquet($paths, filename = true)
