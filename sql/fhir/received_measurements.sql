-- The scores of a FHIR batch as the contract's raw columns (as text), in file order, for the shared insert
-- into raw.measurements (sql/raw/insert_measurements.sql).
create or replace temp table received_measurements as
select clinic_id, session_id, measure, timepoint, value, $batch_id as _batch_id
from fhir_measurements
order by _line
