-- Each clinic's expected responders (pipeline/marts/clinic_benchmarks.py), per clinic x
-- condition group x measure: over its covariate patterns (agg.case_mix_counts), the sums of
-- n p and n p (1 - p) with p the responder model's probability of the pattern
-- (case_mix_probabilities, registered by the step), in a fixed order.
select
    c.clinic_id, c.condition_group, c.measure,
    sum(c.n * p.expected_p order by c.age_band, c.sex, c.payer, c.baseline_band) as sum_p,
    sum(c.n * p.expected_p * (1 - p.expected_p) order by c.age_band, c.sex, c.payer, c.baseline_band) as var_p
from agg.case_mix_counts as c
inner join case_mix_probabilities as p
    on
        c.measure = p.measure
        and c.condition_group = p.condition_group
        and c.age_band = p.age_band
        and c.sex = p.sex
        and c.payer = p.payer
        and c.baseline_band = p.baseline_band
group by c.clinic_id, c.condition_group, c.measure
order by c.clinic_id, c.condition_group, c.measure
