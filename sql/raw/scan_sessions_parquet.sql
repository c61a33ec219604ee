-- Read every Parquet file of sessions with the same columns in one scan, appended to scanned_sessions: only the
-- contract's columns, cast to text, and the file's name, in each file's row order (raw/insert_scanned_sessions).
insert into scanned_sessions by name
select columns(lambda c: list_contains($columns, c))::varchar, filename as _file
from read_parquet($paths, filename = true)
