-- Load the measurements file just parsed into raw.measurements (inside the batch's transaction), with its row
-- number in the file. DuckDB keeps insertion order (preserve_insertion_order), so the temporary
-- table holds the file's rows in file order and a row's rowid + 1 is its data row number: cheaper
-- than a row_number() window over the read, which serializes the parallel CSV reader.
insert into raw.measurements by name
select *, rowid + 1 as _row_number from received_measurements
