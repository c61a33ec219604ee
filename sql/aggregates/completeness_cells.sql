-- agg.completeness_cells: per clinic x condition group x measure, the episodes with any score
-- of the measure, with a baseline, and with both a baseline and a final score (the ones the
-- effect sizes use). Inputs: intermediate.int_episode_measures, intermediate.int_episodes.
create or replace table agg.completeness_cells as
select
    e.clinic_id, e.condition_group, em.measure,
    count(*) as episodes_scored,
    count(em.baseline) as episodes_with_baseline,
    count(*) filter (where em.baseline is not null and em.final is not null) as episodes_complete
from intermediate.int_episode_measures as em
join intermediate.int_episodes as e using (clinic_id, patient_id, episode_id)
group by e.clinic_id, e.condition_group, em.measure
order by e.clinic_id, e.condition_group, em.measure
