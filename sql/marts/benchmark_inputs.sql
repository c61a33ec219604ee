-- The risk-adjustment models' inputs, grouped: one row per measure x clinic x case mix
-- (condition group, age band, sex, payer; 'unknown' when missing) x baseline score, with the
-- episodes' count, mean and sum of squared deviations (n * var_pop) of improvement and their
-- responders. Every row of a group has the same design row, so the models fitted on the groups
-- (frequency weights) are the models fitted on the episodes, at a fraction of the size.
select
    measure, clinic_id, condition_group,
    coalesce(age_band, 'unknown') as age_band,
    coalesce(sex, 'unknown') as sex,
    coalesce(payer, 'unknown') as payer,
    baseline,
    count(*) as n,
    avg(improvement) as mean_improvement,
    var_pop(improvement) * count(*) as m2_improvement,
    count(*) filter (where responder) as responders
from marts.episode_outcomes
group by all
order by all
