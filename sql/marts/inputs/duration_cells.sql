-- The network cells of the session-length dose-response (pipeline/marts/dose_response_points.py):
-- per condition group x measure x session-length band, and 'all' (their sum), from the exact
-- sums of agg.duration_cells over clinics, with summary_statistics and the mean session minutes.
with cells as (
    select
        condition_group, measure,
        case when grouping(duration_band) = 1 then 'all' else duration_band end as duration_band,
        unnest(summed_outcomes(n, sum_baseline, sum_baseline_sq, sum_final, sum_final_sq, sum_baseline_final,
                                sum_improvement, sum_improvement_sq, responders)),
        -- a floating-point sum in the order of the grain, whatever order the rows are stored in (an
        -- incremental build of agg appends a clinic's rows): the same bits as a full build's
        sum(sum_duration_min order by clinic_id, duration_band) / sum(n_duration) as mean_duration_min
    from agg.duration_cells
    group by grouping sets ((condition_group, measure, duration_band), (condition_group, measure))
)

select
    condition_group, measure, duration_band, n,
    unnest(summary_statistics(n, sum_baseline, sum_baseline_sq, sum_final, sum_final_sq, sum_baseline_final,
                                sum_improvement, sum_improvement_sq)),
    responders, mean_duration_min
from cells
order by condition_group, measure, duration_band
