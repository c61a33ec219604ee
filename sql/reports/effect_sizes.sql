-- The published effect sizes (already suppressed), every level.
select * from marts.effect_sizes
order by level desc, clinic_id, condition_group, measure, frequency_band
