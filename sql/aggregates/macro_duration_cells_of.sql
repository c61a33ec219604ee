-- duration_cells_of(clinic_list, under_40_hi, d40_to_54_hi, d55_to_74_hi): the rows of
-- agg.duration_cells of the clinics in clinic_list (null: of every clinic): per clinic x condition
-- group x measure x session-length band (the episode's mean minutes per session; limits are
-- parameters, pipeline/contract.py DURATION_BANDS), the sufficient statistics of the session-
-- length dose-response (outcome_sums) and the sum of the episodes' mean minutes. Input:
-- intermediate.int_episode_outcomes.
create or replace temp macro duration_cells_of(clinic_list, under_40_hi, d40_to_54_hi, d55_to_74_hi) as table
with outcomes as (
    select
        clinic_id, condition_group, measure, baseline, final, improvement, responder, mean_duration_min,
        case
            when mean_duration_min < under_40_hi then 'under_40'
            when mean_duration_min < d40_to_54_hi then '40_to_54'
            when mean_duration_min < d55_to_74_hi then '55_to_74'
            else '75_plus'
        end as duration_band
    from intermediate.int_episode_outcomes
    where (clinic_list is null or list_contains(clinic_list, clinic_id))
)

select
    clinic_id, condition_group, measure, duration_band,
    unnest(outcome_sums(baseline, final, improvement, responder)),
    count(mean_duration_min) as n_duration,
    sum(mean_duration_min) as sum_duration_min
from outcomes
group by clinic_id, condition_group, measure, duration_band
