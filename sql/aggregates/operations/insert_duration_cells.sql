-- An incremental build: the rows of agg.duration_cells of the clinics in $clinics (deleted first), by the
-- same macro as the full build (macro_duration_cells_of.sql), appended in the order of its grain.
insert into agg.duration_cells
select * from duration_cells_of($clinics, $under_40_hi, $d40_to_54_hi, $d55_to_74_hi)
order by all
