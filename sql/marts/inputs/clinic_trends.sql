-- The cells of marts.clinic_trends with their summary statistics (pipeline/marts/clinic_trends.py):
-- per clinic x condition group x measure x period, and the 'all' period (their sum), from the
-- exact sums of agg.trend_cells.
with cells as (
    select
        clinic_id, condition_group, measure,
        case when grouping(period) = 1 then 'all' else period end as period,
        unnest(summed_outcomes(n, sum_baseline, sum_baseline_sq, sum_final, sum_final_sq, sum_baseline_final,
                                sum_improvement, sum_improvement_sq, responders))
    from agg.trend_cells
    group by grouping sets ((clinic_id, condition_group, measure, period), (clinic_id, condition_group, measure))
)

select
    'clinic' as level, clinic_id, condition_group, measure, period, n,
    unnest(summary_statistics(n, sum_baseline, sum_baseline_sq, sum_final, sum_final_sq, sum_baseline_final,
                                sum_improvement, sum_improvement_sq)),
    responders
from cells
order by clinic_id, condition_group, measure, period
