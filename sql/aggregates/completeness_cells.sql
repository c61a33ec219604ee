-- agg.completeness_cells for every clinic ($clinics is null: the macro filters nothing;
-- macro_completeness_cells_of.sql has the rule), in the order of its grain. An incremental build
-- (pipeline/agg.py) replaces the rows of the clinics whose episodes changed instead
-- (operations/delete_ and insert_completeness_cells.sql).
create or replace table agg.completeness_cells as
select * from completeness_cells_of($clinics)
order by all
