-- The counts of marts.completeness before suppression (pipeline/marts/completeness.py): per
-- condition group x measure at network and clinic level, the episodes of the condition (scored
-- or not, agg.condition_episodes), with any score of the measure, with a baseline, and with both
-- (agg.completeness_cells), each a sum over clinics.
with measured as (
    select
        clinic_id, condition_group, measure,
        sum(episodes_scored)::bigint as episodes_scored,
        sum(episodes_with_baseline)::bigint as episodes_with_baseline,
        sum(episodes_complete)::bigint as episodes_complete
    from agg.completeness_cells
    group by grouping sets ((condition_group, measure), (clinic_id, condition_group, measure))
),

episode_counts as (
    select clinic_id, condition_group, sum(episodes)::bigint as episodes
    from agg.condition_episodes
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
