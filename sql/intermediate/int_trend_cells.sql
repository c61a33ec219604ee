-- intermediate.int_trend_cells: per clinic x condition group x measure x period in which the
-- episode started (a quarter, 'YYYY-Qn', for dated clinics; the year for Safe Harbor clinics,
-- which send no dates), with an 'all' row per group: the sufficient statistics of the
-- clinic's trend.
create or replace table intermediate.int_trend_cells as
with outcomes as (
    select
        o.clinic_id, o.condition_group, o.measure,
        o.baseline as x, o.final as y, o.improvement as d, o.responder,
        case
            when e.start_date is not null then strftime(e.start_date, '%Y') || '-Q' || quarter(e.start_date)
            else cast(e.start_year as varchar)
        end as period
    from marts.episode_outcomes as o
    join intermediate.int_episodes as e using (clinic_id, patient_id, episode_id)
),

cells as (
    select clinic_id, condition_group, measure, period, x, y, d, responder from outcomes
    union all
    select clinic_id, condition_group, measure, 'all', x, y, d, responder from outcomes
)

select
    'clinic' as level, clinic_id, condition_group, measure, period,
    count(*) as n,
    avg(x) as baseline_mean, stddev_samp(x) as baseline_sd,
    avg(y) as final_mean, stddev_samp(y) as final_sd,
    corr(x, y) as r_pre_post,
    avg(d) as mean_improvement, stddev_samp(d) as sd_improvement,
    count(*) filter (where responder) as responders
from cells
group by clinic_id, condition_group, measure, period
order by clinic_id, condition_group, measure, period
