-- The case-mix models' input (pipeline/marts/benchmark_model_fit.py): per measure x case mix
-- (condition group, age band, sex, payer) x baseline, the episodes of agg.benchmark_groups summed
-- over clinics: n, mean improvement, its within sum of squared deviations m2 (from the exact
-- integer sums: (n Sdd - Sd^2) / n, in points^2) and the responders.
with patterns as (
    select
        measure, condition_group, age_band, sex, payer, baseline,
        sum(n)::bigint as n, sum(sum_improvement) as s, sum(sum_improvement_sq) as ss,
        sum(responders)::bigint as responders
    from agg.benchmark_groups
    group by measure, condition_group, age_band, sex, payer, baseline
)

select
    measure, condition_group, age_band, sex, payer, baseline, n,
    s::double / n / 1e9 as mean_improvement,
    (n::hugeint * ss - s * s)::double / n / 1e18 as m2_improvement,
    responders
from patterns
order by measure, condition_group, age_band, sex, payer, baseline
