-- intermediate.int_effect_cells: the sufficient statistics of every cell (level x clinic x
-- condition group x frequency band, 'all' for the condition's total, x measure) from which
-- pipeline.stats computes each published figure, including the Wilcoxon signed-rank sums:
-- zeros dropped, average ranks of |d| for ties (exact equality, as R), V = sum of positive
-- ranks, tie_term = sum over tie groups of (t^3 - t). Also each cell's mean sessions per week
-- and mean session length (the exposures of the dose-response meta-regressions).
create or replace table intermediate.int_effect_cells as
with outcomes as (
    select clinic_id, condition_group, frequency_band, measure,
           baseline as x, final as y, improvement as d, responder, sessions_per_week as spw, mean_duration_min as dur
    from marts.episode_outcomes
),

cells as (
    select 'network' as level, null::varchar as clinic_id, condition_group, frequency_band, measure, x, y, d, responder, spw, dur from outcomes
    union all
    select 'network', null, condition_group, 'all', measure, x, y, d, responder, spw, dur from outcomes
    union all
    select 'clinic', clinic_id, condition_group, frequency_band, measure, x, y, d, responder, spw, dur from outcomes
    union all
    select 'clinic', clinic_id, condition_group, 'all', measure, x, y, d, responder, spw, dur from outcomes
),

keyed as (
    select *, coalesce(clinic_id, '') as clinic_key from cells
),

summary as (
    select
        level, clinic_key, any_value(clinic_id) as clinic_id, condition_group, frequency_band, measure,
        count(*) as n,
        avg(x) as baseline_mean, stddev_samp(x) as baseline_sd,
        avg(y) as final_mean, stddev_samp(y) as final_sd,
        corr(x, y) as r_pre_post,
        avg(d) as mean_improvement, stddev_samp(d) as sd_improvement,
        count(*) filter (where responder) as responders,
        count(*) filter (where d = 0) as zeros,
        avg(spw) as mean_sessions_per_week,
        avg(dur) as mean_duration_min
    from keyed
    group by level, clinic_key, condition_group, frequency_band, measure
),

nonzero as (
    select level, clinic_key, condition_group, frequency_band, measure, d, abs(d) as a
    from keyed
    where d <> 0
),

ranked as (
    select
        *,
        rank() over (partition by level, clinic_key, condition_group, frequency_band, measure order by a) as r_min,
        count(*) over (partition by level, clinic_key, condition_group, frequency_band, measure, a) as t
    from nonzero
),

signed_ranks as (
    select
        level, clinic_key, condition_group, frequency_band, measure,
        count(*) as n_nonzero,
        coalesce(sum(r_min + (t - 1) / 2.0) filter (where d > 0), 0) as v_plus,
        sum(t * t - 1) as tie_term
    from ranked
    group by level, clinic_key, condition_group, frequency_band, measure
)

select
    s.* exclude (clinic_key),
    coalesce(w.n_nonzero, 0) as n_nonzero,
    coalesce(w.v_plus, 0) as v_plus,
    coalesce(w.tie_term, 0) as tie_term
from summary as s
left join signed_ranks as w using (level, clinic_key, condition_group, frequency_band, measure)
order by s.level desc, s.clinic_id, s.condition_group, s.frequency_band, s.measure
