-- An incremental build: the rows of agg.trend_cells of the clinics in $clinics (deleted first), by the
-- same macro as the full build (macro_trend_cells_of.sql), appended in the order of its grain.
insert into agg.trend_cells
select * from trend_cells_of($clinics)
order by all
