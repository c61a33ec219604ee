-- The clinics' episodes by case-mix pattern (pipeline/marts/clinic_benchmarks.py): per clinic x
-- measure x condition group x age band x sex x payer x baseline, from agg.benchmark_groups: n,
-- mean improvement, its within sum of squared deviations m2 (exact integers first), responders.
select
    clinic_id, measure, condition_group, age_band, sex, payer, baseline, n,
    sum_improvement::double / n / 1e9 as mean_improvement,
    (n::hugeint * sum_improvement_sq - sum_improvement * sum_improvement)::double / n / 1e18 as m2_improvement,
    responders
from agg.benchmark_groups
order by clinic_id, measure, condition_group, age_band, sex, payer, baseline
