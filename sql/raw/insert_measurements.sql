-- Load the measurements of a FHIR batch just mapped (received_measurements, pipeline/fhir) into raw.measurements, inside the
-- batch's transaction; each row carries its row number in file order (sql/fhir/measurements.sql).
insert into raw.measurements by name
select * from received_measurements
