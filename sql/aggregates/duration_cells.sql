-- agg.duration_cells for every clinic ($clinics is null: the macro filters nothing;
-- macro_duration_cells_of.sql has the rule), in the order of its grain. An incremental build
-- (pipeline/agg.py) replaces the rows of the clinics whose episodes changed instead
-- (operations/delete_ and insert_duration_cells.sql).
create or replace table agg.duration_cells as
select * from duration_cells_of($clinics, $under_40_hi, $d40_to_54_hi, $d55_to_74_hi)
order by all
