-- The cells of marts.effect_sizes with the sufficient statistics pipeline.stats needs
-- (pipeline/marts/effect_sizes.py): level (network, clinic) x condition group x frequency band
-- ('all' for the condition's total) x measure, every one a sum of the clinic cells of
-- agg.effect_cells (the four levels are grouping sets of one scan), with summary_statistics,
-- the zeros, the mean exposures (sessions per week, session minutes) and the Wilcoxon
-- signed-rank sums from the summed histograms of agg.improvement_counts: a value's average rank
-- = values below it + (t + 1) / 2, V = sum of positive ranks, tie_term = sum of (t^3 - t).
with cells as (
    select
        case when grouping(clinic_id) = 1 then 'network' else 'clinic' end as level,
        clinic_id, condition_group,
        case when grouping(frequency_band) = 1 then 'all' else frequency_band end as frequency_band,
        measure,
        unnest(summed_outcomes(n, sum_baseline, sum_baseline_sq, sum_final, sum_final_sq, sum_baseline_final,
                                sum_improvement, sum_improvement_sq, responders)),
        sum(zeros)::bigint as zeros,
        -- floating-point sums in the order of the grain, whatever order the rows are stored in (an
        -- incremental build of agg appends a clinic's rows): the same bits as a full build's
        sum(sum_sessions_per_week order by clinic_id, frequency_band) / sum(n_sessions_per_week) as mean_sessions_per_week,
        sum(sum_duration_min order by clinic_id, frequency_band) / sum(n_duration) as mean_duration_min
    from agg.effect_cells
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
        measure, magnitude,
        sum(episodes)::hugeint as t,
        sum(positive) as positive
    from agg.improvement_counts
    group by grouping sets (
        (condition_group, frequency_band, measure, magnitude), (condition_group, measure, magnitude),
        (clinic_id, condition_group, frequency_band, measure, magnitude), (clinic_id, condition_group, measure, magnitude)
    )
),

ranked as (
    select
        *,
        sum(t) over (
            partition by level, clinic_id, condition_group, frequency_band, measure order by magnitude
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
    c.level, c.clinic_id, c.condition_group, c.frequency_band, c.measure, c.n,
    unnest(summary_statistics(c.n, c.sum_baseline, c.sum_baseline_sq, c.sum_final, c.sum_final_sq, c.sum_baseline_final,
                                c.sum_improvement, c.sum_improvement_sq)),
    c.responders, c.zeros, c.mean_sessions_per_week, c.mean_duration_min,
    coalesce(w.n_nonzero, 0) as n_nonzero,
    coalesce(w.v_plus, 0) as v_plus,
    coalesce(w.tie_term, 0) as tie_term
from cells as c
left join signed_ranks as w
    on w.level = c.level and w.clinic_id is not distinct from c.clinic_id and w.condition_group = c.condition_group
   and w.frequency_band = c.frequency_band and w.measure = c.measure
order by c.level desc, c.clinic_id, c.condition_group, c.frequency_band, c.measure
