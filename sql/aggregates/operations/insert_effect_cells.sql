-- An incremental build: the rows of agg.effect_cells of the clinics in $clinics (deleted first), by the
-- same macro as the full build (macro_effect_cells_of.sql), appended in the order of its grain.
insert into agg.effect_cells
select * from effect_cells_of($clinics)
order by all
