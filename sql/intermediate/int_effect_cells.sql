-- intermediate.int_effect_cells: the sufficient statistics of every cell (level x clinic x
-- condition group x frequency band, 'all' for the condition's total, x measure) from which
-- pipeline.stats computes each published figure, including the Wilcoxon signed-rank sums:
-- zeros dropped, average ranks of |d| for ties (exact equality, as R), V = sum of positive
-- ranks, tie_term = sum over tie groups of (t^3 - t). Also each cell's mean sessions per week
-- and mean session length (the exposures of the dose-response meta-regressions).
-- The four levels are grouping sets of one scan; the ranks come from each cell's histogram of
-- |d| (a value's average rank = values below it + (t + 1) / 2), so nothing is sorted row by row.
create or replace table intermediate.int_effect_cells as
with outcomes as (
    select clinic_id, condition_group, frequency_band, measure,
           baseline as x, final as y, improvement as d, abs(improvement) as a, responder,
           sessions_per_week as spw, mean_duration_min as dur
    from marts.episode_outcomes
),

summary as (
    select
        case when grouping(clinic_id) = 1 then 'network' else 'clinic' end as level,
        clinic_id, condition_group,
        case when grouping(frequency_band) = 1 then 'all' else frequency_band end as frequency_band,
        measure,
        count(*) as n,
        avg(x) as baseline_mean, stddev_samp(x) as baseline_sd,
        avg(y) as final_mean, stddev_samp(y) as final_sd,
        corr(x, y) as r_pre_post,
        avg(d) as mean_improvement, stddev_samp(d) as sd_improvement,
        count(*) filter (where responder) as responders,
        count(*) filter (where d = 0) as zeros,
        avg(spw) as mean_sessions_per_week,
        avg(dur) as mean_duration_min
    from outcomes
    group by grouping sets (
        (condition_group, frequency_band, measure), (condition_group, measure),
        (clinic_id, condition_group, frequency_band, measure), (clinic_id, condition_group, measure)
    )
),

magnitudes as (
    select
        case when grouping(clinic_id) = 1 then 'network' else 'clinic' end as level,
        clinic_id, condition_group,
        case when grouping(frequency_band) = 1 then 'all' else frequency_band end as frequency_band,
        measure, a,
        count(*)::hugeint as t,
        count(*) filter (where d > 0) as positive
    from outcomes
    where d <> 0
    group by grouping sets (
        (condition_group, frequency_band, measure, a), (condition_group, measure, a),
        (clinic_id, condition_group, frequency_band, measure, a), (clinic_id, condition_group, measure, a)
    )
),

ranked as (
    select
        *,
        sum(t) over (
            partition by level, clinic_id, condition_group, frequency_band, measure order by a
            rows between unbounded preceding and 1 preceding
        ) as below
    from magnitudes
),

signed_ranks as (
    select
        level, clinic_id, condition_group, frequency_band, measure,
        sum(t)::bigint as n_nonzero,
        sum(positive * (coalesce(below, 0) + (t + 1) / 2.0)) as v_plus,
        sum(t * t * t - t) as tie_term
    from ranked
    group by level, clinic_id, condition_group, frequency_band, measure
)

select
    s.*,
    coalesce(w.n_nonzero, 0) as n_nonzero,
    coalesce(w.v_plus, 0) as v_plus,
    coalesce(w.tie_term, 0) as tie_term
from summary as s
left join signed_ranks as w
    on w.level = s.level and w.clinic_id is not distinct from s.clinic_id and w.condition_group = s.condition_group
   and w.frequency_band = s.frequency_band and w.measure = s.measure
order by s.level desc, s.clinic_id, s.condition_group, s.frequency_band, s.measure
