-- intermediate.int_duration_cells: network-level cells by condition group x measure x
-- session-length band (the episode's mean minutes per session), with the sufficient statistics
-- of their effect sizes: the exposure of the session-length dose-response. Band limits are
-- parameters (pipeline/contract.py DURATION_BANDS); 'all' rows carry each group's total.
create or replace table intermediate.int_duration_cells as
with outcomes as (
    select
        condition_group, measure, baseline as x, final as y, improvement as d, responder, mean_duration_min as dur,
        case
            when mean_duration_min < $under_40_hi then 'under_40'
            when mean_duration_min < $d40_to_54_hi then '40_to_54'
            when mean_duration_min < $d55_to_74_hi then '55_to_74'
            else '75_plus'
        end as duration_band
    from marts.episode_outcomes
),

cells as (
    select condition_group, measure, duration_band, x, y, d, responder, dur from outcomes
    union all
    select condition_group, measure, 'all', x, y, d, responder, dur from outcomes
)

select
    condition_group, measure, duration_band,
    count(*) as n,
    avg(x) as baseline_mean, stddev_samp(x) as baseline_sd,
    avg(y) as final_mean, stddev_samp(y) as final_sd,
    corr(x, y) as r_pre_post,
    avg(d) as mean_improvement, stddev_samp(d) as sd_improvement,
    count(*) filter (where responder) as responders,
    avg(dur) as mean_duration_min
from cells
group by condition_group, measure, duration_band
order by condition_group, measure, duration_band
