-- The fingerprints of the build of agg.$table that audit.agg_inputs records (one, or none).
select distinct build
from audit.agg_inputs
where agg_table = $table
