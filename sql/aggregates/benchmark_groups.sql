-- agg.benchmark_groups: the episodes the case-mix models are fitted on, grouped: per clinic x
-- measure x case mix (condition group, age band, sex, payer; 'unknown' when missing) x baseline
-- score, the episodes' count, the exact sums of improvement and of its square (scaled, 1e-9
-- points) and the responders. Episodes of a group share their design row, so the models fitted
-- on the groups summed over clinics (frequency weights) are the models fitted on the episodes.
-- Input: intermediate.int_episode_outcomes.
create or replace table agg.benchmark_groups as
select
    clinic_id, measure, condition_group,
    coalesce(age_band, 'unknown') as age_band,
    coalesce(sex, 'unknown') as sex,
    coalesce(payer, 'unknown') as payer,
    baseline,
    count(*) as n,
    sum(scaled(improvement)) as sum_improvement,
    sum(scaled(improvement) * scaled(improvement)) as sum_improvement_sq,
    count(*) filter (where responder) as responders
from intermediate.int_episode_outcomes
group by all
order by all
