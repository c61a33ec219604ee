-- The scores of a FHIR batch as the contract's raw columns (as text), for the shared insert into
-- raw.measurements (sql/raw/insert_measurements.sql). A view: the rows are written once, into raw, each with
-- its row number in file order (fhir_measurements is written in file order: sql/fhir/measurements.sql).
create or replace temp view received_measurements as
select clinic_id, session_id, measure, timepoint, value, _batch_id, rowid + 1 as _row_number
from fhir_measurements
