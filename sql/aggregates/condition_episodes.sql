-- agg.condition_episodes: per clinic x condition group, every episode of care, scored or not
-- (the denominator of marts.completeness). Input: intermediate.int_episodes.
create or replace table agg.condition_episodes as
select clinic_id, condition_group, count(*) as episodes
from intermediate.int_episodes
group by clinic_id, condition_group
order by clinic_id, condition_group
