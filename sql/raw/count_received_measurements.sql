-- Rows of the measurements file just parsed.
select count(*) from received_measurements
