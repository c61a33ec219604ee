-- An incremental build: the rows of agg.completeness_cells of the clinics in $clinics (deleted first), by the
-- same macro as the full build (macro_completeness_cells_of.sql), appended in the order of its grain.
insert into agg.completeness_cells
select * from completeness_cells_of($clinics)
order by all
