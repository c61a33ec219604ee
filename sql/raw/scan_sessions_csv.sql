-- Read every CSV file of sessions with one header ($csv_columns, read by pipeline/intake/checks.py: every
-- column VARCHAR) in one scan, appended to scanned_sessions: only the contract's columns, as text, and the
-- file's name. Nothing is sniffed: a row with more or fewer fields than the header is an error, never a
-- shifted row. DuckDB keeps insertion order: each file's rows are together, in file order, so a row's
-- rowid less its file's first is its data row number (raw/insert_scanned_sessions).
insert into scanned_sessions by name
select columns(lambda c: list_contains($columns, c))::varchar, filename as _file
from read_csv($paths, header = true, auto_detect = false, columns = $csv_columns, delim = ',', quote = '"',
              escape = '"', strict_mode = true, null_padding = false, filename = true)
