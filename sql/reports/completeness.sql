-- The published completeness counts (already suppressed).
select level, clinic_id, condition_group, measure, episodes, episodes_scored,
       episodes_with_baseline, episodes_complete, suppressed
from marts.completeness
order by level desc, clinic_id, condition_group, measure
