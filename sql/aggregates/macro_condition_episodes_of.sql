-- condition_episodes_of(clinic_list): the rows of agg.condition_episodes of the clinics in
-- clinic_list (null: of every clinic): per clinic x condition group, every episode of care, scored
-- or not (the denominator of marts.completeness). Input: intermediate.int_episodes.
create or replace temp macro condition_episodes_of(clinic_list) as table
select clinic_id, condition_group, count(*) as episodes
from intermediate.int_episodes
where (clinic_list is null or list_contains(clinic_list, clinic_id))
group by clinic_id, condition_group
