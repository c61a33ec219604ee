-- Load the measurements of a FHIR batch just mapped (received_measurements, pipeline/fhir) into raw.measurements, inside the
-- batch's transaction, with its row number: the mapping writes the rows in file order and DuckDB keeps
-- insertion order, so a row's rowid + 1 is its row number.
insert into raw.measurements by name
select *, rowid + 1 as _row_number from received_measurements
