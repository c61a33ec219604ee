-- Load the measurements rows of the accepted batches of this round into raw.measurements (inside the round's transaction),
-- each with its batch and its data row number in its file: its rowid in the scan less the file's first
-- rowid ($first_rows, from raw/scanned_files_measurements), plus one.
insert into raw.measurements by name
select r.* exclude (_file), f.batch_id as _batch_id, r.rowid - f.first_row + 1 as _row_number
from scanned_measurements as r
join (select unnest($paths) as path, unnest($batch_ids) as batch_id, unnest($first_rows) as first_row) as f
  on f.path = r._file
