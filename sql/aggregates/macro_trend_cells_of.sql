-- trend_cells_of(clinic_list): the rows of agg.trend_cells of the clinics in clinic_list (null: of
-- every clinic): per clinic x condition group x measure x period in which the episode started (a
-- quarter, 'YYYY-Qn', for dated clinics; the year for Safe Harbor clinics, which send no dates),
-- the sufficient statistics of marts.clinic_trends (outcome_sums; the 'all' period is their sum,
-- in the mart). Inputs: intermediate.int_episode_outcomes, intermediate.int_episodes.
create or replace temp macro trend_cells_of(clinic_list) as table
with outcomes as (
    select
        o.clinic_id, o.condition_group, o.measure, o.baseline, o.final, o.improvement, o.responder,
        case
            when e.start_date is not null then strftime(e.start_date, '%Y') || '-Q' || quarter(e.start_date)
            else cast(e.start_year as varchar)
        end as period
    from intermediate.int_episode_outcomes as o
    join intermediate.int_episodes as e using (clinic_id, patient_id, episode_id)
    where (clinic_list is null or list_contains(clinic_list, o.clinic_id))
        and (clinic_list is null or list_contains(clinic_list, e.clinic_id))
)

select
    clinic_id, condition_group, measure, period,
    unnest(outcome_sums(baseline, final, improvement, responder))
from outcomes
group by clinic_id, condition_group, measure, period
