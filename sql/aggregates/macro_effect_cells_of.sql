-- effect_cells_of(clinic_list): the rows of agg.effect_cells of the clinics in clinic_list (null:
-- of every clinic): per clinic x condition group x frequency band x measure (the finest cells; no
-- 'all' band, no network row: the marts sum these), the sufficient statistics of every figure of
-- marts.effect_sizes (outcome_sums), the zero improvements (the signed-rank test drops them), and
-- the sums of the exposures of the dose-response: sessions per week (null for single sessions) and
-- mean session minutes. Input: intermediate.int_episode_outcomes.
create or replace temp macro effect_cells_of(clinic_list) as table
with outcomes as (
    select
        clinic_id, condition_group, frequency_band, measure, baseline, final, improvement, responder,
        sessions_per_week, mean_duration_min
    from intermediate.int_episode_outcomes
    where (clinic_list is null or list_contains(clinic_list, clinic_id))
)

select
    clinic_id, condition_group, frequency_band, measure,
    unnest(outcome_sums(baseline, final, improvement, responder)),
    count(*) filter (where improvement = 0) as zeros,
    count(sessions_per_week) as n_sessions_per_week,
    sum(sessions_per_week) as sum_sessions_per_week,
    count(mean_duration_min) as n_duration,
    sum(mean_duration_min) as sum_duration_min
from outcomes
group by clinic_id, condition_group, frequency_band, measure
