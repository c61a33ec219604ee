-- The suppressed 'all'-band cells of marts.effect_sizes: their n is a completeness count too
-- (episodes_complete), so marts.completeness hides the same rows.
select level, clinic_id, condition_group, measure
from marts.effect_sizes
where frequency_band = 'all' and suppressed
