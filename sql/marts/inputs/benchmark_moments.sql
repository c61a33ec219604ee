-- The case-mix models' cross-products (pipeline/marts/benchmark_model_fit.py): the entries of
-- agg.benchmark_moments summed over clinics (exact integers first) per measure x condition
-- group x pair of terms, in points (moment_points).
select
    measure, condition_group, term_a, term_b,
    moment_points(sum(value), term_a, term_b) as value
from agg.benchmark_moments
group by measure, condition_group, term_a, term_b
order by measure, condition_group, term_a, term_b
