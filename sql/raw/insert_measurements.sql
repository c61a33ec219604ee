-- Load the measurements file just parsed into raw.measurements (inside the batch's transaction).
insert into raw.measurements by name
select * from received_measurements
order by _row_number
