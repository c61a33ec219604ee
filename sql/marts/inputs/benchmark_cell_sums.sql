-- Each clinic's observed and expected sums (pipeline/marts/clinic_benchmarks.py), per clinic x
-- condition group x measure, from its entries of agg.benchmark_moments (in points) and the
-- least-squares coefficient of each term (case_mix_gamma, registered by the step): n, the
-- observed sum of improvement, the expected sum 1'X b, the residual sum of squares about the
-- expected d'd - 2 b'X'd + b'X'X b (a pair of two terms counts twice), and the responders. The
-- sums run in a fixed order, so a merged hub and a single run get the same bits.
with entries as (
    select
        m.clinic_id, m.measure, m.condition_group, m.term_a, m.term_b,
        moment_points(m.value, m.term_a, m.term_b) as v,
        ga.gamma as gamma_a,
        gb.gamma as gamma_b
    from agg.benchmark_moments as m
    left join case_mix_gamma as ga
        on m.measure = ga.measure and m.condition_group = ga.condition_group and m.term_a = ga.term
    left join case_mix_gamma as gb
        on m.measure = gb.measure and m.condition_group = gb.condition_group and m.term_b = gb.term
),

sums as (
    select
        clinic_id, condition_group, measure,
        sum(v) filter (where term_a = 'intercept' and term_b = 'intercept') as n,
        coalesce(sum(v) filter (where term_a = 'intercept' and term_b = 'improvement'), 0) as sum_o,
        coalesce(sum(v * gamma_b order by term_b) filter (where term_a = 'intercept'), 0) as sum_e,
        sum(v) filter (where term_a = 'improvement' and term_b = 'improvement') as dd,
        coalesce(sum(v * gamma_a order by term_a) filter (where term_b = 'improvement'), 0) as bxd,
        coalesce(sum(
            (case when term_a = term_b then 1 else 2 end) * gamma_a * gamma_b * v order by term_a, term_b
        ), 0) as bxxb,
        coalesce(sum(v) filter (where term_a = 'intercept' and term_b = 'responder'), 0) as responders
    from entries
    group by clinic_id, condition_group, measure
)

select
    clinic_id, condition_group, measure, n, sum_o, sum_e,
    greatest(dd - 2 * bxd + bxxb, 0) as ss,
    responders
from sums
order by clinic_id, condition_group, measure
