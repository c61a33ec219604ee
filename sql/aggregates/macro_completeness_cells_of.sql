-- completeness_cells_of(clinic_list): the rows of agg.completeness_cells of the clinics in
-- clinic_list (null: of every clinic): per clinic x condition group x measure, the episodes with
-- any score of the measure, with a baseline, and with both a baseline and a final score (the ones
-- the effect sizes use). Inputs: intermediate.int_episode_measures, intermediate.int_episodes.
create or replace temp macro completeness_cells_of(clinic_list) as table
select
    e.clinic_id, e.condition_group, em.measure,
    count(*) as episodes_scored,
    count(em.baseline) as episodes_with_baseline,
    count(*) filter (where em.baseline is not null and em.final is not null) as episodes_complete
from intermediate.int_episode_measures as em
join intermediate.int_episodes as e using (clinic_id, patient_id, episode_id)
where (clinic_list is null or list_contains(clinic_list, em.clinic_id))
    and (clinic_list is null or list_contains(clinic_list, e.clinic_id))
group by e.clinic_id, e.condition_group, em.measure
