-- The responder model's covariate patterns (pipeline/marts/benchmark_model_fit.py): the
-- episodes of agg.case_mix_counts summed over clinics per measure x condition group x age band
-- x sex x payer x baseline band.
select
    measure, condition_group, age_band, sex, payer, baseline_band,
    sum(n)::bigint as n
from agg.case_mix_counts
group by measure, condition_group, age_band, sex, payer, baseline_band
order by measure, condition_group, age_band, sex, payer, baseline_band
