-- Load the sessions of a FHIR batch just mapped (received_sessions, pipeline/fhir) into raw.sessions, inside the
-- batch's transaction, with its row number: the mapping writes the rows in file order and DuckDB keeps
-- insertion order, so a row's rowid + 1 is its row number.
insert into raw.sessions by name
select *, rowid + 1 as _row_number from received_sessions
