-- Each clinic cell's mean sessions per week (the exposure of the frequency dose-response,
-- pipeline/marts/dose_response_points.py), from agg.effect_cells; null for single sessions.
select
    'clinic' as level, clinic_id, condition_group, frequency_band, measure,
    sum_sessions_per_week / n_sessions_per_week as mean_sessions_per_week
from agg.effect_cells
order by clinic_id, condition_group, frequency_band, measure
