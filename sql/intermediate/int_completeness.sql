-- intermediate.int_completeness: how complete the outcome data are, per condition group and measure, at
-- network and clinic level: episodes of the condition, episodes with any score of the measure,
-- with a baseline, and with both a baseline and a final score (the ones effect sizes use).
create or replace table intermediate.int_completeness as
with episodes as (
    select clinic_id, patient_id, episode_id, condition_group from intermediate.int_episodes
),

measured as (
    select
        e.clinic_id, e.condition_group, em.measure,
        count(*) as episodes_scored,
        count(em.baseline) as episodes_with_baseline,
        count(*) filter (where em.baseline is not null and em.final is not null) as episodes_complete
    from intermediate.int_episode_measures as em
    join episodes as e using (clinic_id, patient_id, episode_id)
    group by grouping sets ((e.condition_group, em.measure), (e.clinic_id, e.condition_group, em.measure))
),

episode_counts as (
    select clinic_id, condition_group, count(*) as episodes
    from episodes
    group by grouping sets ((condition_group), (clinic_id, condition_group))
)

select
    case when m.clinic_id is null then 'network' else 'clinic' end as level,
    m.clinic_id, m.condition_group, m.measure, c.episodes,
    m.episodes_scored, m.episodes_with_baseline, m.episodes_complete
from measured as m
join episode_counts as c
    on c.condition_group = m.condition_group and c.clinic_id is not distinct from m.clinic_id
order by level desc, m.clinic_id, m.condition_group, m.measure
